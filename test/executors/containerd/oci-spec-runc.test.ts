import { execFile } from "node:child_process";
import { readdirSync, rmdirSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildOciSpec, type OciSpec, type OciSpecInput } from "../../../src/executors/containerd/oci-spec.js";
import { readNofileLimit } from "../../../src/executors/containerd/oci-spec-host.js";
import { containerAddress } from "../../../src/model/address.js";
import { normalizeContainer } from "../../../src/model/normalize.js";
import type { ContainerInput } from "../../../src/model/types.js";
import { buildBusyboxImage } from "../../harness/busybox-image.js";
import { ctrFor, sharedContainerd, type TestContainerd } from "../../harness/containerd.js";
import { onTeardown } from "../../harness/teardown.js";

/**
 * runc is the judge of whether a built spec is usable: these run specs through
 * `ctr run --config` on the harness containerd, with the busybox layer unpacked into a plain
 * directory as the rootfs, and check from inside the container that each setting took effect.
 */
const t = suite("executors/containerd/oci-spec-runc");
const run = promisify(execFile);
const CGROUP_PREFIX = `/kuke-spec-test-${process.pid}`;

function input(c: ContainerInput, over: Partial<OciSpecInput>): OciSpecInput {
  return {
    address: containerAddress("r1", "s1", "t1", "web", c.id),
    container: normalizeContainer({ image: "docker.io/library/busybox:latest", ...c }, undefined),
    image: { cmd: ["sh"], env: ["PATH=/bin"] },
    role: { kind: "root" },
    cgroupsPath: `${CGROUP_PREFIX}/${c.id}`,
    // The ceiling containerd (started by this process) and so runc can grant.
    hostNofile: readNofileLimit()!,
    ...over,
  };
}

let rootfsDir: Promise<string> | undefined;

function busyboxRootfs(): Promise<string> {
  rootfsDir ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "kuke-spec-rootfs-"));
    onTeardown("oci-spec rootfs", () => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "layer.tar"), (await buildBusyboxImage()).layerTar);
    await mkdir(join(dir, "rootfs"));
    await run("tar", ["-xf", join(dir, "layer.tar"), "-C", join(dir, "rootfs")]);
    return join(dir, "rootfs");
  })();
  return rootfsDir;
}

/** runc leaves the cgroup directories it made; remove ours, deepest first, in every hierarchy. */
function removeTestCgroups(): void {
  const roots = readdirSync("/sys/fs/cgroup").map((c) => `/sys/fs/cgroup/${c}${CGROUP_PREFIX}`);
  roots.push(`/sys/fs/cgroup${CGROUP_PREFIX}`);
  const removeTree = (dir: string) => {
    let children: string[];
    try {
      children = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const child of children) removeTree(join(dir, child));
    rmdirSync(dir);
  };
  for (const r of roots) removeTree(r);
}
onTeardown("oci-spec test cgroups", removeTestCgroups);

function ctrIn(ctd: TestContainerd) {
  const ns = `spec-${process.pid}`;
  return ctrFor(ctd, ns);
}

/** Writes `spec` for `ctr run --config`, whose rootfs must then be a plain absolute path. */
async function writeSpec(spec: OciSpec, name: string): Promise<string> {
  const rootfs = await busyboxRootfs();
  const file = join(rootfs, "..", `${name}.json`);
  await writeFile(file, JSON.stringify({ ...spec, root: { ...spec.root, path: rootfs } }));
  return file;
}

t("a root spec runs: hostname, user, caps, rlimit, no-new-privileges, seccomp, mounts, limits, env", async () => {
  const ctr = ctrIn(await sharedContainerd());
  const cleanup = async () => {
    await ctr("task", "rm", "-f", "spec-root").catch(() => undefined);
    await ctr("container", "rm", "spec-root").catch(() => undefined);
  };
  onTeardown("oci-spec root container", cleanup);
  const script = [
    "hostname",
    "id -u; id -g",
    "ulimit -n",
    "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -d ' \\t'",
    "mkdir /tmp/blocked 2>/dev/null && echo mkdir-allowed || echo mkdir-blocked",
    "touch /rootfs-file 2>/dev/null && echo rootfs-rw || echo rootfs-ro",
    "echo x > /tmp/f && echo tmpfs-rw",
    "cat /data/marker",
    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
    "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
    "echo $GREETING",
  ].join("; ");
  const data = await mkdtemp(join(tmpdir(), "kuke-spec-data-"));
  onTeardown("oci-spec data dir", () => rm(data, { recursive: true, force: true }));
  await chmod(data, 0o755); // the process runs as nobody
  await writeFile(join(data, "marker"), "from-volume\n");
  const host = readNofileLimit()!;
  const spec = buildOciSpec(
    input(
      {
        id: "root",
        root: true,
        command: "sh",
        args: ["-c", script],
        user: "65534:65534",
        env: ["GREETING=hi"],
        readOnlyRootFilesystem: true,
        capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
        securityOpts: ["no-new-privileges", "seccomp=/profile.json"],
        tmpfs: [{ path: "/tmp", sizeBytes: 1048576, options: [] }],
        volumes: [{ source: data, target: "/data", readOnly: true }],
        resources: { memoryLimitBytes: 67108864, pidsLimit: 20, cpuShares: 256 },
      },
      {
        seccompProfiles: {
          "/profile.json": {
            defaultAction: "SCMP_ACT_ALLOW",
            syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
          },
        },
      },
    ),
  );
  try {
    const out = await ctr("run", "--rm", "--config", await writeSpec(spec, "root"), "spec-root");
    const lines = out.stdout.trim().split("\n");
    assert.equal(lines.slice(0, 3), ["web", "65534", "65534"]);
    assert.is(Number(lines[3]), Math.min(1048576, host.hard));
    assert.equal(lines.slice(4, 7), ["CapEff:0000000000000000", "NoNewPrivs:1", "Seccomp:2"]);
    assert.equal(lines.slice(7), ["mkdir-blocked", "rootfs-ro", "tmpfs-rw", "from-volume", "67108864", "20", "hi"]);
  } finally {
    await cleanup();
    await rm(data, { recursive: true, force: true });
  }
});

t("a member joins the root's network, IPC and UTS namespaces and keeps its own pid namespace", async () => {
  const ctr = ctrIn(await sharedContainerd());
  const cleanup = async () => {
    for (const id of ["spec-member", "spec-cellroot"]) {
      await ctr("task", "kill", "-s", "SIGKILL", id).catch(() => undefined);
      await ctr("task", "rm", "-f", id).catch(() => undefined);
      await ctr("container", "rm", id).catch(() => undefined);
    }
  };
  onTeardown("oci-spec cell containers", cleanup);
  try {
    const root = buildOciSpec(input({ id: "cellroot", root: true, command: "sleep", args: ["60"] }, {}));
    await ctr("run", "-d", "--config", await writeSpec(root, "cellroot"), "spec-cellroot");
    const tasks = (await ctr("task", "ls")).stdout;
    const pid = Number(/^spec-cellroot\s+(\d+)\s+RUNNING/m.exec(tasks)?.[1]);
    assert.ok(pid > 0, tasks);
    const member = buildOciSpec(
      input(
        {
          id: "member",
          command: "sh",
          args: ["-c", "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; echo $$"],
        },
        {
          role: {
            kind: "member",
            namespaces: { network: `/proc/${pid}/ns/net`, ipc: `/proc/${pid}/ns/ipc`, uts: `/proc/${pid}/ns/uts` },
          },
        },
      ),
    );
    assert.is(member.hostname, undefined);
    const out = await ctr("run", "--rm", "--config", await writeSpec(member, "member"), "spec-member");
    const lines = out.stdout.trim().split("\n");
    assert.is(lines[0], "web", "the member sees the cell's hostname");
    assert.is(lines[1], await readlink(`/proc/${pid}/ns/net`));
    assert.is(lines[2], await readlink(`/proc/${pid}/ns/ipc`));
    assert.is.not(lines[1], await readlink("/proc/self/ns/net"), "not the host's network namespace");
    assert.is(lines[3], "1", "the member has its own pid namespace");
  } finally {
    await cleanup();
  }
});

t.run();
