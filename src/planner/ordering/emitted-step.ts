/**
 * What the step emitters hand to the ordering rules, and the read-only lookups the rules share.
 *
 * Edge direction, stated once: an edge `[a, b]` means step `a` finishes before step `b` starts, so
 * `b` lists `a` in its `dependsOn` (the same direction as `src/graph/dag.ts`).
 */
import { parentKey } from "../address-keys.js";
import type { Step, StepKind } from "../step-types.js";

type WithoutDependencies<S> = S extends Step ? Omit<S, "dependsOn"> : never;

/** A step as an emitter makes it: everything but `dependsOn`, which only the ordering rules fill. */
export type UnorderedStep = WithoutDependencies<Step>;

/** The part of a plan a step carries out: tearing down, building or updating, or a task operation of `kuke start|stop|kill`. */
export type Phase = "teardown" | "build" | "task";

/** An emitted step and the facts about it that the ordering rules read. */
export interface EmittedStep {
  step: UnorderedStep;
  phase: Phase;
  /**
   * The resource whose teardown or build emitted the step: the step's own address, except that a
   * cell torn down or built as a whole owns the steps of its containers.
   */
  resource: string;
  /** Steps at a container address: whether the container is its cell's root. */
  role?: "root" | "workload";
}

/** `[before, after]`: `before` finishes before `after` starts. */
export type Edge = readonly [before: string, after: string];

/** A named ordering rule: reads the emitted steps, returns the edges its reason requires. */
export type OrderingRule = (steps: StepIndex) => Edge[];

/** Read-only lookups over one list of emitted steps, built once and shared by every rule. */
export interface StepIndex {
  readonly all: readonly EmittedStep[];
  /** Steps of `phase` at `address`, of the given kinds (every kind when none is given). */
  at(address: string, phase: Phase, ...kinds: StepKind[]): EmittedStep[];
  /** Steps of `phase` at the container addresses directly inside `cell`, of the given kinds. */
  inCell(cell: string, phase: Phase, ...kinds: StepKind[]): EmittedStep[];
  /** Steps of `phase` that `resource` owns. */
  of(resource: string, phase: Phase): readonly EmittedStep[];
  /** Resources that own steps of `phase`, in emission order. */
  resources(phase: Phase): string[];
  /** Steps of `phase` and of one of `kinds`, in emission order. */
  each(phase: Phase, ...kinds: StepKind[]): EmittedStep[];
  /** The parent address of `address` (undefined for a realm), computed once per address. */
  parent(address: string): string | undefined;
}

export function indexSteps(steps: readonly EmittedStep[]): StepIndex {
  // phase → key → steps, with keys: addresses, cells (of container steps), resources, kinds.
  type Lists = Record<Phase, Map<string, EmittedStep[]>>;
  const lists = (): Lists => ({ teardown: new Map(), build: new Map(), task: new Map() });
  const byAddress = lists();
  const byCell = lists();
  const byResource = lists();
  const byKind = lists();
  const parents = new Map<string, string | undefined>();
  const parent = (address: string) => {
    if (!parents.has(address)) parents.set(address, parentKey(address));
    return parents.get(address);
  };
  const push = (m: Lists, phase: Phase, k: string, s: EmittedStep) => {
    const list = m[phase].get(k);
    if (list === undefined) m[phase].set(k, [s]);
    else list.push(s);
  };
  for (const s of steps) {
    push(byAddress, s.phase, s.step.address, s);
    push(byResource, s.phase, s.resource, s);
    push(byKind, s.phase, s.step.kind, s);
    if (s.step.address.startsWith("container/")) push(byCell, s.phase, parent(s.step.address)!, s);
  }
  const none: EmittedStep[] = [];
  const pick = (list: EmittedStep[] | undefined, kinds: StepKind[]) =>
    list === undefined ? none : kinds.length === 0 ? list : list.filter((s) => kinds.includes(s.step.kind));
  return {
    all: steps,
    at: (address, phase, ...kinds) => pick(byAddress[phase].get(address), kinds),
    inCell: (cell, phase, ...kinds) => pick(byCell[phase].get(cell), kinds),
    of: (resource, phase) => byResource[phase].get(resource) ?? none,
    resources: (phase) => [...byResource[phase].keys()],
    each: (phase, ...kinds) => kinds.flatMap((k) => byKind[phase].get(k) ?? none),
    parent,
  };
}

/** Every step of `before` ahead of every step of `after`. */
export function edges(before: readonly EmittedStep[], after: readonly EmittedStep[]): Edge[] {
  const out: Edge[] = [];
  for (const b of before) for (const a of after) out.push([b.step.id, a.step.id]);
  return out;
}
