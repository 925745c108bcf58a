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

/**
 * The repository part of a reference, qualified: `busybox:1@sha256:…` →
 * `docker.io/library/busybox`. Two image records of one repository share it.
 */
export function imageRepository(ref: string): string {
  let name = qualifyImageName(ref);
  const at = name.indexOf("@");
  if (at >= 0) name = name.slice(0, at);
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(0, colon) : name;
}

/**
 * The name under which kuke keeps the content a reference resolved to: `<repository>@<digest>`.
 * A container made from it runs exactly that content, wherever its tag points later.
 */
export function digestImageName(ref: string, digest: string): string {
  return `${imageRepository(ref)}@${digest}`;
}
