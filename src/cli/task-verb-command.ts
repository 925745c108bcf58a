/** What `kuke start|stop|kill` share: a cell or container named by KIND NAME and scope flags; signal names. */
import { constants } from "node:os";
import { Option } from "clipanion";
import { type CellAddress, type ContainerAddress, KINDS, KukeError } from "../model/index.js";
import { parseKind, ResourceCommand } from "./resource-flags.js";

export abstract class TaskVerbCommand extends ResourceCommand {
  static synopsis = "[KIND] NAME";
  kind = Option.String({ name: "KIND" });
  name = Option.String({ name: "NAME", required: false });

  /**
   * The cell or container named. kukeon's form names a cell without a kind (`kuke stop web
   * --realm …`), so a single argument that is not a kind is a cell's name.
   * @throws KukeError `usage` for another kind, a kind without a name, or a missing scope flag.
   */
  target(): CellAddress | ContainerAddress {
    if (this.name === undefined) {
      if ((KINDS as readonly string[]).includes(this.kind.toLowerCase().replace(/s$/, ""))) {
        throw new KukeError("usage", `${this.kind} needs a NAME`, {
          remedy: `kuke … ${this.kind} NAME --realm R --space S --stack T`,
        });
      }
      return this.addressFor("cell", this.kind) as CellAddress;
    }
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
