import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { startTask } from "../../../src/executors/containerd/tasks.js";
import { KukeError } from "../../../src/model/errors.js";
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

/**
 * A hand-written containerd that records the calls, for the task calls of `startTask`; `start`
 * answers each Tasks.Start in turn (a KukeError is thrown as containerd's classified failure).
 */
class TaskCalls {
  calls: string[] = [];
  constructor(private readonly starts: Array<KukeError | { pid: number }>) {}
  async unary(service: string, method: string): Promise<unknown> {
    this.calls.push(`${service}.${method}`);
    switch (`${service}.${method}`) {
      case "tasks.Get":
        throw new KukeError("not-found", "containerd Tasks.Get: not found");
      case "snapshots.Mounts":
        return { mounts: [] };
      case "tasks.Start": {
        const next = this.starts.shift();
        if (next === undefined || next instanceof KukeError) throw next ?? new Error("no more starts");
        return next;
      }
      default:
        return {};
    }
  }
}

const stoppedBeforeStart = () =>
  new KukeError("runtime", "containerd Tasks.Start: unknown", { detail: "cannot start a stopped process: unknown" });

t(
  "a start that meets a stopped process (a start cut off by a containerd restart): deleted, created and started again, once",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "kuke-start-"));
    try {
      const fake = new TaskCalls([stoppedBeforeStart(), { pid: 4242 }]);
      const r = await startTask(fake as unknown as ContainerdClient, { namespace: "ns" }, "id", join(dir, "app.log"));
      assert.equal(r, { pid: 4242 });
      assert.equal(fake.calls, [
        "snapshots.Mounts",
        "tasks.Create",
        "tasks.Start",
        "tasks.Delete",
        "tasks.Create",
        "tasks.Start",
      ]);

      // Only once: the same failure again is the caller's, and no task is left behind.
      const twice = new TaskCalls([stoppedBeforeStart(), stoppedBeforeStart()]);
      const e = await expectCode(
        startTask(twice as unknown as ContainerdClient, { namespace: "ns" }, "id", join(dir, "app.log")),
        "runtime",
      );
      assert.match(e.detail ?? "", "cannot start a stopped process");
      assert.is(twice.calls.at(-1), "tasks.Delete");
      assert.is(twice.calls.filter((c) => c === "tasks.Start").length, 2);

      // Any other start failure is not retried.
      const other = new TaskCalls([
        new KukeError("runtime", "containerd Tasks.Start: unknown", { detail: "exec: no such file" }),
      ]);
      await expectCode(
        startTask(other as unknown as ContainerdClient, { namespace: "ns" }, "id", join(dir, "app.log")),
        "runtime",
      );
      assert.is(other.calls.filter((c) => c === "tasks.Start").length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** A containerd that records the calls and answers Tasks.Create and Tasks.Get as told. */
class CreateCalls {
  calls: string[] = [];
  constructor(
    private readonly creates: Array<KukeError | undefined>,
    private readonly task: { pid: number; status: string } | undefined,
  ) {}
  async unary(service: string, method: string): Promise<unknown> {
    this.calls.push(`${service}.${method}`);
    switch (`${service}.${method}`) {
      case "tasks.Create": {
        const next = this.creates.shift();
        if (next !== undefined) throw next;
        return {};
      }
      case "tasks.Get":
        if (this.task === undefined) throw new KukeError("not-found", "containerd Tasks.Get: not found");
        return { process: { ...this.task, id: "id", container_id: "", exit_status: 0, exited_at: null } };
      case "snapshots.Mounts":
        return { mounts: [] };
      case "tasks.Start":
        return { pid: 77 };
      default:
        return {};
    }
  }
}

const taskExists = () => new KukeError("already-exists", "containerd Tasks.Create: already exists");

t("a fresh container's task costs Create and Start alone; the mounts from its create are used as given", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kuke-start-"));
  try {
    const log = join(dir, "app.log");
    const given = new CreateCalls([], undefined);
    assert.equal(await startTask(given as unknown as ContainerdClient, { namespace: "ns" }, "id", log, [], "/r", []), {
      pid: 77,
    });
    assert.equal(given.calls, ["tasks.Create", "tasks.Start"]);
    // Without the mounts, containerd is asked for them; still no look-up before the create.
    const asked = new CreateCalls([], undefined);
    await startTask(asked as unknown as ContainerdClient, { namespace: "ns" }, "id", log);
    assert.equal(asked.calls, ["snapshots.Mounts", "tasks.Create", "tasks.Start"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t("a task that exists already: a running one is kept (its pid), a stopped one deleted and made again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kuke-start-"));
  try {
    const log = join(dir, "app.log");
    const running = new CreateCalls([taskExists()], { pid: 4242, status: "RUNNING" });
    assert.equal(
      await startTask(running as unknown as ContainerdClient, { namespace: "ns" }, "id", log, [], "/r", []),
      {
        pid: 4242,
      },
    );
    assert.equal(running.calls, ["tasks.Create", "tasks.Get"]);
    const stopped = new CreateCalls([taskExists()], { pid: 0, status: "STOPPED" });
    assert.equal(
      await startTask(stopped as unknown as ContainerdClient, { namespace: "ns" }, "id", log, [], "/r", []),
      {
        pid: 77,
      },
    );
    assert.equal(stopped.calls, ["tasks.Create", "tasks.Get", "tasks.Delete", "tasks.Create", "tasks.Start"]);
    // Only once: a second refusal is the caller's, and what the second create left is deleted.
    const twice = new CreateCalls([taskExists(), taskExists()], { pid: 0, status: "CREATED" });
    await expectCode(
      startTask(twice as unknown as ContainerdClient, { namespace: "ns" }, "id", log, [], "/r", []),
      "already-exists",
    );
    assert.equal(twice.calls, ["tasks.Create", "tasks.Get", "tasks.Delete", "tasks.Create", "tasks.Delete"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
