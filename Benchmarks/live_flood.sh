#!/usr/bin/env bash
# Live-capture drops under a paced flood: in a namespace of its own, the kernel sends N small UDP
# packets at RATE per second into a tun with the default queue (500), while a reader reads them.
# Compares the kernel's drops (the tun's tx_dropped) with a plain C read(2) loop and with
# `tunscope print -i tun0 -q -w /dev/null`, ROUNDS times, taking turns at going first (the
# machine's other work comes in bursts; one round each says little). Needs root; all traffic
# stays in the namespace. Usage: Benchmarks/live_flood.sh [RATE] [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-300000}
N=${2:-1000000}
ROUNDS=${3:-1}
out=Benchmarks/out
mkdir -p "$out"
cc -O2 -o "$out/tun_read_loop" Benchmarks/tun_read_loop.c
cc -O2 -o "$out/udp_flood" Benchmarks/udp_flood.c
swift build -c release --product tunscope >/dev/null
ns="tunscope-flood-$$"
trap 'ip netns delete "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip -n "$ns" tuntap add name tun0 mode tun
ip -n "$ns" addr add 192.0.2.1 peer 192.0.2.2 dev tun0
ip -n "$ns" link set tun0 up

drops() { ip netns exec "$ns" awk '/tun0:/ {print $13}' /proc/net/dev; }

# One reader: start it, wait until it holds the device, flood, give it a moment, stop it.
run() {
  ip netns exec "$ns" "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    ip -n "$ns" link show tun0 | grep -q NO-CARRIER || break
    sleep 0.05
  done
  # Give both readers the same head start, so start-up is not what is measured.
  sleep 0.5
  local before; before=$(drops)
  ip netns exec "$ns" "$out/udp_flood" 192.0.2.2 "$N" "$RATE" 2>&1 | sed 's/^/    sender: /' >&2
  sleep 0.5
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo $(( $(drops) - before ))
}

echo "flood: $N packets at $RATE/s into a tun with txqueuelen 500"
printf "%-10s %-44s %12s\n" round reader "kernel drops"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then
    c=$(run "$out/tun_read_loop" tun0 "$N")
    t=$(run .build/release/tunscope print -i tun0 -q -w /dev/null)
  else
    t=$(run .build/release/tunscope print -i tun0 -q -w /dev/null)
    c=$(run "$out/tun_read_loop" tun0 "$N")
  fi
  printf "%-10s %-44s %12s\n" "$r" "C read() loop" "$c"
  printf "%-10s %-44s %12s\n" "$r" "tunscope print -i tun0 -q -w /dev/null" "$t"
done
