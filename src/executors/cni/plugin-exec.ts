import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { KukeError } from "../../model/errors.js";

/** A CNI result as plugins print it (spec 1.0.0); only the fields kuke reads are typed. */
export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

/** One plugin entry of a conflist (`type` plus its own options). */
export type PluginConfig = { type: string } & Record<string, unknown>;

/** A network configuration list as the CNI spec defines it. */
export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: PluginConfig[];
}

export type CniCommand = "ADD" | "CHECK" | "DEL" | "VERSION";

/** What identifies one attachment: the container id, its network namespace path and interface name. */
export interface CniRuntime {
  containerId: string;
  netnsPath: string;
  ifName: string;
}

/** CNI well-known error codes (spec §"Error"). */
const CODE_NOT_EXIST = 3;
const CODE_TRY_AGAIN = 11;

export interface PluginRunnerOptions {
  /** Directories searched for plugin binaries, in order. @default ["/opt/cni/bin", "/usr/lib/cni"] */
  pluginDirs?: string[];
  /** Attempts for an operation a plugin answers with code 11 ("try again later"). @default 4 */
  attempts?: number;
  /** First backoff between attempts, doubled each time. @default 50 */
  backoffMs?: number;
}

/**
 * Runs CNI plugin binaries the way the CNI spec (1.0) describes: environment variables for the
 * runtime parameters, the network configuration on stdin, the result or error object on stdout.
 * This is the one place that reads a plugin's error object.
 */
export class PluginRunner {
  readonly pluginDirs: string[];
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(options: PluginRunnerOptions = {}) {
    this.pluginDirs = options.pluginDirs ?? ["/opt/cni/bin", "/usr/lib/cni"];
    this.attempts = options.attempts ?? 4;
    this.backoffMs = options.backoffMs ?? 50;
  }

  /** The path of plugin `type`, the first directory holding it winning; undefined when none does. */
  async find(type: string): Promise<string | undefined> {
    if (!/^[A-Za-z0-9._-]+$/.test(type)) return undefined;
    for (const dir of this.pluginDirs) {
      const p = join(dir, type);
      try {
        await access(p, constants.X_OK);
        return p;
      } catch {
        // not in this directory
      }
    }
    return undefined;
  }

  /**
   * ADD: every plugin in order, each one given the previous one's result as `prevResult`; returns
   * the last result. On failure the plugins that already ran are undone with DEL before the error is thrown.
   * `prevResult`: the result of plugins that ran earlier (to ADD the tail of a chain on its own).
   */
  async add(list: ConfList, rt: CniRuntime, prevResult?: CniResult): Promise<CniResult> {
    let prev: CniResult | undefined = prevResult;
    for (const [i, plugin] of list.plugins.entries()) {
      try {
        prev = await this.exec("ADD", pluginConfig(list, plugin, prev), rt);
      } catch (e) {
        await this.del({ ...list, plugins: list.plugins.slice(0, i + 1) }, rt, prev).catch(() => undefined);
        throw e;
      }
    }
    if (!prev) throw new KukeError("invalid-spec", `network ${list.name} has no plugins`);
    return prev;
  }

  /** CHECK: every plugin in order against the result ADD returned. Throws when the attachment is not as recorded. */
  async check(list: ConfList, rt: CniRuntime, result: CniResult): Promise<void> {
    for (const plugin of list.plugins) await this.exec("CHECK", pluginConfig(list, plugin, result), rt);
  }

  /**
   * DEL: every plugin in reverse order, with the ADD result when known. A plugin saying the
   * attachment does not exist (code 3) counts as success, so DEL is idempotent.
   */
  async del(list: ConfList, rt: CniRuntime, result?: CniResult): Promise<void> {
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.exec("DEL", pluginConfig(list, plugin, result), rt);
      } catch (e) {
        if (!(e instanceof CniPluginError && e.cniCode === CODE_NOT_EXIST)) throw e;
      }
    }
  }

  /** VERSION: the spec versions a plugin supports. */
  async versions(type: string): Promise<string[]> {
    const out = (await this.exec("VERSION", { cniVersion: "1.0.0", type }, undefined)) as unknown as {
      supportedVersions?: string[];
    };
    return out.supportedVersions ?? [];
  }

  /** One plugin invocation, retried with backoff while the plugin answers "try again later". */
  async exec(command: CniCommand, config: PluginConfig, rt: CniRuntime | undefined): Promise<CniResult> {
    const path = await this.find(config.type);
    if (!path) {
      throw new KukeError("failed-precondition", `CNI plugin '${config.type}' is not installed`, {
        detail: `searched: ${this.pluginDirs.join(", ")}`,
        remedy: "install the CNI plugins (Debian: apt-get install containernetworking-plugins)",
      });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.spawnOnce(path, command, config, rt);
      } catch (e) {
        if (!(e instanceof CniPluginError && e.cniCode === CODE_TRY_AGAIN) || attempt >= this.attempts) throw e;
        await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
      }
    }
  }

  private spawnOnce(path: string, command: CniCommand, config: PluginConfig, rt: CniRuntime | undefined) {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      CNI_COMMAND: command,
      CNI_PATH: this.pluginDirs.join(":"),
      CNI_ARGS: "",
    };
    if (rt) {
      env.CNI_CONTAINERID = rt.containerId;
      env.CNI_NETNS = rt.netnsPath;
      env.CNI_IFNAME = rt.ifName;
    }
    return new Promise<CniResult>((resolve, reject) => {
      const child = spawn(path, [], { env, stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.on("error", (e) => reject(new KukeError("runtime", `cannot run CNI plugin ${path}`, { cause: e })));
      child.on("close", (code) => {
        const stdout = Buffer.concat(out).toString("utf8");
        const stderr = Buffer.concat(err).toString("utf8").trim();
        if (code === 0) {
          if (command === "DEL" || command === "CHECK") return resolve({ cniVersion: String(config.cniVersion) });
          try {
            resolve(JSON.parse(stdout) as CniResult);
          } catch (e) {
            reject(
              new KukeError("runtime", `CNI plugin ${config.type} ${command} printed no JSON result`, { cause: e }),
            );
          }
          return;
        }
        reject(classifyPluginFailure(config.type, command, stdout, stderr, code));
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(JSON.stringify(config));
    });
  }
}

/** A plugin's error object (`{code, msg, details}`) as a KukeError; `cniCode` keeps the spec's code. */
export class CniPluginError extends KukeError {
  readonly cniCode: number;
  constructor(cniCode: number, summary: string, detail: string | undefined) {
    super(cniCode === CODE_TRY_AGAIN ? "retryable" : "runtime", summary, { detail });
    this.cniCode = cniCode;
  }
}

function classifyPluginFailure(
  type: string,
  command: CniCommand,
  stdout: string,
  stderr: string,
  exit: number | null,
): CniPluginError {
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (typeof e.code === "number") {
      const detail = [e.details, stderr].filter(Boolean).join("\n") || undefined;
      return new CniPluginError(e.code, `CNI ${type} ${command}: ${e.msg ?? "failed"}`, detail);
    }
  } catch {
    // not an error object: report what the plugin printed
  }
  return new CniPluginError(999, `CNI ${type} ${command} exited with ${exit}`, [stdout, stderr].join("\n").trim());
}

/** A conflist entry as one plugin receives it: the list's `name` and `cniVersion` injected, `prevResult` chained. */
function pluginConfig(list: ConfList, plugin: PluginConfig, prev: CniResult | undefined): PluginConfig {
  const config: PluginConfig = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prev) config.prevResult = prev;
  return config;
}
