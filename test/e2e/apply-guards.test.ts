/**
 * What apply refuses or reports besides success, on the real host: a held lock (6), a plan beyond
 * --max-impact (5), a step that fails (3, with the partial-failure report), Ctrl-C (8), and the
 * note a plan carries after an apply was interrupted.
 */
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCli } from "../../src/cli/cli.js";
import { RunLock, runPathLayout } from "../../src/state/index.js";
import { runKuke } from "../cli/capture.js";
import { sharedContainerd } from "../harness/containerd.js";
import { type KukeEnv, kukeEnv } from "../harness/kuke-env.js";
import { runId } from "../harness/netns.js";
import { stackHeader } from "../harness/stack-header.js";
import { onTeardown } from "../harness/teardown.js";
import { loadBusybox, removeStackLeftovers } from "./stack-host.js";
import { cellLeaks } from "./stack-leaks.js";

const t = suite("e2e/apply-guards");
const realm = `g${runId()}`;
let dir = "";
let env: KukeEnv;
let manifest = "";
const CELLS = ["good", "bad"];

function stack(goodImage: string, badImage: string, badCommand = "/bin/sleep"): string {
  // The container is the cell's root, so a failure of it stops the cell before anything else of it runs.
  const cell = (name: string, image: string, command = "/bin/sleep") => `---
kind: Cell
metadata: {name: ${name}}
spec:
  realmId: ${realm}
  spaceId: net
  stackId: st
  containers:
    - {id: app, root: true, image: "${image}", command: ${command}, args: ["3600"]}
`;
  return `${stackHeader(realm)}${cell("good", goodImage)}${cell("bad", badImage, badCommand)}`;
}

const BUSYBOX = "docker.io/library/busybox:latest";
// Loopback port 1: nothing listens, so resolving it fails at once without leaving the host.
const UNPULLABLE = "127.0.0.1:1/kuke-test/missing:1";
// busybox loaded under a second name: a different image as far as the plan is concerned.
const OTHER = "registry.local/other:1";

const kuke = (argv: string[], opts: { tty?: boolean; stdin?: string } = {}) => runKuke(argv, { env, ...opts });

async function cleanup(): Promise<void> {
  if (dir === "" || !existsSync(dir)) return;
  await writeFile(manifest, stack(BUSYBOX, BUSYBOX));
  await kuke(["destroy", "--auto-approve", "-f", manifest]).catch(() => undefined);
  await removeStackLeftovers(env, realm, "net", "st", CELLS);
  await rm(dir, { recursive: true, force: true });
}

t.before(async () => {
  const ctd = await sharedContainerd();
  dir = await mkdtemp("/tmp/kuke-e2e-guards-");
  onTeardown(`e2e guards ${realm}`, cleanup);
  manifest = join(dir, "stack.yaml");
  env = kukeEnv(dir, ctd);
  await loadBusybox(env, dir, realm, [OTHER]);
});
t.after(cleanup);

t("another kuke holding the lock: apply waits, then exits 6 naming the holder", async () => {
  await writeFile(manifest, stack(BUSYBOX, BUSYBOX));
  const held = await new RunLock(runPathLayout(env.KUKE_RUN_PATH)).acquire({ command: "test holder" });
  try {
    const r = await kuke(["apply", "--auto-approve", "--lock-timeout", "300ms", "-f", manifest]);
    assert.is(r.code, 6, r.stderr);
    assert.match(r.stderr, `Waiting for the run-path lock held by pid ${process.pid}`);
    assert.match(r.stderr, "another kuke holds the run-path lock");
  } finally {
    await held.release();
  }
});

/**
 * A stdout that presses Ctrl-C (through the context's interrupt source) once `marker` was written:
 * by default once the first step has started.
 */
class InterruptingStream extends Writable {
  text = "";
  readonly ctrlC = new EventEmitter();
  private sent = false;
  constructor(private readonly marker = "…") {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    if (!this.sent && this.text.includes(this.marker)) {
      this.sent = true;
      this.ctrlC.emit("interrupt");
    }
    done();
  }
}

/** kuke in this process, its interrupt source being `stdout`'s Ctrl-C; the exit code. */
function runInterruptible(
  argv: string[],
  stdin: Readable,
  stdout: InterruptingStream,
  stderr: InterruptingStream,
): Promise<number> {
  return runCli(argv, {
    stdin,
    stdout,
    stderr,
    env,
    colorDepth: 1,
    interrupts: {
      on: (l: () => void) => stdout.ctrlC.on("interrupt", l),
      off: (l: () => void) => stdout.ctrlC.off("interrupt", l),
    },
  } as Parameters<typeof runCli>[1]);
}

t("Ctrl-C: running steps finish, nothing new starts, exit 8; the next apply completes", async () => {
  await writeFile(manifest, stack(BUSYBOX, BUSYBOX));
  const stdout = new InterruptingStream();
  const stderr = new InterruptingStream();
  const code = await runInterruptible(["apply", "--auto-approve", "-f", manifest], Readable.from([]), stdout, stderr);
  assert.is(code, 8, stdout.text + stderr.text);
  assert.match(stderr.text, "Interrupt received");
  assert.match(stderr.text, "Apply cancelled");
  assert.match(stderr.text, "Not started:");
  const r = await kuke(["apply", "--auto-approve", "-f", manifest]);
  assert.is(r.code, 0, r.stderr);
  assert.is((await kuke(["plan", "--detailed-exitcode", "-f", manifest])).code, 0);
});

t("Ctrl-C at the approval question cancels (exit 8), releases the lock and changes nothing", async () => {
  await writeFile(manifest, stack(BUSYBOX, BUSYBOX).replace('args: ["3600"]', 'args: ["3601"]'));
  const stdout = new InterruptingStream("Enter a value:");
  const stderr = new InterruptingStream("\u0000never");
  // A terminal nobody types on: only the interrupt can end the question.
  const stdin = Object.assign(new Readable({ read() {} }), { isTTY: true });
  const code = await runInterruptible(["apply", "--lock-timeout", "1s", "-f", manifest], stdin, stdout, stderr);
  stdin.destroy();
  assert.is(code, 8, stdout.text + stderr.text);
  assert.match(stderr.text, "Apply cancelled");
  assert.not.match(stdout.text, "Restarting");
  // The change is still to do, and the lock is free again.
  assert.is((await kuke(["plan", "--detailed-exitcode", "-f", manifest])).code, 2);
  await writeFile(manifest, stack(BUSYBOX, BUSYBOX));
  const again = await kuke(["apply", "--auto-approve", "--lock-timeout", "1s", "-f", manifest]);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, "No changes");
});

t("an image neither loaded nor pullable: plan exits 1 with the remedy at once; apply changes nothing", async () => {
  await writeFile(manifest, stack(BUSYBOX, UNPULLABLE));
  const started = Date.now();
  const plan = await kuke(["plan", "-f", manifest]);
  assert.is(plan.code, 1, plan.stdout + plan.stderr);
  assert.ok(Date.now() - started < 10_000, `plan took ${Date.now() - started} ms`);
  assert.match(plan.stderr, `container/${realm}/net/st/bad/app: image ${UNPULLABLE} is not loaded in realm ${realm}`);
  assert.match(plan.stderr, `Remedy: kuke image load FILE --realm ${realm}, or kuke image pull ${UNPULLABLE}`);
  const apply = await kuke(["apply", "--auto-approve", "-f", manifest]);
  assert.is(apply.code, 1, apply.stdout + apply.stderr);
  assert.match(apply.stderr, "nothing was changed");
  assert.not.match(apply.stdout, "…");
  await writeFile(manifest, stack(BUSYBOX, BUSYBOX));
  assert.is((await kuke(["plan", "--detailed-exitcode", "-f", manifest])).code, 0, "the host is as it was");
});

t("a failing step: the rest finishes, the report lists root causes and skips, exit 3", async () => {
  // The bad cell's root cannot start (no such program); the good cell is not touched.
  await writeFile(manifest, stack(BUSYBOX, BUSYBOX, "/bin/no-such-program"));
  const r = await kuke(["apply", "--auto-approve", "-f", manifest]);
  assert.is(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stderr, "Apply partly failed.");
  assert.match(r.stderr, `Failed (root causes):\n  container/${realm}/net/st/bad/app [`);
  assert.match(r.stderr, "Skipped (a step they depend on failed):");
  assert.match(r.stderr, `container/${realm}/net/st/bad/app`);
  // The good cell is independent of the failure: it is neither failed nor skipped, and keeps running.
  assert.not.match(r.stderr.slice(0, r.stderr.indexOf("Succeeded")), `net/st/good`);
  // A new plan still has the bad cell to do, and nothing of the good one.
  const plan = await kuke(["plan", "--detailed-exitcode", "-f", manifest]);
  assert.is(plan.code, 2);
  assert.match(plan.stdout, new RegExp(`cell/${realm}/net/st/bad (must be replaced|will be created)`), plan.stdout);
  assert.not.match(plan.stdout, `net/st/good`);
});

t("--max-impact refuses a plan that replaces containers (exit 5), changing nothing", async () => {
  await writeFile(manifest, stack(OTHER, BUSYBOX));
  const r = await kuke(["apply", "--auto-approve", "--max-impact", "restart", "-f", manifest]);
  assert.is(r.code, 5, r.stderr);
  assert.match(r.stderr, "exceeds --max-impact restart");
  assert.match(r.stderr, `container/${realm}/net/st/good/app: replace (recreate)`);
  assert.not.match(r.stdout, "Creating…");
});

t("after an apply that was killed, plan notes it", async () => {
  let dead = 4_000_000;
  while (existsSync(`/proc/${dead}`)) dead--;
  const journal = join(env.KUKE_RUN_PATH, "journal");
  await mkdir(journal, { recursive: true });
  const begin = {
    t: Date.now(),
    event: "begin",
    applyId: "20260101T000000000Z-abcdef",
    pid: dead,
    host: hostname(),
    meta: {},
  };
  const start = {
    t: Date.now(),
    event: "start",
    step: `task.start:cell/${realm}/net/st/good`,
    address: `cell/${realm}/net/st/good`,
  };
  await writeFile(
    join(journal, "20260101T000000000Z-abcdef.jsonl"),
    `${JSON.stringify(begin)}\n${JSON.stringify(start)}\n`,
  );
  const r = await kuke(["plan", "-f", manifest]);
  assert.is(r.code, 0, r.stderr);
  // A diagnostic (a warning): on stderr with the plan's other diagnostics.
  assert.match(r.stderr, "the last apply (20260101T000000000Z-abcdef");
  assert.match(r.stderr, `Running when it stopped: cell/${realm}/net/st/good`);
});

t("destroy leaves nothing behind", async () => {
  const r = await kuke(["destroy", "--auto-approve", "-f", manifest]);
  assert.is(r.code, 0, r.stderr);
  const leaks = await cellLeaks(env, realm, "net", "st", Object.fromEntries(CELLS.map((c) => [c, ["app"]])));
  assert.equal(leaks, []);
});

t.run();
