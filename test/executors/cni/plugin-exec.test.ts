import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { cellConflist, loopbackConflist, pickCniVersion, spaceConflist } from "../../../src/executors/cni/conflist.js";
import { CniPluginError, PluginRunner } from "../../../src/executors/cni/plugin-exec.js";
import { isKukeError } from "../../../src/model/errors.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cni/plugin-exec");

/**
 * A fake plugin (a shell script) that logs its environment and stdin, and answers from a script of
 * replies: each call takes the next line of `replies` ("ok" or an exit code and error JSON).
 */
async function fakePlugins(replies: string[]): Promise<{ dir: string; log: () => Promise<string[]> }> {
  const dir = await mkdtemp(join(tmpdir(), "kt-cni-fake-"));
  onTeardown(`temp ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "replies"), `${replies.join("\n")}\n`);
  const script = `#!/bin/sh
d=${dir}
n=$(cat $d/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > $d/count
in=$(cat)
echo "$CNI_COMMAND|$CNI_CONTAINERID|$CNI_NETNS|$CNI_IFNAME|$CNI_PATH|$CNI_ARGS|$in" >> $d/log
reply=$(sed -n "\${n}p" $d/replies)
case "$reply" in
  ok) echo '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/x"}],"ips":[{"address":"10.1.2.3/24","gateway":"10.1.2.1","interface":0}]}'; exit 0;;
  *) code=\${reply%% *}; echo "\${reply#* }"; exit $code;;
esac
`;
  for (const name of ["first", "second"]) {
    await writeFile(join(dir, name), script);
    await chmod(join(dir, name), 0o755);
  }
  return { dir, log: async () => (await readFile(join(dir, "log"), "utf8")).trim().split("\n") };
}

const rt = { containerId: "r_s_t_c", netnsPath: "/run/kuke/netns/r_s_t_c", ifName: "eth0" };
const list = { cniVersion: "1.0.0", name: "net", plugins: [{ type: "first", a: 1 }, { type: "second" }] };

t("ADD runs plugins in order with CNI env, injected name/version and chained prevResult", async () => {
  const f = await fakePlugins(["ok", "ok"]);
  const result = await new PluginRunner({ pluginDirs: [join(f.dir, "none"), f.dir] }).add(list, rt);
  assert.is(result.ips?.[0]?.address, "10.1.2.3/24");
  const [first, second] = await f.log();
  const [cmd, id, netns, ifname, path, args, stdin] = first!.split("|");
  assert.equal(
    [cmd, id, netns, ifname, path, args],
    ["ADD", rt.containerId, rt.netnsPath, "eth0", `${join(f.dir, "none")}:${f.dir}`, ""],
  );
  const c1 = JSON.parse(stdin!);
  assert.equal(c1, { type: "first", a: 1, name: "net", cniVersion: "1.0.0" });
  const c2 = JSON.parse(second!.split("|").slice(6).join("|"));
  assert.is(c2.type, "second");
  assert.is(c2.prevResult.ips[0].address, "10.1.2.3/24");
});

t("DEL runs in reverse order and treats code 3 as already gone", async () => {
  const f = await fakePlugins([`1 {"code":3,"msg":"no such container"}`, "ok"]);
  await new PluginRunner({ pluginDirs: [f.dir] }).del(list, rt);
  const lines = await f.log();
  assert.equal(
    lines.map((l) => `${l.split("|")[0]} ${JSON.parse(l.split("|").slice(6).join("|")).type}`),
    ["DEL second", "DEL first"],
  );
});

t("code 11 is retried with backoff, then succeeds", async () => {
  const f = await fakePlugins([`1 {"code":11,"msg":"busy"}`, `1 {"code":11,"msg":"busy"}`, "ok"]);
  const r = await new PluginRunner({ pluginDirs: [f.dir], backoffMs: 1 }).exec(
    "ADD",
    { type: "first", cniVersion: "1.0.0" },
    rt,
  );
  assert.is(r.cniVersion, "1.0.0");
  assert.is((await f.log()).length, 3);
});

t("code 11 past the attempts is a retryable KukeError", async () => {
  const f = await fakePlugins(Array(5).fill(`1 {"code":11,"msg":"busy"}`));
  try {
    await new PluginRunner({ pluginDirs: [f.dir], backoffMs: 1, attempts: 2 }).exec("ADD", { type: "first" }, rt);
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "retryable"), String(e));
  }
  assert.is((await f.log()).length, 2);
});

t("other errors carry the plugin's msg and details; a failed ADD undoes the plugins that ran", async () => {
  const f = await fakePlugins(["ok", `1 {"code":7,"msg":"bad env","details":"CNI_NETNS"}`, "ok", "ok"]);
  try {
    await new PluginRunner({ pluginDirs: [f.dir] }).add(list, rt);
    assert.unreachable("should throw");
  } catch (e) {
    assert.instance(e, CniPluginError);
    const err = e as CniPluginError;
    assert.is(err.code, "runtime");
    assert.is(err.cniCode, 7);
    assert.ok(err.message.includes("bad env"));
    assert.ok(err.detail?.includes("CNI_NETNS"));
  }
  assert.equal(
    (await f.log()).map((l) => l.split("|")[0]),
    ["ADD", "ADD", "DEL", "DEL"],
  );
});

t("a plugin that is not installed is failed-precondition", async () => {
  try {
    await new PluginRunner({ pluginDirs: ["/nonexistent"] }).exec("ADD", { type: "bridge" }, rt);
    assert.unreachable("should throw");
  } catch (e) {
    assert.ok(isKukeError(e, "failed-precondition"), String(e));
  }
});

t("the host's plugins answer VERSION and kuke picks the newest common version", async () => {
  const runner = new PluginRunner();
  const supported = await Promise.all(["bridge", "host-local", "loopback"].map((p) => runner.versions(p)));
  assert.is(pickCniVersion(supported), "1.0.0");
  assert.is(
    pickCniVersion([
      ["0.4.0", "1.0.0"],
      ["0.3.1", "0.4.0"],
    ]),
    "0.4.0",
  );
  assert.is(pickCniVersion([["0.3.1"]]), undefined);
});

t("space conflist: bridge gateway with masquerade, host-local on the subnet under kuke's data dir", () => {
  const l = spaceConflist({
    network: "kuke_r_s",
    bridge: "k-12345678",
    subnet: "10.88.4.0/24",
    gateway: "10.88.4.1",
    cniVersion: "1.0.0",
    ipamDataDir: "/tmp/run/cni/ipam",
  });
  assert.equal(l, {
    cniVersion: "1.0.0",
    name: "kuke_r_s",
    plugins: [
      {
        type: "bridge",
        bridge: "k-12345678",
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: "10.88.4.0/24", gateway: "10.88.4.1" }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: "/tmp/run/cni/ipam",
        },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  });
  assert.equal(loopbackConflist("1.0.0").plugins, [{ type: "loopback" }]);
});

t("a cell's conflist carries its ports as runtimeConfig, and leaves portmap out when it publishes none", () => {
  const space = spaceConflist({
    network: "kuke_r_s",
    bridge: "k-12345678",
    subnet: "10.88.4.0/24",
    gateway: "10.88.4.1",
    cniVersion: "1.0.0",
    ipamDataDir: "/tmp/ipam",
  });
  const published = cellConflist(space, [
    { hostIp: "127.0.0.1", hostPort: 8443, containerPort: 443, protocol: "tcp" },
    { hostPort: 53, containerPort: 53, protocol: "udp" },
  ]);
  assert.equal(
    published.plugins.map((p) => p.type),
    ["bridge", "portmap"],
  );
  assert.equal(published.plugins[1]!.runtimeConfig, {
    portMappings: [
      { hostPort: 8443, containerPort: 443, protocol: "tcp", hostIP: "127.0.0.1" },
      { hostPort: 53, containerPort: 53, protocol: "udp" },
    ],
  });
  assert.equal(
    cellConflist(space, []).plugins.map((p) => p.type),
    ["bridge"],
  );
  assert.equal(space.plugins.length, 2, "the space's own list is not changed");
});

t.run();
