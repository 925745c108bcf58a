import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../fs/atomic-file.js";
import { readOptional, removeFile } from "../../fs/small-file.js";
import type { ActualAttachment, ActualNetwork, BoundPort, CniPluginFacts } from "../../model/actual-state.js";
import { type CellAddress, formatAddress } from "../../model/address.js";
import { KukeError } from "../../model/errors.js";
import { bridgeName, egressChainName, masqueradeChainOfSpace, netnsName, networkName } from "../../model/host-names.js";
import { formatPortMapping, type PortMapping } from "../../model/ports.js";
import type { EgressPolicy } from "../../model/types.js";
import { listBoundPorts } from "./bound-ports.js";
import { cellConflist, loopbackConflist, pickCniVersion, spaceConflist, takesPortMappings } from "./conflist.js";
import { type AppliedEgress, EgressFirewall, listEgressChains, type Resolver } from "./egress.js";
import { runCommand } from "./host-command.js";
import { removeNatChain } from "./nat-chain.js";
import { NetnsPinner } from "./netns.js";
import { listAttachments as attachmentsIn, listNetworks as networksIn } from "./network-listing.js";
import { type CniResult, type CniRuntime, type ConfList, PluginRunner } from "./plugin-exec.js";
import { ensureSpaceBridge } from "./space-bridge.js";
import { removeChainsAtOnce, type TableChain } from "./space-chains.js";
import { ensureSpaceMasquerade, removeSpaceMasquerade } from "./space-masquerade.js";
import { SubnetAllocator, type SubnetCapacity } from "./subnet-allocator.js";

export interface NetworkExecutorOptions {
  /** kuke's run path; CNI state lives in `<runPath>/cni`. @default "/var/lib/kuke" */
  runPath?: string;
  /** Where netns pins go (`<runtimeDir>/netns`). @default "/run/kuke" */
  runtimeDir?: string;
  /** Plugin directories, searched in order. @default ["/opt/cni/bin", "/usr/lib/cni"] */
  pluginDirs?: string[];
  /** Pool each space's /24 comes from. @default "10.88.0.0/16" */
  subnetPool?: string;
  /** Resolves egress host names. @default dns.lookup, IPv4 */
  resolver?: Resolver;
}

/** A space's network as ensured. */
export interface SpaceNetwork {
  realm: string;
  space: string;
  network: string;
  bridge: string;
  subnet: string;
  gateway: string;
  cniVersion: string;
  conflistPath: string;
}

/** One cell's attachment, as kuke records it. */
export interface CniAttachment {
  /** CNI container id: the cell's netns name. */
  containerId: string;
  /** The cell's address (`cell/<realm>/<space>/<stack>/<cell>`), so listings never parse an id. */
  cell: string;
  network: string;
  netnsPath: string;
  ifName: string;
  /** e.g. `10.88.0.2` */
  ip: string;
  /** e.g. `10.88.0.2/24` */
  cidr: string;
  gateway: string | undefined;
  mac: string | undefined;
  /** The published ports, canonical (`formatPortMapping`), in the order given. */
  ports: string[];
  /** The plugin chain's result, kept so CHECK and DEL get it as `prevResult`. */
  result: CniResult;
}

/** What `kuke init` reports about CNI on this host. */
export interface CniBootstrapReport {
  configDir: string;
  ipamDir: string;
  resultsDir: string;
  pinDir: string;
  pluginDirs: { dir: string; present: boolean }[];
  /** Each plugin kuke needs and where it was found (undefined: missing). */
  plugins: { type: string; path: string | undefined }[];
  /** The CNI version kuke will write; undefined when a needed plugin is missing. */
  cniVersion: string | undefined;
}

/** Leftovers of a space's network on the host, by kind; all empty after a clean teardown. */
export interface NetworkLeaks {
  bridge: string[];
  veths: string[];
  ipamFiles: string[];
  natRules: string[];
  egressRules: string[];
  pins: string[];
  conflist: string[];
  subnetRecord: string[];
  attachmentRecords: string[];
}

/** How a cell's namespace is attached. */
export interface AttachOptions {
  /**
   * The namespace's `lo` is up already, so the loopback plugin is not run: runc brings up `lo` in
   * every network namespace it creates (a cell's root task makes the cell's namespace).
   * @default false
   */
  loopbackUp?: boolean;
}

interface AttachmentFile {
  conflist: ConfList;
  attachment: CniAttachment;
}

/** Linux's bound on one file name, and what `writeFileAtomic`'s temporary name adds to it at most. */
const NAME_MAX = 255;
const TEMP_SUFFIX_MAX = ".".length + ".tmp-".length + 7 + "-".length + 8;

const REQUIRED_PLUGINS = ["bridge", "host-local", "loopback"];
/** Needed only by cells that publish ports; reported by `kuke init`, checked when such a cell is attached. */
const PORT_PLUGINS = ["portmap"];
const IFNAME = "eth0";

/**
 * The network side of kuke: per-space CNI networks (subnet, conflist, bridge), cell attachments
 * through a pinned network namespace, and egress policies. The engine is its only caller.
 */
export class NetworkExecutor {
  readonly configDir: string;
  readonly ipamDir: string;
  readonly resultsDir: string;
  readonly pinner: NetnsPinner;
  readonly plugins: PluginRunner;
  readonly subnets: SubnetAllocator;
  private readonly egress: EgressFirewall;
  private version: Promise<string> | undefined;

  constructor(options: NetworkExecutorOptions = {}) {
    const base = join(options.runPath ?? "/var/lib/kuke", "cni");
    this.configDir = join(base, "net.d");
    this.ipamDir = join(base, "ipam");
    this.resultsDir = join(base, "attachments");
    this.pinner = new NetnsPinner(options.runtimeDir);
    this.plugins = new PluginRunner(options.pluginDirs ? { pluginDirs: options.pluginDirs } : {});
    this.subnets = new SubnetAllocator({ dir: base, ...(options.subnetPool ? { pool: options.subnetPool } : {}) });
    this.egress = new EgressFirewall(options.resolver);
  }

  /** Reports directories, plugins and the CNI version to use. Reads only; never throws for a missing plugin. */
  async bootstrap(): Promise<CniBootstrapReport> {
    const pluginDirs = await Promise.all(
      this.plugins.pluginDirs.map(async (dir) => ({
        dir,
        present: await readdir(dir).then(
          () => true,
          () => false,
        ),
      })),
    );
    const plugins = await Promise.all(
      [...REQUIRED_PLUGINS, ...PORT_PLUGINS].map(async (type) => ({ type, path: await this.plugins.find(type) })),
    );
    const cniVersion = plugins.every((p) => p.path || PORT_PLUGINS.includes(p.type))
      ? await this.cniVersion()
      : undefined;
    return {
      configDir: this.configDir,
      ipamDir: this.ipamDir,
      resultsDir: this.resultsDir,
      pinDir: this.pinner.dir,
      pluginDirs,
      plugins,
      cniVersion,
    };
  }

  /**
   * The plugins kuke runs (bridge, host-local, loopback, portmap) and whether each is installed in
   * one of the plugin directories. Reads only; the planner turns a missing one into a plan error.
   */
  async pluginFacts(): Promise<CniPluginFacts> {
    const types = [...REQUIRED_PLUGINS, ...PORT_PLUGINS];
    const found = await Promise.all(types.map(async (t) => [t, (await this.plugins.find(t)) !== undefined] as const));
    return { dirs: [...this.plugins.pluginDirs], present: Object.fromEntries(found) };
  }

  /**
   * Allocates the space's subnet (once: a /24 no host address or route overlaps), makes its bridge
   * hold the gateway address (so other run paths see the subnet taken), makes the space's
   * masquerade chain hold its rules, and writes its conflist when it differs. Idempotent. Throws `unavailable` with counts when the pool is exhausted.
   * Throws `already-exists` when another space hashes to the same bridge name.
   */
  async ensureSpaceNetwork(realm: string, space: string): Promise<SpaceNetwork> {
    const network = networkName(realm, space);
    const record = await this.subnets.allocate(realm, space, bridgeName(realm, space));
    await ensureSpaceBridge(record.bridge, record.gateway);
    await ensureSpaceMasquerade(masqueradeChainOfSpace(realm, space), record.subnet);
    const cniVersion = await this.cniVersion();
    const list = spaceConflist({ network, ...record, cniVersion, ipamDataDir: this.ipamDir });
    const conflistPath = this.conflistPath(network);
    const text = `${JSON.stringify(list, null, 2)}\n`;
    if ((await readOptional(conflistPath)) !== text) await writeFileAtomic(conflistPath, text);
    return {
      realm,
      space,
      network,
      bridge: record.bridge,
      subnet: record.subnet,
      gateway: record.gateway,
      cniVersion,
      conflistPath,
    };
  }

  /** What is left of the subnet pool (read-only): free /24s, and what takes the others. */
  subnetCapacity(): Promise<SubnetCapacity> {
    return this.subnets.capacity();
  }

  /**
   * Removes everything of the space's network: egress and masquerade chains, bridge, IPAM state,
   * conflist and subnet record. Refuses with `busy` while a cell is still attached. A missing network is success.
   */
  async removeSpaceNetwork(realm: string, space: string): Promise<void> {
    const network = networkName(realm, space);
    const attached = await this.attachmentFiles(network);
    if (attached.length > 0) {
      throw new KukeError("busy", `network ${network} still has ${attached.length} attached cell(s)`, {
        remedy: "detach the cells first",
      });
    }
    const chains: TableChain[] = [
      { table: "filter", chain: egressChainName(realm, space) },
      { table: "nat", chain: masqueradeChainOfSpace(realm, space) },
    ];
    if (!(await removeChainsAtOnce(chains))) {
      await this.egress.remove(realm, space);
      await removeSpaceMasquerade(masqueradeChainOfSpace(realm, space));
    }
    const bridge = bridgeName(realm, space);
    // Deleted without looking first: a failure is one only while the bridge is still there.
    const r = await runCommand("ip", ["link", "del", "dev", bridge]);
    if (r.code !== 0 && (await runCommand("ip", ["link", "show", "dev", bridge])).code === 0) {
      throw new KukeError("runtime", `cannot delete bridge ${bridge}`, { detail: r.stderr });
    }
    await rm(join(this.ipamDir, network), { recursive: true, force: true });
    await removeFile(this.conflistPath(network));
    // Pin files of the space's cells with no namespace mounted on them: a kill between unmounting
    // and removing a pin (nothing else refers to them once the cells are gone).
    await this.pinner.removeUnmounted(`${realm}_${space}_`);
    await this.subnets.release(realm, space);
  }

  /**
   * Pins the namespace of `pid` (the cell's root task) and returns the pin path. Same namespace
   * again: no-op; another namespace already pinned: `already-exists`.
   */
  pin(cell: CellAddress, pid: number): Promise<string> {
    return this.pinner.pin(cell, pid);
  }

  /** Unpins the cell's namespace; idempotent. Call after `detach`. */
  unpin(cell: CellAddress): Promise<void> {
    return this.pinner.unpin(cell);
  }

  /** True when the cell's namespace is pinned. */
  isPinned(cell: CellAddress): Promise<boolean> {
    return this.pinner.isPinned(cell);
  }

  // Bulk listings for refresh: one read each for every space and cell, never a per-resource probe.

  /** `netnsName()`s with a namespace mounted at their pin path, sorted (one read of the mount table). */
  listPinned(): Promise<string[]> {
    return this.pinner.pinnedNames();
  }

  /** Networks by `networkName()`: conflist present, allocated subnet. */
  listNetworks(): Promise<Record<string, ActualNetwork>> {
    return networksIn(this.configDir, this.subnets);
  }

  /** Recorded attachments by `netnsName()`; a torn or vanished record is left out. */
  listAttachments(): Promise<Record<string, ActualAttachment>> {
    return attachmentsIn(this.resultsDir);
  }

  /** Listening TCP and bound UDP sockets of the host (four reads of /proc/net). */
  listBoundPorts(): Promise<BoundPort[]> {
    return listBoundPorts();
  }

  /** kuke's egress chains present in the filter table, sorted (one `iptables -S`). */
  listEgressChains(): Promise<string[]> {
    return listEgressChains();
  }

  /**
   * Attaches the cell's pinned namespace to its space's network (lo up and eth0 on the bridge),
   * publishes `ports` on the host (portmap), and returns the attachment to record. Already attached
   * and CHECK passes: the recorded attachment, its published ports brought to `ports` if they
   * differ (address kept). Throws `not-found` without the space's conflist, `failed-precondition`
   * without a pin.
   */
  async attach(cell: CellAddress, ports: PortMapping[] = [], options: AttachOptions = {}): Promise<CniAttachment> {
    const network = networkName(cell.realm, cell.space);
    // Three independent reads, issued together; checked below in the documented order.
    const [text, pinned, record] = await Promise.all([
      readOptional(this.conflistPath(network)),
      this.pinner.isPinned(cell),
      readOptional(this.attachmentPath(cell)),
    ]);
    if (text === undefined)
      throw new KukeError("not-found", `network ${network} has no configuration`, {
        address: cell,
        remedy: "ensure the space network first",
      });
    if (!pinned) {
      throw new KukeError("failed-precondition", "the cell's network namespace is not pinned", { address: cell });
    }
    const list = cellConflist(JSON.parse(text) as ConfList, ports);
    const rt = this.runtime(cell);
    const known = record === undefined ? undefined : (JSON.parse(record) as AttachmentFile);
    if (known) {
      let healthy = true;
      try {
        await this.plugins.check(withoutPortPlugins(known.conflist), rt, known.attachment.result);
      } catch {
        healthy = false;
        // drifted: undo what is left and attach afresh
        await this.plugins.del(known.conflist, rt, known.attachment.result);
      }
      if (healthy) return this.publishPorts(cell, known, ports);
    }
    // lo and eth0 are independent, so both plugins run at once, as containerd's CNI library does
    // by default. A failed bridge ADD undoes itself; a failed lo ADD undoes the bridge's, so a
    // failed attach leaves no address, veth or NAT rule behind.
    // The bridge is the long pole, so it is spawned first (a spawn blocks the event loop briefly).
    const [eth, lo] = await Promise.allSettled([
      this.plugins.add(list, rt),
      options.loopbackUp ? undefined : this.plugins.add(loopbackConflist(list.cniVersion), { ...rt, ifName: "lo" }),
    ]);
    if (lo.status === "rejected") {
      if (eth.status === "fulfilled") await this.plugins.del(list, rt, eth.value);
      throw lo.reason;
    }
    if (eth.status === "rejected") throw eth.reason;
    const attachment = summarize(cell, network, rt, eth.value, ports);
    await writeFileAtomic(
      this.attachmentPath(cell),
      JSON.stringify({ conflist: list, attachment } satisfies AttachmentFile),
    );
    return attachment;
  }

  /**
   * Brings an attached cell's published ports to `ports` by running only the port plugins: DEL
   * with the recorded mappings, then ADD with the new ones chained on the recorded result. The
   * cell keeps its interface and address, and its containers keep running. No change: no-op.
   * Throws `not-found` when the cell has no attachment.
   */
  async setPorts(cell: CellAddress, ports: PortMapping[]): Promise<CniAttachment> {
    const known = await this.readAttachment(cell);
    if (!known) throw new KukeError("not-found", "the cell has no network attachment", { address: cell });
    return this.publishPorts(cell, known, ports);
  }

  private async publishPorts(cell: CellAddress, known: AttachmentFile, ports: PortMapping[]): Promise<CniAttachment> {
    const wanted = ports.map(formatPortMapping);
    const had = known.attachment.ports ?? [];
    if (had.length === wanted.length && had.every((p, i) => p === wanted[i])) return known.attachment;
    const text = await readOptional(this.conflistPath(known.attachment.network));
    if (text === undefined)
      throw new KukeError("not-found", `network ${known.attachment.network} has no configuration`, { address: cell });
    const rt = this.runtime(cell);
    const portPlugins = (l: ConfList): ConfList => ({ ...l, plugins: l.plugins.filter(takesPortMappings) });
    const oldTail = portPlugins(known.conflist);
    if (oldTail.plugins.length > 0) await this.plugins.del(oldTail, rt, known.attachment.result);
    const list = cellConflist(JSON.parse(text) as ConfList, ports);
    const newTail = portPlugins(list);
    const result =
      newTail.plugins.length > 0
        ? await this.plugins.add(newTail, rt, known.attachment.result)
        : known.attachment.result;
    // The chain's head (bridge, IPAM) is the one that ran: keep it, with the new tail after it.
    const conflist = {
      ...list,
      plugins: [...known.conflist.plugins.filter((p) => !takesPortMappings(p)), ...newTail.plugins],
    };
    const attachment: CniAttachment = { ...known.attachment, ports: wanted, result };
    await writeFileAtomic(this.attachmentPath(cell), JSON.stringify({ conflist, attachment } satisfies AttachmentFile));
    return attachment;
  }

  /** Runs CHECK on the cell's recorded attachment. Throws `not-found` when it has none, the plugin's error when it drifted. */
  async check(cell: CellAddress): Promise<void> {
    const known = await this.readAttachment(cell);
    if (!known) throw new KukeError("not-found", "the cell has no network attachment", { address: cell });
    await this.plugins.check(withoutPortPlugins(known.conflist), this.runtime(cell), known.attachment.result);
  }

  /**
   * Releases the cell's address, veth and NAT rules (CNI DEL), also when the namespace's processes
   * are gone (the pin keeps it) or the namespace itself is gone. When DEL cannot run (neither the
   * attachment record nor the space's conflist is left) the bridge plugin's masquerade chain of the
   * cell is removed by name instead, so nothing of the cell stays in the nat table. Idempotent.
   */
  async detach(cell: CellAddress): Promise<void> {
    const known = await this.readAttachment(cell);
    const rt = this.runtime(cell);
    let list = known?.conflist;
    if (!list) {
      const network = networkName(cell.realm, cell.space);
      const text = await readOptional(this.conflistPath(network));
      if (text === undefined) {
        // Nothing left to run DEL with: remove the rules the plugins made for this cell by name.
        await removeNatChain(portmapChainName(network, netnsName(cell)), "CNI-HOSTPORT-DNAT");
        return removeNatChain(masqueradeChainName(network, netnsName(cell)));
      }
      list = JSON.parse(text) as ConfList;
    }
    if (await this.pinner.isPinned(cell)) {
      // No loopback DEL: it would only take `lo` down in a namespace that is about to go, and it
      // holds nothing on the host (no address, link or rule) to release. One process less per cell.
      await this.plugins.del(list, rt, known?.attachment.result);
    } else {
      // No namespace behind the pin path (a kill between creating the pin file and mounting it, or
      // the pin already removed): the plugins get no netns, as the CNI spec allows for DEL, so they
      // release the address without entering a namespace that is gone (its veth died with it).
      // The bridge plugin then skips its masquerade rules, so they are removed here by name.
      await this.plugins.del(list, { ...rt, netnsPath: "" }, known?.attachment.result);
      await removeNatChain(masqueradeChainName(list.name, netnsName(cell)));
    }
    await removeFile(this.attachmentPath(cell));
  }

  /** Makes the space's egress chain hold exactly `policy`. Throws `not-found` when the space has no network. */
  async applyEgress(realm: string, space: string, policy: EgressPolicy): Promise<AppliedEgress> {
    const record = await this.subnets.get(realm, space);
    if (!record)
      throw new KukeError("not-found", `space ${realm}/${space} has no network`, {
        remedy: "ensure the space network first",
      });
    return this.egress.apply(realm, space, { bridge: record.bridge, subnet: record.subnet }, policy);
  }

  /** Removes the space's egress chain and its FORWARD jump; idempotent. */
  removeEgress(realm: string, space: string): Promise<void> {
    return this.egress.remove(realm, space);
  }

  /** The rules in the space's egress chain, undefined when it has none. */
  readEgress(realm: string, space: string): Promise<string[] | undefined> {
    return this.egress.read(realm, space);
  }

  /**
   * Everything of the space's network still on the host, by kind; `cells` adds their pins and
   * attachment records. Used by tests and by orphan detection.
   */
  async leaks(realm: string, space: string, cells: CellAddress[] = []): Promise<NetworkLeaks> {
    const network = networkName(realm, space);
    const bridge = bridgeName(realm, space);
    const out: NetworkLeaks = {
      bridge: [],
      veths: [],
      ipamFiles: [],
      natRules: [],
      egressRules: [],
      pins: [],
      conflist: [],
      subnetRecord: [],
      attachmentRecords: [],
    };
    if ((await runCommand("ip", ["link", "show", "dev", bridge])).code === 0) out.bridge.push(bridge);
    const veths = await runCommand("ip", ["-o", "link", "show", "master", bridge]);
    if (veths.code === 0)
      out.veths = veths.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(":")[1]?.trim() ?? l);
    out.ipamFiles = await readdir(join(this.ipamDir, network)).then(
      (names) => names.map((n) => join(this.ipamDir, network, n)),
      () => [],
    );
    const nat = await runCommand("iptables-save", ["-t", "nat"]);
    out.natRules = nat.stdout.split("\n").filter((l) => l.includes(`\\"${network}\\"`) || l.includes(`"${network}"`));
    const natLines = nat.stdout.split("\n");
    const masquerade = masqueradeChainOfSpace(realm, space);
    out.natRules.push(...natLines.filter((l) => l === `:${masquerade} - [0:0]` || l.endsWith(` -j ${masquerade}`)));
    for (const cell of cells) {
      // The bridge's masquerade chain, and portmap's per-attachment DNAT chain.
      for (const chain of [masqueradeChainName(network, netnsName(cell)), portmapChainName(network, netnsName(cell))]) {
        if (natLines.includes(`:${chain} - [0:0]`) && !out.natRules.some((l) => l.includes(chain))) {
          out.natRules.push(`:${chain}`);
        }
      }
    }
    const filter = await runCommand("iptables-save", ["-t", "filter"]);
    const chain = egressChainName(realm, space);
    out.egressRules = filter.stdout.split("\n").filter((l) => l.includes(chain));
    for (const cell of cells) {
      const pin = this.pinner.pathOf(cell);
      if ((await this.pinner.isPinned(cell)) || (await readOptional(pin)) !== undefined) out.pins.push(pin);
      if ((await readOptional(this.attachmentPath(cell))) !== undefined)
        out.attachmentRecords.push(this.attachmentPath(cell));
    }
    out.attachmentRecords.push(
      ...(await this.attachmentFiles(network)).filter((f) => !out.attachmentRecords.includes(f)),
    );
    if ((await readOptional(this.conflistPath(network))) !== undefined) out.conflist.push(this.conflistPath(network));
    const record = await this.subnets.get(realm, space);
    if (record) out.subnetRecord.push(`${record.realm}/${record.space} ${record.subnet}`);
    return out;
  }

  private cniVersion(): Promise<string> {
    this.version ??= (async () => {
      const supported = await Promise.all(REQUIRED_PLUGINS.map((t) => this.plugins.versions(t)));
      const v = pickCniVersion(supported);
      if (!v) throw new KukeError("failed-precondition", "the installed CNI plugins share no CNI version kuke speaks");
      return v;
    })();
    this.version.catch(() => {
      this.version = undefined;
    });
    return this.version;
  }

  private runtime(cell: CellAddress): CniRuntime {
    return { containerId: netnsName(cell), netnsPath: this.pinner.pathOf(cell), ifName: IFNAME };
  }

  private conflistPath(network: string): string {
    return join(this.configDir, `${network}.conflist`);
  }

  /**
   * `<network>--<netns name>--eth0.json`; a name that would not fit NAME_MAX with an atomic
   * write's temporary suffix (long realm, space, stack and cell names) puts a hash of the netns
   * name in its place. Readers find attachments by content and by the network prefix, not by name.
   */
  private attachmentPath(cell: CellAddress): string {
    const network = networkName(cell.realm, cell.space);
    const name = `${network}--${netnsName(cell)}--${IFNAME}.json`;
    if (name.length + TEMP_SUFFIX_MAX <= NAME_MAX) return join(this.resultsDir, name);
    const hash = createHash("sha256").update(netnsName(cell)).digest("hex").slice(0, 32);
    return join(this.resultsDir, `${network}--${hash}--${IFNAME}.json`);
  }

  private async attachmentFiles(network: string): Promise<string[]> {
    const names = await readdir(this.resultsDir).catch(() => [] as string[]);
    return names.filter((n) => n.startsWith(`${network}--`)).map((n) => join(this.resultsDir, n));
  }

  private async readAttachment(cell: CellAddress): Promise<AttachmentFile | undefined> {
    const text = await readOptional(this.attachmentPath(cell));
    return text === undefined ? undefined : (JSON.parse(text) as AttachmentFile);
  }
}

/**
 * The nat chain the bridge plugin makes for one attachment's masquerade rules: `CNI-` and the
 * first 24 hex digits of sha512(network name + container id), as the plugins' shared utils name it.
 */
export function masqueradeChainName(network: string, containerId: string): string {
  return `CNI-${createHash("sha512")
    .update(network + containerId)
    .digest("hex")}`.slice(0, 28);
}

/**
 * The chain without its port plugins, for CHECK: portmap 1.1.1 (Debian 12) fails CHECK on an
 * IPv4-only attachment, looking for an IPv6 DNAT chain it never made. The published ports are
 * kept as recorded; ADD and DEL still run portmap.
 */
function withoutPortPlugins(list: ConfList): ConfList {
  return { ...list, plugins: list.plugins.filter((p) => !takesPortMappings(p)) };
}

/**
 * The nat chain portmap makes for one attachment's published ports (`CNI-DN-` and a hash of the
 * network name and container id, 28 characters in all, as the plugins' shared utils name it).
 */
export function portmapChainName(network: string, containerId: string): string {
  return `CNI-DN-${createHash("sha512")
    .update(network + containerId)
    .digest("hex")}`.slice(0, 28);
}

/** The fields kuke records from a bridge plugin result: the address on the interface inside the namespace. */
function summarize(
  cell: CellAddress,
  network: string,
  rt: CniRuntime,
  result: CniResult,
  ports: PortMapping[],
): CniAttachment {
  const ifaces = result.interfaces ?? [];
  const inside = ifaces.findIndex((i) => i.name === rt.ifName && i.sandbox);
  const ip = (result.ips ?? []).find((x) => x.interface === undefined || x.interface === inside) ?? result.ips?.[0];
  if (!ip) throw new KukeError("runtime", `CNI ADD on ${network} returned no address`);
  return {
    containerId: rt.containerId,
    cell: formatAddress(cell),
    network,
    netnsPath: rt.netnsPath,
    ifName: rt.ifName,
    ip: ip.address.split("/")[0] ?? ip.address,
    cidr: ip.address,
    gateway: ip.gateway,
    mac: inside >= 0 ? ifaces[inside]?.mac : undefined,
    ports: ports.map(formatPortMapping),
    result,
  };
}
