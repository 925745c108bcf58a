import {
  type Address,
  addressOf,
  ancestors,
  type Capabilities,
  type Cell,
  type ContainerDefaults,
  type ContainerInput,
  type DesiredState,
  formatAddress,
  isValidName,
  type Lifecycle,
  type LooseContainer,
  normalizeCell,
  normalizeLifecycle,
  normalizeRealmSpec,
  normalizeSpaceSpec,
  parseAddress,
  type RealmSpec,
  type ResourceKind,
  type SpaceSpec,
} from "../model/index.js";
import { type Diagnostic, DiagnosticList, type SourcePosition, sortDiagnostics } from "./diagnostic.js";
import { didYouMean } from "./did-you-mean.js";
import { DocumentContext } from "./document-context.js";
import {
  type CellEntry,
  type ContainerEntry,
  checkCell,
  checkContainer,
  checkEgress,
  checkHostPorts,
  checkIdMatchesName,
} from "./resource-rules.js";
import { convert } from "./schema.js";
import { API_VERSION, CELL_CONTAINER, documentShape, KIND_NAMES, type KindName } from "./shapes.js";
import { nodeAt, type ParsedDocument, parseYamlDocuments, type YNode } from "./yaml-tree.js";

/** One manifest text and the name to show for it (a path as the user wrote it, or `<stdin>`). */
export interface ManifestSource {
  file: string;
  text: string;
}

export interface LoadResult {
  /**
   * The effective desired state of every resource that could be read. Only meaningful when
   * `errorCount` is 0: callers must refuse to plan from files with errors.
   */
  state: DesiredState;
  /** Where each declared resource was written, by address string (`cell/r/s/t/c`). */
  sources: Map<string, SourcePosition>;
  /** Every problem found, in file order then position. */
  diagnostics: Diagnostic[];
  errorCount: number;
  warningCount: number;
  /**
   * Parents the files refer to but do not declare (outermost first, each once). Not an error here:
   * the planner checks that they exist on the host.
   */
  undeclaredParents: Address[];
}

interface Metadata {
  name?: string;
  labels?: Record<string, string>;
}
interface DocValue {
  metadata?: Metadata;
  spec?: Record<string, unknown>;
}
type ContainerDocSpec = ContainerInput & { realmId?: string; spaceId?: string; stackId?: string; cellId?: string };

/**
 * Reads, validates and normalizes manifests. Never throws: every problem with the input, from a
 * YAML syntax error to a second root container, becomes a diagnostic with a position.
 */
export function loadManifests(inputs: readonly ManifestSource[]): LoadResult {
  const loader = new Loader();
  for (const input of inputs) {
    for (const doc of parseYamlDocuments(input.file, input.text, loader.diags)) loader.document(input.file, doc);
  }
  return loader.finish(inputs.map((i) => i.file));
}

const PARENT_KEYS: Record<KindName, string[]> = {
  Realm: [],
  Space: ["realmId"],
  Stack: ["realmId", "spaceId"],
  Cell: ["realmId", "spaceId", "stackId"],
  Container: ["realmId", "spaceId", "stackId", "cellId"],
};

class Loader {
  readonly diags = new DiagnosticList();
  private readonly declared = new Map<string, SourcePosition>();
  private readonly state: DesiredState = { realms: [], spaces: [], stacks: [], cells: [], looseContainers: [] };
  private readonly cells: CellEntry[] = [];
  private readonly containerDocs: { entry: ContainerEntry; labels: Record<string, string>; address: Address }[] = [];
  private readonly spaceDefaults = new Map<string, ContainerDefaults | undefined>();

  document(file: string, doc: ParsedDocument): void {
    const root = doc.root;
    const plain = new DocumentContext(file, doc.index, root, this.diags);
    if (root.kind === "broken") return;
    if (root.kind !== "map") {
      plain.error(root.pos, "", {
        code: "not-a-mapping",
        message: "a document must be a mapping with apiVersion, kind, metadata and spec",
        remedy: "start the document with kind: <Realm|Space|Stack|Cell|Container>",
      });
      return;
    }
    const kind = this.kindOf(plain);
    if (kind === undefined) return;
    const address = identityOf(kind, root);
    const ctx = new DocumentContext(file, doc.index, root, this.diags, address && formatAddress(address));
    const value = convert(root, documentShape(kind), "", ctx) as DocValue | undefined;
    if (value === undefined) return;
    const name = value.metadata?.name;
    const labels = value.metadata?.labels ?? {};
    const spec = value.spec ?? {};
    // kuke's lifecycle block sits in the spec as written, but beside it in the model (never hashed).
    const lifecycle = normalizeLifecycle(spec.lifecycle as Lifecycle | undefined);
    const own = lifecycle !== undefined ? { lifecycle } : {};
    switch (kind) {
      case "Realm":
        if (address?.kind === "realm" && this.register(address, ctx, "")) {
          this.state.realms.push({
            kind: "realm",
            name: address.realm,
            labels,
            ...own,
            spec: normalizeRealmSpec(address.realm, spec as Partial<RealmSpec>),
          });
        }
        return;
      case "Space": {
        checkEgress(ctx);
        if (address?.kind === "space" && this.register(address, ctx, "")) {
          const s = normalizeSpaceSpec(spec as Partial<SpaceSpec>);
          this.spaceDefaults.set(formatAddress(address), s.defaults.container);
          this.state.spaces.push({ kind: "space", name: address.space, realm: address.realm, labels, ...own, spec: s });
        }
        return;
      }
      case "Stack":
        checkIdMatchesName(ctx, spec.id as string | undefined, name);
        if (address?.kind === "stack" && this.register(address, ctx, "")) {
          const { realm, space, stack } = address;
          this.state.stacks.push({ kind: "stack", name: stack, realm, space, labels, ...own, spec: {} });
        }
        return;
      case "Cell":
        this.cell(ctx, address, spec, name, labels, lifecycle);
        return;
      case "Container":
        this.containerDocument(ctx, address, spec as unknown as ContainerDocSpec, name, labels);
        return;
    }
  }

  /** Reads and checks `kind` before anything else: the kind decides which fields exist. */
  private kindOf(ctx: DocumentContext): KindName | undefined {
    const apiVersion = nodeAt(ctx.root, ["apiVersion"]);
    // Types are checked later by the document shape; only the value is judged here.
    if (apiVersion?.kind === "scalar" && typeof apiVersion.value === "string") {
      const p = API_VERSION(apiVersion.value);
      if (p !== undefined) ctx.error(apiVersion.pos, "apiVersion", { ...p, message: `apiVersion ${p.message}` });
    }
    const entry = ctx.root.kind === "map" ? ctx.root.entries.get("kind") : undefined;
    const remedy = `set kind to one of ${KIND_NAMES.join(", ")}`;
    if (entry === undefined) {
      ctx.error(ctx.root.pos, "kind", { code: "missing-field", message: "kind is required", remedy });
      return undefined;
    }
    const v = entry.node.kind === "scalar" ? entry.node.value : undefined;
    if (typeof v !== "string") {
      ctx.error(entry.node.pos, "kind", { code: "wrong-type", message: "kind must be a string", remedy });
      return undefined;
    }
    if ((KIND_NAMES as readonly string[]).includes(v)) return v as KindName;
    const near = didYouMean(v, KIND_NAMES);
    ctx.error(entry.node.pos, "kind", {
      code: "unknown-kind",
      message: `unknown kind '${v.slice(0, 80)}'${near !== undefined ? ` (did you mean '${near}'?)` : ""}`,
      remedy: near !== undefined ? `write kind: ${near} (kinds are case-sensitive)` : remedy,
    });
    return undefined;
  }

  private cell(
    ctx: DocumentContext,
    address: Address | undefined,
    spec: Record<string, unknown>,
    name: string | undefined,
    labels: Record<string, string>,
    lifecycle: Lifecycle | undefined,
  ): void {
    checkIdMatchesName(ctx, spec.id as string | undefined, name);
    const registered = address?.kind === "cell" && this.register(address, ctx, "");
    const containers: ContainerEntry[] = [];
    // Without a cell address the registry cannot see repeated ids; catch them here instead.
    const localIds = new Map<string, string>();
    const list = nodeAt(ctx.root, ["spec", "containers"]);
    if (list !== undefined && list.kind !== "seq" && !(list.kind === "scalar" && list.value === null)) {
      if (list.kind !== "broken") {
        ctx.error(list.pos, "spec.containers", {
          code: "wrong-type",
          message: "spec.containers must be a list of containers",
          remedy: "write each container as a list item: - id: app",
        });
      }
    } else if (list?.kind === "seq") {
      list.items.forEach((item, i) => {
        const path = `spec.containers[${i}]`;
        const id = rawString(item, ["id"]);
        const own =
          address?.kind === "cell" && id !== undefined && isValidName(id)
            ? addressOf("container", [address.realm, address.space, address.stack, address.cell, id])
            : undefined;
        const cctx = ctx.withAddress(own && formatAddress(own));
        const input = convert(item, CELL_CONTAINER, path, cctx) as ContainerInput | undefined;
        if (input === undefined) {
          if (item.kind === "scalar" && item.value === null) {
            ctx.error(item.pos, path, {
              code: "wrong-type",
              message: `${path} is empty`,
              remedy: "remove the empty item",
            });
          }
          return;
        }
        const entry: ContainerEntry = {
          input: completeCapabilities(input),
          ctx: cctx,
          path,
          at: cctx.at(path),
          node: item,
        };
        checkContainer(entry);
        if (address?.kind !== "cell" && input.id !== undefined) {
          const first = localIds.get(input.id);
          if (first !== undefined) {
            cctx.error(cctx.posAt(`${path}.id`), `${path}.id`, {
              code: "duplicate-address",
              message: `container id '${input.id}' is used twice in this cell (first at ${first})`,
              remedy: "give every container of a cell its own id",
            });
          } else {
            const p = cctx.posAt(path);
            localIds.set(input.id, `${ctx.file}:${p.line}:${p.column}`);
          }
        }
        // A container of a duplicate cell would only repeat the cell's duplicate error.
        if (own !== undefined && registered && !this.register(own, cctx, path)) return;
        if (input.id !== undefined) containers.push(entry);
      });
    }
    const rootContainerId = spec.rootContainerId as string | undefined;
    // Something unreadable under containers was already reported; "empty" would only add noise.
    const written =
      list?.kind === "seq" ? list.items.length : ctx.has("spec.containers") || list?.kind === "broken" ? 1 : 0;
    if (address?.kind === "cell" && registered) {
      this.cells.push({ address, labels, rootContainerId, containers, written, ctx, lifecycle });
    } else if (ctx.has("spec")) {
      // Nothing folds into a cell that has no identity (or repeats one), so its rules can run now.
      checkCell({ rootContainerId, containers, written, ctx });
    }
  }

  private containerDocument(
    ctx: DocumentContext,
    address: Address | undefined,
    spec: ContainerDocSpec,
    name: string | undefined,
    labels: Record<string, string>,
  ): void {
    if (name === undefined && spec.id === undefined && !ctx.has("metadata.name") && !ctx.has("spec.id")) {
      ctx.error(ctx.posAt("metadata"), "metadata.name", {
        code: "missing-field",
        message: "a Container needs metadata.name (or spec.id)",
        remedy: "add metadata.name: <container name>",
      });
    }
    checkIdMatchesName(ctx, spec.id, name);
    const specNode = nodeAt(ctx.root, ["spec"]);
    if (specNode !== undefined) checkContainer({ input: spec, ctx, path: "spec", at: ctx.at("spec"), node: specNode });
    if (address?.kind !== "container" || !this.register(address, ctx, "")) return;
    const { realmId: _r, spaceId: _s, stackId: _t, cellId: _c, ...input } = spec;
    input.id = address.container;
    const entry: ContainerEntry = {
      input: completeCapabilities(input),
      ctx,
      path: "spec",
      at: ctx.at(""),
      node: specNode!,
    };
    this.containerDocs.push({ entry, labels, address });
  }

  /** Records an address; a second declaration is an error pointing back at the first. */
  private register(address: Address, ctx: DocumentContext, path: string): boolean {
    const key = formatAddress(address);
    const first = this.declared.get(key);
    if (first !== undefined) {
      ctx.error(ctx.posAt(path), path, {
        code: "duplicate-address",
        message: `${key} is declared more than once (first at ${first.file}:${first.line}:${first.column})`,
        remedy: "remove one of the declarations or give it another name",
      });
      return false;
    }
    this.declared.set(key, ctx.at(path));
    return true;
  }

  finish(fileOrder: string[]): LoadResult {
    const cellsByAddress = new Map(this.cells.map((c) => [formatAddress(c.address), c]));
    for (const doc of this.containerDocs) {
      const a = doc.address;
      if (a.kind !== "container") continue;
      const cell = cellsByAddress.get(formatAddress(addressOf("cell", [a.realm, a.space, a.stack, a.cell])));
      if (cell !== undefined) cell.containers.push(doc.entry);
      else {
        const loose: LooseContainer = {
          kind: "container",
          realm: a.realm,
          space: a.space,
          stack: a.stack,
          cell: a.cell,
          name: a.container,
          labels: doc.labels,
          spec: doc.entry.input,
        };
        this.state.looseContainers.push(loose);
      }
    }
    checkHostPorts([
      ...this.cells.flatMap((c) => c.containers),
      ...this.containerDocs.filter((d) => !cellsByAddress.has(cellKeyOf(d.address))).map((d) => d.entry),
    ]);
    for (const cell of this.cells) {
      checkCell(cell);
      const { realm, space, stack, cell: name } = cell.address;
      const defaults = this.spaceDefaults.get(`space/${realm}/${space}`);
      const spec = normalizeCell(
        {
          ...(cell.rootContainerId !== undefined ? { rootContainerId: cell.rootContainerId } : {}),
          containers: cell.containers.map((c) => c.input),
        },
        defaults,
      );
      const out: Cell = { kind: "cell", name, realm, space, stack, labels: cell.labels, spec };
      if (cell.lifecycle !== undefined) out.lifecycle = cell.lifecycle;
      this.state.cells.push(out);
    }

    const undeclared = new Set<string>();
    for (const key of this.declared.keys()) {
      for (const p of ancestors(parseAddress(key))) {
        const pk = formatAddress(p);
        if (!this.declared.has(pk)) undeclared.add(pk);
      }
    }
    const depth = (k: string) => k.split("/").length;
    const undeclaredParents = [...undeclared]
      .sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0))
      .map(parseAddress);

    if (this.declared.size === 0 && this.diags.errorCount === 0 && fileOrder.length > 0) {
      // As `kubectl apply` refuses "no objects passed to apply": an empty file is a mistake, and
      // applying nothing must not look like success.
      this.diags.add(
        "error",
        { file: fileOrder[0]!, line: 1, column: 1, documentIndex: 0 },
        {
          code: "no-resources",
          path: "",
          message: fileOrder.length === 1 ? "no resources in the file" : `no resources in ${fileOrder.length} files`,
          remedy: `add at least one document with kind: ${KIND_NAMES.join(", ")}`,
        },
      );
    }
    const diagnostics = sortDiagnostics(this.diags.items, fileOrder);
    const errorCount = diagnostics.filter((d) => d.severity === "error").length;
    return {
      state: this.state,
      sources: new Map(this.declared),
      diagnostics,
      errorCount,
      warningCount: diagnostics.length - errorCount,
      undeclaredParents,
    };
  }
}

/** The address string of a container's cell (other addresses: their own). */
function cellKeyOf(a: Address): string {
  return a.kind === "container"
    ? formatAddress(addressOf("cell", [a.realm, a.space, a.stack, a.cell]))
    : formatAddress(a);
}

/** Reads a string at `keys` without reporting anything: identities are needed before conversion. */
function rawString(node: YNode, keys: readonly string[]): string | undefined {
  const n = nodeAt(node, keys);
  return n?.kind === "scalar" && typeof n.value === "string" ? n.value : undefined;
}

/** The document's address, when every name along it is present and valid. */
function identityOf(kind: KindName, root: YNode): Address | undefined {
  const names = PARENT_KEYS[kind].map((k) => rawString(root, ["spec", k]));
  const own =
    rawString(root, ["metadata", "name"]) ?? (kind === "Container" ? rawString(root, ["spec", "id"]) : undefined);
  names.push(own);
  if (!names.every((n): n is string => n !== undefined && isValidName(n))) return undefined;
  return addressOf(kind.toLowerCase() as ResourceKind, names);
}

/** Capabilities lists default to empty so normalization never sees a half-written object. */
function completeCapabilities(input: ContainerInput): ContainerInput {
  if (input.capabilities !== undefined) {
    const c: Partial<Capabilities> = input.capabilities;
    input.capabilities = { add: c.add ?? [], drop: c.drop ?? [] };
  }
  return input;
}
