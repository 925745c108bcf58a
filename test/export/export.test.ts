import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { renderAll } from "../../src/export/index.js";
import { formatAddress, isKukeError, parseAddress } from "../../src/model/index.js";
import { assertGolden } from "../harness/golden.js";
import { cellDoc, containerOf, exportFile, exportText, find, HEADER, repo } from "./helpers.js";

const t = suite("export/kubernetes");
function golden(name: string, text: string): void {
  assertGolden(text, `${repo}/fixtures/export/${name}`);
}

t("the everything fixture exports to its golden YAML and warnings", () => {
  const r = exportFile("fixtures/export/everything.yaml");
  golden("everything.k8s.yaml", renderAll(r.objects));
  golden("everything.warnings", r.warnings.map((w) => `[${w.address}] ${w.message}\n`).join(""));
});

t("the same files in another order give the same text", () => {
  const text = readFileSync(`${repo}/fixtures/export/everything.yaml`, "utf8");
  const docs = text.split(/^---\n/m);
  const once = renderAll(exportText(text).objects);
  assert.is(renderAll(exportText([...docs].reverse().join("\n---\n")).objects), once);
  assert.is(renderAll(exportText(text).objects), once);
});

t("objects come namespace first, then its policy, then per cell the Secret before the workload", () => {
  const r = exportFile("fixtures/export/everything.yaml");
  assert.equal(
    r.objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`),
    [
      "Namespace/shop-apps",
      "NetworkPolicy/kuke-egress",
      "Pod/front-agent",
      "Secret/front-web-secrets",
      "Pod/front-web",
    ],
  );
});

t("a workload container keeps image, command, args, env, workingDir, ports and resources", () => {
  const web = find(exportFile("fixtures/export/everything.yaml"), "Pod", "front-web");
  const httpd = containerOf(web, "httpd");
  assert.is(httpd.image, "docker.io/library/busybox:latest");
  assert.equal(httpd.command, ["/bin/sh"]);
  assert.equal(httpd.args, ["-c", "exec httpd -f -p 8080 -h /www"]);
  assert.is(httpd.workingDir, "/www");
  assert.equal((httpd.env as unknown[]).slice(0, 2), [
    { name: "MODE", value: "prod" },
    { name: "EMPTY", value: "" },
  ]);
  assert.equal(httpd.ports, [
    { containerPort: 8080, hostPort: 8080, protocol: "TCP", hostIP: "127.0.0.1" },
    { containerPort: 90, hostPort: 9090, protocol: "UDP" },
  ]);
  assert.equal(httpd.resources, { limits: { memory: "67108864" }, requests: { cpu: "500m" } });
  assert.equal(httpd.securityContext, {
    runAsUser: 1000,
    runAsGroup: 1000,
    capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
  });
});

t("volumes: bind → hostPath, tmpfs → memory emptyDir, mounted secret → secret volume with subPath", () => {
  const web = find(exportFile("fixtures/export/everything.yaml"), "Pod", "front-web");
  const spec = web.spec as { volumes: unknown[] };
  assert.equal(spec.volumes, [
    { name: "httpd-bind0", hostPath: { path: "/srv/www" } },
    { name: "httpd-tmpfs0", emptyDir: { medium: "Memory", sizeLimit: "16777216" } },
    { name: "httpd-tmpfs1", emptyDir: { medium: "Memory" } },
    { name: "kuke-secrets", secret: { secretName: "front-web-secrets", defaultMode: 0o400 } },
  ]);
  assert.equal(containerOf(web, "httpd").volumeMounts, [
    { name: "kuke-secrets", mountPath: "/run/secrets/tls.key", subPath: "httpd.tls.key", readOnly: true },
    { name: "httpd-bind0", mountPath: "/www", readOnly: true },
    { name: "httpd-tmpfs0", mountPath: "/tmp" },
    { name: "httpd-tmpfs1", mountPath: "/run/cache" },
  ]);
});

t("a synthesized root is the pod's sandbox; a declared root is a container, with a warning", () => {
  const r = exportFile("fixtures/export/everything.yaml");
  const web = find(r, "Pod", "front-web");
  assert.equal(
    (web.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name),
    ["httpd", "logger"],
  );
  const agent = find(r, "Pod", "front-agent");
  assert.equal(
    (agent.spec as { containers: Array<{ name: string }> }).containers.map((c) => c.name),
    ["main", "probe"],
  );
  assert.ok(
    r.warnings.some((w) => w.address === "container/shop/apps/front/agent/main" && /root container/.test(w.message)),
  );
});

t("pod-level fields: strictest restart policy, hostNetwork/hostPID for the pod, hostname = cell", () => {
  const r = exportFile("fixtures/export/everything.yaml");
  const web = find(r, "Pod", "front-web").spec as Record<string, unknown>;
  assert.is(web.restartPolicy, "Always");
  assert.is(web.hostname, "web");
  assert.is(web.hostNetwork, undefined);
  const agent = find(r, "Pod", "front-agent").spec as Record<string, unknown>;
  assert.is(agent.hostNetwork, true);
  assert.is(agent.hostPID, true);
  assert.is(agent.hostname, undefined);
  const codes = r.warnings
    .filter((w) => w.address.startsWith("cell/"))
    .map((w) => w.message.split(" ").slice(0, 2).join(" "));
  assert.equal(codes.sort(), ["containers have", "hostNetwork is", "hostPID is"]);
});

t("restart policies map one to one when a cell agrees; the strictest wins otherwise", () => {
  for (const [policy, expected] of [
    ["no", "Never"],
    ["on-failure", "OnFailure"],
    ["always", "Always"],
  ] as const) {
    const r = exportText(
      HEADER +
        cellDoc(
          "c",
          `    - {id: a, image: busybox, restartPolicy: ${policy}}\n    - {id: b, image: busybox, restartPolicy: ${policy}}\n`,
        ),
    );
    assert.is((find(r, "Pod", "t-c").spec as { restartPolicy: string }).restartPolicy, expected);
    assert.equal(r.warnings, []);
  }
  const mixed = exportText(
    HEADER +
      cellDoc(
        "c",
        "    - {id: a, image: busybox, restartPolicy: no}\n    - {id: b, image: busybox, restartPolicy: on-failure}\n",
      ),
  );
  assert.is((find(mixed, "Pod", "t-c").spec as { restartPolicy: string }).restartPolicy, "OnFailure");
  assert.equal(
    mixed.warnings.map((w) => w.address),
    ["cell/r/s/t/c"],
  );
});

t("a plain cell exports without any warning", () => {
  const r = exportText(HEADER + cellDoc("c", "    - {id: a, image: busybox, command: /bin/true}\n"));
  assert.equal(r.warnings, []);
  assert.equal(
    r.objects.map((o) => o.object.kind),
    ["Namespace", "Pod"],
  );
});

t("egress: deny → a policy allowing the namespace and each CIDR on TCP and UDP; allow → no policy", () => {
  const policy = find(exportFile("fixtures/export/everything.yaml"), "NetworkPolicy", "kuke-egress");
  assert.equal(policy.spec, {
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [
      { to: [{ podSelector: {} }] },
      {
        to: [{ ipBlock: { cidr: "10.20.0.0/16" } }],
        ports: [
          { protocol: "TCP", port: 443 },
          { protocol: "UDP", port: 443 },
          { protocol: "TCP", port: 5432 },
          { protocol: "UDP", port: 5432 },
        ],
      },
      { to: [{ ipBlock: { cidr: "192.0.2.7/32" } }] },
    ],
  });
  const allow = exportText(
    HEADER.replace(
      "spec: {realmId: r}",
      "spec: {realmId: r, network: {egress: {default: allow, allow: [{cidr: 10.0.0.0/8}]}}}",
    ),
  );
  assert.equal(
    allow.objects.map((o) => o.object.kind),
    ["Namespace"],
  );
});

t("secrets: empty keys with a comment each, unless values are asked for", () => {
  const r = exportFile("fixtures/export/everything.yaml");
  const secret = r.objects.find((o) => o.object.kind === "Secret")!;
  assert.equal(secret.object.stringData, { "httpd.API_TOKEN": "", "httpd.tls.key": "" });
  assert.is(secret.object.data, undefined);
  const text = renderAll([secret]);
  assert.match(
    text,
    '# fill in: the value of $KUKE_EXPORT_TEST_TOKEN (container httpd, as env API_TOKEN)\n  httpd.API_TOKEN: ""',
  );
  assert.match(text, "# fill in: the content of /etc/kuke-export-test/tls.key");
  const web = find(r, "Pod", "front-web");
  assert.equal((containerOf(web, "httpd").env as unknown[])[2], {
    name: "API_TOKEN",
    valueFrom: { secretKeyRef: { name: "front-web-secrets", key: "httpd.API_TOKEN" } },
  });
});

t("names: ambiguous or long joins get a stable hashed name; distinct parts stay distinct", () => {
  const doc = (realm: string, space: string) =>
    `---\nkind: Realm\nmetadata: {name: ${realm}}\n---\nkind: Space\nmetadata: {name: ${space}}\nspec: {realmId: ${realm}}\n`;
  const r = exportText(doc("a-b", "c") + doc("a", "b-c") + doc("x", "y"));
  const names = r.objects.map((o) => o.object.metadata.name);
  assert.is(new Set(names).size, 3);
  assert.ok(names.includes("x-y"));
  for (const n of names.filter((x) => x !== "x-y")) assert.match(n, /^a-b-c-[0-9a-f]{8}$/);
  assert.equal(
    exportText(doc("a-b", "c") + doc("a", "b-c") + doc("x", "y")).objects.map((o) => o.object.metadata.name),
    names,
  );
  const long = exportText(doc("r".repeat(40), "s".repeat(40)));
  const n = long.objects[0]!.object.metadata.name;
  assert.ok(n.length <= 63, n);
  assert.match(n, /^r+-s+-[0-9a-f]{8}$/);
});

t("--as deployment: one replica, Recreate, selector matching the template, policy Always", () => {
  const r = exportText(HEADER + cellDoc("c", "    - {id: a, image: busybox}\n"), { as: "deployment" });
  const d = find(r, "Deployment", "t-c");
  const spec = d.spec as {
    replicas: number;
    strategy: unknown;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { restartPolicy: string } };
  };
  assert.is(spec.replicas, 1);
  assert.equal(spec.strategy, { type: "Recreate" });
  for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.is(spec.template.metadata.labels[k], v);
  assert.is(spec.template.spec.restartPolicy, "Always");
  assert.equal(
    r.warnings.map((w) => w.address),
    ["cell/r/s/t/c"],
  );
  assert.match(r.warnings[0]!.message, "Deployment");
});

t("an undeclared space, a loose container and registry credentials are warnings, not silence", () => {
  const text = `kind: Cell
metadata: {name: c}
spec: {realmId: r, spaceId: s, stackId: t, containers: [{id: a, image: busybox}]}
---
kind: Container
metadata: {name: k}
spec: {realmId: r, spaceId: s, stackId: t, cellId: elsewhere, image: busybox}
---
kind: Realm
metadata: {name: r}
spec: {registryCredentials: [{username: u, password: p}]}
`;
  const r = exportText(text);
  assert.equal(r.warnings.map((w) => w.address).sort(), ["container/r/s/t/elsewhere/k", "realm/r", "space/r/s"]);
  assert.equal(
    r.objects.map((o) => o.object.kind),
    ["Namespace", "Pod"],
  );
  assert.not.match(JSON.stringify(r), /"p"/);
});

t("labels: valid ones are kept, kuke's own keys win, invalid ones are warnings", () => {
  const r = exportText(
    HEADER +
      cellDoc("c", "    - {id: a, image: busybox}\n").replace(
        "metadata: {name: c}",
        "metadata: {name: c, labels: {tier: db, 'kukeon.io/cell': x, 'bad key': v}}",
      ),
  );
  const pod = find(r, "Pod", "t-c");
  assert.is(pod.metadata.labels?.tier, "db");
  assert.is(pod.metadata.labels?.["kukeon.io/cell"], "c");
  assert.is(pod.metadata.labels?.["bad key"], undefined);
  assert.is(r.warnings.length, 2);
});

t("--include-secrets: a secret that cannot be read fails the export, naming the container", () => {
  const text =
    HEADER +
    cellDoc(
      "c",
      "    - {id: a, image: busybox, secrets: [{name: T, fromEnv: KUKE_EXPORT_UNSET}, {name: f, fromFile: /nonexistent/kuke, mountPath: /f}]}\n",
    );
  assert.throws(
    () => exportText(text, { includeSecrets: true, env: {} }),
    (e: unknown) =>
      isKukeError(e, "not-found") &&
      /KUKE_EXPORT_UNSET/.test(e.message) &&
      formatAddress(e.address!) === "container/r/s/t/c/a",
  );
  assert.throws(
    () => exportText(text, { includeSecrets: true, env: { KUKE_EXPORT_UNSET: "x" } }),
    (e: unknown) => isKukeError(e, "not-found") && /nonexistent/.test(e.message),
  );
  // Without the flag nothing is read, so nothing can fail.
  assert.is(exportText(text).objects.length, 3);
});

t("every warning names a resource by a kuke address", () => {
  for (const w of exportFile("fixtures/export/everything.yaml").warnings) parseAddress(w.address);
});

t.run();
