/**
 * A private Docker registry (Debian's `docker-registry`, distribution 2.8) for pull tests: it
 * listens on 127.0.0.1 at a free port with its storage in a fresh temporary directory, and
 * `stop()` ends it and removes the directory. Seeding goes through skopeo (as users do) or plain
 * HTTP pushes (to build shapes skopeo cannot, like a hand-made multi-platform index).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildBusyboxArchive } from "./busybox-image.js";
import { freeLoopbackPort } from "./loopback.js";
import { onTeardown } from "./teardown.js";

const run = promisify(execFile);

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:<port>` */
  url: string;
  dir: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRegistry(opts: { readyTimeoutMs?: number } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "kuke-registry-"));
  const port = await freeLoopbackPort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${dir}/data`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${host}`,
      "",
    ].join("\n"),
  );
  const logPath = join(dir, "registry.log");
  const logFd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn("/usr/bin/docker-registry", ["serve", config], { stdio: ["ignore", logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  const exitedP = new Promise<void>((resolve) => {
    child.on("exit", () => {
      exited = true;
      resolve();
    });
    child.on("error", () => {
      exited = true;
      resolve();
    });
  });
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      await Promise.race([exitedP, sleep(5000)]);
      if (!exited) {
        child.kill("SIGKILL");
        await exitedP;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://${host}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  try {
    for (;;) {
      if (exited) throw new Error(`docker-registry exited during start-up:\n${readLog(logPath)}`);
      const ok = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline)
        throw new Error(`docker-registry on ${host} did not answer in time:\n${readLog(logPath)}`);
      await sleep(50);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { host, url, dir, stop };
}

function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-20).join("\n");
  } catch {
    return "(no log)";
  }
}

let shared: Promise<TestRegistry> | undefined;

/** One registry for the whole test run, started on first use and stopped by the run's teardown. */
export function sharedRegistry(): Promise<TestRegistry> {
  if (!shared) {
    shared = startRegistry();
    onTeardown("shared registry", async () => {
      const r = await shared!.catch(() => undefined);
      await r?.stop();
    });
  }
  return shared;
}

/**
 * Pushes the busybox test image with skopeo to `<registry>/<repoTag>`. From the `docker` archive
 * skopeo pushes Docker schema 2 media types; from the `oci` one, OCI media types.
 * @param format @default "oci"
 */
export async function seedBusybox(
  reg: TestRegistry,
  repoTag = "library/busybox:latest",
  format: "oci" | "docker" = "oci",
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kuke-seed-"));
  try {
    const archive = await buildBusyboxArchive(dir, { format });
    await run("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      `${format === "oci" ? "oci-archive" : "docker-archive"}:${archive}`,
      `docker://${reg.host}/${repoTag}`,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Uploads one blob in a single request (monolithic upload) and returns its digest. */
export async function pushBlob(reg: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  if (start.status !== 202) throw new Error(`upload start for ${repo}: HTTP ${start.status}`);
  const location = new URL(start.headers.get("location")!, reg.url);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  if (put.status !== 201) throw new Error(`blob upload for ${repo}: HTTP ${put.status} ${await put.text()}`);
  return digest;
}

/** Stores a manifest or index under `reference` (a tag or its digest). */
export async function pushManifest(
  reg: TestRegistry,
  repo: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<string> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    headers: { "content-type": mediaType },
    body: bytes,
  });
  if (res.status !== 201) throw new Error(`manifest push ${repo}:${reference}: HTTP ${res.status} ${await res.text()}`);
  return sha256(bytes);
}
