import { type BaseContext, Command, Option } from "clipanion";
import { KukeError } from "../model/index.js";
import type { Host, HostPaths } from "../runner/host-paths.js";
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

export const DEFAULT_RUN_PATH = "/var/lib/kuke";
export const DEFAULT_CONTAINERD_ADDRESS = "/run/containerd/containerd.sock";
export const DEFAULT_RUNTIME_DIR = "/run/kuke";

/**
 * What kuke's commands run in: clipanion's streams and env, plus what tests put in instead of the
 * real thing. Every field beyond clipanion's is optional; the real CLI sets none of them.
 */
export interface KukeContext extends BaseContext {
  /** A host to run against instead of opening one from the global options (a fake, in tests). */
  host?: Host;
  /** Where Ctrl-C comes from. @default the process's SIGINT */
  interrupts?: InterruptSource;
}

/**
 * Base of every kuke command: the global options, and one place that turns whatever `run` throws
 * into output and an exit code. Subclasses implement `run` and write only to `this.context`.
 */
export abstract class KukeCommand extends Command<KukeContext> {
  runPath = Option.String("--run-path", DEFAULT_RUN_PATH, {
    env: "KUKE_RUN_PATH",
    description: "Directory of kuke's records, locks and journal (env KUKE_RUN_PATH)",
  });
  runtimeDir = Option.String("--runtime-dir", DEFAULT_RUNTIME_DIR, {
    env: "KUKE_RUNTIME_DIR",
    description: "Directory of netns pins and the managed containerd's socket (env KUKE_RUNTIME_DIR)",
  });
  containerdAddress = Option.String("--containerd-address", DEFAULT_CONTAINERD_ADDRESS, {
    env: "KUKE_CONTAINERD_ADDRESS",
    description: "containerd socket (env KUKE_CONTAINERD_ADDRESS)",
  });
  runcRoot = Option.String("--runc-root", {
    env: "KUKE_RUNC_ROOT",
    description: "runc state dir for the containers kuke creates (env KUKE_RUNC_ROOT; default: runc's)",
  });
  noColor = Option.Boolean("--no-color", false, { description: "Never colour output (also NO_COLOR)" });
  logLevel = Option.String("--log-level", "warn", { description: `One of ${LOG_LEVELS.join(", ")}` });

  /** The command's work; returns the exit code. Throw a KukeError for anything the user can fix. */
  abstract run(): Promise<number>;

  async execute(): Promise<number> {
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
    return {
      runPath: g.runPath,
      runtimeDir: g.runtimeDir,
      containerdAddress: g.containerdAddress,
      ...(this.runcRoot ? { runcRoot: this.runcRoot } : {}),
      ...(this.context.host ? { host: this.context.host } : {}),
    };
  }

  /** Whether to colour what goes to `stream`. */
  colored(stream: OutputStream): boolean {
    return wantsColor(stream, this.context.env, this.noColor);
  }
}
