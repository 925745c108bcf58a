import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { executeSteps } from "../../src/engine/execute.js";
import {
  actualState,
  type CellAddress,
  type DesiredState,
  isKukeError,
  PAUSE_IMAGE,
  parseAddress,
} from "../../src/model/index.js";
import { plan } from "../../src/planner/plan.js";
import type { Step } from "../../src/planner/step-types.js";
import { planToSteps } from "../../src/planner/steps.js";
import {
  cellFilesOf,
  containerLogPath as containerLogFile,
  secretDirOf as secretDir,
} from "../../src/state/run-path.js";
import { emptyFacts, options, world } from "../planner/builders.js";
import { fakeHost } from "./fake-host.js";

const t = suite("engine/execute (fake executors)");

const recordedAfter = (loaded: { records: { address: string }[] }, address: string) =>
  loaded.records.some((r) => r.address === address);

function stepsFor(desired: DesiredState): Step[] {
  const actual = actualState(emptyFacts());
  return planToSteps(plan(desired, actual, options({ project: "p" })), desired, actual);
}

const twoCells = () =>
  world({
    realm: "r",
    space: "net",
    cells: [
      { name: "a", containers: [{ id: "app", image: "busybox", command: "sleep", args: ["99"] }] },
      { name: "b", containers: [{ id: "app", image: "busybox", command: "sleep", args: ["99"] }] },
    ],
  });

t(
  "a failing container.create skips its task and dependents; the other cell finishes; the journal has every line",
  async () => {
    const host = fakeHost("fail");
    try {
      host.failCreate.add("net_app_a_app");
      const steps = stepsFor(twoCells());
      const res = await executeSteps(host, steps, { parallelism: 4 });

      assert.is(res.status, "failed");
      assert.equal(
        res.failures.map((f) => f.stepId),
        ["container.create:container/r/net/app/a/app"],
      );
      const f = res.failures[0]!;
      assert.ok(isKukeError(f.error, "runtime"));
      assert.equal(f.error.address, parseAddress("container/r/net/app/a/app"), "the error names the step's resource");
      const outcome = (id: string) => res.walk.outcomes.get(id)?.status;
      assert.is(outcome("task.start:container/r/net/app/a/app"), "skipped");
      assert.is(outcome("record.write:container/r/net/app/a/app"), "skipped");
      // The cell itself exists (root running, network attached), so it is recorded: the next plan
      // only has to create the missing workload.
      assert.is(outcome("record.write:cell/r/net/app/a"), "succeeded");
      for (const s of steps.filter((s) => s.address.includes("/b"))) assert.is(outcome(s.id), "succeeded", s.id);
      assert.ok(recordedAfter(await host.records.loadAll(), "cell/r/net/app/a"));
      assert.ok(host.calls.includes("startTask r.kukeon.io net_app_b_app"));
      assert.not.ok(host.calls.includes("startTask r.kukeon.io net_app_a_app"));

      // Records: cell b and its containers are written, cell a's workload is not.
      const recorded = (await host.records.loadAll()).records.map((r) => r.address);
      assert.ok(recorded.includes("cell/r/net/app/b"));
      assert.ok(recorded.includes("container/r/net/app/b/app"));
      assert.not.ok(recorded.includes("container/r/net/app/a/app"));

      const journal = await host.journal.read(res.applyId);
      assert.ok(journal?.ended);
      assert.is(journal?.summary?.status, "failed");
      const ends = new Map(journal!.steps.filter((l) => l.event === "end").map((l) => [l.step, l]));
      const starts = new Set(journal!.steps.filter((l) => l.event === "start").map((l) => l.step));
      assert.is(ends.size, steps.length, "one end line per step");
      for (const s of steps) {
        const end = ends.get(s.id)!;
        assert.is(end.event === "end" && end.status, outcome(s.id), s.id);
        assert.is(starts.has(s.id), outcome(s.id) === "succeeded" || outcome(s.id) === "failed", s.id);
      }
      const failedLine = ends.get("container.create:container/r/net/app/a/app");
      assert.match(failedLine?.event === "end" ? (failedLine.error ?? "") : "", "runtime: cannot create net_app_a_app");
    } finally {
      host.cleanup();
    }
  },
);

t(
  "a detach that fails: the cell's name files, skipped while it was leaving, are brought up to date at the run's end",
  async () => {
    const host = fakeHost("leaving");
    try {
      const cells = ["a", "b", "c"];
      const desired = world({
        realm: "r",
        space: "net",
        cells: cells.map((name) => ({
          name,
          containers: [{ id: "app", image: "busybox", command: "sleep", args: ["9"] }],
        })),
      });
      assert.is((await executeSteps(host, stepsFor(desired), { parallelism: 4 })).status, "succeeded");
      const address = (c: string) => `cell/r/net/app/${c}`;
      const hostsOf = (c: string) => cellFilesOf(host.runPath, parseAddress(address(c)) as CellAddress).hosts;
      assert.match(readFileSync(hostsOf("c"), "utf8"), "a.app.net");

      // All three detach in one run; c's detach fails.
      host.failDetach.add(address("c"));
      const detach = (c: string): Step => ({
        id: `cni.detach:${address(c)}`,
        kind: "cni.detach",
        address: address(c),
        dependsOn: [],
        networkName: "n",
        netnsName: `r_net_app_${c}`,
        rootContainerdId: `net_app_${c}_root`,
      });
      const res = await executeSteps(host, cells.map(detach), { parallelism: 1 });
      assert.equal(
        res.failures.map((f) => f.address),
        [address("c")],
      );
      assert.not.ok(existsSync(hostsOf("a")));
      assert.not.ok(existsSync(hostsOf("b")));
      const text = readFileSync(hostsOf("c"), "utf8");
      assert.not.match(text, "a.app.net");
      assert.not.match(text, "b.app.net");
      assert.match(text, "c.app.net");
    } finally {
      host.cleanup();
    }
  },
);

t("cancel: running steps finish, nothing new starts, the journal ends as cancelled", async () => {
  const host = fakeHost("cancel");
  try {
    const controller = new AbortController();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    host.beforeStart = async () => {
      started++;
      controller.abort();
      await held;
    };
    const steps = stepsFor(twoCells());
    const run = executeSteps(host, steps, { parallelism: 1, signal: controller.signal });
    // Let the walk reach the first task.start, then let it finish after the abort.
    while (started === 0) await new Promise((r) => setTimeout(r, 5));
    release();
    const res = await run;
    assert.is(res.status, "cancelled");
    assert.ok(res.cancelled);
    assert.is(started, 1, "no task started after the cancel");
    assert.is(res.walk.summary.failed, 0);
    assert.ok(res.walk.summary.notStarted > 0);
    const journal = await host.journal.read(res.applyId);
    assert.is(journal?.summary?.status, "cancelled");
    const startLines = journal!.steps.filter((l) => l.event === "start").map((l) => l.step);
    const endLines = journal!.steps.filter((l) => l.event === "end");
    for (const s of startLines) {
      const end = endLines.find((l) => l.step === s);
      assert.is(end?.event === "end" && end.status, "succeeded", `${s} ran to the end`);
    }
    assert.is(endLines.length, steps.length);
    assert.ok(endLines.some((l) => l.event === "end" && l.status === "not-started"));
  } finally {
    host.cleanup();
  }
});

t(
  "container specs get secrets (env and 0400 files), workload namespaces from the root task; records get host values",
  async () => {
    const host = fakeHost("specs");
    try {
      const secretFile = join(host.runPath, "..", "token.txt");
      await writeFile(secretFile, "file-secret-value");
      const desired = world({
        realm: "r",
        space: "net",
        cells: [
          {
            name: "a",
            containers: [
              {
                id: "app",
                image: "busybox",
                command: "sleep",
                args: ["99"],
                env: ["PLAIN=1"],
                secrets: [
                  { name: "API_KEY", fromEnv: "KT_API_KEY" },
                  { name: "token", fromFile: secretFile, mountPath: "/run/secrets/token" },
                ],
              },
            ],
          },
        ],
      });
      const res = await executeSteps(host, stepsFor(desired), { env: { KT_API_KEY: "env-secret-value" } });
      assert.is(res.status, "succeeded", res.failures.map((f) => f.error.format()).join("\n"));

      const root = host.created.get("net_app_a_root")!;
      const app = host.created.get("net_app_a_app")!;
      const rootSpec = root.spec as { hostname?: string; linux: { namespaces: { type: string; path?: string }[] } };
      assert.is(rootSpec.hostname, "a", "the root names the cell");
      assert.is(root.snapshotParent, "sha256:top");
      const appSpec = app.spec as {
        hostname?: string;
        process: { env: string[] };
        mounts: { destination: string; source: string }[];
        linux: { namespaces: { type: string; path?: string }[]; cgroupsPath: string };
      };
      // The env secret reaches the task at create, sealed: the spec containerd stores never holds it.
      assert.ok(appSpec.process.env.includes("PLAIN=1"));
      assert.not.ok(JSON.stringify(appSpec).includes("env-secret-value"), JSON.stringify(appSpec.process.env));
      assert.equal(host.sealedEnv.get("net_app_a_app"), ["API_KEY=env-secret-value"]);
      assert.equal(host.sealedEnv.get("net_app_a_root"), []);
      const mount = appSpec.mounts.find((m) => m.destination === "/run/secrets/token")!;
      assert.ok(mount.source.startsWith(join(host.runtimeDir, "secrets", "r", "net", "app", "a", "app")));
      assert.is(readFileSync(mount.source, "utf8"), "file-secret-value");
      assert.is(statSync(mount.source).mode & 0o777, 0o400);
      // The root task got pid 5000 (first startTask); the workload joins its ipc/uts and the pinned net.
      const ns = Object.fromEntries(appSpec.linux.namespaces.map((n) => [n.type, n.path]));
      assert.is(ns.ipc, "/proc/5000/ns/ipc");
      assert.is(ns.uts, "/proc/5000/ns/uts");
      assert.is(ns.network, host.network.pinPath(parseAddress("cell/r/net/app/a") as never));
      assert.is(appSpec.linux.cgroupsPath, "/kukeon/r/net/app/a/app");
      assert.ok(host.calls.includes("pin cell/r/net/app/a 5000"));

      const records = new Map((await host.records.loadAll()).records.map((r) => [r.address, r]));
      assert.is(records.get("cell/r/net/app/a")?.extra.ip, "10.88.7.2");
      assert.is(records.get("space/r/net")?.extra.subnet, "10.88.7.0/24");
      assert.is(records.get("realm/r")?.extra.namespace, "r.kukeon.io");
      assert.equal(records.get("container/r/net/app/a/app")?.extra, {
        namespace: "r.kukeon.io",
        containerdId: "net_app_a_app",
      });
      // Values never reach kuke's own files.
      const files = [
        readFileSync(join(host.runPath, "journal", `${res.applyId}.jsonl`), "utf8"),
        JSON.stringify([...records.values()]),
      ];
      for (const text of files) {
        assert.not.ok(text.includes("env-secret-value"));
        assert.not.ok(text.includes("file-secret-value"));
      }
    } finally {
      host.cleanup();
    }
  },
);

t(
  "env secrets: stored for a container the restart monitor restarts; a later start reads them from the recorded sources",
  async () => {
    const host = fakeHost("sealed");
    try {
      const secrets = [{ name: "API_KEY", fromEnv: "KT_API_KEY" }];
      const app = (id: string, restartPolicy: "always" | "no") => ({
        id,
        image: "busybox",
        command: "sleep",
        args: ["99"],
        restartPolicy,
        secrets,
      });
      const desired = world({
        realm: "r",
        space: "net",
        cells: [{ name: "a", containers: [app("kept", "always"), app("sealed", "no")] }],
      });
      const res = await executeSteps(host, stepsFor(desired), { env: { KT_API_KEY: "v1" } });
      assert.is(res.status, "succeeded", res.failures.map((f) => f.error.format()).join("\n"));
      const env = (id: string) => (host.created.get(id)!.spec as { process: { env: string[] } }).process.env;
      assert.ok(env("net_app_a_kept").includes("API_KEY=v1"), "the monitor re-creates its tasks from the stored spec");
      assert.equal(host.sealedEnv.get("net_app_a_kept"), []);
      assert.not.ok(env("net_app_a_sealed").some((e) => e.startsWith("API_KEY=")));
      assert.equal(host.sealedEnv.get("net_app_a_sealed"), ["API_KEY=v1"]);

      // A start in a later run (kuke start, a task that died): the value is read again from the source the record names.
      const start: Step = {
        id: "task.start:container/r/net/app/a/sealed",
        kind: "task.start",
        address: "container/r/net/app/a/sealed",
        dependsOn: [],
        namespace: "r.kukeon.io",
        containerdId: "net_app_a_sealed",
        cgroupPath: "/kukeon/r/net/app/a/sealed",
      };
      const again = await executeSteps(host, [start], { env: { KT_API_KEY: "v2" } });
      assert.is(again.status, "succeeded");
      assert.equal(host.sealedEnv.get("net_app_a_sealed"), ["API_KEY=v2"]);
      const unset = await executeSteps(host, [start], { env: {} });
      assert.is(unset.status, "failed");
      assert.match(unset.failures[0]!.error.message, "environment variable KT_API_KEY is not set");
    } finally {
      host.cleanup();
    }
  },
);

t("a failing container.create removes the secret files it wrote; the other cell keeps its own", async () => {
  const host = fakeHost("secretleak");
  try {
    const secretFile = join(host.runPath, "..", "token.txt");
    await writeFile(secretFile, "file-secret-value");
    const withSecret = { id: "app", image: "busybox", command: "sleep", args: ["99"] };
    const secrets = [{ name: "token", fromFile: secretFile, mountPath: "/run/secrets/token" }];
    const desired = world({
      realm: "r",
      space: "net",
      cells: [
        { name: "a", containers: [{ ...withSecret, secrets }] },
        { name: "b", containers: [{ ...withSecret, secrets }] },
      ],
    });
    host.failCreate.add("net_app_a_app");
    const res = await executeSteps(host, stepsFor(desired), { parallelism: 4 });
    assert.equal(
      res.failures.map((f) => f.stepId),
      ["container.create:container/r/net/app/a/app"],
    );
    assert.not.ok(existsSync(secretDir(host.runtimeDir, parseAddress("container/r/net/app/a/app") as never)));
    assert.ok(existsSync(secretDir(host.runtimeDir, parseAddress("container/r/net/app/b/app") as never)));
  } finally {
    host.cleanup();
  }
});

t("container.delete removes the container's log and secrets, and the folders left empty", async () => {
  const host = fakeHost("deletelog");
  try {
    const app = parseAddress("container/r/net/app/a/app") as never;
    const other = parseAddress("container/r/net/app/b/app") as never;
    for (const a of [app, other]) {
      await mkdir(join(containerLogFile(host.logDir, a), ".."), { recursive: true });
      await writeFile(containerLogFile(host.logDir, a), "old output\n");
      await mkdir(secretDir(host.runtimeDir, a), { recursive: true });
    }
    const step: Step = {
      id: "container.delete:container/r/net/app/a/app",
      kind: "container.delete",
      address: "container/r/net/app/a/app",
      dependsOn: [],
      namespace: "r.kukeon.io",
      containerdId: "net_app_a_app",
    };
    const res = await executeSteps(host, [step], {});
    assert.is(res.status, "succeeded", res.failures.map((f) => f.error.format()).join("\n"));
    assert.ok(host.calls.includes("deleteContainer r.kukeon.io net_app_a_app"));
    assert.not.ok(
      existsSync(join(host.logDir, "r", "net", "app", "a")),
      "the cell's log folder went with its last log",
    );
    assert.not.ok(existsSync(secretDir(host.runtimeDir, app)));
    assert.is(readFileSync(containerLogFile(host.logDir, other), "utf8"), "old output\n");
    assert.ok(existsSync(secretDir(host.runtimeDir, other)));
  } finally {
    host.cleanup();
  }
});

t("a missing fromEnv secret fails the create with a remedy and without a value", async () => {
  const host = fakeHost("nosecret");
  try {
    const desired = world({
      realm: "r",
      space: "net",
      cells: [
        {
          name: "a",
          containers: [{ id: "app", image: "busybox", command: "sh", secrets: [{ name: "K", fromEnv: "KT_UNSET" }] }],
        },
      ],
    });
    const res = await executeSteps(host, stepsFor(desired), { env: {} });
    assert.equal(
      res.failures.map((f) => f.stepId),
      ["container.create:container/r/net/app/a/app"],
    );
    const e = res.failures[0]!.error;
    assert.is(e.code, "failed-precondition");
    assert.match(e.message, "KT_UNSET");
    assert.match(e.remedy ?? "", "export KT_UNSET");
  } finally {
    host.cleanup();
  }
});

t(
  "image.ensure: the pause image is built locally; an image that cannot be pulled fails with the load remedy",
  async () => {
    const host = fakeHost("images");
    try {
      // A registry on a closed loopback port: the pull fails at once and nothing leaves the host.
      const unpullable = "127.0.0.1:1/kt/missing:1";
      host.missingImages.add(PAUSE_IMAGE);
      host.missingImages.add(unpullable);
      const desired = world({
        realm: "r",
        space: "net",
        cells: [{ name: "a", containers: [{ id: "app", image: unpullable, command: "sleep" }] }],
      });
      const res = await executeSteps(host, stepsFor(desired));
      assert.ok(host.calls.includes(`importImage r.kukeon.io ${PAUSE_IMAGE}`));
      assert.ok(host.created.has("net_app_a_root"), "the root was created from the imported pause image");
      assert.equal(
        res.failures.map((f) => f.stepId),
        [`image.ensure:realm/r:${unpullable}`],
      );
      const e = res.failures[0]!.error;
      assert.is(e.code, "not-found");
      assert.is(e.remedy, "kuke image load FILE --realm r");
      assert.is(res.walk.outcomes.get("container.create:container/r/net/app/a/app")?.status, "skipped");
    } finally {
      host.cleanup();
    }
  },
);

t.run();
