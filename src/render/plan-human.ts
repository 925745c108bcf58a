/**
 * The human view of a plan, in Terraform's grammar. It renders *from* the plan object only (no
 * desired or actual state), so `kuke show PLANFILE` prints exactly what `kuke plan` printed.
 */

import { Chalk, type ChalkInstance } from "chalk";
import type { JsonValue, ResourceView } from "../model/index.js";
import type { Diagnostic, Plan, ResourceChange } from "../planner/types.js";

export interface HumanRenderOptions {
  /** Use ANSI colours. The caller decides (terminal, `--no-color`, `NO_COLOR`). */
  color: boolean;
}

/** What a plan holds instead of a sensitive value (see `src/planner/resource-view.ts`). */
const SENSITIVE = "(sensitive value)";

const HEADERS: Record<string, string> = {
  create: "will be created",
  update: "will be updated in-place",
  replace: "must be replaced",
  delete: "will be destroyed",
};
const GUTTERS: Record<string, string> = { create: "  +", update: "  ~", replace: "-/+", delete: "  -" };

export function renderPlanHuman(plan: Plan, options: HumanRenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const out: string[] = [];
  // A task stopped with `kuke stop` is kuke's own doing, not drift: it is listed apart and kept.
  const stopped = plan.drift.filter((d) => d.kind === "stopped-by-kuke");
  const drift = plan.drift.filter((d) => d.kind !== "stopped-by-kuke");
  if (drift.length > 0) {
    out.push(c.bold("Objects changed outside kuke"), "");
    for (const d of drift) out.push(`  # ${c.bold(d.address)}: ${d.text}`);
    out.push("", "kuke will repair these as part of the plan below.", "");
  }
  if (stopped.length > 0) {
    out.push(c.bold("Stopped with kuke stop (kept stopped; kuke start starts them again)"), "");
    for (const d of stopped) out.push(`  # ${c.bold(d.address)}: ${d.text}`);
    out.push("");
  }
  const changes = plan.changes.filter((ch) => ch.action !== "noop" && ch.action !== "read");
  if (changes.length > 0) {
    out.push("kuke will perform the following actions:", "");
    for (const ch of changes) out.push(...renderChange(ch, c), "");
  }
  if (plan.notInConfiguration.length > 0) {
    out.push("Not in configuration:", "");
    for (const a of plan.notInConfiguration) {
      out.push(`  # ${c.bold(a)} is not in the configuration and will be kept; run with --prune to delete`);
    }
    out.push("");
  }
  for (const e of plan.errors) out.push(...renderDiagnostic(e, c), "");
  if (changes.length === 0) {
    out.push(c.green("No changes. The host matches the configuration."));
  } else {
    const s = plan.summary;
    out.push(
      `${c.bold("Plan:")} ${s.add} to add, ${s.change} to change, ${s.replace} to replace, ${s.destroy} to destroy.`,
    );
  }
  return `${out.join("\n")}\n`;
}

function renderDiagnostic(d: Diagnostic, c: ChalkInstance): string[] {
  const label = d.severity === "error" ? c.red.bold("Error:") : c.yellow.bold("Warning:");
  const lines = [`${label} ${d.address ? `${d.address}: ` : ""}${d.summary}`];
  if (d.detail) lines.push(...d.detail.split("\n").map((l) => `  ${l}`));
  if (d.remedy) lines.push(`  Remedy: ${d.remedy}`);
  return lines;
}

function colorFor(action: string, c: ChalkInstance): ChalkInstance {
  if (action === "create") return c.green;
  if (action === "delete") return c.red;
  if (action === "replace") return c.magenta;
  return c.yellow;
}

function renderChange(ch: ResourceChange, c: ChalkInstance): string[] {
  const paint = colorFor(ch.action, c);
  const lines = [`  # ${c.bold(ch.address)} ${HEADERS[ch.action]}`];
  if (ch.reason !== undefined) lines.push(`  # (because ${ch.reason.text})`);
  if (ch.restarts) lines.push("  # (task restarts)");
  const name = ch.address.slice(ch.address.indexOf("/") + 1);
  lines.push(`${paint(GUTTERS[ch.action] ?? "  ~")} ${ch.kind} "${name}" {`);
  lines.push(...renderBody(ch, c).map((l) => `      ${l}`));
  lines.push("    }");
  return lines;
}

/** Flat leaves of a view: `labels.k`, spec fields without the `spec.` prefix, computed values. */
function leaves(view: ResourceView | null): Map<string, JsonValue> {
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
  for (const [k, v] of Object.entries(view.computed ?? {})) out.set(k, v);
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

interface Line {
  gutter: string;
  name: string;
  text: string;
  note?: string;
}

function renderBody(ch: ResourceChange, c: ChalkInstance): string[] {
  const before = leaves(ch.before);
  const after = leaves(ch.after);
  const lines: Line[] = [];
  if (ch.action === "create" || (ch.action === "replace" && ch.changedPaths.length === 0 && ch.before === null)) {
    for (const [p, v] of after) lines.push({ gutter: "+", name: p, text: value(v) });
  } else if (ch.action === "delete") {
    for (const [p, v] of before) lines.push({ gutter: "-", name: p, text: value(v) });
  } else {
    for (const fc of ch.fieldEffects) {
      const prefix = display(fc.path);
      const note = fc.forcesReplacement
        ? "# forces replacement"
        : fc.effect === "immutable"
          ? "# immutable: needs --replace"
          : undefined;
      const under = (p: string) => p === prefix || p.startsWith(`${prefix}.`) || p.startsWith(`${prefix}[`);
      const keys = [...new Set([...before.keys(), ...after.keys()].filter(under))].sort();
      if (keys.length === 0) keys.push(prefix);
      for (const k of keys) {
        const b = before.get(k);
        const a = after.get(k);
        const line: Line =
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
  const width = Math.max(0, ...lines.map((l) => l.name.length));
  const paint = (g: string) => (g === "+" ? c.green(g) : g === "-" ? c.red(g) : c.yellow(g));
  const out = lines.map((l) => {
    const note = l.note !== undefined ? ` ${c.dim(l.note)}` : "";
    return `${paint(l.gutter)} ${l.name.padEnd(width)} = ${l.text}${note}`;
  });
  if (hidden > 0) out.push(c.dim(`  # (${hidden} unchanged attribute${hidden === 1 ? "" : "s"} hidden)`));
  return out;
}
