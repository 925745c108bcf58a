/**
 * The managed containerd's systemd unit: its content, the install sequence against a fake systemd
 * that records calls, the no-systemd report, and `initHost` on a "systemd" host whose fake runs the
 * unit's ExecStartPre/ExecStart lines as systemd would, so the unit's command really starts a
 * daemon that answers. (This machine has no systemd.)
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { managedPaths } from "../../../src/executors/containerd/managed.js";
import {
  installManagedUnit,
  managedUnitName,
  managedUnitState,
  managedUnitText,
  type Systemd,
} from "../../../src/executors/containerd/managed-unit.js";
import { isKukeError } from "../../../src/model/errors.js";
import { initHost } from "../../../src/runner/operations/init.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/containerd/managed-unit");

/** A systemd that records systemctl calls; `onStart` plays systemd's part for `enable --now`. */
class FakeSystemd implements Systemd {
  calls: string[] = [];
  enabled = new Set<string>();
  failOn: string | undefined;
  constructor(
    readonly unitDir: string,
    private readonly isRunning = true,
    private readonly onStart: (unitFile: string) => void = () => {},
  ) {}
  running(): boolean {
    return this.isRunning;
  }
  async systemctl(args: readonly string[]) {
    const line = args.join(" ");
    this.calls.push(line);
    if (this.failOn !== undefined && line.startsWith(this.failOn))
      return { code: 1, stdout: "", stderr: "Access denied" };
    const [verb, ...rest] = args;
    const name = rest.at(-1) ?? "";
    if (verb === "enable") {
      this.enabled.add(name);
      if (rest.includes("--now")) this.onStart(join(this.unitDir, name));
      return { code: 0, stdout: "", stderr: "" };
    }
    if (verb === "is-enabled")
      return this.enabled.has(name) ? ok("enabled\n") : { code: 1, stdout: "disabled\n", stderr: "" };
    if (verb === "is-active")
      return this.enabled.has(name) ? ok("active\n") : { code: 3, stdout: "inactive\n", stderr: "" };
    return ok("");
  }
}
const ok = (stdout: string) => ({ code: 0, stdout, stderr: "" });

let dir = "";
t.before(async () => {
  dir = await mkdtemp("/tmp/kuke-unit-");
  onTeardown(`rm ${dir}`, () => rm(dir, { recursive: true, force: true }));
});
t.after(() => rm(dir, { recursive: true, force: true }));

t("the unit runs containerd with kuke's config, restarts it always, starts at boot, spares the shims", () => {
  const paths = managedPaths({ runPath: "/var/lib/kuke", runtimeDir: "/run/kuke" });
  const text = managedUnitText({ paths, containerd: "/usr/bin/containerd", runPath: "/var/lib/kuke" });
  const lines = text.split("\n");
  for (const l of [
    "ExecStart=/usr/bin/containerd --config /var/lib/kuke/containerd/config.toml",
    "ExecStartPre=/bin/mkdir -p /run/kuke/containerd /run/kuke/containerd/state",
    "Restart=always",
    "KillMode=process",
    "Delegate=yes",
    "Type=notify",
    "WantedBy=multi-user.target",
  ]) {
    assert.ok(lines.includes(l), l);
  }
  assert.ok(
    lines.indexOf("[Unit]") < lines.indexOf("[Service]") && lines.indexOf("[Service]") < lines.indexOf("[Install]"),
  );
  assert.is(managedUnitName("/var/lib/kuke"), "kuke-containerd.service");
  assert.match(managedUnitName("/srv/kuke"), /^kuke-containerd-[0-9a-f]{8}\.service$/);
  assert.is.not(managedUnitName("/srv/kuke"), managedUnitName("/srv/kuke2"));
});

t("without systemd: the state says so and names the command to run at boot", async () => {
  const paths = managedPaths({ runPath: join(dir, "a"), runtimeDir: join(dir, "ar") });
  const fake = new FakeSystemd(join(dir, "units-a"), false);
  const s = await managedUnitState(fake, { paths, runPath: join(dir, "a"), containerd: "/usr/bin/containerd" });
  assert.equal(s, {
    kind: "no-systemd",
    name: managedUnitName(join(dir, "a")),
    bootCommand: `/usr/bin/containerd --config ${paths.config}`,
  });
  assert.equal(fake.calls, [], "systemctl is not called");
});

t("install: writes the unit 0644, daemon-reload, enable --now; a re-run only re-enables", async () => {
  const runPath = join(dir, "b");
  const paths = managedPaths({ runPath, runtimeDir: join(dir, "br") });
  const fake = new FakeSystemd(join(dir, "units-b"));
  const o = { paths, runPath, containerd: "/usr/bin/containerd" };
  const name = managedUnitName(runPath);
  assert.equal(await managedUnitState(fake, o), { kind: "not-installed", name });
  const s = await installManagedUnit(fake, o);
  const file = join(fake.unitDir, name);
  assert.equal(s, { kind: "installed", name, file, enabled: "enabled", active: "active" });
  assert.is(readFileSync(file, "utf8"), managedUnitText(o));
  assert.is(statSync(file).mode & 0o777, 0o644);
  assert.equal(fake.calls.slice(0, 2), ["daemon-reload", `enable --now ${name}`]);
  fake.calls = [];
  await installManagedUnit(fake, o);
  assert.equal(fake.calls.slice(0, 1), [`enable --now ${name}`], "unchanged unit: no reload");
  fake.failOn = "enable";
  const refused = await installManagedUnit(fake, o).catch((e: unknown) => e);
  assert.ok(isKukeError(refused, "unavailable"), String(refused));
  assert.match((refused as Error).message, "systemctl enable --now");
});

t("kuke init --managed-containerd on a systemd host: the unit's own command brings the daemon up", async () => {
  const runPath = join(dir, "c");
  const runtimeDir = join(dir, "cr");
  let pid: number | undefined;
  const stopDaemon = () => {
    if (pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  onTeardown("managed-unit daemon", stopDaemon);
  // systemd's part: run ExecStartPre, then ExecStart detached, as the unit says.
  const fake = new FakeSystemd(join(dir, "units-c"), true, (unitFile) => {
    const text = readFileSync(unitFile, "utf8");
    const value = (key: string) => (text.split("\n").find((l) => l.startsWith(`${key}=`)) ?? "").slice(key.length + 1);
    const [preCmd = "", ...preArgs] = value("ExecStartPre").split(" ");
    execFileSync(preCmd, preArgs);
    const [cmd = "", ...args] = value("ExecStart").split(" ");
    const child = spawn(cmd, args, { detached: true, stdio: "ignore" });
    pid = child.pid;
    child.unref();
  });
  try {
    const r = await initHost({
      runPath,
      runtimeDir,
      containerdAddress: join(dir, "none.sock"),
      managedContainerd: true,
      systemd: fake,
    });
    const socket = managedPaths({ runPath, runtimeDir }).socket;
    assert.is(r.containerd.effectiveAddress, socket);
    assert.is(r.containerd.managed?.reachable, true);
    assert.is(r.containerd.startedManaged, undefined, "systemd started it, not kuke");
    assert.is(r.containerd.unit?.kind, "installed");
    assert.ok(existsSync(join(fake.unitDir, managedUnitName(runPath))));
    assert.ok(fake.calls.includes(`enable --now ${managedUnitName(runPath)}`));
    // --no-unit on the same host: the state is reported as skipped, nothing is enabled again.
    fake.calls = [];
    const skipped = await initHost({
      runPath,
      runtimeDir,
      containerdAddress: join(dir, "none.sock"),
      managedContainerd: true,
      unit: false,
      systemd: fake,
    });
    assert.is(skipped.containerd.unit?.kind, "skipped");
    assert.not.ok(fake.calls.some((c) => c.startsWith("enable")));
  } finally {
    stopDaemon();
  }
});

t.run();
