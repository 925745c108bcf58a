#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine as root: install and build kuke, build a busybox image
# locally (no network), start kuke's own containerd when none answers, then validate, plan and apply
# the example stack, plan again (no changes), and destroy it (set KEEP=1 to leave it running).
#
# It uses its own run path and runtime dir (KUKE_RUN_PATH, KUKE_RUNTIME_DIR) so it never mixes with
# a real installation's records.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export KUKE_RUN_PATH="${KUKE_RUN_PATH:-/var/lib/kuke-demo}"
export KUKE_RUNTIME_DIR="${KUKE_RUNTIME_DIR:-/run/kuke-demo}"
kuke() { node dist/src/cli/main.js "$@"; }
stack=fixtures/examples/stack.yaml
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "kuke init --managed-containerd"
kuke init --managed-containerd

step "build a busybox image from the host's static busybox and load it into realm demo"
image="$KUKE_RUN_PATH/busybox.tar"
node dist/test/harness/make-busybox-image.js "$image"
kuke image load "$image" --realm demo

step "kuke validate -f $stack"
kuke validate -f "$stack"

step "kuke plan -f $stack"
kuke plan -f "$stack"

step "kuke apply -f $stack --auto-approve"
kuke apply -f "$stack" --auto-approve

step "kuke get cells --realm demo"
kuke get cells --realm demo

step "kuke plan -f $stack --detailed-exitcode   (the host matches: exit 0)"
kuke plan -f "$stack" --detailed-exitcode

if [ "${KEEP:-0}" = "1" ]; then
  step "left running (KEEP=1); remove it with: KUKE_RUN_PATH=$KUKE_RUN_PATH KUKE_RUNTIME_DIR=$KUKE_RUNTIME_DIR node dist/src/cli/main.js destroy -f $stack --auto-approve"
  exit 0
fi

step "kuke destroy -f $stack --auto-approve"
kuke destroy -f "$stack" --auto-approve
