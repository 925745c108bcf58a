import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { runKuke } from "../cli/capture.js";
import { freeLoopbackPort } from "../harness/loopback.js";
import { type PodmanSandbox, podmanAvailable, podmanSandbox } from "../harness/podman.js";
import { stackHeader } from "../harness/stack-header.js";
import { onTeardown } from "../harness/teardown.js";

/**
 * The exported YAML run by a real engine: `podman kube play` reads Kubernetes Pod and Deployment
 * YAML. Pods start, their containers run the declared commands with the declared env, a bind
 * volume shows the host's file, a published port answers on 127.0.0.1, and `podman kube down`
 * removes everything. podman runs in a temporary sandbox (test/harness/podman.ts) with the locally
 * built busybox image; nothing is pulled and traffic stays on 127.0.0.1 and the sandbox's bridge.
 *
 * Secrets are not played: podman 4.3 (Debian 12) crashes on a secret volume in `kube play` and
 * reads env secrets only from its own store. Their shape is checked by export/schema instead.
 */
const t = suite("export/podman-play");

let sandbox: PodmanSandbox;
let work: string;
let port: number;

/** GET / on 127.0.0.1:port; the body, or the error code (ECONNREFUSED) when nothing answers. */
function get(p: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port: p, path: "/", timeout: 3000 }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    req.end();
  });
}

/** Polls `probe` until it returns true, at most `tries` times a quarter second apart. */
async function eventually(probe: () => Promise<boolean>, tries = 60): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function manifest(hostDir: string): string {
  return `${stackHeader("demo", "apps", "shop")}---
kind: Cell
metadata: {name: web}
spec:
  realmId: demo
  spaceId: apps
  stackId: shop
  containers:
    - id: httpd
      image: docker.io/library/busybox:latest
      command: /bin/sh
      args: [-c, "mkdir -p /www && cat /data/page.txt > /www/index.html && echo -n \\"-$GREETING\\" >> /www/index.html && exec httpd -f -p 8080 -h /www"]
      env: [GREETING=from-env]
      ports: ["127.0.0.1:${port}:8080"]
      volumes: [{source: ${hostDir}, target: /data, readOnly: true}]
      restartPolicy: always
    - id: echoer
      image: docker.io/library/busybox:latest
      command: /bin/sh
      args: [-c, "echo MODE=$MODE; exec sleep 3600"]
      env: [MODE=prod]
      restartPolicy: always
---
kind: Cell
metadata: {name: worker}
spec:
  realmId: demo
  spaceId: apps
  stackId: shop
  containers:
    - id: main
      image: docker.io/library/busybox:latest
      command: /bin/sleep
      args: ["3600"]
      restartPolicy: always
`;
}

t.before(async () => {
  assert.ok(
    await podmanAvailable(),
    "podman is not installed: run scripts/setup.sh (it installs podman and catatonit)",
  );
  sandbox = await podmanSandbox({ prefix: "/tmp/kuke-export-podman-" });
  onTeardown("export podman sandbox", () => sandbox.remove());
  work = await mkdtemp("/tmp/kuke-export-play-");
  onTeardown("export play dir", () => rm(work, { recursive: true, force: true }));
  await writeFile(join(work, "page.txt"), "hello-from-host");
  port = await freeLoopbackPort();
  await writeFile(join(work, "stack.yaml"), manifest(work));
});

// Gone as soon as this suite ends (the teardown entries stay as the safety net after a failure),
// so netavark's iptables chains do not outlive it into the rest of the run.
t.after(async () => {
  await sandbox?.remove();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function exportTo(file: string, extra: string[] = []): Promise<void> {
  const r = await runKuke(["export", "kubernetes", "-f", join(work, "stack.yaml"), ...extra]);
  assert.is(r.code, 0, r.stderr);
  await writeFile(file, r.stdout);
}

async function containerNames(): Promise<string[]> {
  return (await sandbox.podman(["ps", "-a", "--format", "{{.Names}}"])).split("\n").filter((n) => n !== "");
}

async function running(name: string): Promise<boolean> {
  return (await sandbox.podman(["inspect", "--format", "{{.State.Status}}", name])).trim() === "running";
}

t(
  "exported pods run under podman kube play: commands, env, volume, port on 127.0.0.1; kube down removes them",
  async () => {
    const file = join(work, "pods.yaml");
    await exportTo(file);
    await sandbox.podman(["kube", "play", "--network", sandbox.network, file]);
    const pods = (await sandbox.podman(["pod", "ps", "--format", "{{.Name}}"])).split("\n").filter(Boolean).sort();
    assert.equal(pods, ["shop-web", "shop-worker"]);
    for (const c of ["shop-web-httpd", "shop-web-echoer", "shop-worker-main"]) {
      assert.ok(await eventually(() => running(c)), `${c} is not running`);
    }

    // The declared command runs as the container's process, with the declared env.
    const cmdline = await sandbox.podman(["exec", "shop-web-httpd", "cat", "/proc/1/cmdline"]);
    assert.is(cmdline.split("\0").filter(Boolean).join(" "), "httpd -f -p 8080 -h /www");
    const env = await sandbox.podman(["exec", "shop-web-httpd", "env"]);
    assert.match(env, /^GREETING=from-env$/m);
    assert.ok(
      await eventually(async () => (await sandbox.podman(["logs", "shop-web-echoer"])).includes("MODE=prod")),
      "echoer did not print its env",
    );
    const worker = await sandbox.podman(["exec", "shop-worker-main", "cat", "/proc/1/cmdline"]);
    assert.is(worker.split("\0").filter(Boolean).join(" "), "/bin/sleep 3600");

    // The published port answers on 127.0.0.1 with what the container made of the host file and its env.
    assert.ok(
      await eventually(async () => (await get(port)) === "hello-from-host-from-env"),
      `port ${port}: ${await get(port)}`,
    );

    await sandbox.podman(["kube", "down", file]);
    assert.equal(await containerNames(), []);
    assert.is((await sandbox.podman(["pod", "ps", "-q"])).trim(), "");
    assert.is(await get(port), "ECONNREFUSED");
  },
);

t("--as deployment runs too: one pod per cell", async () => {
  const file = join(work, "deployments.yaml");
  await exportTo(file, ["--as", "deployment"]);
  await sandbox.podman(["kube", "play", "--network", sandbox.network, file]);
  const pods = (await sandbox.podman(["pod", "ps", "--format", "{{.Name}}"])).split("\n").filter(Boolean).sort();
  assert.is(pods.length, 2, pods.join(" "));
  assert.ok(await eventually(async () => (await get(port)) === "hello-from-host-from-env"), `port ${port}`);
  await sandbox.podman(["kube", "down", file]);
  assert.equal(await containerNames(), []);
});

t.run();
