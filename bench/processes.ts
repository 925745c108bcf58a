/** Child processes of the benchmarks: running one to completion, and the CPU a process and its children used. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** Runs `cmd args` to completion with output kept only for an error message. */
export function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-3000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${tail}`)),
    );
  });
}

/** `utime + stime` (own) and `cutime + cstime` (waited-for descendants) of a pid, ms (100 Hz ticks). */
export function procCpuMs(pid: number | "self"): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // proc(5) fields 14–17, counted here from field 3 (state).
  const t = (i: number) => Number(f[i]) * 10;
  return { own: t(11) + t(12), children: t(13) + t(14) };
}
