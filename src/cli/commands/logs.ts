import { Command, Option } from "clipanion";
import { KukeError, tryParseAddress } from "../../model/index.js";
import { containerLogs } from "../../runner/imperative/inspect.js";
import { interruptsOf } from "../interrupts.js";
import { KukeCommand } from "../kuke-command.js";

export class LogsCommand extends KukeCommand {
  static override paths = [["logs"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "print a container's output",
    details: `
      Prints what the container wrote to stdout and stderr (kept under the run path). With
      \`--follow\`, keeps printing what it writes until Ctrl-C.
    `,
    examples: [
      ["Print a container's log", "$0 logs container/shop/apps/front/web/app"],
      ["Follow it", "$0 logs container/shop/apps/front/web/app --follow"],
    ],
  });

  address = Option.String({ name: "ADDR" });
  follow = Option.Boolean("-f,--follow", false, { description: "Keep printing new output until Ctrl-C" });

  async run(): Promise<number> {
    const parsed = tryParseAddress(this.address);
    if (!parsed.ok || parsed.address.kind !== "container") {
      throw new KukeError("usage", `'${this.address}' is not a container address`, {
        remedy: "pass container/<realm>/<space>/<stack>/<cell>/<container>",
      });
    }
    const controller = new AbortController();
    const interrupts = interruptsOf(this.context);
    const stop = () => controller.abort();
    interrupts.on(stop);
    try {
      await containerLogs({ runPath: this.hostPaths().runPath }, parsed.address, {
        write: (chunk) =>
          new Promise<void>((resolve) => {
            if (this.context.stdout.write(chunk)) resolve();
            else this.context.stdout.once("drain", () => resolve());
          }),
        follow: this.follow,
        signal: controller.signal,
      });
    } finally {
      interrupts.off(stop);
    }
    return 0;
  }
}
