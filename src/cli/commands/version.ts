import { Command } from "clipanion";
import { KukeCommand } from "../kuke-command.js";
import { packageVersion } from "../package-info.js";

export class VersionCommand extends KukeCommand {
  static override paths = [["version"]];
  static override usage = Command.Usage({
    category: "Other commands",
    description: "print kuke's version and the Node.js version it runs on",
    examples: [
      ["Print versions", "$0 version"],
      ["Only kuke's version", "$0 --version"],
    ],
  });

  async run(): Promise<number> {
    this.context.stdout.write(`kuke ${packageVersion()}\nnode ${process.version}\n`);
    return 0;
  }
}
