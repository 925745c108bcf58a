import { packageRoot } from "../fs/package-root.js";

/** kuke's version, from its own package.json (`src/fs/package-root.ts` finds it). */
export function packageVersion(): string {
  return packageRoot().version;
}
