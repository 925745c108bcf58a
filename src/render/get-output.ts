/**
 * `kuke get realms|spaces|stacks|cells|containers [NAME] [scope] -o table|yaml|json`: picks the
 * asked-for resources out of a status report and renders them. Pure: the caller passes the clock.
 */
import { stringify } from "yaml";
import { canonicalJson } from "../model/index.js";
import type { ResourceStatus, StatusReport } from "../status/types.js";
import { type GetKind, itemOf, tableOf } from "./get-items.js";
import { renderTable } from "./get-table.js";

export type GetFormat = "table" | "yaml" | "json";

/** Which resources to show: a kind, optionally one name, narrowed by the enclosing names given. */
export interface GetQuery {
  kind: GetKind;
  name?: string;
  realm?: string;
  space?: string;
  stack?: string;
  cell?: string;
}

export interface GetRenderOptions {
  /** @default "table" */
  format?: GetFormat;
  /** The time AGE is measured against. */
  now: Date;
}

/** The statuses of `query.kind` that match the name and every scope name given, in address order. */
export function selectGet<K extends GetKind>(report: StatusReport, query: GetQuery & { kind: K }): StatusReport[K] {
  const items = report[query.kind] as ResourceStatus[];
  const scope = ["realm", "space", "stack", "cell"] as const;
  return items.filter((s) => {
    if (query.name !== undefined && s.name !== query.name) return false;
    const fields = s as unknown as Record<string, unknown>;
    return scope.every((k) => query[k] === undefined || fields[k] === query[k]);
  }) as StatusReport[K];
}

/**
 * The output of `kuke get`. Tables end with a newline and say so when nothing matched; JSON and
 * YAML are `{format_version: "1", kind, items}` with keys sorted, so equal states give equal bytes.
 */
export function renderGet(report: StatusReport, query: GetQuery, options: GetRenderOptions): string {
  const items = selectGet(report, query);
  const format = options.format ?? "table";
  if (format === "table") {
    if (items.length === 0) return `No ${query.kind} found.\n`;
    const { headers, rows } = tableOf(query.kind, items, options.now);
    return renderTable(headers, rows);
  }
  const doc = JSON.parse(
    canonicalJson({ format_version: "1", kind: query.kind, items: (items as ResourceStatus[]).map(itemOf) }),
  ) as unknown;
  return format === "json" ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc);
}
