/**
 * `kuke purge KIND NAME`, through the pipeline under one lock: first the removal plan from kuke's
 * records when they allow it (as `kuke delete --cascade`), then discovery: what kuke made for the
 * address is listed on the host by labels and names (not records), turned into removal steps, and
 * run by the same engine, down to kuke's own files and records.
 */
import { type Address, formatAddress, isKukeError, type KukeError, recordedNamespace } from "../../model/index.js";
import type { Step } from "../../planner/index.js";
import { type Discovery, discover, type PurgeItem, type PurgeReport, purgeSteps } from "../../purge/index.js";
import { discoverySource } from "../open-host.js";
import {
  type ChangeResult,
  nowIso,
  type PipelineOptions,
  type RunReport,
  refusePlanErrors,
  type StepRef,
  skipEmptyPlan,
  withLock,
} from "../pipeline.js";
import { removalPlan } from "./remove.js";

export interface PurgeResult {
  /** The engine's deletion, when kuke had records to delete from. */
  deleted?: ChangeResult;
  /** Why the deletion through records could not run or failed (purge went on regardless). */
  deleteProblem?: string;
  /**
   * Resources purged although their record sets `lifecycle.preventDestroy`: purge is the
   * emergency tool and does not stop at it, but says so. Absent when none.
   */
  overriddenGuards?: string[];
  /** What discovery found left on the host and what became of it. */
  report: PurgeReport;
  /** Record files removed (those of the address and everything inside it, good or corrupt). */
  recordsRemoved: number;
  /** What the engine did with the discovered steps; absent when discovery found nothing. */
  result?: RunReport;
  /** Kind and address of every discovered step by id. */
  steps: Record<string, StepRef>;
}

/**
 * Removes the resource and everything kuke can find of it, with or without records: the records'
 * removal plan first (a failure there is reported in `deleteProblem`, and purge goes on), then the
 * steps of discovery. @throws KukeError `lock-held`, `cancelled`, `unavailable` (containerd).
 */
export function purgeResource(o: PipelineOptions, target: Address): Promise<PurgeResult> {
  const key = formatAddress(target);
  return withLock(o, `kuke purge ${target.kind}`, async (s) => {
    const out: Partial<PurgeResult> = {};
    let namespace: string | undefined;
    try {
      const actual = await s.refresh();
      // Read before the records go: a realm applied with a namespace of its own keeps using it.
      namespace = recordedNamespace(actual, target.realm);
      const record = actual.records[key];
      if (record !== undefined && !(target.kind === "container" && record.view.spec.root === true)) {
        const removal = removalPlan(actual, target, true, nowIso(o));
        const guards = removal.plan.errors.filter((e) => e.code === "guard");
        if (guards.length > 0) {
          out.overriddenGuards = guards.map((e) => e.address ?? key);
          removal.plan.errors = removal.plan.errors.filter((e) => e.code !== "guard");
        }
        const r = await s.pass({ ...removal, actual }, [refusePlanErrors, skipEmptyPlan]);
        out.deleted = r.ran
          ? { plan: r.work.plan, result: r.result, steps: r.steps }
          : { plan: r.work.plan, steps: {} };
        if (out.deleted.result && out.deleted.result.status !== "succeeded") {
          out.deleteProblem = out.deleted.result.failures.map((f) => `${f.address}: ${f.error.message}`).join("; ");
        }
      }
    } catch (e) {
      if (!isKukeError(e) || e.code === "lock-held" || e.code === "cancelled") throw e;
      out.deleteProblem = e.message;
    }
    const found = await discover(target, discoverySource(s.host, namespace));
    const steps = purgeSteps(found);
    const run = steps.length > 0 ? await s.run(steps, { scope: found.scope }) : undefined;
    const { report, recordsRemoved } = purgeReport(found, steps, run?.result);
    return { ...out, report, recordsRemoved, ...(run ? { result: run.result } : {}), steps: run?.steps ?? {} };
  });
}

/**
 * One report line per discovered step, in step order, from the step outcomes; the records are
 * counted instead (and listed only when they could not be removed).
 */
export function purgeReport(
  found: Discovery,
  steps: Step[],
  result: RunReport | undefined,
): { report: PurgeReport; recordsRemoved: number } {
  const items: PurgeItem[] = [];
  let recordsRemoved = 0;
  for (const step of steps) {
    const o = result?.outcomes[step.id];
    const item: PurgeItem = { ...itemOf(step, found), outcome: "not-started" };
    if (o?.status === "succeeded") {
      const note = result?.notes.find((n) => n.id === step.id);
      item.outcome = note ? "kept" : "removed";
      if (note) item.detail = note.text.replace(/^namespace \S+ kept: /, "");
    } else if (o?.status === "failed") {
      item.outcome = "failed";
      item.detail = describe(o.error as KukeError);
    } else if (o?.status === "skipped") {
      item.outcome = "skipped";
      item.detail = `${o.skippedBecause ?? "a step it needs"} failed`;
    }
    if (item.kind === "records" && item.outcome === "removed") recordsRemoved = found.records.length;
    else items.push(item);
  }
  const count = (...outcomes: PurgeItem["outcome"][]) => items.filter((i) => outcomes.includes(i.outcome)).length;
  return {
    report: {
      scope: found.scope,
      items,
      removed: count("removed"),
      failed: count("failed"),
      notDone: count("skipped", "not-started"),
    },
    recordsRemoved,
  };
}

function itemOf(step: Step, found: Discovery): Pick<PurgeItem, "kind" | "name"> {
  switch (step.kind) {
    case "container.delete":
      return { kind: "container", name: step.containerdId };
    case "cni.detach":
      return { kind: "cni-attachment", name: step.netnsName };
    case "netns.unpin":
      return { kind: "netns-pin", name: found.cells.find((c) => c.address === step.address)?.pin ?? step.netnsName };
    case "network.remove":
      return { kind: "network", name: step.networkName };
    case "cgroup.remove":
      return { kind: "cgroup", name: step.cgroupPath };
    case "namespace.delete":
      return { kind: "namespace", name: step.namespace };
    case "orphan.remove":
      return { kind: step.object, name: step.orphanId };
    case "files.remove":
      if (step.area === "records") return { kind: "records", name: `${found.records.length} record file(s)` };
      return { kind: step.area, name: (step.area === "logs" ? found.logs : found.secrets).join(", ") };
    default:
      return { kind: "container", name: step.id }; // purgeSteps makes no other kind
  }
}

/** One line for the report: the error's summary and the first line of its detail. */
function describe(e: KukeError): string {
  return e.detail ? `${e.message}: ${e.detail.split("\n")[0]}` : e.message;
}
