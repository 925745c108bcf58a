import type { HostPaths } from "../host-paths.js";
import { changeResources } from "../imperative/resources.js";
import type { DefaultRealmOutcome } from "./init.js";

export const DEFAULT_REALM = "default";

/**
 * Creates realm `default` the way `kuke create` does (lock → refresh → records + the realm →
 * targeted plan → engine; project `default`). A realm `default` that is already recorded is left as
 * it was applied, even with a namespace of its own; only drift of it on the host is repaired.
 */
export async function ensureDefaultRealm(paths: HostPaths, lockTimeoutMs = 30_000): Promise<DefaultRealmOutcome> {
  try {
    const r = await changeResources(
      { ...paths, lockTimeoutMs },
      { mode: "ensure", fragment: [{ kind: "realm", name: DEFAULT_REALM }], command: "kuke init" },
    );
    if (r.result === undefined) return { status: "present" };
    if (r.result.status === "succeeded") return { status: r.plan.summary.add > 0 ? "created" : "present" };
    return { status: "failed", error: r.result.failures[0]?.error };
  } catch (e) {
    return { status: "failed", error: e };
  }
}
