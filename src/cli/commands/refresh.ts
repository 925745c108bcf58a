import { Command } from "clipanion";
import { refreshDrift } from "../../runner/imperative/inspect.js";
import { KukeCommand } from "../kuke-command.js";

export class RefreshCommand extends KukeCommand {
  static override paths = [["refresh"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "read the host and show what drifted from kuke's records",
    details: `
      Reads containerd, CNI and cgroups and compares them with what kuke recorded: tasks that
      exited outside kuke, missing containers, cgroups, networks, pins. Changes nothing; \`kuke
      apply\` (or \`kuke start\`) repairs what it shows. Tasks stopped with \`kuke stop\` are
      listed as such, and so is what an interrupted apply left in containerd (a snapshot no
      container uses, a lease whose kuke is gone), which \`kuke apply\` removes.
    `,
    examples: [
      ["Show drift", "$0 refresh"],
      ["Show drift of a test host", "$0 refresh --run-path /tmp/kuke-test"],
    ],
  });

  async run(): Promise<number> {
    const r = await refreshDrift({ ...this.hostPaths() });
    const out = this.context.stdout;
    if (r.orphans.length > 0) {
      out.write(`Left by an interrupted apply in containerd (${r.orphans.length}; kuke apply removes them):\n`);
      for (const o of r.orphans)
        out.write(`  ${o.address}: ${o.object} ${o.id} in namespace ${o.namespace}, ${o.text}\n`);
    }
    if (r.drift.length === 0) {
      out.write(`No drift: the host matches kuke's records (${r.resources} resource(s)).\n`);
      return 0;
    }
    out.write(`Drift found (${r.drift.length}):\n`);
    for (const d of r.drift) out.write(`  ${d.address}: ${d.text}\n`);
    return 0;
  }
}
