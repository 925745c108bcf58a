import { suite } from "uvu";
import * as assert from "uvu/assert";
import { type RetryState, withRetry } from "../../../src/executors/containerd/retry.js";
import { isKukeError } from "../../../src/model/errors.js";

const t = suite("executors/containerd/retry");

/** What a call rejects with (GrpcError): a status code (14 UNAVAILABLE, 6 ALREADY_EXISTS) and details. */
const grpcError = (code: number, details: string) => Object.assign(new Error(details), { code, details });
const UNAVAILABLE = 14;
const ALREADY_EXISTS = 6;

/** A call that fails with each of `failures` in turn, then succeeds with "done". */
function scripted(failures: unknown[]) {
  const calls = { n: 0 };
  const once = async () => {
    const f = failures[calls.n++];
    if (f !== undefined) throw f;
    return "done";
  };
  return { calls, once };
}

const state = (answered: boolean, retryMs = 5000): RetryState => ({ answered, retryMs, address: "unix:///x.sock" });

t("a containerd that never answered: UNAVAILABLE fails at once (containerd is not running)", async () => {
  const c = scripted([grpcError(UNAVAILABLE, "connect ENOENT")]);
  const e = await withRetry(state(false), { what: "containerd Version.Version", once: c.once }).catch((x) => x);
  assert.ok(isKukeError(e, "unavailable"), String(e));
  assert.is(c.calls.n, 1);
});

t("a containerd that answered before: UNAVAILABLE is retried until it answers again", async () => {
  const s = state(false);
  assert.is(await withRetry(s, { what: "x", once: async () => "first" }), "first");
  assert.ok(s.answered);
  const c = scripted([grpcError(UNAVAILABLE, "connect ENOENT"), grpcError(UNAVAILABLE, "connect ECONNREFUSED")]);
  assert.is(await withRetry(s, { what: "containerd Tasks.Get", once: c.once }), "done");
  assert.is(c.calls.n, 3);
});

t("retries are bounded: the error names the call, the wait and the attempts, with a remedy", async () => {
  const failures = Array.from({ length: 1000 }, () => grpcError(UNAVAILABLE, "connect ENOENT"));
  const c = scripted(failures);
  const e = await withRetry(state(true, 300), { what: "containerd Tasks.Create", once: c.once }).catch((x) => x);
  assert.ok(isKukeError(e, "unavailable"), String(e));
  assert.match(e.message, /^containerd Tasks\.Create: containerd did not come back within \d+\.\d s$/);
  assert.match(e.detail ?? "", `${c.calls.n} attempts over`);
  assert.match(e.detail ?? "", "unix:///x.sock");
  assert.match(e.remedy ?? "", "run the same kuke command again");
  assert.ok(c.calls.n > 1 && c.calls.n < 1000, `attempts: ${c.calls.n}`);
});

t("what a retried create meets is settled by afterRetry; the same error without a retry is not", async () => {
  const settled: unknown[] = [];
  const afterRetry = async (raw: unknown) => {
    settled.push(raw);
    return "made by the first attempt";
  };
  const retried = scripted([grpcError(UNAVAILABLE, "connection dropped"), grpcError(ALREADY_EXISTS, "exists")]);
  assert.is(await withRetry(state(true), { what: "x", once: retried.once, afterRetry }), "made by the first attempt");
  assert.is(settled.length, 1);
  const first = scripted([grpcError(ALREADY_EXISTS, "exists")]);
  const e = await withRetry(state(true), { what: "x", once: first.once, afterRetry }).catch((x) => x);
  assert.ok(isKukeError(e, "already-exists"), String(e));
  assert.is(settled.length, 1, "afterRetry only runs after an UNAVAILABLE attempt");
  const refused = scripted([grpcError(UNAVAILABLE, "connection dropped"), grpcError(ALREADY_EXISTS, "exists")]);
  const kept = await withRetry(state(true), { what: "x", once: refused.once, afterRetry: async () => undefined }).catch(
    (x) => x,
  );
  assert.ok(isKukeError(kept, "already-exists"), "afterRetry returning undefined keeps the error");
});

t.run();
