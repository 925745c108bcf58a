import { suite } from "uvu";
import * as assert from "uvu/assert";
import { importClosure } from "../../src/runner/manifest-cache.js";

/**
 * What every kuke process loads before its command runs (the static imports of the CLI's entry)
 * leaves out the `yaml` package and the manifest loader: they were a large part of start-up, and
 * only a command that parses manifests (on a manifest-cache miss) or prints YAML loads them.
 */
const t = suite("cli/startup-imports");

const relative = (u: string) => u.replace(/^.*\/dist\/src\//, "");

t("kuke's start-up does not load the yaml package or the manifest loader", () => {
  const startup = importClosure(new URL("../../src/cli/main.js", import.meta.url), { dynamic: false });
  const modules = [...startup.modules.keys()].map(relative);
  assert.ok(modules.includes("cli/commands/plan.js"), "the closure reaches the commands");
  assert.ok(modules.includes("runner/manifest-cache.js"), "and the manifest cache");
  assert.not.ok(startup.packages.has("yaml"), "yaml is loaded at start-up");
  for (const lazy of ["manifest/load.js", "manifest/yaml-tree.js", "export/render.js", "render/get-output.js"]) {
    assert.not.ok(modules.includes(lazy), `${lazy} is loaded at start-up`);
  }
  // The loader is still there for the commands that parse: reached through a dynamic import.
  const all = importClosure(new URL("../../src/cli/main.js", import.meta.url));
  assert.ok(all.packages.has("yaml"));
  assert.ok([...all.modules.keys()].map(relative).includes("manifest/yaml-tree.js"));
  // protobufjs is a devDependency (tests, `npm run proto`): kuke's own codec reads the descriptor.
  assert.not.ok(all.packages.has("protobufjs"), "protobufjs is reachable from the CLI");
  assert.ok([...all.modules.keys()].map(relative).includes("executors/containerd/proto-types.js"));
});

t.run();
