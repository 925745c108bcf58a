/**
 * `kuke` as a separate process (`node dist/kuke.js`, the package's bin), the way an operator, systemd or a CI
 * runner runs it: for tests that send it real signals or race two of them. Output is collected as
 * it comes; `waitForLine` lets a test act at a known point of the run. A process still running at
 * teardown is killed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { onTeardown } from "./teardown.js";

/**
 * The package's `bin` as package.json names it (this file runs from dist/test/harness/): the
 * one-file bundle `npm run build` makes, which is what users run, so CLI-process tests and the
 * benchmarks run it too.
 */
export const KUKE_MAIN = packageBin();

function packageBin(): string {
  const root = new URL("../../../", import.meta.url);
  const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { bin: { kuke: string } };
  return fileURLToPath(new URL(pkg.bin.kuke, root));
}

export interface KukeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class KukeProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<KukeExit>;
  private readonly waiters: Array<() => void> = [];

  constructor(argv: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [KUKE_MAIN, ...argv], {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const wake = () => {
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout?.on("data", (d: Buffer) => {
      this.stdout += d.toString();
      wake();
    });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
      wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
    const pid = this.child.pid;
    onTeardown(`kuke process ${pid}`, async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
      await this.exited;
    });
  }

  /**
   * Waits until a line of stdout (or stderr, with `stream`) satisfies `match`, and returns it.
   * Fails when the process ends first, or after `ms`.
   */
  async waitForLine(
    match: (line: string) => boolean,
    opts: { stream?: "stdout" | "stderr"; ms?: number } = {},
  ): Promise<string> {
    const until = Date.now() + (opts.ms ?? 60_000);
    let ended = false;
    void this.exited.then(() => {
      ended = true;
    });
    for (;;) {
      const text = opts.stream === "stderr" ? this.stderr : this.stdout;
      const hit = text.split("\n").find((l, i, all) => i < all.length - 1 && match(l));
      if (hit !== undefined) return hit;
      if (ended)
        throw new Error(`kuke ended before the line was seen\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      if (Date.now() > until)
        throw new Error(`timed out waiting for a line\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }
}

/** A `--progress json` event line of kind `kind` (optionally at an address containing `where`) that started. */
export function stepStarted(kind: string, where = ""): (line: string) => boolean {
  return (line) => {
    if (!line.startsWith("{")) return false;
    try {
      const e = JSON.parse(line) as { type?: string; kind?: string; address?: string };
      return e.type === "start" && e.kind === kind && (e.address ?? "").includes(where);
    } catch {
      return false;
    }
  };
}
