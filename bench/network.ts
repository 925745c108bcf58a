/**
 * `npm run bench -- network [N] [ROUNDS]`: milliseconds per CNI ADD and DEL through kuke's
 * NetworkExecutor for N network namespaces (default 30), and per cgroup ensure/remove through the
 * host's CgroupDriver, each next to the same work done by the plugin binaries / mkdir, cat, echo
 * and rmdir from one shell loop in the same run (same plugins, same configs, same namespaces and
 * cgroup tree), averaged over ROUNDS rounds (default 4). Cleans up everything it makes.
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
  const rounds = Number(args[1] ?? 4);
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
        // ADD runs lo and the bridge at once, as containerd's CNI library (and kuke) do; DEL in order.
        return command === "ADD" ? `${lo} & lo=$!\n${bridge}\nwait $lo` : `${bridge} && ${lo}`;
      });
      return mustRun("sh", ["-e", "-c", lines.join("\n")]);
    };

    // Warm-up outside the timings: the first ADD on a space creates its bridge, once per network.
    await net.attach(cells[0] as CellAddress);
    await net.detach(cells[0] as CellAddress);

    // Each round times both sides back to back on the same namespaces; the side that goes first
    // alternates, so drift on this noisy machine (and iptables state left by the previous batch)
    // falls on both sides equally.
    const totals = { kukeAdd: 0, kukeDel: 0, directAdd: 0, directDel: 0 };
    for (let round = 0; round < rounds; round++) {
      const kuke = async () => {
        totals.kukeAdd += await timed(async () => {
          for (const c of cells) await net.attach(c);
        });
        totals.kukeDel += await timed(async () => {
          for (const c of cells) await net.detach(c);
        });
      };
      const direct = async () => {
        totals.directAdd += await timed(() => shellLoop("ADD"));
        totals.directDel += await timed(() => shellLoop("DEL"));
      };
      if (round % 2 === 0) {
        await kuke();
        await direct();
      } else {
        await direct();
        await kuke();
      }
    }
    const per = n * rounds;
    rows.push({ op: "CNI ADD (lo + bridge)", kuke: totals.kukeAdd / per, direct: totals.directAdd / per });
    rows.push({ op: "CNI DEL (bridge + lo)", kuke: totals.kukeDel / per, direct: totals.directDel / per });

    const paths = cells.map((c) => `${cgroupTop}/${c.realm}/${c.space}/${c.stack}/${c.cell}`);
    const limits = { memoryLimitBytes: 64 * 1024 * 1024, pidsLimit: 100 };
    const v1 = cgroups instanceof CgroupV1Driver ? cgroups : undefined;
    const bases = v1 ? v1.hierarchies.map((h) => h.mountPoint) : ["/sys/fs/cgroup"];
    const baseOf = (controller: string) =>
      v1 ? v1.hierarchies.find((h) => h.controllers.includes(controller))?.mountPoint : "/sys/fs/cgroup";
    // The same work the driver does: every level created one by one in every hierarchy, a new
    // cpuset level given its parent's cpus and mems, then memory, cpu and pids limits written.
    const shEnsure = (() => {
      const lines: string[] = [];
      const made = new Set<string>();
      const cpuset = baseOf("cpuset");
      for (const p of paths) {
        const segs = p.split("/").filter(Boolean);
        for (let i = 1; i <= segs.length; i++) {
          const level = `/${segs.slice(0, i).join("/")}`;
          if (made.has(level)) continue;
          made.add(level);
          for (const b of bases) {
            const parent = `${b}/${segs.slice(0, i - 1).join("/")}`;
            // v2: the driver enables cpu, memory and pids down the path before writing limits
            if (!v1) lines.push(`echo "+cpu +memory +pids" > ${parent}/cgroup.subtree_control`);
            lines.push(`mkdir ${b}${level}`);
            if (v1 && b === cpuset) {
              for (const f of ["cpuset.cpus", "cpuset.mems"]) lines.push(`cat ${parent}/${f} > ${b}${level}/${f}`);
            }
          }
        }
        if (v1) {
          lines.push(`echo ${limits.memoryLimitBytes} > ${baseOf("memory")}${p}/memory.limit_in_bytes`);
          lines.push(`echo 1024 > ${baseOf("cpu")}${p}/cpu.shares`);
          lines.push(`echo ${limits.pidsLimit} > ${baseOf("pids")}${p}/pids.max`);
        } else {
          lines.push(`echo ${limits.memoryLimitBytes} > /sys/fs/cgroup${p}/memory.max`);
          lines.push(`echo 100 > /sys/fs/cgroup${p}/cpu.weight`);
          lines.push(`echo ${limits.pidsLimit} > /sys/fs/cgroup${p}/pids.max`);
        }
      }
      return lines.join("\n");
    })();
    // deepest first, as the driver does; the driver also reads every cgroup.procs first (its
    // busy check), which plain rmdir does not, so that check is part of what is measured.
    const shRemove = bases.map((b) => `find ${b}${cgroupTop} -depth -type d -exec rmdir {} +`).join("\n");
    const cg = { kukeEnsure: 0, kukeRemove: 0, directEnsure: 0, directRemove: 0 };
    for (let round = 0; round < rounds; round++) {
      const kuke = async () => {
        cg.kukeEnsure += await timed(async () => {
          for (const p of paths) await cgroups.ensure(p, limits);
        });
        cg.kukeRemove += await timed(() => cgroups.remove(cgroupTop));
      };
      const direct = async () => {
        cg.directEnsure += await timed(() => mustRun("sh", ["-e", "-c", shEnsure]));
        cg.directRemove += await timed(() => mustRun("sh", ["-e", "-c", shRemove]));
      };
      if (round % 2 === 0) {
        await kuke();
        await direct();
      } else {
        await direct();
        await kuke();
      }
    }
    rows.push({
      op: `cgroup ensure (${cgroups.version}, ${bases.length} hierarchies)`,
      kuke: cg.kukeEnsure / per,
      direct: cg.directEnsure / per,
    });
    rows.push({ op: "cgroup remove (per cell)", kuke: cg.kukeRemove / per, direct: cg.directRemove / per });
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
  process.stdout.write(
    `network bench: ${n} namespaces, one space network, sequential, ${rounds} rounds alternating which side goes first\n`,
  );
  process.stdout.write(`${pad("operation", 44)}${pad("kuke ms/op", 12)}${pad("direct ms/op", 14)}ratio\n`);
  for (const r of rows) {
    process.stdout.write(
      `${pad(r.op, 44)}${pad(r.kuke.toFixed(2), 12)}${pad(r.direct.toFixed(2), 14)}${(r.kuke / r.direct).toFixed(2)}x\n`,
    );
  }
}
