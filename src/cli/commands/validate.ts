import { Command, Option } from "clipanion";
import { loadManifests, type ManifestSource, readManifestSources } from "../../manifest/index.js";
import { isKukeError } from "../../model/index.js";
import { KukeCommand } from "../kuke-command.js";
import { diagnosticStyle } from "../output-style.js";
import { writeValidation } from "../validation-output.js";

export class ValidateCommand extends KukeCommand {
  static override paths = [["validate"]];
  /** The required arguments, for the help\'s usage line. */
  static synopsis = "-f FILE...";
  static override usage = Command.Usage({
    category: "Main commands",
    description: "check manifests without touching the host",
    details: `
      Reads every YAML document of the given files, checks them against the v1beta1 rules and
      reports every problem at once, each with its file, line and column and a remedy. Nothing is
      read from or written to the host: parents that the files do not declare are left for \`kuke plan\`
      to find on the host.

      Exits 0 when the files are valid (warnings are printed on stderr) and 65 when they are not
      or cannot be read.
    `,
    examples: [
      ["Validate one file", "$0 validate -f stack.yaml"],
      [
        "Validate several files together (duplicates across files are errors)",
        "$0 validate -f realm.yaml -f apps.yaml",
      ],
      ["Validate standard input", "cat stack.yaml | $0 validate -f -"],
    ],
  });

  files = Option.Array("-f,--file", {
    required: true,
    description: "Manifest file, or - for standard input (repeatable)",
  });
  json = Option.Boolean("--json", false, { description: "Print a versioned JSON report on stdout" });

  async run(): Promise<number> {
    this.globals();
    let sources: ManifestSource[];
    try {
      sources = await readManifestSources(this.files, this.context.stdin);
    } catch (e) {
      // validate's contract is 0 or 65: a file that cannot be read is input kuke cannot validate.
      if (!isKukeError(e) || e.code === "usage") throw e;
      this.context.stderr.write(`${e.format()}\n`);
      return 65;
    }
    return writeValidation(loadManifests(sources), {
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      json: this.json,
      style: diagnosticStyle(this.colored(this.context.stderr)),
    });
  }
}
