// Bundles tsc's output of the CLI (dist/src/cli/main.js) into one ESM file, dist/kuke.js, which is
// the package's `bin`. Node's ESM loader costs about a millisecond per module (resolve, stat, read,
// compile, link) and kuke's CLI reaches about 290 modules: one file starts every command about
// 150 ms sooner (bench/README.md, "one bundled file"). Run by `npm run build` after tsc.

import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { loaderIdentity } from "../dist/src/runner/manifest-cache.js";

const root = fileURLToPath(new URL("..", import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ["dist/src/cli/main.js"],
  outfile: "dist/kuke.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // The packages kuke depends on are CommonJS in part; their require() of Node's modules needs a
  // real require in an ES module.
  banner: {
    js: 'import { createRequire as kukeCreateRequire } from "node:module";\nconst require = kukeCreateRequire(import.meta.url);',
  },
  // The manifest cache keys its entries with the loader's code identity, a hash over files the
  // bundle has no more: taken here, over the tree this bundle is made from.
  define: { KUKE_BUNDLED_LOADER_IDENTITY: JSON.stringify(loaderIdentity()) },
  logLevel: "warning",
});
