/**
 * `npm run bench -- network [N]`: milliseconds per CNI ADD and DEL through kuke's NetworkExecutor
 * for N network namespaces (default 30), and per cgroup ensure/remove through the host's
 * CgroupDriver, each next to the same work done by the plugin binaries / mkdir+rmdir from one shell
 * loop in the same run (same config, same namespaces). Cleans up everything it makes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectCgroupDriver } from "../src/executors/cgroup/detect.js";
import { CgroupV1Driver } from "../src/executors/cgroup/v1.js";
import { mustRun } from "../src/executors/cni/host-command.js";
import { NetworkExecutor } from "../src/executors/cni/network-executor.js";
import { type CellAddress, cellAddress } from "../src/model/address.js";
import { netnsName } from "../src/model/host-names.js";

interface Row {
  op: string;
  kuke: number;
  direct: number;
}

async function holder(): Promise<ChildProcess> {
  const child = spawn("unshare", ["--net", "--", "sleep", "3600"], { stdio: "ignore" });
  const mine = await readlink("/proc/self/ns/net");
  for (let i = 0; i < 400; i++) {
    if ((await readlink(`/proc/${child.pid}/ns/net`).catch(() => mine)) !== mine) return child;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("unshare did not start");
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function main(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 30);
  const id = randomBytes(3).toString("hex");
  const realm = `kb${id}`;
  const runPath = await mkdtemp(join(tmpdir(), "kb-net-run-"));
  const runtimeDir = await mkdtemp(join(tmpdir(), "kb-net-rt-"));
  const net = new NetworkExecutor({
    runPath,
    runtimeDir,
    subnetPool: `10.${150 + Math.floor(Math.random() * 100)}.0.0/16`,
  });
  const cells: CellAddress[] = Array.from({ length: n }, (_, i) => cellAddress(realm, "s", "t", `c${i}`));
  const holders: ChildProcess[] = [];
  const cgroupTop = `/kuke-netbench-${id}`;
  const cgroups = await detectCgroupDriver();
  const rows: Row[] = [];
  try {
    const space = await net.ensureSpaceNetwork(realm, "s");
    for (const c of cells) {
      const h = await holder();
      holders.push(h);
      await net.pin(c, h.pid ?? 0);
    }
    // The same configs the executor hands each plugin, written once for the shell loop.
    const list = JSON.parse(await readFile(space.conflistPath, "utf8"));
    const bridgeConf = join(runPath, "bridge.json");
    const loConf = join(runPath, "lo.json");
    await writeFile(bridgeConf, JSON.stringify({ ...list.plugins[0], name: list.name, cniVersion: list.cniVersion }));
    await writeFile(loConf, JSON.stringify({ type: "loopback", name: "kuke-loopback", cniVersion: list.cniVersion }));
    const plugins = (await net.bootstrap()).plugins;
    const bridgeBin = plugins.find((p) => p.type === "bridge")?.path;
    const loBin = plugins.find((p) => p.type === "loopback")?.path;
    const cniPath = net.plugins.pluginDirs.join(":");
    const shellLoop = (command: "ADD" | "DEL") => {
      const lines = cells.map((c) => {
        const env = `CNI_COMMAND=${command} CNI_CONTAINERID=${netnsName(c)} CNI_NETNS=${net.pinner.pathOf(c)} CNI_PATH=${cniPath} CNI_ARGS=`;
        const bridge = `${env} CNI_IFNAME=eth0 ${bridgeBin} < ${bridgeConf} > /dev/null`;
        const lo = `${env} CNI_IFNAME=lo ${loBin} < ${loConf} > /dev/null`;
        return command === "ADD" ? `${lo} && ${bridge}` : `${bridge} && ${lo}`;
      });
      return mustRun("sh", ["-e", "-c", lines.join("\n")]);
    };

    for (let round = 0; round < 2; round++) {
      const kukeAdd = await timed(async () => {
        for (const c of cells) await net.attach(c);
      });
      const kukeDel = await timed(async () => {
        for (const c of cells) await net.detach(c);
      });
      const directAdd = await timed(() => shellLoop("ADD"));
      const directDel = await timed(() => shellLoop("DEL"));
      rows.push({ op: `CNI ADD (lo + bridge), round ${round + 1}`, kuke: kukeAdd / n, direct: directAdd / n });
      rows.push({ op: `CNI DEL (bridge + lo), round ${round + 1}`, kuke: kukeDel / n, direct: directDel / n });
    }

    const paths = cells.map((c) => `${cgroupTop}/${c.realm}/${c.space}/${c.stack}/${c.cell}`);
    const limits = { memoryLimitBytes: 64 * 1024 * 1024, pidsLimit: 100 };
    const bases = cgroups instanceof CgroupV1Driver ? cgroups.hierarchies.map((h) => h.mountPoint) : ["/sys/fs/cgroup"];
    const memBase =
      cgroups instanceof CgroupV1Driver
        ? cgroups.hierarchies.find((h) => h.controllers.includes("memory"))?.mountPoint
        : "/sys/fs/cgroup";
    const pidsBase =
      cgroups instanceof CgroupV1Driver
        ? cgroups.hierarchies.find((h) => h.controllers.includes("pids"))?.mountPoint
        : "/sys/fs/cgroup";
    const memFile = cgroups.version === "v1" ? "memory.limit_in_bytes" : "memory.max";
    const kukeEnsure = await timed(async () => {
      for (const p of paths) await cgroups.ensure(p, limits);
    });
    const kukeRemove = await timed(() => cgroups.remove(cgroupTop));
    const shEnsure = paths
      .map((p) =>
        [
          ...bases.map((b) => `mkdir -p ${b}${p}`),
          `echo ${limits.memoryLimitBytes} > ${memBase}${p}/${memFile}`,
          `echo ${limits.pidsLimit} > ${pidsBase}${p}/pids.max`,
        ].join("\n"),
      )
      .join("\n");
    const directEnsure = await timed(() => mustRun("sh", ["-e", "-c", shEnsure]));
    // deepest first, as the driver does
    const shRemove = bases.map((b) => `find ${b}${cgroupTop} -depth -type d -exec rmdir {} +`).join("\n");
    const directRemove = await timed(() => mustRun("sh", ["-e", "-c", shRemove]));
    rows.push({
      op: `cgroup ensure (${cgroups.version}, ${bases.length} hierarchies)`,
      kuke: kukeEnsure / n,
      direct: directEnsure / n,
    });
    rows.push({ op: "cgroup remove (per cell)", kuke: kukeRemove / n, direct: directRemove / n });
  } finally {
    for (const c of cells) {
      await net.detach(c).catch(() => undefined);
      await net.unpin(c).catch(() => undefined);
    }
    await net.removeSpaceNetwork(realm, "s").catch((e) => process.stderr.write(`cleanup: ${e}\n`));
    for (const h of holders) h.kill("SIGKILL");
    await cgroups.remove(cgroupTop).catch((e) => process.stderr.write(`cleanup: ${e}\n`));
    await rm(runPath, { recursive: true, force: true });
    await rm(runtimeDir, { recursive: true, force: true });
  }

  const pad = (s: string, w: number) => s.padEnd(w);
  process.stdout.write(`network bench: ${n} namespaces, one space network, sequential\n`);
  process.stdout.write(`${pad("operation", 44)}${pad("kuke ms/op", 12)}${pad("direct ms/op", 14)}ratio\n`);
  for (const r of rows) {
    process.stdout.write(
      `${pad(r.op, 44)}${pad(r.kuke.toFixed(2), 12)}${pad(r.direct.toFixed(2), 14)}${(r.kuke / r.direct).toFixed(2)}x\n`,
    );
  }
}
