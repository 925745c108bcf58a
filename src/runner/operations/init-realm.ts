import { type DesiredState, normalizeRealmSpec } from "../../model/index.js";
import type { HostPaths } from "../host-paths.js";
import { applyPlan } from "./apply.js";
import type { DefaultRealmOutcome } from "./init.js";

export const DEFAULT_REALM = "default";

/** A desired state with only realm `default`, as kukeon's init creates it. */
export function defaultRealmState(): DesiredState {
  return {
    realms: [{ kind: "realm", name: DEFAULT_REALM, labels: {}, spec: normalizeRealmSpec(DEFAULT_REALM, undefined) }],
    spaces: [],
    stacks: [],
    cells: [],
    looseContainers: [],
  };
}

/**
 * Creates realm `default` through the same lock → refresh → plan → apply path as every other
 * change (project `default`). A realm that is already applied is left alone.
 */
export async function ensureDefaultRealm(paths: HostPaths, lockTimeoutMs = 30_000): Promise<DefaultRealmOutcome> {
  try {
    const outcome = await applyPlan({
      ...paths,
      input: { kind: "desired", desired: defaultRealmState() },
      lockTimeoutMs,
      command: "kuke init",
    });
    if (outcome.kind === "no-changes") return { status: "present" };
    if (outcome.kind === "applied" && outcome.result.status === "succeeded") return { status: "created" };
    if (outcome.kind === "applied") return { status: "failed", error: outcome.result.failures[0]?.error };
    return { status: "failed", error: outcome.kind === "plan-errors" ? outcome.plan.errors[0] : outcome.kind };
  } catch (e) {
    return { status: "failed", error: e };
  }
}
