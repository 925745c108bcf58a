import { Command } from "clipanion";
import { formatAddress } from "../../model/index.js";
import { TaskVerbCommand } from "../task-verb-command.js";

export class StopCommand extends TaskVerbCommand {
  static override paths = [["stop"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "stop a cell's or a container's tasks",
    details: `
      Stops the tasks (SIGTERM, a grace period, then SIGKILL); a cell stops its workloads first,
      then its root. kuke records that they were stopped on purpose: \`kuke plan\` shows them as
      "stopped by kuke stop" and \`kuke apply\` leaves them stopped until \`kuke start\`. A task
      with a restart policy is first taken back from containerd's restart monitor, so it stays down.
    `,
    examples: [
      ["A cell, as kukeon names it (no kind)", "$0 stop web --realm shop --space apps --stack front"],
      ["Stop a cell", "$0 stop cell web --realm shop --space apps --stack front"],
      ["Stop a container", "$0 stop container app --realm shop --space apps --stack front --cell web"],
    ],
  });

  async run(): Promise<number> {
    const target = this.target();
    const r = await this.withRunner((runner) => runner.stop(target));
    return this.reportChange(r, `Stopped ${formatAddress(target)}.`);
  }
}
