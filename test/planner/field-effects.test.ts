import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Cell, ContainerSpec, RealmSpec, ResourceKind, SpaceSpec } from "../../src/model/index.js";
import {
  fieldEffect,
  findRow,
  ignorablePaths,
  isIgnorablePath,
  isSensitive,
  mayHoldSensitive,
} from "../../src/planner/field-effects.js";
import { cellView, containerView, maskView } from "../../src/planner/resource-view.js";
import { leafPaths } from "../../src/planner/value-diff.js";

/** Every optional field made required, so adding a model field breaks this fixture until it is filled. */
type Full<T> = T extends (infer U)[] ? Full<U>[] : T extends object ? { [K in keyof T]-?: Full<T[K]> } : T;

const container: Full<ContainerSpec> = {
  id: "app",
  root: false,
  synthesized: false,
  image: "busybox:1",
  command: "/bin/sh",
  args: ["-c", "true"],
  workingDir: "/srv",
  env: ["A=1"],
  volumes: [{ source: "/a", target: "/b", readOnly: true }],
  privileged: false,
  hostNetwork: false,
  hostPID: false,
  user: "1000",
  readOnlyRootFilesystem: true,
  capabilities: { add: ["CAP_NET_ADMIN"], drop: ["ALL"] },
  securityOpts: ["no-new-privileges"],
  tmpfs: [{ path: "/tmp", sizeBytes: 1024, options: ["noexec"] }],
  resources: { memoryLimitBytes: 1, cpuShares: 2, pidsLimit: 3 },
  secrets: [
    { name: "token", fromFile: "/run/token", fromEnv: "TOKEN", mountPath: "/etc/token", valueHash: "sha256:0" },
  ],
  restartPolicy: "always",
  imagePullPolicy: "Always",
  imageDigest: "sha256:1",
  ports: ["127.0.0.1:8080:80/tcp"],
  logMaxBytes: 4096,
  lifecycle: { preventDestroy: true, ignoreChanges: ["spec.image"] },
};

const lifecycle = { preventDestroy: true, ignoreChanges: ["labels"] };

const realm: Full<RealmSpec> = {
  namespace: "r.kukeon.io",
  registryCredentials: [{ username: "u", password: "p", serverAddress: "127.0.0.1:5000" }],
};

const space: Full<SpaceSpec> = {
  network: { egress: { default: "deny", allow: [{ host: "example.test", cidr: "10.0.0.0/8", ports: [443] }] } },
  defaults: {
    container: {
      user: "1000",
      readOnlyRootFilesystem: true,
      capabilities: { add: ["CAP_CHOWN"], drop: [] },
      securityOpts: ["no-new-privileges"],
      tmpfs: [{ path: "/tmp", sizeBytes: 1, options: ["noexec"] }],
      resources: { memoryLimitBytes: 1, cpuShares: 2, pidsLimit: 3 },
      logMaxBytes: 4096,
    },
  },
};

const cell: Cell = {
  kind: "cell",
  name: "c",
  realm: "r",
  space: "s",
  stack: "t",
  labels: { team: "x" },
  lifecycle,
  spec: { rootContainerId: "app", containers: [{ ...container, root: true }] },
};

const views: [ResourceKind, unknown][] = [
  ["realm", { labels: { a: "b" }, spec: realm, lifecycle }],
  ["space", { labels: { a: "b" }, spec: space, lifecycle }],
  ["stack", { labels: { a: "b" }, spec: {}, lifecycle }],
  ["cell", cellView(cell)],
  ["container", containerView(container as ContainerSpec, { a: "b" })],
];

const t = suite("planner/field-effects");

t("the table classifies every leaf of a fully populated view of each kind", () => {
  const missing: string[] = [];
  for (const [kind, view] of views) {
    for (const path of leafPaths(view)) if (findRow(kind, path) === undefined) missing.push(`${kind}: ${path}`);
  }
  assert.equal(missing, []);
});

t("an unclassified path is caught by the coverage check", () => {
  assert.is(findRow("container", "spec.noSuchField"), undefined);
  assert.is(fieldEffect("container", "spec.noSuchField"), "recreate");
});

t("effects follow DESIGN §4", () => {
  assert.is(fieldEffect("container", "labels.team"), "none");
  assert.is(fieldEffect("container", "spec.resources.memoryLimitBytes"), "live");
  assert.is(fieldEffect("space", "spec.network.egress.allow[0].cidr"), "live");
  // DESIGN §4: a restart policy lives in the container's labels for containerd's restart monitor.
  assert.is(fieldEffect("container", "spec.restartPolicy"), "live");
  assert.is(fieldEffect("container", "spec.restartPolicy", "root"), "live");
  for (const f of ["env", "command", "args", "workingDir", "user", "privileged", "securityOpts"]) {
    assert.is(fieldEffect("container", `spec.${f}`), "restart", f);
  }
  assert.is(fieldEffect("container", "spec.volumes[2].source"), "restart");
  assert.is(fieldEffect("container", "spec.secrets[0].fromEnv"), "restart");
  assert.is(fieldEffect("container", "spec.image"), "recreate");
  assert.is(fieldEffect("container", "spec.image", "root"), "recreate-cell");
  // DESIGN §4: a moved tag is an image change; the pull policy only decides how plan looks.
  assert.is(fieldEffect("container", "spec.imageDigest"), "recreate");
  assert.is(fieldEffect("container", "spec.imageDigest", "root"), "recreate-cell");
  assert.is(fieldEffect("container", "spec.imagePullPolicy"), "none");
  assert.is(fieldEffect("container", "spec.imagePullPolicy", "root"), "none");
  assert.is(fieldEffect("container", "spec.env", "root"), "recreate-cell");
  assert.is(fieldEffect("container", "spec.hostNetwork"), "recreate-cell");
  assert.is(fieldEffect("container", "spec.hostPID"), "recreate-cell");
  assert.is(fieldEffect("cell", "spec.rootContainerId"), "recreate-cell");
  assert.is(fieldEffect("realm", "spec.namespace"), "immutable");
  assert.is(fieldEffect("space", "spec.defaults.container.user"), "none");
});

t("a whole array path takes the strongest effect below it", () => {
  assert.is(fieldEffect("container", "spec.volumes"), "restart");
  assert.is(fieldEffect("realm", "spec.registryCredentials"), "none");
});

t("registry passwords are sensitive, nothing else of the realm is", () => {
  assert.ok(isSensitive("realm", "spec.registryCredentials[0].password"));
  assert.not.ok(isSensitive("realm", "spec.registryCredentials[0].username"));
  assert.not.ok(isSensitive("container", "spec.env"));
  assert.ok(isSensitive("container", "spec.secrets[0].valueHash"));
  assert.is(fieldEffect("container", "spec.secrets[0].valueHash"), "restart");
});

t("mayHoldSensitive: false only for specs none of whose leaves is sensitive", () => {
  const sensitiveLeaves = (kind: ResourceKind, spec: object) =>
    leafPaths(spec, "spec").filter((p) => isSensitive(kind, p.replaceAll("[]", "[0]")));
  const specs: [ResourceKind, Record<string, unknown>][] = [
    ...views.map(([kind, view]): [ResourceKind, Record<string, unknown>] => [kind, (view as { spec: never }).spec]),
    ["realm", { ...realm, registryCredentials: [] }],
    ["realm", { namespace: "r.kukeon.io" }],
    ["container", { ...container, secrets: [] }],
    ["container", { ...container, secrets: undefined }],
    ["container", { id: "app", image: "busybox:1" }],
  ];
  for (const [kind, spec] of specs) {
    const leaves = sensitiveLeaves(kind, spec);
    if (!mayHoldSensitive(kind, spec)) assert.equal(leaves, [], `${kind} ${JSON.stringify(spec)}`);
  }
  assert.ok(mayHoldSensitive("realm", realm));
  assert.ok(mayHoldSensitive("container", container));
  assert.not.ok(mayHoldSensitive("container", { ...container, secrets: [] }));
  assert.not.ok(mayHoldSensitive("realm", { ...realm, registryCredentials: [] }));
  assert.not.ok(mayHoldSensitive("cell", cellView(cell).spec));
});

t("maskView masks what is sensitive and leaves a view without secrets as it is", () => {
  const withSecret = containerView(container as ContainerSpec);
  const masked = maskView("container", withSecret);
  assert.equal(masked.paths, ["spec.secrets[0].valueHash"]);
  assert.is((masked.view!.spec.secrets as { valueHash: string }[])[0]?.valueHash, "(sensitive value)");
  assert.is((withSecret.spec.secrets as { valueHash: string }[])[0]?.valueHash, "sha256:0", "the input is not changed");
  const plain = containerView({ ...(container as ContainerSpec), secrets: [] });
  assert.equal(maskView("container", plain), { view: plain, paths: [] });
});

t("lifecycle changes are records-only on every kind, a root container's too", () => {
  for (const kind of ["realm", "space", "stack", "cell", "container"] as const) {
    assert.is(fieldEffect(kind, "lifecycle.preventDestroy"), "none", kind);
    assert.is(fieldEffect(kind, "lifecycle.ignoreChanges", "root"), "none", kind);
    assert.is(fieldEffect(kind, "lifecycle"), "none", kind);
  }
});

t("ignoreChanges may name table fields, enclosing objects, whole lists and labels, nothing else", () => {
  for (const ok of [
    "spec.image",
    "spec.resources",
    "spec.resources.pidsLimit",
    "spec.volumes",
    "labels",
    "labels.a.b/c",
  ]) {
    assert.ok(isIgnorablePath("container", ok), ok);
  }
  for (const bad of [
    "image",
    "spec",
    "spec.volumes[].source",
    "spec.id",
    "spec.root",
    "lifecycle.preventDestroy",
    "spec.nope",
  ]) {
    assert.not.ok(isIgnorablePath("container", bad), bad);
  }
  assert.equal(ignorablePaths("stack"), ["labels"]);
  assert.equal(ignorablePaths("cell"), ["labels", "spec.ports", "spec.rootContainerId"]);
  assert.ok(ignorablePaths("realm").includes("spec.registryCredentials"));
  assert.ok(ignorablePaths("space").includes("spec.network.egress"));
  assert.not.ok(ignorablePaths("space").includes("spec.network.egress.allow[]"));
});

t.run();
