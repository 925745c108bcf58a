import type { CellAddress, ContainerInput, Lifecycle } from "../model/index.js";
import { type PortMapping, parsePortMapping, SYNTHESIZED_ROOT_ID } from "../model/index.js";
import type { SourcePosition } from "./diagnostic.js";
import type { DocumentContext } from "./document-context.js";
import { nodeAt, type YNode } from "./yaml-tree.js";

/**
 * Rules that relate several fields or several documents: egress targets, ids that must repeat the
 * name, and the cell rules (root choice, reserved id, host networking, non-empty) that can only be
 * judged once top-level Container documents have been folded into their cells.
 */

/** A container as collected: its input, where it was written and how to report about it. */
export interface ContainerEntry {
  input: ContainerInput;
  /** Reports under the container's address, in the document that declared it. */
  ctx: DocumentContext;
  /** Field path of the container in its document: `spec.containers[1]`, or `spec` for a Container document. */
  path: string;
  at: SourcePosition;
  /** The container's YAML mapping, for rules that look at what was written rather than what converted. */
  node: YNode;
}

export interface CellEntry {
  address: CellAddress;
  labels: Record<string, string>;
  rootContainerId: string | undefined;
  containers: ContainerEntry[];
  /** Items written in `spec.containers`, readable or not: a cell whose items all failed is not "empty". */
  written: number;
  ctx: DocumentContext;
  /** The cell's own effective `lifecycle` block. */
  lifecycle?: Lifecycle | undefined;
}

/** Each egress allow rule names exactly one target. Value checks (CIDR, DNS name, ports) ran in the schema. */
export function checkEgress(ctx: DocumentContext): void {
  const rules = nodeAt(ctx.root, ["spec", "network", "egress", "allow"]);
  if (rules?.kind !== "seq") return;
  const base = "spec.network.egress.allow";
  for (let i = 0; i < rules.items.length; i++) {
    const path = `${base}[${i}]`;
    if (rules.items[i]?.kind !== "map") continue;
    const host = ctx.has(`${path}.host`);
    const cidr = ctx.has(`${path}.cidr`);
    if (host === cidr) {
      ctx.error(ctx.posAt(path), path, {
        code: "egress-target",
        message: host ? `${path} sets both host and cidr` : `${path} sets neither host nor cidr`,
        remedy: "give each allow rule exactly one of host: <dns name> or cidr: <a.b.c.d/n>",
      });
    }
  }
}

/** `spec.id` on stacks and cells (and a Container document's) repeats the name; a different one is a mistake. */
export function checkIdMatchesName(ctx: DocumentContext, id: string | undefined, name: string | undefined): void {
  if (id === undefined || name === undefined || id === name) return;
  ctx.error(ctx.posAt("spec.id"), "spec.id", {
    code: "id-mismatch",
    message: `spec.id '${id}' differs from metadata.name '${name}'`,
    remedy: `remove spec.id or set it to '${name}'`,
  });
}

/** The cell rules of DESIGN §2, over the cell's own containers plus folded Container documents. */
export function checkCell(cell: Pick<CellEntry, "rootContainerId" | "containers" | "written" | "ctx">): void {
  const { ctx, containers } = cell;
  if (containers.length === 0) {
    if (cell.written > 0) return;
    ctx.error(ctx.posAt("spec.containers"), "spec.containers", {
      code: "empty-cell",
      message: "a cell needs at least one container",
      remedy: "add spec.containers with at least one {id, image}",
    });
    return;
  }
  const flagged = containers.filter((c) => c.input.root === true);
  const rootId = cell.rootContainerId;
  let root: ContainerEntry | undefined;
  if (rootId !== undefined) {
    root = containers.find((c) => c.input.id === rootId);
    if (root === undefined) {
      ctx.error(ctx.posAt("spec.rootContainerId"), "spec.rootContainerId", {
        code: "root-not-found",
        message: `spec.rootContainerId '${rootId}' names no container of the cell`,
        remedy: `use one of: ${[...new Set(containers.map((c) => c.input.id))].join(", ")}`,
      });
    }
    for (const c of flagged.filter((f) => f !== root)) {
      c.ctx.error(c.ctx.posAt(`${c.path}.root`), `${c.path}.root`, {
        code: "root-conflict",
        message: `container '${c.input.id}' says root: true but spec.rootContainerId is '${rootId}'`,
        remedy: "keep one way of choosing the root: remove root: true or change rootContainerId",
      });
    }
  } else {
    root = flagged[0];
    for (const c of flagged.slice(1)) {
      c.ctx.error(c.ctx.posAt(`${c.path}.root`), `${c.path}.root`, {
        code: "root-conflict",
        message: `container '${c.input.id}' is a second root (first: '${root!.input.id}')`,
        remedy: "a cell has one root: keep root: true on a single container",
      });
    }
  }

  if (rootId === undefined && flagged.length === 0) {
    for (const c of containers.filter((x) => x.input.id === SYNTHESIZED_ROOT_ID)) {
      c.ctx.error(c.ctx.posAt(`${c.path}.id`), `${c.path}.id`, {
        code: "reserved-id",
        message: `the id '${SYNTHESIZED_ROOT_ID}' is reserved for the root kuke synthesizes when a cell declares none`,
        remedy: `rename the container, or make it the root with root: true`,
      });
    }
  }

  if (root !== undefined && root.input.hostNetwork !== true) {
    for (const c of containers.filter((x) => x !== root && x.input.hostNetwork === true)) {
      c.ctx.error(c.ctx.posAt(`${c.path}.hostNetwork`), `${c.path}.hostNetwork`, {
        code: "host-network",
        message: `container '${c.input.id}' uses the host network but the root '${root.input.id}' does not`,
        remedy: `host networking is per cell: set hostNetwork: true on '${root.input.id}' too, or remove it here`,
      });
    }
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Rules between a container's fields: each secret has exactly one source and a usable name. */
export function checkContainer(entry: ContainerEntry): void {
  const { ctx } = entry;
  checkSizes(entry);
  checkVolumes(entry);
  const list = nodeAt(entry.node, ["secrets"]);
  if (list?.kind !== "seq") return;
  list.items.forEach((item, i) => {
    if (item.kind !== "map") return;
    const path = `${entry.path}.secrets[${i}]`;
    const file = ctx.has(`${path}.fromFile`);
    const env = ctx.has(`${path}.fromEnv`);
    if (file === env) {
      ctx.error(ctx.posAt(path), path, {
        code: "secret-source",
        message: file ? `${path} sets both fromFile and fromEnv` : `${path} sets neither fromFile nor fromEnv`,
        remedy: "read each secret from exactly one place: fromFile: /path or fromEnv: VARIABLE",
      });
    }
    const name = nodeAt(item, ["name"]);
    const injected = !ctx.has(`${path}.mountPath`);
    if (injected && name?.kind === "scalar" && typeof name.value === "string" && !ENV_NAME.test(name.value)) {
      ctx.error(name.pos, `${path}.name`, {
        code: "secret-name",
        message: `${path}.name '${name.value.slice(0, 80)}' cannot be an environment variable, and the secret has no mountPath`,
        remedy: "add mountPath: /run/secrets/<file>, or use a name of letters, digits and '_'",
      });
    }
  });
}

/**
 * The kernel copies command, args and environment into the new process (execve): together they
 * must fit its argument space, of which kuke leaves half to the image's own environment and the
 * secrets injected at apply time.
 */
export const MAX_EXEC_BYTES = 1024 * 1024;
/** The whole container as kuke sends it to containerd travels in one gRPC message (16 MiB). */
export const MAX_CONTAINER_BYTES = 2 * 1024 * 1024;

/** What execve(2) and containerd will accept, judged on the converted values. */
function checkSizes(entry: ContainerEntry): void {
  const { ctx, input, path } = entry;
  const strings = [input.command ?? "", ...(input.args ?? []), ...(input.env ?? [])];
  // Each string also costs its NUL and an 8-byte pointer in the new process's arguments.
  const exec = strings.reduce((sum, v) => sum + Buffer.byteLength(v, "utf8") + 9, 0);
  if (exec > MAX_EXEC_BYTES) {
    ctx.error(ctx.posAt(path), path, {
      code: "arguments-too-large",
      message: `command, args and env together take ${exec} bytes; kuke allows ${MAX_EXEC_BYTES} (Linux's execve limit, with room for the image's environment)`,
      remedy: "pass large data in a file (a volume or a secret with mountPath) instead",
    });
  }
  const whole = JSON.stringify(input).length;
  if (whole > MAX_CONTAINER_BYTES) {
    ctx.error(ctx.posAt(path), path, {
      code: "container-too-large",
      message: `the container's settings take ${whole} bytes; kuke allows ${MAX_CONTAINER_BYTES} per container`,
      remedy: "shorten the lists in this container (volumes, tmpfs, env), or move data into files",
    });
  }
}

/** Host paths that expose the whole host to the container; podman warns about `/` too. */
const HOST_WIDE_SOURCES = ["/", "/proc", "/sys", "/dev"];

/** `/a//b/./c/` → `/a/b/c`, `..` resolved lexically (the host is not consulted). */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

/** Volumes that would hide the container's root, or hand it the host's root or kernel interfaces. */
function checkVolumes(entry: ContainerEntry): void {
  const { ctx } = entry;
  (entry.input.volumes ?? []).forEach((v, i) => {
    const path = `${entry.path}.volumes[${i}]`;
    if (typeof v.target === "string" && v.target.startsWith("/") && cleanPath(v.target) === "/") {
      ctx.error(ctx.posAt(`${path}.target`), `${path}.target`, {
        code: "volume-target",
        message: `${path}.target is '/': a volume cannot replace the container's root file system`,
        remedy: "mount the volume at a directory inside the container, e.g. /data",
      });
    }
    if (typeof v.source === "string" && v.source.startsWith("/")) {
      const source = cleanPath(v.source);
      if (HOST_WIDE_SOURCES.includes(source)) {
        ctx.warning(ctx.posAt(`${path}.source`), `${path}.source`, {
          code: "volume-source",
          message: `${path}.source '${source}' gives the container the host's ${source === "/" ? "whole file system" : source}`,
          remedy: "mount only the directory the container needs; set readOnly: true if it must see this",
        });
      }
    }
  });
}

/**
 * A host port is published once per host address and protocol, across every file of the run: the
 * second use is an error pointing at the first. A port on every address (no ip) collides with the
 * same port on any one address.
 */
export function checkHostPorts(entries: ContainerEntry[]): void {
  const seen: { mapping: PortMapping; at: string }[] = [];
  for (const entry of entries) {
    (entry.input.ports ?? []).forEach((text, i) => {
      const mapping = parsePortMapping(text);
      if (typeof mapping === "string") return; // reported by the value check
      const path = `${entry.path}.ports[${i}]`;
      const pos = entry.ctx.posAt(path);
      const first = seen.find(
        (s) =>
          s.mapping.hostPort === mapping.hostPort &&
          s.mapping.protocol === mapping.protocol &&
          (s.mapping.hostIp === undefined || mapping.hostIp === undefined || s.mapping.hostIp === mapping.hostIp),
      );
      if (first !== undefined) {
        entry.ctx.error(pos, path, {
          code: "port-conflict",
          message: `host port ${mapping.hostPort}/${mapping.protocol} is published twice (first at ${first.at})`,
          remedy: "publish each host port once per host address, or pick another host port",
        });
        return;
      }
      seen.push({ mapping, at: `${entry.ctx.file}:${pos.line}:${pos.column}` });
    });
  }
}
