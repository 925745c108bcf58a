import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";

/** Compiled to dist/test/fs/, so the repository root is three levels up. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const OWNER = "src/fs/fs-errors.ts";

/** Reading a Node error's errno by hand: a cast to ErrnoException, or `.code` compared with an E-name. */
const AD_HOC = [/ErrnoException/, /\.code\s*[!=]==?\s*["']E[A-Z]+["']/, /["']E[A-Z]+["']\s*[!=]==?\s*[\w.]+\.code\b/];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Lines of src/ outside the owner that read errno themselves. */
export function adHocErrnoReads(root: string): string[] {
  const out: string[] = [];
  for (const file of tsFiles(join(root, "src"))) {
    const where = relative(root, file);
    if (where === OWNER) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (AD_HOC.some((re) => re.test(line))) out.push(`${where}:${i + 1}: ${line.trim()}`);
      });
  }
  return out;
}

const t = suite("fs/errno-owner");

t("errno is read only through src/fs/fs-errors.ts (errnoOf)", () => {
  assert.equal(adHocErrnoReads(ROOT), []);
});

t("the scan sees an ad-hoc read", () => {
  for (const line of [
    'if ((e as NodeJS.ErrnoException).code === "ENOENT") return;',
    'if (err.code !== "EEXIST") throw err;',
    'if ("EBUSY" === e.code) continue;',
  ]) {
    assert.ok(
      AD_HOC.some((re) => re.test(line)),
      line,
    );
  }
  assert.not.ok(AD_HOC.some((re) => re.test('if (errnoOf(e) === "ENOENT") return;')));
});

t.run();
