import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import { renderGet, selectGet } from "../../src/render/get-output.js";
import { formatAge, renderTable } from "../../src/render/get-table.js";
import { deriveStatus } from "../../src/status/derive.js";
import type { StatusReport } from "../../src/status/types.js";
import { appliedFacts, cellNetns, containerOf, host, world } from "../planner/builders.js";

const t = suite("render/get-output");

const NOW = new Date("2026-01-02T00:00:00Z");
const busybox = (id: string) => ({ id, image: "busybox:1", command: "sleep", args: ["1000"] });

/** Two spaces, three cells; one cell degraded, one workload exited 3, a password in the realm. */
function report(): StatusReport {
  const credentials = [{ username: "bob", password: "hunter2", serverAddress: "127.0.0.1:5000" }];
  const a = world({
    credentials,
    spaceSpec: { network: { egress: { default: "deny", allow: [] } } },
    cells: [
      { name: "api", containers: [busybox("app"), busybox("worker")] },
      { name: "db", containers: [busybox("postgres")], stack: "data" },
    ],
    stacks: ["app", "data"],
  });
  const b = world({
    credentials,
    space: "batch",
    stacks: ["jobs"],
    cells: [{ name: "nightly", containers: [busybox("run")] }],
  });
  const facts = appliedFacts(b, "demo", appliedFacts(a));
  facts.networks.kuke_main_batch!.subnet = "10.88.2.0/24";
  containerOf(facts, "container/main/web/app/api/worker").task = { status: "stopped", exitCode: 3 };
  containerOf(facts, "container/main/batch/jobs/nightly/run").task = { status: "stopped", exitCode: 0 };
  containerOf(facts, "container/main/batch/jobs/nightly/root").task = { status: "missing" };
  facts.attachments[cellNetns("cell/main/batch/jobs/nightly")]!.ip = "10.88.2.10";
  const appliedAt: Record<string, string> = {};
  for (const key of Object.keys(facts.records)) appliedAt[key] = "2026-01-01T22:30:00Z";
  appliedAt["cell/main/web/app/api"] = "2025-12-20T00:00:00Z";
  return deriveStatus(host(facts), { appliedAt });
}

t("cells table", () => {
  assert.fixture(
    renderGet(report(), { kind: "cells" }, { now: NOW }),
    [
      "NAME      REALM   SPACE   STACK   STATE                      IP           READY   AGE",
      "nightly   main    batch   jobs    Stopped                    10.88.2.10   0/2     90m",
      "api       main    web     app     Degraded (worker exit 3)   10.88.1.10   2/3     13d",
      "db        main    web     data    Ready                      10.88.1.14   2/2     90m",
      "",
    ].join("\n"),
  );
});

t("containers, spaces, stacks and realms tables", () => {
  const r = report();
  assert.fixture(
    renderGet(r, { kind: "containers", cell: "api" }, { now: NOW }),
    [
      "NAME     REALM   SPACE   STACK   CELL   ROLE       STATE              RESTARTS   IMAGE              AGE",
      "app      main    web     app     api    workload   Running            0          busybox:1          90m",
      "root     main    web     app     api    root       Running            0          kuke.dev/pause:1   90m",
      "worker   main    web     app     api    workload   Stopped (exit 3)   0          busybox:1          90m",
      "",
    ].join("\n"),
  );
  assert.fixture(
    renderGet(r, { kind: "spaces" }, { now: NOW }),
    [
      "NAME    REALM   STATE   SUBNET         EGRESS   CELLS   AGE",
      "batch   main    Ready   10.88.2.0/24   -        1       90m",
      "web     main    Ready   10.88.1.0/24   policy   2       90m",
      "",
    ].join("\n"),
  );
  assert.fixture(
    renderGet(r, { kind: "stacks", space: "web" }, { now: NOW }),
    [
      "NAME   REALM   SPACE   STATE   READY   AGE",
      "app    main    web     Ready   0/1     90m",
      "data   main    web     Ready   1/1     90m",
      "",
    ].join("\n"),
  );
  assert.fixture(
    renderGet(r, { kind: "realms" }, { now: NOW }),
    ["NAME   NAMESPACE        STATE   SPACES   AGE", "main   main.kukeon.io   Ready   2        90m", ""].join("\n"),
  );
});

t("name and scope select; nothing matched says so", () => {
  const r = report();
  assert.equal(
    selectGet(r, { kind: "cells", name: "db" }).map((c) => c.address),
    ["cell/main/web/data/db"],
  );
  assert.equal(selectGet(r, { kind: "cells", space: "batch" }).length, 1);
  assert.equal(selectGet(r, { kind: "containers", realm: "main", cell: "db" }).length, 2);
  assert.is(renderGet(r, { kind: "cells", realm: "other" }, { now: NOW }), "No cells found.\n");
  assert.is(
    renderGet(r, { kind: "cells", realm: "other" }, { now: NOW, format: "json" }),
    '{\n  "format_version": "1",\n  "items": [],\n  "kind": "cells"\n}\n',
  );
});

t("json: stable, versioned shape", () => {
  const text = renderGet(report(), { kind: "cells", name: "api" }, { now: NOW, format: "json" });
  assert.is(renderGet(report(), { kind: "cells", name: "api" }, { now: NOW, format: "json" }), text);
  const doc = JSON.parse(text);
  assert.is(doc.format_version, "1");
  assert.is(doc.kind, "cells");
  assert.equal(Object.keys(doc.items[0]), ["address", "kind", "metadata", "spec", "status"]);
  assert.equal(doc.items[0].metadata, { labels: {}, name: "api", realm: "main", space: "web", stack: "app" });
  assert.equal(doc.items[0].spec, { containers: ["root", "app", "worker"], rootContainerId: "root" });
  assert.equal(
    {
      state: doc.items[0].status.state,
      stateText: doc.items[0].status.stateText,
      exitCodes: doc.items[0].status.exitCodes,
      ip: doc.items[0].status.ip,
      running: doc.items[0].status.running,
      total: doc.items[0].status.total,
      appliedAt: doc.items[0].status.appliedAt,
    },
    {
      state: "Degraded",
      stateText: "Degraded (worker exit 3)",
      exitCodes: { worker: 3 },
      ip: "10.88.1.10",
      running: 2,
      total: 3,
      appliedAt: "2025-12-20T00:00:00Z",
    },
  );
});

t("yaml is the same document as json", () => {
  const r = report();
  for (const kind of ["realms", "spaces", "stacks", "cells", "containers"] as const) {
    const json = JSON.parse(renderGet(r, { kind }, { now: NOW, format: "json" }));
    assert.equal(parse(renderGet(r, { kind }, { now: NOW, format: "yaml" })), json, kind);
  }
});

t("registry passwords never appear in any format", () => {
  const r = report();
  for (const format of ["table", "json", "yaml"] as const) {
    const out = renderGet(r, { kind: "realms" }, { now: NOW, format });
    assert.not.match(out, "hunter2");
    assert.not.match(out, "sha256:");
  }
  const realm = JSON.parse(renderGet(r, { kind: "realms" }, { now: NOW, format: "json" })).items[0];
  assert.equal(realm.spec.registryCredentials, [
    { password: "(sensitive)", serverAddress: "127.0.0.1:5000", username: "bob" },
  ]);
});

t("table layout and ages", () => {
  assert.is(renderTable(["A", "LONGER"], [["wide-cell", "x"]]), "A           LONGER\nwide-cell   x\n");
  assert.is(renderTable(["A", "B"], [["x", ""]]), "A   B\nx\n", "no trailing blanks");
  assert.is(formatAge(undefined, NOW), "-");
  assert.is(formatAge("2026-01-01T23:59:15Z", NOW), "45s");
  assert.is(formatAge("2026-01-01T22:01:00Z", NOW), "119m");
  assert.is(formatAge("2026-01-01T22:00:00Z", NOW), "2h");
  assert.is(formatAge("2026-01-01T21:00:00Z", NOW), "3h");
  assert.is(formatAge("2025-12-25T00:00:00Z", NOW), "8d");
  assert.is(formatAge("2026-01-03T00:00:00Z", NOW), "-", "future times (clock skew) are unknown");
  assert.is(formatAge("not a time", NOW), "-");
});

t.run();
