import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { listAttachments, listNetworks } from "../../../src/executors/cni/network-listing.js";
import { onTeardown } from "../../harness/teardown.js";

const t = suite("executors/cni/network-listing");

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kt-cni-listing-"));
  onTeardown(`temporary dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

t("attachments: each recorded ADD by container id; torn, incomplete and other files are left out", async () => {
  const dir = await tempDir();
  const record = (attachment: object) => JSON.stringify({ attachment });
  await writeFile(
    join(dir, "r_s_t_a.json"),
    record({
      containerId: "r_s_t_a",
      cell: "cell/r/s/t/a",
      network: "kuke_r_s",
      ip: "10.88.1.2",
      gateway: "10.88.1.1",
      mac: "02:00:00:00:00:01",
      ports: ["8080:80/tcp"],
    }),
  );
  await writeFile(join(dir, "r_s_t_b.json"), record({ containerId: "r_s_t_b", ip: "10.88.1.3" }));
  await writeFile(join(dir, "r_s_t_c.json"), '{"attachment": {"containerId": "r_s_t_c", "ip": "10.8');
  await writeFile(join(dir, "r_s_t_d.json"), record({ containerId: "r_s_t_d" }));
  await writeFile(join(dir, "r_s_t_e.tmp"), record({ containerId: "r_s_t_e", ip: "10.88.1.5" }));
  assert.equal(await listAttachments(dir), {
    r_s_t_a: {
      ip: "10.88.1.2",
      cell: "cell/r/s/t/a",
      network: "kuke_r_s",
      ports: ["8080:80/tcp"],
      gateway: "10.88.1.1",
      mac: "02:00:00:00:00:01",
    },
    r_s_t_b: { ip: "10.88.1.3" },
  });
});

t("a directory not made yet lists nothing", async () => {
  const dir = await tempDir();
  assert.equal(await listAttachments(join(dir, "results")), {});
  assert.equal(await listNetworks(join(dir, "net.d"), { list: async () => [] }), {});
});

t("networks: conflists present and subnets allocated, by network name", async () => {
  const dir = await tempDir();
  await writeFile(join(dir, "kuke_r_s.conflist"), "{}");
  await writeFile(join(dir, "kuke_r_x.conflist"), "{}");
  await writeFile(join(dir, "notes.txt"), "");
  const subnets = {
    list: async () => [
      { realm: "r", space: "s", subnet: "10.88.1.0/24" },
      { realm: "r", space: "gone", subnet: "10.88.2.0/24" },
    ],
  };
  assert.equal(await listNetworks(dir, subnets as never), {
    kuke_r_s: { conflistPresent: true, subnet: "10.88.1.0/24" },
    kuke_r_x: { conflistPresent: true },
    kuke_r_gone: { conflistPresent: false, subnet: "10.88.2.0/24" },
  });
});

t.run();
