/**
 * `node dist/test/harness/make-busybox-image.js OUT.tar [--docker] [--name NAME]`: writes the
 * busybox test image archive (OCI layout by default) for scripts and CI.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildBusyboxArchive } from "./busybox-image.js";

async function main(argv: string[]): Promise<number> {
  const out = argv.find((a, i) => !a.startsWith("--") && argv[i - 1] !== "--name");
  const nameAt = argv.indexOf("--name");
  const name = nameAt >= 0 ? argv[nameAt + 1] : undefined;
  if (out === undefined || (nameAt >= 0 && name === undefined)) {
    process.stderr.write("usage: make-busybox-image OUT.tar [--docker] [--name NAME]\n");
    return 64;
  }
  const tmp = await mkdtemp(join(tmpdir(), "kuke-busybox-"));
  try {
    const file = await buildBusyboxArchive(tmp, {
      format: argv.includes("--docker") ? "docker" : "oci",
      ...(name !== undefined ? { name } : {}),
    });
    // A copy, not a rename: OUT may be on another filesystem than the temporary directory.
    await copyFile(file, resolve(out));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${resolve(out)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
    process.exit(1);
  },
);
