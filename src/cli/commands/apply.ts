import { Command, Option } from "clipanion";
import { KukeError } from "../../model/index.js";
import type { HostPaths } from "../../runner/host-paths.js";
import { parseImpact } from "../../runner/impact.js";
import { parseDuration } from "../../runner/lock-timeout.js";
import { loadDesiredState, readManifests } from "../../runner/manifests.js";
import { openHostAhead } from "../../runner/open-host.js";
import type { ApplyInput } from "../../runner/operations/apply.js";
import { readSavedPlan } from "../../runner/saved-plan.js";
import { checkApprovalPossible, parseStructuredFormat, refuseNoRefresh, runApplySession } from "../apply-session.js";
import { interruptsOf } from "../interrupts.js";
import type { OutputStream } from "../output-style.js";
import { PlanFlagsCommand, PULL_DESCRIPTION, parseParallelism, parsePull } from "../plan-flags.js";
import { type PlanStreams, writeLoadWarnings } from "../plan-output.js";
import { resolveProgress } from "../progress.js";

export class ApplyCommand extends PlanFlagsCommand {
  static override paths = [["apply"]];
  /** The required arguments, for the help\'s usage line. */
  static synopsis = "(-f FILE... | PLANFILE)";
  static override usage = Command.Usage({
    category: "Main commands",
    description: "make the host match the manifests (or run a saved plan)",
    details: `
      Takes the run-path lock (waiting up to \`--lock-timeout\`, exit 6 when another kuke keeps it),
      reads the host, plans, prints the plan and, after approval, runs it as a graph of steps with
      at most \`--parallelism\` at once, printing a line as each step starts and ends.

      Approval: \`--auto-approve\` skips it; on a terminal kuke asks and only \`yes\` approves;
      without a terminal and without \`--auto-approve\` kuke refuses at once (exit 64) and changes
      nothing.

      With PLANFILE (from \`kuke plan --out\`) the saved plan runs as it was shown, without asking
      again, unless the host changed since: then kuke refuses (exit 4) and names what moved.

      Ctrl-C stops starting new steps, lets running ones finish, records the journal and exits 8.
      A step that fails skips what depends on it; independent steps finish; the report lists
      succeeded, failed (with the error), skipped and not started, and kuke exits 3.

      Exit codes: 0 done (or no changes), 1 errors in the plan or not approved, 3 partly failed,
      4 stale saved plan, 5 refused by a guard (--max-impact, or \`lifecycle.preventDestroy\` on a resource
      the plan would delete or replace), 6 lock held, 8 cancelled, 64 usage, 65 invalid files.
    `,
    examples: [
      ["Apply a stack, asking first", "$0 apply -f stack.yaml"],
      ["Apply a saved plan", "$0 apply stack.plan"],
      ["As kukeon does: no question, the result as JSON", "$0 apply -f stack.yaml -o json"],
    ],
  });

  planFile = Option.String({ name: "PLANFILE", required: false });
  autoApprove = Option.Boolean("--auto-approve", false, { description: "Apply without asking" });
  parallelism = Option.String("--parallelism", "10", { description: "Steps run at once (default 10)" });
  json = Option.Boolean("--json", false, {
    description: "For CI: JSON progress events, one per line, then the result (needs --auto-approve)",
  });
  output = Option.String("-o,--output", {
    description: "json or yaml: print the result as one document without asking, as kukeon's apply does",
  });
  pull = Option.String("--pull", { description: PULL_DESCRIPTION });
  maxImpact = Option.String("--max-impact", { description: "Refuse plans beyond: live, restart, recreate or delete" });
  lockTimeout = Option.String("--lock-timeout", "30s", { description: "How long to wait for the lock (default 30s)" });
  progress = Option.String("--progress", {
    description: "auto (default: a live count of steps on a terminal), plain, or json (the same as --json)",
  });

  async run(): Promise<number> {
    const paths = this.hostPaths();
    if ((this.planFile === undefined) === (this.files.length === 0)) {
      throw new KukeError("usage", "give either -f FILE… or a saved PLANFILE", {
        remedy: "kuke apply -f stack.yaml, or kuke apply stack.plan",
      });
    }
    if (
      this.planFile !== undefined &&
      (this.targets.length > 0 || this.replaces.length > 0 || this.prune || this.pull !== undefined)
    ) {
      throw new KukeError(
        "usage",
        "--target, --replace, --prune and --pull belong to the plan; a saved plan already has them",
        {
          remedy: "pass them to kuke plan … --out FILE instead",
        },
      );
    }
    const parallelism = parseParallelism(this.parallelism);
    const maxImpact = this.maxImpact !== undefined ? parseImpact(this.maxImpact) : undefined;
    const lockTimeoutMs = parseDuration("--lock-timeout", this.lockTimeout);
    const pull = parsePull(this.pull);
    const request = { ...this.planRequest(), ...(pull !== undefined ? { pull } : {}) };
    const format = this.output !== undefined ? parseStructuredFormat(this.output) : undefined;
    // A saved plan was reviewed when it was saved (as with terraform apply PLANFILE): no question.
    // kukeon's `apply -o json|yaml` never asks either; kuke keeps that meaning for its users' scripts.
    const approved = this.autoApprove || this.planFile !== undefined || format !== undefined;
    const { json, progress } = resolveProgress({
      json: this.json,
      progress: this.progress,
      structured: format !== undefined,
    });
    refuseNoRefresh(this.refreshEnabled(), "apply");
    checkApprovalPossible({ autoApprove: approved, stdin: this.context.stdin, verb: "apply", json });
    const streams: PlanStreams = {
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      colorOut: this.colored(this.context.stdout as OutputStream),
      colorErr: this.colored(this.context.stderr as OutputStream),
    };
    // The host opens while the files are read, as for kuke plan; invalid files are reported without it.
    const ahead = openHostAhead(paths);
    try {
      const input = await this.readInput(paths, streams);
      const valid = input.kind !== "manifests" || input.load.errorCount === 0;
      return await runApplySession({
        paths: valid ? await ahead.paths() : paths,
        request,
        input,
        streams,
        stdin: this.context.stdin,
        env: this.context.env,
        autoApprove: approved,
        json,
        progress,
        ...(format !== undefined ? { format } : {}),
        destroy: false,
        parallelism,
        ...(maxImpact ? { maxImpact } : {}),
        lockTimeoutMs,
        interrupts: interruptsOf(this.context),
        command: "kuke apply",
      });
    } finally {
      ahead.close();
    }
  }

  private async readInput(paths: HostPaths, streams: PlanStreams): Promise<ApplyInput> {
    if (this.planFile !== undefined) {
      const saved = await readSavedPlan(this.planFile);
      return {
        kind: "saved",
        file: this.planFile,
        saved,
        loadFiles: (files) => loadDesiredState(files, this.context.stdin),
      };
    }
    const { load } = await readManifests(this.files, this.context.stdin, { runPath: paths.runPath });
    if (load.errorCount === 0) writeLoadWarnings(load, streams);
    return { kind: "manifests", load };
  }
}
