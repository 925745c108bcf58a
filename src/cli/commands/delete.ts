import { Command, Option } from "clipanion";
import { type Address, formatAddress, isKukeError, KukeError } from "../../model/index.js";
import { readManifests } from "../../runner/manifests.js";
import { parseStructuredFormat, runApplySession } from "../apply-session.js";
import { interruptsOf } from "../interrupts.js";
import type { OutputStream } from "../output-style.js";
import { type PlanStreams, writeLoadWarnings } from "../plan-output.js";
import { parseKind, ResourceCommand } from "../resource-flags.js";

/** `delete -f` takes the same lock wait and step parallelism as apply's defaults. */
const FILE_DELETE_LOCK_TIMEOUT_MS = 30_000;
const FILE_DELETE_PARALLELISM = 10;

export class DeleteCommand extends ResourceCommand {
  static override paths = [["delete"]];
  /** The required arguments, for the help's usage line. */
  static synopsis = "(KIND NAME | -f FILE...)";
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "delete a resource through kuke's records",
    details: `
      Plans the deletion of the resource (children first) and runs it through the engine. A
      realm, space or stack that still has resources inside is refused unless \`--cascade\`
      (exit 1, nothing changes). A cell takes its containers with it; a cell's root container
      cannot be deleted alone. For what kuke has no record of, use \`kuke purge\`, or
      \`--force\`, which then purges what the host still holds of it. A resource (or one inside
      it) whose record sets \`lifecycle.preventDestroy\` is refused with exit 5, as a plan would
      be; \`kuke purge\` removes it regardless.

      With \`-f FILE\` (as kukeon and kubectl do) kuke deletes everything the files declare that
      this project applied, children first, without asking: \`kuke destroy -f FILE --auto-approve\`.
      \`-o json|yaml\` prints that result as one document.
    `,
    examples: [
      ["Delete a cell", "$0 delete cell web --realm shop --space apps --stack front"],
      ["Delete a stack and its cells", "$0 delete stack front --realm shop --space apps --cascade"],
      ["Delete what a file declares", "$0 delete -f stack.yaml"],
    ],
  });

  kind = Option.String({ name: "KIND", required: false });
  name = Option.String({ name: "NAME", required: false });
  files = Option.Array("-f,--file", [], { description: "Delete what these manifests declare, children first" });
  cascade = Option.Boolean("--cascade", false, { description: "Also delete everything inside it" });
  force = Option.Boolean("--force", false, {
    description: "When kuke has no record of it, purge what the host still holds of it",
  });
  output = Option.String("-o,--output", { description: "With -f: json or yaml, the result as one document" });

  async run(): Promise<number> {
    if (this.files.length > 0) {
      if (this.kind !== undefined) {
        throw new KukeError("usage", "give either KIND NAME or -f FILE, not both", {
          remedy: "kuke delete cell web --realm … , or kuke delete -f stack.yaml",
        });
      }
      return this.deleteFiles();
    }
    if (this.kind === undefined || this.name === undefined) {
      throw new KukeError("usage", "delete needs KIND and NAME, or -f FILE", {
        remedy: "kuke delete cell web --realm shop --space apps --stack front, or kuke delete -f stack.yaml",
      });
    }
    if (this.output !== undefined) {
      throw new KukeError("usage", "-o is for kuke delete -f FILE", { remedy: "drop -o" });
    }
    const address = this.addressFor(parseKind(this.kind), this.name);
    try {
      const r = await this.withRunner((runner) => runner.delete(address, { cascade: this.cascade }));
      return this.reportChange(r, `Deleted ${formatAddress(address)}.`);
    } catch (e) {
      if (this.force && isKukeError(e) && e.code === "not-found") return this.purgeInstead(address);
      throw e;
    }
  }

  /** `--force` on a resource kuke has no record of: what purge finds of it on the host goes. */
  private async purgeInstead(address: Address): Promise<number> {
    this.context.stderr.write(
      `kuke has no record of ${formatAddress(address)}; --force: purging what is left of it.\n`,
    );
    const r = await this.withRunner((runner) => runner.purge(address));
    for (const item of r.report.items) {
      this.context.stdout.write(
        `${item.outcome.padEnd(8)}${item.kind} ${item.name}${item.detail ? ` (${item.detail})` : ""}\n`,
      );
    }
    this.context.stdout.write(
      `Deleted ${formatAddress(address)} (purged): ${r.report.removed} object(s) removed, ${r.report.failed} failed.\n`,
    );
    return r.report.failed > 0 ? 1 : 0;
  }

  /** kukeon's `delete -f FILE`: an approved destroy of what the files declare. */
  private async deleteFiles(): Promise<number> {
    const format = this.output !== undefined ? parseStructuredFormat(this.output) : undefined;
    const streams: PlanStreams = {
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      colorOut: this.colored(this.context.stdout as OutputStream),
      colorErr: this.colored(this.context.stderr as OutputStream),
    };
    const { load } = await readManifests(this.files, this.context.stdin);
    if (load.errorCount === 0) writeLoadWarnings(load, streams);
    return runApplySession({
      paths: this.hostPaths(),
      request: { prune: false, targets: [], replace: [], destroy: true, refresh: true },
      input: { kind: "manifests", load },
      streams,
      stdin: this.context.stdin,
      env: this.context.env,
      autoApprove: true,
      json: format !== undefined,
      ...(format !== undefined ? { format } : {}),
      destroy: true,
      parallelism: FILE_DELETE_PARALLELISM,
      lockTimeoutMs: FILE_DELETE_LOCK_TIMEOUT_MS,
      interrupts: interruptsOf(this.context),
      command: "kuke delete -f",
    });
  }
}
