import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { onTeardown } from "../../harness/teardown.js";

const script = fileURLToPath(new URL("./state-child.js", import.meta.url));

/** A running `state-child.js`, whose stdout lines can be awaited one by one. */
export class StateChild {
  readonly proc: ChildProcess;
  private readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, [script, ...args], { stdio: ["pipe", "pipe", "inherit"] });
    const pid = this.proc.pid;
    onTeardown(`kill state child ${pid}`, () => this.kill());
    createInterface({ input: this.proc.stdout! }).on("line", (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code) => resolve(code)));
  }

  /** The next stdout line; rejects after `timeoutMs`. */
  async nextLine(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (Date.now() > deadline) throw new Error("child printed nothing in time");
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.lines.shift()!;
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }
}

/** The pid of a process that has already exited (for stale locks and journals). */
export async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => p.once("exit", r));
  return p.pid!;
}
