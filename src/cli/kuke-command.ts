import { type BaseContext, Command, Option } from "clipanion";
import { KukeError } from "../model/index.js";
import type { Host, HostPaths } from "../runner/host-paths.js";
import { parseDuration } from "../runner/lock-timeout.js";
import { DEFAULT_RUN_PATH, DEFAULT_RUNTIME_DIR } from "../state/run-path.js";
import type { HelpCommandInfo } from "./help.js";
import type { InterruptSource } from "./interrupts.js";
import { type OutputStream, wantsColor } from "./output-style.js";
import { reportError } from "./report-error.js";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options every command accepts (DESIGN §5 "global"). */
export interface GlobalOptions {
  /** @default "/var/lib/kuke" (or KUKE_RUN_PATH) */
  runPath: string;
  /** @default "/run/kuke" (or KUKE_RUNTIME_DIR) */
  runtimeDir: string;
  /** @default "/run/containerd/containerd.sock" (or KUKE_CONTAINERD_ADDRESS) */
  containerdAddress: string;
  noColor: boolean;
  /** @default "warn" */
  logLevel: LogLevel;
}

export const DEFAULT_CONTAINERD_ADDRESS = "/run/containerd/containerd.sock";

/** The option names `KukeCommand` declares: the help lists them once, as global options. */
export const GLOBAL_OPTION_NAMES: readonly string[] = [
  "--run-path",
  "--runtime-dir",
  "--containerd-address",
  "--containerd-socket",
  "--runc-root",
  "--no-color",
  "--log-level",
  "--no-daemon",
];

/**
 * What kuke's commands run in: clipanion's streams and env, plus what tests put in instead of the
 * real thing. Every field beyond clipanion's is optional; the real CLI sets none of them.
 */
export interface KukeContext extends BaseContext {
  /** A host to run against instead of opening one from the global options (a fake, in tests). */
  host?: Host;
  /** Where Ctrl-C comes from. @default the process's SIGINT */
  interrupts?: InterruptSource;
  /**
   * The help data of every command of the running CLI (set by `runCli`), for `kuke __complete`,
   * which cli.ts registers and so cannot import cli.ts itself.
   */
  commandInfos?: () => HelpCommandInfo[];
}

/**
 * Base of every kuke command: the global options, and one place that turns whatever `run` throws
 * into output and an exit code. Subclasses implement `run` and write only to `this.context`.
 */
export abstract class KukeCommand extends Command<KukeContext> {
  runPath = Option.String("--run-path", DEFAULT_RUN_PATH, {
    env: "KUKE_RUN_PATH",
    description: "kuke's records, locks and journal (KUKE_RUN_PATH)",
  });
  runtimeDir = Option.String("--runtime-dir", DEFAULT_RUNTIME_DIR, {
    env: "KUKE_RUNTIME_DIR",
    description: "netns pins, the managed containerd's socket (KUKE_RUNTIME_DIR)",
  });
  // --containerd-socket is kukeon's name for the same thing.
  containerdAddress = Option.String("--containerd-address,--containerd-socket", DEFAULT_CONTAINERD_ADDRESS, {
    env: "KUKE_CONTAINERD_ADDRESS",
    description: "socket (KUKE_CONTAINERD_ADDRESS)",
  });
  runcRoot = Option.String("--runc-root", {
    env: "KUKE_RUNC_ROOT",
    description: "runc state of kuke's containers (KUKE_RUNC_ROOT; default: runc's)",
  });
  noColor = Option.Boolean("--no-color", false, { description: "No colours (also NO_COLOR)" });
  logLevel = Option.String("--log-level", "warn", { description: `One of ${LOG_LEVELS.join(", ")}` });
  // kukeon's `--no-daemon` runs without its kukeond; kuke has no daemon, so it always works this way.
  noDaemon = Option.Boolean("--no-daemon", false, { hidden: true });

  /** The command's work; returns the exit code. Throw a KukeError for anything the user can fix. */
  abstract run(): Promise<number>;

  async execute(): Promise<number> {
    if (this.noDaemon) {
      this.context.stderr.write("Note: --no-daemon is accepted for kukeon compatibility; kuke has no daemon.\n");
    }
    try {
      return await this.run();
    } catch (e) {
      return reportError(e, this.context.stderr);
    }
  }

  /** Global options, checked. */
  globals(): GlobalOptions {
    if (!(LOG_LEVELS as readonly string[]).includes(this.logLevel)) {
      throw new KukeError("usage", `--log-level must be one of ${LOG_LEVELS.join(", ")}, got '${this.logLevel}'`, {
        remedy: "pass --log-level warn (or error, info, debug)",
      });
    }
    return {
      runPath: this.runPath,
      runtimeDir: this.runtimeDir,
      containerdAddress: this.containerdAddress,
      noColor: this.noColor,
      logLevel: this.logLevel as LogLevel,
    };
  }

  /** Where the runner finds kuke's state and containerd (the global options, checked). */
  hostPaths(): HostPaths {
    const g = this.globals();
    // How long to ride out a containerd restart (default 20 s): an environment setting, not a flag.
    const retry = this.context.env.KUKE_CONTAINERD_RETRY_TIMEOUT;
    return {
      runPath: g.runPath,
      runtimeDir: g.runtimeDir,
      containerdAddress: g.containerdAddress,
      ...(this.runcRoot ? { runcRoot: this.runcRoot } : {}),
      ...(retry ? { containerdRetryMs: parseDuration("KUKE_CONTAINERD_RETRY_TIMEOUT", retry) } : {}),
      ...(this.context.host ? { host: this.context.host } : {}),
    };
  }

  /** Whether to colour what goes to `stream`. */
  colored(stream: OutputStream): boolean {
    return wantsColor(stream, this.context.env, this.noColor);
  }
}
