import { Command, Option } from "clipanion";
import { formatAddress } from "../../model/index.js";
import { parseKind, ResourceCommand } from "../resource-flags.js";

export class DeleteCommand extends ResourceCommand {
  static override paths = [["delete"]];
  static override usage = Command.Usage({
    category: "Resources",
    description: "delete a resource through kuke's records",
    details: `
      Plans the deletion of the resource (children first) and runs it through the engine. A
      realm, space or stack that still has resources inside is refused unless \`--cascade\`
      (exit 1, nothing changes). A cell takes its containers with it; a cell's root container
      cannot be deleted alone. For what kuke has no record of, use \`kuke purge\`.
    `,
    examples: [
      ["Delete a cell", "$0 delete cell web --realm shop --space apps --stack front"],
      ["Delete a stack and its cells", "$0 delete stack front --realm shop --space apps --cascade"],
    ],
  });

  kind = Option.String({ name: "KIND" });
  name = Option.String({ name: "NAME" });
  cascade = Option.Boolean("--cascade", false, { description: "Also delete everything inside it" });

  async run(): Promise<number> {
    const address = this.addressFor(parseKind(this.kind), this.name);
    const r = await this.withRunner((runner) => runner.delete(address, { cascade: this.cascade }));
    return this.reportChange(r, `Deleted ${formatAddress(address)}.`);
  }
}
