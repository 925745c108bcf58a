/**
 * DESIGN §5: "plan reports an image that is neither present nor pullable before anything changes".
 * The planner is pure and cannot look, so the runner checks after planning: for every image the
 * plan's steps would ensure, one image listing per namespace says whether it is present, and a
 * manifest request under a short deadline says whether its registry has it. Each image that is
 * neither becomes a plan error naming the containers that use it, so `kuke plan` exits 1 and
 * `kuke apply` changes nothing.
 */
import { qualifyImageName } from "../../executors/containerd/image-name.js";
import {
  type ActualState,
  type DesiredState,
  isKukeError,
  PAUSE_IMAGE,
  parseAddress,
  type RegistryCredential,
} from "../../model/index.js";
import { type Diagnostic, type ImageEnsureStep, type Plan, planToSteps, type Step } from "../../planner/index.js";

/** How the check looks at images; `hostImageProbe` is the real one. */
export interface ImageProbe {
  /**
   * Names of the images recorded in `namespace`; empty when the namespace does not exist yet.
   * Called once per namespace per check.
   */
  listImages(namespace: string): Promise<string[]>;
  /**
   * Succeeds when `ref`'s registry serves a manifest for it (nothing is downloaded beyond that).
   * @throws KukeError saying why it cannot be pulled (`not-found`, `unavailable`, `permission`, …).
   */
  resolve(ref: string, credentials: readonly RegistryCredential[]): Promise<void>;
}

/** Deadline of one manifest request: long enough for a registry, short enough for an offline host. */
export const IMAGE_RESOLVE_TIMEOUT_MS = 5_000;

/**
 * Adds an error to `plan.errors` for each image its steps would ensure that is neither present in
 * the realm's namespace nor resolvable at its registry (the pause image is built locally, so it is
 * always fine). A plan that already has errors is left alone: it has no steps to check.
 */
export async function checkPlanImages(
  plan: Plan,
  desired: DesiredState,
  actual: ActualState,
  probe: ImageProbe,
): Promise<void> {
  if (plan.errors.some((e) => e.severity === "error")) return;
  const steps = planToSteps(plan, desired, actual);
  const ensures = steps.filter((s): s is ImageEnsureStep => s.kind === "image.ensure");
  const wanted = ensures.filter((s) => qualifyImageName(s.image) !== PAUSE_IMAGE);
  if (wanted.length === 0) return;
  const namespaces = [...new Set(wanted.map((s) => s.namespace))];
  const listed = await Promise.all(namespaces.map((ns) => probe.listImages(ns)));
  const present = new Map(namespaces.map((ns, i) => [ns, new Set(listed[i])]));
  const missing = wanted.filter((s) => !present.get(s.namespace)?.has(qualifyImageName(s.image)));
  const problems = await Promise.all(missing.map((s) => whyNotPullable(s, probe)));
  missing.forEach((s, i) => {
    const problem = problems[i];
    if (problem !== undefined) plan.errors.push(imageDiagnostic(s, problem, steps));
  });
}

/** Undefined when the registry has the image; else the registry's answer, as one line. */
async function whyNotPullable(s: ImageEnsureStep, probe: ImageProbe): Promise<string | undefined> {
  try {
    await probe.resolve(qualifyImageName(s.image), s.credentials);
    return undefined;
  } catch (e) {
    if (!isKukeError(e)) throw e;
    return e.detail ? `${e.message}: ${e.detail.split("\n")[0]}` : e.message;
  }
}

function imageDiagnostic(s: ImageEnsureStep, problem: string, steps: Step[]): Diagnostic {
  const name = qualifyImageName(s.image);
  const realm = parseAddress(s.address).realm;
  // The containers this apply would create from the image: the ones a person has to fix.
  const users = steps
    .filter(
      (x) => x.kind === "container.create" && x.namespace === s.namespace && qualifyImageName(x.spec.image) === name,
    )
    .map((x) => x.address);
  return {
    severity: "error",
    code: "not-found",
    address: users[0] ?? s.address,
    summary: `image ${name} is not loaded in realm ${realm} and cannot be pulled`,
    detail: [
      `its registry says: ${problem}`,
      ...(users.length > 1 ? [`also used by ${users.slice(1).join(", ")}`] : []),
    ].join("\n"),
    remedy: `kuke image load FILE --realm ${realm}, or kuke image pull ${name} --realm ${realm}`,
  };
}

/** The probe over containerd (one List per namespace) and the registry client (one manifest GET). */
export function hostImageProbe(containerd: { listImages(namespace: string): Promise<{ name: string }[]> }): ImageProbe {
  return {
    async listImages(namespace) {
      try {
        return (await containerd.listImages(namespace)).map((i) => i.name);
      } catch (e) {
        if (isKukeError(e, "not-found")) return [];
        throw e;
      }
    },
    async resolve(ref, credentials) {
      // Loaded only when an image is missing: most plans never need the registry client.
      const { parseReference } = await import("../../executors/registry/reference.js");
      const { RegistryClient } = await import("../../executors/registry/registry-client.js");
      const parsed = parseReference(ref);
      const client = new RegistryClient(parsed.registry, parsed.repository, {
        credentials,
        timeoutMs: IMAGE_RESOLVE_TIMEOUT_MS,
      });
      await client.getManifest(parsed.digest ?? parsed.tag ?? "latest");
    },
  };
}
