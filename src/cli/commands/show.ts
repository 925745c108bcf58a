import { Command, Option } from "clipanion";
import { readSavedPlan } from "../../runner/saved-plan.js";
import { KukeCommand } from "../kuke-command.js";
import type { OutputStream } from "../output-style.js";
import { writePlan } from "../plan-output.js";

export class ShowCommand extends KukeCommand {
  static override paths = [["show"]];
  static override usage = Command.Usage({
    category: "Other commands",
    description: "print a saved plan",
    details: `
      Renders a plan written by \`kuke plan --out FILE\` exactly as plan printed it, or as the
      versioned JSON plan with \`--json\`. Reads only the file; the host is not looked at.
    `,
    examples: [
      ["Show a saved plan", "$0 show stack.plan"],
      ["As JSON", "$0 show stack.plan --json"],
    ],
  });

  file = Option.String({ name: "PLANFILE" });
  json = Option.Boolean("--json", false, { description: "Print the plan as versioned JSON" });

  async run(): Promise<number> {
    this.globals();
    const saved = await readSavedPlan(this.file);
    const stdout = this.context.stdout as OutputStream;
    writePlan(
      saved.plan,
      { stdout, stderr: this.context.stderr, colorOut: this.colored(stdout), colorErr: false },
      this.json,
    );
    return 0;
  }
}
