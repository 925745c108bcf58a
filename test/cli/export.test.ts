import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { fixture, runKuke } from "./capture.js";

/** `kuke export kubernetes` as a user runs it: exit codes, stdout/stderr, -o DIR, secrets from the environment. */
const t = suite("cli/export");

t("prints one YAML document per object on stdout and the warnings on stderr", async () => {
  const r = await runKuke(["export", "kubernetes", "-f", fixture("export/everything.yaml")]);
  assert.is(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string });
  assert.equal(
    docs.map((d) => d.kind),
    ["Namespace", "NetworkPolicy", "Pod", "Secret", "Pod"],
  );
  assert.match(r.stderr, "warning: [container/shop/apps/front/web/httpd] pidsLimit 64");
  // The manifest's own warnings still show, except "ports are not published by apply": export maps them.
  assert.not.match(r.stderr, "not published");
});

t("invalid manifests exit 65 with every problem, like validate, and print nothing on stdout", async () => {
  const r = await runKuke(["export", "kubernetes", "-f", fixture("invalid/unknown-field.yaml")]);
  assert.is(r.code, 65);
  assert.is(r.stdout, "");
  assert.match(r.stderr, "unknown field spec.containers[0].gpu");
  assert.match(r.stderr, "validation failed: 1 error");
});

t("usage errors exit 64: an unknown --as, a missing -f, an unknown target", async () => {
  const bad = await runKuke(["export", "kubernetes", "-f", fixture("examples/stack.yaml"), "--as", "statefulset"]);
  assert.is(bad.code, 64);
  assert.match(bad.stderr, "--as must be pod or deployment");
  assert.is((await runKuke(["export", "kubernetes"])).code, 64);
  assert.is((await runKuke(["export", "nomad", "-f", fixture("examples/stack.yaml")])).code, 64);
});

t("-o DIR writes one file per object, in export order, each the same document as stdout", async () => {
  const dir = await mkdtemp("/tmp/kuke-cli-export-");
  try {
    const out = join(dir, "k8s");
    const r = await runKuke(["export", "kubernetes", "-f", fixture("export/everything.yaml"), "-o", out]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, `wrote 5 objects to ${out}`);
    const files = (await readdir(out)).sort();
    assert.equal(files, [
      "001-namespace-shop-apps.yaml",
      "002-networkpolicy-shop-apps.kuke-egress.yaml",
      "003-pod-shop-apps.front-agent.yaml",
      "004-secret-shop-apps.front-web-secrets.yaml",
      "005-pod-shop-apps.front-web.yaml",
    ]);
    const printed = (await runKuke(["export", "kubernetes", "-f", fixture("export/everything.yaml")])).stdout;
    const joined = (await Promise.all(files.map((f) => readFile(join(out, f), "utf8"))))
      .map((x) => `---\n${x}`)
      .join("");
    assert.is(joined, printed);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

t("--include-secrets takes fromEnv values from kuke's environment; a missing one is an error naming it", async () => {
  const dir = await mkdtemp("/tmp/kuke-cli-export-");
  try {
    const file = join(dir, "m.yaml");
    await writeFile(
      file,
      (await readFile(fixture("examples/stack.yaml"), "utf8")).replace(
        "      env:\n        - GREETING=hello\n",
        "      env:\n        - GREETING=hello\n      secrets: [{name: TOKEN, fromEnv: KUKE_CLI_TOKEN}]\n",
      ),
    );
    const ok = await runKuke(["export", "kubernetes", "-f", file, "--include-secrets"], {
      env: { KUKE_CLI_TOKEN: "s3cret" },
    });
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, `httpd.TOKEN: ${Buffer.from("s3cret").toString("base64")}`);
    assert.not.match(ok.stdout, "s3cret");
    const empty = await runKuke(["export", "kubernetes", "-f", file], { env: { KUKE_CLI_TOKEN: "s3cret" } });
    assert.match(empty.stdout, 'httpd.TOKEN: ""');
    assert.not.match(empty.stdout, Buffer.from("s3cret").toString("base64"));
    const missing = await runKuke(["export", "kubernetes", "-f", file, "--include-secrets"]);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, "KUKE_CLI_TOKEN is not set");
    assert.match(missing.stderr, "container/demo/apps/shop/web/httpd");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

t.run();
