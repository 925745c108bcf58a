/**
 * The imperative verbs' argument handling, in-process and without touching the host: every
 * mistake here is caught before containerd or the run path is read.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseKind } from "../../src/cli/resource-flags.js";
import { signalNumber } from "../../src/cli/task-verb-command.js";
import { isKukeError } from "../../src/model/index.js";
import { runKuke } from "./capture.js";

const t = suite("cli/verbs-usage");
// Nothing answers here: a command that got past its argument checks would fail with exit 1, not 64.
const env = { KUKE_CONTAINERD_ADDRESS: "unix:///nonexistent/kuke-test.sock", KUKE_RUN_PATH: "/nonexistent/kuke-run" };

async function usage(argv: string[], message: string): Promise<void> {
  const r = await runKuke(argv, { env });
  assert.is(r.code, 64, `${argv.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, message);
}

t("kuke --help lists every verb", async () => {
  const r = await runKuke(["--help"]);
  for (const verb of ["create", "get", "delete", "purge", "start", "stop", "kill", "refresh", "logs"]) {
    // On a line of its own, or on one shared with its sibling verbs (`start|stop|kill`).
    assert.match(r.stdout, new RegExp(`\\n  ([a-z]+\\|)*${verb}(\\|[a-z]+)*  `), verb);
  }
});

t("create needs KIND and NAME or -f, and a container needs --image", async () => {
  await usage(["create"], "create needs KIND and NAME, or -f FILE");
  await usage(
    ["create", "container", "app", "--space", "s", "--stack", "t", "--cell", "c"],
    "a container needs --image",
  );
  await usage(["create", "cell", "web", "--image", "busybox", "--space", "s", "--stack", "t"], "--image, --command");
  await usage(["create", "stack", "x", "--env", "A=1", "--space", "s"], "--image, --command");
  await usage(["create", "realm", "r", "--label", "novalue"], "--label 'novalue' is not K=V");
});

t("scope flags: a missing enclosing name is a usage error naming the flag", async () => {
  await usage(["create", "cell", "web", "--space", "apps"], "a cell needs --stack");
  await usage(["delete", "container", "app", "--space", "s", "--stack", "t"], "a container needs --cell");
  await usage(["purge", "stack", "t"], "a stack needs --space");
});

t("kinds: plural and singular are accepted where they make sense, others refused", async () => {
  assert.is(parseKind("cells"), "cell");
  assert.is(parseKind("Realm"), "realm");
  assert.throws(
    () => parseKind("widgets"),
    (e: unknown) => isKukeError(e, "usage"),
  );
  await usage(["get", "widgets"], "'widgets' is not a kind");
  await usage(["start", "realm", "r"], "use one of: cell, container");
  await usage(["get", "cells", "-o", "xml"], "-o must be one of table, yaml, json");
});

t("kill --signal takes names and numbers", async () => {
  assert.is(signalNumber("KILL"), 9);
  assert.is(signalNumber("sigterm"), 15);
  assert.is(signalNumber("2"), 2);
  assert.throws(
    () => signalNumber("NOPE"),
    (e: unknown) => isKukeError(e, "usage"),
  );
  assert.throws(
    () => signalNumber("0"),
    (e: unknown) => isKukeError(e, "usage"),
  );
  await usage(
    ["kill", "cell", "c", "--space", "s", "--stack", "t", "--signal", "NOPE"],
    "--signal 'NOPE' is not a signal",
  );
});

t("logs: a container or cell address, --tail N, no --follow of --previous; nothing run, no log", async () => {
  await usage(["logs", "stack/r/s/t"], "is not a container or cell address");
  await usage(["logs", "cell/r/s/t/c", "--tail", "ten"], "--tail must be a whole number");
  await usage(["logs", "container/r/s/t/c/k", "--previous", "-f"], "--previous cannot be followed");
  const dir = await mkdtemp("/tmp/kuke-logs-");
  try {
    const r = await runKuke(["logs", "container/r/s/t/c/k"], { env: { ...env, KUKE_RUN_PATH: join(dir, "run") } });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, "container/r/s/t/c/k");
    const cell = await runKuke(["logs", "cell/r/s/t/c"], { env: { ...env, KUKE_RUN_PATH: join(dir, "run") } });
    assert.is(cell.code, 1, cell.stderr);
    assert.match(cell.stderr, "no logs for cell/r/s/t/c");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

t.run();
