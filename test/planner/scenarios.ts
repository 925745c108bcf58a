/**
 * Named planning scenarios shared by the planner tests and the golden plan renderings. Each starts
 * from a small world (realm main, space web, stack app, cells api and db) applied by project
 * `demo`, then changes the files or the host.
 */
import { type ContainerInput, cgroupPath, type DesiredState, type HostFacts, LABELS } from "../../src/model/index.js";
import type { PlanOptions } from "../../src/planner/plan.js";
import {
  addr,
  appliedFacts,
  type CellDef,
  cellNetns,
  containerOf,
  emptyFacts,
  options,
  type WorldDef,
  world,
} from "./builders.js";

export interface Scenario {
  desired: DesiredState;
  facts: HostFacts;
  options: PlanOptions;
}

export const app = (over: Partial<ContainerInput> = {}): ContainerInput => ({
  id: "app",
  image: "busybox:1",
  command: "/bin/sh",
  args: ["-c", "sleep 3600"],
  env: ["MODE=prod"],
  resources: { memoryLimitBytes: 67108864 },
  ...over,
});
export const sidecar = (): ContainerInput => ({ id: "sidecar", image: "busybox:1", args: ["sleep", "3600"] });
const pg = (over: Partial<ContainerInput> = {}): ContainerInput => ({
  id: "pg",
  root: true,
  image: "postgres:16",
  env: ["PGDATA=/data"],
  volumes: [{ source: "/srv/pg", target: "/data", readOnly: false }],
  ...over,
});

export function cells(over: { api?: ContainerInput[]; db?: ContainerInput[] } = {}): CellDef[] {
  return [
    { name: "api", containers: over.api ?? [app(), sidecar()] },
    { name: "db", containers: over.db ?? [pg()] },
  ];
}

export function base(over: Partial<WorldDef> = {}): WorldDef {
  return { cells: cells(), ...over };
}

/** Desired `now`, host as applied from `before` (default: same as now). */
function scenario(now: WorldDef, before: WorldDef = base(), opts: Partial<PlanOptions> = {}): Scenario {
  return { desired: world(now), facts: appliedFacts(world(before)), options: options(opts) };
}

/** Same desired and applied world, then `mutate` the host. */
function drifted(mutate: (f: HostFacts) => void, now: WorldDef = base()): Scenario {
  const s = scenario(now);
  mutate(s.facts);
  return s;
}

/**
 * Applied with every image at digest `a…`, then the tag of `movedImage` names `b…` (a push to the
 * same tag): the plan's image digests as the runner resolves them.
 */
function imageMoved(movedImage: string): Scenario {
  const A = `sha256:${"a".repeat(64)}`;
  const B = `sha256:${"b".repeat(64)}`;
  const desired = world(base());
  const digestsWhere = (moved: boolean): HostFacts["imageDigests"] => {
    const out: NonNullable<HostFacts["imageDigests"]> = {};
    for (const c of desired.cells) {
      for (const k of c.spec.containers) {
        const moves = moved && k.image === movedImage;
        out[`container/${c.realm}/${c.space}/${c.stack}/${c.name}/${k.id}`] = {
          digest: moves ? B : A,
          present: !moves,
        };
      }
    }
    return out;
  };
  const facts = appliedFacts(desired, "demo", { ...emptyFacts(), imageDigests: digestsWhere(false) });
  return { desired, facts: { ...facts, imageDigests: digestsWhere(true) }, options: options() };
}

const oldCell = (): WorldDef => base({ cells: [...cells(), { name: "old", containers: [sidecar()] }] });

/**
 * What a killed kuke left in containerd: the snapshot it prepared for a container it never made
 * (labels name the container), the lease of an import (no address labels), and a snapshot in a
 * namespace no realm of these files uses.
 */
function withOrphans(s: Scenario): Scenario {
  const why = "no container uses it";
  s.facts.orphans = [
    {
      object: "lease",
      namespace: "main.kukeon.io",
      id: "kuke-1767225600000-0a1b2c3d",
      why: "the kuke that took it (pid 4242) is gone",
    },
    {
      object: "snapshot",
      namespace: "main.kukeon.io",
      id: "web_app_api_worker",
      container: "container/main/web/app/api/worker",
      why,
    },
    { object: "snapshot", namespace: "other.kukeon.io", id: "x_y_z_k", container: "container/other/x/y/z/k", why },
  ];
  return s;
}

export const SCENARIOS: Record<string, () => Scenario> = {
  "create-all": () => ({ desired: world(base()), facts: emptyFacts(), options: options() }),
  "no-op": () => scenario(base()),
  "env-change": () => scenario(base({ cells: cells({ api: [app({ env: ["MODE=debug"] }), sidecar()] }) })),
  "root-image-change": () => scenario(base({ cells: cells({ db: [pg({ image: "postgres:17" })] }) })),
  "workload-image-change": () => scenario(base({ cells: cells({ api: [app({ image: "busybox:2" }), sidecar()] }) })),
  "workload-image-moved": () => imageMoved("busybox:1"),
  "root-image-moved": () => imageMoved("postgres:16"),
  "container-added": () =>
    scenario(base({ cells: cells({ api: [app(), sidecar(), { id: "metrics", image: "busybox:1" }] }) })),
  "container-removed": () => scenario(base({ cells: cells({ api: [app()] }) })),
  "space-defaults-change": () => scenario(base({ spaceSpec: { defaults: { container: { user: "1000" } } } })),
  "egress-change": () =>
    scenario(
      base({ spaceSpec: { network: { egress: { default: "deny", allow: [{ cidr: "10.0.0.0/8", ports: [443] }] } } } }),
      base({ spaceSpec: { network: { egress: { default: "deny", allow: [] } } } }),
    ),
  "limits-change": () =>
    scenario(base({ cells: cells({ api: [app({ resources: { memoryLimitBytes: 134217728 } }), sidecar()] }) })),
  "drift-container-missing": () =>
    drifted((f) => {
      const c = containerOf(f, "container/main/web/app/api/sidecar");
      delete f.namespaces["main.kukeon.io"]!.containers[c.id];
    }),
  "drift-task-exited": () =>
    drifted((f) => {
      containerOf(f, "container/main/web/app/api/app").task = { status: "stopped", exitCode: 137 };
    }),
  "drift-spec-hash": () =>
    drifted((f) => {
      containerOf(f, "container/main/web/app/api/app").labels[LABELS.specHash] = "sha256:0000";
    }),
  "drift-cgroup-missing": () =>
    drifted((f) => {
      f.cgroups = f.cgroups.filter((p) => p !== cgroupPath("main", "web", "app", "api", "app"));
    }),
  "drift-netns-missing": () =>
    drifted((f) => {
      f.netnsPinned = f.netnsPinned.filter((n) => n !== cellNetns("cell/main/web/app/api"));
    }),
  "drift-attachment-missing": () =>
    drifted((f) => {
      delete f.attachments[cellNetns("cell/main/web/app/db")];
    }),
  "drift-root-task-dead": () =>
    drifted((f) => {
      containerOf(f, "container/main/web/app/db/pg").task = { status: "stopped", exitCode: 1 };
    }),
  "drift-unmanaged-object": () => {
    const s = scenario(base({ cells: cells({ api: [app(), sidecar(), { id: "metrics", image: "busybox:1" }] }) }));
    s.facts.namespaces["main.kukeon.io"]!.containers.web_app_api_metrics = {
      id: "web_app_api_metrics",
      labels: {},
      image: "docker.io/library/nginx:latest",
      task: { status: "running", pid: 4242 },
    };
    return s;
  },
  "prune-kept": () => scenario(base(), oldCell()),
  prune: () => scenario(base(), oldCell(), { prune: true }),
  "other-project-untouched": () => {
    const s = scenario(base(), base(), { prune: true });
    s.facts = appliedFacts(world(base({ cells: [{ name: "theirs", containers: [sidecar()] }] })), "other", s.facts);
    // The shared parents stay recorded by demo; only the cell and its containers are the other project's.
    const mine = appliedFacts(world(base()));
    for (const k of ["realm/main", "space/main/web", "stack/main/web/app"]) s.facts.records[k] = mine.records[k]!;
    return s;
  },
  target: () =>
    scenario(
      base({ cells: cells({ api: [app({ env: ["MODE=debug"] }), sidecar()], db: [pg({ image: "postgres:17" })] }) }),
      base(),
      { targets: [addr("cell/main/web/app/api")] },
    ),
  "target-creates-ancestors": () => ({
    desired: world(base()),
    facts: emptyFacts(),
    options: options({ targets: [addr("cell/main/web/app/api")] }),
  }),
  replace: () => scenario(base(), base(), { replace: [addr("cell/main/web/app/api")] }),
  destroy: () => scenario(base(), base(), { destroy: true }),
  // Orphans of an interrupted apply: apply removes those of its realm's namespace and nothing else.
  orphans: () => withOrphans(scenario(base())),
  "orphans-destroy": () => withOrphans(scenario(base(), base(), { destroy: true })),
  // A target keeps only the orphans attributed inside it: none of these is in cell db.
  "orphans-target": () => withOrphans(scenario(base(), base(), { targets: [addr("cell/main/web/app/db")] })),
  "immutable-namespace": () => scenario(base({ namespace: "main-v2" })),
  "immutable-namespace-replaced": () =>
    scenario(base({ namespace: "main-v2", cells: [cells()[1]!] }), base({ cells: [cells()[1]!] }), {
      replace: [addr("realm/main")],
    }),
  "missing-parent": () => ({
    desired: world(base({ omit: ["space"] })),
    facts: appliedFacts(world({ cells: [], omit: ["space", "stack"] })),
    options: options(),
  }),
  // Records hold the keyed digest of the old password; refresh read the new one's (runner/secret-hashes.ts).
  "sensitive-password": () => {
    const login = (password: string) => [{ username: "ci", password, serverAddress: "127.0.0.1:5000" }];
    const s = scenario(base({ credentials: login("new-secret") }), base({ credentials: login("old-secret") }));
    s.facts = appliedFacts(world(base({ credentials: login("old-secret") })), "demo", {
      ...emptyFacts(),
      credentialDigests: { main: ["hmac-sha256:old"] },
    });
    s.facts.credentialDigests = { main: ["hmac-sha256:new"] };
    return s;
  },
  // lifecycle.preventDestroy on a root container whose image change replaces its cell: a guard error.
  "lifecycle-prevent-destroy": () => {
    const keep = { lifecycle: { preventDestroy: true } };
    return scenario(
      base({ cells: cells({ db: [pg({ image: "postgres:17", ...keep })] }) }),
      base({ cells: cells({ db: [pg(keep)] }) }),
    );
  },
  // lifecycle.ignoreChanges: the image change is ignored, the env change goes through; db only differs where ignored.
  "lifecycle-ignore-changes": () => {
    const ignore = (paths: string[]) => ({ lifecycle: { ignoreChanges: paths } });
    return scenario(
      base({
        cells: cells({
          api: [app({ image: "busybox:2", env: ["MODE=debug"], ...ignore(["spec.image"]) }), sidecar()],
          db: [pg({ image: "postgres:17", ...ignore(["spec.image"]) })],
        }),
      }),
      base({ cells: cells({ api: [app(ignore(["spec.image"])), sidecar()], db: [pg(ignore(["spec.image"]))] }) }),
    );
  },
};
