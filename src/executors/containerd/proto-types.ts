/**
 * Message codecs built from a protobufjs-JSON descriptor (`proto/descriptor.json`): each type's
 * encoder and decoder are closures made on its first use, and only for the types that call needs.
 *
 * Objects are shaped as protobufjs's `toObject({ longs: Number, enums: String, defaults: true,
 * oneofs: true })` made them: every field present (repeated → [], map → {}, message → null,
 * bytes → empty Buffer, enum → its first value's name), arrays first, then maps, then the rest,
 * each by field number; a set oneof member after them with the oneof's name beside it. Encoding
 * takes what protobufjs's `fromObject` took: null/undefined fields left out, enums by name or
 * number, int64 as Number (or decimal string, or `{low, high}`), bytes as Buffer/Uint8Array/array
 * or base64 string, scalars coerced (`String()`, `Boolean()`, `>>> 0`, `| 0`); a field given
 * explicitly is written even when it holds its default, in field-number order.
 */
import { WIRE, WireReader, WireWriter } from "./proto-wire.js";

/** The descriptor's JSON, as protobufjs's `Root.toJSON()` writes it. */
export interface JsonNode {
  nested?: Record<string, JsonNode>;
  fields?: Record<string, JsonField>;
  oneofs?: Record<string, { oneof: string[] }>;
  values?: Record<string, number>;
  methods?: Record<string, { requestType: string; responseType: string }>;
}

interface JsonField {
  type: string;
  id: number;
  rule?: string;
  keyType?: string;
  options?: { packed?: boolean };
}

/** A message type's codec. */
export interface MessageCodec {
  readonly fullName: string;
  /** The plain object of one message (the whole buffer). */
  decode(buf: Buffer): Record<string, unknown>;
  /** One message's bytes from a plain object. */
  encode(value: unknown): Buffer;
}

interface Scalar {
  wire: number;
  read(r: WireReader): unknown;
  write(w: WireWriter, v: unknown): void;
  /** fromObject's coercion; undefined when the value cannot be one (then it is left out). */
  coerce(v: unknown): unknown;
  packable: boolean;
  /** toObject's default with `defaults: true` (bytes: a fresh Buffer each time). */
  zero(): unknown;
}

const int64Coerce = (v: unknown): unknown => {
  if (typeof v === "number") return v;
  if (typeof v === "string") return Number.parseInt(v, 10);
  if (typeof v === "object" && v !== null) {
    const { low, high } = v as { low: number; high: number };
    return (low >>> 0) + (high | 0) * 4294967296;
  }
  return undefined;
};
const uint64Coerce = (v: unknown): unknown => {
  if (typeof v === "object" && v !== null) {
    const { low, high } = v as { low: number; high: number };
    return (low >>> 0) + (high >>> 0) * 4294967296;
  }
  return int64Coerce(v);
};
const zeroNumber = () => 0;

const toInt32 = (v: unknown) => (v as number) | 0;
const toUint32 = (v: unknown) => (v as number) >>> 0;
const toBytes = (v: unknown) =>
  typeof v === "string" ? Buffer.from(v, "base64") : (v as { length?: number }).length! >= 0 ? v : undefined;
const noBytes = () => Buffer.alloc(0);

/** Each scalar type: its wire type, reader, writer, fromObject coercion and default (one direct call each way). */
const SCALARS: Record<string, Scalar> = {
  double: scalar(
    WIRE.FIXED64,
    (r) => r.double(),
    (w, v) => w.double(v as number),
    Number,
    zeroNumber,
  ),
  float: scalar(
    WIRE.FIXED32,
    (r) => r.float(),
    (w, v) => w.float(v as number),
    Number,
    zeroNumber,
  ),
  int32: scalar(
    WIRE.VARINT,
    (r) => r.int32(),
    (w, v) => w.int32(v as number),
    toInt32,
    zeroNumber,
  ),
  uint32: scalar(
    WIRE.VARINT,
    (r) => r.uint32(),
    (w, v) => w.uint32(v as number),
    toUint32,
    zeroNumber,
  ),
  sint32: scalar(
    WIRE.VARINT,
    (r) => r.sint32(),
    (w, v) => w.sint32(v as number),
    toInt32,
    zeroNumber,
  ),
  fixed32: scalar(
    WIRE.FIXED32,
    (r) => r.fixed32(),
    (w, v) => w.fixed32(v as number),
    toUint32,
    zeroNumber,
  ),
  sfixed32: scalar(
    WIRE.FIXED32,
    (r) => r.sfixed32(),
    (w, v) => w.sfixed32(v as number),
    toInt32,
    zeroNumber,
  ),
  int64: scalar(
    WIRE.VARINT,
    (r) => r.int64(),
    (w, v) => w.int64(v as number),
    int64Coerce,
    zeroNumber,
  ),
  uint64: scalar(
    WIRE.VARINT,
    (r) => r.uint64(),
    (w, v) => w.int64(v as number),
    uint64Coerce,
    zeroNumber,
  ),
  sint64: scalar(
    WIRE.VARINT,
    (r) => r.sint64(),
    (w, v) => w.sint64(v as number),
    int64Coerce,
    zeroNumber,
  ),
  fixed64: scalar(
    WIRE.FIXED64,
    (r) => r.fixed64(),
    (w, v) => w.fixed64(v as number),
    uint64Coerce,
    zeroNumber,
  ),
  sfixed64: scalar(
    WIRE.FIXED64,
    (r) => r.sfixed64(),
    (w, v) => w.fixed64(v as number),
    int64Coerce,
    zeroNumber,
  ),
  bool: scalar(
    WIRE.VARINT,
    (r) => r.bool(),
    (w, v) => w.bool(v as boolean),
    Boolean,
    () => false,
  ),
  string: scalar(
    WIRE.LEN,
    (r) => r.string(),
    (w, v) => w.string(v as string),
    String,
    () => "",
    false,
  ),
  bytes: scalar(
    WIRE.LEN,
    (r) => r.bytes(),
    (w, v) => w.bytes(v as Uint8Array),
    toBytes,
    noBytes,
    false,
  ),
};

function scalar(
  wire: number,
  read: (r: WireReader) => unknown,
  write: (w: WireWriter, v: unknown) => void,
  coerce: (v: unknown) => unknown,
  zero: () => unknown,
  packable = true,
): Scalar {
  return { wire, read, write, coerce, packable, zero };
}

/** How one field's value is read, coerced and written, whatever its kind. */
interface ValueKind {
  wire: number;
  packable: boolean;
  read(r: WireReader, depth: number): unknown;
  /** fromObject: undefined leaves the value out. */
  coerce(v: unknown, where: string): unknown;
  write(w: WireWriter, v: unknown, depth: number): void;
  zero(): unknown;
  /** An enum's first value: fromObject's stand-in for an unknown name in an array. */
  first?: number;
}

interface FieldPlan {
  name: string;
  id: number;
  /** The tag of one (unpacked) value. */
  tag: number;
  kind: ValueKind;
  repeated: boolean;
  packed: boolean;
  /** A map field's key kind (value kind in `kind`). */
  key?: ValueKind;
  /** The oneof this field belongs to. */
  oneof?: string;
}

interface TypePlan {
  fullName: string;
  /** By field number. */
  byId: Map<number, FieldPlan>;
  /** By field number, for numbers below 256 (an array lookup while decoding). */
  small: (FieldPlan | undefined)[];
  /** By field number, for writing. */
  ordered: FieldPlan[];
  /** Defaults in toObject's key order, the immutable ones (null for the rest): copied per message. */
  template: Record<string, unknown>;
  /** The fields whose default is a fresh object (arrays, maps, bytes), set after the copy. */
  fresh: FieldPlan[];
  /** Oneof members by field number. */
  oneofMembers: FieldPlan[];
}

const MAX_DEPTH = 100;

/** The codecs of one descriptor; nothing is built before a type is asked for. */
export class ProtoTypes {
  private readonly index = new Map<string, JsonNode>();
  private readonly plans = new Map<string, TypePlan>();
  private readonly codecs = new Map<string, MessageCodec>();

  constructor(root: JsonNode) {
    const walk = (node: JsonNode, prefix: string) => {
      for (const [name, child] of Object.entries(node.nested ?? {})) {
        const full = prefix === "" ? name : `${prefix}.${name}`;
        this.index.set(full, child);
        walk(child, full);
      }
    };
    walk(root, "");
  }

  /** A service's method: its request and response type names, or undefined. */
  method(service: string, method: string): { requestType: string; responseType: string } | undefined {
    const node = this.index.get(service);
    if (node?.methods === undefined) throw new Error(`no such service '${service}' in kuke's protos`);
    const m = node.methods[method];
    if (m === undefined) return undefined;
    const scope = service.slice(0, service.lastIndexOf("."));
    return { requestType: this.resolve(m.requestType, scope), responseType: this.resolve(m.responseType, scope) };
  }

  /** A name as written in `scope` (a package or message) to its full name, searching outwards. */
  resolve(name: string, scope: string): string {
    if (name.startsWith(".")) {
      if (this.index.has(name.slice(1))) return name.slice(1);
    } else {
      const parts = scope === "" ? [] : scope.split(".");
      for (let i = parts.length; i >= 0; i--) {
        const full = [...parts.slice(0, i), name].join(".");
        const node = this.index.get(full);
        if (node !== undefined && (node.fields !== undefined || node.values !== undefined)) return full;
      }
    }
    throw new Error(`type '${name}' (used in ${scope}) is not in kuke's protos`);
  }

  /** The codec of the message type `fullName`. */
  codec(fullName: string): MessageCodec {
    let codec = this.codecs.get(fullName);
    if (codec === undefined) {
      const plan = this.plan(fullName);
      codec = {
        fullName,
        decode: (buf) => decodeMessage(plan, new WireReader(buf), buf.length, 0),
        encode: (value) => {
          const w = new WireWriter();
          encodeMessage(plan, value, w, 0);
          return w.finish();
        },
      };
      this.codecs.set(fullName, codec);
    }
    return codec;
  }

  private plan(fullName: string): TypePlan {
    let plan = this.plans.get(fullName);
    if (plan !== undefined) return plan;
    const node = this.index.get(fullName);
    if (node?.fields === undefined) throw new Error(`'${fullName}' is not a message type in kuke's protos`);
    plan = { fullName, byId: new Map(), small: [], ordered: [], template: {}, fresh: [], oneofMembers: [] };
    // Registered before its fields are planned: a type may hold itself.
    this.plans.set(fullName, plan);
    const oneofOf = new Map<string, string>();
    for (const [oneof, { oneof: members }] of Object.entries(node.oneofs ?? {})) {
      for (const member of members) oneofOf.set(member, oneof);
    }
    for (const [name, f] of Object.entries(node.fields)) {
      const kind = this.kind(f.type, fullName);
      const repeated = f.rule === "repeated";
      const isMap = f.keyType !== undefined;
      const field: FieldPlan = {
        name,
        id: f.id,
        tag: ((f.id << 3) | (isMap ? WIRE.LEN : kind.wire)) >>> 0,
        kind,
        repeated,
        // Repeated scalars are packed (proto3's default, and protobufjs's for a JSON descriptor) unless `packed = false`.
        packed: repeated && kind.packable && f.options?.packed !== false,
      };
      if (isMap) field.key = this.kind(f.keyType!, fullName);
      const oneof = oneofOf.get(name);
      if (oneof !== undefined) field.oneof = oneof;
      plan.byId.set(f.id, field);
    }
    plan.ordered = [...plan.byId.values()].sort((a, b) => a.id - b.id);
    const top = plan.ordered.reduce((m, f) => (f.id < 256 ? Math.max(m, f.id) : m), 0);
    plan.small = Array.from({ length: top + 1 }, (_, id) => plan?.byId.get(id));
    const inOneof = (f: FieldPlan) => f.oneof !== undefined;
    const defaults = [
      ...plan.ordered.filter((f) => !inOneof(f) && f.repeated),
      ...plan.ordered.filter((f) => !inOneof(f) && !f.repeated && f.key !== undefined),
      ...plan.ordered.filter((f) => !inOneof(f) && !f.repeated && f.key === undefined),
    ];
    for (const f of defaults) {
      const zero = f.repeated || f.key !== undefined ? null : f.kind.zero();
      plan.template[f.name] = Buffer.isBuffer(zero) ? null : zero;
      if (f.repeated || f.key !== undefined || Buffer.isBuffer(zero)) plan.fresh.push(f);
    }
    plan.oneofMembers = plan.ordered.filter(inOneof);
    return plan;
  }

  /** The value kind of a field type as written in message `scope`. */
  private kind(type: string, scope: string): ValueKind {
    const s = SCALARS[type];
    // The shared scalar object itself: readMapEntry recognises string maps by it.
    if (s !== undefined) return s;
    const full = this.resolve(type, scope);
    const node = this.index.get(full)!;
    if (node.values !== undefined) return enumKind(node.values);
    // A message: its plan is made on first use (so a type can hold itself).
    let plan: TypePlan | undefined;
    const planOf = () => {
      plan ??= this.plan(full);
      return plan;
    };
    return {
      wire: WIRE.LEN,
      packable: false,
      read: (r, depth) => decodeMessage(planOf(), r, r.end(), depth + 1),
      coerce: (v, where) => {
        if (typeof v !== "object" || v === null) throw new TypeError(`${where}: object expected`);
        return v;
      },
      write: (w, v, depth) => {
        const mark = w.fork();
        encodeMessage(planOf(), v, w, depth + 1);
        w.endFork(mark);
      },
      zero: () => null,
    };
  }
}

/** An enum: numbers on the wire, names in objects (an unknown number stays a number). */
function enumKind(values: Record<string, number>): ValueKind {
  const names = new Map<number, string>();
  // The last name of a number wins, as in protobufjs's valuesById.
  for (const [name, n] of Object.entries(values)) names.set(n, name);
  const byName = new Map(Object.entries(values));
  const first = Object.values(values)[0] ?? 0;
  const firstName = names.get(first) ?? first;
  return {
    wire: WIRE.VARINT,
    packable: true,
    read: (r) => {
      const n = r.int32();
      return names.get(n) ?? n;
    },
    coerce: (v) => {
      if (typeof v === "string") return byName.get(v);
      return typeof v === "number" ? v : undefined;
    },
    write: (w, v) => w.int32(v as number),
    zero: () => firstName,
    first,
  };
}

function decodeMessage(plan: TypePlan, r: WireReader, end: number, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new Error("maximum nesting depth exceeded");
  const d: Record<string, unknown> = { ...plan.template };
  for (const f of plan.fresh) d[f.name] = f.repeated ? [] : f.key !== undefined ? {} : f.kind.zero();
  let members: Map<number, unknown> | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const wire = tag & 7;
    const id = tag >>> 3;
    const f = id < plan.small.length ? plan.small[id] : plan.byId.get(id);
    if (f === undefined) {
      r.skip(wire);
      continue;
    }
    if (f.key !== undefined) {
      if (wire !== WIRE.LEN) r.skip(wire);
      else readMapEntry(f, r, d[f.name] as Record<string, unknown>, depth);
    } else if (f.repeated) {
      const list = d[f.name] as unknown[];
      if (wire === WIRE.LEN && f.kind.packable) {
        const stop = r.end();
        while (r.pos < stop) list.push(f.kind.read(r, depth));
        if (r.pos !== stop) throw new RangeError("index out of range: a packed field overruns its length");
      } else if (wire === f.kind.wire) list.push(f.kind.read(r, depth));
      else r.skip(wire);
    } else if (wire !== f.kind.wire) r.skip(wire);
    else if (f.oneof !== undefined) {
      members ??= new Map();
      members.set(f.id, f.kind.read(r, depth));
    } else d[f.name] = f.kind.read(r, depth);
  }
  if (r.pos !== end) throw new RangeError(`index out of range: ${plan.fullName} overruns its length`);
  if (members !== undefined) {
    for (const f of plan.oneofMembers) {
      if (!members.has(f.id)) continue;
      d[f.name] = members.get(f.id);
      d[f.oneof!] = f.name;
    }
  }
  return d;
}

/** One map entry: key = 1, value = 2, either may be missing (then its default). */
function readMapEntry(f: FieldPlan, r: WireReader, into: Record<string, unknown>, depth: number): void {
  const stop = r.end();
  let key: unknown;
  let value: unknown;
  if (f.kind === SCALARS.string && f.key === SCALARS.string) {
    // map<string, string> (every map in kuke's protos): tags 0x0a and 0x12, read directly.
    key = "";
    value = "";
    while (r.pos < stop) {
      const tag = r.uint32();
      if (tag === 0x0a) key = r.string();
      else if (tag === 0x12) value = r.string();
      else r.skip(tag & 7);
    }
  } else {
    key = f.key!.zero();
    value = f.kind.zero();
    while (r.pos < stop) {
      const tag = r.uint32();
      const wire = tag & 7;
      if (tag >>> 3 === 1 && wire === f.key!.wire) key = f.key!.read(r, depth);
      else if (tag >>> 3 === 2 && wire === f.kind.wire) value = f.kind.read(r, depth);
      else r.skip(wire);
    }
  }
  if (r.pos !== stop) throw new RangeError("index out of range: a map entry overruns its length");
  const k = String(key);
  if (k === "__proto__")
    Object.defineProperty(into, k, { value, enumerable: true, writable: true, configurable: true });
  else into[k] = value;
}

function encodeMessage(plan: TypePlan, value: unknown, w: WireWriter, depth: number): void {
  if (depth > MAX_DEPTH) throw new Error("maximum nesting depth exceeded");
  if (plan.ordered.length === 0) return;
  if (typeof value !== "object" || value === null) throw new TypeError(`${plan.fullName}: object expected`);
  const obj = value as Record<string, unknown>;
  for (const f of plan.ordered) {
    const v = obj[f.name];
    const where = `${plan.fullName}.${f.name}`;
    if (f.key !== undefined) {
      if (!v) continue;
      if (typeof v !== "object") throw new TypeError(`${where}: object expected`);
      for (const k of Object.keys(v)) {
        const item = f.kind.coerce((v as Record<string, unknown>)[k], where);
        w.tag(f.id, WIRE.LEN);
        const mark = w.fork();
        w.tag(1, f.key.wire);
        f.key.write(w, f.key.coerce(k, where), depth);
        w.tag(2, f.kind.wire);
        // An enum name fromObject does not know is left undefined there and written as 0.
        f.kind.write(w, item === undefined ? (f.kind.first === undefined ? f.kind.zero() : 0) : item, depth);
        w.endFork(mark);
      }
    } else if (f.repeated) {
      if (!v) continue;
      if (!Array.isArray(v)) throw new TypeError(`${where}: array expected`);
      if (v.length === 0) continue;
      // fromObject puts the enum default in an array slot whose value it does not know.
      const items = v.map((x) => {
        const c = f.kind.coerce(x, where);
        return c === undefined ? f.kind.first : c;
      });
      if (f.packed) {
        w.tag(f.id, WIRE.LEN);
        const mark = w.fork();
        for (const item of items) f.kind.write(w, item, depth);
        w.endFork(mark);
      } else {
        for (const item of items) {
          w.uint32(f.tag);
          f.kind.write(w, item, depth);
        }
      }
    } else {
      if (v == null) continue;
      const c = f.kind.coerce(v, where);
      if (c === undefined) continue;
      w.uint32(f.tag);
      f.kind.write(w, c, depth);
    }
  }
}
