/**
 * kukeon's command line, without a host: each kukeon flag and command parses and reaches kuke's
 * meaning of it (containerd's address is a socket that does not exist, so a command that got past
 * its arguments fails with exit 1 naming that socket, never 64). The host side is in
 * test/e2e/kukeon-cli.test.ts.
 */
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { fixture, hostlessCli } from "./capture.js";

const t = suite("cli/kukeon-flags");
const cli = hostlessCli(t, "kuke-cli-kukeon");
const kuke = cli.kuke;

/** Parsed and run: it failed only because no containerd answers. */
async function reachesHost(argv: string[], socket = cli.env.KUKE_CONTAINERD_ADDRESS ?? "") {
  const r = await kuke(argv);
  assert.is(r.code, 1, `${argv.join(" ")}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, socket, argv.join(" "));
  return r;
}

t("--containerd-socket is --containerd-address under kukeon's name", async () => {
  const other = join(cli.dir, "kukeon.sock");
  await reachesHost(["get", "cells", "--containerd-socket", other], other);
  await reachesHost(["--containerd-socket", other, "get", "cells"], other);
});

t("purge … --cascade --force and delete … --cascade --force are accepted", async () => {
  await reachesHost(["purge", "realm", "shop", "--cascade", "--force"]);
  await reachesHost(["delete", "realm", "shop", "--cascade", "--force"]);
});

t("delete -f FILE deletes what the file declares (no question), -o json|yaml", async () => {
  const stack = fixture("examples/stack.yaml");
  await reachesHost(["delete", "-f", stack]);
  await reachesHost(["delete", "-f", stack, "-o", "yaml"]);
  const both = await kuke(["delete", "cell", "web", "-f", stack]);
  assert.is(both.code, 64, both.stderr);
  assert.match(both.stderr, "either KIND NAME or -f FILE");
  const none = await kuke(["delete"]);
  assert.is(none.code, 64, none.stderr);
  assert.match(none.stderr, "delete needs KIND and NAME, or -f FILE");
  const bad = await kuke(["delete", "-f", stack, "-o", "xml"]);
  assert.is(bad.code, 64, bad.stderr);
  assert.match(bad.stderr, "-o must be json or yaml");
});

t("apply -f FILE -o json|yaml runs without asking, as kukeon's apply does", async () => {
  const stack = fixture("examples/stack.yaml");
  // Without a terminal, a plain apply refuses (64) before reading anything…
  const asks = await kuke(["apply", "-f", stack]);
  assert.is(asks.code, 64, asks.stderr);
  // …while kukeon's form goes on to the host.
  await reachesHost(["apply", "-f", stack, "-o", "json"]);
  await reachesHost(["apply", "-f", stack, "-o", "yaml"]);
  const bad = await kuke(["apply", "-f", stack, "-o", "table"]);
  assert.is(bad.code, 64, bad.stderr);
});

t("an invalid file under apply -o yaml: the report is the validation JSON, exit 65", async () => {
  const r = await kuke(["apply", "-f", fixture("invalid/two-roots.yaml"), "-o", "yaml"]);
  assert.is(r.code, 65, r.stderr);
  assert.is(JSON.parse(r.stdout).valid, false);
});

t("start|stop|kill NAME without a kind names a cell, as in kukeon", async () => {
  for (const verb of ["start", "stop", "kill"]) {
    await reachesHost([verb, "web", "--realm", "shop", "--space", "apps", "--stack", "front"]);
    const kindOnly = await kuke([verb, "cell", "--realm", "shop", "--space", "apps", "--stack", "front"]);
    assert.is(kindOnly.code, 64, kindOnly.stderr);
    assert.match(kindOnly.stderr, "cell needs a NAME");
  }
  const noStack = await kuke(["stop", "web", "--realm", "shop", "--space", "apps"]);
  assert.is(noStack.code, 64, noStack.stderr);
  assert.match(noStack.stderr, "a cell needs --stack");
});

t("--no-daemon is accepted with a note on stderr", async () => {
  const r = await kuke(["version", "--no-daemon"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kuke /);
  assert.match(r.stderr, "kuke has no daemon");
  const plain = await kuke(["version"]);
  assert.is(plain.stderr, "");
});

t("autocomplete SHELL is completion SHELL", async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const a = await kuke(["autocomplete", shell]);
    const c = await kuke(["completion", shell]);
    assert.is(a.code, 0, a.stderr);
    assert.is(a.stdout, c.stdout);
    assert.match(a.stdout, "__complete");
  }
  const bad = await kuke(["completion", "tcsh"]);
  assert.is(bad.code, 64);
  assert.match(bad.stderr, "bash, zsh, fish");
});

t.run();
