/**
 * Docker-style short names to the fully qualified names containerd records
 * (`busybox` → `docker.io/library/busybox:latest`), as `docker`, `ctr` and `nerdctl` do.
 */
export function qualifyImageName(ref: string): string {
  let name = ref;
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const hasDomain = first.includes(".") || first.includes(":") || first === "localhost";
  if (!hasDomain) name = `docker.io/${slash === -1 ? `library/${name}` : name}`;
  const lastSegment = name.slice(name.lastIndexOf("/") + 1);
  if (!lastSegment.includes(":") && !lastSegment.includes("@")) name = `${name}:latest`;
  return name;
}
