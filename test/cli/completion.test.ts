/**
 * Shell completion, as the shell runs it: bash sources `kuke completion bash` in a subshell and
 * calls the completion function with COMP_WORDS/COMP_CWORD set, through a `kuke` on PATH that runs
 * this build. Resource names come from records written to a temporary run path.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseAddress } from "../../src/model/index.js";
import { RecordStore, runPathLayout, type StoredRecord } from "../../src/state/index.js";
import { KUKE_MAIN } from "../harness/kuke-process.js";
import { onTeardown } from "../harness/teardown.js";

const t = suite("cli/completion");
const run = promisify(execFile);
const main = KUKE_MAIN;
let dir = "";

const record = (address: string): StoredRecord => ({
  address,
  kind: parseAddress(address).kind,
  project: "shop",
  view: { labels: {}, spec: {}, computed: {} },
  specHash: "sha256:abc",
  appliedAt: "2026-12-01T00:00:00.000Z",
  extra: {},
});

t.before(async () => {
  dir = await mkdtemp("/tmp/kuke-completion-");
  onTeardown(`rm ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "kuke"), `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`);
  await chmod(join(dir, "kuke"), 0o755);
  const store = new RecordStore(runPathLayout(join(dir, "run")));
  for (const a of [
    "realm/shop",
    "realm/lab",
    "space/shop/apps",
    "stack/shop/apps/front",
    "cell/shop/apps/front/web",
    "cell/shop/apps/front/worker",
    "cell/lab/apps/front/probe",
    "container/shop/apps/front/web/app",
  ]) {
    await store.put(record(a));
  }
  await writeFile(join(dir, "stack.yaml"), "kind: Realm\nmetadata: {name: x}\n");
});
t.after(() => rm(dir, { recursive: true, force: true }));

/**
 * What bash offers for each line (the last word of a line is the one being completed), in one bash
 * process: each line sets COMP_WORDS/COMP_CWORD and calls the completion function.
 */
async function offersAll(lines: string[][], runPath = join(dir, "run")): Promise<string[][]> {
  const script = ["source <(kuke completion bash)"];
  for (const words of lines) {
    script.push(
      `COMP_WORDS=(kuke ${words.map((w) => `'${w}'`).join(" ")})`,
      `COMP_CWORD=${words.length}`,
      "COMPREPLY=()",
      "_kuke_complete",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's expansion, not a template
      'printf "%s\\n" "${COMPREPLY[@]}" "--end--"',
    );
  }
  const { stdout } = await run("bash", ["--norc", "--noprofile", "-c", script.join("\n")], {
    cwd: dir,
    env: { PATH: `${dir}:${process.env.PATH}`, KUKE_RUN_PATH: runPath },
  });
  return stdout
    .split("--end--\n")
    .slice(0, lines.length)
    .map((block) => block.split("\n").filter((l) => l !== ""));
}

async function check(cases: [string[], string[]][]): Promise<void> {
  const got = await offersAll(cases.map(([words]) => words));
  for (const [i, [words, want]] of cases.entries()) assert.equal(got[i], want, words.join(" "));
}

t("commands, then the words of a two-word command", async () => {
  const [top = []] = await offersAll([[""]]);
  for (const c of ["validate", "plan", "apply", "destroy", "get", "image", "completion"]) assert.ok(top.includes(c), c);
  assert.not.ok(top.includes("__complete"), "the hidden command stays hidden");
  await check([
    [["pl"], ["plan"]],
    [
      ["image", ""],
      ["load", "ls", "pull", "rm"],
    ],
  ]);
});

t("kinds, and resource names from kuke's records (kuke get cells <TAB>)", async () => {
  await check([
    [
      ["get", ""],
      ["cells", "containers", "realms", "spaces", "stacks"],
    ],
    [
      ["get", "cells", ""],
      ["probe", "web", "worker"],
    ],
    [
      ["get", "cells", "w"],
      ["web", "worker"],
    ],
    [
      ["delete", "cell", "--realm", "shop", ""],
      ["web", "worker"],
    ],
    [
      ["stop", ""],
      ["cell", "container"],
    ],
    [
      ["get", "cells", "--realm", ""],
      ["lab", "shop"],
    ],
  ]);
});

t("flags, option values, addresses and files", async () => {
  await check([
    [["apply", "--pa"], ["--parallelism"]],
    [
      ["get", "cells", "-o", ""],
      ["json", "table", "yaml"],
    ],
    [
      ["apply", "-f", "stack.yaml", "-o", ""],
      ["json", "yaml"],
    ],
    [
      ["plan", "-f", "stack.yaml", "-o", ""],
      ["human", "json", "markdown"],
    ],
    [["show", "stack.plan", "--output", "m"], ["markdown"]],
    [
      ["logs", "cell/shop/apps/front/w"],
      ["cell/shop/apps/front/web", "cell/shop/apps/front/worker"],
    ],
    [["plan", "-f", "sta"], ["stack.yaml"]],
    [
      ["completion", ""],
      ["bash", "fish", "zsh"],
    ],
    [
      ["schema", ""],
      ["manifest", "plan"],
    ],
  ]);
});

t("no records (a run path kuke cannot read): names are simply not offered", async () => {
  const [none] = await offersAll([["get", "cells", ""]], join(dir, "nowhere"));
  assert.equal(none, []);
});

t("the zsh and fish scripts ask kuke the same way", async () => {
  for (const shell of ["zsh", "fish"]) {
    const { stdout } = await run(join(dir, "kuke"), ["completion", shell]);
    assert.match(stdout, "__complete --");
    assert.match(stdout, "files");
  }
});

t.run();
