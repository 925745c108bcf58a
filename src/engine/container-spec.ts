import { readFile } from "node:fs/promises";
import type { ResolvedImage } from "../executors/containerd/images.js";
import { buildOciSpec, type CellRole, type OciSpec } from "../executors/containerd/oci-spec.js";
import { errnoOf } from "../fs/fs-errors.js";
import { type CellAddress, type ContainerAddress, parentAddress, parseAddress } from "../model/address.js";
import { KukeError } from "../model/errors.js";
import { RESTART_LABELS } from "../model/restart-policy.js";
import type { SecretRef } from "../model/types.js";
import type { ContainerPayload } from "../planner/step-types.js";
import { resolveRunImage } from "./image-steps.js";
import type { RunContext } from "./run-context.js";
import { readSecret, resolveSecrets } from "./secrets.js";

/**
 * Gathers the host facts a container's OCI spec needs at apply time — the image config, the root
 * task's namespaces to join, secret values, seccomp profiles, the host's nofile cap — and builds
 * the spec. Used by `container.create` and `container.update`.
 */
export async function containerSpecFor(
  ctx: RunContext,
  address: string,
  p: ContainerPayload,
): Promise<{ spec: OciSpec; image: ResolvedImage; sealedEnv: string[] }> {
  const a = parseAddress(address) as ContainerAddress;
  const image = await resolveRunImage(ctx, p.namespace, p.spec);
  const cell = parentAddress(a) as CellAddress;
  const [role, secrets, seccompProfiles, cellFiles] = await Promise.all([
    roleOf(ctx, a, p),
    resolveSecrets(p.spec.secrets, a, ctx.host.runtimeDir, ctx.env),
    readSeccompProfiles(p.spec.securityOpts, a),
    // A host-network cell resolves names as the host does.
    p.netnsName !== undefined ? ctx.dns.ensure(cell) : undefined,
  ]);
  // Secret variables stay out of the spec containerd stores, unless containerd's restart monitor
  // re-creates this container's tasks from that spec by itself (see sealedEnvOf).
  const sealed = storesSecretEnv(p) ? [] : secrets.env.map((e) => `${e.name}=${e.value}`);
  const built = buildOciSpec({
    address: a,
    container: p.spec,
    image: image.process,
    role,
    cgroupsPath: p.cgroupPath,
    secrets: sealed.length > 0 ? { env: [], files: secrets.files } : secrets,
    seccompProfiles,
    ...(cellFiles ? { cellFiles } : {}),
    ...(ctx.hostNofile ? { hostNofile: ctx.hostNofile } : {}),
  });
  // One runc shim per cell instead of one per container: the v2 shim serves every task whose spec
  // names the same group (as CRI does for a pod). Each shim is a process to start and stop (and about
  // 10 MB resident), so a cell of three containers needs one instead of three.
  const group = p.role === "root" || p.rootContainerdId === undefined ? p.containerdId : p.rootContainerdId;
  const spec: OciSpec = Object.assign(built, { annotations: { [SHIM_GROUP_ANNOTATION]: group } });
  return { spec, image, sealedEnv: sealed };
}

/**
 * True when the container's env secrets must be in its stored spec: containerd's restart monitor
 * (which a restart policy label hands the container to) creates tasks from the stored spec alone,
 * and a restarted task without its secrets would silently run misconfigured. The plan warns.
 */
export function storesSecretEnv(p: Pick<ContainerPayload, "labels">): boolean {
  return p.labels[RESTART_LABELS.policy] !== undefined;
}

/**
 * The sealed secret variables `task.start` gives a container's task: those its create or update
 * in this run computed, else read again from the sources its record names (a start in a later run:
 * `kuke start`, or a task that died). The record's secrets are what was applied.
 */
export async function sealedEnvOf(ctx: RunContext, address: string, monitored: boolean): Promise<string[]> {
  const known = ctx.sealedEnv.get(address);
  if (known !== undefined) return known;
  if (monitored) return [];
  const a = parseAddress(address) as ContainerAddress;
  const record = await ctx.host.records.get(a);
  const secrets = ((record?.view.spec.secrets ?? []) as unknown as SecretRef[]).filter(
    (s) => s.mountPath === undefined,
  );
  const out: string[] = [];
  for (const s of secrets) out.push(`${s.name}=${(await readSecret(s, a, ctx.env)).toString("utf8")}`);
  return out;
}

/** The runc v2 shim starts one shim per value of this annotation (containerd ≥ 1.3). */
export const SHIM_GROUP_ANNOTATION = "io.containerd.runc.v2.group";

/**
 * A workload joins the root task's IPC and UTS namespaces through `/proc/<root pid>/ns/*` and the
 * cell's network through the pin (which outlives the root's process), unless the cell uses the
 * host network.
 */
async function roleOf(ctx: RunContext, a: ContainerAddress, p: ContainerPayload): Promise<CellRole> {
  if (p.role === "root" || p.rootContainerdId === undefined) return { kind: "root" };
  const pid = await ctx.taskPid(p.namespace, p.rootContainerdId);
  if (pid === undefined) {
    throw new KukeError("failed-precondition", "the cell's root task is not running", {
      address: a,
      detail: `root container ${p.rootContainerdId} in namespace ${p.namespace} has no running task`,
      remedy: "run kuke apply again: the plan replaces a cell whose root died",
    });
  }
  const cell = parentAddress(a) as CellAddress;
  return {
    kind: "member",
    namespaces: {
      ...(p.netnsName !== undefined ? { network: ctx.host.network.pinPath(cell) } : {}),
      ipc: `/proc/${pid}/ns/ipc`,
      uts: `/proc/${pid}/ns/uts`,
    },
  };
}

/** Parsed JSON of every `seccomp=<path>` profile the container names. */
async function readSeccompProfiles(opts: string[], a: ContainerAddress): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const opt of opts) {
    const m = /^seccomp=(.+)$/.exec(opt);
    const path = m?.[1];
    if (path === undefined || path === "unconfined" || out[path] !== undefined) continue;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new KukeError("invalid-spec", `seccomp profile ${path} cannot be read`, {
        address: a,
        detail: errnoOf(e),
        remedy: "fix the path in securityOpts",
      });
    }
    try {
      out[path] = JSON.parse(text);
    } catch {
      throw new KukeError("invalid-spec", `seccomp profile ${path} is not valid JSON`, { address: a });
    }
  }
  return out;
}
