/**
 * The ordering rules, in the order they apply, and `orderSteps`, which turns emitted steps into
 * steps with `dependsOn`. Rules only add edges, so their order changes nothing but the order of
 * this list, which reads as DESIGN §4: teardown (children first, a cell in reverse), then building
 * (replaced resources gone first, parents first, a cell in order), updates, and task operations.
 */
import type { Step } from "../step-types.js";
import {
  attachAfterPin,
  attachAfterSpace,
  cgroupEnsuredBeforeUse,
  containerAfterImage,
  egressAfterNetwork,
  imagesAfterRealm,
  parentsBeforeChildren,
  pinAfterRootTask,
  recordWrittenOnceItExists,
  replacedTornDownFirst,
  restartAfterSpecUpdate,
  restartStartsAfterStop,
  runStateAfterRecord,
  runStateAfterTaskOps,
  taskAfterContainer,
  workloadsJoinRunningRoot,
  workloadTasksAfterAttach,
} from "./build-rules.js";
import { type EmittedStep, indexSteps, type OrderingRule } from "./emitted-step.js";
import {
  cellCgroupAfterContainerCgroups,
  cellContainersDeletedAfterRootStops,
  childrenTornDownFirst,
  containerCgroupAfterContainer,
  containerDeletedAfterItsTask,
  detachAfterWorkloadsStop,
  egressRemovedBeforeNetwork,
  orphansRemovedFirst,
  recordDeletedLast,
  unpinAfterDetach,
  workloadTasksStopBeforeRoot,
} from "./teardown-rules.js";

/** Every ordering rule, in the order `orderSteps` applies them (each file says why each exists). */
export const ORDERING_RULES: Readonly<Record<string, OrderingRule>> = {
  // Teardown: children first; inside a cell, DESIGN §4 reversed.
  childrenTornDownFirst,
  workloadTasksStopBeforeRoot,
  detachAfterWorkloadsStop,
  unpinAfterDetach,
  containerDeletedAfterItsTask,
  cellContainersDeletedAfterRootStops,
  containerCgroupAfterContainer,
  cellCgroupAfterContainerCgroups,
  egressRemovedBeforeNetwork,
  recordDeletedLast,
  orphansRemovedFirst,
  // Building: the old resource gone, parents first; inside a new cell, DESIGN §4.
  replacedTornDownFirst,
  parentsBeforeChildren,
  imagesAfterRealm,
  egressAfterNetwork,
  containerAfterImage,
  taskAfterContainer,
  workloadsJoinRunningRoot,
  pinAfterRootTask,
  attachAfterPin,
  attachAfterSpace,
  workloadTasksAfterAttach,
  // Updates in place, records, and `kuke start|stop|kill`.
  restartAfterSpecUpdate,
  restartStartsAfterStop,
  cgroupEnsuredBeforeUse,
  recordWrittenOnceItExists,
  runStateAfterRecord,
  runStateAfterTaskOps,
};

/**
 * The emitted steps with `dependsOn` filled by `rules` (each list sorted, without repeats), in
 * emission order. Step ids must be unique; every edge a rule returns joins two emitted steps.
 */
export function orderSteps(
  emitted: readonly EmittedStep[],
  rules: Readonly<Record<string, OrderingRule>> = ORDERING_RULES,
): Step[] {
  const ix = indexSteps(emitted);
  const deps = new Map<string, Set<string>>(emitted.map((e) => [e.step.id, new Set<string>()]));
  for (const rule of Object.values(rules)) {
    for (const [before, after] of rule(ix)) deps.get(after)!.add(before);
  }
  return emitted.map((e) => ({ ...e.step, dependsOn: [...deps.get(e.step.id)!].sort() }) as Step);
}
