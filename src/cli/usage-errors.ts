/**
 * What kuke says about a command line clipanion could not match: the reason in a person's words and
 * a remedy where kuke can guess one (the flag that is missing, `-f` before a manifest, the command
 * or option the user probably meant). Pure: it reads the words typed and the commands' help data.
 */
import { didYouMean } from "../manifest/did-you-mean.js";
import { type HelpCommandInfo, placeholderOf } from "./help.js";

export interface UsageProblem {
  why: string;
  remedy?: string;
}

/**
 * For a command line that matched one command (`info`) but not its syntax; `reason` is clipanion's
 * own, when it gave one (clipanion gives none for a missing required option).
 */
export function explainCommandSyntax(
  binary: string,
  info: HelpCommandInfo,
  words: readonly string[],
  reason: string | undefined,
): UsageProblem {
  const command = [binary, ...info.path].join(" ");
  const hasFile = info.options.some((o) => o.names.includes("--file"));
  const extra = reason !== undefined ? /^Extraneous positional argument \("(.*)"\)/.exec(reason) : null;
  if (extra !== null && hasFile) {
    return { why: reason ?? "", remedy: `name manifest files with -f: ${command} -f ${extra[1]}` };
  }
  const unsupported = reason !== undefined ? /^Unsupported option name \("(.*)"\)/.exec(reason) : null;
  if (unsupported !== null) {
    const near = didYouMean(
      unsupported[1] ?? "",
      info.options.filter((o) => !o.hidden).flatMap((o) => o.names),
    );
    return near !== undefined ? { why: reason ?? "", remedy: `did you mean ${near}?` } : { why: reason ?? "" };
  }
  if (reason !== undefined) return { why: reason };
  const missing = info.options.find((o) => o.required && !o.names.some((n) => words.includes(n)));
  if (missing?.names.includes("--file")) {
    return { why: "no manifest given", remedy: "pass one or more files with -f FILE (or -f - for stdin)" };
  }
  if (missing !== undefined) {
    const name = missing.names[missing.names.length - 1] ?? "";
    return { why: `${name} is required`, remedy: `pass ${name} ${placeholderOf(missing)}` };
  }
  return { why: `cannot read: ${binary} ${words.join(" ")}` };
}

/** For words that name no command: the command they are closest to, if one is near. */
export function explainUnknownCommand(
  binary: string,
  infos: readonly HelpCommandInfo[],
  words: readonly string[],
): UsageProblem {
  const why = `unknown command or arguments: ${binary} ${words.join(" ")}`;
  const first = words[0] ?? "";
  if (first.startsWith("-")) return { why };
  const near = didYouMean(first, new Set(infos.map((i) => i.path[0] ?? "").filter((p) => p !== "")));
  return near !== undefined ? { why, remedy: `did you mean ${binary} ${near}?` } : { why };
}
