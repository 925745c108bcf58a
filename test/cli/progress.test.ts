/**
 * apply/destroy progress: the live count (done / running / left) redrawn in place on a terminal,
 * plain lines without one, and JSON lines for CI.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseProgress, progressFor, resolveProgress, StepCounts } from "../../src/cli/progress.js";
import { isKukeError } from "../../src/model/index.js";
import type { RunEvent } from "../../src/runner/pipeline.js";
import { CaptureStream } from "./capture.js";

const t = suite("cli/progress");

const events: RunEvent[] = [
  { type: "start", id: "container.create:a", kind: "container.create", address: "container/r/s/t/c/a", elapsedMs: 1 },
  { type: "start", id: "container.create:b", kind: "container.create", address: "container/r/s/t/c/b", elapsedMs: 2 },
  {
    type: "succeed",
    id: "container.create:a",
    kind: "container.create",
    address: "container/r/s/t/c/a",
    elapsedMs: 5,
    durationMs: 4,
  },
  {
    type: "fail",
    id: "container.create:b",
    kind: "container.create",
    address: "container/r/s/t/c/b",
    elapsedMs: 6,
    durationMs: 4,
    error: new Error("boom"),
  },
  {
    type: "skip",
    id: "task.start:b",
    kind: "task.start",
    address: "container/r/s/t/c/b",
    elapsedMs: 6,
    because: "container.create:b",
  },
];

t("the counts: done, running and left of the total", () => {
  const c = new StepCounts();
  c.total = 4;
  assert.is(c.line(), "Steps: 0/4 done, 0 running, 4 left");
  c.apply(events[0]!);
  c.apply(events[1]!);
  assert.is(c.line(), "Steps: 0/4 done, 2 running, 2 left");
  c.apply(events[2]!);
  c.apply(events[3]!);
  c.apply(events[4]!);
  assert.is(c.line(), "Steps: 3/4 done, 0 running, 1 left, 1 failed");
});

t("on a terminal: step lines scroll, one status line is redrawn in place and ends the output", () => {
  const out = new CaptureStream(true);
  const p = progressFor("auto", out, false);
  p.onSteps(3);
  for (const e of events.slice(0, 3)) p.onEvent(e);
  p.end();
  assert.ok(out.text.startsWith("Steps: 0/3 done, 0 running, 3 left"), out.text);
  assert.match(out.text, "\r\x1b[2Kcontainer/r/s/t/c/a: Creating… [container.create]\n");
  assert.ok(out.text.endsWith("\r\x1b[2KSteps: 1/3 done, 1 running, 1 left\n"), JSON.stringify(out.text.slice(-60)));
});

t("without a terminal, or with --progress plain: the plain lines only", () => {
  for (const [mode, tty] of [
    ["auto", false],
    ["plain", true],
  ] as const) {
    const out = new CaptureStream(tty);
    const p = progressFor(mode, out, false);
    p.onSteps(3);
    p.onEvent(events[0]!);
    p.end();
    assert.is(out.text, "container/r/s/t/c/a: Creating… [container.create]\n", `${mode} ${tty}`);
  }
});

t("--progress json: one JSON object per line", () => {
  const out = new CaptureStream(true);
  const p = progressFor("json", out, false);
  p.onSteps(3);
  for (const e of events) p.onEvent(e);
  p.end();
  const lines = out.text
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(lines[0], { format_version: "1", type: "steps", total: 3 });
  assert.equal(
    lines.slice(1).map((l) => l.type),
    ["start", "start", "succeed", "fail", "skip"],
  );
  assert.is(lines[3].duration_ms, 4);
  assert.equal(lines[4].error, { code: "bug", message: "Error: boom" });
  assert.is(lines[5].because, "container.create:b");
  assert.is(lines[1].address, "container/r/s/t/c/a");
});

t("a namespace kept on destroy is reported kept, never deleted; one deleted says deleted", () => {
  const out = new CaptureStream(false);
  const p = progressFor("plain", out, false);
  const step = (id: string) => ({ id, kind: "namespace.delete" as const, address: `realm/${id}` });
  for (const id of ["kept", "gone"]) p.onEvent({ type: "start", ...step(id), elapsedMs: 1 });
  p.onEvent({ type: "note", ...step("kept"), text: "namespace kept.kukeon.io kept: it holds 1 image" });
  for (const id of ["kept", "gone"]) p.onEvent({ type: "succeed", ...step(id), elapsedMs: 2, durationMs: 1 });
  p.end();
  const lines = out.text.trimEnd().split("\n");
  assert.equal(lines.slice(2), [
    "realm/kept: namespace kept.kukeon.io kept: it holds 1 image",
    "realm/kept: Namespace kept after 0.0s [namespace.delete]",
    "realm/gone: Namespace deleted after 0.0s [namespace.delete]",
  ]);
});

t(
  "without a terminal and with --progress json: the lines of one turn go out in one write, at its end or at end()",
  async () => {
    for (const mode of ["plain", "json"] as const) {
      const writes: string[] = [];
      const p = progressFor(mode, { write: (text: string) => writes.push(text) }, false);
      p.onSteps(2);
      p.onEvent(events[0]!);
      p.onEvent(events[1]!);
      assert.equal(writes, [], mode);
      await new Promise((r) => setImmediate(r));
      assert.is(writes.length, 1, mode);
      assert.is(writes[0]?.trimEnd().split("\n").length, mode === "json" ? 3 : 2, mode);
      p.onEvent(events[2]!);
      p.end();
      assert.is(writes.length, 2, mode);
      assert.match(writes[1] ?? "", /succeed|Creation complete/);
      p.end();
      assert.is(writes.length, 2, `${mode}: nothing left to write`);
    }
  },
);

t("--json is the JSON event stream; --progress json its older spelling; -o json one document", () => {
  const r = (json: boolean, progress: string | undefined, structured = false) =>
    resolveProgress({ json, progress, structured });
  assert.equal(r(true, undefined), { json: true, progress: "json" });
  assert.equal(r(false, "json"), { json: true, progress: "json" });
  assert.equal(r(true, "json"), { json: true, progress: "json" });
  assert.equal(r(false, undefined), { json: false, progress: "auto" });
  assert.equal(r(false, "plain"), { json: false, progress: "plain" });
  assert.equal(r(false, undefined, true), { json: true, progress: "auto" });
  assert.throws(() => r(true, "plain"), /cannot go with --progress plain/);
});

t("--progress takes auto, plain or json", () => {
  assert.is(parseProgress("json"), "json");
  const e = (() => {
    try {
      parseProgress("fancy");
    } catch (x) {
      return x;
    }
  })();
  assert.ok(isKukeError(e, "usage"));
});

t.run();
