import { readFileSync } from "node:fs";
import {
  type Cell,
  type ContainerAddress,
  cellAddress,
  containerAddress,
  formatAddress,
  KukeError,
  type SecretRef,
} from "../model/index.js";
import type { ExportedObject, KubeMetadata } from "./types.js";

/**
 * A cell's secrets → one Kubernetes Secret. kuke reads a secret's value on the host at apply
 * time; an export is a file that may be committed or mailed, so values go in only when asked
 * (`includeSecrets`), read here at export time: this file is the only I/O of src/export.
 */

/** File mode kuke gives a mounted secret: read-only for its owner. */
export const SECRET_FILE_MODE = 0o400;

/** The Secret key of a container's secret: unique in the cell (container names hold no `.`). */
export function secretKey(container: string, secret: string): string {
  return `${container}.${secret}`;
}

export interface SecretInputs {
  includeSecrets: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

/** The cell's Secret, or undefined when no container of the cell has secrets. */
export function exportSecret(cell: Cell, metadata: KubeMetadata, inputs: SecretInputs): ExportedObject | undefined {
  const a = cellAddress(cell.realm, cell.space, cell.stack, cell.name);
  const entries = cell.spec.containers.flatMap((c) => c.secrets.map((s) => ({ c, s, key: secretKey(c.id, s.name) })));
  if (entries.length === 0) return undefined;
  const comments: NonNullable<ExportedObject["comments"]> = [];
  const values: Record<string, string> = {};
  for (const { c, s, key } of entries) {
    const where = s.mountPath !== undefined ? `mounted at ${s.mountPath}` : `as env ${s.name}`;
    const from = s.fromFile !== undefined ? `the content of ${s.fromFile}` : `the value of $${s.fromEnv}`;
    if (!inputs.includeSecrets) {
      values[key] = "";
      comments.push({ path: ["stringData", key], text: ` fill in: ${from} (container ${c.id}, ${where})` });
      continue;
    }
    values[key] = readValue(s, containerAddress(a.realm, a.space, a.stack, a.cell, c.id)).toString("base64");
  }
  const object = {
    apiVersion: "v1",
    kind: "Secret",
    metadata,
    type: "Opaque",
    ...(inputs.includeSecrets ? { data: values } : { stringData: values }),
  };
  return { source: formatAddress(a), object, ...(comments.length > 0 ? { comments } : {}) };

  function readValue(s: SecretRef, address: ContainerAddress): Buffer {
    if (s.fromFile !== undefined) {
      try {
        return readFileSync(s.fromFile);
      } catch (e) {
        // Missing or unreadable: the remedy is the same either way.
        throw new KukeError("not-found", `secret ${s.name}: ${s.fromFile} cannot be read`, {
          address,
          cause: e,
          remedy: `make ${s.fromFile} readable, or export without --include-secrets and fill the Secret in later`,
        });
      }
    }
    const value = inputs.env[s.fromEnv ?? ""];
    if (value === undefined) {
      throw new KukeError("not-found", `secret ${s.name}: environment variable ${s.fromEnv} is not set`, {
        address,
        remedy: `set ${s.fromEnv} for kuke, or export without --include-secrets and fill the Secret in later`,
      });
    }
    return Buffer.from(value);
  }
}
