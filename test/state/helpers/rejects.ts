import * as assert from "uvu/assert";

/** Awaits `fn` and returns what it rejected with; fails the test if it resolved. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.unreachable("expected a rejection");
}
