/**
 * kuke's protobuf codec (proto-types.ts, proto-wire.ts) against protobufjs, which the client used
 * before and which stays a devDependency for this and `npm run proto`: for every method of every
 * service in kuke's protos, requests encode to the same bytes as protobufjs's
 * `encode(fromObject(x))`, and responses (made by protobufjs from representative objects, with
 * unknown fields added at every level) decode to what `toObject` with proto-loader's options gave,
 * key order, Buffers and all. A synthetic proto covers what kuke's protos do not use yet: oneofs,
 * proto3 `optional`, packed and unpacked repeated scalars, every scalar type, maps of messages.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DESCRIPTOR_FILE, methodCodec, protoDir } from "../../../src/executors/containerd/proto-codec.js";
import { type JsonNode, ProtoTypes } from "../../../src/executors/containerd/proto-types.js";

type PB = typeof import("protobufjs");
type Type = import("protobufjs").Type;
type Root = import("protobufjs").Root;
const pb = createRequire(import.meta.url)("protobufjs") as PB;

const t = suite("executors/containerd/proto-equivalence");

const TO_OBJECT = { longs: Number, enums: String, defaults: true, oneofs: true };

const descriptor = () => JSON.parse(readFileSync(`${protoDir()}${DESCRIPTOR_FILE}`, "utf8")) as JsonNode;

/** A value's shape with key order, Buffer-ness and number-ness kept, for an exact comparison. */
function shape(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return ["Buffer", v.toString("hex")];
  if (v instanceof Uint8Array) return ["Uint8Array", Buffer.from(v).toString("hex")];
  if (Array.isArray(v)) return ["Array", v.map(shape)];
  if (v !== null && typeof v === "object") return ["Object", Object.entries(v).map(([k, x]) => [k, shape(x)])];
  return [typeof v, v];
}

/** Representative values of a field's type; `variant` picks among them. */
function scalarSample(type: string, variant: number): unknown {
  const pick = <T>(xs: T[]) => xs[variant % xs.length];
  switch (type) {
    case "string":
      return pick(["c1", "", "label ✓ é 😀", "x".repeat(200)]);
    case "bytes":
      return pick([Buffer.from([0, 1, 2, 255]), Buffer.alloc(0), Buffer.alloc(300, 7), new Uint8Array([9, 8])]);
    case "bool":
      return pick([true, false]);
    case "int64":
    case "sint64":
    case "sfixed64":
      return pick([2 ** 40 + 3, 0, -5, 2 ** 53 - 1, -(2 ** 33) - 7, 127, 128]);
    case "uint64":
    case "fixed64":
      return pick([2 ** 52 + 1, 0, 1, 2 ** 32, 300]);
    case "int32":
    case "sint32":
    case "sfixed32":
      return pick([-7, 0, 2 ** 31 - 1, -(2 ** 31), 150]);
    case "uint32":
    case "fixed32":
      return pick([4_000_000_000, 0, 1, 127, 16384]);
    case "double":
      return pick([1.5, 0, -2.25e300, Number.MIN_VALUE]);
    case "float":
      return pick([0.25, 0, -1024.5]);
    default:
      throw new Error(`no sample for ${type}`);
  }
}

/** A representative object of `T`: every field set (one member per oneof), nested to `depth`. */
function sample(T: Type, variant: number, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofsDone = new Set<string>();
  for (const f of T.fieldsArray) {
    f.resolve();
    if (f.partOf !== null && f.partOf !== undefined) {
      // One member per oneof, a different one per variant.
      const members = f.partOf.fieldsArray;
      if (oneofsDone.has(f.partOf.name) || members[variant % members.length] !== f) continue;
      oneofsDone.add(f.partOf.name);
    }
    const one = (i: number): unknown => {
      const rt = f.resolvedType;
      if (rt instanceof pb.Enum) {
        const names = Object.keys(rt.values);
        return names[(variant + i) % names.length];
      }
      if (rt instanceof pb.Type) return depth < 2 ? sample(rt, variant + i, depth + 1) : {};
      return scalarSample(f.type, variant + i);
    };
    const fm = f as unknown as { map?: boolean; keyType?: string };
    if (fm.map) {
      out[f.name] = {
        "kuke.dev/hash": one(0),
        "containerd.io/gc.ref.content.m/0": one(1),
        [String(scalarSample(fm.keyType === "string" ? "string" : fm.keyType!, variant + 2))]: one(2),
      };
    } else if (f.repeated) out[f.name] = variant % 3 === 2 ? [] : [one(0), one(1), one(2)];
    else out[f.name] = one(0);
  }
  return out;
}

/** Every message type and every (service, method) under `root`. */
function walk(root: Root): { types: Type[]; methods: [string, string, Type, Type][] } {
  const types: Type[] = [];
  const methods: [string, string, Type, Type][] = [];
  const visit = (ns: import("protobufjs").NamespaceBase) => {
    for (const child of ns.nestedArray) {
      if (child instanceof pb.Type) types.push(child);
      if (child instanceof pb.Service) {
        for (const m of child.methodsArray) {
          m.resolve();
          methods.push([child.fullName.slice(1), m.name, m.resolvedRequestType!, m.resolvedResponseType!]);
        }
      }
      if (child instanceof pb.Namespace || child instanceof pb.Type || child instanceof pb.Service) visit(child);
    }
  };
  visit(root);
  return { types, methods };
}

/** The descriptor with fields no kuke codec knows added to every message type (for unknown-field skipping). */
function withUnknownFields(json: JsonNode): JsonNode {
  const copy = JSON.parse(JSON.stringify(json)) as JsonNode;
  const visit = (node: JsonNode) => {
    if (node.fields !== undefined) {
      Object.assign(node.fields, {
        zz_varint: { type: "int64", id: 1990 },
        zz_fixed64: { type: "fixed64", id: 1991 },
        zz_len: { type: "string", id: 1992 },
        zz_fixed32: { type: "fixed32", id: 1993 },
        zz_message: { type: "Zz", id: 1994 },
        zz_packed: { rule: "repeated", type: "int32", id: 1995, options: { packed: true } },
      });
      node.nested = { ...node.nested, Zz: { fields: { a: { type: "string", id: 1 }, b: { type: "uint64", id: 2 } } } };
    }
    for (const child of Object.values(node.nested ?? {}))
      if (child !== undefined && child.fields === undefined) visit(child);
    for (const [name, child] of Object.entries(node.nested ?? {}))
      if (name !== "Zz" && child.fields !== undefined) visit(child);
  };
  visit(copy);
  return copy;
}

/** The unknown fields' values for a sample of the augmented type. */
function addUnknowns(obj: Record<string, unknown>, T: Type): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...obj,
    zz_varint: -3,
    zz_fixed64: 2 ** 40,
    zz_len: "unknown",
    zz_fixed32: 9,
    zz_message: { a: "x", b: 5 },
    zz_packed: [1, -2, 300],
  };
  for (const f of T.fieldsArray) {
    const rt = f.resolvedType;
    if (!(rt instanceof pb.Type) || obj[f.name] === undefined) continue;
    const fm = f as unknown as { map?: boolean };
    if (fm.map) continue;
    out[f.name] = f.repeated
      ? (obj[f.name] as Record<string, unknown>[]).map((x) => addUnknowns(x, rt))
      : addUnknowns(obj[f.name] as Record<string, unknown>, rt);
  }
  return out;
}

/** Asserts kuke's codec and protobufjs agree on `T` for the samples: encode bytes, and decode. */
function agree(
  ours: ProtoTypes,
  augmented: Root,
  T: Type,
  encodeWith: (v: unknown) => Uint8Array,
  decodeWith: (b: Buffer) => unknown,
): number {
  let checks = 0;
  const name = T.fullName.slice(1);
  const A = augmented.lookupType(name);
  const inputs: unknown[] = [{}, sample(T, 0), sample(T, 1), sample(T, 2), sample(T, 3)];
  for (const [i, input] of inputs.entries()) {
    const theirs = Buffer.from(T.encode(T.fromObject(input as Record<string, unknown>)).finish());
    const mine = Buffer.from(encodeWith(input));
    if (!mine.equals(theirs)) {
      let at = 0;
      while (at < mine.length && mine[at] === theirs[at]) at++;
      assert.unreachable(
        `${name} sample ${i}: bytes differ from offset ${at} of ${theirs.length} (${mine.length} written)`,
      );
    }
    const expect = shape(T.toObject(T.decode(theirs), TO_OBJECT));
    assert.equal(shape(decodeWith(theirs)), expect, `${name} sample ${i} decodes`);
    // The same with fields a newer daemon might send, at every level.
    const withUnknown = Buffer.from(A.encode(A.fromObject(addUnknowns(input as Record<string, unknown>, T))).finish());
    assert.equal(shape(decodeWith(withUnknown)), expect, `${name} sample ${i} skips unknown fields`);
    checks += 3;
  }
  // The codec for the type itself agrees with the method's.
  assert.equal(
    shape(ours.codec(name).decode(Buffer.alloc(0))),
    shape(T.toObject(T.decode(Buffer.alloc(0)), TO_OBJECT)),
  );
  return checks;
}

t("every method in kuke's protos: requests encode to protobufjs's bytes, responses decode to its toObject", () => {
  const json = descriptor();
  const root = pb.Root.fromJSON(json);
  const augmented = pb.Root.fromJSON(withUnknownFields(json));
  const ours = new ProtoTypes(json);
  const { methods } = walk(root);
  assert.ok(methods.length >= 40, `found ${methods.length} methods`);
  let checks = 0;
  for (const [service, method, Req, Res] of methods) {
    const codec = methodCodec(service, method)!;
    assert.is(codec.path, `/${service}/${method}`);
    checks += agree(ours, augmented, Req, codec.encode, (b) => ours.codec(Req.fullName.slice(1)).decode(b));
    // Responses are encoded too by kuke's tests' fake daemons; both ways must agree for both types.
    checks += agree(ours, augmented, Res, (v) => ours.codec(Res.fullName.slice(1)).encode(v), codec.decode);
  }
  assert.ok(checks > 500);
});

t("kuke's request shapes encode as protobufjs encoded them", () => {
  const json = descriptor();
  const root = pb.Root.fromJSON(json);
  const cases: [string, string, Record<string, unknown>][] = [
    ["containerd.services.version.v1.Version", "Version", {}],
    ["containerd.services.tasks.v1.Tasks", "Kill", { container_id: "c1", signal: 15, all: false }],
    ["containerd.services.tasks.v1.Tasks", "Start", { container_id: "c1", exec_id: undefined }],
    ["containerd.services.leases.v1.Leases", "Delete", { id: "l", sync: false }],
    [
      "containerd.services.snapshots.v1.Snapshots",
      "Commit",
      { snapshotter: "overlayfs", name: "n", key: "k", labels: {} },
    ],
    [
      "containerd.services.containers.v1.Containers",
      "Update",
      {
        container: { id: "c", spec: { type_url: "t", value: Buffer.alloc(5000, 1) } },
        update_mask: { paths: ["spec"] },
      },
    ],
    [
      "containerd.services.content.v1.Content",
      "Write",
      { action: "WRITE", ref: "r", offset: 3 * 2 ** 20, data: Buffer.alloc(2 ** 20, 3), total: 2 ** 33 },
    ],
    ["containerd.services.content.v1.Content", "Write", { action: 2, ref: "r", expected: "sha256:x" }],
    ["containerd.services.content.v1.Content", "Write", { action: "NO_SUCH_ACTION", ref: "r" }],
    ["containerd.services.content.v1.Content", "Read", { digest: "d", offset: "12", size: { low: 5, high: 1 } }],
    ["containerd.services.containers.v1.Containers", "List", { filters: ['labels."kuke.dev/managed"==true'] }],
    ["containerd.services.containers.v1.Containers", "Create", { container: { id: "c", labels: { a: null } } }],
    ["containerd.services.content.v1.Content", "Write", { ref: "r", data: "aGVsbG8=" }],
  ];
  for (const [service, method, req] of cases) {
    const m = root.lookupService(service).methods[method]!;
    m.resolve();
    const T = m.resolvedRequestType!;
    const theirs = Buffer.from(T.encode(T.fromObject(req)).finish()).toString("hex");
    assert.is(Buffer.from(methodCodec(service, method)!.encode(req)).toString("hex"), theirs, `${service}.${method}`);
  }
  // What fromObject refuses, the codec refuses too (the client reports it as INTERNAL).
  const create = methodCodec("containerd.services.containers.v1.Containers", "Create")!;
  assert.throws(() => create.encode({ container: "c1" }), /object expected/);
  assert.throws(() => create.encode({ container: { id: "c", labels: "x" } }), /object expected/);
  const list = methodCodec("containerd.services.containers.v1.Containers", "List")!;
  assert.throws(() => list.encode({ filters: "x" }), /array expected/);
});

const SYNTHETIC = `
syntax = "proto3";
package kt;
enum Color { RED = 0; GREEN = 1; BLUE = -2; }
message Leaf { string s = 1; Color c = 2; map<string, Leaf> kids = 3; }
message All {
  double d = 1; float f = 2; int32 i32 = 3; int64 i64 = 4; uint32 u32 = 5; uint64 u64 = 6;
  sint32 s32 = 7; sint64 s64 = 8; fixed32 f32 = 9; fixed64 f64 = 10; sfixed32 sf32 = 11;
  sfixed64 sf64 = 12; bool b = 13; string s = 14; bytes by = 15; Color color = 16;
  repeated int32 packed_i = 17 [packed = true]; repeated sint64 plain_s = 18 [packed = false];
  repeated Color colors = 19; repeated double ds = 20;
  oneof choice { string name = 21; Leaf leaf = 22; int64 number = 23; }
  optional string maybe = 24;
  map<string, Leaf> leaves = 25; map<int32, string> by_int = 26; map<string, Color> shades = 27;
  map<string, bytes> blobs = 28; Leaf one = 29; repeated Leaf many = 30;
  oneof other { bool flag = 31; bytes raw = 32; }
}
message Empty {}
`;

t("oneofs, proto3 optional, every scalar, packed and unpacked repeated, maps of messages and enums", () => {
  const json = pb.parse(SYNTHETIC, { keepCase: true }).root.toJSON() as JsonNode;
  const root = pb.Root.fromJSON(json);
  const augmented = pb.Root.fromJSON(withUnknownFields(json));
  const ours = new ProtoTypes(json);
  for (const name of ["kt.All", "kt.Leaf", "kt.Empty"]) {
    const T = root.lookupType(name);
    const codec = ours.codec(name);
    agree(ours, augmented, T, codec.encode, codec.decode);
  }
  // Packed on the wire where the descriptor says unpacked (and the reverse) decodes all the same.
  const flipped = JSON.parse(JSON.stringify(json)) as {
    nested: { kt: { nested: { All: { fields: Record<string, { options?: { packed?: boolean } }> } } } };
  };
  const fields = flipped.nested.kt.nested.All.fields;
  for (const f of ["packed_i", "plain_s", "colors", "ds"])
    fields[f]!.options = { packed: fields[f]!.options?.packed !== true };
  const F = pb.Root.fromJSON(flipped as unknown as JsonNode as import("protobufjs").INamespace).lookupType("kt.All");
  const T = root.lookupType("kt.All");
  const value = { packed_i: [1, -1, 300], plain_s: [-5, 2 ** 40], colors: ["BLUE", "GREEN", 7], ds: [0.5, -1] };
  const bytes = Buffer.from(F.encode(F.fromObject(value)).finish());
  assert.equal(shape(ours.codec("kt.All").decode(bytes)), shape(T.toObject(T.decode(bytes), TO_OBJECT)));
  // An enum number the descriptor lacks stays a number both ways.
  const odd = Buffer.from(T.encode(T.fromObject({ color: 9, colors: [9, 1] })).finish());
  const got = ours.codec("kt.All").decode(odd) as { color: unknown; colors: unknown[] };
  assert.is(got.color, 9);
  assert.equal(got.colors, [9, "GREEN"]);
  assert.equal(shape(got), shape(T.toObject(T.decode(odd), TO_OBJECT)));
});

t("truncated and overrunning messages are refused, not misread", () => {
  const json = descriptor();
  const root = pb.Root.fromJSON(json);
  const T = root.lookupType("containerd.services.containers.v1.GetContainerResponse");
  const bytes = Buffer.from(T.encode(T.fromObject(sample(T, 0))).finish());
  const get = methodCodec("containerd.services.containers.v1.Containers", "Get")!;
  for (const cut of [1, 2, 10, bytes.length - 1]) {
    assert.throws(() => get.decode(bytes.subarray(0, cut)), /index out of range/, `cut at ${cut}`);
  }
  assert.throws(() => get.decode(Buffer.from([0x0f])), /invalid wire type/);
});

t.run();
