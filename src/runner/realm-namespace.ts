import { defaultNamespace, realmAddress } from "../model/index.js";
import { RecordStore, runPathLayout } from "../state/index.js";

/**
 * The containerd namespace of realm `realm`: as recorded by the apply that created it, else the
 * default `<realm>.kukeon.io` (so images can be staged before the realm is applied).
 */
export async function realmNamespace(runPath: string, realm: string): Promise<string> {
  const record = await new RecordStore(runPathLayout(runPath)).get(realmAddress(realm));
  const ns = record?.extra.namespace ?? record?.view.spec.namespace;
  return typeof ns === "string" && ns !== "" ? ns : defaultNamespace(realm);
}
