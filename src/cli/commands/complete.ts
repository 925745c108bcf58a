import { Command, Option } from "clipanion";
import { DEFAULT_RUN_PATH } from "../../state/run-path.js";
import { complete } from "../completion/complete.js";
import { recordNames } from "../completion/record-names.js";
import type { KukeContext } from "../kuke-command.js";

/**
 * `kuke __complete -- WORD...`: what the completion scripts call at each TAB. Hidden (no usage);
 * prints `words` and one candidate a line, or `files`. Never fails: a completion that errs
 * offers nothing.
 */
export class CompleteCommand extends Command<KukeContext> {
  static override paths = [["__complete"]];

  words = Option.Proxy();

  async execute(): Promise<number> {
    const words = this.words[0] === "--" ? this.words.slice(1) : this.words;
    try {
      const infos = this.context.commandInfos?.() ?? [];
      const result = await complete(
        infos,
        words.length === 0 ? [""] : words,
        recordNames(runPathOf(words, this.context.env)),
      );
      this.context.stdout.write(
        result.kind === "files" ? "files\n" : `words\n${result.words.map((w) => `${w}\n`).join("")}`,
      );
    } catch {
      this.context.stdout.write("words\n");
    }
    return 0;
  }
}

/** `--run-path DIR` or `--run-path=DIR` on the line being completed, else KUKE_RUN_PATH, else the default. */
function runPathOf(words: readonly string[], env: Record<string, string | undefined>): string {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    if (w === "--run-path" && words[i + 1] !== undefined) return words[i + 1] as string;
    if (w.startsWith("--run-path=")) return w.slice("--run-path=".length);
  }
  return env.KUKE_RUN_PATH ?? DEFAULT_RUN_PATH;
}
