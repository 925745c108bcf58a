/** Commands suggested in diagnostics, spelled as the CLI accepts them (DESIGN §5). */
import type { Address } from "./address.js";

/** `kuke create <kind> NAME` with the scope flags that place it. */
export function createRemedy(a: Address): string {
  switch (a.kind) {
    case "realm":
      return `kuke create realm ${a.realm}`;
    case "space":
      return `kuke create space ${a.space} --realm ${a.realm}`;
    case "stack":
      return `kuke create stack ${a.stack} --realm ${a.realm} --space ${a.space}`;
    case "cell":
      return `kuke create cell ${a.cell} --realm ${a.realm} --space ${a.space} --stack ${a.stack}`;
    case "container":
      return `kuke create container ${a.container} --realm ${a.realm} --space ${a.space} --stack ${a.stack} --cell ${a.cell}`;
  }
}

/** `kuke purge <kind> NAME` with scope flags: removes what is on the host whether kuke recorded it or not. */
export function purgeRemedy(a: Address): string {
  return createRemedy(a).replace(/^kuke create /, "kuke purge ");
}
