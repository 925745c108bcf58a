import { Command, Option } from "clipanion";
import { readSavedPlan } from "../../runner/saved-plan.js";
import { KukeCommand } from "../kuke-command.js";
import type { OutputStream } from "../output-style.js";
import { planFormat, writePlan } from "../plan-output.js";

export class ShowCommand extends KukeCommand {
  static override paths = [["show"]];
  static override usage = Command.Usage({
    category: "Other commands",
    description: "print a saved plan",
    details: `
      Renders a plan written by \`kuke plan --out FILE\` exactly as plan printed it, or as the
      versioned JSON plan with \`-o json\` (or \`--json\`), or as Markdown for a pull-request comment
      with \`-o markdown\`. Reads only the file; the host is not looked at.
    `,
    examples: [
      ["Show a saved plan", "$0 show stack.plan"],
      ["As JSON", "$0 show stack.plan -o json"],
      ["As Markdown for a pull-request comment", "$0 show stack.plan -o markdown > plan.md"],
    ],
  });

  file = Option.String({ name: "PLANFILE" });
  output = Option.String("-o,--output", { description: "human (default), json or markdown" });
  json = Option.Boolean("--json", false, { description: "Print the plan as versioned JSON (-o json)" });

  async run(): Promise<number> {
    this.globals();
    const format = planFormat(this.output, this.json);
    const saved = await readSavedPlan(this.file);
    const stdout = this.context.stdout as OutputStream;
    writePlan(
      saved.plan,
      { stdout, stderr: this.context.stderr, colorOut: this.colored(stdout), colorErr: false },
      format,
    );
    return 0;
  }
}
