/**
 * Names of every kind (containers included) are lower-case DNS labels. The rule is what makes a
 * name safe as a path segment, a cgroup directory, a containerd id component and an iptables chain
 * suffix, so nothing downstream has to escape or parse names.
 */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** True when `name` is a valid kuke resource name. */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** A one-line explanation of why `name` is not valid, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > 63) return `is ${name.length} characters long (at most 63)`;
  if (/[A-Z]/.test(name)) return "contains upper-case letters";
  if (/[^a-z0-9-]/.test(name)) return `contains ${JSON.stringify(name.match(/[^a-z0-9-]/)?.[0])}`;
  if (name.startsWith("-") || name.endsWith("-")) return "starts or ends with '-'";
  return isValidName(name) ? undefined : "is not a DNS label";
}

/** Turns an invalid name into the closest valid one, for remedies ("try 'web-1'"). */
export function suggestName(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return s.length > 0 ? s : "name";
}
