import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAddress } from "../../src/model/index.js";
import { logPathOf, runPathLayout, secretDirOf } from "../../src/state/run-path.js";

const t = suite("state/run-path");

t("the run path's layout", () => {
  assert.equal(runPathLayout("/srv/kuke"), {
    root: "/srv/kuke",
    records: "/srv/kuke/records",
    journal: "/srv/kuke/journal",
    lock: "/srv/kuke/lock",
    logs: "/srv/kuke/logs",
    secretKey: "/srv/kuke/secret-digest.key",
    manifestCache: "/srv/kuke/cache/manifests",
  });
});

t("a container's log is a file under its cell's folder; a larger scope is the folder of its logs", () => {
  const logs = runPathLayout("/srv/kuke").logs;
  assert.is(logPathOf(logs, parseAddress("container/r/s/t/c/app")), "/srv/kuke/logs/r/s/t/c/app.log");
  assert.is(logPathOf(logs, parseAddress("cell/r/s/t/c")), "/srv/kuke/logs/r/s/t/c");
  assert.is(logPathOf(logs, parseAddress("realm/r")), "/srv/kuke/logs/r");
});

t("secret files live under the runtime dir, per container, and per scope for purge", () => {
  assert.is(secretDirOf("/run/kuke", parseAddress("container/r/s/t/c/app")), "/run/kuke/secrets/r/s/t/c/app");
  assert.is(secretDirOf("/run/kuke", parseAddress("space/r/s")), "/run/kuke/secrets/r/s");
});

t.run();
