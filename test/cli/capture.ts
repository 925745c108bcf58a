import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Test } from "uvu";
import { runCli } from "../../src/cli/cli.js";
import type { Host } from "../../src/runner/host-paths.js";
import { onTeardown } from "../harness/teardown.js";

/** A writable that keeps everything written to it; `isTTY` lets tests pose as a terminal. */
export class CaptureStream extends Writable {
  text = "";
  isTTY: boolean;

  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface KukeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kuke ARGV` in-process with fake streams; never touches the real stdout/stderr. */
export async function runKuke(
  argv: string[],
  opts: { stdin?: string; env?: Record<string, string>; tty?: boolean; host?: Host } = {},
): Promise<KukeRun> {
  const stdout = new CaptureStream(opts.tty);
  const stderr = new CaptureStream(opts.tty);
  const stdin = Readable.from([Buffer.from(opts.stdin ?? "")]);
  // A terminal session has a terminal on standard input too (kuke asks questions only then).
  if (opts.tty) Object.assign(stdin, { isTTY: true });
  const code = await runCli(argv, {
    stdin,
    stdout,
    stderr,
    env: opts.env ?? {},
    colorDepth: 1,
    ...(opts.host ? { host: opts.host } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A path under the repository's `fixtures/`. */
export const fixture = (p: string): string => join(fileURLToPath(new URL("../../..", import.meta.url)), "fixtures", p);

/**
 * kuke without a host, for a suite: a fresh temporary dir per suite holds the run path and runtime
 * dir, and containerd's address points at a socket that does not exist, so any command that would
 * reach the host fails instead of touching it. `dir` is set once the suite's `before` hook ran.
 */
export function hostlessCli(t: Test, prefix: string) {
  const cli = {
    dir: "",
    env: {} as Record<string, string>,
    kuke: (argv: string[], opts: { tty?: boolean; stdin?: string } = {}) => runKuke(argv, { env: cli.env, ...opts }),
  };
  t.before(async () => {
    cli.dir = await mkdtemp(`/tmp/${prefix}-`);
    const dir = cli.dir;
    onTeardown(`rm ${dir}`, () => rm(dir, { recursive: true, force: true }));
    cli.env = {
      KUKE_RUN_PATH: join(dir, "run"),
      KUKE_RUNTIME_DIR: join(dir, "runtime"),
      KUKE_CONTAINERD_ADDRESS: join(dir, "no-containerd.sock"),
    };
  });
  t.after(() => rm(cli.dir, { recursive: true, force: true }));
  return cli;
}
