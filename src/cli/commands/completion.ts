import { Command, Option } from "clipanion";
import { KukeError } from "../../model/index.js";
import { completionScript, SHELLS, type Shell } from "../completion/scripts.js";
import { KukeCommand } from "../kuke-command.js";

export class CompletionCommand extends KukeCommand {
  // `autocomplete` is kukeon's name for it.
  static override paths = [["completion"], ["autocomplete"]];
  static override usage = Command.Usage({
    category: "Other commands",
    description: "print a shell completion script (bash, zsh or fish)",
    details: `
      The script completes commands, flags, kinds, option values and the names of realms, spaces,
      stacks, cells and containers kuke has records of (\`kuke get cells <TAB>\`); it asks kuke
      itself (\`kuke __complete\`) at each TAB, so it never goes stale. \`kuke autocomplete\` is the
      same command under kukeon's name.
    `,
    examples: [
      ["Enable it in this bash session", "source <($0 completion bash)"],
      ["Install it for zsh", "$0 completion zsh > /usr/local/share/zsh/site-functions/_kuke"],
      ["Install it for fish", "$0 completion fish > ~/.config/fish/completions/kuke.fish"],
    ],
  });

  shell = Option.String({ name: "SHELL" });

  async run(): Promise<number> {
    if (!(SHELLS as readonly string[]).includes(this.shell)) {
      throw new KukeError("usage", `no completion for shell '${this.shell}'`, {
        remedy: `use one of: ${SHELLS.join(", ")}`,
      });
    }
    this.context.stdout.write(completionScript(this.shell as Shell));
    return 0;
  }
}
