import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  type ActualState,
  addressPath,
  type CellAddress,
  type ContainerAddress,
  cgroupPath,
  containerdId,
  type DesiredState,
  egressChainName,
  parseAddress,
} from "../../src/model/index.js";
import type { Plan } from "../../src/planner/types.js";
import { until } from "../harness/until.js";
import { world } from "../planner/builders.js";
import { cellPaths, type HostWorld, hostWorld, httpGetFrom } from "./host-world.js";

const t = suite("engine/apply on this host (containerd, CNI, cgroups)");

let w: HostWorld;
let desired: DesiredState;

/** web: synthesized root + httpd serving $GREETING; client: declared root + a sleeper. */
function desiredWith(greeting: string): DesiredState {
  return world({
    realm: w.realm,
    space: "net",
    spaceSpec: { network: { egress: { default: "allow", allow: [] } } },
    cells: [
      {
        name: "web",
        containers: [
          {
            id: "httpd",
            image: "busybox",
            command: "sh",
            args: ["-c", 'mkdir -p /www && echo "hello-$GREETING" > /www/index.html && exec httpd -f -p 8080 -h /www'],
            env: [`GREETING=${greeting}`],
          },
        ],
      },
      {
        name: "client",
        containers: [
          { id: "main", root: true, image: "busybox", command: "sleep", args: ["3600"] },
          { id: "side", image: "busybox", command: "sleep", args: ["3600"], resources: { pidsLimit: 64 } },
        ],
      },
    ],
  });
}

const cellOf = (name: string) => parseAddress(`cell/${w.realm}/net/app/${name}`) as CellAddress;
const containerKey = (cell: string, c: string) => `container/${w.realm}/net/app/${cell}/${c}`;

function failuresText(r: { result: { failures: { stepId: string; error: { format(): string } }[] } }): string {
  return r.result.failures.map((f) => `${f.stepId}: ${f.error.format()}`).join("\n");
}

function changed(p: Plan): string[] {
  return p.changes.filter((c) => c.action !== "noop").map((c) => `${c.action} ${c.address}`);
}

function pidOf(actual: ActualState, key: string): number {
  const c = actual.resources[key]?.container;
  assert.ok(c?.task.status === "running" && c.task.pid !== undefined, `${key} runs: ${JSON.stringify(c?.task)}`);
  return c!.task.pid!;
}

t.before(async () => {
  w = await hostWorld("apply");
  desired = desiredWith("one");
});

t.after(async () => {
  await w?.forceCleanup();
});

t("apply from empty: every task runs in its cgroup, cells get IPs in the space's /24 and talk over TCP", async () => {
  const r = await w.apply(desired);
  assert.is(r.result.status, "succeeded", failuresText(r));
  assert.equal(r.plan.summary, { add: 9, change: 0, replace: 0, destroy: 0 });

  const actual = await w.refresh(desired);
  const containers = desired.cells.flatMap((c) => c.spec.containers.map((k) => containerKey(c.name, k.id)));
  assert.is(containers.length, 4, "web has a synthesized root");
  for (const key of containers) {
    const pid = pidOf(actual, key);
    const path = cgroupPath(...addressPath(parseAddress(key)));
    const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
    for (const controller of ["memory", "pids"]) {
      const line = lines.find((l) => l.split(":")[1]?.split(",").includes(controller));
      assert.ok(line?.endsWith(`:${path}`), `${key} in ${controller} cgroup ${path}: ${line}`);
    }
    assert.is(actual.records[key]?.extra.containerdId, containerdId(parseAddress(key) as ContainerAddress));
  }
  // A live limit reached the workload's cgroup.
  assert.equal((await w.host.cgroups.readLimits(cgroupPath(w.realm, "net", "app", "client", "side"))).pidsLimit, 64);

  const subnet = actual.records[`space/${w.realm}/net`]?.extra.subnet;
  assert.ok(subnet?.endsWith(".0/24"), String(subnet));
  const prefix = subnet!.slice(0, -"0/24".length);
  const ips: Record<string, string> = {};
  for (const name of ["web", "client"]) {
    const ip = actual.records[`cell/${w.realm}/net/app/${name}`]?.extra.ip;
    assert.ok(ip?.startsWith(prefix), `${name} ip ${ip} in ${subnet}`);
    ips[name] = ip!;
  }
  assert.is.not(ips.web, ips.client);
  assert.ok(actual.egressChains.includes(egressChainName(w.realm, "net")), "the space's egress chain is listed");

  // From the client cell's namespace to the web cell's httpd (a workload that joined web's network).
  const clientNs = w.host.network.pinPath(cellOf("client"));
  // httpd may still be starting right after apply; the first answer decides.
  const body = await until("httpd to answer", async () => {
    const b = await httpGetFrom(clientNs, `http://${ips.web}:8080/`);
    return b.startsWith("error") ? undefined : b;
  });
  assert.is(body, "hello-one");
});

t("a second refresh + plan is empty", async () => {
  const { plan } = await w.plan(desired);
  assert.equal(changed(plan), []);
  assert.equal(plan.drift, []);
  assert.equal(plan.summary, { add: 0, change: 0, replace: 0, destroy: 0 });
});

t("an env change plans an update with restart; after apply the new process has the new env", async () => {
  const before = pidOf(await w.refresh(desired), containerKey("web", "httpd"));
  desired = desiredWith("two");
  const { plan } = await w.plan(desired);
  const change = plan.changes.find((c) => c.address === containerKey("web", "httpd"))!;
  assert.is(change.action, "update");
  assert.ok(change.restarts);
  assert.equal(changed(plan), [`update ${containerKey("web", "httpd")}`]);

  const r = await w.apply(desired);
  assert.is(r.result.status, "succeeded", failuresText(r));
  const actual = await w.refresh(desired);
  const pid = pidOf(actual, containerKey("web", "httpd"));
  assert.is.not(pid, before);
  const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  assert.ok(env.includes("GREETING=two"), env.join(" "));
  const ip = actual.records[`cell/${w.realm}/net/app/web`]?.extra.ip;
  const clientNs = w.host.network.pinPath(cellOf("client"));
  assert.is(
    await until("httpd restarted", async () => {
      const body = await httpGetFrom(clientNs, `http://${ip}:8080/`);
      return body === "hello-two" ? body : undefined;
    }),
    "hello-two",
  );
  assert.equal(changed((await w.plan(desired)).plan), [], "converged");
});

t("a task killed behind kuke's back is drift; apply restarts it", async () => {
  const key = containerKey("client", "side");
  const id = containerdId(parseAddress(key) as ContainerAddress);
  const before = pidOf(await w.refresh(desired), key);
  assert.ok(await w.host.containerd.killTask(w.namespace, id, 9));
  await until("the task to stop", async () => {
    const c = (await w.host.containerd.listContainers(w.namespace)).find((x) => x.id === id);
    return c?.status === "stopped" ? true : undefined;
  });
  const { plan } = await w.plan(desired);
  assert.equal(
    plan.drift.map((d) => `${d.kind} ${d.address}`),
    [`task-exited ${key}`],
  );
  assert.match(plan.drift[0]!.text, "137");
  assert.equal(changed(plan), [`update ${key}`]);

  const r = await w.apply(desired);
  assert.is(r.result.status, "succeeded", failuresText(r));
  const after = pidOf(await w.refresh(desired), key);
  assert.is.not(after, before);
  assert.equal(changed((await w.plan(desired)).plan), []);
});

t("a root task killed behind kuke's back replaces the cell; its workload serves again", async () => {
  const rootKey = containerKey("web", "root");
  const id = containerdId(parseAddress(rootKey) as ContainerAddress);
  assert.ok(await w.host.containerd.killTask(w.namespace, id, 9));
  await until("the root task to stop", async () => {
    const c = (await w.host.containerd.listContainers(w.namespace)).find((x) => x.id === id);
    return c?.status === "stopped" ? true : undefined;
  });
  const { plan } = await w.plan(desired);
  assert.ok(
    plan.drift.some((d) => d.kind === "root-task-dead" && d.address === rootKey),
    JSON.stringify(plan.drift),
  );
  const cell = plan.changes.find((c) => c.address === `cell/${w.realm}/net/app/web`)!;
  assert.is(cell.action, "replace");

  const r = await w.apply(desired);
  assert.is(r.result.status, "succeeded", failuresText(r));
  const actual = await w.refresh(desired);
  pidOf(actual, rootKey);
  pidOf(actual, containerKey("web", "httpd"));
  const ip = actual.records[`cell/${w.realm}/net/app/web`]?.extra.ip;
  const clientNs = w.host.network.pinPath(cellOf("client"));
  const body = await until("httpd to answer", async () => {
    const b = await httpGetFrom(clientNs, `http://${ip}:8080/`);
    return b.startsWith("error") ? undefined : b;
  });
  assert.is(body, "hello-two");
  assert.equal(changed((await w.plan(desired)).plan), [], "converged");
});

t("destroy removes everything: containers, snapshots, cgroups, pins, bridge, IPAM, chains, records", async () => {
  const r = await w.apply(desired, { destroy: true });
  assert.is(r.result.status, "succeeded", failuresText(r));
  assert.is(r.plan.summary.destroy, 9);
  assert.equal(await w.leaks(desired), []);
  assert.ok(cellPaths(desired).length > 0);
});

t.run();
