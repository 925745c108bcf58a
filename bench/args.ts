/**
 * A bench's command-line flags: `--name VALUE` flags (some repeatable) and `--name` switches. An
 * argument the bench does not know stops it before anything starts, with its usage: a mistyped
 * `--cell 20` would otherwise run every default size for a quarter of an hour.
 */
export interface BenchArgs {
  /** The value after the last `name`, if any. */
  value(name: string): string | undefined;
  /** Every value after `name`, in order (a repeatable flag). */
  values(name: string): string[];
  /** True when the switch `name` was given. */
  has(name: string): boolean;
}

export function benchArgs(args: string[], spec: { values: string[]; switches: string[]; usage: string }): BenchArgs {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (spec.switches.includes(a)) continue;
    if (spec.values.includes(a) && i + 1 < args.length) {
      i++;
      continue;
    }
    const why = spec.values.includes(a) ? `${a} needs a value` : `unknown argument '${a}'`;
    process.stderr.write(`${why}\nusage: ${spec.usage}\n`);
    process.exit(64);
  }
  const values = (name: string) => args.flatMap((a, i) => (a === name ? [args[i + 1] as string] : []));
  return {
    value: (name) => values(name).at(-1),
    values,
    has: (name) => args.includes(name),
  };
}

/** The builds to time, from `--kuke LABEL=MAIN_JS` (repeatable); `fallback` (this tree) when none. */
export function kukeBuilds(a: BenchArgs, fallback: string): { label: string; mainJs: string }[] {
  const builds = a.values("--kuke").map((s) => {
    const at = s.indexOf("=");
    return at > 0 ? { label: s.slice(0, at), mainJs: s.slice(at + 1) } : { label: s, mainJs: s };
  });
  return builds.length > 0 ? builds : [{ label: "kuke", mainJs: fallback }];
}
