import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ContainerdClient } from "../../../src/executors/containerd/client.js";
import { inCgroup, killNamespaceInit, namespacePids } from "../../../src/executors/containerd/init-kill.js";
import { stopTask } from "../../../src/executors/containerd/tasks.js";
import { KukeError } from "../../../src/model/errors.js";
import { onTeardown } from "../../harness/teardown.js";
import { until } from "../../harness/until.js";

const t = suite("executors/containerd/init-kill");

t("NSpid and cgroup lines are read as the kernel writes them", () => {
  assert.equal(namespacePids("Name:\tsleep\nNSpid:\t4242\t1\nNSpgid:\t4242\t1\n"), [4242, 1]);
  assert.equal(namespacePids("Name:\tsleep\nNSpid:\t4242\n"), [4242]);
  assert.equal(namespacePids("Name:\tsleep\n"), []);
  const v1 = "12:pids:/kukeon/r/s/t/c/a\n11:cpu,cpuacct:/kukeon/r/s/t/c/a\n0::/\n";
  assert.ok(inCgroup(v1, "/kukeon/r/s/t/c/a"));
  assert.not.ok(inCgroup(v1, "/kukeon/r/s/t/c"));
  assert.not.ok(inCgroup(v1, "/kukeon/r/s/t/c/a/b"));
  assert.ok(inCgroup("0::/kukeon/r/s/t/c/a\n", "/kukeon/r/s/t/c/a"));
});

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function started(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: "ignore" });
  onTeardown(`${cmd} ${args.join(" ")}`, () => {
    child.kill("SIGKILL");
  });
  return child;
}

/** `sleep` as the init of a new pid namespace (`unshare --pid --fork`): its host pid. */
async function namespaceInit(): Promise<number> {
  const unshare = started("unshare", ["--pid", "--fork", "sleep", "300"]);
  const init = await until("the namespace's init runs sleep", () => {
    const kids = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, "utf8").trim();
    const pid = Number(kids.split(" ")[0]);
    return pid > 0 && readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("sleep") ? pid : undefined;
  });
  onTeardown("the namespace's init", () => {
    if (alive(init)) process.kill(init, "SIGKILL");
  });
  return init;
}

/** The process's own cgroup path (the first hierarchy's, as a task's cgroupsPath would be). */
function cgroupOf(pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n")[0] ?? "";
  return line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1);
}

/** A containerd whose one task is the process `pid`: Wait ends when it has died; Kill signals it. */
class OneTask {
  calls: string[] = [];
  constructor(private readonly pid: number) {}
  async unary(service: string, method: string, req: { all?: boolean }): Promise<unknown> {
    this.calls.push(`${service}.${method}${req.all === true ? " all" : ""}`);
    switch (`${service}.${method}`) {
      case "tasks.Get":
        return {
          process: { id: "id", container_id: "", pid: this.pid, status: "RUNNING", exit_status: 0, exited_at: null },
        };
      case "tasks.Kill":
        process.kill(this.pid, "SIGKILL");
        return {};
      case "tasks.Wait":
        await until("the task's process has died", () => (alive(this.pid) ? undefined : true));
        return { exit_status: 137 };
      default:
        return {};
    }
  }
}

t("SIGKILL goes straight to a task's init that is its pid namespace's init in the task's cgroup", async () => {
  const init = await namespaceInit();
  const fake = new OneTask(init);
  const r = await stopTask(fake as unknown as ContainerdClient, { namespace: "ns" }, "id", {
    graceMs: 0,
    cgroupsPath: cgroupOf(init),
  });
  assert.equal(r, { exitStatus: 137 });
  assert.not.ok(alive(init));
  assert.equal(fake.calls, ["tasks.Get", "tasks.Wait", "tasks.Delete"]);
});

t(
  "anything else is killed through containerd (all processes): no namespace init, another cgroup, no cgroup given",
  async () => {
    const plain = started("sleep", ["300"]).pid as number;
    await until("sleep runs", () =>
      readFileSync(`/proc/${plain}/cmdline`, "utf8").startsWith("sleep") ? true : undefined,
    );
    assert.is(await killNamespaceInit(plain, cgroupOf(plain)), false);
    assert.ok(alive(plain), "a process that is not its namespace's init is not signalled");
    const notInit = new OneTask(plain);
    await stopTask(notInit as unknown as ContainerdClient, { namespace: "ns" }, "id", {
      graceMs: 0,
      cgroupsPath: cgroupOf(plain),
    });
    assert.ok(notInit.calls.includes("tasks.Kill all"), notInit.calls.join(", "));

    const init = await namespaceInit();
    assert.is(await killNamespaceInit(init, `${cgroupOf(init)}/elsewhere`), false);
    assert.ok(alive(init), "a process outside the given cgroup is not signalled");
    const noCgroup = new OneTask(init);
    await stopTask(noCgroup as unknown as ContainerdClient, { namespace: "ns" }, "id", { graceMs: 0 });
    assert.ok(noCgroup.calls.includes("tasks.Kill all"), noCgroup.calls.join(", "));
  },
);

/** stopTask of a namespace init that the run's task listing saw running a moment ago. */
function stopSeenRunning(fake: OneTask, init: number) {
  return stopTask(fake as unknown as ContainerdClient, { namespace: "ns" }, "id", {
    graceMs: 0,
    cgroupsPath: cgroupOf(init),
    runningPid: init,
  });
}

t("a pid seen running a moment ago: the stop starts without Tasks.Get", async () => {
  const init = await namespaceInit();
  const fake = new OneTask(init);
  const r = await stopSeenRunning(fake, init);
  assert.equal(r, { exitStatus: 137 });
  assert.not.ok(alive(init));
  assert.equal(fake.calls, ["tasks.Wait", "tasks.Delete"]);
});

/** OneTask whose first Wait runs out, as for a task paused after it was seen running. */
class PausedSince extends OneTask {
  private waits = 0;
  override async unary(service: string, method: string, req: { all?: boolean }): Promise<unknown> {
    if (`${service}.${method}` === "tasks.Wait" && this.waits++ === 0) {
      this.calls.push("tasks.Wait");
      throw new KukeError("unavailable", "containerd Tasks.Wait: deadline exceeded");
    }
    if (`${service}.${method}` === "tasks.Kill") {
      this.calls.push(`tasks.Kill${req.all === true ? " all" : ""}`);
      return {}; // the direct SIGKILL already ended it
    }
    return super.unary(service, method, req);
  }
}

t(
  "a pid seen running whose wait runs out after the direct SIGKILL (paused since): killed through containerd",
  async () => {
    const init = await namespaceInit();
    const fake = new PausedSince(init);
    const r = await stopSeenRunning(fake, init);
    assert.equal(r, { exitStatus: 137 });
    assert.equal(fake.calls, ["tasks.Wait", "tasks.Wait", "tasks.Kill all", "tasks.Delete"]);
  },
);

t("a pid seen running whose task is gone since: no task was stopped, nothing deleted", async () => {
  const calls: string[] = [];
  const gone = {
    async unary(service: string, method: string, req: { all?: boolean }): Promise<unknown> {
      calls.push(`${service}.${method}${req.all === true ? " all" : ""}`);
      throw new KukeError("not-found", `containerd ${service}.${method}: not found`);
    },
  };
  // A pid no process has (above the kernel's pid_max).
  const r = await stopTask(gone as unknown as ContainerdClient, { namespace: "ns" }, "id", {
    graceMs: 0,
    cgroupsPath: "/kukeon/r/s/t/c/app",
    runningPid: 2 ** 23,
  });
  assert.is(r, undefined);
  assert.equal(calls, ["tasks.Wait", "tasks.Kill all", "tasks.Get"]);
});

t.run();
