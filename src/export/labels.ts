import type { ExportWarning } from "./types.js";

/**
 * kuke's labels are free strings; Kubernetes' are not (a name of at most 63 characters with an
 * optional DNS-subdomain prefix, and a value of at most 63). Labels that Kubernetes would refuse
 * are left out with a warning; kuke's own keys (`kukeon.io/…`) are set by the export and win.
 */

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isKubeLabelKey(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return LABEL_NAME.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && LABEL_NAME.test(key.slice(slash + 1));
}

export function isKubeLabelValue(value: string): boolean {
  return value === "" || LABEL_NAME.test(value);
}

/** The labels Kubernetes accepts, in key order; each one left out is a warning on `address`. */
export function kubeLabels(
  labels: Record<string, string>,
  address: string,
  warnings: ExportWarning[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(labels).sort()) {
    const value = labels[key]!;
    if (key.startsWith("kukeon.io/") || key.startsWith("kuke.dev/")) {
      warnings.push({ address, message: `label ${key} is kuke's own; the export sets it from the address instead` });
    } else if (!isKubeLabelKey(key) || !isKubeLabelValue(value)) {
      warnings.push({
        address,
        message: `label ${key}=${value.slice(0, 80)} is not a valid Kubernetes label (63 characters of letters, digits, '-', '_', '.'); left out`,
      });
    } else {
      out[key] = value;
    }
  }
  return out;
}
