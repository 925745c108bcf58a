/**
 * Services reachable on the real host: the example stack's httpd published on 127.0.0.1 (portmap),
 * moved to another host port without a new address, and cells finding each other by name through
 * the hosts files kuke keeps (`web` inside the stack, `web.shop.apps` from another stack), rewritten
 * in place as cells come and go. Destroy frees the port and leaves no portmap chain or name file.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runCommand } from "../../src/executors/cni/host-command.js";
import { networkName } from "../../src/model/index.js";
import { fetchLoopback, freeLoopbackPort, SPACE, type StackHost, stackHost, waitFor } from "./stack-host.js";

const t = suite("e2e/published ports and names");
let h: StackHost;
/** The port the manifest text from `writeManifest` carries (the first free one found). */
let firstPort = 0;

t.before(async () => {
  h = await stackHost();
  firstPort = h.hostPort;
});
t.after(async () => {
  await h?.cleanup();
});

/** A second stack in the same space whose cell looks web up by both names and prints what it got. */
const probeStack = (realm: string) => `
---
kind: Stack
metadata: {name: other}
spec: {realmId: ${realm}, spaceId: apps}
---
kind: Cell
metadata: {name: probe}
spec:
  realmId: ${realm}
  spaceId: apps
  stackId: other
  containers:
    - id: look
      image: docker.io/library/busybox:latest
      command: /bin/sh
      args: [-c, "while true; do echo long:$(wget -q -O- http://web.shop.apps:8080/); echo short:$(wget -q -O- http://web:8080/ 2>/dev/null || echo unresolved); sleep 1; done"]
`;

async function pidOf(cell: string, container: string): Promise<number> {
  const c = (await h.containers()).get(h.idOf(cell, container));
  assert.ok(c?.pid, `${cell}/${container} runs`);
  return c!.pid as number;
}

async function logOf(address: string): Promise<string> {
  const r = await h.kuke(["logs", address]);
  return r.stdout;
}

async function natRules(): Promise<string> {
  return (await runCommand("iptables-save", ["-t", "nat"])).stdout;
}

let webIp = "";

t("apply publishes web's httpd on 127.0.0.1 and worker reaches web by name", async () => {
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  await waitFor(
    "the published port",
    async () => (await fetchLoopback(h.hostPort)).includes("hello from kuke"),
    10_000,
  );
  const worker = `container/${h.realm}/${SPACE}/shop/worker/main`;
  await waitFor("worker's fetch by name", async () => (await logOf(worker)).includes("hello from kuke"), 15_000);
  const hosts = await readFile(`/proc/${await pidOf("web", "httpd")}/root/etc/hosts`, "utf8");
  webIp = /^(\S+)\tweb web\.shop\.apps$/m.exec(hosts)?.[1] ?? "";
  assert.match(webIp, /^10\.\d+\.\d+\.\d+$/, hosts);
  assert.match(hosts, /\tworker worker\.shop\.apps$/m);
  const resolv = await readFile(`/proc/${await pidOf("web", "httpd")}/root/etc/resolv.conf`, "utf8");
  assert.not.match(resolv, /nameserver 127\./, "loopback resolvers of the host are left out");
  const plan = await h.kuke(["plan", "-f", h.manifest, "--detailed-exitcode"]);
  assert.is(plan.code, 0, `${plan.stdout}${plan.stderr}`);
});

t(
  "a cell of another stack resolves web.shop.apps but not the bare name; web's running hosts file learns it",
  async () => {
    await h.writeManifest((text) => text + probeStack(h.realm));
    const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
    assert.is(r.code, 0, r.stderr);
    const probe = `container/${h.realm}/${SPACE}/other/probe/look`;
    await waitFor(
      "probe's lookups",
      async () => {
        const log = await logOf(probe);
        return log.includes("long:hello from kuke") && log.includes("short:unresolved");
      },
      15_000,
    );
    assert.not.match(await logOf(probe), "short:hello", "the bare name is for the cell's own stack");
    // Rewritten in place: the httpd that was already running sees the new cell.
    const hosts = await readFile(`/proc/${await pidOf("web", "httpd")}/root/etc/hosts`, "utf8");
    assert.match(hosts, /\tprobe\.other\.apps$/m);
    assert.not.match(hosts, /\tprobe probe/m);
  },
);

t("moving the host port re-publishes it live: same address, containers kept, the old port closed", async () => {
  const before = await pidOf("web", "httpd");
  const next = await freeLoopbackPort();
  await h.writeManifest((text) => text.replace(`127.0.0.1:${firstPort}:`, `127.0.0.1:${next}:`) + probeStack(h.realm));
  const plan = await h.kuke(["plan", "-f", h.manifest, "--no-color"]);
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, `127.0.0.1:${h.hostPort}:8080/tcp`);
  assert.match(plan.stdout, `127.0.0.1:${next}:8080/tcp`);
  assert.not.match(plan.stdout, "outside kuke");
  assert.not.match(plan.stdout, "forces replacement");
  const r = await h.kuke(["apply", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  assert.match(await fetchLoopback(next), "hello from kuke");
  assert.is(await fetchLoopback(h.hostPort), "refused");
  assert.is(await pidOf("web", "httpd"), before, "the httpd kept running");
  const hosts = await readFile(`/proc/${before}/root/etc/hosts`, "utf8");
  assert.match(hosts, new RegExp(`^${webIp.replace(/\./g, "\\.")}\\tweb `, "m"), "web kept its address");
  h.hostPort = next;
});

t("a host port something else listens on is a plan error naming it, and nothing changes", async () => {
  const { createServer } = await import("node:net");
  const squatter = createServer((s) => s.end("not kuke"));
  const taken = await freeLoopbackPort();
  await new Promise<void>((r) => squatter.listen(taken, "127.0.0.1", r));
  try {
    await h.writeManifest(
      (text) => text.replace(`127.0.0.1:${firstPort}:`, `127.0.0.1:${taken}:`) + probeStack(h.realm),
    );
    const plan = await h.kuke(["plan", "-f", h.manifest]);
    assert.is(plan.code, 1, plan.stdout);
    assert.match(
      plan.stderr,
      `host port ${taken}/tcp on 127.0.0.1 is taken: a process on the host listens on 127.0.0.1:${taken}`,
    );
    assert.match(await fetchLoopback(h.hostPort), "hello from kuke", "the published port is untouched");
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});

t("destroy frees the port and leaves no portmap rule and no name files", async () => {
  await h.writeManifest(
    (text) => text.replace(`127.0.0.1:${firstPort}:`, `127.0.0.1:${h.hostPort}:`) + probeStack(h.realm),
  );
  const r = await h.kuke(["destroy", "--auto-approve", "-f", h.manifest]);
  assert.is(r.code, 0, r.stderr);
  assert.is(await fetchLoopback(h.hostPort), "refused");
  const nat = await natRules();
  assert.not.match(nat, `\\"${networkName(h.realm, SPACE)}\\"`);
  const cells = await readdir(join(h.env.KUKE_RUN_PATH, "cells")).catch(() => []);
  assert.equal(cells, [], "no name files left");
});

t.run();
