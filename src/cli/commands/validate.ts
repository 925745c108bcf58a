import { Command, Option } from "clipanion";
import type { Diagnostic } from "../../manifest/diagnostic.js";
import type { LoadResult, ManifestSource } from "../../manifest/load.js";
import { readManifestSources } from "../../manifest/sources.js";
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
      if (this.json) return this.writeUnreadable();
      this.context.stderr.write(`${e.format()}\n`);
      return 65;
    }
    // The loader and the yaml package are loaded by the commands that read manifests only.
    const { loadManifests } = await import("../../manifest/load.js");
    return this.write(loadManifests(sources));
  }

  /**
   * The JSON report when a file cannot be read: a tool reading stdout gets a report (valid false)
   * with one `unreadable-file` error per file that cannot be read, not an empty stdout.
   */
  private async writeUnreadable(): Promise<number> {
    const diagnostics: Diagnostic[] = [];
    for (const file of this.files) {
      if (file === "-") continue;
      await readManifestSources([file], this.context.stdin).catch((e: unknown) => {
        const { message, remedy } = isKukeError(e) ? e : { message: String(e), remedy: undefined };
        diagnostics.push({
          severity: "error",
          code: "unreadable-file",
          file,
          line: 1,
          column: 1,
          documentIndex: 0,
          path: "",
          message,
          remedy: remedy ?? "pass the path of a manifest file with -f",
        });
      });
    }
    const { loadManifests } = await import("../../manifest/load.js");
    return this.write({ ...loadManifests([]), diagnostics, errorCount: diagnostics.length, warningCount: 0 });
  }

  private write(result: LoadResult): number {
    return writeValidation(result, {
      stdout: this.context.stdout,
      stderr: this.context.stderr,
      json: this.json,
      style: diagnosticStyle(this.colored(this.context.stderr)),
    });
  }
}
