import { canonicalCapability, nameProblem, parsePortMapping, suggestName } from "../model/index.js";
import { didYouMean } from "./did-you-mean.js";
import type { StringCheck } from "./schema.js";

/**
 * Rules about single string values. Each returns a Problem whose message continues the field path
 * ("spec.image " + "is empty"), or undefined. None of them echoes a value that could be a secret.
 */

export const checkName: StringCheck = (v) => {
  const why = nameProblem(v);
  return why === undefined
    ? undefined
    : {
        code: "invalid-name",
        message: `'${v.slice(0, 80)}' is not a valid name: it ${why}`,
        remedy: `use a lower-case DNS label (a-z, 0-9, '-'), e.g. '${suggestName(v)}'`,
      };
};

/** Linux's PATH_MAX counts the final NUL; NAME_MAX bounds each component. */
export const PATH_MAX_BYTES = 4095;
export const NAME_MAX_BYTES = 255;

/** Why an absolute path cannot exist on Linux, or undefined. */
function pathLengthProblem(v: string): string | undefined {
  const bytes = Buffer.byteLength(v, "utf8");
  if (bytes > PATH_MAX_BYTES)
    return `is ${bytes} bytes long; Linux paths are at most ${PATH_MAX_BYTES} bytes (PATH_MAX)`;
  const long = v.split("/").find((part) => Buffer.byteLength(part, "utf8") > NAME_MAX_BYTES);
  if (long !== undefined) {
    return `has a component of ${Buffer.byteLength(long, "utf8")} bytes ('${long.slice(0, 40)}…'); Linux file names are at most ${NAME_MAX_BYTES} bytes (NAME_MAX)`;
  }
  if (v.includes("\0")) return "contains a NUL character, which no Linux path can hold";
  return undefined;
}

export const checkAbsolutePath: StringCheck = (v) => {
  if (!v.startsWith("/")) {
    return {
      code: "relative-path",
      message: `must be an absolute path, got '${v.slice(0, 80)}'`,
      remedy: `write the full path starting with '/'`,
    };
  }
  const why = pathLengthProblem(v);
  return why === undefined ? undefined : { code: "path-too-long", message: why, remedy: "use a shorter path" };
};

/** The kernel's bound on one argument or environment string, NUL included (MAX_ARG_STRLEN). */
export const MAX_ARG_BYTES = 131_072;

/** One `command`, `args` or `env` string: what execve(2) accepts, or it fails when the task starts. */
export const checkArgument: StringCheck = (v) => {
  const bytes = Buffer.byteLength(v, "utf8");
  if (bytes + 1 > MAX_ARG_BYTES) {
    return {
      code: "argument-too-long",
      message: `is ${bytes} bytes long; Linux takes at most ${MAX_ARG_BYTES - 1} bytes per argument or variable (MAX_ARG_STRLEN)`,
      remedy: "pass large data in a file (a volume or a secret with mountPath) instead",
    };
  }
  if (v.includes("\0")) {
    return {
      code: "invalid-value",
      message: "contains a NUL character, which execve(2) cannot pass",
      remedy: "remove the NUL character",
    };
  }
  return undefined;
};

export const checkNonEmpty: StringCheck = (v) =>
  v.trim() === ""
    ? { code: "invalid-value", message: "is empty", remedy: "write a value or remove the field" }
    : undefined;

export const checkImage: StringCheck = (v) => {
  if (v.trim() === "")
    return {
      code: "invalid-value",
      message: "is empty",
      remedy: "name an image, e.g. docker.io/library/busybox:latest",
    };
  if (/\s/.test(v)) {
    return {
      code: "invalid-value",
      message: `'${v.slice(0, 80)}' is not an image reference (it contains whitespace)`,
      remedy: "write one reference like registry/repository:tag; put arguments under args",
    };
  }
  // A pinned reference (`app@sha256:…`, `app:1@sha256:…`) is what a saved plan runs: it must be exact.
  const at = v.indexOf("@");
  if (at >= 0 && !/^sha256:[a-f0-9]{64}$/.test(v.slice(at + 1))) {
    return {
      code: "invalid-value",
      message: `'${v.slice(0, 120)}' pins a digest that is not sha256: followed by 64 lower-case hex digits`,
      remedy: "copy the digest from kuke image ls or the registry, e.g. busybox@sha256:<64 hex digits>",
    };
  }
  return undefined;
};

/** An environment variable name. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Values are never echoed: an env entry often holds a token. */
export const checkEnv: StringCheck = (v) => {
  const size = checkArgument(v);
  if (size !== undefined) return size;
  const eq = v.indexOf("=");
  if (eq < 0) {
    return {
      code: "invalid-env",
      message: "must have the form KEY=VALUE",
      remedy: "write KEY=VALUE (an empty value is KEY=)",
    };
  }
  const key = v.slice(0, eq);
  return ENV_KEY.test(key)
    ? undefined
    : {
        code: "invalid-env",
        message: `has an invalid variable name '${key.slice(0, 80)}'`,
        remedy: "start the name with a letter or '_' and use only letters, digits and '_'",
      };
};

/** Linux capabilities without the `CAP_` prefix (capabilities(7), up to Linux 6.x). */
export const CAPABILITIES: readonly string[] = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
];
const KNOWN_CAPS = new Set(CAPABILITIES.map((c) => `CAP_${c}`));

export const checkCapability: StringCheck = (v) => {
  const canon = canonicalCapability(v);
  if (canon === "ALL" || KNOWN_CAPS.has(canon)) return undefined;
  const near = didYouMean(canon.slice(4), CAPABILITIES);
  return {
    code: "unknown-capability",
    message: `'${v.slice(0, 80)}' is not a Linux capability`,
    remedy:
      near !== undefined ? `did you mean 'CAP_${near}'?` : "use a name from capabilities(7), like NET_ADMIN, or ALL",
  };
};

export const checkSecurityOpt: StringCheck = (v) => {
  if (/^no-new-privileges(=(true|false))?$/.test(v) || v === "seccomp=unconfined") return undefined;
  if (v.startsWith("seccomp=") && v.length > "seccomp=".length) {
    const path = v.slice("seccomp=".length);
    const why = path.startsWith("/") ? pathLengthProblem(path) : undefined;
    if (why !== undefined)
      return { code: "path-too-long", message: `names a seccomp profile that ${why}`, remedy: "use a shorter path" };
    return v.startsWith("seccomp=/")
      ? undefined
      : {
          code: "invalid-security-opt",
          message: `'${v.slice(0, 80)}' names a seccomp profile by a relative path`,
          remedy: "write seccomp=/absolute/path/to/profile.json",
        };
  }
  return {
    code: "invalid-security-opt",
    message: `'${v.slice(0, 80)}' is not a supported security option`,
    remedy: "use no-new-privileges[=true|false], seccomp=unconfined or seccomp=/path/to/profile.json",
  };
};

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(v: string): boolean {
  return IPV4.test(v);
}

export const checkCidr: StringCheck = (v) => {
  const [addr = "", bits, ...rest] = v.split("/");
  const okBits = bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32);
  return isIPv4(addr) && okBits && rest.length === 0
    ? undefined
    : {
        code: "invalid-cidr",
        message: `'${v.slice(0, 80)}' is not an IPv4 CIDR`,
        remedy: "write an address with an optional prefix length, like 10.0.0.0/8 or 192.0.2.7",
      };
};

const DNS_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export const checkHostName: StringCheck = (v) => {
  const name = v.endsWith(".") ? v.slice(0, -1) : v;
  if (isIPv4(name)) {
    return {
      code: "invalid-host",
      message: `'${v}' is an address, not a DNS name`,
      remedy: `write cidr: ${v} instead of host`,
    };
  }
  const labels = name.split(".");
  return name.length > 0 &&
    name.length <= 253 &&
    labels.every((l) => DNS_LABEL.test(l)) &&
    !/^\d+$/.test(labels.at(-1)!)
    ? undefined
    : {
        code: "invalid-host",
        message: `'${v.slice(0, 80)}' is not a valid DNS name`,
        remedy: "write a host name like example.com (letters, digits, '-' and dots)",
      };
};

/** containerd's namespace rule: alphanumeric words joined by '.', '_' or '-', at most 76 characters. */
export const NAMESPACE_PATTERN = /^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$/;
export const checkNamespace: StringCheck = (v) =>
  NAMESPACE_PATTERN.test(v) && v.length <= 76
    ? undefined
    : {
        code: "invalid-namespace",
        message: `'${v.slice(0, 80)}' is not a valid containerd namespace`,
        remedy: "use letters and digits joined by '.', '_' or '-' (at most 76 characters), e.g. demo.kukeon.io",
      };

/** A published port in docker's short syntax (DESIGN §2 `ports[]`). */
export const checkPort: StringCheck = (v) => {
  const p = parsePortMapping(v);
  return typeof p !== "string"
    ? undefined
    : {
        code: "invalid-port",
        message: `'${v.slice(0, 80)}' ${p}`,
        remedy: "write [ip:]hostPort:containerPort[/tcp|udp], e.g. 127.0.0.1:8080:80 or 53:53/udp",
      };
};
