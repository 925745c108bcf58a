/** `kuke image pull` progress: one line per image, rewritten in place, with each layer's bytes. */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { PullProgressLine, pullLine } from "../../src/cli/pull-progress.js";
import { CaptureStream } from "./capture.js";

const t = suite("cli/pull-progress");
const a = "sha256:a1b2c3d4e5f6";
const b = "sha256:0f0e0d0c0b0a";

t("the line: total and each layer's bytes, done layers marked, cut to the terminal's width", () => {
  const blobs = [
    { digest: a, bytes: 1_200_000, total: 1_200_000 },
    { digest: b, bytes: 400_000, total: 1_100_000 },
  ];
  assert.is(
    pullLine("busybox:latest", blobs, 200),
    "busybox:latest  1.6/2.3 MB  [a1b2c3d4 done] [0f0e0d0c 0.4/1.1 MB]",
  );
  const cut = pullLine("busybox:latest", blobs, 30);
  assert.is(cut.length, 30);
  assert.ok(cut.endsWith("…"));
});

t("updates rewrite the same line (at most every 100 ms unless a blob completes); end draws the last state", () => {
  const out = new CaptureStream(true);
  let now = 1000;
  const p = new PullProgressLine(out, "busybox:latest", () => now);
  p.update({ digest: a, bytes: 10, total: 1_000_000 });
  now += 10;
  p.update({ digest: a, bytes: 20, total: 1_000_000 }); // too soon: not drawn
  now += 10;
  p.update({ digest: a, bytes: 1_000_000, total: 1_000_000 }); // complete: drawn
  p.end();
  const draws = out.text.split("\r\x1b[K").filter((x) => x !== "");
  assert.is(draws.length, 3, JSON.stringify(out.text));
  assert.is(draws[0], "busybox:latest  0.0/1.0 MB  [a1b2c3d4 0.0/1.0 MB]");
  assert.is(draws[1], "busybox:latest  1.0/1.0 MB  [a1b2c3d4 done]");
  assert.is(draws[2], "busybox:latest  1.0/1.0 MB  [a1b2c3d4 done]\n");
  assert.not.match(out.text, "\n\r", "one line, never a new one until the end");
});

t(
  "a pull that succeeded ends with every blob done, also one containerd already had (its download stopped early)",
  () => {
    const out = new CaptureStream(true);
    const p = new PullProgressLine(out, "busybox:latest", () => 1000);
    p.update({ digest: a, bytes: 300_000, total: 1_000_000 });
    p.end(true);
    assert.ok(out.text.endsWith("busybox:latest  1.0/1.0 MB  [a1b2c3d4 done]\n"), JSON.stringify(out.text));
    const failed = new CaptureStream(true);
    const q = new PullProgressLine(failed, "busybox:latest", () => 1000);
    q.update({ digest: a, bytes: 300_000, total: 1_000_000 });
    q.end();
    assert.ok(failed.text.endsWith("[a1b2c3d4 0.3/1.0 MB]\n"), "a failed pull shows how far it got");
  },
);

t.run();
