/**
 * The subset of the OCI runtime spec (runtime-spec v1.0.2, `config.md` and `config-linux.md`) that
 * kuke writes. Field names are the spec's; containerd passes the JSON to runc unchanged.
 */

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
}

export interface OciProcess {
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges: boolean;
}

export interface OciNamespace {
  type: "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup";
  path?: string;
}

export interface OciDeviceRule {
  allow: boolean;
  access: string;
}

export interface OciResources {
  devices: OciDeviceRule[];
  memory?: { limit: number };
  cpu?: { shares: number };
  pids?: { limit: number };
}

export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }>;
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSeccompSyscall[];
}

export interface OciSpec {
  ociVersion: "1.0.2";
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  linux: {
    namespaces: OciNamespace[];
    cgroupsPath: string;
    resources: OciResources;
    seccomp?: OciSeccomp;
  };
}
