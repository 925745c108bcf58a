/**
 * kuke's help text, in the manner of Terraform's: the top-level help lists commands one line each
 * in groups (the main ones first) and the global options once, at the end; a command's help shows
 * a usage line with its required arguments, its own options with value placeholders that say what
 * they take (`-f FILE`, not clipanion's `#0`), and ends with its examples.
 *
 * Pure: it renders from `HelpCommandInfo` values, which `cli.ts` reads from clipanion's
 * registrations. Lines are wrapped at `HELP_WIDTH` columns.
 */

/** Help text is wrapped to this many columns (a golden test holds the top-level help to it). */
export const HELP_WIDTH = 100;

/** One option of a command as the help shows it. */
export interface HelpOption {
  /** e.g. `["-f", "--file"]` */
  names: readonly string[];
  /** Number of values it takes (0 for a flag). */
  arity: number;
  description: string;
  required: boolean;
  hidden: boolean;
}

export interface HelpPositional {
  name: string;
  required: boolean;
}

/** What the help needs of one command. */
export interface HelpCommandInfo {
  path: readonly string[];
  category: string | undefined;
  description: string;
  details: string;
  examples: readonly (readonly [string, string])[];
  options: readonly HelpOption[];
  positionals: readonly HelpPositional[];
  /** Whether the command takes any number of trailing arguments (`-- CMD ARG...`). */
  rest: boolean;
  /** Hand-written arguments part of the usage line, when the options alone cannot say it (`(-f FILE... | PLANFILE)`). */
  synopsis: string | undefined;
}

/** Groups of the top-level help, in order; a command's `Command.Usage.category` names its group. */
export const HELP_GROUPS = ["Main commands", "Resource commands", "Image commands", "Other commands"] as const;

/**
 * What each option's value is, by the option's longest name. Every option that takes a value has
 * an entry (a test checks), so no `#0` reaches a user.
 */
export const VALUE_PLACEHOLDERS: Readonly<Record<string, string>> = {
  "--run-path": "DIR",
  "--runtime-dir": "DIR",
  "--containerd-address": "SOCKET",
  "--containerd-socket": "SOCKET",
  "--runc-root": "DIR",
  "--log-level": "LEVEL",
  "--file": "FILE",
  "--target": "ADDR",
  "--replace": "ADDR",
  "--project": "NAME",
  "--out": "PLANFILE",
  "--parallelism": "N",
  "--max-impact": "IMPACT",
  "--pull": "WHEN",
  "--lock-timeout": "DURATION",
  "--realm": "NAME",
  "--space": "NAME",
  "--stack": "NAME",
  "--cell": "NAME",
  "--output": "FORMAT",
  "--signal": "SIGNAL",
  "--name": "NAME",
  "--image": "REF",
  "--command": "CMD",
  "--arg": "ARG",
  "--env": "K=V",
  "--label": "K=V",
  "--tail": "N",
  "--since": "DURATION|TIME",
  "--progress": "MODE",
  "--output-dir": "DIR",
  "--as": "KIND",
};

/** The option's names and placeholder, e.g. `-f, --file FILE`; `--refresh[=false]` for a tolerant boolean. */
export function optionDefinition(o: HelpOption): string {
  const names = [...o.names.filter((n) => !n.startsWith("--")), o.names.find((n) => n.startsWith("--"))]
    .filter((n) => n !== undefined)
    .join(", ");
  if (o.arity === 0) return names;
  return `${names} ${placeholderOf(o)}`;
}

/** The placeholder of an option that takes a value. @throws Error when the table has none (a bug a test catches). */
export function placeholderOf(o: HelpOption): string {
  const long = [...o.names].sort((a, b) => b.length - a.length)[0] ?? "";
  const p = VALUE_PLACEHOLDERS[long];
  if (p === undefined) throw new Error(`no help placeholder for ${long}: add it to VALUE_PLACEHOLDERS`);
  return p;
}

/** The usage line: `kuke plan -f FILE... [options]`. */
export function usageLine(binary: string, c: HelpCommandInfo): string {
  const parts = [binary, ...c.path];
  if (c.synopsis !== undefined) {
    parts.push(c.synopsis);
  } else {
    for (const o of c.options) {
      if (!o.required || o.hidden) continue;
      parts.push(`${o.names[0]} ${o.arity > 0 ? placeholderOf(o) : ""}`.trim());
    }
    for (const p of c.positionals) parts.push(p.required ? p.name : `[${p.name}]`);
    if (c.rest) parts.push("[ARG...]");
  }
  if (c.options.some((o) => !o.hidden && !o.required)) parts.push("[options]");
  return parts.join(" ");
}

/**
 * Commands the top-level help lists on one line, by their paths, with the line's description: the
 * same verb shape on the same kinds (DESIGN §5 writes them `start|stop|kill`), so the help keeps
 * under 40 lines. Each still has its own `--help`.
 */
export const HELP_SHARED_LINES: readonly { paths: readonly string[]; description: string }[] = [
  { paths: ["start", "stop", "kill"], description: "start, stop or signal a cell's or a container's tasks" },
];

/** The top-level help (`kuke --help`). `globals` are the options every command takes. */
export function renderTopHelp(
  binary: string,
  commands: readonly HelpCommandInfo[],
  globals: readonly HelpOption[],
): string {
  const lines = [`Usage: ${binary} [global options] <command> [args]    (${binary} <command> --help for more)`];
  const width = Math.max(...commands.map((c) => c.path.join(" ").length)) + 4;
  for (const group of HELP_GROUPS) {
    const members = commands.filter((c) => (c.category ?? "Other commands") === group);
    if (members.length === 0) continue;
    // The first group follows the usage line directly: the whole help stays under 40 lines.
    if (lines.length > 1) lines.push("");
    lines.push(`${group}:`);
    for (const c of members) {
      const path = c.path.join(" ");
      const shared = HELP_SHARED_LINES.find((l) => l.paths.includes(path));
      const present = shared?.paths.filter((p) => members.some((m) => m.path.join(" ") === p)) ?? [];
      if (shared === undefined || present.length < 2) {
        lines.push(`  ${path.padEnd(width)}${sentence(c.description)}`);
      } else if (present[0] === path) {
        lines.push(`  ${present.join("|").padEnd(width)}${sentence(shared.description)}`);
      }
    }
  }
  // Unindented headers mark the sections: no blank line before this one either (under 40 lines).
  lines.push("Global options (before or after the command):");
  lines.push(...optionTable(globals.filter((o) => !o.hidden)));
  return `${lines.join("\n")}\n`;
}

/** A command's help (`kuke plan --help`): usage, description, details, options, examples last. */
export function renderCommandHelp(binary: string, c: HelpCommandInfo, globalNames: ReadonlySet<string>): string {
  const out: string[] = [`Usage: ${usageLine(binary, c)}`, "", ...wrap(sentence(c.description), 2)];
  if (c.details.trim() !== "") {
    for (const para of paragraphs(c.details)) out.push("", ...wrap(para, 2));
  }
  const own = c.options.filter((o) => !o.hidden && !o.names.some((n) => globalNames.has(n)));
  if (own.length > 0) out.push("", "Options:", ...optionTable(own));
  const globals = c.options.filter((o) => !o.hidden && o.names.some((n) => globalNames.has(n)));
  if (globals.length > 0) {
    out.push("", ...wrap(`Global options (see ${binary} --help): ${globals.map(optionDefinition).join(", ")}`, 0));
  }
  if (c.examples.length > 0) {
    out.push("", "Examples:");
    for (const [label, cmd] of c.examples)
      out.push(...wrap(sentence(label), 2), `    $ ${cmd.replace(/\$0/g, binary)}`);
  }
  return `${out.join("\n")}\n`;
}

/** The short form clipanion prints under a usage error. */
export function renderShortUsage(binary: string, c: HelpCommandInfo): string {
  return `Usage: ${usageLine(binary, c)}\n(${[binary, ...c.path].join(" ")} --help for options and examples)\n`;
}

function optionTable(options: readonly HelpOption[]): string[] {
  const defs = options.map(optionDefinition);
  const width = Math.min(Math.max(...defs.map((d) => d.length)) + 3, 34);
  const lines: string[] = [];
  options.forEach((o, i) => {
    const def = defs[i] ?? "";
    const aliases = o.names.filter((n) => n.startsWith("--")).slice(1);
    const desc = aliases.length > 0 ? `${o.description} (alias ${aliases.join(", ")})` : o.description;
    if (def.length + 2 >= width) {
      lines.push(`  ${def}`, ...wrap(desc, width + 2));
    } else {
      const [first = "", ...rest] = wrap(desc, width + 2);
      lines.push(`  ${def.padEnd(width)}${first.trimStart()}`, ...rest);
    }
  });
  return lines;
}

/** `make the host match` → `Make the host match`. */
function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** Dedented paragraphs of a template-literal text, each joined into one line, backticks dropped. */
function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) =>
      p
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l !== "")
        .join(" ")
        .replace(/`/g, ""),
    )
    .filter((p) => p !== "");
}

/** Greedy word wrap of one paragraph to HELP_WIDTH, every line indented by `indent`. */
export function wrap(text: string, indent: number): string[] {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && pad.length + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(pad + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "" || lines.length === 0) lines.push(pad + line);
  return lines;
}
