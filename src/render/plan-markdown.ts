/**
 * The review view of a plan (`kuke plan -o markdown`, `kuke show PLANFILE -o markdown`): Markdown
 * that can be posted as-is as a GitHub or GitLab pull-request comment. A summary line, then one
 * collapsible `<details>` block per changed resource with Terraform's gutter inside a `diff` fence
 * (so the forge colours `+` and `-`), replacements and deletions first with their reasons.
 *
 * Renders from the plan object only (CONVENTIONS 2), with the same attribute lines as the human
 * view (`plan-lines.ts`), so sensitive values are masked the same way.
 *
 * Escaping: every value that comes from a manifest or the host (addresses excepted, which are DNS
 * labels) is printed either inside a code fence or inside an HTML `<code>` element. A fence is made
 * one backtick longer than the longest backtick run of its content, so nothing can close it; text
 * in `<code>` has `&`, `<` and `>` escaped and its line breaks folded, so it can neither open HTML
 * nor end the `<details>` block. Forges do not turn `@name`, `#123` or commit hashes inside code
 * into mentions or links, so nothing in a plan pings anyone.
 */
import type { Diagnostic, Plan, ResourceChange } from "../planner/types.js";
import {
  changeBody,
  GUTTERS,
  HEADERS,
  hiddenNote,
  ORPHANS_HEADING,
  orphanLine,
  planTotals,
  resourceName,
} from "./plan-lines.js";

/** Replacements and deletions first: what a reviewer must not miss. */
const ORDER: Readonly<Record<string, number>> = { replace: 0, delete: 1, create: 2, update: 3 };

export interface MarkdownRenderOptions {
  /**
   * Longest text to return. Resource blocks that would pass it are left out (replacements and
   * deletions, which come first, are the last to go) and a note says how many: GitHub refuses
   * comments over 65,536 characters, so a plan of a few hundred resources still posts.
   * @default 60000
   */
  maxLength?: number;
}

/** Room kept for the note about left-out blocks. */
const NOTE_ROOM = 400;

export function renderPlanMarkdown(plan: Plan, options: MarkdownRenderOptions = {}): string {
  const maxLength = options.maxLength ?? 60_000;
  const changes = plan.changes
    .filter((ch) => ch.action !== "noop" && ch.action !== "read")
    .map((ch, i) => ({ ch, i }))
    .sort((a, b) => (ORDER[a.ch.action] ?? 9) - (ORDER[b.ch.action] ?? 9) || a.i - b.i)
    .map(({ ch }) => ch);
  const totals = planTotals(plan);
  const out: string[] = [
    totals === undefined
      ? "**kuke plan: no changes.** The host matches the configuration."
      : `**kuke plan:** ${totals}`,
    "",
  ];
  if (plan.errors.length > 0) {
    const errors = plan.errors.filter((e) => e.severity === "error").length;
    const warnings = plan.errors.length - errors;
    out.push(
      `**${count(errors, "error")}, ${count(warnings, "warning")}:**`,
      "",
      ...fence("text", plan.errors.flatMap(diagnosticLines)),
      "",
    );
  }
  if (!plan.options.refresh) {
    out.push("_Planned with `--refresh=false`: the host was not read; this plan assumes nothing exists on it._", "");
  }
  const orphans = plan.orphans ?? [];
  if (orphans.length > 0) {
    out.push(`**${ORPHANS_HEADING}:**`, "", ...fence("text", orphans.map(orphanLine)), "");
  }
  const stopped = plan.drift.filter((d) => d.kind === "stopped-by-kuke");
  const drift = plan.drift.filter((d) => d.kind !== "stopped-by-kuke");
  if (drift.length > 0) {
    out.push("**Objects changed outside kuke** (this plan repairs them):", "");
    out.push(
      ...fence(
        "text",
        drift.map((d) => `# ${d.address}: ${d.text}`),
      ),
      "",
    );
  }
  if (stopped.length > 0) {
    out.push("**Stopped with `kuke stop`** (kept stopped; `kuke start` starts them again):", "");
    out.push(
      ...fence(
        "text",
        stopped.map((d) => `# ${d.address}: ${d.text}`),
      ),
      "",
    );
  }
  const tail: string[] = [];
  const quiet = plan.changes.filter((ch) => ch.action === "noop" && (ch.ignoredPaths?.length ?? 0) > 0);
  if (quiet.length > 0) {
    tail.push("**Ignored by `lifecycle.ignoreChanges`** (the files differ, the host keeps the applied values):", "");
    tail.push(
      ...fence(
        "text",
        quiet.map((ch) => `# ${ch.address}: ${ch.ignoredPaths!.join(", ")}`),
      ),
      "",
    );
  }
  if (plan.notInConfiguration.length > 0) {
    tail.push("**Not in configuration** (kept; run with `--prune` to delete):", "");
    tail.push(
      ...fence(
        "text",
        plan.notInConfiguration.map((a) => `# ${a}`),
      ),
      "",
    );
  }
  let length = [...out, ...tail].reduce((n, l) => n + l.length + 1, 0);
  const left: ResourceChange[] = [];
  for (const ch of changes) {
    const block = [...renderChange(ch), ""];
    const size = block.reduce((n, l) => n + l.length + 1, 0);
    if (left.length > 0 || length + size + NOTE_ROOM > maxLength) {
      left.push(ch);
      continue;
    }
    out.push(...block);
    length += size;
  }
  if (left.length > 0) out.push(leftOutNote(left), "");
  out.push(...tail);
  while (out.at(-1) === "") out.pop();
  return `${out.join("\n")}\n`;
}

function renderChange(ch: ResourceChange): string[] {
  const gutter = (GUTTERS[ch.action] ?? "~").trim();
  const reason = ch.reason !== undefined ? [`because ${ch.reason.text}`] : [];
  const restarts = ch.restarts ? ["task restarts"] : [];
  const ignored =
    (ch.ignoredPaths?.length ?? 0) > 0 ? [`ignored by lifecycle.ignoreChanges: ${ch.ignoredPaths!.join(", ")}`] : [];
  const notes = [...(ch.reason !== undefined ? [`because <code>${html(ch.reason.text)}</code>`] : []), ...restarts];
  const summary =
    `<code>${gutter}</code> <b>${html(ch.address)}</b> ${HEADERS[ch.action] ?? ch.action}` +
    (notes.length > 0 ? ` (${notes.join(", ")})` : "");
  const { lines, hidden } = changeBody(ch);
  const width = Math.max(0, ...lines.map((l) => l.name.length));
  const body = [
    `# ${ch.address} ${HEADERS[ch.action] ?? ch.action}`,
    ...[...reason, ...restarts, ...ignored].map((n) => `# (${n})`),
    `${gutter} ${ch.kind} "${resourceName(ch.address)}" {`,
    ...lines.map(
      (l) => `${l.gutter}     ${l.name.padEnd(width)} = ${l.text}${l.note !== undefined ? ` ${l.note}` : ""}`,
    ),
    ...(hidden > 0 ? [`      ${hiddenNote(hidden)}`] : []),
    "  }",
  ];
  return [`<details><summary>${summary}</summary>`, "", ...fence("diff", body), "", "</details>"];
}

/** `_3 more resources (2 to add, 1 to change) are not shown: …_` */
function leftOutNote(left: readonly ResourceChange[]): string {
  const by = (a: string) => left.filter((ch) => ch.action === a).length;
  const parts = [
    [by("create"), "to add"],
    [by("update"), "to change"],
    [by("replace"), "to replace"],
    [by("delete"), "to destroy"],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n} ${what}`);
  return (
    `_${count(left.length, "more resource")} (${parts.join(", ")}) not shown, to keep this comment within ` +
    "the forge's size limit: `kuke show PLANFILE` or the CI log's `kuke plan` output lists every change._"
  );
}

function diagnosticLines(d: Diagnostic): string[] {
  const lines = [`${d.severity === "error" ? "Error" : "Warning"}: ${d.address ? `${d.address}: ` : ""}${d.summary}`];
  if (d.detail) lines.push(...d.detail.split("\n").map((l) => `  ${l}`));
  if (d.remedy) lines.push(`  Remedy: ${d.remedy}`);
  return lines;
}

/**
 * A fenced code block whose fence is longer than any backtick run inside, so no value can end it
 * early. Control characters (a line break inside a label key) are shown escaped, one line per line.
 */
export function fence(info: string, lines: readonly string[]): string[] {
  const safe = lines.map((l) => l.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1)));
  const longest = Math.max(0, ...safe.flatMap((l) => (l.match(/`+/g) ?? []).map((run) => run.length)));
  const marks = "`".repeat(Math.max(3, longest + 1));
  return [`${marks}${info}`, ...safe, marks];
}

/** Text for inside an HTML element of the `<details>` block: one line, no markup. */
export function html(text: string): string {
  return text.replace(/\s+/g, " ").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
