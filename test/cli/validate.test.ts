import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cli } from "clipanion";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { KukeCommand } from "../../src/cli/kuke-command.js";
import { reportError } from "../../src/cli/report-error.js";
import { KukeError } from "../../src/model/index.js";
import { CaptureStream, runKuke } from "./capture.js";

const t = suite("cli/validate");
const repo = fileURLToPath(new URL("../../..", import.meta.url));
const fixture = (p: string) => join(repo, "fixtures", p);

t("valid example: exit 0, one summary line on stdout, nothing on stderr", async () => {
  const r = await runKuke(["validate", "-f", fixture("examples/stack.yaml")]);
  assert.is(r.code, 0);
  assert.is(r.stdout, "5 resources valid: 1 realm, 1 space, 1 stack, 2 cells (4 containers)\n");
  assert.is(r.stderr, "");
});

t("every example is valid", async () => {
  for (const f of ["stack", "multi-space", "kukeon-style", "default-realm", "loose-container"]) {
    const r = await runKuke(["validate", "-f", fixture(`examples/${f}.yaml`)]);
    assert.is(r.code, 0, `${f}: ${r.stderr}`);
  }
});

t("several -f files are validated together", async () => {
  const r = await runKuke([
    "validate",
    "-f",
    fixture("examples/stack.yaml"),
    "-f",
    fixture("examples/loose-container.yaml"),
  ]);
  assert.is(r.code, 0, r.stderr);
  // The loose container's cell is declared in stack.yaml, so it folds in.
  assert.match(r.stdout, "2 cells (5 containers)");
});

t("warnings go to stderr and do not fail", async () => {
  const r = await runKuke(["validate", "-f", fixture("examples/kukeon-style.yaml")]);
  assert.is(r.code, 0);
  assert.match(r.stderr, /kukeon-style\.yaml:\d+:\d+: warning: \[space\/legacy\/default\] spec\.cniConfigPath/);
  assert.match(r.stdout, "4 resources valid");
});

t("invalid file: exit 65, diagnostics and a count on stderr, no stack trace", async () => {
  const r = await runKuke(["validate", "-f", fixture("invalid/two-roots.yaml")]);
  assert.is(r.code, 65);
  assert.is(r.stdout, "");
  const golden = readFileSync(fixture("invalid/two-roots.golden"), "utf8");
  assert.is(r.stderr.replaceAll(`${repo}`, ""), golden);
  assert.not.match(r.stderr, "    at ");
});

t("diagnostics are grouped per file in the order given", async () => {
  const r = await runKuke([
    "validate",
    "-f",
    fixture("invalid/two-roots.yaml"),
    "-f",
    fixture("invalid/unknown-kind.yaml"),
  ]);
  assert.is(r.code, 65);
  const files = r.stderr
    .split("\n")
    .filter((l) => l.includes(": error: "))
    .map((l) => l.split(":")[0]);
  assert.equal(files, [fixture("invalid/two-roots.yaml"), fixture("invalid/unknown-kind.yaml")]);
  assert.match(r.stderr, "\nvalidation failed: 2 errors, 0 warnings\n");
});

t("--json prints the versioned report", async () => {
  const ok = await runKuke(["validate", "-f", fixture("examples/stack.yaml"), "--json"]);
  assert.is(ok.code, 0);
  const report = JSON.parse(ok.stdout);
  assert.equal(Object.keys(report), ["format_version", "valid", "summary", "diagnostics"]);
  assert.is(report.format_version, "1");
  assert.is(report.valid, true);
  assert.is(report.summary.cells, 2);
  assert.equal(report.diagnostics, []);

  const bad = await runKuke(["validate", "-f", fixture("invalid/egress-bad-port.yaml"), "--json"]);
  assert.is(bad.code, 65);
  const b = JSON.parse(bad.stdout);
  assert.is(b.valid, false);
  assert.is(b.diagnostics.length, 3);
  const d = b.diagnostics[0];
  for (const k of [
    "severity",
    "code",
    "file",
    "line",
    "column",
    "documentIndex",
    "address",
    "path",
    "message",
    "remedy",
  ]) {
    assert.ok(k in d, `diagnostic lacks ${k}`);
  }
  assert.is(bad.stderr, "");
});

t("--json with files that cannot be read: a report with one unreadable-file error each, on stdout", async () => {
  const missing = fixture("examples/no-such-file.yaml");
  const dir = fixture("examples");
  const r = await runKuke(["validate", "-f", missing, "-f", fixture("examples/stack.yaml"), "-f", dir, "--json"]);
  assert.is(r.code, 65);
  assert.is(r.stderr, "");
  const report = JSON.parse(r.stdout);
  assert.is(report.valid, false);
  assert.is(report.summary.errors, 2);
  assert.equal(
    report.diagnostics.map((d: { code: string; file: string; message: string }) => [d.code, d.file, d.message]),
    [
      ["unreadable-file", missing, `${missing}: no such file`],
      ["unreadable-file", dir, `${dir}: is a directory`],
    ],
  );
});

t("-f - reads standard input", async () => {
  const text = readFileSync(fixture("examples/stack.yaml"), "utf8");
  const ok = await runKuke(["validate", "-f", "-"], { stdin: text });
  assert.is(ok.code, 0);
  const bad = await runKuke(["validate", "-f", "-"], { stdin: "kind: Nope\n" });
  assert.is(bad.code, 65);
  assert.match(bad.stderr, "<stdin>:1:7: error: unknown kind 'Nope'");
});

t("usage errors exit 64", async () => {
  for (const argv of [["validate"], ["validate", "-f"], ["validate", "-f", "x", "--bogus"], ["frobnicate"]]) {
    const r = await runKuke(argv);
    assert.is(r.code, 64, argv.join(" "));
    assert.ok(r.stderr.length > 0);
    assert.is(r.stdout, "");
  }
  const level = await runKuke(["validate", "-f", fixture("examples/stack.yaml"), "--log-level", "loud"]);
  assert.is(level.code, 64);
  assert.match(level.stderr, "--log-level must be one of");
  const twice = await runKuke(["validate", "-f", "-", "-f", "-"]);
  assert.is(twice.code, 64);
});

t("a missing file is a user error without a stack, exit 65 (validate exits 0 or 65)", async () => {
  const r = await runKuke(["validate", "-f", "/nonexistent/kuke-test.yaml"]);
  assert.is(r.code, 65);
  assert.match(r.stderr, "Error: /nonexistent/kuke-test.yaml: no such file");
  assert.not.match(r.stderr, "    at ");
  assert.not.match(r.stderr, "bug");
});

t("anything that is not a KukeError is reported as a bug with its stack", () => {
  const err = new CaptureStream();
  assert.is(reportError(new TypeError("boom"), err), 1);
  assert.match(err.text, "this is a bug");
  assert.match(err.text, "TypeError: boom\n    at ");
  const user = new CaptureStream();
  assert.is(reportError(new KukeError("lock-held", "held", { remedy: "wait" }), user), 6);
  assert.is(user.text, "Error: held\n  Remedy: wait\n");
});

t("registry passwords never appear in any output", async () => {
  const secrets = ["s3cret-registry-pass", "918273645", "hunter2-do-not-print"];
  for (const [file, extra] of [
    ["examples/multi-space.yaml", []],
    ["examples/multi-space.yaml", ["--json"]],
    ["invalid/registry-credentials.yaml", []],
    ["invalid/registry-credentials.yaml", ["--json"]],
  ] as const) {
    const r = await runKuke(["validate", "-f", fixture(file), ...extra]);
    for (const s of secrets) {
      assert.not.match(r.stdout, s, `${file} ${extra.join(" ")} stdout`);
      assert.not.match(r.stderr, s, `${file} ${extra.join(" ")} stderr`);
    }
  }
  // The fixtures really contain them: otherwise this test could not fail.
  assert.match(readFileSync(fixture("examples/multi-space.yaml"), "utf8"), secrets[0]!);
  assert.match(readFileSync(fixture("invalid/registry-credentials.yaml"), "utf8"), secrets[2]!);
});

t("colour only on a terminal and never with NO_COLOR or --no-color", async () => {
  const file = fixture("invalid/two-roots.yaml");
  const esc = "\u001b[";
  assert.match((await runKuke(["validate", "-f", file], { tty: true })).stderr, esc);
  assert.not.match((await runKuke(["validate", "-f", file])).stderr, esc);
  assert.not.match((await runKuke(["validate", "-f", file], { tty: true, env: { NO_COLOR: "1" } })).stderr, esc);
  assert.not.match((await runKuke(["validate", "-f", file, "--no-color"], { tty: true })).stderr, esc);
});

t("global options: flags, environment variables, defaults", async () => {
  class EchoGlobals extends KukeCommand {
    static override paths = [["echo-globals"]];
    async run(): Promise<number> {
      this.context.stdout.write(JSON.stringify(this.globals()));
      return 0;
    }
  }
  const run = async (argv: string[], env: Record<string, string>) => {
    const stdout = new CaptureStream();
    const stderr = new CaptureStream();
    const code = await Cli.from([EchoGlobals]).run(argv, { stdout, stderr, env, stdin: process.stdin, colorDepth: 1 });
    return { code, out: stdout.text };
  };
  const defaults = await run(["echo-globals"], {});
  assert.equal(JSON.parse(defaults.out), {
    runPath: "/var/lib/kuke",
    runtimeDir: "/run/kuke",
    containerdAddress: "/run/containerd/containerd.sock",
    noColor: false,
    logLevel: "warn",
  });
  const env = await run(["echo-globals"], {
    KUKE_RUN_PATH: "/tmp/r",
    KUKE_CONTAINERD_ADDRESS: "/tmp/c.sock",
    KUKE_RUNTIME_DIR: "/tmp/rt",
  });
  assert.equal(JSON.parse(env.out).runPath, "/tmp/r");
  assert.equal(JSON.parse(env.out).runtimeDir, "/tmp/rt");
  assert.equal(JSON.parse(env.out).containerdAddress, "/tmp/c.sock");
  const flags = await run(["echo-globals", "--run-path", "/x", "--no-color", "--log-level", "debug"], {
    KUKE_RUN_PATH: "/tmp/r",
  });
  assert.equal(JSON.parse(flags.out), {
    runPath: "/x",
    runtimeDir: "/run/kuke",
    containerdAddress: "/run/containerd/containerd.sock",
    noColor: true,
    logLevel: "debug",
  });
});

t.run();
