/**
 * kuke's import rules (DESIGN §4 "May import" and each src/<folder>/README.md), checked by
 * `npm run lint` (`depcruise src test bench`). Each folder rule lists what the folder MAY import;
 * anything else is an error. Node built-ins appear as their bare name ("fs", "crypto"), npm
 * packages under node_modules/. If you change a folder's README, change its rule here too.
 */

/** Path patterns, anchored, for the `to.pathNot` lists below. */
const own = (folder) => `^src/${folder}/`;
const npm = (name) => `^node_modules/${name}/`;
const MODEL = own("model");
const FS = own("fs");
const ALL_EXECUTORS = own("executors");

/** A folder rule: `folder` may import itself, `allowed`, and Node built-ins when `builtins`. */
function mayImport(name, folder, allowed, { builtins = true, comment } = {}) {
  return {
    name,
    comment: comment ?? `src/${folder}/README.md: what ${folder} may import`,
    severity: "error",
    from: { path: own(folder) },
    to: {
      pathNot: [own(folder), ...allowed],
      ...(builtins ? { dependencyTypesNot: ["core"] } : {}),
    },
  };
}

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycle anywhere (src, tests, benchmarks).",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that does not resolve is a broken build or a missing dependency.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "src-not-to-tests",
      comment: "Product code never imports tests, the test harness or benchmarks.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "src-not-to-dev-dependencies",
      comment: "What src/ imports must be a runtime dependency (package.json dependencies).",
      severity: "error",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "nothing-imports-cli",
      comment: "src/cli is the outermost layer: nothing in src imports it (DESIGN §4).",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "only-cli-imports-runner",
      comment: "src/runner/README.md: only src/cli (and the library entry, tests, benchmarks) import the runner.",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/(runner|cli)/", "^src/index\\.ts$"] },
      to: { path: "^src/runner/" },
    },
    {
      name: "cli-not-to-graph",
      comment:
        "src/runner/README.md (one pipeline): the CLI renders the runner's reports; it neither builds nor walks step graphs.",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/graph/" },
    },
    {
      name: "only-runner-imports-engine",
      comment:
        "src/engine/README.md: nothing imports the engine except src/runner (the CLI renders the runner's events).",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/(engine|runner)/", "^src/index\\.ts$"] },
      to: { path: "^src/engine/" },
    },

    mayImport("model-is-pure", "model", ["^crypto$"], {
      builtins: false,
      comment: "src/model: nothing with side effects (node:crypto only, for hashing).",
    }),
    mayImport("fs-imports", "fs", [MODEL]),
    mayImport(
      "manifest-imports",
      "manifest",
      [
        MODEL,
        npm("yaml"),
        "^fs(/promises)?$",
        "^src/fs/fs-errors\\.ts$",
        // lifecycle.ignoreChanges is checked against the planner's field table (pure data).
        "^src/planner/(field-effects|types)\\.ts$",
      ],
      {
        builtins: false,
      },
    ),
    {
      name: "manifest-reads-files-in-sources-only",
      comment: "src/manifest/README.md: node:fs and fs/fs-errors.ts in sources.ts only; the rest is pure.",
      severity: "error",
      from: { path: "^src/manifest/", pathNot: "^src/manifest/sources\\.ts$" },
      to: { path: ["^fs(/promises)?$", "^src/fs/"] },
    },
    mayImport("export-imports", "export", [MODEL, own("manifest"), npm("yaml"), "^fs$"], {
      builtins: false,
      comment: "src/export/README.md: model, manifest and yaml; node:fs for secret values only.",
    }),
    {
      name: "export-reads-files-in-secrets-only",
      comment: "src/export/README.md: pure apart from secrets.ts, which reads secret files when asked.",
      severity: "error",
      from: { path: "^src/export/", pathNot: "^src/export/secrets\\.ts$" },
      to: { path: ["^fs(/promises)?$", "^src/fs/"] },
    },
    mayImport("planner-is-pure", "planner", [MODEL], {
      builtins: false,
      comment: "src/planner: model only — no executor, no fs, no gRPC, no Node built-ins (DESIGN §4).",
    }),
    mayImport("graph-imports", "graph", ["^src/model/errors\\.ts$", npm("@dagrejs/graphlib"), npm("p-queue")], {
      builtins: false,
      comment: "src/graph: graphlib, p-queue and model/errors.ts; knows nothing of containers.",
    }),

    // Executors: their own folder, model, Node built-ins and what each README adds; never each
    // other (shared OCI types live in executors/oci) nor anything above them.
    mayImport("oci-types-import-nothing", "executors/oci", [], {
      comment: "src/executors/oci/README.md: Node built-ins only, nothing of kuke's.",
    }),
    mayImport("cgroup-executor-imports", "executors/cgroup", [MODEL, FS]),
    mayImport("cni-executor-imports", "executors/cni", [MODEL, FS]),
    mayImport("containerd-executor-imports", "executors/containerd", [
      MODEL,
      FS,
      own("executors/oci"),
      npm("tar-stream"),
    ]),
    mayImport("registry-executor-imports", "executors/registry", [MODEL, own("executors/oci")]),

    mayImport("state-imports", "state", [MODEL, FS, npm("p-queue")], {
      comment: "src/state: records on disk, lock, journal; model, fs and p-queue only, never the planner.",
    }),
    mayImport("status-is-pure", "status", [MODEL], {
      builtins: false,
      comment: "src/status: pure (no clock, no fs, no executors, no planner): model only.",
    }),
    mayImport("refresh-imports", "refresh", [MODEL, own("state"), ALL_EXECUTORS, npm("p-queue")], {
      comment: "src/refresh: model, state's records, the executors, p-queue; never the planner or the engine.",
    }),
    mayImport(
      "render-imports",
      "render",
      [MODEL, "^src/status/types\\.ts$", "^src/planner/types\\.ts$", npm("chalk"), npm("diff"), npm("yaml")],
      {
        builtins: false,
        comment: "src/render: model, status types, the plan's data types (planner/types.ts), chalk, diff, yaml.",
      },
    ),
    mayImport("logs-imports", "logs", [MODEL, FS]),
    mayImport("purge-imports", "purge", [
      MODEL,
      "^src/planner/step-types\\.ts$",
      "^src/state/(run-path|record-store)\\.ts$",
      "^src/executors/(containerd|cni|cgroup)/",
    ]),
    mayImport("engine-imports", "engine", [
      MODEL,
      FS,
      own("planner"),
      own("graph"),
      own("state"),
      ALL_EXECUTORS,
      "^src/refresh/host-inventory\\.ts$",
    ]),
  ],
  options: {
    parser: "swc",
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
