import * as assert from "uvu/assert";
import { isKukeError, type KukeError } from "../../src/model/index.js";

/** Awaits `p` and asserts it rejects with a KukeError of `code`; returns that error. */
export async function expectCode(p: Promise<unknown>, code: string): Promise<KukeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isKukeError(e), `expected a KukeError, got ${e instanceof Error ? e.stack : String(e)}`);
    assert.is(e.code, code, e.message);
    return e;
  }
  assert.unreachable(`expected a ${code} error`);
  throw new Error("unreachable");
}
