/**
 * A second kuke process for cross-process tests, driven over stdin/stdout:
 *   hold-lock ROOT          acquire the lock, print "locked", release on a "release" line, exit
 *   wait-lock ROOT MS       try to acquire with timeout MS; print "locked" or "lock-held <exit>"
 *   interrupted-apply ROOT  begin a journal, record two steps, exit without finishing
 *   opened-apply ROOT       begin a journal for cell/r/s/t/c and exit before any step (killed at once)
 *   race-lock               serve lines: `go ROOT AT` waits (spinning) until the epoch ms AT, then
 *                           tries once to take ROOT's lock and prints "locked", "locked took-over" or
 *                           "lock-held"; `release` releases it and prints "released"
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
} else if (mode === "opened-apply") {
  const journal = await new JournalStore(layout).begin({ project: "demo" }, ["cell/r/s/t/c"]);
  say(journal.applyId);
  process.exit(0);
} else if (mode === "race-lock") {
  let handle: Awaited<ReturnType<RunLock["acquire"]>> | undefined;
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, dir, at] = line.split(" ");
    if (cmd === "go") {
      const lock = new RunLock(runPathLayout(dir as string));
      while (Date.now() < Number(at)) {
        // spin: both racers leave this loop within the same millisecond
      }
      try {
        handle = await lock.acquire({ timeoutMs: 0, pollMs: 1, command: `race-lock ${process.pid}` });
        say(handle.tookOverFrom ? "locked took-over" : "locked");
      } catch (e) {
        if (!isKukeError(e, "lock-held")) throw e;
        say("lock-held");
      }
    } else if (cmd === "release") {
      await handle?.release();
      handle = undefined;
      say("released");
    }
  }
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(64);
}
