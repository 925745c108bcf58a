import { Command, Option } from "clipanion";
import { KukeError } from "../../model/index.js";
import { listImages } from "../../runner/operations/images.js";
import { KukeCommand } from "../kuke-command.js";
import { formatTable } from "../table.js";

export class ImageListCommand extends KukeCommand {
  static override paths = [
    ["image", "ls"],
    ["image", "list"],
  ];
  static override usage = Command.Usage({
    category: "Image commands",
    description: "list the images in a realm's containerd namespace",
    details: `
      Prints name, digest and size of every image in the realm's namespace (the recorded one when
      the realm is applied, else \`<realm>.kukeon.io\`). An empty namespace prints only the header.
    `,
    examples: [
      ["Images of the default realm", "$0 image ls"],
      ["As JSON", "$0 image ls --realm demo -o json"],
    ],
  });

  realm = Option.String("--realm", "default", { description: "Realm whose namespace to list" });
  output = Option.String("-o,--output", "table", { description: "table or json" });

  async run(): Promise<number> {
    if (this.output !== "table" && this.output !== "json") {
      throw new KukeError("usage", `-o must be table or json, got '${this.output}'`, {
        remedy: "pass -o table or -o json",
      });
    }
    const r = await listImages({ ...this.hostPaths(), realm: this.realm });
    if (this.output === "json") {
      const images = r.images.map((i) => ({ name: i.name, digest: i.digest, mediaType: i.mediaType, size: i.size }));
      this.context.stdout.write(
        `${JSON.stringify({ format_version: "1", namespace: r.namespace, images }, null, 2)}\n`,
      );
      return 0;
    }
    this.context.stdout.write(
      formatTable(
        ["NAME", "DIGEST", "SIZE"],
        r.images.map((i) => [i.name, i.digest.slice(0, 19), String(i.size)]),
      ),
    );
    return 0;
  }
}
