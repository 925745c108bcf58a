import { Command, Option } from "clipanion";
import type { PullProgress } from "../../executors/registry/verifying-stream.js";
import { readManifestSources } from "../../manifest/index.js";
import { pullImage } from "../../runner/operations/images.js";
import { realmCredentialsFromManifests } from "../../runner/operations/manifest-credentials.js";
import { KukeCommand } from "../kuke-command.js";
import type { OutputStream } from "../output-style.js";

export class ImagePullCommand extends KukeCommand {
  static override paths = [["image", "pull"]];
  static override usage = Command.Usage({
    category: "Image commands",
    description: "pull an image from a registry into a realm's containerd namespace",
    details: `
      Resolves REF on its registry to the manifest for this host's platform, streams and verifies
      every blob, and stores and unpacks the image in the realm's namespace (the recorded one when
      the realm is applied, else \`<realm>.kukeon.io\`). On a terminal, progress is shown on stderr.

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
    const credentials = this.files
      ? realmCredentialsFromManifests(await readManifestSources(this.files, this.context.stdin), this.realm)
      : [];
    const progress = (this.context.stderr as OutputStream).isTTY
      ? new PullProgressLine(this.context.stderr)
      : undefined;
    const r = await pullImage({
      ...paths,
      realm: this.realm,
      ref: this.ref,
      credentials,
      ...(progress ? { onProgress: (p: PullProgress) => progress.update(p) } : {}),
    }).finally(() => progress?.end());
    this.context.stdout.write(`Pulled ${r.name} (${r.digest}) into ${r.namespace}\n`);
    return 0;
  }
}

/** One status line on a terminal, rewritten in place (at most every 100 ms) as blobs arrive. */
class PullProgressLine {
  private readonly blobs = new Map<string, PullProgress>();
  private last = 0;
  private shown = false;

  constructor(private readonly out: OutputStream) {}

  update(p: PullProgress): void {
    this.blobs.set(p.digest, p);
    const now = Date.now();
    if (now - this.last < 100 && p.bytes < p.total) return;
    this.last = now;
    let bytes = 0;
    let total = 0;
    for (const b of this.blobs.values()) {
      bytes += b.bytes;
      total += b.total;
    }
    const done = [...this.blobs.values()].filter((b) => b.bytes >= b.total).length;
    this.out.write(`\r\x1b[KPulling: ${mb(bytes)}/${mb(total)} MB, ${done}/${this.blobs.size} blobs`);
    this.shown = true;
  }

  end(): void {
    if (this.shown) this.out.write("\n");
  }
}

function mb(n: number): string {
  return (n / 1_000_000).toFixed(1);
}
