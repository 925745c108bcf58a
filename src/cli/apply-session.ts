/**
 * The shared body of `kuke apply` and `kuke destroy`: approval rules, lock message, progress,
 * Ctrl-C, plan output and the exit code for each outcome.
 */
import { validationReport } from "../manifest/report.js";
import { KukeError } from "../model/index.js";
import type { Plan } from "../planner/index.js";
import type { HostPaths } from "../runner/host-paths.js";
import type { Impact } from "../runner/impact.js";
import { type ApplyInput, type ApplyOutcome, applyPlan } from "../runner/operations/apply.js";
import { planErrorExitCode } from "../runner/operations/plan.js";
import type { RunEvent } from "../runner/pipeline.js";
import type { PlanRequest } from "../runner/planning.js";
import { writeApplyResult } from "./apply-output.js";
import { askApproval, canPrompt } from "./approval.js";
import { type InterruptSource, interruptGraceMs, listenForInterrupts } from "./interrupts.js";
import { lockTakeoverWriter } from "./lock-messages.js";
import { diagnosticStyle, type OutputStream } from "./output-style.js";
import { type PlanStreams, warningWriter, writePlan } from "./plan-output.js";
import { type ProgressMode, progressFor } from "./progress.js";
import { writeValidation } from "./validation-output.js";

export interface ApplySessionOptions {
  paths: HostPaths;
  request: PlanRequest;
  input: ApplyInput;
  streams: PlanStreams;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  autoApprove: boolean;
  json: boolean;
  /** How steps are shown while they run (`--progress`). @default "auto" */
  progress?: ProgressMode;
  /** How a `json` result is written: JSON, or the same document as YAML (kukeon's `-o yaml`). @default "json" */
  format?: StructuredFormat;
  destroy: boolean;
  parallelism: number;
  maxImpact?: Impact;
  lockTimeoutMs: number;
  command: string;
  interrupts: InterruptSource;
}

/**
 * apply and destroy always read the host under the lock (a plan that runs must be the plan of the
 * host as it is), so `--refresh=false` is refused rather than silently ignored.
 */
export function refuseNoRefresh(refresh: boolean, verb: string): void {
  if (refresh) return;
  throw new KukeError("usage", `${verb} always reads the host; --refresh=false is only for kuke plan`, {
    remedy: `drop --refresh=false, or preview with kuke plan … --refresh=false`,
  });
}

/**
 * Refuses before anything is read when approval would be needed but nobody can give it: a
 * non-interactive apply must say `--auto-approve` instead of hanging.
 */
export function checkApprovalPossible(o: {
  autoApprove: boolean;
  stdin: NodeJS.ReadableStream;
  verb: string;
  json: boolean;
}): void {
  if (o.autoApprove) return;
  // stdout carries one JSON document; a question there would break every reader of it.
  if (o.json) {
    throw new KukeError("usage", `${o.verb} --json needs --auto-approve: stdout holds only the JSON result`, {
      remedy: `review the plan with kuke plan --json, then run kuke ${o.verb} … --json --auto-approve`,
    });
  }
  if (canPrompt(o.stdin)) return;
  throw new KukeError("usage", `${o.verb} needs approval, and standard input is not a terminal`, {
    remedy: `review the plan with kuke plan, then run kuke ${o.verb} … --auto-approve`,
  });
}

export async function runApplySession(o: ApplySessionOptions): Promise<number> {
  const s = o.streams;
  const cancel = listenForInterrupts(o.interrupts, s.stderr, interruptGraceMs(o.env));
  const mode = o.progress ?? "auto";
  // With --json the steps are silent, unless --progress json asks for them as JSON lines.
  const progress = mode === "json" || !o.json ? progressFor(mode, s.stdout, s.colorOut) : undefined;
  let outcome: ApplyOutcome;
  try {
    outcome = await applyPlan({
      ...o.paths,
      ...o.request,
      input: o.input,
      parallelism: o.parallelism,
      ...(o.maxImpact ? { maxImpact: o.maxImpact } : {}),
      lockTimeoutMs: o.lockTimeoutMs,
      command: o.command,
      onLockWait: (h) =>
        s.stderr.write(
          `Waiting for the run-path lock${h ? ` held by pid ${h.pid} on ${h.host} (${h.command}) since ${h.acquiredAt}` : ""}…\n`,
        ),
      onLockTakeover: lockTakeoverWriter(s.stderr),
      onPlan: (plan) => {
        if (!o.json) writePlan(plan, s, "human");
      },
      ...(o.autoApprove ? {} : { confirm: (plan: Plan) => confirm(o, plan, cancel.signal) }),
      ...(progress
        ? { onEvent: (e: RunEvent) => progress.onEvent(e), onSteps: (n: number) => progress.onSteps(n) }
        : {}),
      signal: cancel.signal,
      abortSteps: cancel.abortSteps,
      env: o.env,
      onWarning: warningWriter(s),
    });
  } finally {
    cancel.dispose();
    progress?.end();
  }
  // The yaml package is a large part of start-up: loaded only for `-o yaml`.
  const toYaml = documentFormat(o) === "yaml" ? (await import("yaml")).stringify : undefined;
  return finish(o, outcome, cancel.interrupted(), toYaml);
}

function confirm(o: ApplySessionOptions, plan: Plan, signal: AbortSignal): Promise<boolean> {
  const destroying = o.destroy || plan.options.destroy;
  return askApproval(
    o.stdin,
    o.streams.stdout,
    destroying ? "Do you really want to destroy these resources?" : "Do you want to perform these actions?",
    destroying
      ? "kuke will destroy the resources described above. There is no undo."
      : "kuke will perform the actions described above.",
    signal,
  );
}

/** `interrupted`: Ctrl-C was pressed (at the question or during the steps). */
function finish(o: ApplySessionOptions, outcome: ApplyOutcome, interrupted: boolean, toYaml?: YamlWriter): number {
  const s = o.streams;
  const writeDocument = (out: OutputStream, format: StructuredFormat | "json-line", value: Record<string, unknown>) =>
    writeDocumentAs(out, format, value, toYaml);
  switch (outcome.kind) {
    case "invalid":
      if (documentFormat(o) === "json-line") {
        // The stream's last line is always the result, an invalid manifest's report included.
        writeDocument(s.stdout, "json-line", { ...validationReport(outcome.load), status: "invalid" });
        return 65;
      }
      return writeValidation(outcome.load, {
        stdout: s.stdout,
        stderr: s.stderr,
        json: o.json,
        style: diagnosticStyle(s.colorErr),
      });
    case "plan-errors":
      if (o.json) writeDocument(s.stdout, documentFormat(o), { status: "plan-errors", plan: outcome.plan });
      else s.stderr.write("\nThe plan has errors; nothing was changed.\n");
      return planErrorExitCode(outcome.plan);
    case "no-changes":
      if (o.json) writeDocument(s.stdout, documentFormat(o), { status: "no-changes", plan: outcome.plan });
      return 0;
    case "declined":
      s.stderr.write(`${o.destroy ? "Destroy" : "Apply"} cancelled.\n`);
      // Ctrl-C at the question is a cancellation (8), a "no" is not an approval (1).
      return interrupted ? 8 : 1;
    case "applied": {
      const r = outcome.result;
      if (o.json) {
        writeDocument(s.stdout, documentFormat(o), {
          status: r.status,
          applyId: r.applyId,
          plan: outcome.plan,
          steps: r.summary,
          failures: r.failures.map((f) => ({
            step: f.stepId,
            kind: f.kind,
            address: f.address,
            code: f.error.code,
            message: f.error.message,
          })),
        });
        return r.status === "succeeded" ? 0 : r.cancelled ? 8 : 3;
      }
      return writeApplyResult(outcome.plan, r, s.stdout, s.stderr, {
        color: s.colorOut,
        destroy: o.destroy || outcome.plan.options.destroy,
      });
    }
  }
}

/** `-o json|yaml`: the versioned result document, as JSON or as YAML. */
export type StructuredFormat = "json" | "yaml";

/** `json-line`: after `--progress json` events, the result is the last line, `"type": "result"`. */
function documentFormat(o: ApplySessionOptions): StructuredFormat | "json-line" {
  return o.progress === "json" ? "json-line" : (o.format ?? "json");
}

/** `yaml`'s `stringify`. */
type YamlWriter = (value: unknown) => string;

function writeDocumentAs(
  out: OutputStream,
  format: StructuredFormat | "json-line",
  value: Record<string, unknown>,
  toYaml: YamlWriter | undefined,
): void {
  if (format === "json-line") {
    out.write(`${JSON.stringify({ format_version: "1", type: "result", ...value })}\n`);
    return;
  }
  const doc = { format_version: "1", ...value };
  // The JSON round trip drops undefined members so both formats hold the same document.
  out.write(format === "yaml" ? toYaml!(JSON.parse(JSON.stringify(doc))) : `${JSON.stringify(doc, null, 2)}\n`);
}

/**
 * `-o FORMAT` of kukeon's apply and delete: json or yaml, anything else is a usage error.
 * @throws KukeError `usage`
 */
export function parseStructuredFormat(text: string): StructuredFormat {
  if (text === "json" || text === "yaml") return text;
  throw new KukeError("usage", `-o must be json or yaml, got '${text}'`, {
    remedy: "pass -o json or -o yaml (or leave it out for the human report)",
  });
}
