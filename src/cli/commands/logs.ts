import { Command, Option } from "clipanion";
import { type CellAddress, type ContainerAddress, KukeError, tryParseAddress } from "../../model/index.js";
import { resourceLogs } from "../../runner/imperative/inspect.js";
import { interruptsOf } from "../interrupts.js";
import { KukeCommand } from "../kuke-command.js";

export class LogsCommand extends KukeCommand {
  static override paths = [["logs"]];
  static override usage = Command.Usage({
    category: "Resource commands",
    description: "print a container's output, or a cell's",
    details: `
      Prints what the container wrote to stdout and stderr (kept under the run path, each line with
      the time it was written). For a cell, every container's log, each line prefixed with the
      container's name. \`--tail N\` prints only the last N lines of each, \`--since\` only what was
      written since a moment (\`10m\`, \`2h\` ago, or a time such as \`2026-12-03T10:00:00Z\`),
      \`--timestamps\` each line's time in front of it; \`--follow\` keeps printing what they write
      until Ctrl-C.

      Each log is capped (\`logMaxBytes\` on the container or its space's container defaults,
      default 10 MiB): kuke rotates it on each run that takes the lock, keeping one previous file,
      which a replaced container's log also becomes. \`--previous\` prints that file.
    `,
    examples: [
      ["Print a container's log", "$0 logs container/shop/apps/front/web/app"],
      ["Follow every container of a cell, from the last 20 lines", "$0 logs cell/shop/apps/front/web --tail 20 -f"],
      [
        "The last ten minutes, with each line's time",
        "$0 logs container/shop/apps/front/web/app --since 10m --timestamps",
      ],
    ],
  });

  address = Option.String({ name: "ADDR" });
  follow = Option.Boolean("-f,--follow", false, { description: "Keep printing new output until Ctrl-C" });
  tail = Option.String("--tail", { description: "Only the last N lines of each log" });
  since = Option.String("--since", {
    description: "Only lines written since: a duration ago (10m, 2h, 1h30m) or a time (RFC 3339)",
  });
  timestamps = Option.Boolean("-t,--timestamps", false, { description: "Each line's time (UTC) in front of it" });
  previous = Option.Boolean("--previous", false, {
    description: "The previous log (a replaced container's, or the last rotation's)",
  });

  async run(): Promise<number> {
    const parsed = tryParseAddress(this.address);
    if (!parsed.ok || (parsed.address.kind !== "container" && parsed.address.kind !== "cell")) {
      throw new KukeError("usage", `'${this.address}' is not a container or cell address`, {
        remedy: "pass container/<realm>/<space>/<stack>/<cell>/<container> or cell/<realm>/<space>/<stack>/<cell>",
      });
    }
    if (this.previous && this.follow) {
      throw new KukeError("usage", "--previous cannot be followed: nothing writes that file any more", {
        remedy: "drop --follow (or --previous)",
      });
    }
    const tail = this.tail === undefined ? undefined : parseTail(this.tail);
    const controller = new AbortController();
    const interrupts = interruptsOf(this.context);
    const stop = () => controller.abort();
    interrupts.on(stop);
    try {
      await resourceLogs({ runPath: this.hostPaths().runPath }, parsed.address as ContainerAddress | CellAddress, {
        write: (chunk) =>
          new Promise<void>((resolve) => {
            if (this.context.stdout.write(chunk)) resolve();
            else this.context.stdout.once("drain", () => resolve());
          }),
        follow: this.follow,
        signal: controller.signal,
        previous: this.previous,
        timestamps: this.timestamps,
        ...(this.since !== undefined ? { since: this.since } : {}),
        ...(tail !== undefined ? { tail } : {}),
      });
    } finally {
      interrupts.off(stop);
    }
    return 0;
  }
}

/** `--tail N`: a whole number. @throws KukeError `usage` otherwise. */
export function parseTail(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    throw new KukeError("usage", `--tail must be a whole number of lines, got '${text}'`, {
      remedy: "pass e.g. --tail 100",
    });
  }
  return n;
}
