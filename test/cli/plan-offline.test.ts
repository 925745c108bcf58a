/**
 * plan / show / graph / apply flag handling without a host: `--refresh=false` plans against an
 * empty host and never contacts containerd (the address given does not exist), and apply refuses
 * what it must refuse before it reads anything.
 */
import { readFile, stat } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { KukeProcess } from "../harness/kuke-process.js";
import { onTeardown } from "../harness/teardown.js";
import { fixture, hostlessCli } from "./capture.js";

const t = suite("cli/plan-offline");
const cli = hostlessCli(t, "kuke-cli-plan");
const kuke = cli.kuke;

t("plan --refresh=false plans a first apply without touching the host", async () => {
  const r = await kuke(["plan", "--refresh=false", "-f", fixture("examples/stack.yaml")]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "Plan: 10 to add, 0 to change, 0 to replace, 0 to destroy.");
  assert.match(r.stdout, "container/demo/apps/shop/web/httpd will be created");
  const detailed = await kuke(["plan", "--refresh=false", "--detailed-exitcode", "-f", fixture("examples/stack.yaml")]);
  assert.is(detailed.code, 2);
});

t("plan --json prints the versioned plan with the derived project", async () => {
  const r = await kuke(["plan", "--refresh=false", "--json", "-f", fixture("examples/multi-space.yaml")]);
  assert.is(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.is(plan.format_version, "1");
  assert.is(plan.options.refresh, false);
  assert.is(plan.options.project, "acme");
  assert.not.match(r.stdout, "s3cret-registry-pass");
});

t("--project overrides the derived project", async () => {
  const r = await kuke(["plan", "--refresh=false", "--json", "--project", "p1", "-f", fixture("examples/stack.yaml")]);
  assert.is(JSON.parse(r.stdout).options.project, "p1");
});

t("invalid files: exit 65 with the validator's output, nothing planned", async () => {
  const r = await kuke(["plan", "--refresh=false", "-f", fixture("invalid/two-roots.yaml")]);
  assert.is(r.code, 65);
  assert.is(r.stdout, "");
  assert.match(r.stderr, "validation failed:");
});

t(
  "plan with refresh: invalid files are reported (65) though no containerd answers; valid ones name the socket",
  async () => {
    // The host is opened while the files are read (issue 13): its failure must not hide theirs.
    const invalid = await kuke(["plan", "-f", fixture("invalid/two-roots.yaml")]);
    assert.is(invalid.code, 65, invalid.stderr);
    assert.is(invalid.stdout, "");
    assert.match(invalid.stderr, "validation failed:");
    assert.not.match(invalid.stderr, "containerd");
    const valid = await kuke(["plan", "-f", fixture("examples/stack.yaml")]);
    assert.is(valid.code, 1);
    assert.is(valid.stdout, "");
    assert.match(valid.stderr, `containerd does not answer at ${cli.env.KUKE_CONTAINERD_ADDRESS}`);
    // apply and destroy open the host ahead the same way.
    for (const verb of ["apply", "destroy"]) {
      const bad = await kuke([verb, "--auto-approve", "-f", fixture("invalid/two-roots.yaml")]);
      assert.is(bad.code, 65, `${verb}: ${bad.stderr}`);
      assert.match(bad.stderr, "validation failed:");
      assert.not.match(bad.stderr, "containerd");
      const good = await kuke([verb, "--auto-approve", "-f", fixture("examples/stack.yaml")]);
      assert.is(good.code, 1, `${verb}: ${good.stderr}`);
      assert.match(good.stderr, `containerd does not answer at ${cli.env.KUKE_CONTAINERD_ADDRESS}`);
    }
  },
);

t(
  "plan with refresh against a containerd that accepts and never answers: the CLI process exits, 65 for invalid files, 1 naming the socket for valid ones",
  async () => {
    // The host is opened while the files are read (issue 13). A socket that takes the connection
    // and then stays silent must neither hide the files' errors nor keep the process alive.
    const sock = join(cli.dir, "silent-containerd.sock");
    const held: Socket[] = [];
    const silent = createServer((c) => {
      held.push(c);
    });
    await new Promise<void>((resolve) => silent.listen(sock, resolve));
    onTeardown(`silent containerd ${sock}`, () => closeSilent(silent, held));
    try {
      const env = { ...cli.env, KUKE_CONTAINERD_ADDRESS: sock };
      const invalid = await new KukeProcess(["plan", "-f", fixture("invalid/two-roots.yaml")], env).exited;
      assert.is(invalid.code, 65, invalid.stderr);
      assert.is(invalid.stdout, "");
      assert.match(invalid.stderr, "validation failed:");
      assert.not.match(invalid.stderr, "containerd");
      const valid = await new KukeProcess(["plan", "-f", fixture("examples/stack.yaml")], env).exited;
      assert.is(valid.code, 1, valid.stderr);
      assert.is(valid.stdout, "");
      assert.match(valid.stderr, `containerd does not answer at ${sock}`);
      assert.ok(held.length >= 2, `kuke connected ${held.length} times`);
    } finally {
      await closeSilent(silent, held);
    }
  },
);

async function closeSilent(server: Server, held: Socket[]): Promise<void> {
  for (const c of held) c.destroy();
  if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
}

t("bad flag values are usage errors (64)", async () => {
  const f = fixture("examples/stack.yaml");
  for (const argv of [
    ["plan", "--refresh=maybe", "-f", f],
    ["plan", "--refresh=false", "--target", "cell/demo", "-f", f],
    ["plan", "--refresh=false", "--replace", "pod/x", "-f", f],
    ["plan", "--refresh=false"],
    ["apply", "--auto-approve", "--max-impact", "huge", "-f", f],
    ["apply", "--auto-approve", "--parallelism", "0", "-f", f],
    ["apply", "--auto-approve", "--lock-timeout", "soon", "-f", f],
    ["apply", "--auto-approve"],
    ["apply", "--auto-approve", "-f", f, join(cli.dir, "x.plan")],
  ]) {
    const r = await kuke(argv);
    assert.is(r.code, 64, `${argv.join(" ")}: ${r.stderr}`);
    assert.not.match(r.stderr, "this is a bug");
  }
});

t("apply without a terminal and without --auto-approve refuses (64) before reading the host", async () => {
  const r = await kuke(["apply", "-f", fixture("examples/stack.yaml")]);
  assert.is(r.code, 64);
  assert.match(r.stderr, "standard input is not a terminal");
  assert.match(r.stderr, "--auto-approve");
  const d = await kuke(["destroy", "-f", fixture("examples/stack.yaml")]);
  assert.is(d.code, 64);
});

t("apply with an unreachable containerd: exit 1 with a remedy", async () => {
  const r = await kuke(["apply", "--auto-approve", "-f", fixture("examples/stack.yaml")]);
  assert.is(r.code, 1);
  assert.match(r.stderr, "containerd does not answer");
  assert.match(r.stderr, "kuke init --managed-containerd");
});

t("plan --out writes a 0600 plan file without passwords; show renders it as plan did", async () => {
  const file = join(cli.dir, "multi.plan");
  const args = ["plan", "--refresh=false", "-f", fixture("examples/multi-space.yaml")];
  const r = await kuke([...args, "--out", file]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, `Saved the plan to ${file}`);
  assert.is((await stat(file)).mode & 0o777, 0o600);
  const text = await readFile(file, "utf8");
  assert.not.match(text, "s3cret-registry-pass");
  const saved = JSON.parse(text);
  assert.is(saved.saved_plan_version, "1");
  assert.equal(
    saved.sources.map((s: { file: string }) => s.file),
    [fixture("examples/multi-space.yaml")],
  );
  // Planned without the host: no run-path key to digest with, and never an unkeyed hash.
  assert.is(saved.desired.realms[0].spec.registryCredentials[0].password, "(not read)");

  const plain = await kuke(args);
  const shown = await kuke(["show", file]);
  assert.is(shown.code, 0);
  assert.is(shown.stdout, plain.stdout);
  const json = await kuke(["show", file, "--json"]);
  assert.equal(JSON.parse(json.stdout), saved.plan);
});

t("plan -o markdown prints the review view; show -o markdown prints the same from a saved plan", async () => {
  const file = join(cli.dir, "review.plan");
  const args = ["plan", "--refresh=false", "-f", fixture("examples/multi-space.yaml")];
  const md = await kuke([...args, "-o", "markdown", "--out", file]);
  assert.is(md.code, 0, md.stderr);
  assert.ok(md.stdout.startsWith("**kuke plan:** "), md.stdout.slice(0, 80));
  assert.match(md.stdout, "<details><summary>");
  assert.match(md.stdout, "```diff\n");
  assert.not.match(md.stdout, "s3cret-registry-pass");
  // The saved-plan note goes to stderr, so stdout can be posted as it is.
  assert.not.match(md.stdout, "Saved the plan");
  assert.match(md.stderr, `Saved the plan to ${file}`);
  const shown = await kuke(["show", file, "-o", "markdown"]);
  assert.is(shown.code, 0, shown.stderr);
  assert.is(shown.stdout, md.stdout);
  const json = JSON.parse((await kuke([...args, "-o", "json"])).stdout);
  const legacy = JSON.parse((await kuke([...args, "--json"])).stdout);
  assert.equal({ ...json, created: "" }, { ...legacy, created: "" });
});

t("plan -o: an unknown format, or --json with another -o, is a usage error", async () => {
  const args = ["plan", "--refresh=false", "-f", fixture("examples/stack.yaml")];
  const bad = await kuke([...args, "-o", "html"]);
  assert.is(bad.code, 64);
  assert.match(bad.stderr, "-o must be one of human, json, markdown");
  const both = await kuke([...args, "-o", "markdown", "--json"]);
  assert.is(both.code, 64);
  assert.is(both.stdout, "");
});

t("show refuses a file that is not a kuke plan", async () => {
  const r = await kuke(["show", fixture("examples/stack.yaml")]);
  assert.is(r.code, 64);
  assert.match(r.stderr, "is not a kuke plan file");
  const missing = await kuke(["show", join(cli.dir, "nope.plan")]);
  assert.is(missing.code, 1);
});

t("graph --refresh=false prints the step graph as DOT", async () => {
  const r = await kuke(["graph", "--refresh=false", "-f", fixture("examples/stack.yaml")]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.startsWith('digraph "kuke" {'));
  assert.match(
    r.stdout,
    '"container.create:container/demo/apps/shop/web/httpd" [label="container.create\\ncontainer/demo/apps/shop/web/httpd"]',
  );
  assert.match(r.stdout, '"task.start:container/demo/apps/shop/web/root" -> "netns.pin:cell/demo/apps/shop/web"');
  const destroy = await kuke(["graph", "--refresh=false", "--destroy", "-f", fixture("examples/stack.yaml")]);
  assert.is(destroy.code, 0);
  // Nothing exists on an empty host, so a destroy has no steps.
  assert.not.match(destroy.stdout, "->");
});

t.run();
