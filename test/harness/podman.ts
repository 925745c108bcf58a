/**
 * podman with everything of its own in one temporary directory: storage (`--root`), run state
 * (`--runroot`), temporary files and network config, and a `containers.conf` passed through
 * `CONTAINERS_CONF`. Used by the export tests (`podman kube play` of exported pods) and by the
 * bench's podman peer (`bench/podman.ts`).
 *
 * On these machines root cannot raise rlimits, so the config caps them (`default_ulimits`). The
 * busybox image comes from the locally built archive (`podman load`): nothing is ever pulled. Pods
 * run on a bridge network the sandbox creates with a /24 of its own, outside kuke's pool
 * (10.88/16) and the tests' pools. `remove()` deletes every pod, container and network it made,
 * the whole directory, and the iptables chains netavark creates on first use and never removes.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { readMountInfo } from "../../src/fs/mountinfo.js";
import { BUSYBOX_IMAGE, buildBusyboxArchive } from "./busybox-image.js";

const run = promisify(execFile);

export interface PodmanSandbox {
  /** The temporary directory holding podman's storage, state and config. */
  readonly work: string;
  /** The bridge network the sandbox made; pass it as `--network` to `kube play`. */
  readonly network: string;
  /** The global flags that point podman at the sandbox (storage, run state, network config). */
  readonly global: readonly string[];
  /** The environment variables podman needs besides these flags (`CONTAINERS_CONF`). */
  readonly env: Readonly<Record<string, string>>;
  /** Runs `podman ARGS…` in the sandbox and returns its stdout; rejects with stderr on failure. */
  podman(args: string[]): Promise<string>;
  /** Removes everything the sandbox made. Safe to call twice. */
  remove(): Promise<void>;
}

export interface PodmanSandboxOptions {
  /** Directory prefix. @default "/tmp/kuke-podman-" */
  prefix?: string;
  /** First two octets of the sandbox network's /24 (the third is random). @default "10.251" */
  subnetPrefix?: string;
  /** Image podman uses for pod sandboxes. @default podman's own pause image, built offline from catatonit */
  infraImage?: string;
  /** Seconds podman waits after the stop signal before SIGKILL (`stop_timeout`). @default podman's, 10 */
  stopTimeout?: number;
}

/** Whether podman is installed (scripts/setup.sh installs it). */
export async function podmanAvailable(): Promise<boolean> {
  return run("podman", ["--version"]).then(
    () => true,
    () => false,
  );
}

/** Deletes the iptables rules and chains netavark made (it leaves them behind on every host). */
export async function removeNetavarkChains(): Promise<void> {
  for (const table of ["nat", "filter"]) {
    const saved = (await run("iptables-save", ["-t", table])).stdout.split("\n");
    for (const rule of saved.filter((l) => l.startsWith("-A ") && /-j NETAVARK/.test(l))) {
      const spec = rule.slice(3).match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
      await run("iptables", ["-w", "-t", table, "-D", ...spec.map((s) => s.replace(/^"|"$/g, ""))]).catch(
        () => undefined,
      );
    }
    const chains = saved.filter((l) => l.startsWith(":NETAVARK")).map((l) => l.slice(1).split(" ")[0] as string);
    for (const c of chains) await run("iptables", ["-w", "-t", table, "-F", c]).catch(() => undefined);
    for (const c of chains) await run("iptables", ["-w", "-t", table, "-X", c]).catch(() => undefined);
  }
}

/** podman's overlay driver mounts its storage dir over itself and may leave it mounted: unmount, deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readMountInfo())
    .map((m) => m.mountPoint)
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run("umount", ["-l", m]).catch(() => undefined);
}

/**
 * Makes the sandbox: config, network, and the busybox image loaded as
 * `docker.io/library/busybox:latest` (plus any `tags`).
 */
export async function podmanSandbox(opts: PodmanSandboxOptions = {}, tags: string[] = []): Promise<PodmanSandbox> {
  const work = await mkdtemp(opts.prefix ?? "/tmp/kuke-podman-");
  const conf = join(work, "containers.conf");
  await writeFile(
    conf,
    [
      "[containers]",
      'default_ulimits = ["nofile=1000:1000", "nproc=1000:1000"]',
      "[engine]",
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      ...(opts.infraImage !== undefined ? [`infra_image = "${opts.infraImage}"`] : []),
      ...(opts.stopTimeout !== undefined ? [`stop_timeout = ${opts.stopTimeout}`] : []),
      "[network]",
      'network_backend = "netavark"',
      "",
    ].join("\n"),
  );
  const global = [
    "--root",
    join(work, "root"),
    "--runroot",
    join(work, "run"),
    "--tmpdir",
    join(work, "tmp"),
    "--network-config-dir",
    join(work, "net"),
  ];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const podman = async (args: string[]): Promise<string> => {
    try {
      return (await run("podman", [...global, ...args], { env, maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`podman ${args.join(" ")} failed: ${err.stderr?.trim() || err.message}`);
    }
  };
  const network = `kuke${randomBytes(3).toString("hex")}`;
  const subnet = `${opts.subnetPrefix ?? "10.251"}.${Math.floor(Math.random() * 256)}.0/24`;
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await podman(["pod", "rm", "-af", "-t", "0"]).catch(() => undefined);
    await podman(["rm", "-af", "-t", "0"]).catch(() => undefined);
    await podman(["network", "rm", "-f", network]).catch(() => undefined);
    await podman(["system", "reset", "-f"]).catch(() => undefined);
    await removeNetavarkChains().catch(() => undefined);
    await unmountUnder(work);
    await rm(work, { recursive: true, force: true });
  };
  try {
    await podman(["load", "-q", "-i", await buildBusyboxArchive(work)]);
    for (const tag of tags) await podman(["tag", BUSYBOX_IMAGE, tag]);
    await podman(["network", "create", "--disable-dns", "--subnet", subnet, network]);
  } catch (e) {
    await remove();
    throw e;
  }
  return { work, network, podman, remove, global, env: { CONTAINERS_CONF: conf } };
}
