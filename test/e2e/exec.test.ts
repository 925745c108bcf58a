/**
 * `kuke exec` on the real host (issue 10): output and exit codes (0 and non-zero), stdin with -i,
 * a terminal with -t, the process inside the container's namespaces, cgroup, environment and
 * capabilities, a command that cannot start (126), and no FIFO left behind.
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cgroupPath } from "../../src/model/index.js";
import { SPACE, STACK, type StackHost, stackHost } from "./stack-host.js";

const t = suite("e2e/exec");
let h: StackHost;

t.before(async () => {
  h = await stackHost();
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  if (r.code !== 0) throw new Error(`apply failed: ${r.stdout}${r.stderr}`);
});
t.after(async () => {
  await h?.cleanup();
});

const httpd = () => `container/${h.realm}/${SPACE}/${STACK}/web/httpd`;
const exec = (args: string[], opts: { stdin?: string; tty?: boolean } = {}) => h.kuke(["exec", ...args], opts);

async function httpdPid(): Promise<number> {
  const c = (await h.containers()).get(h.idOf("web", "httpd"));
  assert.is(c?.status, "running");
  return c?.pid as number;
}

t("output is streamed and the exit code is the command's", async () => {
  const ok = await exec([httpd(), "--", "echo", "hello from exec"]);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, "hello from exec\n");
  const bad = await exec([httpd(), "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
  assert.is(bad.code, 7);
  assert.is(bad.stdout, "out\n");
  assert.is(bad.stderr, "err\n");
});

t("-i passes stdin; without -i the command reads none", async () => {
  const piped = await exec(["-i", httpd(), "--", "sh", "-c", "wc -c; echo end"], { stdin: "abcdef\n" });
  assert.is(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout.split(/\s+/).filter(Boolean), ["7", "end"]);
  const none = await exec([httpd(), "--", "sh", "-c", "wc -c"], { stdin: "ignored\n" });
  assert.is(none.stdout.trim(), "0");
});

t("the process runs in the container's namespaces, cgroup, environment and capabilities", async () => {
  const pid = await httpdPid();
  const r = await exec([
    httpd(),
    "--",
    "sh",
    "-c",
    "for n in net pid mnt; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup; env; grep ^Cap /proc/self/status",
  ]);
  assert.is(r.code, 0, r.stderr);
  for (const ns of ["net", "pid", "mnt"]) assert.match(r.stdout, await readlink(`/proc/${pid}/ns/${ns}`), ns);
  assert.match(r.stdout, cgroupPath(h.realm, SPACE, STACK, "web", "httpd"));
  assert.match(r.stdout, "GREETING=hello");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  for (const cap of ["CapBnd", "CapEff", "CapPrm"]) {
    const line = status.split("\n").find((l) => l.startsWith(`${cap}:`));
    assert.ok(line);
    assert.match(r.stdout, line, cap);
  }
});

t("-t runs the command on a terminal when kuke runs on one", async () => {
  const r = await exec(["-t", httpd(), "--", "sh", "-c", "tty; exit 3"], { tty: true });
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stdout, /^\/dev\/pts\/\d+\r?\n/);
  const plain = await exec(["-t", httpd(), "--", "sh", "-c", "tty"]);
  assert.match(plain.stderr, "not on a terminal");
  assert.match(plain.stdout, "not a tty");
});

t("a command that cannot start exits 126; a bad address is a usage error; no FIFO is left", async () => {
  const missing = await exec([httpd(), "--", "/no/such/binary"]);
  assert.is(missing.code, 126, missing.stdout + missing.stderr);
  assert.match(missing.stderr, "kuke exec:");
  const usage = await exec([`cell/${h.realm}/${SPACE}/${STACK}/web`, "--", "true"]);
  assert.is(usage.code, 64);
  const gone = await exec([`container/${h.realm}/${SPACE}/${STACK}/web/nope`, "--", "true"]);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, "does not exist");
  const left = await readdir(join(h.env.KUKE_RUNTIME_DIR, "exec")).catch(() => []);
  assert.equal(left, []);
});

t("a container whose task is not running is refused", async () => {
  const stop = await h.kuke([
    "stop",
    "container",
    "ticker",
    "--realm",
    h.realm,
    "--space",
    SPACE,
    "--stack",
    STACK,
    "--cell",
    "web",
  ]);
  assert.is(stop.code, 0, stop.stderr);
  const r = await exec([`container/${h.realm}/${SPACE}/${STACK}/web/ticker`, "--", "true"]);
  assert.is(r.code, 1);
  assert.match(r.stderr, "no running task");
});

t.run();
