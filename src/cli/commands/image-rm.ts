import { Command, Option } from "clipanion";
import { removeImage } from "../../runner/operations/images.js";
import { KukeCommand } from "../kuke-command.js";

export class ImageRemoveCommand extends KukeCommand {
  static override paths = [
    ["image", "rm"],
    ["image", "remove"],
  ];
  static override usage = Command.Usage({
    category: "Image commands",
    description: "remove an image from a realm's containerd namespace",
    details: `
      Deletes the image record; containerd then collects the content and snapshots no container
      uses. Short names are qualified as docker does (\`busybox\` is
      \`docker.io/library/busybox:latest\`). Exits 1 when the image is not there.
    `,
    examples: [
      ["Remove busybox from the default realm", "$0 image rm busybox"],
      ["Remove busybox from realm demo", "$0 image rm busybox --realm demo"],
    ],
  });

  ref = Option.String({ name: "REF" });
  realm = Option.String("--realm", "default", { description: "Realm whose namespace holds the image" });

  async run(): Promise<number> {
    const r = await removeImage({ ...this.hostPaths(), realm: this.realm, ref: this.ref });
    this.context.stdout.write(`Removed ${this.ref} from ${r.namespace}\n`);
    return 0;
  }
}
