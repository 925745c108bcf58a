/**
 * The pods podman runs in the benchmarks (`apply --podman` and `podman`): per cell, one pod of two
 * busybox `sleep` containers, as kuke's bench cells hold. Grace 0 so `kube down` SIGKILLs `sleep` at
 * once, as kuke does for a process without a SIGTERM handler.
 */

/** The busybox image both benchmarks load into podman before timing. */
export const PODMAN_BUSYBOX = "localhost/kuke-bench/busybox:1";

/** A `kube play` file of `cells` pods named c0, c1, …. */
export function kubeYaml(cells: number): string {
  const pods: string[] = [];
  for (let i = 0; i < cells; i++) {
    pods.push(`apiVersion: v1
kind: Pod
metadata: {name: c${i}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - {name: a, image: ${PODMAN_BUSYBOX}, command: [/bin/sleep, "3600"]}
    - {name: b, image: ${PODMAN_BUSYBOX}, command: [/bin/sleep, "3600"]}`);
  }
  return `${pods.join("\n---\n")}\n`;
}
