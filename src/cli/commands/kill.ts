import { Command, Option } from "clipanion";
import { formatAddress } from "../../model/index.js";
import { signalName, signalNumber, TaskVerbCommand } from "../task-verb-command.js";

export class KillCommand extends TaskVerbCommand {
  static override paths = [["kill"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "send a signal to a cell's or a container's tasks",
    details: `
      Sends \`--signal\` (default KILL) to the tasks, a cell's workloads before its root. Like
      \`kuke stop\`, it records that the tasks are meant to be down, so \`kuke apply\` does not
      restart them, and neither does containerd's restart monitor; \`kuke start\` does.
    `,
    examples: [
      ["Kill a cell", "$0 kill cell web --realm shop --space apps --stack front"],
      [
        "Send SIGTERM to a container",
        "$0 kill container app --realm shop --space apps --stack front --cell web --signal TERM",
      ],
    ],
  });

  signal = Option.String("-s,--signal", "KILL", { description: "Signal name (KILL, TERM, INT, …) or number" });

  async run(): Promise<number> {
    const target = this.target();
    const r = await this.withRunner((runner) => runner.kill(target, signalNumber(this.signal)));
    return this.reportChange(r, `Sent SIG${signalName(signalNumber(this.signal))} to ${formatAddress(target)}.`);
  }
}
