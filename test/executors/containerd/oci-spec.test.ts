import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { buildOciSpec, mergeEnv, type OciSpecInput } from "../../../src/executors/containerd/oci-spec.js";
import { parseNofileLimit, readNofileLimit } from "../../../src/executors/containerd/oci-spec-host.js";
import { containerAddress } from "../../../src/model/address.js";
import { isKukeError } from "../../../src/model/errors.js";
import { cgroupPath } from "../../../src/model/host-names.js";
import { normalizeContainer, synthesizedRoot } from "../../../src/model/normalize.js";
import type { ContainerInput } from "../../../src/model/types.js";
import { assertGolden } from "../../harness/golden.js";

/** Golden files sit in the source tree; compiled tests run from dist/test/…, four levels down. */
const GOLDEN_DIR = fileURLToPath(new URL("../../../../fixtures/golden/oci-spec/", import.meta.url));

const t = suite("executors/containerd/oci-spec");

const addr = (container: string) => containerAddress("r1", "s1", "t1", "web", container);
const busybox = { cmd: ["sh"], env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] };
const member = {
  kind: "member" as const,
  namespaces: { network: "/proc/4242/ns/net", ipc: "/proc/4242/ns/ipc", uts: "/proc/4242/ns/uts" },
};

function input(c: ContainerInput, over: Partial<OciSpecInput> = {}): OciSpecInput {
  return {
    address: addr(c.id),
    container: normalizeContainer({ image: "docker.io/library/busybox:latest", ...c }, undefined),
    image: busybox,
    role: member,
    cgroupsPath: cgroupPath("r1", "s1", "t1", "web", c.id),
    hostNofile: { soft: 1024, hard: 524288 },
    ...over,
  };
}

const DOCKER_PROFILE = {
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 1,
  archMap: [
    { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] },
  ],
  syscalls: [
    { names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW", args: [] },
    { names: ["mount"], action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
    { names: ["arch_prctl"], action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64"] } },
    { names: ["chown"], action: "SCMP_ACT_ERRNO", errnoRet: 1, excludes: { caps: ["CAP_CHOWN"] } },
    {
      names: ["personality"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: 0, op: "SCMP_CMP_EQ" }],
    },
  ],
};

const CASES: Record<string, OciSpecInput> = {
  "synthesized-root": {
    ...input({ id: "root" }),
    container: synthesizedRoot(false),
    image: { entrypoint: ["/pause"], env: ["PATH=/"] },
    role: { kind: "root" },
  },
  "root-host-network-host-pid": input(
    { id: "app", root: true, hostNetwork: true, hostPID: true, args: ["sleep", "3600"] },
    { role: { kind: "root" } },
  ),
  "member-defaults": input({ id: "app" }),
  "member-host-network": input(
    { id: "app", hostNetwork: true },
    { role: { kind: "member", namespaces: { ipc: "/proc/7/ns/ipc", uts: "/proc/7/ns/uts" } } },
  ),
  "command-replaces-entrypoint-and-cmd": input(
    { id: "app", command: "/bin/httpd" },
    { image: { entrypoint: ["/entry.sh"], cmd: ["--serve"], workingDir: "/srv" } },
  ),
  "args-replace-cmd": input(
    { id: "app", args: ["-f", "-p", "8080"], workingDir: "/var/www" },
    { image: { entrypoint: ["/bin/httpd"], cmd: ["-h"], user: "65534" } },
  ),
  "env-merge-and-secrets": input(
    {
      id: "app",
      env: ["MODE=prod", "EXTRA=1", "PATH=/opt/bin:/bin"],
      secrets: [
        { name: "TOKEN", fromEnv: "TOKEN" },
        { name: "key", fromFile: "/srv/key", mountPath: "/run/secrets/key" },
      ],
    },
    {
      image: { cmd: ["sh"], env: ["PATH=/bin", "MODE=dev", "LANG=C"] },
      secrets: {
        env: [{ name: "TOKEN", value: "s3cret" }],
        files: [{ hostPath: "/run/kuke/secrets/r1/s1/t1/web/app/key", mountPath: "/run/secrets/key" }],
      },
    },
  ),
  "image-without-path": input({ id: "app", env: ["A=1"] }, { image: { cmd: ["sh"], env: ["HOME=/root"] } }),
  "capabilities-drop-all-then-add": input({
    id: "app",
    capabilities: { add: ["net_bind_service", "CAP_KILL"], drop: ["ALL"] },
  }),
  "capabilities-add-all-minus-drop": input({
    id: "app",
    capabilities: { add: ["ALL"], drop: ["SYS_ADMIN", "NET_ADMIN"] },
  }),
  "capabilities-default-drop-add": input({
    id: "app",
    capabilities: { add: ["NET_ADMIN"], drop: ["MKNOD", "NET_RAW"] },
  }),
  privileged: input(
    { id: "app", privileged: true, capabilities: { add: [], drop: ["ALL"] }, securityOpts: ["seccomp=/etc/p.json"] },
    {
      seccompProfiles: { "/etc/p.json": DOCKER_PROFILE },
    },
  ),
  "seccomp-docker-profile-no-new-privileges": input(
    { id: "app", securityOpts: ["no-new-privileges", "seccomp=/etc/kuke/profile.json"] },
    { seccompProfiles: { "/etc/kuke/profile.json": DOCKER_PROFILE } },
  ),
  "seccomp-unconfined-nnp-false": input({
    id: "app",
    securityOpts: ["seccomp=unconfined", "no-new-privileges=false"],
  }),
  "readonly-rootfs-tmpfs-volumes": input({
    id: "app",
    readOnlyRootFilesystem: true,
    tmpfs: [
      { path: "/tmp", sizeBytes: 67108864, options: [] },
      { path: "/run", options: ["exec", "mode=755"] },
      { path: "/dev/shm", sizeBytes: 1048576, options: [] },
    ],
    volumes: [
      { source: "/srv/data", target: "/data", readOnly: false },
      { source: "/srv/conf", target: "/etc/app", readOnly: true },
    ],
  }),
  resources: input({
    id: "app",
    resources: { memoryLimitBytes: 134217728, cpuShares: 512, pidsLimit: 64 },
  }),
  "user-names-from-passwd": input(
    { id: "app", user: "www:staff" },
    {
      accounts: {
        passwd: "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n",
        group: "root:x:0:\nstaff:x:50:\n",
      },
    },
  ),
  "rlimit-capped-by-host": input({ id: "app", user: "1000" }, { hostNofile: { soft: 1024, hard: 4096 } }),
};

for (const [name, caseInput] of Object.entries(CASES)) {
  t(`golden: ${name}`, () => {
    const actual = `${JSON.stringify(buildOciSpec(caseInput), null, 2)}\n`;
    assertGolden(actual, `${GOLDEN_DIR}${name}.json`);
  });
}

t("joiners set no hostname and join the root's namespaces by path", () => {
  const spec = buildOciSpec(CASES["member-defaults"]!);
  assert.is(spec.hostname, undefined);
  const byType = Object.fromEntries(spec.linux.namespaces.map((n) => [n.type, n.path ?? "new"]));
  assert.equal(byType, {
    pid: "new",
    mount: "new",
    network: "/proc/4242/ns/net",
    ipc: "/proc/4242/ns/ipc",
    uts: "/proc/4242/ns/uts",
  });
  assert.is(buildOciSpec(CASES["synthesized-root"]!).hostname, "web");
});

t("RLIMIT_NOFILE never exceeds the host's hard limit; no host info means no rlimits", () => {
  for (const hard of [256, 4096, 524288, 2097152]) {
    const spec = buildOciSpec(input({ id: "app" }, { hostNofile: { soft: 128, hard } }));
    const nofile = spec.process.rlimits?.find((r) => r.type === "RLIMIT_NOFILE");
    assert.ok(nofile && nofile.hard <= hard && nofile.soft <= nofile.hard, `hard cap ${hard}`);
    assert.equal(
      spec.process.rlimits?.map((r) => r.type),
      ["RLIMIT_NOFILE"],
    );
  }
  const { hostNofile: _, ...noCaps } = input({ id: "app" });
  assert.is(buildOciSpec(noCaps).process.rlimits, undefined);
});

t("default capabilities go to bounding/effective/permitted only", () => {
  const caps = buildOciSpec(input({ id: "app" })).process.capabilities as unknown as Record<string, string[]>;
  assert.equal(Object.keys(caps).sort(), ["bounding", "effective", "permitted"]);
  assert.is(caps.effective!.length, 14);
  assert.ok(caps.effective!.includes("CAP_NET_BIND_SERVICE"));
  assert.not.ok(caps.effective!.includes("CAP_SYS_ADMIN"));
});

function expectError(fn: () => unknown, code: string, text: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isKukeError(e), `expected a KukeError, got ${String(e)}`);
    assert.is(e.code, code);
    assert.match(e.message, text);
    return;
  }
  assert.unreachable("expected an error");
}

t("typed errors: nothing to run, unresolvable user, unknown option, unread profile", () => {
  expectError(() => buildOciSpec(input({ id: "app" }, { image: {} })), "invalid-spec", /nothing to run/);
  expectError(() => buildOciSpec(input({ id: "app", user: "www" })), "invalid-spec", /user 'www'/);
  expectError(
    () => buildOciSpec(input({ id: "app", user: "0:wheel" }, { accounts: { passwd: "", group: "root:x:0:\n" } })),
    "invalid-spec",
    /group 'wheel'/,
  );
  expectError(() => buildOciSpec(input({ id: "app", securityOpts: ["apparmor=x"] })), "invalid-spec", /apparmor/);
  expectError(
    () => buildOciSpec(input({ id: "app", securityOpts: ["seccomp=/nope.json"] })),
    "invalid-spec",
    /\/nope\.json/,
  );
  expectError(
    () =>
      buildOciSpec(
        input({ id: "app", securityOpts: ["seccomp=/p.json"] }, { seccompProfiles: { "/p.json": { syscalls: [] } } }),
      ),
    "invalid-spec",
    /defaultAction/,
  );
});

t("mergeEnv overrides by key in place and adds PATH only when missing", () => {
  assert.equal(mergeEnv(["PATH=/bin", "A=1", "B=2"], ["A=3"], [{ name: "B", value: "x=y" }]), [
    "PATH=/bin",
    "A=3",
    "B=x=y",
  ]);
  assert.equal(mergeEnv([], ["A=1"], []), ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1"]);
});

t("parseNofileLimit reads /proc/<pid>/limits", () => {
  const text =
    "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
  assert.equal(parseNofileLimit(text), { soft: 1024, hard: 524288 });
  assert.equal(parseNofileLimit("Max open files  unlimited  unlimited  files"), {
    soft: Number.MAX_SAFE_INTEGER,
    hard: Number.MAX_SAFE_INTEGER,
  });
  assert.is(parseNofileLimit("nothing here"), undefined);
  assert.ok(readNofileLimit()!.hard > 0);
});

t.run();
