import { Command, Option } from "clipanion";
import { formatAddress } from "../../model/index.js";
import { parseKind, ResourceCommand } from "../resource-flags.js";

export class PurgeCommand extends ResourceCommand {
  static override paths = [["purge"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "remove a resource and everything kuke can find of it on the host",
    details: `
      Deletes through kuke's records when they allow it, then finds what is left on the host by
      labels and names (containerd containers, tasks and snapshots, cgroups, CNI attachments and
      networks, netns pins, iptables chains, logs) and removes it with the same steps apply and
      destroy run, even when the records are gone or corrupt. It also forgets the records of the
      resource and everything inside it. A realm's containerd namespace is kept while it still
      holds images.

      A purge always covers everything inside the resource and never stops at a failed check
      (lifecycle.preventDestroy included: purge is the emergency tool; it warns and goes on),
      so kukeon's \`--cascade\` and \`--force\` are accepted and change nothing.

      Exits 1 when something could not be removed (each object is listed; what depended on it
      is listed as skipped), 8 when cancelled.
    `,
    examples: [
      ["Purge a realm", "$0 purge realm shop"],
      ["Purge a cell", "$0 purge cell web --realm shop --space apps --stack front"],
      ["As kukeon users write it", "$0 purge realm shop --cascade --force"],
    ],
  });

  kind = Option.String({ name: "KIND" });
  name = Option.String({ name: "NAME" });
  // kukeon's flags: kuke's purge always does what they ask (children included, no check stops it).
  cascade = Option.Boolean("--cascade", false, { description: "Accepted (kukeon): purge always includes children" });
  force = Option.Boolean("--force", false, { description: "Accepted (kukeon): purge never stops at a check" });

  async run(): Promise<number> {
    const address = this.addressFor(parseKind(this.kind), this.name);
    const r = await this.withRunner((runner) => runner.purge(address));
    const out = this.context.stdout;
    for (const a of r.overriddenGuards ?? []) {
      this.context.stderr.write(`Warning: ${a} has lifecycle.preventDestroy; purge removes it regardless.\n`);
    }
    if (r.deleteProblem !== undefined) {
      this.context.stderr.write(
        `Deleting through records did not finish (${r.deleteProblem}); purging what is left.\n`,
      );
    }
    for (const item of r.report.items) {
      out.write(`${item.outcome.padEnd(7)} ${item.kind} ${item.name}${item.detail ? ` (${item.detail})` : ""}\n`);
    }
    const notDone = r.report.notDone > 0 ? `, ${r.report.notDone} not done` : "";
    if (r.report.items.length === 0 && r.recordsRemoved === 0 && r.deleted === undefined) {
      out.write(`Nothing to purge: kuke found nothing of ${formatAddress(address)} on this host.\n`);
      return 0;
    }
    const deleted = r.deleted?.result?.status === "succeeded" ? r.deleted.plan.summary.destroy : 0;
    const viaRecords = deleted > 0 ? `${deleted} resource(s) deleted through records, ` : "";
    out.write(
      `Purged ${formatAddress(address)}: ${viaRecords}${r.report.removed} object(s) removed, ${r.report.failed} failed${notDone}, ${r.recordsRemoved} record(s) forgotten.\n`,
    );
    if (r.result?.cancelled) return 8;
    return r.report.failed > 0 || r.report.notDone > 0 ? 1 : 0;
  }
}
