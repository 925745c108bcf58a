import { Command } from "clipanion";
import { formatAddress } from "../../model/index.js";
import { TaskVerbCommand } from "../task-verb-command.js";

export class StartCommand extends TaskVerbCommand {
  static override paths = [["start"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "start a cell's or a container's tasks",
    details: `
      Starts what \`kuke stop\` or \`kuke kill\` stopped and forgets that it was asked to stay
      down. A cell whose root task is gone is recreated (its network namespace died with the
      root). A workload container starts only while its cell's root runs.
    `,
    examples: [
      ["A cell, as kukeon names it (no kind)", "$0 start web --realm shop --space apps --stack front"],
      ["Start a cell", "$0 start cell web --realm shop --space apps --stack front"],
      ["Start one container of it", "$0 start container app --realm shop --space apps --stack front --cell web"],
    ],
  });

  async run(): Promise<number> {
    const target = this.target();
    const r = await this.withRunner((runner) => runner.start(target));
    return this.reportChange(r, `Started ${formatAddress(target)}.`);
  }
}
