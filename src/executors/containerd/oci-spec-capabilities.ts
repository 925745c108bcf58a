import type { Capabilities } from "../../model/types.js";

/**
 * Linux capability sets, docker-style: the default set docker grants, every capability for
 * privileged containers, and docker's rules for `add`/`drop` with `ALL`.
 */

/** Every capability up to Linux 5.9 (runc ignores, with a warning, any the kernel lacks). */
export const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
];

/** What docker grants a container that asks for nothing. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/**
 * The capability set of a container. `caps` holds canonical names (`normalizeCapabilities`).
 * Privileged means every capability, whatever add/drop say. Otherwise, as docker does: `add: [ALL]`
 * is every capability minus `drop`; `drop: [ALL]` is exactly `add`; else the default set minus
 * `drop` plus `add`. The result keeps a stable order (the kernel's numbering) for golden files.
 */
export function effectiveCapabilities(caps: Capabilities, privileged: boolean): string[] {
  if (privileged) return [...ALL_CAPABILITIES];
  let set: Set<string>;
  if (caps.add.includes("ALL")) {
    set = new Set(ALL_CAPABILITIES.filter((c) => !caps.drop.includes(c)));
  } else if (caps.drop.includes("ALL")) {
    set = new Set(caps.add);
  } else {
    set = new Set(DEFAULT_CAPABILITIES.filter((c) => !caps.drop.includes(c)));
    for (const c of caps.add) set.add(c);
  }
  const rank = (c: string) => {
    const i = ALL_CAPABILITIES.indexOf(c);
    return i < 0 ? ALL_CAPABILITIES.length : i;
  };
  return [...set].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
