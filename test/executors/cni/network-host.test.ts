import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { chainExists } from "../../../src/executors/cni/egress.js";
import { runCommand } from "../../../src/executors/cni/host-command.js";
import {
  masqueradeChainName,
  type NetworkExecutor,
  type SpaceNetwork,
} from "../../../src/executors/cni/network-executor.js";
import { cellAddress } from "../../../src/model/address.js";
import { isKukeError } from "../../../src/model/errors.js";
import { masqueradeChainOfSpace, netnsName, networkName } from "../../../src/model/host-names.js";
import {
  addressIn,
  leakCheck,
  makeOutside,
  type NetnsHolder,
  probeTcp,
  removeLink,
  removeNetns,
  runId,
  serveTcp,
  startNetnsHolder,
} from "../../harness/netns.js";
import { tempNetwork } from "../../harness/temp-network.js";

const t = suite("executors/cni/network on this host");

const id = runId();
const realm = `kt${id}`;
// A pool of this run's own (not 10.88/16) so concurrent test runs and a real kuke never share routes.
const octet = 150 + Math.floor(Math.random() * 100);
const pool = `10.${octet}.0.0/16`;
// The "outside" destination sits on a /30 of the same pool, far above the /24s handed to spaces.
const outsideNs = `kt-${id}-out`;
const outsideIf = `kto${id}`;
const hostSide = `10.${octet}.255.1`;
const outsideIp = `10.${octet}.255.2`;

const cellA = cellAddress(realm, "s1", "t", "a");
const cellB = cellAddress(realm, "s1", "t", "b");
const cellC = cellAddress(realm, "s2", "t", "c");
const cells = [cellA, cellB, cellC];

let net: NetworkExecutor;
const holders = new Map<string, NetnsHolder>();

t.before(async () => {
  ({ net } = await tempNetwork(
    "kt-net",
    { realm, spaces: ["s1", "s2"], cells },
    {
      subnetPool: pool,
      resolver: async (host) => (host === "outside.test" ? [outsideIp] : Promise.reject(new Error("NXDOMAIN"))),
    },
  ));
});

let s1: SpaceNetwork;
let s2: SpaceNetwork;

t("bootstrap reports plugin locations and the CNI version", async () => {
  const report = await net.bootstrap();
  assert.equal(
    report.plugins.map((p) => [p.type, p.path]),
    [
      ["bridge", "/usr/lib/cni/bridge"],
      ["host-local", "/usr/lib/cni/host-local"],
      ["loopback", "/usr/lib/cni/loopback"],
      ["portmap", "/usr/lib/cni/portmap"],
    ],
  );
  assert.equal(report.pluginDirs, [
    { dir: "/opt/cni/bin", present: false },
    { dir: "/usr/lib/cni", present: true },
  ]);
  assert.is(report.cniVersion, "1.0.0");
});

t("each space gets its own /24 and a 0600 conflist; ensuring again changes nothing", async () => {
  s1 = await net.ensureSpaceNetwork(realm, "s1");
  s2 = await net.ensureSpaceNetwork(realm, "s2");
  assert.is(s1.subnet, `10.${octet}.0.0/24`);
  assert.is(s2.subnet, `10.${octet}.1.0/24`);
  assert.is(s1.network, networkName(realm, "s1"));
  assert.is((await stat(s1.conflistPath)).mode & 0o777, 0o600);
  const before = (await stat(s1.conflistPath)).mtimeMs;
  assert.equal(await net.ensureSpaceNetwork(realm, "s1"), s1);
  assert.is((await stat(s1.conflistPath)).mtimeMs, before);
});

t("attach needs a pinned namespace", async () => {
  try {
    await net.attach(cellA);
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "failed-precondition"), String(e));
  }
});

t(
  "two cells in a space get distinct addresses in its /24 and talk over TCP; another space's cell gets another /24",
  async () => {
    for (const c of cells) {
      const h = await startNetnsHolder();
      holders.set(c.cell, h);
      const pin = await net.pin(c, h.pid);
      assert.is(await net.pin(c, h.pid), pin, "pinning the same namespace again is a no-op");
      assert.ok(await net.isPinned(c));
    }
    const a = await net.attach(cellA);
    const b = await net.attach(cellB);
    const c = await net.attach(cellC);
    assert.ok(a.ip.startsWith(`10.${octet}.0.`) && b.ip.startsWith(`10.${octet}.0.`), `${a.ip} ${b.ip}`);
    assert.is.not(a.ip, b.ip);
    assert.ok(c.ip.startsWith(`10.${octet}.1.`), c.ip);
    assert.is(a.gateway, s1.gateway);
    assert.ok(a.mac && /^[0-9a-f:]{17}$/.test(a.mac));
    assert.is(await addressIn(net.pinner.pathOf(cellA), "eth0"), a.ip);
    assert.equal(await net.attach(cellA), a, "attaching again returns the recorded attachment");
    await net.check(cellA);

    await serveTcp(net.pinner.pathOf(cellA), 8080, "hello from a");
    assert.is(await probeTcp(net.pinner.pathOf(cellB), a.ip, 8080), "hello from a");
    const ipamFiles = await readdir(join(net.ipamDir, s1.network));
    assert.ok(ipamFiles.includes(a.ip) && ipamFiles.includes(b.ip), ipamFiles.join(","));
    const leaks = await net.leaks(realm, "s1", [cellA, cellB]);
    assert.is(leaks.bridge.length, 1);
    assert.is(leaks.veths.length, 2);
    const masquerade = masqueradeChainOfSpace(realm, "s1");
    assert.equal(
      leaks.natRules,
      [`:${masquerade} - [0:0]`, `-A POSTROUTING -s ${s1.subnet} -j ${masquerade}`],
      "the space's masquerade chain and its one jump are visible to the leak check",
    );
    assert.equal(
      (await runCommand("iptables", ["-w", "-t", "nat", "-S", masquerade])).stdout.trim().split("\n").slice(1),
      [`-A ${masquerade} -d ${s1.subnet} -j ACCEPT`, `-A ${masquerade} ! -d 224.0.0.0/4 -j MASQUERADE`],
    );
    assert.not.ok(
      await chainExists("nat", masqueradeChainName(s1.network, netnsName(cellA))),
      "no masquerade chain per cell: the bridge plugin runs without ipMasq",
    );
    await net.ensureSpaceNetwork(realm, "s1");
    assert.is((await net.leaks(realm, "s1")).natRules.length, 2, "ensuring the space again adds no second jump");
    try {
      await net.removeSpaceNetwork(realm, "s1");
      assert.unreachable("should be busy");
    } catch (e) {
      assert.ok(isKukeError(e, "busy"), String(e));
    }
  },
);

t("deny-default egress blocks what is not allowed and lets the allowed destination through", async () => {
  await makeOutside(outsideNs, outsideIf, hostSide, outsideIp);
  await serveTcp(`/run/netns/${outsideNs}`, 8081, "allowed port");
  await serveTcp(`/run/netns/${outsideNs}`, 8082, "other port");
  const pinA = net.pinner.pathOf(cellA);
  const a = await net.attach(cellA);
  const b = await net.attach(cellB);
  assert.is(await probeTcp(pinA, outsideIp, 8082), "other port", "without a policy everything goes out");

  await net.applyEgress(realm, "s1", { default: "deny", allow: [{ cidr: outsideIp, ports: [8081] }] });
  assert.is(await probeTcp(pinA, outsideIp, 8081), "allowed port");
  assert.is(await probeTcp(pinA, outsideIp, 8082), "refused");
  assert.is(
    await probeTcp(net.pinner.pathOf(cellB), a.ip, 8080),
    "hello from a",
    "traffic inside the subnet is untouched",
  );
  assert.is(await probeTcp(net.pinner.pathOf(cellC), outsideIp, 8082), "other port", "another space is untouched");
  assert.ok(b.ip);

  const applied = await net.applyEgress(realm, "s1", { default: "deny", allow: [{ host: "outside.test", ports: [] }] });
  assert.equal(applied.resolved, { "outside.test": [outsideIp] });
  assert.is(await probeTcp(pinA, outsideIp, 8082), "other port", "the host rule allows every port");
  const rules = await net.readEgress(realm, "s1");
  assert.is(rules?.length, 3, `the chain is replaced, not appended to: ${rules?.join("\n")}`);

  try {
    await net.applyEgress(realm, "s1", { default: "deny", allow: [{ host: "nowhere.test", ports: [] }] });
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "unavailable"), String(e));
  }
  assert.is(await probeTcp(pinA, outsideIp, 8082), "other port", "a failed apply keeps the previous policy");

  await net.removeEgress(realm, "s1");
  await net.removeEgress(realm, "s1");
  assert.is(await net.readEgress(realm, "s1"), undefined);
});

t("DEL after the namespace's process was killed still releases the address (pinned netns)", async () => {
  const b = await net.attach(cellB);
  await holders.get("b")?.kill();
  assert.ok(await net.isPinned(cellB), "the pin outlives the process");
  await net.detach(cellB);
  await net.detach(cellB);
  const ipamFiles = await readdir(join(net.ipamDir, s1.network));
  assert.not.ok(ipamFiles.includes(b.ip), `released: ${ipamFiles.join(",")}`);
  await net.unpin(cellB);
  await net.unpin(cellB);
  assert.not.ok(await net.isPinned(cellB));
  // the freed address is handed out again
  const h = await startNetnsHolder();
  holders.set("b", h);
  await net.pin(cellB, h.pid);
  assert.ok((await net.attach(cellB)).ip.startsWith(`10.${octet}.0.`));
});

t("teardown leaves nothing: bridges, veths, IPAM, NAT and egress rules, pins, conflists, records", async () => {
  await net.applyEgress(realm, "s1", { default: "deny", allow: [] });
  for (const c of cells) {
    await net.detach(c);
    await net.unpin(c);
    await holders.get(c.cell)?.kill();
  }
  await net.removeSpaceNetwork(realm, "s1");
  await net.removeSpaceNetwork(realm, "s2");
  await net.removeSpaceNetwork(realm, "s2");
  await removeNetns(outsideNs);
  await removeLink(outsideIf);
  for (const space of ["s1", "s2"]) {
    const left = await leakCheck({
      network: { executor: net, realm, space, cells: cells.filter((c) => c.space === space) },
      netns: [outsideNs],
      links: [outsideIf],
    });
    assert.equal(left, [], `leftovers of ${space}`);
  }
  assert.equal(await readdir(net.pinner.dir), []);
  for (const space of ["s1", "s2"]) assert.not.ok(await chainExists("nat", masqueradeChainOfSpace(realm, space)));
});

t.run();
