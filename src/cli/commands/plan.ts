import { Command, Option } from "clipanion";
import type { HostPaths } from "../../runner/host-paths.js";
import { readManifests } from "../../runner/manifests.js";
import { type HostAhead, openHostAhead } from "../../runner/open-host.js";
import { hasChanges, hasErrors, planErrorExitCode, planManifests } from "../../runner/operations/plan.js";
import type { PlanRequest } from "../../runner/planning.js";
import { writeSavedPlan } from "../../runner/saved-plan.js";
import { diagnosticStyle, type OutputStream } from "../output-style.js";
import { PlanFlagsCommand, PULL_DESCRIPTION, parsePull } from "../plan-flags.js";
import {
  type PlanFormat,
  type PlanStreams,
  planFormat,
  warningWriter,
  writeLoadWarnings,
  writePlan,
} from "../plan-output.js";
import { writeValidation } from "../validation-output.js";

export class PlanCommand extends PlanFlagsCommand {
  static override paths = [["plan"]];
  /** The required arguments, for the help\'s usage line. */
  static synopsis = "-f FILE...";
  static override usage = Command.Usage({
    category: "Main commands",
    description: "show what apply would change on this host",
    details: `
      Validates the files (exit 65 on errors, with every problem listed), reads the host (containerd,
      CNI, cgroups and kuke's records) and prints the changes that would make the host match them,
      Terraform-style, with the reason for every replacement and anything changed outside kuke.
      Nothing is changed. Plan takes no lock: apply always re-plans under the lock, and a saved plan
      is checked against the host before it runs.

      \`-o markdown\` prints the plan for a pull-request comment (GitHub, GitLab): a summary line and
      one collapsible block per resource, replacements and deletions first, secrets masked. \`-o json\`
      (or \`--json\`) prints the versioned JSON plan; \`kuke schema plan\` prints its JSON Schema.

      \`--out FILE\` saves the plan (mode 0600, without any password or secret value) for
      \`kuke apply FILE\`, which refuses it (exit 4) if the host changed meanwhile.

      Every image tag is resolved to a digest, shown in the plan and kept in a saved plan, which
      then runs exactly that content. \`imagePullPolicy\` (or \`--pull\`, for every container) says
      how: IfNotPresent asks the registry again for images kuke pulled (an unreachable registry is
      a warning, the local image is used) and uses images loaded with \`kuke image load\` as they
      are; Always must reach the registry; Never uses only local images.

      Exit codes: 0 success, 1 the plan has errors (errors go to stderr; an image that is neither
      loaded nor pullable is one), 2 with \`--detailed-exitcode\` when there are changes, 5 the plan
      would delete or replace a resource with \`lifecycle.preventDestroy\`, 64 usage, 65 invalid files.
    `,
    examples: [
      ["Plan a stack", "$0 plan -f stack.yaml"],
      ["Save the plan to apply it later", "$0 plan -f stack.yaml --out stack.plan"],
      [
        "In CI: a plan to post on the pull request, exit 2 when the host differs",
        "$0 plan -f stack.yaml -o markdown --detailed-exitcode > plan.md",
      ],
    ],
  });

  out = Option.String("--out", { description: "Save the plan to this file for kuke apply FILE" });
  output = Option.String("-o,--output", { description: "human (default), json or markdown" });
  json = Option.Boolean("--json", false, { description: "Print the plan as versioned JSON (-o json)" });
  detailedExitcode = Option.Boolean("--detailed-exitcode", false, { description: "Exit 2 when there are changes" });
  destroy = Option.Boolean("--destroy", false, { description: "Plan the deletion of everything the files declare" });
  pull = Option.String("--pull", { description: PULL_DESCRIPTION });

  async run(): Promise<number> {
    const paths = this.hostPaths();
    const pull = parsePull(this.pull);
    const request = { ...this.planRequest({ destroy: this.destroy }), ...(pull !== undefined ? { pull } : {}) };
    const format = planFormat(this.output, this.json);
    const files = this.requireFiles();
    // The host opens while the files are read; invalid files are reported without it.
    const ahead = request.refresh === false ? undefined : openHostAhead(paths);
    try {
      return await this.planFiles(files, paths, request, format, ahead);
    } finally {
      ahead?.close();
    }
  }

  private async planFiles(
    files: string[],
    paths: HostPaths,
    request: PlanRequest,
    format: PlanFormat,
    ahead: HostAhead | undefined,
  ): Promise<number> {
    const { load, sources } = await readManifests(files, this.context.stdin, { runPath: paths.runPath });
    const s: PlanStreams = {
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      colorOut: this.colored(this.context.stdout as OutputStream),
      colorErr: this.colored(this.context.stderr as OutputStream),
    };
    if (load.errorCount > 0) {
      return writeValidation(load, {
        stdout: s.stdout,
        stderr: s.stderr,
        json: format === "json",
        style: diagnosticStyle(s.colorErr),
      });
    }
    writeLoadWarnings(load, s);
    const outcome = await planManifests({
      ...(ahead !== undefined ? await ahead.paths() : paths),
      ...request,
      load,
      sources,
      onWarning: warningWriter(s),
      env: this.context.env,
    });
    if (outcome.kind === "invalid") return 65;
    writePlan(outcome.plan, s, format);
    if (hasErrors(outcome.plan)) return planErrorExitCode(outcome.plan);
    if (this.out !== undefined) {
      await writeSavedPlan(this.out, outcome.saved);
      // Markdown and JSON on stdout are meant to be posted or parsed as they are.
      const note = `Saved the plan to ${this.out}; apply it with: kuke apply ${this.out}\n`;
      if (format === "human") this.context.stdout.write(`\n${note}`);
      else if (format === "markdown") this.context.stderr.write(note);
    }
    return this.detailedExitcode && hasChanges(outcome.plan) ? 2 : 0;
  }
}
