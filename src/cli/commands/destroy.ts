import { Command, Option } from "clipanion";
import { KukeError } from "../../model/index.js";
import { parseDuration } from "../../runner/lock-timeout.js";
import { readManifests } from "../../runner/manifests.js";
import { openHostAhead } from "../../runner/open-host.js";
import { checkApprovalPossible, refuseNoRefresh, runApplySession } from "../apply-session.js";
import { interruptsOf } from "../interrupts.js";
import type { OutputStream } from "../output-style.js";
import { PlanFlagsCommand, parseParallelism } from "../plan-flags.js";
import { type PlanStreams, writeLoadWarnings } from "../plan-output.js";
import { resolveProgress } from "../progress.js";

export class DestroyCommand extends PlanFlagsCommand {
  static override paths = [["destroy"]];
  /** The required arguments, for the help\'s usage line. */
  static synopsis = "-f FILE...";
  static override usage = Command.Usage({
    category: "Main commands",
    description: "remove everything the manifests declare from the host",
    details: `
      The same as \`kuke apply\` with a destroy plan: every resource the files declare that this
      project applied, and everything the project recorded inside it, is stopped and deleted,
      children before parents. Resources another project owns inside them are kept (a warning).

      Approval works as for apply: \`--auto-approve\`, or \`yes\` on a terminal; without a terminal
      kuke refuses (exit 64). Exit codes are apply's.
    `,
    examples: [
      ["Destroy a stack, asking first", "$0 destroy -f stack.yaml"],
      ["Destroy without asking", "$0 destroy -f stack.yaml --auto-approve"],
    ],
  });

  // Inherited from the planning flags, but a destroy plan replaces nothing: refused in run(), and
  // kept out of the help so that it does not promise a replacement.
  override replaces = Option.Array("--replace", [], { hidden: true });
  autoApprove = Option.Boolean("--auto-approve", false, { description: "Destroy without asking" });
  parallelism = Option.String("--parallelism", "10", { description: "Steps run at once (default 10)" });
  json = Option.Boolean("--json", false, {
    description: "For CI: JSON progress events, one per line, then the result (needs --auto-approve)",
  });
  lockTimeout = Option.String("--lock-timeout", "30s", { description: "How long to wait for the lock (default 30s)" });
  progress = Option.String("--progress", {
    description: "auto (default: a live count of steps on a terminal), plain, or json (the same as --json)",
  });

  async run(): Promise<number> {
    const paths = this.hostPaths();
    const files = this.requireFiles();
    const parallelism = parseParallelism(this.parallelism);
    const lockTimeoutMs = parseDuration("--lock-timeout", this.lockTimeout);
    const request = this.planRequest({ destroy: true });
    const { json, progress } = resolveProgress({
      json: this.json,
      progress: this.progress,
      structured: false,
    });
    refuseNoRefresh(this.refreshEnabled(), "destroy");
    if (this.replaces.length > 0) {
      throw new KukeError("usage", "destroy deletes what the files declare; --replace has nothing to replace", {
        remedy: "drop --replace, or run kuke apply -f FILE --replace ADDR to replace it instead",
      });
    }
    checkApprovalPossible({
      autoApprove: this.autoApprove,
      stdin: this.context.stdin,
      verb: "destroy",
      json,
    });
    const streams: PlanStreams = {
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      colorOut: this.colored(this.context.stdout as OutputStream),
      colorErr: this.colored(this.context.stderr as OutputStream),
    };
    // The host opens while the files are read, as for kuke plan; invalid files are reported without it.
    const ahead = openHostAhead(paths);
    try {
      const { load } = await readManifests(files, this.context.stdin, { runPath: paths.runPath });
      if (load.errorCount === 0) writeLoadWarnings(load, streams);
      return await runApplySession({
        paths: load.errorCount === 0 ? await ahead.paths() : paths,
        request,
        input: { kind: "manifests", load },
        streams,
        stdin: this.context.stdin,
        env: this.context.env,
        autoApprove: this.autoApprove,
        json,
        progress,
        destroy: true,
        parallelism,
        lockTimeoutMs,
        interrupts: interruptsOf(this.context),
        command: "kuke destroy",
      });
    } finally {
      ahead.close();
    }
  }
}
