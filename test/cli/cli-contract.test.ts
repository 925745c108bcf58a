import { Readable } from "node:stream";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { askApproval } from "../../src/cli/approval.js";
import { CaptureStream, fixture, hostlessCli } from "./capture.js";

const t = suite("cli/contract");
const cli = hostlessCli(t, "kuke-cli-contract");
const kuke = cli.kuke;

t("kuke --version prints the version and exits 0", async () => {
  const r = await kuke(["--version"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
});

t("plan and validate of an empty file are invalid specs (exit 65), as kubectl refuses no objects", async () => {
  for (const verb of ["plan", "validate"]) {
    const r = await kuke([verb, ...(verb === "plan" ? ["--refresh=false"] : []), "-f", "/dev/null"]);
    assert.is(r.code, 65, r.stderr);
    assert.match(r.stderr, "/dev/null:1:1: error: no resources in the file");
  }
});

t("create with an invalid name is a usage error before the host is opened", async () => {
  for (const argv of [
    ["create", "realm", "Bad_Name"],
    ["create", "space", "apps", "--realm", "Bad"],
    ["create", "cell", "web", "--realm", "demo", "--space", "apps", "--stack", "shop_1"],
  ]) {
    const r = await kuke(argv);
    assert.is(r.code, 64, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, "is not a valid name");
    assert.not.match(r.stderr, "containerd");
  }
});

t("plan errors and remedies go to stderr; the plan itself to stdout", async () => {
  // Without refresh, the cell the loose container names is neither declared nor known: a plan error.
  const r = await kuke(["plan", "--refresh=false", "-f", fixture("examples/loose-container.yaml")]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /Error: .*cell\/demo\/apps\/shop\/web/);
  assert.match(r.stderr, "Remedy:");
  assert.not.match(r.stdout, "Error:");
  assert.not.match(r.stdout, "Remedy:");
  const json = await kuke(["plan", "--refresh=false", "--json", "-f", fixture("examples/loose-container.yaml")]);
  assert.is(json.code, 1);
  assert.ok(JSON.parse(json.stdout).errors.length > 0);
});

t("plan --refresh=false says in its header that the host was not read", async () => {
  const r = await kuke(["plan", "--refresh=false", "-f", fixture("examples/stack.yaml")]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith("Note: --refresh=false: the host was not read"), r.stdout);
});

t("apply and destroy refuse --refresh=false (64): they always read the host", async () => {
  for (const verb of ["apply", "destroy"]) {
    const r = await kuke([verb, "--auto-approve", "--refresh=false", "-f", fixture("examples/stack.yaml")]);
    assert.is(r.code, 64, `${verb}: ${r.stderr}`);
    assert.match(r.stderr, "--refresh=false is only for kuke plan");
  }
});

t("apply/destroy --json without --auto-approve: usage error, stdout stays empty even on a terminal", async () => {
  for (const verb of ["apply", "destroy"]) {
    const r = await kuke([verb, "--json", "-f", fixture("examples/stack.yaml")], { tty: true, stdin: "yes\n" });
    assert.is(r.code, 64, `${verb}: ${r.stderr}`);
    assert.match(r.stderr, "--auto-approve");
    assert.is(r.stdout, "");
  }
});

t("plan --json and apply --json of an invalid manifest: the JSON report on stdout, exit 65", async () => {
  for (const argv of [
    ["plan", "--refresh=false", "--json", "-f", fixture("invalid/two-roots.yaml")],
    ["apply", "--auto-approve", "--json", "-f", fixture("invalid/two-roots.yaml")],
  ]) {
    const r = await kuke(argv);
    assert.is(r.code, 65, `${argv.join(" ")}: ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    assert.is(report.valid, false, r.stdout);
  }
});

t("the approval question resolves as 'no' when Ctrl-C aborts it", async () => {
  // A stdin that never ends: without the signal the question would wait forever.
  const stdin = new Readable({ read() {} });
  const out = new CaptureStream();
  const controller = new AbortController();
  const answer = askApproval(stdin, out, "Go?", "kuke will go.", controller.signal);
  setTimeout(() => controller.abort(), 20);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("still waiting"), 2000);
  });
  assert.is(await Promise.race([answer, late]), false);
  clearTimeout(timer);
  assert.match(out.text, "Enter a value:");
  const yes = new Readable({ read() {} });
  const approved = askApproval(yes, out, "Go?", "kuke will go.", new AbortController().signal);
  yes.push("yes\n");
  assert.is(await approved, true);
});

t.run();
