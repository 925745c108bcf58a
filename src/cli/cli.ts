import { Builtins, Cli } from "clipanion";
import { COMMANDS } from "./commands/index.js";
import type { KukeContext } from "./kuke-command.js";
import { wantsColor } from "./output-style.js";
import { packageVersion } from "./package-info.js";
import { reportError } from "./report-error.js";

/** Exit code for a command line kuke cannot parse (DESIGN §5). */
export const EXIT_USAGE = 64;

export function buildCli(colored: boolean): Cli<KukeContext> {
  const cli = new Cli<KukeContext>({
    binaryName: "kuke",
    binaryLabel: "kuke",
    binaryVersion: packageVersion(),
    enableColors: colored,
  });
  cli.register(Builtins.HelpCommand);
  // `kuke --version` / `-v`, as most CLIs accept; `kuke version` also prints the node version.
  cli.register(Builtins.VersionCommand);
  for (const command of COMMANDS) cli.register(command);
  return cli;
}

/**
 * Runs kuke in-process and returns the exit code; writes only to the context's streams, so tests
 * pass fake ones (and a fake `host`). Parse errors are usage errors (64), unlike clipanion's default of 1.
 */
export async function runCli(argv: readonly string[], context: Partial<KukeContext> = {}): Promise<number> {
  const ctx: KukeContext = { ...Cli.defaultContext, ...context };
  const colored = wantsColor(ctx.stderr, ctx.env, argv.includes("--no-color"));
  const cli = buildCli(colored);
  let command: ReturnType<Cli<KukeContext>["process"]>;
  try {
    command = cli.process([...argv], ctx);
  } catch (e) {
    ctx.stderr.write(cli.error(e, { colored }));
    return EXIT_USAGE;
  }
  try {
    return await cli.run(command, ctx);
  } catch (e) {
    return reportError(e, ctx.stderr);
  }
}
