import { Readable, Writable } from "node:stream";
import { runCli } from "../../src/cli/cli.js";

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
  opts: { stdin?: string; env?: Record<string, string>; tty?: boolean } = {},
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
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
