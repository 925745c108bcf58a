import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import type { KubeObject } from "../../src/export/index.js";

/**
 * Checks objects against Kubernetes' OpenAPI schemas through kubernetes-models (its classes carry
 * validators compiled from those schemas). The schemas leave unknown fields open, which the API
 * server's strict field validation does not; `unknownFields` closes that gap with the same
 * validators: a field is known exactly when a value no schema type accepts, put in its place,
 * makes validation fail.
 */

interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => Model;

const MODELS: Record<string, ModelClass> = {
  "v1/Namespace": Namespace as unknown as ModelClass,
  "v1/Pod": Pod as unknown as ModelClass,
  "v1/Secret": Secret as unknown as ModelClass,
  "apps/v1/Deployment": Deployment as unknown as ModelClass,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy as unknown as ModelClass,
};

function validate(o: unknown): string | undefined {
  const { apiVersion, kind } = o as KubeObject;
  const Model = MODELS[`${apiVersion}/${kind}`];
  if (Model === undefined) return `no schema for ${apiVersion} ${kind}`;
  try {
    new Model(o as never).validate();
    return undefined;
  } catch (e) {
    const errors = (e as { errors?: Array<{ instancePath: string; message?: string }> }).errors;
    return errors?.map((x) => `${x.instancePath} ${x.message ?? ""}`).join("; ") ?? String(e);
  }
}

/** The schema's complaints about `o` (undefined when it is valid). */
export function schemaErrors(o: KubeObject): string | undefined {
  return validate(o);
}

/** Paths (`spec.containers.0.bogus`) of fields the schema does not define. */
export function unknownFields(o: KubeObject): string[] {
  const unknown: string[] = [];
  const visit = (value: unknown, path: Array<string | number>) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, [...path, i]);
      });
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        const at = [...path, k];
        if (at.length === 1 && (k === "apiVersion" || k === "kind")) continue;
        const probe = structuredClone(o) as Record<string | number, unknown>;
        let parent = probe as Record<string | number, unknown>;
        for (const seg of path) parent = parent[seg] as Record<string | number, unknown>;
        // A function is no JSON type: every schema type refuses it, an open (unknown) field does not.
        parent[k] = () => undefined;
        if (validate(probe) === undefined) unknown.push(at.join("."));
        else visit(v, at);
      }
    }
  };
  visit(o, []);
  return unknown;
}
