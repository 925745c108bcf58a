import type { ContainerAddress } from "../../model/address.js";
import { KukeError } from "../../model/errors.js";
import type { ContainerSpec, TmpfsMount } from "../../model/types.js";
import { hostPlatform } from "../oci/media-types.js";
import { effectiveCapabilities } from "./oci-spec-capabilities.js";
import { seccompFromProfile } from "./oci-spec-seccomp.js";
import type { OciMount, OciNamespace, OciResources, OciRlimit, OciSeccomp, OciSpec } from "./oci-spec-types.js";
import { type AccountFiles, resolveUser } from "./oci-spec-user.js";

export type * from "./oci-spec-types.js";
export type { AccountFiles } from "./oci-spec-user.js";

/**
 * Builds the OCI runtime spec of one container from its effective spec, its image's config and
 * its place in the cell. Pure: every fact about the host (namespace paths, rlimit caps, secret
 * values, profile contents, the image's passwd) comes in as input, so the same input always
 * yields the same spec and golden files can pin it. Defaults follow docker.
 */

/** The runtime part of an image config (image-spec `config.md`, field `config`). */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

/**
 * The container's role in its cell. The root creates the cell's network, IPC and UTS namespaces
 * (and sets the hostname); every other container joins them through namespace paths of the
 * root's task, e.g. `/proc/<root pid>/ns/net`, or the pinned netns file.
 */
export type CellRole =
  | { kind: "root" }
  | {
      kind: "member";
      /** Namespace files to join. `network` is absent when the cell uses the host network. */
      namespaces: { network?: string; ipc: string; uts: string };
    };

/** A secret with its value read on the host, ready to inject. */
export interface ResolvedSecrets {
  /** `name=value` pairs, added after the container's own env (they win on equal names). */
  env: Array<{ name: string; value: string }>;
  /** Files kuke wrote (0400) on the host, bound read-only at `mountPath`. */
  files: Array<{ hostPath: string; mountPath: string }>;
}

export interface OciSpecInput {
  address: ContainerAddress;
  container: ContainerSpec;
  image: ImageConfig;
  role: CellRole;
  /** `linux.cgroupsPath`, from `cgroupPath()` in `src/model/host-names.ts`. */
  cgroupsPath: string;
  /** @default no secrets */
  secrets?: ResolvedSecrets;
  /**
   * The kuke process's own RLIMIT_NOFILE. runc sets rlimits from inside the container as a
   * process that cannot raise a hard limit, so the spec never asks for more than this.
   * @default no rlimits in the spec (the task inherits containerd's)
   */
  hostNofile?: { soft: number; hard: number };
  /**
   * The cell's hosts file and resolv.conf on the host, bound read-only at /etc/hosts and
   * /etc/resolv.conf unless the container mounts something there itself. @default the image's own
   */
  cellFiles?: { hosts: string; resolvConf: string };
  /** Parsed JSON of each `seccomp=<path>` profile the container names, keyed by that path. */
  seccompProfiles?: Record<string, unknown>;
  /** The image's account files, to resolve user and group names. @default names are an error */
  accounts?: AccountFiles;
  /** OCI architecture the container runs on (picks seccomp's arch map). @default the host's */
  architecture?: string;
}

export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** docker's default open-files limit, lowered to the host's cap when that is smaller. */
export const DEFAULT_NOFILE = 1048576;

/**
 * @throws KukeError `invalid-spec` when the container has nothing to run, a user name cannot be
 *   resolved, a security option is unknown or a seccomp profile is missing or malformed.
 */
export function buildOciSpec(input: OciSpecInput): OciSpec {
  const c = input.container;
  const isRoot = input.role.kind === "root";
  const security = parseSecurityOpts(c.securityOpts, input.address);
  const caps = effectiveCapabilities(c.capabilities, c.privileged);
  const user = resolveUser(c.user ?? input.image.user, input.accounts ?? {}, input.address);

  const spec: OciSpec = {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user,
      args: processArgs(c, input.image, input.address),
      env: mergeEnv(input.image.env ?? [], c.env, input.secrets?.env ?? []),
      cwd: c.workingDir ?? (input.image.workingDir || "/"),
      capabilities: { bounding: caps, effective: caps, permitted: [...caps] },
      noNewPrivileges: security.noNewPrivileges,
    },
    root: { path: "rootfs", readonly: c.readOnlyRootFilesystem },
    mounts: mounts(c, input.secrets?.files ?? [], input.cellFiles),
    linux: {
      namespaces: namespaces(c, input.role),
      cgroupsPath: input.cgroupsPath,
      resources: resources(c),
    },
  };
  // Joiners share the root's UTS namespace: setting a hostname there would rename the whole cell.
  if (isRoot) spec.hostname = input.address.cell;
  const rlimits = nofileLimit(input.hostNofile);
  if (rlimits) spec.process.rlimits = rlimits;
  const seccomp = seccompOf(security.seccomp, c.privileged, input, caps);
  if (seccomp) spec.linux.seccomp = seccomp;
  return spec;
}

/**
 * docker's rules: `command` replaces the image entrypoint and also drops the image cmd (it was
 * written for the old entrypoint); non-empty `args` replace the cmd.
 */
function processArgs(c: ContainerSpec, image: ImageConfig, address: ContainerAddress): string[] {
  const entrypoint = c.command !== undefined ? [c.command] : (image.entrypoint ?? []);
  const cmd = c.args.length > 0 ? c.args : c.command !== undefined ? [] : (image.cmd ?? []);
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) {
    throw new KukeError("invalid-spec", "the container has nothing to run", {
      address,
      detail: "its image sets neither an entrypoint nor a cmd, and the container sets no command",
      remedy: "set spec.command (and spec.args) on the container",
    });
  }
  return args;
}

function envKey(entry: string): string {
  const i = entry.indexOf("=");
  return i < 0 ? entry : entry.slice(0, i);
}

/** Image env first, each later source overriding by key in place; PATH defaults like docker's. */
export function mergeEnv(image: string[], own: string[], secrets: Array<{ name: string; value: string }>): string[] {
  const merged = new Map<string, string>();
  for (const e of [...image, ...own, ...secrets.map((s) => `${s.name}=${s.value}`)]) merged.set(envKey(e), e);
  if (!merged.has("PATH")) return [DEFAULT_PATH, ...merged.values()];
  return [...merged.values()];
}

function parseSecurityOpts(
  opts: string[],
  address: ContainerAddress,
): { noNewPrivileges: boolean; seccomp: "default" | "unconfined" | { path: string } } {
  let noNewPrivileges = false;
  let seccomp: "default" | "unconfined" | { path: string } = "default";
  for (const opt of opts) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (key === "no-new-privileges" && (value === undefined || value === "true" || value === "false")) {
      noNewPrivileges = value !== "false";
    } else if (key === "seccomp" && value !== undefined && value !== "") {
      seccomp = value === "unconfined" ? "unconfined" : { path: value };
    } else {
      throw new KukeError("invalid-spec", `unknown security option '${opt}'`, {
        address,
        remedy: "use no-new-privileges[=true|false], seccomp=unconfined or seccomp=<profile path>",
      });
    }
  }
  return { noNewPrivileges, seccomp };
}

/** kuke applies no seccomp filter of its own; only a profile the container names is loaded. */
function seccompOf(
  choice: "default" | "unconfined" | { path: string },
  privileged: boolean,
  input: OciSpecInput,
  caps: string[],
): OciSeccomp | undefined {
  if (typeof choice === "string" || privileged) return undefined;
  const profile = input.seccompProfiles?.[choice.path];
  if (profile === undefined) {
    throw new KukeError("invalid-spec", `seccomp profile ${choice.path} was not read`, {
      address: input.address,
      remedy: `check that ${choice.path} exists and is readable by kuke`,
    });
  }
  return seccompFromProfile(profile, {
    path: choice.path,
    architecture: input.architecture ?? hostPlatform().architecture,
    capabilities: caps,
  });
}

function nofileLimit(host: { soft: number; hard: number } | undefined): OciRlimit[] | undefined {
  if (host === undefined) return undefined;
  const limit = Math.min(DEFAULT_NOFILE, host.hard);
  return [{ type: "RLIMIT_NOFILE", soft: limit, hard: limit }];
}

function namespaces(c: ContainerSpec, role: CellRole): OciNamespace[] {
  const out: OciNamespace[] = [];
  if (!c.hostPID) out.push({ type: "pid" });
  out.push({ type: "mount" });
  if (role.kind === "root") {
    if (!c.hostNetwork) out.push({ type: "network" });
    out.push({ type: "ipc" }, { type: "uts" });
  } else {
    const ns = role.namespaces;
    if (ns.network !== undefined) out.push({ type: "network", path: ns.network });
    out.push({ type: "ipc", path: ns.ipc }, { type: "uts", path: ns.uts });
  }
  return out;
}

function resources(c: ContainerSpec): OciResources {
  // runc adds the standard character devices (null, zero, tty, …) on top of a deny-all rule.
  const out: OciResources = { devices: [{ allow: c.privileged, access: "rwm" }] };
  if (c.resources.memoryLimitBytes !== undefined) out.memory = { limit: c.resources.memoryLimitBytes };
  if (c.resources.cpuShares !== undefined) out.cpu = { shares: c.resources.cpuShares };
  if (c.resources.pidsLimit !== undefined) out.pids = { limit: c.resources.pidsLimit };
  return out;
}

const STANDARD_MOUNTS: readonly OciMount[] = [
  { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
  {
    destination: "/dev",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
  },
  {
    destination: "/dev/pts",
    type: "devpts",
    source: "devpts",
    options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
  },
  {
    destination: "/dev/shm",
    type: "tmpfs",
    source: "shm",
    options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
  },
  { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  {
    destination: "/sys/fs/cgroup",
    type: "cgroup",
    source: "cgroup",
    options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
  },
];

/** Mount options a tmpfs gets unless its own options say otherwise (docker's defaults). */
const TMPFS_DEFAULTS: ReadonlyArray<[option: string, opposite: string]> = [
  ["nosuid", "suid"],
  ["nodev", "dev"],
  ["noexec", "exec"],
];

function tmpfsMount(t: TmpfsMount): OciMount {
  const options = TMPFS_DEFAULTS.filter(([d, opp]) => !t.options.includes(opp) && !t.options.includes(d)).map(
    ([d]) => d,
  );
  options.push(...t.options);
  if (t.sizeBytes !== undefined) options.push(`size=${t.sizeBytes}`);
  return { destination: t.path, type: "tmpfs", source: "tmpfs", options };
}

/**
 * Standard mounts first, then the container's tmpfs, volumes and secrets in that order. A mount
 * of the container at a standard destination replaces the standard one. Privileged containers get
 * a writable /sys, as docker's do.
 */
function mounts(
  c: ContainerSpec,
  secretFiles: ResolvedSecrets["files"],
  cellFiles: OciSpecInput["cellFiles"],
): OciMount[] {
  const own: OciMount[] = [
    ...c.tmpfs.map(tmpfsMount),
    ...c.volumes.map((v) => ({
      destination: v.target,
      type: "bind",
      source: v.source,
      options: ["rbind", v.readOnly ? "ro" : "rw"],
    })),
    ...secretFiles.map((s) => ({
      destination: s.mountPath,
      type: "bind",
      source: s.hostPath,
      options: ["rbind", "ro", "nosuid", "nodev", "noexec"],
    })),
  ];
  const taken = new Set(own.map((m) => m.destination));
  const names: OciMount[] = cellFiles
    ? [
        { destination: "/etc/hosts", type: "bind", source: cellFiles.hosts, options: NAME_FILE_OPTIONS },
        { destination: "/etc/resolv.conf", type: "bind", source: cellFiles.resolvConf, options: NAME_FILE_OPTIONS },
      ].filter((m) => !taken.has(m.destination))
    : [];
  const standard = STANDARD_MOUNTS.filter((m) => !taken.has(m.destination)).map((m) => {
    const options = [...(m.options ?? [])];
    return c.privileged && (m.type === "sysfs" || m.type === "cgroup")
      ? { ...m, options: options.filter((o) => o !== "ro").concat("rw") }
      : { ...m, options };
  });
  return [...standard, ...names, ...own];
}

/** kuke rewrites the cell's name files; a container reads them only. */
const NAME_FILE_OPTIONS = ["rbind", "ro", "nosuid", "nodev", "noexec"];
