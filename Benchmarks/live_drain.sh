#!/usr/bin/env bash
# Live-capture benchmark: in a namespace of its own, fill a tun's transmit queue with N small
# packets while the reader is stopped (SIGSTOP), then let it drain the queue (SIGCONT) and time
# it. Readers: a plain C read(2) loop; a C loop that also timestamps and keeps each packet (the
# least any capture tool does); and `tunscope print -i tun0 -q -w /dev/null -c N`.
# Needs root. All traffic stays inside the namespace. Usage: Benchmarks/live_drain.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-400000}
ROUNDS=${2:-3}
out=Benchmarks/out
mkdir -p "$out"
cc -O2 -o "$out/tun_read_loop" Benchmarks/tun_read_loop.c
cc -O2 -o "$out/tun_store_loop" Benchmarks/tun_store_loop.c
cc -O2 -o "$out/udp_flood" Benchmarks/udp_flood.c
swift build -c release --product tunscope >/dev/null
ns="tunscope-bench-$$"
cleanup() { ip netns delete "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add name tun0 mode tun
ip -n "$ns" link set tun0 txqueuelen $((N + 10000))
ip -n "$ns" addr add 192.0.2.1 peer 192.0.2.2 dev tun0
ip -n "$ns" link set tun0 up

# Runs one reader: start, wait until it holds the device, stop it, fill the queue, time the drain.
drain() {
  ip netns exec "$ns" "$@" 2>/dev/null &
  local pid=$!
  for _ in $(seq 100); do
    ip -n "$ns" link show tun0 | grep -q NO-CARRIER || break
    sleep 0.05
  done
  kill -STOP "$pid"
  local before; before=$(ip netns exec "$ns" cat /sys/class/net/tun0/statistics/tx_dropped 2>/dev/null || echo 0)
  ip netns exec "$ns" "$out/udp_flood" 192.0.2.2 "$N"
  local start; start=$(date +%s.%N)
  kill -CONT "$pid"
  wait "$pid"
  local end; end=$(date +%s.%N)
  local after; after=$(ip netns exec "$ns" awk '/tun0:/ {print $13}' /proc/net/dev)
  echo "$(echo "$N / ($end - $start)" | bc) $((after))"
}

printf "%-10s %-44s %14s\n" round reader packets/s
for r in $(seq "$ROUNDS"); do
  c=$(drain "$out/tun_read_loop" tun0 "$N")
  k=$(drain "$out/tun_store_loop" tun0 "$N")
  t=$(drain .build/release/tunscope print -i tun0 -q -w /dev/null -c "$N")
  printf "%-10s %-44s %14s\n" "$r" "C read() loop" "${c% *}"
  printf "%-10s %-44s %14s\n" "$r" "C read() + timestamp + keep" "${k% *}"
  printf "%-10s %-44s %14s\n" "$r" "tunscope print -i tun0 -q -w /dev/null" "${t% *}"
  echo "tunscope / C read loop: $(echo "scale=2; ${t% *} / ${c% *}" | bc)   tunscope / C store loop: $(echo "scale=2; ${t% *} / ${k% *}" | bc)   (kernel tx drops: ${t#* })"
done
