import { KukeError } from "../../model/errors.js";
import type { OciSeccomp, OciSeccompSyscall } from "./oci-spec-types.js";

/**
 * Turns a seccomp profile file (`securityOpts: ["seccomp=<path>"]`) into the runtime spec's
 * `linux.seccomp`. Accepts the OCI form and docker's profile form (`archMap`, per-rule
 * `includes`/`excludes`). Docker's conditional rules are decided here, for this container: a rule
 * whose conditions cannot be checked (a minimum kernel version) is left out, which only ever makes
 * the filter stricter, never looser.
 */

interface ProfileRule {
  names?: string[];
  name?: string;
  action?: string;
  errnoRet?: number;
  args?: OciSeccompSyscall["args"] | null;
  includes?: RuleCondition;
  excludes?: RuleCondition;
}

interface RuleCondition {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

interface Profile {
  defaultAction?: unknown;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>;
  flags?: string[];
  syscalls?: ProfileRule[];
}

/** libseccomp's names for the native architecture of each OCI architecture. */
const NATIVE_SECCOMP_ARCH: Record<string, string> = {
  amd64: "SCMP_ARCH_X86_64",
  arm64: "SCMP_ARCH_AARCH64",
  arm: "SCMP_ARCH_ARM",
  "386": "SCMP_ARCH_X86",
  ppc64le: "SCMP_ARCH_PPC64LE",
  s390x: "SCMP_ARCH_S390X",
  riscv64: "SCMP_ARCH_RISCV64",
};

function invalid(path: string, problem: string): KukeError {
  return new KukeError("invalid-spec", `seccomp profile ${path} is not usable: ${problem}`, {
    remedy: "give a profile in docker's or the OCI runtime spec's seccomp JSON format, or use seccomp=unconfined",
  });
}

function capsOk(c: RuleCondition | undefined, caps: readonly string[], wantAll: boolean): boolean {
  if (!c?.caps || c.caps.length === 0) return wantAll;
  const have = (x: string) => caps.includes(x.startsWith("CAP_") ? x : `CAP_${x}`);
  return wantAll ? c.caps.every(have) : c.caps.some(have);
}

/** Whether a docker-form rule applies to a container with `caps` on `architecture`. */
function ruleApplies(rule: ProfileRule, architecture: string, caps: readonly string[]): boolean {
  const inc = rule.includes;
  if (inc?.minKernel) return false;
  if (inc?.arches && inc.arches.length > 0 && !inc.arches.includes(architecture)) return false;
  if (!capsOk(inc, caps, true)) return false;
  const exc = rule.excludes;
  if (exc?.arches?.includes(architecture)) return false;
  if (exc?.caps && exc.caps.length > 0 && capsOk(exc, caps, false)) return false;
  return true;
}

/**
 * @param profile the parsed JSON of the profile file.
 * @param ctx.architecture OCI architecture of the host; picks the `archMap` entry.
 * @param ctx.capabilities the container's effective capabilities; decides `includes.caps` rules.
 * @throws KukeError `invalid-spec` when the profile has no `defaultAction` or rules without names.
 */
export function seccompFromProfile(
  profile: unknown,
  ctx: { path: string; architecture: string; capabilities: readonly string[] },
): OciSeccomp {
  if (profile === null || typeof profile !== "object" || Array.isArray(profile)) {
    throw invalid(ctx.path, "not a JSON object");
  }
  const p = profile as Profile;
  if (typeof p.defaultAction !== "string") throw invalid(ctx.path, "defaultAction is missing");
  const out: OciSeccomp = { defaultAction: p.defaultAction };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  if (p.archMap && p.archMap.length > 0) {
    const native = NATIVE_SECCOMP_ARCH[ctx.architecture];
    const entry = p.archMap.find((a) => a.architecture === native);
    if (entry) out.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  } else if (p.architectures && p.architectures.length > 0) {
    out.architectures = [...p.architectures];
  }
  if (p.flags && p.flags.length > 0) out.flags = [...p.flags];
  const syscalls: OciSeccompSyscall[] = [];
  for (const [i, rule] of (p.syscalls ?? []).entries()) {
    const names = rule.names ?? (rule.name !== undefined ? [rule.name] : []);
    if (names.length === 0 || typeof rule.action !== "string") {
      throw invalid(ctx.path, `syscalls[${i}] needs names and an action`);
    }
    if (!ruleApplies(rule, ctx.architecture, ctx.capabilities)) continue;
    const s: OciSeccompSyscall = { names: [...names], action: rule.action };
    if (rule.errnoRet !== undefined) s.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) s.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  if (syscalls.length > 0) out.syscalls = syscalls;
  return out;
}
