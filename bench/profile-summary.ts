/**
 * `npm run bench -- profile-summary [--top 30] FILE.cpuprofile…`: where the CPU samples of
 * `node --cpu-prof` profiles went, averaged over the files (one per process): self time by part
 * (Node's module loader, GC, each package under node_modules, each folder of kuke's src/, Node's
 * own internals) and the functions with the most self time. Used with `bench noop-plan --profile`.
 */
import { readFile } from "node:fs/promises";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The part of the program a frame belongs to. */
function partOf(f: CallFrame): string {
  const { url, functionName } = f;
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(idle)") return "idle";
    if (functionName === "(program)") return "(program): V8/native outside JS";
    return `native ${functionName}`;
  }
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return `pkg ${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const src = url.match(/\/dist\/(src|bench|test)\/([^/]+)\//);
  if (src) return `kuke ${src[1]}/${src[2]}`;
  const top = url.match(/\/dist\/(src|bench|test)\/[^/]+\.js$/);
  if (top) return `kuke ${top[1]}/`;
  if (url.startsWith("node:internal/modules") || url.startsWith("node:internal/vm")) return "node module loader";
  if (url.startsWith("node:")) return `node ${url.slice(5).split("/").slice(0, 2).join("/")}`;
  return url;
}

export async function main(args: string[]): Promise<void> {
  const t = args.indexOf("--top");
  const top = t >= 0 ? Number(args[t + 1]) : 30;
  const files = args.filter((a, i) => a.endsWith(".cpuprofile") && args[i - 1] !== "--top");
  const byPart = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const p = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      // The delta before the next sample is the time spent in this one.
      const us = p.timeDeltas[i + 1] ?? 0;
      const f = (nodes.get(id) as ProfileNode).callFrame;
      const part = partOf(f);
      byPart.set(part, (byPart.get(part) ?? 0) + us);
      const fn = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(node_modules|dist)\//, "")}:${f.lineNumber + 1}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + us);
      total += us;
    });
  }
  const n = Math.max(1, files.length);
  const ms = (us: number) => (us / 1000 / n).toFixed(1).padStart(8);
  const out = [`${files.length} profile(s); self time in ms per process (mean); total ${ms(total).trim()} ms`, ""];
  for (const [part, us] of [...byPart].sort((a, b) => b[1] - a[1])) out.push(`${ms(us)}  ${part}`);
  out.push("", `top ${top} functions by self time:`);
  for (const [fn, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`${ms(us)}  ${fn}`);
  process.stdout.write(`${out.join("\n")}\n`);
}
