import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openImageArchive } from "../../src/executors/containerd/archive-source.js";
import type { NewContainer } from "../../src/executors/containerd/containers.js";
import type { ContainerdExecutor } from "../../src/executors/containerd/executor.js";
import type { ResolvedImage } from "../../src/executors/containerd/images.js";
import {
  buildLayerImage,
  type LayerEntry,
  type LayerImage,
  writeImageArchive,
} from "../../src/executors/containerd/pause-image.js";
import { minimalOciSpec } from "./containerd.js";

/**
 * A busybox image built from the host's static `/bin/busybox` (Debian's busybox-static), so tests,
 * examples and CI have a real image without any network. Output is deterministic: the same host
 * binary always yields the same digests.
 */

export const BUSYBOX_IMAGE = "docker.io/library/busybox:latest";
const BUSYBOX_BINARY = "/bin/busybox";

/** Applets linked into /bin; enough for shells, files, networking checks and long-running tasks. */
export const BUSYBOX_APPLETS = [
  "sh",
  "ash",
  "ls",
  "cat",
  "echo",
  "sleep",
  "httpd",
  "wget",
  "nc",
  "ps",
  "id",
  "env",
  "grep",
  "mkdir",
  "true",
  "false",
  "hostname",
  "ip",
  "ifconfig",
  "date",
  "yes",
  "head",
  "tail",
  "wc",
  "rm",
  "cp",
  "mv",
  "ln",
  "touch",
  "chmod",
  "chown",
  "stat",
  "test",
  "[",
  "printf",
  "sed",
  "awk",
  "tr",
  "cut",
  "sort",
  "uniq",
  "find",
  "xargs",
  "whoami",
  "uname",
  "kill",
  "ping",
  "route",
  "mount",
  "umount",
  "df",
  "du",
  "top",
  "free",
  "dd",
  "tee",
  "vi",
  "pwd",
  "basename",
  "dirname",
  "readlink",
  "seq",
  "timeout",
  "nslookup",
  "netstat",
  "ulimit",
  "dmesg",
] as const;

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The layer's entries: busybox, applet symlinks, a minimal /etc and the usual empty directories. */
export function busyboxEntries(binary: Buffer = readFileSync(BUSYBOX_BINARY)): LayerEntry[] {
  const dir = (path: string, mode = 0o755): LayerEntry => ({ type: "directory", path, mode });
  const file = (path: string, text: string, mode = 0o644): LayerEntry => ({
    type: "file",
    path,
    mode,
    content: Buffer.from(text),
  });
  return [
    dir("bin"),
    { type: "file", path: "bin/busybox", mode: 0o755, content: binary },
    ...[...new Set(BUSYBOX_APPLETS)].map((a): LayerEntry => ({ type: "symlink", path: `bin/${a}`, target: "busybox" })),
    dir("dev"),
    dir("etc"),
    file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
    file("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
    file("etc/hosts", "127.0.0.1\tlocalhost\n"),
    dir("proc", 0o555),
    dir("root", 0o700),
    dir("sys", 0o555),
    dir("tmp", 0o1777),
    dir("usr"),
    dir("usr/bin"),
    dir("var"),
    dir("var/www"),
  ];
}

/** The busybox image in memory (for tests that want an `ImageSource` without an archive). */
export async function buildBusyboxImage(name: string = BUSYBOX_IMAGE): Promise<LayerImage> {
  return buildLayerImage({ name, entries: busyboxEntries(), config: { Env: [PATH], Cmd: ["sh"] } });
}

/**
 * Writes the busybox image archive into `dir` and returns its path (`busybox-oci.tar` or
 * `busybox-docker.tar`).
 * @param opts.format `oci` (OCI image layout, what `ctr image import` and skopeo `oci-archive:` read)
 *   or `docker` (`docker save`). @default "oci"
 * @param opts.name full image name. @default "docker.io/library/busybox:latest"
 */
export async function buildBusyboxArchive(
  dir: string,
  opts: { format?: "oci" | "docker"; name?: string } = {},
): Promise<string> {
  const format = opts.format ?? "oci";
  const img = await buildBusyboxImage(opts.name ?? BUSYBOX_IMAGE);
  const file = join(dir, `busybox-${format}.tar`);
  await writeImageArchive(img, file, format);
  return file;
}

/**
 * Builds the busybox archive in `dir`, imports it into containerd namespace `ns` through the
 * executor, and returns the resolved image (what executor-level host tests and benches create
 * containers from).
 */
export async function importBusybox(
  exec: Pick<ContainerdExecutor, "importImage" | "resolveImage">,
  ns: string,
  dir: string,
): Promise<ResolvedImage> {
  const source = await openImageArchive(await buildBusyboxArchive(dir));
  try {
    await exec.importImage(ns, source);
  } finally {
    await source.close();
  }
  return exec.resolveImage(ns, BUSYBOX_IMAGE);
}

/**
 * A busybox `sleep` container from the imported image (`snapshotParent`: its top chain id) with
 * harness.minimalOciSpec, placed in `cgroupsPath`: what executor tests and benchmarks create.
 */
export function busyboxSleep(o: {
  id: string;
  snapshotParent: string;
  cgroupsPath: string;
  labels?: Record<string, string>;
  seconds?: number;
}): NewContainer {
  return {
    id: o.id,
    image: BUSYBOX_IMAGE,
    snapshotParent: o.snapshotParent,
    spec: minimalOciSpec(["sleep", String(o.seconds ?? 1000)], o.cgroupsPath),
    labels: o.labels ?? {},
  };
}
