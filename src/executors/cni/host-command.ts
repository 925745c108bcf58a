import { type ChildProcessWithoutNullStreams, type StdioOptions, spawn } from "node:child_process";
import { KukeError } from "../../model/errors.js";

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a host tool (ip, iptables, mount) and returns its exit code and output; never throws for a
 * non-zero exit, so each caller classifies the codes it expects. A tool that cannot start is a
 * `failed-precondition` KukeError. `fd3`, when given, is the child's file descriptor 3 (`/dev/fd/3`).
 */
export function runCommand(cmd: string, args: string[], input?: string, fd3?: number): Promise<CommandOutput> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = fd3 === undefined ? "pipe" : ["pipe", "pipe", "pipe", fd3];
    // stdin, stdout and stderr are pipes either way.
    const child = spawn(cmd, args, { stdio }) as ChildProcessWithoutNullStreams;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) =>
      reject(new KukeError("failed-precondition", `cannot run ${cmd}`, { cause: e, remedy: `install ${cmd}` })),
    );
    child.on("close", (code) =>
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8").trim(),
      }),
    );
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}

/** Runs a host tool that must succeed; a non-zero exit becomes `KukeError("runtime")` with its stderr. */
export async function mustRun(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await runCommand(cmd, args, input);
  if (r.code !== 0) {
    throw new KukeError("runtime", `${cmd} ${args.join(" ")} failed (exit ${r.code})`, { detail: r.stderr });
  }
  return r.stdout;
}
