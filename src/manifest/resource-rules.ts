import type { CellAddress, ContainerInput } from "../model/index.js";
import { SYNTHESIZED_ROOT_ID } from "../model/index.js";
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

/**
 * Rules between a container's fields: each secret has exactly one source and a usable name. Also
 * says that `ports` are read but not yet published by apply (only `kuke export` maps them).
 */
export function checkContainer(entry: ContainerEntry): void {
  const { ctx } = entry;
  if (ctx.has(`${entry.path}.ports`)) {
    ctx.warning(ctx.posAt(`${entry.path}.ports`), `${entry.path}.ports`, {
      code: "ports-not-published",
      message: `${entry.path}.ports is not published by kuke apply yet (kuke export kubernetes maps it)`,
      remedy: "reach the container through its cell's IP on the space's bridge until kuke publishes ports",
    });
  }
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
