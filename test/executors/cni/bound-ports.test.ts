import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { listBoundPorts } from "../../../src/executors/cni/bound-ports.js";

const t = suite("executors/cni/bound ports");

t("reads listening TCP and bound UDP sockets from the kernel's tables, IPv4 and IPv6", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kuke-procnet-"));
  try {
    const head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    await writeFile(
      join(dir, "tcp"),
      `${head}   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n` +
        `   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2\n`,
    );
    await writeFile(
      join(dir, "tcp6"),
      `${head}   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0 0 0 0 0 3\n` +
        `   1: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A 0 0 0 0 0 4\n`,
    );
    await writeFile(join(dir, "udp"), `${head}   0: 00000000:0035 00000000:0000 07 0 0 0 0 0 5\n`);
    assert.equal(await listBoundPorts(dir), [
      { protocol: "tcp", address: "127.0.0.1", port: 8080 },
      { protocol: "tcp", address: "::", port: 80 },
      { protocol: "tcp", address: "127.0.0.1", port: 81 },
      { protocol: "udp", address: "0.0.0.0", port: 53 },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

t("finds a server this process listens with on 127.0.0.1", async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  try {
    const found = await listBoundPorts();
    assert.ok(found.some((b) => b.protocol === "tcp" && b.address === "127.0.0.1" && b.port === port));
  } finally {
    await new Promise((r) => srv.close(r));
  }
});

t.run();
