/** What `kuke start|stop|kill` share: a cell or container named by KIND NAME and scope flags; signal names. */
import { constants } from "node:os";
import { Option } from "clipanion";
import { type CellAddress, type ContainerAddress, KukeError } from "../model/index.js";
import { parseKind, ResourceCommand } from "./resource-flags.js";

export abstract class TaskVerbCommand extends ResourceCommand {
  kind = Option.String({ name: "KIND" });
  name = Option.String({ name: "NAME" });

  /** The cell or container named. @throws KukeError `usage` for another kind or a missing scope flag. */
  target(): CellAddress | ContainerAddress {
    return this.addressFor(parseKind(this.kind, ["cell", "container"]), this.name) as CellAddress | ContainerAddress;
  }
}

const SIGNALS = constants.signals as Record<string, number>;

/** `KILL`, `SIGKILL`, `kill` or `9` → 9. @throws KukeError `usage` for anything else. */
export function signalNumber(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  }
  const name = text.toUpperCase().replace(/^SIG/, "");
  const n = SIGNALS[`SIG${name}`];
  if (n === undefined) {
    throw new KukeError("usage", `--signal '${text}' is not a signal`, {
      remedy: "pass a name such as KILL or TERM, or a number",
    });
  }
  return n;
}

export function signalName(n: number): string {
  const found = Object.entries(SIGNALS).find(([, v]) => v === n);
  return found ? found[0].replace(/^SIG/, "") : String(n);
}
