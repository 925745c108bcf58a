/**
 * Secrets stay secret (issue 12 item 7), on the real host: a stack with a file secret and an env
 * secret is applied; no value, nor an unkeyed SHA-256 of one, appears in plan JSON, apply output,
 * `get -o json|yaml`, any file under the run path (records, journal, logs, key), the runtime dir
 * (except the file secret's own mount file), or containerd's stored container spec as `ctr
 * containers info` shows it. The task still gets both (its environment, the mounted file, and
 * `kuke exec`); a rotated value restarts it with the new one; `kuke stop`/`start` reads the source
 * again. A container with a restart policy the monitor enforces is the documented exception: its
 * env secret is stored (the monitor re-creates tasks from the stored spec) and the plan warns.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type KukeRun, runKuke } from "../cli/capture.js";
import { environOf, SPACE, STACK, type StackHost, stackHost } from "./stack-host.js";

const run = promisify(execFile);
const t = suite("e2e/secrets");
let h: StackHost;

const rnd = () => randomBytes(6).toString("hex");
const FILE_VALUE = `file-secret-${rnd()}`;
let envValue = `env-secret-${rnd()}`;
const MONITORED_VALUE = `monitored-secret-${rnd()}`;
const sha = (v: string) => createHash("sha256").update(v).digest("hex");
let secretFile = "";

/** kuke with the secrets' environment variables set, as an operator's shell would have them. */
const kuke = (argv: string[]): Promise<KukeRun> =>
  runKuke(argv, { env: { ...h.env, KUKE_E2E_API_KEY: envValue, KUKE_E2E_MONITORED: MONITORED_VALUE } });

/** The values (and their unkeyed digests) that must not appear in `text`; `allowed` may. */
function leaks(text: string, allowed: string[] = []): string[] {
  const values = [FILE_VALUE, envValue, MONITORED_VALUE].filter((v) => !allowed.includes(v));
  return values.flatMap((v) => [v, sha(v)]).filter((needle) => text.includes(needle));
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The stored spec of a container, as `ctr containers info` prints it. */
async function ctrInfo(id: string): Promise<string> {
  const address = h.containerd.address.replace(/^unix:\/\//, "");
  const { stdout } = await run("ctr", ["--address", address, "-n", h.namespace, "containers", "info", id]);
  return stdout;
}

const ticker = () => `container/${h.realm}/${SPACE}/${STACK}/web/ticker`;

t.before(async () => {
  h = await stackHost();
  secretFile = join(h.dir, "token");
  await writeFile(secretFile, FILE_VALUE, { mode: 0o600 });
  await h.writeManifest((text) =>
    text
      .replace(
        '      args: [-c, "while true; do date; sleep 5; done"]\n',
        `      args: [-c, "while true; do date; sleep 5; done"]\n      secrets:\n        - {name: token, fromFile: ${secretFile}, mountPath: /run/secrets/token}\n        - {name: API_KEY, fromEnv: KUKE_E2E_API_KEY}\n`,
      )
      .replace(
        "      restartPolicy: always\n",
        "      restartPolicy: always\n      secrets: [{name: MONITORED, fromEnv: KUKE_E2E_MONITORED}]\n",
      ),
  );
  const manifest = await readFile(h.manifest, "utf8");
  if (!manifest.includes("KUKE_E2E_API_KEY") || !manifest.includes("KUKE_E2E_MONITORED")) {
    throw new Error("the fixture changed: the secrets were not added");
  }
});
t.after(async () => {
  await h?.cleanup();
});

t(
  "plan JSON and apply output hold no value; the plan warns about the monitored container's stored secret",
  async () => {
    const plan = await kuke(["plan", "-f", h.manifest, "--json"]);
    assert.is(plan.code, 0, plan.stderr);
    assert.equal(leaks(plan.stdout + plan.stderr), []);
    const warnings = (
      JSON.parse(plan.stdout) as { errors: { severity: string; address: string; summary: string }[] }
    ).errors.filter((e) => e.severity === "warning");
    assert.equal(
      warnings.map((w) => w.address),
      [`container/${h.realm}/${SPACE}/${STACK}/web/httpd`],
    );
    assert.match(warnings[0]!.summary, "secret MONITORED will be readable in containerd's stored spec");
    const apply = await kuke(["apply", "--auto-approve", "-f", h.manifest]);
    assert.is(apply.code, 0, apply.stdout + apply.stderr);
    assert.equal(leaks(apply.stdout + apply.stderr), []);
  },
);

t("the task gets both secrets: its environment, the mounted file, and kuke exec", async () => {
  const c = (await h.containers()).get(h.idOf("web", "ticker"));
  assert.is(c?.status, "running");
  assert.ok((await environOf(c!.pid as number)).includes(`API_KEY=${envValue}`));
  const cat = await kuke(["exec", ticker(), "--", "cat", "/run/secrets/token"]);
  assert.is(cat.stdout, FILE_VALUE, cat.stderr);
  const env = await kuke(["exec", ticker(), "--", "sh", "-c", "echo $API_KEY"]);
  assert.is(env.stdout, `${envValue}\n`, env.stderr);
  const monitored = (await h.containers()).get(h.idOf("web", "httpd"));
  assert.ok((await environOf(monitored!.pid as number)).includes(`MONITORED=${MONITORED_VALUE}`));
});

t(
  "no value nor unkeyed digest in get -o json|yaml, the run path, the runtime dir or containerd's stored specs",
  async () => {
    for (const kind of ["realms", "spaces", "stacks", "cells", "containers"]) {
      for (const format of ["json", "yaml"]) {
        const r = await kuke(["get", kind, "--realm", h.realm, "-o", format]);
        assert.is(r.code, 0, r.stderr);
        assert.equal(leaks(r.stdout), [], `get ${kind} -o ${format}`);
        assert.not.match(r.stdout, "hmac-sha256:", `get ${kind} -o ${format} shows no digest`);
      }
    }
    const got = JSON.parse((await kuke(["get", "containers", "ticker", "--realm", h.realm, "-o", "json"])).stdout);
    assert.equal(
      got.items[0].spec.secrets.map((s: { valueHash: string }) => s.valueHash),
      ["(sensitive)", "(sensitive)"],
    );

    const runFiles = await filesUnder(h.env.KUKE_RUN_PATH);
    assert.ok(runFiles.some((f) => f.includes("/records/")) && runFiles.some((f) => f.includes("/journal/")));
    assert.ok(
      runFiles.some((f) => f.endsWith(".log")),
      "the logs are searched too",
    );
    for (const f of runFiles) assert.equal(leaks(await readFile(f, "latin1")), [], f);
    const records = (
      await Promise.all(runFiles.filter((f) => f.includes("/records/")).map((f) => readFile(f, "utf8")))
    ).join("");
    assert.match(records, "hmac-sha256:", "records keep keyed digests");

    const mounted = (await filesUnder(h.env.KUKE_RUNTIME_DIR)).filter((f) => f.includes("/secrets/"));
    assert.is(mounted.length, 1, mounted.join(" "));
    // Netns pins are namespace files (nsfs), not data: nothing to read there.
    const runtimeFiles = (await filesUnder(h.env.KUKE_RUNTIME_DIR)).filter((f) => !f.includes("/netns/"));
    for (const f of runtimeFiles) {
      assert.equal(leaks(await readFile(f, "latin1"), f === mounted[0] ? [FILE_VALUE] : []), [], f);
    }

    for (const id of (await h.containers()).keys()) {
      const info = await ctrInfo(id);
      assert.match(info, '"Spec"');
      // The restart monitor's container is the exception the plan warned about (see sealed-env.ts).
      assert.equal(
        leaks(info, id === h.idOf("web", "httpd") ? [MONITORED_VALUE] : []),
        [],
        `ctr containers info ${id}`,
      );
    }
    assert.match(await ctrInfo(h.idOf("web", "httpd")), MONITORED_VALUE);
  },
);

t("a rotated env secret restarts the task with the new value, still kept out of the stored spec", async () => {
  const before = (await h.containers()).get(h.idOf("web", "ticker"))?.pid;
  envValue = `env-secret-${rnd()}`;
  const plan = await kuke(["plan", "-f", h.manifest, "--json"]);
  assert.equal(leaks(plan.stdout), []);
  const change = (
    JSON.parse(plan.stdout) as { changes: { address: string; action: string; changedPaths: string[] }[] }
  ).changes.find((c) => c.address === ticker());
  assert.is(change?.action, "update");
  assert.equal(change?.changedPaths, ["spec.secrets[1].valueHash"]);
  const apply = await kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(apply.code, 0, apply.stdout + apply.stderr);
  const c = (await h.containers()).get(h.idOf("web", "ticker"));
  assert.is.not(c?.pid, before);
  assert.ok((await environOf(c!.pid as number)).includes(`API_KEY=${envValue}`));
  assert.equal(leaks(await ctrInfo(h.idOf("web", "ticker"))), []);
});

t("kuke stop then start: the new task reads the env secret from its source again", async () => {
  const scope = ["--realm", h.realm, "--space", SPACE, "--stack", STACK, "--cell", "web"];
  const stop = await kuke(["stop", "container", "ticker", ...scope]);
  assert.is(stop.code, 0, stop.stdout + stop.stderr);
  const start = await kuke(["start", "container", "ticker", ...scope]);
  assert.is(start.code, 0, start.stdout + start.stderr);
  const c = (await h.containers()).get(h.idOf("web", "ticker"));
  assert.is(c?.status, "running");
  assert.ok((await environOf(c!.pid as number)).includes(`API_KEY=${envValue}`));
  assert.equal(leaks(await ctrInfo(h.idOf("web", "ticker"))), []);
});

t.run();
