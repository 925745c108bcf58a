/**
 * DESIGN §5: "plan reports an image that is neither present nor pullable before anything changes".
 * Resolution (`../image-digests.ts`) already looked at every desired container's image as its pull
 * policy says; this turns the images the plan's steps would ensure and that have no digest (not
 * present and not pullable, or `Never` and not present) into plan errors naming the containers
 * that use them, so `kuke plan` exits 1 and `kuke apply` changes nothing. Images of containers
 * the plan leaves alone are not needed, so they are no error.
 */
import { qualifyImageName } from "../../executors/containerd/image-name.js";
import type { ActualState, DesiredState } from "../../model/index.js";
import { type Diagnostic, type ImageEnsureStep, type Plan, planToSteps, type Step } from "../../planner/index.js";

/**
 * Adds an error to `plan.errors` for each realm and image its steps would ensure whose resolution
 * is a problem. A plan that already has errors is left alone: it has no steps to check.
 */
export function checkPlanImages(plan: Plan, desired: DesiredState, actual: ActualState): void {
  const resolved = actual.imageDigests;
  if (resolved === undefined || plan.errors.some((e) => e.severity === "error")) return;
  // Only an image without a digest can be an error: with none (every unchanged plan), the steps
  // need not be built to find their users.
  if (!Object.values(resolved).some((d) => "problem" in d)) return;
  const steps = planToSteps(plan, desired, actual);
  const seen = new Set<string>();
  for (const s of steps) {
    if (s.kind !== "image.ensure") continue;
    const users = usersOf(s, steps);
    const first = users.map((u) => resolved[u]).find((d) => d !== undefined && "problem" in d);
    if (first === undefined || !("problem" in first)) continue;
    const key = `${s.namespace}\n${qualifyImageName(s.image)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    plan.errors.push(imageDiagnostic(s, users, first));
  }
}

/** The containers this apply would create from the image: the ones a person has to fix. */
function usersOf(s: ImageEnsureStep, steps: Step[]): string[] {
  const name = qualifyImageName(s.image);
  return steps
    .filter(
      (x) => x.kind === "container.create" && x.namespace === s.namespace && qualifyImageName(x.spec.image) === name,
    )
    .map((x) => x.address);
}

function imageDiagnostic(
  s: ImageEnsureStep,
  users: string[],
  d: { problem: string; detail?: string; remedy: string },
): Diagnostic {
  const detail = [
    ...(d.detail !== undefined ? [d.detail] : []),
    ...(users.length > 1 ? [`also used by ${users.slice(1).join(", ")}`] : []),
  ].join("\n");
  return {
    severity: "error",
    code: "not-found",
    address: users[0] ?? s.address,
    summary: d.problem,
    ...(detail !== "" ? { detail } : {}),
    remedy: d.remedy,
  };
}
