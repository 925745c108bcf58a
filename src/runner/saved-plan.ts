/**
 * Saved plan files (`kuke plan --out FILE`): the plan, plus what `kuke apply FILE` needs to run it
 * without the manifests — the desired state it was made from — minus anything secret. Registry
 * passwords are replaced by their keyed digest (the run path's key, as records keep them; a plan
 * made without the host holds `(not read)` instead); apply re-reads them from the manifest files listed in
 * `sources` (and refuses if those files no longer produce the same desired state). Secret values
 * never appear at all: `secrets[]` are references (`fromFile`/`fromEnv`) read at apply time.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { errnoOf } from "../fs/fs-errors.js";
import { type DesiredState, type HostFacts, type ImageDigest, KukeError, sameValue } from "../model/index.js";
import { type Plan, SENSITIVE_UNREAD } from "../planner/index.js";
import { parsePlanJson } from "../render/index.js";
import { writeFileAtomic } from "../state/index.js";

export const SAVED_PLAN_VERSION = "1";

/** One manifest the plan was made from: its absolute path (or `<stdin>`) and the sha256 of its text. */
export interface PlanSource {
  file: string;
  sha256: string;
}

export interface SavedPlan {
  saved_plan_version: typeof SAVED_PLAN_VERSION;
  plan: Plan;
  /** The desired state, registry passwords replaced by their keyed digest (or `(not read)`). */
  desired: DesiredState;
  /**
   * The image digests the plan was made with, by container address (absent for a plan made
   * without refresh). Apply uses these instead of asking again, so it runs what the plan showed.
   */
  imageDigests?: Record<string, ImageDigest>;
  sources: PlanSource[];
}

export function sourceDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The desired state with every registry password replaced by its keyed digest from `digests`
 * (`HostFacts.credentialDigests`), or by `(not read)` without one: never an unkeyed hash.
 */
export function redactDesired(desired: DesiredState, digests: HostFacts["credentialDigests"]): DesiredState {
  return {
    ...desired,
    realms: desired.realms.map((r) => ({
      ...r,
      spec: {
        ...r.spec,
        registryCredentials: r.spec.registryCredentials.map((c, i) => ({
          ...c,
          password: digests?.[r.name]?.[i] ?? SENSITIVE_UNREAD,
        })),
      },
    })),
  };
}

/** True when a saved desired state holds keyed password digests (it was planned with the host). */
function hasPasswordDigests(desired: DesiredState): boolean {
  return desired.realms.some((r) => r.spec.registryCredentials.some((c) => c.password !== SENSITIVE_UNREAD));
}

export function hasRegistryPasswords(desired: DesiredState): boolean {
  return desired.realms.some((r) => r.spec.registryCredentials.length > 0);
}

/** Writes the plan file atomically with mode 0600 (it names hosts, paths and users). */
export async function writeSavedPlan(file: string, saved: SavedPlan): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(saved, null, 2)}\n`);
}

/** Reads and checks a plan file. @throws KukeError `usage` for a file that is not a kuke plan. */
export async function readSavedPlan(file: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = errnoOf(e);
    throw new KukeError(code === "ENOENT" ? "not-found" : "runtime", `cannot read plan file ${file} (${code})`, {
      remedy: "pass a file written by kuke plan --out FILE",
      cause: e,
    });
  }
  let value: Partial<SavedPlan>;
  try {
    value = JSON.parse(text) as Partial<SavedPlan>;
  } catch (e) {
    throw new KukeError("usage", `${file} is not a kuke plan file (not JSON)`, {
      // The likely mistake: `kuke apply stack.yaml` for `kuke apply -f stack.yaml`.
      remedy: "pass a file written by kuke plan --out FILE; manifests are named with -f (kuke apply -f FILE)",
      cause: e,
    });
  }
  if (value.saved_plan_version !== SAVED_PLAN_VERSION || value.plan === undefined || value.desired === undefined) {
    throw new KukeError("usage", `${file} is not a kuke plan file of this version`, {
      remedy: "re-create it with kuke plan … --out FILE",
    });
  }
  return {
    saved_plan_version: SAVED_PLAN_VERSION,
    plan: parsePlanJson(JSON.stringify(value.plan)),
    desired: value.desired,
    ...(value.imageDigests !== undefined ? { imageDigests: value.imageDigests } : {}),
    sources: value.sources ?? [],
  };
}

/**
 * The desired state to apply a saved plan with. Without registry passwords it is the saved one.
 * With them, the listed manifests are loaded again (by `load`) and must give the same redacted
 * state (with `digest`'s keyed digests when the plan holds some, so a changed password is noticed);
 * their passwords are then used.
 * @throws KukeError `stale-plan` when a manifest changed or cannot be read.
 */
export async function desiredForApply(
  saved: SavedPlan,
  load: (files: string[]) => Promise<DesiredState>,
  digest: (desired: DesiredState) => Promise<HostFacts["credentialDigests"]>,
): Promise<DesiredState> {
  if (!hasRegistryPasswords(saved.desired)) return saved.desired;
  const files = saved.sources.map((s) => s.file);
  const remedy = `kuke plan ${files.map((f) => `-f ${f}`).join(" ")} --out FILE again`;
  let fresh: DesiredState;
  try {
    fresh = await load(files);
  } catch (e) {
    throw new KukeError("stale-plan", "the plan needs registry passwords from its manifests, which cannot be read", {
      detail: e instanceof KukeError ? e.message : undefined,
      remedy,
      cause: e,
    });
  }
  const digests = hasPasswordDigests(saved.desired) ? await digest(fresh) : undefined;
  if (!sameValue(redactDesired(fresh, digests), saved.desired)) {
    throw new KukeError("stale-plan", "the manifests changed since the plan was made", {
      detail: files.join("\n"),
      remedy,
    });
  }
  return fresh;
}
