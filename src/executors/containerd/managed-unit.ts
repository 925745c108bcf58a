/**
 * The systemd unit that keeps kuke's managed containerd up across crashes and reboots
 * (`kuke init --managed-containerd`). systemd is reached through the narrow `Systemd` port, so
 * the unit's content and the install sequence are testable on hosts without systemd (this one).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { KukeError } from "../../model/errors.js";
import type { ManagedPaths } from "./managed.js";

/** The default run path's unit name; another run path gets a suffix so two kukes never share one. */
const UNIT_BASE = "kuke-containerd";
const DEFAULT_RUN_PATH = "/var/lib/kuke";

/** What kuke asks of systemd. */
export interface Systemd {
  /** Whether systemd manages this host (as sd_booted(3): `/run/systemd/system` exists). */
  running(): boolean;
  /** Where unit files are installed. @default "/etc/systemd/system" */
  readonly unitDir: string;
  /**
   * Runs `systemctl ARGS`; resolves with its exit code and output, never rejects for a non-zero
   * exit (`is-enabled` and `is-active` answer with their exit code).
   */
  systemctl(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** The host's systemd. */
export function hostSystemd(): Systemd {
  return {
    running: () => existsSync("/run/systemd/system"),
    unitDir: "/etc/systemd/system",
    systemctl: (args) =>
      new Promise((resolve) => {
        execFile("systemctl", [...args], (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
          resolve({ code, stdout: String(stdout), stderr: String(stderr || (error?.message ?? "")) });
        });
      }),
  };
}

/** `kuke-containerd.service` for the default run path, `kuke-containerd-<8 hex>.service` for others. */
export function managedUnitName(runPath: string): string {
  if (runPath === DEFAULT_RUN_PATH) return `${UNIT_BASE}.service`;
  return `${UNIT_BASE}-${createHash("sha256").update(runPath).digest("hex").slice(0, 8)}.service`;
}

/**
 * The unit: containerd with kuke's managed config, restarted whenever it exits, started at boot.
 * `KillMode=process` stops only containerd, so containers' shims (and the containers) outlive a
 * restart, as with containerd's own unit; `Delegate=yes` lets it manage the cgroups it creates.
 */
export function managedUnitText(o: { paths: ManagedPaths; containerd: string; runPath: string }): string {
  const socketDir = o.paths.socket.slice(0, o.paths.socket.lastIndexOf("/"));
  return [
    "# Written by kuke init --managed-containerd; kuke rewrites it on each such run.",
    "[Unit]",
    `Description=containerd managed by kuke (run path ${o.runPath})`,
    "After=network.target local-fs.target",
    "",
    "[Service]",
    // The runtime dir is on tmpfs: after a reboot its folders must be made again.
    `ExecStartPre=/bin/mkdir -p ${socketDir} ${o.paths.state}`,
    `ExecStart=${o.containerd} --config ${o.paths.config}`,
    "Type=notify",
    "Delegate=yes",
    "KillMode=process",
    "Restart=always",
    "RestartSec=5",
    "LimitNOFILE=infinity",
    "LimitNPROC=infinity",
    "LimitCORE=infinity",
    "TasksMax=infinity",
    "OOMScoreAdjust=-999",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The unit as `kuke init` reports it. */
export type UnitState =
  | { kind: "no-systemd"; name: string; bootCommand: string }
  | { kind: "skipped"; name: string }
  | { kind: "not-installed"; name: string }
  | { kind: "installed"; name: string; file: string; enabled: string; active: string };

/** The command line a non-systemd init system should run at boot. */
export function bootCommand(paths: ManagedPaths, containerd: string): string {
  return `${containerd} --config ${paths.config}`;
}

/** The unit's state: whether its file exists and what systemd says of it. Never throws. */
export async function managedUnitState(
  systemd: Systemd,
  o: { paths: ManagedPaths; runPath: string; containerd: string },
): Promise<UnitState> {
  const name = managedUnitName(o.runPath);
  if (!systemd.running()) return { kind: "no-systemd", name, bootCommand: bootCommand(o.paths, o.containerd) };
  const file = join(systemd.unitDir, name);
  if (!existsSync(file)) return { kind: "not-installed", name };
  const enabled = (await systemd.systemctl(["is-enabled", name])).stdout.trim() || "unknown";
  const active = (await systemd.systemctl(["is-active", name])).stdout.trim() || "unknown";
  return { kind: "installed", name, file, enabled, active };
}

/**
 * Writes the unit (when its content changed), reloads systemd and enables and starts it. Crash-only:
 * re-running finds the unit in place and only makes sure it is enabled and running.
 * @throws KukeError `unavailable` with systemctl's message when systemd refuses.
 */
export async function installManagedUnit(
  systemd: Systemd,
  o: { paths: ManagedPaths; runPath: string; containerd: string },
): Promise<UnitState> {
  const name = managedUnitName(o.runPath);
  const file = join(systemd.unitDir, name);
  const text = managedUnitText(o);
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current !== text) {
    // Unit files are world-readable, unlike kuke's records (src/fs writes those 0600).
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.kuke-tmp`, text, { mode: 0o644 });
    await rename(`${file}.kuke-tmp`, file);
    await must(systemd, ["daemon-reload"]);
  }
  await must(systemd, ["enable", "--now", name]);
  return managedUnitState(systemd, o);
}

async function must(systemd: Systemd, args: readonly string[]): Promise<void> {
  const r = await systemd.systemctl(args);
  if (r.code === 0) return;
  throw new KukeError("unavailable", `systemctl ${args.join(" ")} failed (exit ${r.code})`, {
    detail: r.stderr.trim() || undefined,
    remedy: "see journalctl -xe, or run kuke init --managed-containerd --no-unit to start containerd without a unit",
  });
}

/** The containerd binary's absolute path (units need one): the first `containerd` on PATH. */
export function containerdBinary(env: Record<string, string | undefined> = process.env): string {
  for (const dir of (env.PATH ?? "/usr/local/bin:/usr/bin:/bin").split(":")) {
    if (dir !== "" && existsSync(join(dir, "containerd"))) return join(dir, "containerd");
  }
  return "/usr/bin/containerd";
}
