/**
 * Shell completion: what may come next on a kuke command line. Pure apart from `names`, which the
 * caller answers from kuke's records. The shell scripts (`scripts.ts`) call `kuke __complete --
 * WORD...` and print what this returns.
 */
import type { ResourceKind } from "../../model/index.js";
import type { HelpCommandInfo, HelpOption } from "../help.js";

/** What the shell should offer: these words, or file names. */
export type Completion = { kind: "words"; words: string[] } | { kind: "files" };

/** The scope flags already on the line, which narrow the names offered. */
export interface NameScope {
  realm?: string;
  space?: string;
  stack?: string;
  cell?: string;
}

export interface CompletionSource {
  /** Names of resources of `kind` inside `scope`, from kuke's records. */
  names(kind: ResourceKind, scope: NameScope): Promise<string[]>;
  /** Addresses of the cells and containers kuke has records of (`kuke logs <TAB>`). */
  addresses(): Promise<string[]>;
}

const KIND_WORDS: readonly ResourceKind[] = ["realm", "space", "stack", "cell", "container"];
const PLURAL_KINDS = ["realms", "spaces", "stacks", "cells", "containers"];
const FILE_OPTIONS = new Set(["--file", "--out", "--run-path", "--runtime-dir", "--runc-root", "--containerd-address"]);
const SCOPE_OPTIONS: Readonly<Record<string, ResourceKind>> = {
  "--realm": "realm",
  "--space": "space",
  "--stack": "stack",
  "--cell": "cell",
};
/** Fixed values of options, by option name; `--output` depends on the command (below). */
const OPTION_VALUES: Readonly<Record<string, readonly string[]>> = {
  "--log-level": ["error", "warn", "info", "debug"],
  "--max-impact": ["live", "restart", "recreate", "delete"],
  "--signal": ["TERM", "KILL", "INT", "HUP", "QUIT", "USR1", "USR2"],
  "--refresh": ["true", "false"],
};
const OUTPUT_VALUES: Readonly<Record<string, readonly string[]>> = {
  get: ["table", "yaml", "json"],
  "image ls": ["table", "json"],
  plan: ["human", "json", "markdown"],
  show: ["human", "json", "markdown"],
};
const SHELLS = ["bash", "zsh", "fish"];
/** What `kuke schema` prints (commands/schema.ts). */
const SCHEMA_NAMES = ["manifest", "plan"];

/**
 * Candidates for the last of `words` (the word being typed; "" right after a space), given the
 * words before it. `words` excludes the binary name.
 */
export async function complete(
  commands: readonly HelpCommandInfo[],
  words: readonly string[],
  source: CompletionSource,
): Promise<Completion> {
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  const offer = (list: readonly string[]): Completion => ({
    kind: "words",
    words: [...new Set(list)].filter((w) => w.startsWith(current)).sort(),
  });

  // The command path: the leading words that are not options.
  const pathWords: string[] = [];
  for (const w of before) {
    if (w.startsWith("-")) break;
    pathWords.push(w);
  }
  const command = longestCommand(commands, pathWords);
  if (command === undefined) {
    const depth = pathWords.length;
    const next = commands
      .filter((c) => c.path.length > depth && pathWords.every((w, i) => c.path[i] === w))
      .map((c) => c.path[depth] ?? "");
    return offer(next);
  }

  const rest = before.slice(command.path.length);
  const options = command.options.filter((o) => !o.hidden);
  const scope: NameScope = {};
  const positionals: string[] = [];
  let pending: HelpOption | undefined;
  for (const w of rest) {
    if (pending !== undefined) {
      const kind = scopeKind(pending);
      if (kind !== undefined) scope[kind as keyof NameScope] = w;
      pending = undefined;
      continue;
    }
    if (w.startsWith("-")) {
      const [name = "", value] = w.split("=", 2);
      const o = options.find((x) => x.names.includes(name));
      if (o === undefined) continue;
      if (o.arity > 0 && value === undefined) pending = o;
      else if (value !== undefined) {
        const kind = scopeKind(o);
        if (kind !== undefined) scope[kind as keyof NameScope] = value;
      }
      continue;
    }
    positionals.push(w);
  }

  if (pending !== undefined) return optionValues(command, pending, scope, source, offer);
  if (current.startsWith("-")) {
    return offer(options.flatMap((o) => o.names.filter((n) => n.startsWith("--") || n.length === 2)));
  }
  const positional = command.positionals[positionals.length];
  if (positional === undefined) return offer([]);
  switch (positional.name) {
    case "KIND":
      return offer(command.path[0] === "get" ? PLURAL_KINDS : kindsOf(command));
    case "NAME": {
      const kindWord = positionals[0];
      const kind = kindWord === undefined ? undefined : singular(kindWord);
      if (kind === undefined) return offer([]);
      return offer(await source.names(kind, scope));
    }
    case "ADDR":
      return offer(await source.addresses());
    case "SHELL":
      return offer(SHELLS);
    case "SCHEMA":
      return offer(SCHEMA_NAMES);
    case "PLANFILE":
    case "FILE":
      return { kind: "files" };
    default:
      return offer([]);
  }
}

async function optionValues(
  command: HelpCommandInfo,
  o: HelpOption,
  scope: NameScope,
  source: CompletionSource,
  offer: (l: readonly string[]) => Completion,
): Promise<Completion> {
  const long = o.names.find((n) => n.startsWith("--")) ?? "";
  if (FILE_OPTIONS.has(long)) return { kind: "files" };
  const kind = scopeKind(o);
  if (kind !== undefined) return offer(await source.names(kind, scope));
  if (long === "--output") return offer(OUTPUT_VALUES[command.path.join(" ")] ?? ["json", "yaml"]);
  return offer(OPTION_VALUES[long] ?? []);
}

function scopeKind(o: HelpOption): ResourceKind | undefined {
  for (const n of o.names) {
    const k = SCOPE_OPTIONS[n];
    if (k !== undefined) return k;
  }
  return undefined;
}

/** The kinds a verb takes: start/stop/kill act on cells and containers only. */
function kindsOf(command: HelpCommandInfo): readonly string[] {
  return ["start", "stop", "kill"].includes(command.path[0] ?? "") ? ["cell", "container"] : KIND_WORDS;
}

function singular(word: string): ResourceKind | undefined {
  const k = word.toLowerCase().replace(/s$/, "");
  return (KIND_WORDS as readonly string[]).includes(k) ? (k as ResourceKind) : undefined;
}

function longestCommand(commands: readonly HelpCommandInfo[], words: readonly string[]): HelpCommandInfo | undefined {
  let best: HelpCommandInfo | undefined;
  for (const c of commands) {
    if (c.path.length > words.length || !c.path.every((p, i) => words[i] === p)) continue;
    if (best === undefined || c.path.length > best.path.length) best = c;
  }
  return best;
}
