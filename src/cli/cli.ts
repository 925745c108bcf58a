import { Builtins, Cli, Command as ClipanionCommand, type CommandClass } from "clipanion";
import { COMMANDS } from "./commands/index.js";
import {
  type HelpCommandInfo,
  type HelpOption,
  renderCommandHelp,
  renderShortUsage,
  renderTopHelp,
  usageLine,
} from "./help.js";
import { GLOBAL_OPTION_NAMES, type KukeContext } from "./kuke-command.js";
import { wantsColor } from "./output-style.js";
import { packageVersion } from "./package-info.js";
import { reportError } from "./report-error.js";
import { explainCommandSyntax, explainUnknownCommand, type UsageProblem } from "./usage-errors.js";

/** Exit code for a command line kuke cannot parse (DESIGN §5). */
export const EXIT_USAGE = 64;

/** What kuke reads of a clipanion command builder (not in clipanion's public types). */
interface BuilderView {
  options: HelpOption[];
  arity: { leading: string[]; extra: string[] | symbol; trailing: string[]; proxy: boolean };
  paths: string[][];
}

/** clipanion's Cli with kuke's help text (help.ts) instead of clipanion's. */
export class KukeCli extends Cli<KukeContext> {
  /** Every documented command's help data, in registration order. */
  helpInfos(): HelpCommandInfo[] {
    const infos: HelpCommandInfo[] = [];
    for (const [klass] of this.registrations) {
      const info = this.helpInfo(klass);
      if (info !== undefined) infos.push(info);
    }
    return infos;
  }

  helpInfo(klass: CommandClass<KukeContext>): HelpCommandInfo | undefined {
    const record = this.registrations.get(klass);
    const usage = klass.usage;
    if (record === undefined || usage === undefined) return undefined;
    const b = record.builder as unknown as BuilderView;
    const extra = Array.isArray(b.arity.extra) ? b.arity.extra : [];
    return {
      path: klass.paths?.[0] ?? [],
      category: usage.category,
      description: usage.description ?? "",
      details: usage.details ?? "",
      examples: usage.examples ?? [],
      options: b.options.map((o) => ({ ...o, description: o.description ?? "" })),
      positionals: [
        ...b.arity.leading.map((name) => ({ name, required: true })),
        ...extra.map((name) => ({ name, required: false })),
        ...b.arity.trailing.map((name) => ({ name, required: true })),
      ],
      rest: !Array.isArray(b.arity.extra),
      synopsis: (klass as { synopsis?: string }).synopsis,
    };
  }

  override usage(
    command: CommandClass<KukeContext> | ClipanionCommand<KukeContext> | null = null,
    opts: { colored?: boolean; detailed?: boolean; prefix?: string } = {},
  ): string {
    const klass = command instanceof ClipanionCommand ? (command.constructor as CommandClass<KukeContext>) : command;
    const binary = this.binaryName;
    if (klass === null) {
      const globals = this.globalOptions();
      return renderTopHelp(binary, this.helpInfos(), globals);
    }
    const info = this.helpInfo(klass);
    if (info === undefined) return super.usage(command, opts);
    return opts.detailed
      ? renderCommandHelp(binary, info, new Set(GLOBAL_OPTION_NAMES))
      : renderShortUsage(binary, info);
  }

  /**
   * clipanion's syntax errors list candidate commands with `#0` placeholders and every global
   * option; kuke names the reason and the candidates' usage lines instead.
   */
  override error(
    error: unknown,
    opts: { colored?: boolean; command?: ClipanionCommand<KukeContext> | null } = {},
  ): string {
    if (!isSyntaxError(error)) return super.error(error as Error, opts);
    const candidates = error.candidates ?? [];
    const infos = this.helpInfos();
    const matched = [
      ...new Set(
        candidates
          .map((c) => commandOfUsage(infos, this.binaryName, c.usage))
          .filter((i): i is HelpCommandInfo => i !== undefined),
      ),
    ];
    const usages = [...new Set(matched.map((i) => `  ${usageLine(this.binaryName, i)}`))];
    const reasons = [...new Set(candidates.map((c) => c.reason).filter((r): r is string => r !== null))];
    const words = error.input.filter((t): t is string => typeof t === "string" && !/^[\u0000\u0001]/.test(t));
    const input = words.join(" ");
    if (usages.length === 0 || usages.length > 3) {
      const { why, remedy } = explainUnknownCommand(this.binaryName, infos, words);
      return `Error: ${why}\n${remedyLine(remedy)}Run ${this.binaryName} --help for the commands.\n`;
    }
    const only = matched.length === 1 ? matched[0] : undefined;
    const problem: UsageProblem =
      only !== undefined
        ? explainCommandSyntax(this.binaryName, only, words, reasons.length === 1 ? reasons[0] : undefined)
        : {
            why:
              reasons[0] !== undefined && reasons.length === 1
                ? reasons[0]
                : `cannot read: ${this.binaryName} ${input}`,
          };
    const helpOf = only !== undefined ? [this.binaryName, ...only.path].join(" ") : `${this.binaryName} <command>`;
    return `Error: ${problem.why}\n${remedyLine(problem.remedy)}\nUsage:\n${usages.join("\n")}\n(${helpOf} --help for options and examples)\n`;
  }

  /** The global options, as any kuke command declares them. */
  globalOptions(): HelpOption[] {
    const first = this.helpInfos().find((c) => c.options.some((o) => o.names.includes("--run-path")));
    return (first?.options ?? []).filter((o) => o.names.some((n) => GLOBAL_OPTION_NAMES.includes(n)));
  }
}

interface SyntaxErrorView {
  name: string;
  input: unknown[];
  candidates?: { usage: string; reason: string | null }[];
}

/** The "  Remedy: …" line of a usage error (as KukeError prints one), or nothing. */
function remedyLine(remedy: string | undefined): string {
  return remedy !== undefined ? `  Remedy: ${remedy}\n` : "";
}

function isSyntaxError(e: unknown): e is SyntaxErrorView {
  return e instanceof Error && (e.name === "UnknownSyntaxError" || e.name === "AmbiguousSyntaxError");
}

/** The command whose path a clipanion candidate usage (`kuke image ls [--realm #0] …`) starts with. */
function commandOfUsage(infos: readonly HelpCommandInfo[], binary: string, usage: string): HelpCommandInfo | undefined {
  let best: HelpCommandInfo | undefined;
  for (const i of infos) {
    const head = [binary, ...i.path].join(" ");
    if ((usage === head || usage.startsWith(`${head} `)) && (best === undefined || i.path.length > best.path.length)) {
      best = i;
    }
  }
  return best;
}

export function buildCli(colored: boolean): KukeCli {
  const cli = new KukeCli({
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
  ctx.commandInfos ??= () => cli.helpInfos();
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
