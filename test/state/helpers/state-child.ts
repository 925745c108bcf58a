/**
 * A second kuke process for cross-process tests, driven over stdin/stdout:
 *   hold-lock ROOT          acquire the lock, print "locked", release on a "release" line, exit
 *   wait-lock ROOT MS       try to acquire with timeout MS; print "locked" or "lock-held <exit>"
 *   interrupted-apply ROOT  begin a journal, record two steps, exit without finishing
 */
import { createInterface } from "node:readline";
import { isKukeError } from "../../../src/model/errors.js";
import { JournalStore } from "../../../src/state/apply-journal.js";
import { RunLock } from "../../../src/state/run-lock.js";
import { runPathLayout } from "../../../src/state/run-path.js";

const [mode, root, arg] = process.argv.slice(2);
const layout = runPathLayout(root);
const say = (line: string) => process.stdout.write(`${line}\n`);

if (mode === "hold-lock") {
  const handle = await new RunLock(layout).acquire({ timeoutMs: 10000, command: "state-child hold-lock" });
  say("locked");
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === "release") break;
  }
  await handle.release();
  say("released");
  process.exit(0);
} else if (mode === "wait-lock") {
  try {
    const handle = await new RunLock(layout).acquire({ timeoutMs: Number(arg), pollMs: 20 });
    say("locked");
    await handle.release();
  } catch (e) {
    if (!isKukeError(e, "lock-held")) throw e;
    say(`lock-held ${e.exitCode}`);
  }
} else if (mode === "interrupted-apply") {
  const journal = await new JournalStore(layout).begin({ project: "demo" });
  journal.record({ event: "start", step: "s1", address: "cell/r/s/t/a" });
  journal.record({ event: "end", step: "s1", address: "cell/r/s/t/a", status: "succeeded" });
  journal.record({ event: "start", step: "s2", address: "cell/r/s/t/b" });
  say(journal.applyId);
  process.exit(0); // killed mid-apply: no finish line
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(64);
}
