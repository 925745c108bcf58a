import { basename } from "node:path";
import { Command, Option } from "clipanion";
import type { PullProgress } from "../../executors/registry/verifying-stream.js";
import { loadImage } from "../../runner/operations/images.js";
import { KukeCommand } from "../kuke-command.js";
import type { OutputStream } from "../output-style.js";
import { PullProgressLine } from "../pull-progress.js";

export class ImageLoadCommand extends KukeCommand {
  static override paths = [["image", "load"]];
  static override usage = Command.Usage({
    category: "Image commands",
    description: "import an image archive into a realm's containerd namespace",
    details: `
      Reads an OCI image layout tar (\`skopeo copy … oci-archive:\`, \`ctr image export\`) or a
      \`docker save\` tar and stores and unpacks it in the realm's containerd namespace. The realm
      need not be applied yet: its namespace will be \`<realm>.kukeon.io\`, so images can be staged
      for an offline apply. Loading the same archive again changes nothing. On a terminal, one line
      for the image shows each layer's bytes and total as they are imported.
    `,
    examples: [
      ["Load busybox for the default realm", "$0 image load busybox.tar"],
      ["Load into realm demo under another name", "$0 image load app.tar --realm demo --name registry.local/app:1"],
    ],
  });

  file = Option.String({ name: "FILE" });
  realm = Option.String("--realm", "default", { description: "Realm whose namespace receives the image" });
  name = Option.String("--name", { description: "Name to record the image under (default: from the archive)" });

  async run(): Promise<number> {
    // On a terminal, one line for the image that updates in place, as image pull shows.
    const progress = (this.context.stderr as OutputStream).isTTY
      ? new PullProgressLine(this.context.stderr, this.name ?? basename(this.file))
      : undefined;
    const r = await loadImage({
      ...this.hostPaths(),
      realm: this.realm,
      file: this.file,
      ...(this.name !== undefined ? { name: this.name } : {}),
      ...(progress ? { onProgress: (p: PullProgress) => progress.update(p) } : {}),
    }).finally(() => progress?.end());
    this.context.stdout.write(`Loaded ${r.name} (${r.digest}) into ${r.namespace}\n`);
    return 0;
  }
}
