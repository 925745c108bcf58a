import { createHash } from "node:crypto";

/**
 * The parts of an OCI image config (image-spec `config.md`) kuke reads: the process defaults the
 * OCI spec builder starts from, and the layer diff ids that name the unpacked snapshots.
 */
export interface ImageProcessConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
}

export interface ParsedImageConfig {
  process: ImageProcessConfig;
  diffIds: string[];
}

interface RawConfig {
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    WorkingDir?: string;
    User?: string;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
}

export function parseImageConfig(bytes: Buffer): ParsedImageConfig {
  const raw = JSON.parse(bytes.toString("utf8")) as RawConfig;
  const c = raw.config ?? {};
  return {
    process: {
      entrypoint: c.Entrypoint ?? [],
      cmd: c.Cmd ?? [],
      env: c.Env ?? [],
      workingDir: c.WorkingDir ?? "",
      user: c.User ?? "",
    },
    diffIds: raw.rootfs?.diff_ids ?? [],
  };
}

/**
 * Chain ids per the image spec: the first is the first diff id, each next one is
 * `sha256(parentChain + " " + diffId)`. The last one names the image's unpacked top snapshot.
 */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash("sha256").update(`${prev} ${d}`).digest("hex")}`);
  }
  return out;
}
