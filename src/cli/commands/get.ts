import { Command, Option } from "clipanion";
import { KukeError } from "../../model/index.js";
import { GET_KINDS, type GetKind } from "../../render/get-items.js";
import type { GetFormat } from "../../render/get-output.js";
import { hostStatus } from "../../runner/imperative/inspect.js";
import { KukeCommand } from "../kuke-command.js";
import { parseKind } from "../resource-flags.js";

const FORMATS: readonly GetFormat[] = ["table", "yaml", "json"];

export class GetCommand extends KukeCommand {
  static override paths = [["get"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "show resources and their state on the host",
    details: `
      Reads the host (containerd, CNI, cgroups and kuke's records; no lock, nothing changes) and
      shows each resource's state as it is now. A cell is \`Ready\` only when all its tasks run;
      otherwise \`Degraded\`, \`Stopped\` or \`Failed\` with the exit codes. Cells show their IP
      and running/total containers.

      Every scope flag given narrows the list; with NAME, only resources of that name.
    `,
    examples: [
      ["Every cell", "$0 get cells"],
      ["Cells of one stack as YAML", "$0 get cells --realm shop --space apps --stack front -o yaml"],
      ["One container as JSON", "$0 get container app --realm shop --cell web -o json"],
    ],
  });

  kind = Option.String({ name: "KIND" });
  name = Option.String({ name: "NAME", required: false });
  realm = Option.String("--realm", { description: "Only resources of this realm" });
  space = Option.String("--space", { description: "Only resources of this space" });
  stack = Option.String("--stack", { description: "Only resources of this stack" });
  cell = Option.String("--cell", { description: "Only containers of this cell" });
  output = Option.String("-o,--output", "table", { description: "table, yaml or json" });

  async run(): Promise<number> {
    if (!(FORMATS as readonly string[]).includes(this.output)) {
      throw new KukeError("usage", `-o must be one of ${FORMATS.join(", ")}, got '${this.output}'`, {
        remedy: "pass -o table, -o yaml or -o json",
      });
    }
    const kind = `${parseKind(this.kind)}s` as GetKind;
    if (!GET_KINDS.includes(kind)) throw new KukeError("usage", `cannot get ${this.kind}`);
    const { report } = await hostStatus({ ...this.hostPaths() });
    const query = {
      kind,
      ...(this.name !== undefined ? { name: this.name } : {}),
      ...(this.realm !== undefined ? { realm: this.realm } : {}),
      ...(this.space !== undefined ? { space: this.space } : {}),
      ...(this.stack !== undefined ? { stack: this.stack } : {}),
      ...(this.cell !== undefined ? { cell: this.cell } : {}),
    };
    // The renderer (with the yaml package) is loaded only by the command that prints it.
    const { renderGet } = await import("../../render/get-output.js");
    this.context.stdout.write(renderGet(report, query, { format: this.output as GetFormat, now: new Date() }));
    return 0;
  }
}
