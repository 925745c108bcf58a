import { type ContainerAddress, type ContainerSpec, formatAddress, parsePortMapping } from "../model/index.js";
import { derivedName } from "./names.js";
import { secretKey } from "./secrets.js";
import type { ExportWarning } from "./types.js";

/**
 * One kuke container → one Kubernetes container, plus the pod volumes it needs. Every field of the
 * effective container is either mapped here or named in a warning (see the README's mapping table).
 */

export interface ContainerExport {
  container: Record<string, unknown>;
  /** Pod-level volumes this container mounts (names unique within the pod). */
  volumes: Array<Record<string, unknown>>;
  warnings: ExportWarning[];
}

/** Name of the pod volume that holds the cell's Secret. */
export const SECRET_VOLUME = "kuke-secrets";

/** kubelet turns a CPU request of m millicores into `m * 1024 / 1000` cgroup shares (at least 2). */
function sharesOf(milliCpu: number): number {
  return Math.max(2, Math.floor((milliCpu * 1024) / 1000));
}

function envOf(entry: string): { name: string; value: string } {
  const eq = entry.indexOf("=");
  return eq < 0 ? { name: entry, value: "" } : { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
}

export function exportContainer(
  a: ContainerAddress,
  c: ContainerSpec,
  options: { secretName?: string; hostNetwork: boolean },
): ContainerExport {
  const address = formatAddress(a);
  const warnings: ExportWarning[] = [];
  const warn = (message: string) => warnings.push({ address, message });
  const volumes: Array<Record<string, unknown>> = [];
  const mounts: Array<Record<string, unknown>> = [];

  const out: Record<string, unknown> = {
    name: c.id,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? "IfNotPresent",
  };
  if (c.command !== undefined) out.command = [c.command];
  if (c.args.length > 0) out.args = [...c.args];
  if (c.workingDir !== undefined) out.workingDir = c.workingDir;

  const env: Array<Record<string, unknown>> = c.env.map(envOf);
  for (const s of c.secrets) {
    if (options.secretName === undefined) continue;
    const key = secretKey(c.id, s.name);
    if (s.mountPath === undefined) {
      env.push({ name: s.name, valueFrom: { secretKeyRef: { name: options.secretName, key } } });
    } else {
      mounts.push({ name: SECRET_VOLUME, mountPath: s.mountPath, subPath: key, readOnly: true });
    }
  }
  if (env.length > 0) out.env = env;

  const ports = (c.ports ?? []).flatMap((text) => {
    const p = parsePortMapping(text);
    if (typeof p === "string") return [];
    if (options.hostNetwork && p.hostPort !== p.containerPort) {
      warn(
        `port ${text}: on the host network Kubernetes needs hostPort = containerPort; exported as ${p.containerPort}`,
      );
    }
    const port: Record<string, unknown> = {
      containerPort: p.containerPort,
      hostPort: options.hostNetwork ? p.containerPort : p.hostPort,
      protocol: p.protocol.toUpperCase(),
    };
    if (p.hostIp !== undefined) port.hostIP = p.hostIp;
    return [port];
  });
  if (ports.length > 0) out.ports = ports;

  const resources = exportResources(c, warn);
  if (resources !== undefined) out.resources = resources;

  c.volumes.forEach((v, i) => {
    const name = derivedName(c.id, `bind${i}`);
    volumes.push({ name, hostPath: { path: v.source } });
    mounts.push({ name, mountPath: v.target, ...(v.readOnly ? { readOnly: true } : {}) });
  });
  c.tmpfs.forEach((t, i) => {
    const name = derivedName(c.id, `tmpfs${i}`);
    volumes.push({
      name,
      emptyDir: { medium: "Memory", ...(t.sizeBytes !== undefined ? { sizeLimit: String(t.sizeBytes) } : {}) },
    });
    mounts.push({ name, mountPath: t.path });
    if (t.options.length > 0) {
      warn(`tmpfs ${t.path}: mount options ${t.options.join(",")} have no Kubernetes equivalent and are left out`);
    }
  });
  if (mounts.length > 0) out.volumeMounts = mounts;

  const security = exportSecurity(c, warn);
  if (Object.keys(security).length > 0) out.securityContext = security;
  return { container: out, volumes, warnings };
}

function exportResources(c: ContainerSpec, warn: (m: string) => void): Record<string, unknown> | undefined {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  const r = c.resources;
  if (r.memoryLimitBytes !== undefined) limits.memory = String(r.memoryLimitBytes);
  if (r.cpuShares !== undefined) {
    const milli = Math.max(1, Math.round((r.cpuShares * 1000) / 1024));
    requests.cpu = `${milli}m`;
    if (sharesOf(milli) !== r.cpuShares) {
      warn(
        `cpuShares ${r.cpuShares} becomes a CPU request of ${milli}m, which the kubelet turns into ${sharesOf(milli)} shares`,
      );
    }
  }
  if (r.pidsLimit !== undefined) {
    warn(
      `pidsLimit ${r.pidsLimit} has no per-container field in Kubernetes (the kubelet's podPidsLimit is node-wide); left out`,
    );
  }
  const out: Record<string, unknown> = {};
  if (Object.keys(limits).length > 0) out.limits = limits;
  if (Object.keys(requests).length > 0) out.requests = requests;
  return Object.keys(out).length > 0 ? out : undefined;
}

function exportSecurity(c: ContainerSpec, warn: (m: string) => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(c.user);
    if (m === null) {
      warn(`user '${c.user}' is a name; Kubernetes takes numeric ids only (runAsUser/runAsGroup), so it is left out`);
    } else {
      out.runAsUser = Number(m[1]);
      if (m[2] !== undefined) out.runAsGroup = Number(m[2]);
    }
  }
  const strip = (cap: string) => (cap.startsWith("CAP_") ? cap.slice(4) : cap);
  if (c.capabilities.add.length > 0 || c.capabilities.drop.length > 0) {
    out.capabilities = {
      ...(c.capabilities.add.length > 0 ? { add: c.capabilities.add.map(strip) } : {}),
      ...(c.capabilities.drop.length > 0 ? { drop: c.capabilities.drop.map(strip) } : {}),
    };
  }
  if (c.readOnlyRootFilesystem) out.readOnlyRootFilesystem = true;
  if (c.privileged) out.privileged = true;
  for (const opt of c.securityOpts) {
    const eq = opt.indexOf("=");
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? undefined : opt.slice(eq + 1);
    if (key === "no-new-privileges") {
      out.allowPrivilegeEscalation = value === "false";
    } else if (key === "seccomp" && value === "unconfined") {
      out.seccompProfile = { type: "Unconfined" };
    } else if (key === "seccomp" && value !== undefined) {
      const file = value.slice(value.lastIndexOf("/") + 1);
      out.seccompProfile = { type: "Localhost", localhostProfile: file };
      warn(
        `seccomp profile ${value}: Kubernetes reads Localhost profiles relative to the kubelet's seccomp directory; copy it to <kubelet root>/seccomp/${file} on every node`,
      );
    }
  }
  if (out.allowPrivilegeEscalation === false && (c.privileged || c.capabilities.add.includes("CAP_SYS_ADMIN"))) {
    // The API server refuses this pair: privileged (or CAP_SYS_ADMIN) implies privilege escalation.
    delete out.allowPrivilegeEscalation;
    warn(
      `no-new-privileges with ${c.privileged ? "privileged" : "CAP_SYS_ADMIN"} cannot be said in Kubernetes (the API refuses allowPrivilegeEscalation: false there); left out`,
    );
  }
  return out;
}
