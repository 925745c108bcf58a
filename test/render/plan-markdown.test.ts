/**
 * The Markdown view of a plan (`-o markdown`): golden files for every planning scenario (beside the
 * human ones, `fixtures/golden/plans/<scenario>.md`; UPDATE_GOLDEN=1 rewrites them), and the
 * properties a pull-request comment needs: replacements and deletions first, secrets masked even
 * in a hand-edited plan, and no value able to break out of its code block or inject HTML.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { plan } from "../../src/planner/plan.js";
import { parsePlanJson, renderPlanJson } from "../../src/render/plan-json.js";
import { renderPlanMarkdown } from "../../src/render/plan-markdown.js";
import { appliedFacts, emptyFacts, host, options, world } from "../planner/builders.js";
import { app, base, cells, SCENARIOS, sidecar } from "../planner/scenarios.js";

const GOLDEN_DIR = fileURLToPath(new URL("../../../fixtures/golden/plans/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

const t = suite("render/plan-markdown");

/** `text` with every fenced code block removed, as a forge's Markdown parser would close them. */
function outsideFences(text: string): string {
  const out: string[] = [];
  let open: string | undefined;
  for (const line of text.split("\n")) {
    if (open === undefined) {
      const m = /^(`{3,})/.exec(line);
      if (m) open = m[1];
      else out.push(line);
    } else if (line.trim() === open || (line.startsWith(open) && /^`+\s*$/.test(line))) {
      open = undefined;
    }
  }
  assert.is(open, undefined, "a code block is never closed");
  return out.join("\n");
}

/** The only HTML the view writes itself; anything else outside code blocks came from a value. */
function assertOnlyOwnHtml(text: string): void {
  const outside = outsideFences(text);
  const tags = outside.match(/<\/?[a-zA-Z][^>]*>/g) ?? [];
  for (const tag of tags) assert.ok(/^<\/?(details|summary|code|b)>$/.test(tag), `foreign HTML: ${tag}`);
  assert.is(outside.split("<details>").length, outside.split("</details>").length, "unbalanced <details>");
}

for (const [name, make] of Object.entries(SCENARIOS)) {
  t(`golden Markdown plan: ${name}`, () => {
    const s = make();
    const p = plan(s.desired, host(s.facts), s.options);
    const text = renderPlanMarkdown(p);
    const file = `${GOLDEN_DIR}${name}.md`;
    if (update) writeFileSync(file, text);
    assert.ok(existsSync(file), `missing golden ${file}; run with UPDATE_GOLDEN=1`);
    assert.fixture(text, readFileSync(file, "utf8"));
    // Rendered from the plan alone: a saved plan read back from JSON shows the same.
    assert.fixture(renderPlanMarkdown(parsePlanJson(renderPlanJson(p))), text);
    assertOnlyOwnHtml(text);
    const changed = p.changes.filter((c) => c.action !== "noop" && c.action !== "read").length;
    assert.is(text.split("<details>").length - 1, changed, "one block per changed resource");
  });
}

t("replacements and deletions come first, each with its reason", () => {
  // db's root image changes (the cell is replaced), api gains a container and changes one,
  // and cell old is pruned.
  const now = base({
    cells: cells({
      api: [app({ env: ["MODE=debug"] }), sidecar(), { id: "metrics", image: "busybox:1" }],
      db: [{ id: "pg", root: true, image: "postgres:17" }],
    }),
  });
  const before = base({ cells: [...cells(), { name: "old", containers: [sidecar()] }] });
  const p = plan(world(now), host(appliedFacts(world(before))), options({ prune: true }));
  const text = renderPlanMarkdown(p);
  const summaries = text.split("\n").filter((l) => l.startsWith("<details><summary>"));
  const actions = summaries.map(
    (l) => /<\/b> (will be created|will be updated in-place|must be replaced|will be destroyed)/.exec(l)?.[1],
  );
  const rank = (a: string | undefined) =>
    ["must be replaced", "will be destroyed", "will be created", "will be updated in-place"].indexOf(a ?? "");
  assert.ok(actions.includes("must be replaced") && actions.includes("will be destroyed"), actions.join());
  assert.ok(actions.includes("will be created") && actions.includes("will be updated in-place"), actions.join());
  const ranks = actions.map(rank);
  assert.equal(
    ranks,
    [...ranks].sort((a, b) => a - b),
    actions.join(" / "),
  );
  for (const s of summaries.filter((l) => /must be replaced|will be destroyed/.test(l))) {
    assert.match(s, "(because <code>", s);
  }
  assert.match(text, "# (because not in configuration (pruned))");
});

t("values cannot break out of their code block or inject HTML, mentions or links", () => {
  const hostile = "x ```` </details><img src=x onerror=alert(1)> @octocat #1 <!--";
  const now = base({
    cells: [
      {
        name: "api",
        labels: { note: hostile, "odd\nkey": "`" },
        containers: [app({ env: [`NOTE=${hostile}`], args: ["-c", "echo ```"] }), sidecar()],
      },
      { name: "db", containers: [{ id: "pg", root: true, image: "postgres:16" }] },
    ],
  });
  const p = plan(world(now), host(appliedFacts(world(base()))), options());
  // A hostile reason, as a hand-edited plan file could carry.
  const edited = parsePlanJson(renderPlanJson(p));
  const target = edited.changes.find((c) => c.action === "update")!;
  target.reason = { kind: "drift", text: `drift: ${hostile}\n\nnew paragraph` };
  const text = renderPlanMarkdown(edited);
  assertOnlyOwnHtml(text);
  const outside = outsideFences(text);
  // Forges make neither mentions nor links inside code, so a value may only appear there.
  const prose = outside.replace(/<code>[^<]*<\/code>/g, "");
  assert.not.match(prose, "@octocat");
  assert.not.match(prose, "#1");
  assert.match(
    outside,
    "<code>drift: x ```` &lt;/details&gt;&lt;img src=x onerror=alert(1)&gt; @octocat #1 &lt;!-- new paragraph</code>",
  );
  assert.match(text, "`````diff\n", "the fence is longer than the longest backtick run inside");
  assert.match(text, `+     labels.odd\\nkey = "\`"`);
  assert.match(text, 'NOTE=x ```` </details><img src=x onerror=alert(1)> @octocat #1 <!--"');
});

t("secrets stay masked, even when a hand-edited plan carries them in clear", () => {
  const s = SCENARIOS["sensitive-password"]!();
  const p = parsePlanJson(renderPlanJson(plan(s.desired, host(s.facts), s.options)));
  const realm = p.changes.find((c) => c.address === "realm/main")!;
  assert.ok(realm.sensitivePaths.length > 0);
  const text = renderPlanMarkdown(p);
  assert.not.match(text, "new-secret");
  assert.not.match(text, "old-secret");
  assert.match(text, "(sensitive value) -> (sensitive value)");
  const creds = (realm.after!.spec as { registryCredentials: { password: string }[] }).registryCredentials;
  creds[0]!.password = "leaked-in-clear";
  assert.not.match(renderPlanMarkdown(p), "leaked-in-clear");
});

t("no changes, errors and --refresh=false are said in the text", () => {
  const s = SCENARIOS["no-op"]!();
  const p = plan(s.desired, host(s.facts), s.options);
  assert.ok(renderPlanMarkdown(p).startsWith("**kuke plan: no changes.**"));
  const e = SCENARIOS["immutable-namespace"]!();
  const withError = renderPlanMarkdown(plan(e.desired, host(e.facts), e.options));
  assert.match(withError, "1 error, 0 warnings");
  assert.match(withError, "Error: realm/main: ");
  const offline = renderPlanMarkdown({ ...p, options: { ...p.options, refresh: false } });
  assert.match(offline, "--refresh=false");
});

t("a plan too long for one comment leaves out blocks, creations and updates first, and says how many", () => {
  const many = world({
    cells: Array.from({ length: 80 }, (_, i) => ({ name: `c${i}`, containers: [app(), sidecar()] })),
  });
  const p = plan(many, host(emptyFacts()), options());
  const text = renderPlanMarkdown(p);
  assert.ok(text.length <= 60_000, `${text.length} characters`);
  const changed = p.changes.filter((c) => c.action !== "noop" && c.action !== "read").length;
  const shown = text.split("<details>").length - 1;
  const note = /_(\d+) more resources? \((\d+) to add\) not shown/.exec(text);
  assert.ok(note !== null, "no note about the left-out blocks");
  assert.is(shown + Number(note[1]), changed);
  assert.is(Number(note[2]), Number(note[1]));
  assertOnlyOwnHtml(text);
  // Everything fits: no note.
  assert.not.match(renderPlanMarkdown(p, { maxLength: 10_000_000 }), "not shown");

  // With room for little, the replacement stays and the in-place change goes.
  const s = SCENARIOS["root-image-change"]!();
  const now = base({
    cells: cells({
      api: [app({ env: ["MODE=debug"] }), sidecar()],
      db: [{ id: "pg", root: true, image: "postgres:17" }],
    }),
  });
  const mixed = plan(world(now), host(s.facts), s.options);
  // Less room than the whole text plus the note needs: the last block (the in-place change) goes.
  const room = renderPlanMarkdown(mixed).length + 300;
  const small = renderPlanMarkdown(mixed, { maxLength: room });
  assert.ok(small.length <= room, `${small.length}`);
  assert.match(small, "cell/main/web/app/db</b> must be replaced");
  assert.not.match(small, "will be updated in-place</summary>");
  assert.match(small, "to change) not shown");
});

t.run();
