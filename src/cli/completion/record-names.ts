/** Completion's names: what kuke's records hold, read without the lock (record writes are atomic). */
import { addressPath, formatAddress, type ResourceKind, tryParseAddress } from "../../model/index.js";
import { RecordStore, runPathLayout } from "../../state/index.js";
import type { CompletionSource, NameScope } from "./complete.js";

const SCOPE_ORDER = ["realm", "space", "stack", "cell"] as const;

/** Names and addresses from the records under `runPath`; nothing when they cannot be read. */
export function recordNames(runPath: string): CompletionSource {
  let loaded: Promise<{ kind: ResourceKind; names: string[]; address: string }[]> | undefined;
  const all = () => {
    loaded ??= new RecordStore(runPathLayout(runPath))
      .loadAll()
      .then((r) =>
        r.records.flatMap((rec) => {
          const parsed = tryParseAddress(rec.address);
          if (!parsed.ok) return [];
          return [
            { kind: parsed.address.kind, names: addressPath(parsed.address), address: formatAddress(parsed.address) },
          ];
        }),
      )
      .catch(() => []);
    return loaded;
  };
  return {
    async names(kind: ResourceKind, scope: NameScope): Promise<string[]> {
      return (await all())
        .filter(
          (r) =>
            r.kind === kind &&
            SCOPE_ORDER.every((s, i) => scope[s] === undefined || r.names.length <= i + 1 || r.names[i] === scope[s]),
        )
        .map((r) => r.names.at(-1) ?? "");
    },
    async addresses(): Promise<string[]> {
      return (await all()).filter((r) => r.kind === "cell" || r.kind === "container").map((r) => r.address);
    },
  };
}
