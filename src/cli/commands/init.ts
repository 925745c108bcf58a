import { Command, Option } from "clipanion";
import type { UnitState } from "../../executors/containerd/managed-unit.js";
import { isKukeError } from "../../model/index.js";
import { type InitResult, initHost } from "../../runner/operations/init.js";
import { ensureDefaultRealm } from "../../runner/operations/init-realm.js";
import { KukeCommand } from "../kuke-command.js";

export class InitCommand extends KukeCommand {
  static override paths = [["init"]];
  static override usage = Command.Usage({
    category: "Other commands",
    description: "prepare this host for kuke and create realm default",
    details: `
      Reports what kuke needs: whether containerd answers (and its version), which CNI plugins
      were found and where, the cgroup layout, and the run path. Creates kuke's root cgroup
      \`/kukeon\` and the run path, then creates realm \`default\` (through plan and apply, like any
      change) so manifests that only reference it work.

      With \`--managed-containerd\`, when no containerd answers, kuke starts its own (state under
      the run path and runtime dir) and later commands find it by themselves. On a host run by
      systemd, kuke installs, enables and starts a unit for it (\`kuke-containerd.service\`), so it
      is restarted after a crash and started at boot; \`--no-unit\` starts it without one. Without
      systemd kuke starts it directly and prints the command to run at boot. The report shows the
      unit's state.

      Exits 0 when the host is ready, 1 when containerd does not answer or a CNI plugin is missing
      (the report says which), or creating realm default failed.
    `,
    examples: [
      ["Check and prepare the host", "$0 init"],
      ["Start kuke's own containerd if none runs", "$0 init --managed-containerd"],
    ],
  });

  managedContainerd = Option.Boolean("--managed-containerd", false, {
    description: "Start kuke's own containerd when none answers (a systemd unit keeps it up)",
  });
  noUnit = Option.Boolean("--no-unit", false, {
    description: "With --managed-containerd: start it without installing a systemd unit",
  });
  json = Option.Boolean("--json", false, { description: "Print the report as JSON" });

  async run(): Promise<number> {
    const paths = this.hostPaths();
    const r = await initHost({
      ...paths,
      managedContainerd: this.managedContainerd,
      unit: !this.noUnit,
      createDefaultRealm: (address) => ensureDefaultRealm({ ...paths, containerdAddress: address }),
    });
    const ready = isReady(r);
    if (this.json) {
      const realm = r.defaultRealm;
      const report = {
        format_version: "1",
        ready,
        ...r,
        defaultRealm:
          realm === undefined
            ? undefined
            : realm.status === "failed"
              ? { status: "failed", error: describe(realm.error) }
              : realm,
      };
      this.context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return ready ? 0 : 1;
    }
    this.context.stdout.write(renderInit(r, ready));
    return ready ? 0 : 1;
  }
}

function isReady(r: InitResult): boolean {
  return (
    r.containerd.effectiveAddress !== undefined &&
    r.cni.plugins.every((p) => p.path !== undefined) &&
    r.defaultRealm?.status !== "failed"
  );
}

function describe(e: unknown): string {
  if (isKukeError(e)) return e.format().replace(/^Error: /, "");
  if (e !== null && typeof e === "object" && "summary" in e) return String((e as { summary: unknown }).summary);
  return String(e);
}

function renderInit(r: InitResult, ready: boolean): string {
  const lines: string[] = [];
  const c = r.containerd;
  // The managed daemon can be the configured address too (--containerd-address at its socket): its
  // probe, taken after it started, is the one that knows the version.
  const managed = c.managed?.reachable === true && c.managed.address === c.effectiveAddress;
  const probe = managed
    ? c.managed!
    : c.effectiveAddress === c.configured.address
      ? c.configured
      : (c.managed ?? c.configured);
  if (c.effectiveAddress !== undefined) {
    lines.push(
      `containerd: ${probe.version ?? "?"} at ${c.effectiveAddress}${managed ? " (kuke's managed daemon)" : ""}`,
    );
    if (c.startedManaged) lines.push(`  started kuke's managed containerd (pid ${c.startedManaged.pid})`);
  } else {
    lines.push(
      `containerd: not reachable at ${c.configured.address} (${c.configured.problem?.message ?? "no answer"})`,
    );
    lines.push("  Remedy: start containerd, pass --containerd-address, or run kuke init --managed-containerd");
  }
  if (c.unit !== undefined) lines.push(...renderUnit(c.unit));
  lines.push(`CNI plugins (${r.cni.pluginDirs.map((d) => `${d.dir}${d.present ? "" : " (missing)"}`).join(", ")}):`);
  for (const p of r.cni.plugins) lines.push(`  ${p.type}: ${p.path ?? "NOT FOUND"}`);
  if (r.cni.cniVersion) lines.push(`  CNI version: ${r.cni.cniVersion}`);
  lines.push(
    `cgroups: ${r.cgroups.layout}${r.cgroups.unifiedMount ? ` (unified at ${r.cgroups.unifiedMount})` : ""}, driver ${r.cgroups.driver}; root cgroup ${r.cgroups.root} ready`,
  );
  lines.push(`run path: ${r.runPath}`, `runtime dir: ${r.runtimeDir}`);
  const realm = r.defaultRealm;
  if (realm === undefined) lines.push("realm default: not created (containerd is not reachable)");
  else if (realm.status === "failed") lines.push(`realm default: FAILED: ${describe(realm.error)}`);
  else lines.push(`realm default: ${realm.status === "created" ? "created" : "present"}`);
  lines.push("", ready ? "The host is ready for kuke." : "The host is not ready; see above.");
  return `${lines.join("\n")}\n`;
}

function renderUnit(u: UnitState): string[] {
  switch (u.kind) {
    case "installed":
      return [`  systemd unit ${u.name}: ${u.enabled}, ${u.active} (${u.file})`];
    case "not-installed":
      return [`  systemd unit ${u.name}: not installed (kuke init --managed-containerd installs it)`];
    case "skipped":
      return [
        `  systemd unit ${u.name}: not installed (--no-unit): nothing restarts containerd after a crash or reboot`,
      ];
    case "no-systemd":
      return [
        "  no systemd on this host: nothing restarts kuke's containerd after a crash or a reboot.",
        `  To start it at boot, have your init system run: ${u.bootCommand}`,
        "  (or run kuke init --managed-containerd again after each boot)",
      ];
  }
}
