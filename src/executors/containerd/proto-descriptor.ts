/**
 * Generates `proto/descriptor.json`, the client's protobuf descriptor, from kuke's `.proto` files
 * with the full protobufjs (its parser), the way proto-loader parsed them: field names kept as
 * written, imports resolved against `proto/`, google's well-known types from protobufjs's bundled
 * copies. Never loaded by kuke itself; a test fails when the checked-in file is stale.
 *
 *     npm run build && node dist/src/executors/containerd/proto-descriptor.js
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DESCRIPTOR_FILE, protoDir } from "./proto-codec.js";

const requireCjs = createRequire(import.meta.url);

/** The descriptor of every service under `dir/containerd/services/` and what they import. */
export function buildDescriptor(dir: string = protoDir()): object {
  const pb = requireCjs("protobufjs") as typeof import("protobufjs");
  const root = new pb.Root();
  const fallback = root.resolvePath;
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    const inDir = join(dir, target);
    return existsSync(inDir) ? inDir : fallback(origin, target);
  };
  const services = readdirSync(join(dir, "containerd/services"))
    .filter((f) => f.endsWith(".proto"))
    .sort()
    .map((f) => `containerd/services/${f}`);
  root.loadSync(services, { keepCase: true });
  root.resolveAll();
  return root.toJSON();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = `${protoDir()}${DESCRIPTOR_FILE}`;
  writeFileSync(file, `${JSON.stringify(buildDescriptor())}\n`);
  process.stdout.write(`wrote ${file}\n`);
}
