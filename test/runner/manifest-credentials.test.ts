import { suite } from "uvu";
import * as assert from "uvu/assert";
import { isKukeError } from "../../src/model/index.js";
import { realmCredentialsFromManifests } from "../../src/runner/operations/manifest-credentials.js";

const t = suite("runner/manifest-credentials");

const realm = `kind: Realm
metadata: {name: acme}
spec:
  registryCredentials:
    - {username: puller, password: pw1, serverAddress: "127.0.0.1:5000"}
`;

t("a pull takes the realm's logins from the manifest that declares it", () => {
  const creds = realmCredentialsFromManifests([{ file: "r.yaml", text: realm }], "acme");
  assert.equal(creds, [{ username: "puller", password: "pw1", serverAddress: "127.0.0.1:5000" }]);
});

t("a realm the files do not declare, or invalid files, are errors", () => {
  for (const [text, name, code] of [
    [realm, "other", "not-found"],
    ["kind: Realm\nmetadata: {name: Bad_Name}\n", "acme", "invalid-spec"],
  ] as const) {
    try {
      realmCredentialsFromManifests([{ file: "r.yaml", text }], name);
      assert.unreachable();
    } catch (e) {
      assert.ok(isKukeError(e, code), String(e));
    }
  }
});

t.run();
