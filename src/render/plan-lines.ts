/**
 * The attribute lines of one resource change, in Terraform's grammar, shared by the human and the
 * Markdown views so both show the same lines: which attributes, which gutter (`+`, `-`, `~`), which
 * note (`# forces replacement`) and how many unchanged attributes are hidden. Pure; renders from the
 * `ResourceChange` alone.
 */
import type { JsonValue, ResourceView } from "../model/index.js";
import type { OrphanRemoval, Plan, ResourceChange } from "../planner/types.js";

/** What a plan holds instead of a sensitive value (see `src/planner/resource-view.ts`). */
export const SENSITIVE = "(sensitive value)";

/** The comment after a resource's address, by action. */
export const HEADERS: Readonly<Record<string, string>> = {
  create: "will be created",
  update: "will be updated in-place",
  replace: "must be replaced",
  delete: "will be destroyed",
};

/** The gutter of a resource's opening line, by action (right-aligned to three columns). */
export const GUTTERS: Readonly<Record<string, string>> = {
  create: "  +",
  update: "  ~",
  replace: "-/+",
  delete: "  -",
};

export interface AttributeLine {
  /** `" "`: unchanged, shown for context (the tag whose digest moved). */
  gutter: "+" | "-" | "~" | " ";
  /** Flat attribute name: `env`, `resources.memoryLimitBytes`, `labels.team`, `ip`. */
  name: string;
  /** The value, `old -> new`, `(known after apply)` or `(sensitive value)`. */
  text: string;
  /** `# forces replacement`, `# immutable: needs --replace`. */
  note?: string;
}

export interface ChangeBody {
  lines: AttributeLine[];
  /** Attributes present before or after that no line shows. */
  hidden: number;
}

/** `main/web/app/api` of `cell/main/web/app/api`: what Terraform shows in quotes after the type. */
export function resourceName(address: string): string {
  return address.slice(address.indexOf("/") + 1);
}

/** The lines of a change: every attribute of a create or delete, the changed ones otherwise. */
export function changeBody(ch: ResourceChange): ChangeBody {
  const masked = new Set(ch.sensitivePaths.map(display));
  const before = leaves(ch.before, masked);
  const after = leaves(ch.after, masked);
  const lines: AttributeLine[] = [];
  if (ch.action === "create" || (ch.action === "replace" && ch.changedPaths.length === 0 && ch.before === null)) {
    for (const [p, v] of after) lines.push({ gutter: "+", name: p, text: value(v) });
  } else if (ch.action === "delete") {
    for (const [p, v] of before) lines.push({ gutter: "-", name: p, text: value(v) });
  } else {
    // A moved tag: the reference it moved under, unchanged, above its two digests.
    const paths = ch.fieldEffects.map((f) => f.path);
    if (paths.includes("spec.imageDigest") && !paths.includes("spec.image") && after.has("image")) {
      lines.push({ gutter: " ", name: "image", text: value(after.get("image")) });
    }
    for (const fc of ch.fieldEffects) {
      const prefix = display(fc.path);
      const note = fc.forcesReplacement
        ? "# forces replacement"
        : fc.effect === "immutable"
          ? "# immutable: needs --replace"
          : undefined;
      const keys = [...new Set([...before.keys(), ...after.keys()].filter((p) => under(p, prefix)))].sort();
      if (keys.length === 0) keys.push(prefix);
      for (const k of keys) {
        const b = before.get(k);
        const a = after.get(k);
        const line: AttributeLine =
          b === undefined
            ? { gutter: "+", name: k, text: value(a) }
            : a === undefined
              ? { gutter: "-", name: k, text: value(b) }
              : { gutter: "~", name: k, text: `${value(b)} -> ${value(a)}` };
        if (note !== undefined) line.note = note;
        lines.push(line);
      }
    }
  }
  for (const p of ch.knownAfterApply) {
    const old = before.get(display(p));
    lines.push(
      old === undefined
        ? { gutter: "+", name: display(p), text: "(known after apply)" }
        : { gutter: "~", name: display(p), text: `${value(old)} -> (known after apply)` },
    );
  }
  const shown = new Set(lines.map((l) => l.name));
  const hidden = new Set([...before.keys(), ...after.keys()].filter((k) => !shown.has(k))).size;
  return { lines, hidden };
}

/** `# (3 unchanged attributes hidden)` */
export function hiddenNote(hidden: number): string {
  return `# (${hidden} unchanged attribute${hidden === 1 ? "" : "s"} hidden)`;
}

function under(p: string, prefix: string): boolean {
  return p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`);
}

/**
 * Flat leaves of a view: `labels.k`, spec fields without the `spec.` prefix, computed values.
 * A leaf under one of `masked` shows as `(sensitive value)` whatever the plan holds, so a plan
 * file edited by hand cannot make a renderer print a secret the planner had masked.
 */
function leaves(view: ResourceView | null, masked: ReadonlySet<string>): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  if (view === null) return out;
  const visit = (v: JsonValue, path: string) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) visit(x, path === "" ? k : `${path}.${k}`);
    } else if (Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === "object")) {
      for (const [i, x] of v.entries()) visit(x, `${path}[${i}]`);
    } else if (path !== "") {
      out.set(path, v);
    }
  };
  for (const [k, v] of Object.entries(view.labels)) out.set(`labels.${k}`, v);
  visit(view.spec, "");
  if (view.lifecycle !== undefined) visit(view.lifecycle as { [key: string]: JsonValue }, "lifecycle");
  for (const [k, v] of Object.entries(view.computed ?? {})) out.set(k, v);
  for (const p of out.keys()) {
    if ([...masked].some((m) => under(p, m))) out.set(p, SENSITIVE);
  }
  // Sorted, so a plan read back from key-sorted JSON renders byte for byte the same.
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function display(path: string): string {
  return path.replace(/^spec\./, "").replace(/^computed\./, "");
}

function value(v: JsonValue | undefined): string {
  if (v === SENSITIVE) return SENSITIVE;
  return JSON.stringify(v ?? null);
}

/** The heading over the orphans a plan removes. */
export const ORPHANS_HEADING = "Left by an interrupted apply in containerd (kuke will remove these)";

/** `# container/r/s/t/c/app: snapshot s_t_c_app in r.kukeon.io, left by an interrupted apply: …` */
export function orphanLine(o: OrphanRemoval): string {
  return `# ${o.address}: ${o.object} ${o.id} in namespace ${o.namespace}, ${o.text}`;
}

/**
 * `Plan: 1 to add, … 0 to destroy.` with `, N orphans to remove` when the plan removes orphans;
 * undefined when the plan does nothing at all (the caller says "No changes").
 */
export function planTotals(plan: Plan): string | undefined {
  const s = plan.summary;
  const changes = plan.changes.some((ch) => ch.action !== "noop" && ch.action !== "read");
  const orphans = plan.orphans?.length ?? 0;
  if (!changes && orphans === 0) return undefined;
  const removing = orphans > 0 ? `, ${orphans} orphan${orphans === 1 ? "" : "s"} to remove` : "";
  return `${s.add} to add, ${s.change} to change, ${s.replace} to replace, ${s.destroy} to destroy${removing}.`;
}
