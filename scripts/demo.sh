#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine as root: install and build kuke, build a busybox image
# locally (no network), start kuke's own containerd for the demo, then validate, plan and apply the
# example stack, plan again (no changes), destroy it and stop that containerd (set KEEP=1 to leave
# both running).
#
# It uses its own run path and runtime dir (KUKE_RUN_PATH, KUKE_RUNTIME_DIR) so it never mixes with
# a real installation's records, and its own containerd (state, socket and runc state under those
# two paths, no systemd unit), so it never uses the system's containerd or /run/containerd. Set
# KUKE_CONTAINERD_ADDRESS to run it against another daemon instead.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export KUKE_RUN_PATH="${KUKE_RUN_PATH:-/var/lib/kuke-demo}"
export KUKE_RUNTIME_DIR="${KUKE_RUNTIME_DIR:-/run/kuke-demo}"
# Where `kuke init --managed-containerd` puts its daemon's socket and runc state for this runtime dir.
own="$KUKE_RUNTIME_DIR/containerd"
export KUKE_CONTAINERD_ADDRESS="${KUKE_CONTAINERD_ADDRESS:-$own/containerd.sock}"
export KUKE_RUNC_ROOT="${KUKE_RUNC_ROOT:-$own/runc}"
kuke() { node dist/kuke.js "$@"; }
stack=fixtures/examples/stack.yaml
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "kuke init --managed-containerd --no-unit"
kuke init --managed-containerd --no-unit

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

step "a request to web's published port from the host: http://127.0.0.1:18080/"
for i in $(seq 50); do
  if reply=$(exec 3<>/dev/tcp/127.0.0.1/18080 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null \
    && [[ $reply == *"hello from kuke"* ]]; then break; fi
  [ "$i" = 50 ] && { echo "no answer on 127.0.0.1:18080" >&2; exit 1; }
  sleep 0.2
done
printf '%s\n' "$reply"

step "worker finds web by name (its /etc/hosts lists the space's cells): kuke logs container/demo/apps/shop/worker/main"
for i in $(seq 60); do
  log=$(kuke logs container/demo/apps/shop/worker/main)
  [[ $log == *"hello from kuke"* ]] && break
  [ "$i" = 60 ] && { printf '%s\n' "$log"; echo "worker never reached http://web:8080/" >&2; exit 1; }
  sleep 0.5
done
printf '%s\n' "$log" | tail -n 3

step "kuke plan -f $stack --detailed-exitcode   (the host matches: exit 0)"
kuke plan -f "$stack" --detailed-exitcode

if [ "${KEEP:-0}" = "1" ]; then
  step "left running (KEEP=1); remove it with: KUKE_RUN_PATH=$KUKE_RUN_PATH KUKE_RUNTIME_DIR=$KUKE_RUNTIME_DIR KUKE_CONTAINERD_ADDRESS=$KUKE_CONTAINERD_ADDRESS KUKE_RUNC_ROOT=$KUKE_RUNC_ROOT node dist/kuke.js destroy -f $stack --auto-approve; then kill \$(cat $own/containerd.pid)"
  exit 0
fi

step "kuke destroy -f $stack --auto-approve"
kuke destroy -f "$stack" --auto-approve

# The demo's own containerd (none when KUKE_CONTAINERD_ADDRESS named another daemon).
if pid=$(cat "$own/containerd.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
  step "stop the demo's containerd (pid $pid)"
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  rm -f "$own/containerd.pid"
fi
