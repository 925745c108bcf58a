#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) to build, run and test kuke: Debian packages for
# containerd, runc, CNI plugins, iptables, perl (kuke's container logger, libexec/kuke-log), the
# test image/registry tools, podman (with its pause process and network backend, which the export
# tests run `podman kube play` with), then npm ci and a build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/setup.sh installs Debian packages and must run as root (try: sudo bash scripts/setup.sh)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  containerd runc containernetworking-plugins iptables iproute2 util-linux \
  busybox-static docker-registry skopeo ca-certificates podman catatonit netavark perl >/dev/null

npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
