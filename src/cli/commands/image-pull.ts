import { Command, Option } from "clipanion";
import type { PullProgress } from "../../executors/registry/verifying-stream.js";
import { readManifestSources } from "../../manifest/sources.js";
import { pullImage } from "../../runner/operations/images.js";
import { KukeCommand } from "../kuke-command.js";
import type { OutputStream } from "../output-style.js";
import { PullProgressLine } from "../pull-progress.js";

export class ImagePullCommand extends KukeCommand {
  static override paths = [["image", "pull"]];
  static override usage = Command.Usage({
    category: "Image commands",
    description: "pull an image from a registry into a realm's containerd namespace",
    details: `
      Resolves REF on its registry to the manifest for this host's platform, streams and verifies
      every blob, and stores and unpacks the image in the realm's namespace (the recorded one when
      the realm is applied, else \`<realm>.kukeon.io\`). On a terminal, one line on stderr shows the
      progress in place: the image's bytes and total, and each layer's.

      kuke's records keep only a hash of registry passwords, so an applied realm cannot lend its
      login to a pull: pass the manifest that declares the realm with \`-f\` to use its
      \`registryCredentials\`. Without \`-f\` the pull is anonymous.
    `,
    examples: [
      ["Pull from a local registry", "$0 image pull 127.0.0.1:5000/busybox:latest"],
      ["Pull with realm demo's credentials", "$0 image pull registry.example/app:1 --realm demo -f realm.yaml"],
    ],
  });

  ref = Option.String({ name: "REF" });
  realm = Option.String("--realm", "default", { description: "Realm whose namespace receives the image" });
  files = Option.Array("-f,--file", { description: "Manifest declaring the realm, for its registry logins" });

  async run(): Promise<number> {
    const paths = this.hostPaths();
    // The manifest loader (and the yaml package) only when logins are read from files.
    const credentials = this.files
      ? (await import("../../runner/operations/manifest-credentials.js")).realmCredentialsFromManifests(
          await readManifestSources(this.files, this.context.stdin),
          this.realm,
        )
      : [];
    const progress = (this.context.stderr as OutputStream).isTTY
      ? new PullProgressLine(this.context.stderr, this.ref)
      : undefined;
    const r = await pullImage({
      ...paths,
      realm: this.realm,
      ref: this.ref,
      credentials,
      ...(progress ? { onProgress: (p: PullProgress) => progress.update(p) } : {}),
    }).then(
      (done) => {
        progress?.end(true);
        return done;
      },
      (e: unknown) => {
        progress?.end();
        throw e;
      },
    );
    this.context.stdout.write(`Pulled ${r.name} (${r.digest}) into ${r.namespace}\n`);
    return 0;
  }
}
