import { formatAddress, type Space, spaceAddress } from "../model/index.js";
import type { ExportWarning, KubeMetadata, KubeObject } from "./types.js";

/**
 * A space's egress policy → a NetworkPolicy over every pod of the space's namespace. kuke filters
 * only what leaves the space's subnet (traffic between its cells is never filtered), so the policy
 * always allows the namespace's own pods, then each allowed CIDR with its ports (TCP and UDP, as
 * kuke's iptables rules do). An `allow` default restricts nothing and needs no policy.
 */

export const EGRESS_POLICY_NAME = "kuke-egress";

export function exportNetworkPolicy(
  space: Space,
  namespace: string,
  labels: Record<string, string>,
): { object?: KubeObject; warnings: ExportWarning[] } {
  const egress = space.spec.network.egress;
  const warnings: ExportWarning[] = [];
  if (egress === undefined || egress.default === "allow") return { warnings };
  const address = formatAddress(spaceAddress(space.realm, space.name));
  const rules: Record<string, unknown>[] = [{ to: [{ podSelector: {} }] }];
  for (const rule of egress.allow) {
    if (rule.cidr === undefined) {
      warnings.push({
        address,
        message: `egress allow host ${rule.host} has no CIDR: a NetworkPolicy matches addresses only, so this rule is left out; add an allow rule with the host's cidr`,
      });
      continue;
    }
    const to = [{ ipBlock: { cidr: rule.cidr } }];
    const ports = rule.ports.flatMap((port) => [
      { protocol: "TCP", port },
      { protocol: "UDP", port },
    ]);
    rules.push(ports.length > 0 ? { to, ports } : { to });
  }
  warnings.push({
    address,
    message:
      "egress default deny: in Kubernetes it also blocks the node's own addresses, which kuke leaves open (it filters forwarded traffic only), and pods resolve names through the cluster's DNS rather than the host's resolvers; allow those if the cells need them",
  });
  const metadata: KubeMetadata = { name: EGRESS_POLICY_NAME, namespace, labels };
  return {
    object: {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata,
      spec: { podSelector: {}, policyTypes: ["Egress"], egress: rules },
    },
    warnings,
  };
}
