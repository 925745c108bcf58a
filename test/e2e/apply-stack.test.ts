/**
 * kuke end to end on the real host: `kuke` run in-process against the harness containerd, a
 * temporary run path and runtime dir, the busybox image and the example stack under a unique
 * realm. The tests run in order and share the host; everything is destroyed and leak-checked at
 * the end (and by teardown if a test fails).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cellAddress, cgroupPath, netnsName } from "../../src/model/index.js";
import { CELLS, environOf, recordsSnapshot, SPACE, STACK, type StackHost, stackHost, waitFor } from "./stack-host.js";
import { cellLeaks } from "./stack-leaks.js";

const t = suite("e2e/apply-stack");
let h: StackHost;

t.before(async () => {
  h = await stackHost();
});
t.after(async () => {
  await h?.cleanup();
});

const cellNames = Object.keys(CELLS) as (keyof typeof CELLS)[];

async function pidOf(cell: string, container: string): Promise<number> {
  const c = (await h.containers()).get(h.idOf(cell, container));
  assert.ok(c, `no container ${cell}/${container}`);
  assert.is(c.status, "running", `${cell}/${container} is ${c.status}`);
  return c.pid as number;
}

t("apply from empty: every task runs in its cgroup, every cell has its IP", async () => {
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "Apply complete! Resources: 10 added, 0 changed, 0 replaced, 0 destroyed.");
  assert.match(r.stdout, `container/${h.realm}/apps/shop/web/httpd: Creation complete after`);
  for (const cell of cellNames) {
    for (const container of CELLS[cell]) {
      const pid = await pidOf(cell, container);
      const cg = await readFile(`/proc/${pid}/cgroup`, "utf8");
      assert.match(cg, `${cgroupPath(h.realm, SPACE, STACK, cell, container)}\n`, `${cell}/${container} cgroup`);
    }
    const record = JSON.parse(
      await readFile(join(h.env.KUKE_RUN_PATH, "records", "cell", h.realm, SPACE, STACK, `${cell}.json`), "utf8"),
    );
    const ip = record.extra.ip as string;
    assert.match(ip, /^10\.88\.\d+\.\d+$/);
    const rootPid = await pidOf(cell, CELLS[cell][0] as string);
    const { execFileSync } = await import("node:child_process");
    const addr = execFileSync("nsenter", [
      "-t",
      String(rootPid),
      "-n",
      "ip",
      "-4",
      "-o",
      "addr",
      "show",
      "dev",
      "eth0",
    ]);
    assert.match(addr.toString(), `inet ${ip}/24`);
    // kuke runs no loopback plugin for a cell: runc brought lo up when it made the namespace.
    const lo = execFileSync("nsenter", ["-t", String(rootPid), "-n", "ip", "-o", "link", "show", "dev", "lo"]);
    assert.match(lo.toString(), /[<,]UP[,>]/);
    // Workloads share the root's network namespace.
    const worker = CELLS[cell].at(-1) as string;
    const wpid = await pidOf(cell, worker);
    const { readlink } = await import("node:fs/promises");
    assert.is(await readlink(`/proc/${wpid}/ns/net`), await readlink(`/proc/${rootPid}/ns/net`));
  }
});

t("plan --detailed-exitcode after apply: exit 0, no changes", async () => {
  const r = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, "No changes.");
});

t("an env change converges and the running process shows it", async () => {
  const before = await pidOf("web", "httpd");
  await h.writeManifest((text) => text.replace("GREETING=hello", "GREETING=bonjour"));
  const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  assert.is(plan.code, 2, plan.stderr);
  assert.match(plan.stdout, "1 to change");
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "Resources: 0 added, 1 changed, 0 replaced, 0 destroyed.");
  const after = await pidOf("web", "httpd");
  assert.is.not(after, before, "the task restarted");
  assert.ok((await environOf(after)).includes("GREETING=bonjour"));
  assert.is((await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest])).code, 0);
});

t("a task killed behind kuke's back is planned as drift and repaired", async () => {
  const pid = await pidOf("web", "ticker");
  process.kill(pid, "SIGKILL");
  await waitFor(
    "ticker to stop",
    async () => (await h.containers()).get(h.idOf("web", "ticker"))?.status !== "running",
  );
  const plan = await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest]);
  assert.is(plan.code, 2, plan.stderr);
  assert.match(plan.stdout, "Objects changed outside kuke");
  assert.match(plan.stdout, `container/${h.realm}/apps/shop/web/ticker`);
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  const again = await pidOf("web", "ticker");
  assert.is.not(again, pid);
  assert.is((await h.kuke(["plan", "--detailed-exitcode", "-f", h.manifest])).code, 0);
});

t("a saved plan applied after the host changed is refused with exit 4", async () => {
  await h.writeManifest((text) => text.replace("GREETING=hello", "GREETING=hola"));
  const planFile = join(h.dir, "env.plan");
  const p = await h.kuke(["plan", "-f", h.manifest, "--out", planFile]);
  assert.is(p.code, 0, p.stderr);
  assert.is((await stat(planFile)).mode & 0o777, 0o600);
  const shown = await h.kuke(["show", planFile]);
  assert.is(shown.code, 0);
  assert.match(shown.stdout, "1 to change");
  // The plan restarts httpd; kill it behind kuke's back so what the plan touches has moved. Its
  // restartPolicy is always: containerd's restart monitor brings it back with a new pid, and the
  // test waits for that so the fresh plan below does not race the monitor.
  const killed = await pidOf("web", "httpd");
  process.kill(killed, "SIGKILL");
  await waitFor(
    "httpd to run again",
    async () => {
      const c = (await h.containers()).get(h.idOf("web", "httpd"));
      return c?.status === "running" && c.pid !== killed;
    },
    20_000,
  );
  const before = await recordsSnapshot(h);
  const r = await h.kuke(["apply", planFile]);
  assert.is(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stderr, "is stale");
  assert.match(r.stderr, `container/${h.realm}/apps/shop/web/httpd`);
  assert.match(r.stderr, "--out");
  assert.is(await recordsSnapshot(h), before, "a refused plan changes nothing");
  // A fresh plan of the same files applies and repairs both the env and the killed task.
  const fresh = await h.kuke(["plan", "-f", h.manifest, "--out", planFile]);
  assert.is(fresh.code, 0, fresh.stderr);
  const applied = await h.kuke(["apply", planFile]);
  assert.is(applied.code, 0, applied.stderr);
  assert.ok((await environOf(await pidOf("web", "httpd"))).includes("GREETING=hola"));
});

t("apply without a terminal and without --auto-approve exits 64 and changes nothing", async () => {
  await h.writeManifest((text) => text.replace("GREETING=hello", "GREETING=ciao"));
  const before = await recordsSnapshot(h);
  const pid = await pidOf("web", "httpd");
  const r = await h.kuke(["apply", "-f", h.manifest]);
  assert.is(r.code, 64);
  assert.match(r.stderr, "--auto-approve");
  assert.is(await recordsSnapshot(h), before);
  assert.is(await pidOf("web", "httpd"), pid);
  assert.ok((await environOf(pid)).includes("GREETING=hola"));
});

t("on a terminal, anything but 'yes' declines and changes nothing", async () => {
  const before = await recordsSnapshot(h);
  const r = await h.kuke(["apply", "-f", h.manifest], { tty: true, stdin: "no\n" });
  assert.is(r.code, 1);
  assert.match(r.stdout, "Do you want to perform these actions?");
  assert.match(r.stdout, "Only 'yes' will be accepted to approve.");
  assert.match(r.stderr, "Apply cancelled.");
  assert.is(await recordsSnapshot(h), before);
});

t("on a terminal, 'yes' approves and the change is applied", async () => {
  const r = await h.kuke(["apply", "-f", h.manifest], { tty: true, stdin: "yes\n" });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "Enter a value: ");
  // A terminal gets colour: the summary's title is green and bold.
  assert.match(r.stdout, "\x1b[32m\x1b[1mApply complete!");
  assert.match(r.stdout, "Resources: 0 added, 1 changed, 0 replaced, 0 destroyed.");
  assert.ok((await environOf(await pidOf("web", "httpd"))).includes("GREETING=ciao"));
});

t("apply --json with nothing to do: the stream is the result line alone, status no-changes", async () => {
  const r = await h.kuke(["apply", "--auto-approve", "--json", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.is(doc.format_version, "1");
  assert.is(doc.type, "result");
  assert.is(doc.status, "no-changes");
  assert.is(doc.plan.summary.change, 0);
});

t("destroy removes everything and leaves no leaks", async () => {
  const r = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "Destroy complete! Resources: 10 destroyed.");
  assert.is((await h.containers()).size, 0);
  const cells = cellNames.map((c) => cellAddress(h.realm, SPACE, STACK, c));
  assert.equal(await cellLeaks(h.env, h.realm, SPACE, STACK, CELLS), []);
  const pins = await readdir(join(h.env.KUKE_RUNTIME_DIR, "netns")).catch(() => []);
  assert.equal(
    pins.filter((p) => cells.some((c) => netnsName(c) === p)),
    [],
  );
  const records = await readdir(join(h.env.KUKE_RUN_PATH, "records"), { recursive: true }).catch(() => []);
  assert.equal(
    records.filter((f) => f.endsWith(".json")),
    [],
  );
});

t.run();
