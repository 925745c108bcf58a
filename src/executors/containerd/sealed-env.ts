/**
 * Environment values that must not be stored in containerd (secrets injected as variables).
 *
 * containerd keeps each container's OCI spec in its metadata store, readable by anyone who can
 * list containers (`ctr containers info`), and `Tasks.Create` takes no spec of its own: it reads
 * the stored one and hands it to the shim, which writes it to the task's bundle (`config.json`
 * under containerd's runtime state dir, owned by root) for runc. So the only way to give a task a
 * variable the store does not keep is to put it into the stored spec for the create call alone:
 * the spec is stored without the sealed variables, `sealedCreate` writes them in, creates the
 * task, and writes the stored spec back as it was, whether the create worked or not.
 *
 * What this does not cover, by containerd's design: while the task exists the values are in its
 * bundle's `config.json` and in the process's environment (`/proc/<pid>/environ`), both readable
 * by root only; a crash of kuke between the two updates leaves them stored until the next start;
 * and a task created by someone else from the stored spec (containerd's restart monitor, `ctr
 * task start`) does not get them — which is why kuke stores the values for containers the restart
 * monitor restarts, and says so in the plan.
 */
import { KukeError } from "../../model/errors.js";
import type { CallOptions, ContainerdClient } from "./client.js";
import { SPEC_TYPE_URL } from "./containers.js";

interface SpecAny {
  type_url: string;
  value: Buffer;
}

/** `base` with `sealed` (`NAME=value`) laid over it by name, in place; new names at the end. */
export function withEnv(base: string[], sealed: string[]): string[] {
  const key = (e: string) => (e.includes("=") ? e.slice(0, e.indexOf("=")) : e);
  const out = new Map(base.map((e) => [key(e), e]));
  for (const e of sealed) out.set(key(e), e);
  return [...out.values()];
}

async function getSpec(client: ContainerdClient, call: CallOptions, id: string): Promise<SpecAny> {
  const res = await client.unary<{ container: { spec: SpecAny } }>("containers", "Get", { id }, call);
  return { type_url: res.container.spec.type_url, value: Buffer.from(res.container.spec.value) };
}

async function putSpec(client: ContainerdClient, call: CallOptions, id: string, spec: SpecAny): Promise<void> {
  await client.unary("containers", "Update", { container: { id, spec }, update_mask: { paths: ["spec"] } }, call);
}

/**
 * Runs `create` (the `Tasks.Create` call) with `sealed` added to the stored spec's `process.env`
 * and restores the stored spec afterwards. Without sealed variables it only runs `create`.
 * @throws KukeError `runtime` when the stored spec could not be restored (it then holds the values;
 *   the next start of the container restores it).
 */
export async function sealedCreate(
  client: ContainerdClient,
  call: CallOptions,
  id: string,
  sealed: readonly string[],
  create: () => Promise<void>,
): Promise<void> {
  if (sealed.length === 0) return create();
  const stored = await getSpec(client, call, id);
  const spec = JSON.parse(stored.value.toString("utf8")) as { process?: { env?: string[] } };
  const process = spec.process ?? {};
  const full = { ...spec, process: { ...process, env: withEnv(process.env ?? [], [...sealed]) } };
  await putSpec(client, call, id, { type_url: SPEC_TYPE_URL, value: Buffer.from(JSON.stringify(full)) });
  let failure: unknown;
  try {
    await create();
  } catch (e) {
    failure = e;
  }
  try {
    await putSpec(client, call, id, stored);
  } catch (e) {
    if (failure !== undefined) throw failure;
    throw new KukeError("runtime", `cannot restore the stored spec of container ${id} after creating its task`, {
      detail: "the stored spec still holds the secret environment values; the next start restores it",
      remedy: "run kuke apply again once containerd answers",
      cause: e,
    });
  }
  if (failure !== undefined) throw failure;
}
