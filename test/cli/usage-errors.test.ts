/**
 * What kuke says about a command line it cannot match, for the mistakes a newcomer makes first:
 * no -f, a manifest without -f, a misspelt option or command, a manifest where a plan file goes.
 * Each is a usage error (64) with a remedy; none reaches the host.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { fixture, runKuke } from "./capture.js";

const t = suite("cli/usage-errors");
const STACK = fixture("examples/stack.yaml");
const env = { KUKE_CONTAINERD_ADDRESS: "/nonexistent/containerd.sock" };

t("a command that needs -f, run without it: 'no manifest given' and how to pass one", async () => {
  for (const argv of [["validate"], ["export", "kubernetes"], ["plan"]]) {
    const r = await runKuke(argv, { env });
    assert.is(r.code, 64, argv.join(" "));
    assert.match(r.stderr, "Error: no manifest given\n", argv.join(" "));
    assert.match(r.stderr, "Remedy: pass one or more files with -f FILE (or -f - for stdin)", argv.join(" "));
    assert.not.match(r.stderr, "cannot read", argv.join(" "));
  }
});

t("a manifest named without -f: the same command with -f is the remedy", async () => {
  for (const command of ["validate", "plan", "destroy", "graph"]) {
    const r = await runKuke([command, "stack.yaml"], { env });
    assert.is(r.code, 64, command);
    assert.match(r.stderr, 'Extraneous positional argument ("stack.yaml")', command);
    assert.match(r.stderr, `Remedy: name manifest files with -f: kuke ${command} -f stack.yaml\n`, command);
  }
});

t("a usage error of one command points at that command's help", async () => {
  const r = await runKuke(["schema"], { env });
  assert.is(r.code, 64);
  assert.match(r.stderr, "Not enough positional arguments");
  assert.match(r.stderr, "(kuke schema --help for options and examples)\n");
});

t("destroy --replace is refused (a destroy plan replaces nothing) and not offered in its help", async () => {
  const r = await runKuke(["destroy", "-f", STACK, "--replace", "cell/demo/apps/shop/web", "--auto-approve"], { env });
  assert.is(r.code, 64);
  assert.match(r.stderr, "destroy deletes what the files declare; --replace has nothing to replace");
  const help = await runKuke(["destroy", "--help"], { env });
  assert.not.match(help.stdout, "--replace");
  const plan = await runKuke(["plan", "--help"], { env });
  assert.match(plan.stdout, "--replace ADDR");
});

t("a misspelt option: the command's option it is closest to", async () => {
  const r = await runKuke(["validate", "-f", STACK, "--fil", "x"], { env });
  assert.is(r.code, 64);
  assert.match(r.stderr, 'Unsupported option name ("--fil")');
  assert.match(r.stderr, "Remedy: did you mean --file?\n");
  const far = await runKuke(["validate", "-f", STACK, "--frobnicate"], { env });
  assert.is(far.code, 64);
  assert.not.match(far.stderr, "did you mean");
});

t("a misspelt command: the command it is closest to; a word near none gets no guess", async () => {
  const r = await runKuke(["validatee", "-f", STACK], { env });
  assert.is(r.code, 64);
  assert.match(r.stderr, "unknown command or arguments: kuke validatee");
  assert.match(r.stderr, "Remedy: did you mean kuke validate?\n");
  const far = await runKuke(["frobnicate"], { env });
  assert.is(far.code, 64);
  assert.not.match(far.stderr, "did you mean");
});

t("kuke apply MANIFEST (where a saved plan goes) names -f in its remedy", async () => {
  const r = await runKuke(["apply", STACK], { env });
  assert.is(r.code, 64);
  assert.match(r.stderr, "is not a kuke plan file (not JSON)");
  assert.match(r.stderr, "manifests are named with -f (kuke apply -f FILE)");
});

t.run();
