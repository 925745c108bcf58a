/**
 * The interrupt grace: the first signal stops new steps, the end of the grace (or a second signal)
 * abandons the running ones; `KUKE_INTERRUPT_GRACE` sets the grace. On a hand-written source, not
 * the process's signals, which would reach the test runner too.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  INTERRUPT_GRACE_MS,
  type InterruptSignal,
  type InterruptSource,
  interruptGraceMs,
  listenForInterrupts,
} from "../../src/cli/interrupts.js";
import { isKukeError } from "../../src/model/errors.js";

const t = suite("cli/interrupts");

class FakeSource implements InterruptSource {
  listeners: Array<(s?: InterruptSignal) => void> = [];
  on(l: (s?: InterruptSignal) => void): void {
    this.listeners.push(l);
  }
  off(l: (s?: InterruptSignal) => void): void {
    this.listeners = this.listeners.filter((x) => x !== l);
  }
  send(s: InterruptSignal): void {
    for (const l of [...this.listeners]) l(s);
  }
}

function sink(): { write(s: string): boolean; text: string } {
  return {
    text: "",
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}

t("KUKE_INTERRUPT_GRACE is a duration; unset means 30 s; anything else is a usage error", () => {
  assert.is(interruptGraceMs({}), INTERRUPT_GRACE_MS);
  assert.is(INTERRUPT_GRACE_MS, 30_000);
  assert.is(interruptGraceMs({ KUKE_INTERRUPT_GRACE: "" }), INTERRUPT_GRACE_MS);
  assert.is(interruptGraceMs({ KUKE_INTERRUPT_GRACE: "500ms" }), 500);
  assert.is(interruptGraceMs({ KUKE_INTERRUPT_GRACE: "10s" }), 10_000);
  assert.is(interruptGraceMs({ KUKE_INTERRUPT_GRACE: "2m" }), 120_000);
  try {
    interruptGraceMs({ KUKE_INTERRUPT_GRACE: "soon" });
    assert.unreachable("a non-duration is refused");
  } catch (e) {
    assert.ok(isKukeError(e) && e.code === "usage", String(e));
    assert.match((e as Error).message, "KUKE_INTERRUPT_GRACE 'soon' is not a duration");
  }
});

t("one signal: new steps stop at once, running ones are abandoned when the grace ends", async () => {
  const source = new FakeSource();
  const err = sink();
  const c = listenForInterrupts(source, err, 20);
  try {
    source.send("SIGTERM");
    assert.ok(c.signal.aborted, "no new step starts");
    assert.ok(c.interrupted());
    assert.match(err.text, "SIGTERM received: no new steps start; running steps finish (at most 20 ms");
    await new Promise<void>((resolve) => c.abortSteps.addEventListener("abort", () => resolve(), { once: true }));
    assert.match(err.text, "Running steps did not finish within 20 ms: abandoning the running steps");
  } finally {
    c.dispose();
  }
  assert.is(source.listeners.length, 0, "dispose stops listening");
});

t("a second signal abandons the running steps before the grace ends", () => {
  const source = new FakeSource();
  const err = sink();
  const c = listenForInterrupts(source, err, INTERRUPT_GRACE_MS);
  try {
    source.send("SIGHUP");
    assert.not.ok(c.abortSteps.aborted);
    source.send("SIGINT");
    assert.ok(c.abortSteps.aborted);
    assert.match(err.text, "Second signal (Interrupt): abandoning the running steps");
  } finally {
    c.dispose();
  }
});

t.run();
