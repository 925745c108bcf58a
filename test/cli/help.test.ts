import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildCli } from "../../src/cli/cli.js";
import { HELP_WIDTH, placeholderOf, usageLine } from "../../src/cli/help.js";
import { assertGolden } from "../harness/golden.js";
import { runKuke } from "./capture.js";

const t = suite("cli/help");
const golden = fileURLToPath(new URL("../../../test/cli/top-help.golden", import.meta.url));
const commands = buildCli(false).helpInfos();

t("kuke --help matches the golden file, under 40 lines of at most 100 columns", async () => {
  const r = await runKuke(["--help"]);
  assert.is(r.code, 0);
  assertGolden(r.stdout, golden);
  const lines = r.stdout.trimEnd().split("\n");
  assert.ok(lines.length < 40, `${lines.length} lines`);
  for (const l of lines) assert.ok(l.length <= HELP_WIDTH, `too wide: ${l}`);
});

t("kuke --help: the main commands first, every command once, global options once at the end", async () => {
  const r = await runKuke(["--help"]);
  const rows = r.stdout.split("\n").filter((l) => /^ {2}[a-z]/.test(l));
  assert.equal(
    rows.slice(0, 4).map((l) => l.trim().split(/\s{2,}/)[0]),
    ["validate", "plan", "apply", "destroy"],
  );
  // A command is listed on its own line, or on one line shared with its sibling verbs (start|stop|kill).
  const listed = rows.flatMap((l) => (l.trim().split(/\s{2,}/)[0] ?? "").split("|"));
  for (const c of commands) {
    const name = c.path.join(" ");
    assert.is(listed.filter((n) => n === name).length, 1, name);
  }
  assert.ok(
    rows.some((l) => /^ {2}start\|stop\|kill +Start, stop or signal/.test(l)),
    "start, stop and kill share a line",
  );
  for (const g of ["--run-path DIR", "--containerd-address SOCKET", "--log-level LEVEL"]) {
    assert.is(r.stdout.split(g).length - 1, 1, g);
  }
  assert.ok(r.stdout.indexOf("Global options") > r.stdout.indexOf("  version"), "global options last");
  assert.not.match(r.stdout, "#0");
});

t("every command's help: usage with its required arguments, placeholders, 2-3 examples at the end", async () => {
  for (const c of commands) {
    const name = c.path.join(" ");
    const r = await runKuke([...c.path, "--help"]);
    assert.is(r.code, 0, name);
    assert.not.match(r.stdout, "#0", name);
    const usage = r.stdout.split("\n")[0] ?? "";
    assert.ok(usage.startsWith(`Usage: kuke ${name}`), usage);
    for (const p of c.positionals.filter((x) => x.required)) assert.match(usage, p.name, `${name}: ${p.name}`);
    for (const o of c.options.filter((x) => x.required)) assert.match(usage, o.names[0] ?? "?", `${name}: ${o.names}`);
    const examples = r.stdout.split("\nExamples:\n")[1];
    assert.ok(examples !== undefined, `${name}: no examples`);
    const count = examples
      .split("\n")
      .filter((l) => l.startsWith("    $ kuke ") || l.includes("$ source <(kuke")).length;
    assert.ok(count >= 2 && count <= 3, `${name}: ${count} examples`);
    assert.ok(r.stdout.trimEnd().endsWith(examples.trimEnd()), `${name}: examples are not last`);
    assert.match(r.stdout, "--runtime-dir DIR", name);
  }
});

t("the usage lines of the commands a newcomer runs first name their files", () => {
  const line = (p: string) => usageLine("kuke", commands.find((c) => c.path.join(" ") === p)!);
  assert.is(line("plan"), "kuke plan -f FILE... [options]");
  assert.is(line("validate"), "kuke validate -f FILE... [options]");
  assert.is(line("apply"), "kuke apply (-f FILE... | PLANFILE) [options]");
  assert.is(line("destroy"), "kuke destroy -f FILE... [options]");
  assert.is(line("get"), "kuke get KIND [NAME] [options]");
});

t("every option that takes a value has a placeholder that names it", () => {
  for (const c of commands) {
    for (const o of c.options.filter((x) => x.arity > 0 && !x.hidden)) {
      assert.not.throws(() => placeholderOf(o), `${c.path.join(" ")} ${o.names}`);
    }
  }
  const flag = (p: string, n: string) =>
    commands.find((c) => c.path.join(" ") === p)!.options.find((o) => o.names.includes(n))!;
  assert.is(placeholderOf(flag("apply", "--parallelism")), "N");
  assert.is(placeholderOf(flag("plan", "--file")), "FILE");
  assert.is(placeholderOf(flag("plan", "--containerd-address")), "SOCKET");
});

t("a usage error shows the command's usage line, not clipanion's option dump", async () => {
  const r = await runKuke(["get"]);
  assert.is(r.code, 64);
  assert.match(r.stderr, "Not enough positional arguments");
  assert.match(r.stderr, "  kuke get KIND [NAME] [options]\n");
  assert.not.match(r.stderr, "#0");
  const unknown = await runKuke(["frobnicate"]);
  assert.is(unknown.code, 64);
  assert.match(unknown.stderr, "unknown command or arguments: kuke frobnicate\n");
  assert.match(unknown.stderr, "kuke --help");
});

t.run();
