import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { KubeObject } from "../../src/export/index.js";
import { exportFile, exportText, repo } from "./helpers.js";
import { schemaErrors, unknownFields } from "./kube-schema.js";

/** Every object kuke exports is valid against Kubernetes' OpenAPI schemas, with no unknown field. */
const t = suite("export/schema");

const files = [
  ...readdirSync(new URL("../../../fixtures/examples", import.meta.url))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => `fixtures/examples/${f}`),
  "fixtures/export/everything.yaml",
];

function check(o: KubeObject, where: string): void {
  assert.is(schemaErrors(o), undefined, `${where}: ${o.kind} ${o.metadata.name}`);
  assert.equal(unknownFields(o), [], `${where}: ${o.kind} ${o.metadata.name} has fields Kubernetes does not know`);
}

t("the checks can fail: a wrong type and an unknown field are both caught", () => {
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    spec: { containers: [{ name: "a", image: "b", securityContext: { runAsUser: "nobody" } }] },
  };
  assert.match(schemaErrors(pod) ?? "", "runAsUser");
  const typo: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p" },
    spec: { containers: [{ name: "a", image: "b", hostPorts: [1] }], restartPolicy: "Always" },
  };
  assert.is(schemaErrors(typo), undefined);
  assert.equal(unknownFields(typo), ["spec.containers.0.hostPorts"]);
  assert.match(schemaErrors({ ...typo, kind: "Pad" }) ?? "", "no schema");
});

for (const as of ["pod", "deployment"] as const) {
  t(`every fixture exported as ${as}s is valid against the schemas`, () => {
    let count = 0;
    for (const f of files) {
      for (const o of exportFile(f, { as }).objects) {
        check(o.object, f);
        count++;
      }
    }
    assert.ok(count >= 15, `only ${count} objects`);
  });
}

t("Secrets with their values read (--include-secrets) are valid too, and hold exactly the values", () => {
  const dir = mkdtempSync("/tmp/kuke-export-schema-");
  try {
    const key = join(dir, "tls.key");
    writeFileSync(key, "not a real key\n");
    // The fixture names /etc/kuke-export-test/tls.key; point it at the temporary file instead.
    const text = readFileSync(`${repo}/fixtures/export/everything.yaml`, "utf8").replace(
      "/etc/kuke-export-test/tls.key",
      key,
    );
    const r = exportText(text, { includeSecrets: true, env: { KUKE_EXPORT_TEST_TOKEN: "t0ken" } });
    const secret = r.objects.find((o) => o.object.kind === "Secret")!.object;
    check(secret, "everything --include-secrets");
    assert.equal(secret.data, {
      "httpd.API_TOKEN": Buffer.from("t0ken").toString("base64"),
      "httpd.tls.key": Buffer.from("not a real key\n").toString("base64"),
    });
    assert.is(secret.stringData, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
