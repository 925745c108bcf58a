import { appendFileSync, readdirSync, readFileSync, statSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { JournalStore, touchedBy } from "../../src/state/apply-journal.js";
import { StateChild } from "./helpers/child.js";
import { tempRunPath } from "./helpers/temp-run-path.js";

const t = suite("state/apply-journal");

t("begin, record and finish write ordered JSON lines; a finished apply is not unfinished", async () => {
  const { layout, cleanup } = tempRunPath("journal");
  try {
    const store = new JournalStore(layout);
    const j = await store.begin({ project: "demo", command: "apply" });
    assert.match(j.applyId, /^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    j.record({ event: "start", step: "a", address: "cell/r/s/t/c" });
    j.record({ event: "end", step: "a", address: "cell/r/s/t/c", status: "failed", error: "boom" });
    assert.is(await store.lastUnfinished(), undefined, "an apply running in this process is not interrupted");
    await j.finish({ succeeded: 0, failed: 1 });
    assert.throws(() => j.record({ event: "start", step: "b", address: "cell/r/s/t/c" }));

    assert.is(statSync(j.file).mode & 0o777, 0o600);
    assert.is(statSync(layout.journal).mode & 0o777, 0o700);
    const lines = readFileSync(j.file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(
      lines.map((l) => l.event),
      ["begin", "start", "end", "finish"],
    );
    assert.is(lines[0].pid, process.pid);
    assert.equal(lines[0].meta, { project: "demo", command: "apply" });
    assert.equal(lines[2], {
      t: lines[2].t,
      event: "end",
      step: "a",
      address: "cell/r/s/t/c",
      status: "failed",
      error: "boom",
    });
    assert.ok(lines.every((l, i) => i === 0 || l.t >= lines[i - 1].t));

    const read = await store.read(j.applyId);
    assert.ok(read?.ended);
    assert.equal(read?.summary, { succeeded: 0, failed: 1 });
    assert.is(read?.steps.length, 2);
    assert.is(await store.lastUnfinished(), undefined);
  } finally {
    cleanup();
  }
});

t("the journal of an apply killed mid-way is found (torn last line tolerated), then superseded", async () => {
  const { layout, cleanup } = tempRunPath("interrupted");
  try {
    const child = new StateChild(["interrupted-apply", layout.root]);
    const applyId = await child.nextLine();
    await child.exited;
    const store = new JournalStore(layout);
    // The kill landed in the middle of a write.
    appendFileSync(`${layout.journal}/${applyId}.jsonl`, '{"t":1,"event":"end","step":"s2","addr');

    const found = await store.lastUnfinished();
    assert.ok(found, "the interrupted apply is reported");
    assert.is(found.applyId, applyId);
    assert.is(found.pid, child.proc.pid);
    assert.not.ok(found.ended);
    assert.equal(found.meta, { project: "demo" });
    assert.equal(
      found.steps.map((s) => `${s.event} ${s.step}`),
      ["start s1", "end s1", "start s2"],
    );

    // The next apply takes over; afterwards nothing is reported as interrupted.
    const next = await store.begin({ project: "demo" });
    await next.finish({ succeeded: 1 });
    assert.is(await store.lastUnfinished(), undefined);
    assert.ok((await store.read(applyId))?.ended);
  } finally {
    cleanup();
  }
});

t(
  "an apply killed right after begin: its begin names what it was to do and inherits what the apply it superseded touched",
  async () => {
    const { layout, cleanup } = tempRunPath("opened");
    try {
      const first = new StateChild(["interrupted-apply", layout.root]);
      const firstId = await first.nextLine();
      await first.exited;
      const second = new StateChild(["opened-apply", layout.root]);
      const secondId = await second.nextLine();
      await second.exited;
      const store = new JournalStore(layout);
      assert.ok((await store.read(firstId))?.ended, "the first is superseded by the second");
      const last = await store.lastUnfinished();
      assert.ok(last, "the apply killed before any step is reported");
      assert.is(last.applyId, secondId);
      assert.equal(last.steps, []);
      assert.equal(last.addresses, ["cell/r/s/t/c"]);
      assert.equal(last.inherited, ["cell/r/s/t/a", "cell/r/s/t/b"]);
      assert.equal([...touchedBy(last)].sort(), ["cell/r/s/t/a", "cell/r/s/t/b"]);
      const lines = readFileSync(`${layout.journal}/${secondId}.jsonl`, "utf8").trim().split("\n");
      assert.is(lines.length, 1, "begin is the only line");
    } finally {
      cleanup();
    }
  },
);

t("finish prunes ended journals beyond keepFinished, oldest first", async () => {
  const { layout, cleanup } = tempRunPath("prune");
  try {
    const store = new JournalStore(layout, { keepFinished: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const j = await store.begin({ i });
      ids.push(j.applyId);
      await j.finish({ i });
      await new Promise((r) => setTimeout(r, 2)); // distinct millisecond timestamps
    }
    assert.equal(
      readdirSync(layout.journal).sort(),
      ids.slice(3).map((id) => `${id}.jsonl`),
    );
    assert.equal(
      (await store.readAll()).map((r) => r.meta.i),
      [3, 4, 5],
    );
  } finally {
    cleanup();
  }
});

t.run();
