import { suite } from "uvu";
import * as assert from "uvu/assert";
import { parseMountInfo, readMountInfo } from "../../src/fs/mountinfo.js";

const t = suite("fs/mountinfo");

t("fields of each line, with octal escapes decoded and optional fields skipped", () => {
  const text = [
    "30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:10 - cgroup cgroup rw,memory",
    "31 25 0:27 / /sys/fs/cgroup/unified rw,relatime shared:11 master:2 - cgroup2 cgroup2 rw",
    "40 28 0:4 net:[4026532] /run/kuke/netns/r_s_t_my\\040cell rw - nsfs nsfs rw",
    "41 28 0:5 /sub /mnt/back\\134slash\\011tab rw - ext4 /dev/sda1 rw,errors=remount-ro",
    "garbage without the separator",
    "",
  ].join("\n");
  assert.equal(parseMountInfo(text), [
    { root: "/", mountPoint: "/sys/fs/cgroup/memory", fsType: "cgroup", superOptions: "rw,memory" },
    { root: "/", mountPoint: "/sys/fs/cgroup/unified", fsType: "cgroup2", superOptions: "rw" },
    { root: "net:[4026532]", mountPoint: "/run/kuke/netns/r_s_t_my cell", fsType: "nsfs", superOptions: "rw" },
    { root: "/sub", mountPoint: "/mnt/back\\slash\ttab", fsType: "ext4", superOptions: "rw,errors=remount-ro" },
  ]);
});

t("this process's mount table has a root mount", async () => {
  const mounts = await readMountInfo();
  assert.ok(mounts.some((m) => m.mountPoint === "/"));
});

t.run();
