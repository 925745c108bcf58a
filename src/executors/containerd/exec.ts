/**
 * `kuke exec`: one more process in a running task through containerd's `Tasks.Exec`, its stdio over
 * FIFOs kuke makes (as containerd's own clients do). The process spec is the container's own OCI
 * process (user, capabilities, environment, working directory, rlimits, no-new-privileges, AppArmor
 * and SELinux labels) with the caller's arguments, so the process runs in the container's
 * namespaces, cgroup, user and capabilities: runc joins the task's.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants, type ReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { promisify } from "node:util";
import { KukeError } from "../../model/errors.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { getTask } from "./tasks.js";

const run = promisify(execFile);

const PROCESS_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process";
/** The client's deadlines are timers: stay below 2^31 ms. An exec may be an interactive shell left open for days. */
const NO_DEADLINE_MS = 2_000_000_000;
const OPEN_TIMEOUT_MS = 10_000;

export interface ExecOptions {
  /** The command and its arguments (argv[0] is looked up in the container's PATH by runc). */
  args: string[];
  /** Pass stdin to the process. @default false */
  stdin?: boolean;
  /** Run it on a pseudo-terminal (stdout and stderr are one stream then). @default false */
  tty?: boolean;
  /** Terminal size at start, when `tty`. */
  size?: { columns: number; rows: number };
  /** Where the FIFOs are made (a private directory per exec is made and removed below it). */
  fifoDir: string;
}

/** A started exec'd process. */
export interface ExecSession {
  /** The process's stdin, when asked for: end it to send EOF. */
  stdin?: Writable;
  stdout: Readable;
  /** Absent on a terminal (the terminal merges both streams into stdout). */
  stderr?: Readable;
  /** Resizes the process's terminal (no-op without `tty`). */
  resize(columns: number, rows: number): Promise<void>;
  /** Its exit status once it exited and its output was read to the end; the FIFOs are gone then. */
  exited: Promise<number>;
}

/**
 * Starts `opts.args` in the running task of container `id`. `failed-precondition` when the task is
 * not running; the runtime's error (`runtime`) when the command cannot be started (not found, not
 * executable). Nothing is left behind in either case.
 */
export async function execInTask(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  opts: ExecOptions,
): Promise<ExecSession> {
  const task = await getTask(client, call, id);
  if (task?.status !== "RUNNING") {
    throw new KukeError("failed-precondition", `container ${id} has no running task`, {
      detail: task ? `its task is ${task.status.toLowerCase()}` : "it has no task",
      remedy: "start it first (kuke start container …)",
    });
  }
  const res = await client.unary<{ container: { spec: { value: Buffer } } }>("containers", "Get", { id }, call);
  const spec = JSON.parse(Buffer.from(res.container.spec.value).toString("utf8")) as {
    process?: Record<string, unknown>;
  };
  const tty = opts.tty === true;
  // The stored spec lacks the secret variables kuke sealed (sealed-env.ts); the task's own process
  // got them at create, so its environment is the container's as it was started.
  const env = await initialEnvironment(task.pid);
  const processSpec = {
    ...(spec.process ?? {}),
    ...(env !== undefined ? { env } : {}),
    args: opts.args,
    terminal: tty,
    ...(tty && opts.size ? { consoleSize: { height: opts.size.rows, width: opts.size.columns } } : {}),
  };

  const execId = `kuke-exec-${randomBytes(6).toString("hex")}`;
  const dir = join(opts.fifoDir, execId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = { stdin: join(dir, "stdin"), stdout: join(dir, "stdout"), stderr: join(dir, "stderr") };
  const wanted = [...(opts.stdin ? [paths.stdin] : []), paths.stdout, ...(tty ? [] : [paths.stderr])];
  const opened: Promise<FileHandle>[] = [];
  const cleanup = async () => {
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run("mkfifo", ["-m", "600", ...wanted]);
    // Each open blocks (on libuv's thread pool, not the event loop) until the shim opens the other
    // end, which it does when the process starts; opening in blocking mode is what gives a clean EOF.
    const outOpen = open(paths.stdout, constants.O_RDONLY);
    const errOpen = tty ? undefined : open(paths.stderr, constants.O_RDONLY);
    const inOpen = opts.stdin ? open(paths.stdin, constants.O_WRONLY) : undefined;
    for (const p of [outOpen, errOpen, inOpen]) if (p) opened.push(p);
    let waited: Promise<{ exit_status: number }> | undefined;
    let created = false;
    try {
      await client.unary(
        "tasks",
        "Exec",
        {
          container_id: id,
          exec_id: execId,
          stdin: opts.stdin ? paths.stdin : "",
          stdout: paths.stdout,
          stderr: tty ? "" : paths.stderr,
          terminal: tty,
          spec: { type_url: PROCESS_TYPE_URL, value: Buffer.from(JSON.stringify(processSpec)) },
        },
        call,
      );
      created = true;
      // Registered before Start, so a process that exits at once is not missed.
      waited = client.unary<{ exit_status: number }>(
        "tasks",
        "Wait",
        { container_id: id, exec_id: execId },
        { ...call, timeoutMs: NO_DEADLINE_MS },
      );
      await client.unary("tasks", "Start", { container_id: id, exec_id: execId }, call);
    } catch (e) {
      // The shim may never open the FIFOs now: open their other ends so kuke's own opens return.
      await unblock(paths, { stdout: true, stderr: !tty, stdin: opts.stdin === true });
      for (const p of opened) await (await p.catch(() => undefined))?.close();
      waited?.catch(() => undefined);
      if (created) await deleteProcess(client, call, id, execId);
      throw e;
    }
    // The shim opened its ends before Start returned; a bound keeps a misbehaving shim from hanging kuke.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((r) => {
      timer = setTimeout(() => r("late"), OPEN_TIMEOUT_MS);
    });
    const ends = await Promise.race([Promise.all([outOpen, errOpen, inOpen]), late]);
    clearTimeout(timer);
    if (ends === "late") {
      await unblock(paths, { stdout: true, stderr: !tty, stdin: opts.stdin === true });
      for (const p of opened) await (await p.catch(() => undefined))?.close();
      await client
        .unary("tasks", "Kill", { container_id: id, exec_id: execId, signal: 9 }, call)
        .catch(() => undefined);
      await deleteProcess(client, call, id, execId);
      throw new KukeError("runtime", `the shim did not open the exec's FIFOs within ${OPEN_TIMEOUT_MS / 1000}s`, {
        detail: `container ${id}, exec ${execId}`,
      });
    }
    const [out, err, inp] = ends;
    const stdout = out.createReadStream();
    const stderr = err?.createReadStream();
    let stdin: Writable | undefined;
    if (inp) {
      const s = inp.createWriteStream();
      // The process sees EOF when kuke's end closes; CloseIO tells the shim as well.
      s.on("close", () => {
        client
          .unary("tasks", "CloseIO", { container_id: id, exec_id: execId, stdin: true }, call)
          .catch(() => undefined);
      });
      // A process that exits without reading its stdin closes the FIFO: writes then fail with EPIPE.
      s.on("error", () => undefined);
      stdin = s;
    }
    const drained = (s: ReadStream | undefined) =>
      s ? new Promise<void>((r) => (s.closed ? r() : s.once("close", () => r()))) : Promise.resolve();
    const exited = (async () => {
      try {
        const { exit_status } = await (waited as Promise<{ exit_status: number }>);
        await Promise.all([drained(stdout), drained(stderr)]);
        return exit_status;
      } finally {
        stdin?.destroy();
        await deleteProcess(client, call, id, execId);
        await cleanup();
      }
    })();
    return {
      ...(stdin ? { stdin } : {}),
      stdout,
      ...(stderr ? { stderr } : {}),
      async resize(columns, rows) {
        if (!tty) return;
        await client.unary(
          "tasks",
          "ResizePty",
          { container_id: id, exec_id: execId, width: columns, height: rows },
          call,
        );
      },
      exited,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Opens the other end of each FIFO without blocking and closes it, so kuke's own pending opens return. */
async function unblock(
  paths: { stdin: string; stdout: string; stderr: string },
  which: { stdin: boolean; stdout: boolean; stderr: boolean },
): Promise<void> {
  const other = async (path: string, flags: number) => {
    await (await open(path, flags | constants.O_NONBLOCK).catch(() => undefined))?.close();
  };
  if (which.stdout) await other(paths.stdout, constants.O_WRONLY);
  if (which.stderr) await other(paths.stderr, constants.O_WRONLY);
  if (which.stdin) await other(paths.stdin, constants.O_RDONLY);
}

async function deleteProcess(client: ContainerdClient, call: CallOptions, id: string, execId: string): Promise<void> {
  await client.unary("tasks", "DeleteProcess", { container_id: id, exec_id: execId }, call).catch(() => undefined);
}

/** The environment a process was started with (`/proc/<pid>/environ`); undefined when unreadable. */
async function initialEnvironment(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/environ`);
    return raw
      .toString("utf8")
      .split("\0")
      .filter((e) => e !== "");
  } catch {
    return undefined;
  }
}
