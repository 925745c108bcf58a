import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { startTask } from "../../../src/executors/containerd/tasks.js";
import { expectCode } from "../../harness/assert-kuke.js";

const t = suite("executors/containerd/tasks (no daemon)");

t("startTask refuses a relative log path before it calls containerd", async () => {
  // A client that fails the test if anything is asked of it.
  const client = new Proxy({} as ContainerdClient, {
    get: (_t, prop) => {
      throw new Error(`containerd was called (${String(prop)}) before the log path was checked`);
    },
  });
  for (const logPath of ["logs/app.log", "./app.log", "../../etc/app.log"]) {
    const e = await expectCode(startTask(client, { namespace: "ns" }, "id", logPath), "runtime");
    assert.match(e.message, /must be absolute/, logPath);
  }
});

t.run();
