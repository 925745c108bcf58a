/**
 * `npm run bench -- NAME [args...]` runs `bench/NAME.ts` (compiled to dist/bench/NAME.js). Each
 * benchmark exports `main(args): Promise<void>` and prints its own table of figures and ratios.
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const [name, ...args] = process.argv.slice(2);
const here = fileURLToPath(new URL(".", import.meta.url));
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(`${here}${name}.js`)) {
  process.stderr.write(
    "usage: npm run bench -- <containerd|network|apply|noop-plan|profile-summary|podman|plan-memory|validate|restart> [args...]\n",
  );
  process.exit(64);
}
const mod = (await import(pathToFileURL(`${here}${name}.js`).href)) as { main(args: string[]): Promise<void> };
await mod.main(args);
