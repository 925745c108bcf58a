import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DESCRIPTOR_FILE, methodCodec, protoDir } from "../../../src/executors/containerd/proto-codec.js";
import { buildDescriptor } from "../../../src/executors/containerd/proto-descriptor.js";

const t = suite("executors/containerd/proto-codec");

const checkedIn = () => JSON.parse(readFileSync(`${protoDir()}${DESCRIPTOR_FILE}`, "utf8")) as object;

t("proto/descriptor.json is what proto/*.proto generate (else: npm run proto)", () => {
  assert.equal(checkedIn(), JSON.parse(JSON.stringify(buildDescriptor())));
});

/** Encodes a response as containerd would, with the full protobufjs, to decode it with the client's codec. */
function encodeAs(type: string, value: object): Buffer {
  const pb = createRequire(import.meta.url)("protobufjs") as typeof import("protobufjs");
  const T = pb.Root.fromJSON(checkedIn()).lookupType(type);
  return Buffer.from(T.encode(T.fromObject(value)).finish());
}

t(
  "responses decode as proto-loader made them: snake_case, defaults, longs as Number, enums as names, Any and bytes as Buffer",
  () => {
    const get = methodCodec("containerd.services.containers.v1.Containers", "Get")!;
    assert.is(get.path, "/containerd.services.containers.v1.Containers/Get");
    const spec = Buffer.from('{"ociVersion":"1.1.0"}');
    const bytes = encodeAs("containerd.services.containers.v1.GetContainerResponse", {
      container: {
        id: "c1",
        labels: { "kuke.dev/hash": "h1" },
        spec: { type_url: "types.containerd.io/opencontainers/runtime-spec/1/Spec", value: spec },
        snapshot_key: "c1",
        created_at: { seconds: 1_700_000_000, nanos: 5 },
      },
    });
    const got = get.decode(bytes) as { container: Record<string, unknown> & { spec: { value: unknown } } };
    assert.ok(Buffer.isBuffer(got.container.spec.value));
    assert.equal(got, {
      container: {
        id: "c1",
        labels: { "kuke.dev/hash": "h1" },
        image: "",
        runtime: null,
        spec: { type_url: "types.containerd.io/opencontainers/runtime-spec/1/Spec", value: spec },
        snapshotter: "",
        snapshot_key: "c1",
        created_at: { seconds: 1_700_000_000, nanos: 5 },
        updated_at: null,
      },
    });

    const task = methodCodec("containerd.services.tasks.v1.Tasks", "Get")!;
    const p = task.decode(
      encodeAs("containerd.services.tasks.v1.GetResponse", { process: { container_id: "c1", pid: 42, status: 2 } }),
    ) as { process: Record<string, unknown> };
    assert.is(p.process.status, "RUNNING");
    assert.is(p.process.pid, 42);
    assert.is(p.process.exit_status, 0);
    assert.is(p.process.exited_at, null);

    const read = methodCodec("containerd.services.content.v1.Content", "Read")!;
    const chunk = read.decode(
      encodeAs("containerd.services.content.v1.ReadContentResponse", { offset: 2 ** 40, data: Buffer.from("abc") }),
    ) as { offset: unknown; data: unknown };
    assert.is(chunk.offset, 2 ** 40);
    assert.ok(Buffer.isBuffer(chunk.data));
    assert.is(String(chunk.data), "abc");
  },
);

t("requests encode from the same shapes: enum names, Buffers, maps, int64 numbers", () => {
  const write = methodCodec("containerd.services.content.v1.Content", "Write")!;
  const bytes = write.encode({
    action: "COMMIT",
    ref: "r1",
    total: 5,
    offset: 5,
    data: Buffer.from("hello"),
    labels: { a: "b" },
  });
  const pb = createRequire(import.meta.url)("protobufjs") as typeof import("protobufjs");
  const T = pb.Root.fromJSON(checkedIn()).lookupType("containerd.services.content.v1.WriteContentRequest");
  const back = T.toObject(T.decode(bytes), { enums: String, longs: Number }) as Record<string, unknown>;
  assert.is(back.action, "COMMIT");
  assert.is(back.ref, "r1");
  assert.is(back.total, 5);
  assert.is(String(back.data), "hello");
  assert.equal(back.labels, { a: "b" });
});

t("the client's codec loads no protobufjs (a devDependency now) when it encodes and decodes", () => {
  const codecUrl = new URL("../../../src/executors/containerd/proto-codec.js", import.meta.url).href;
  const script = `
    import { createRequire } from "node:module";
    const { methodCodec } = await import(${JSON.stringify(codecUrl)});
    const list = methodCodec("containerd.services.containers.v1.Containers", "List");
    list.encode({ filters: ["a"] });
    list.decode(Buffer.from([10, 4, 10, 2, 99, 49]));
    const write = methodCodec("containerd.services.content.v1.Content", "Write");
    write.encode({ action: "COMMIT", ref: "r", labels: { a: "b" } });
    write.decode(Buffer.alloc(0));
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify(loaded.filter((f) => f.includes("/node_modules/"))));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(JSON.parse(out), []);
});

t("a method kuke's protos lack has no codec", () => {
  assert.is(methodCodec("containerd.services.tasks.v1.Tasks", "Checkpoint"), undefined);
});

t.run();
