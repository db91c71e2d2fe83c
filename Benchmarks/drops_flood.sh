#!/usr/bin/env bash
# The kernel's verdicts under a drop storm: in a namespace of its own, the C flooder
# (Benchmarks/tun_hold_flood.c ... badsum) holds tun0 and writes N UDP datagrams with wrong
# checksums into it (the kernel drops every one, UDP_CSUM), while three watchers read tun0 side
# by side in the same run: `tcpdump -i tun0 -w /dev/null`, `tunscope print -i tun0 -q` (verdicts
# off) and `tunscope print -i tun0 -q --drops` (on). Prints what each captured and the kernel
# dropped for it (pcap_stats), and for --drops the drops reported, tied to packets and
# undelivered; ROUNDS times, then the medians. Needs root; all traffic stays in the namespace.
# Usage: Benchmarks/drops_flood.sh [N] [ROUNDS] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
ROUNDS=${2:-5}
RATE=${3:-0}
ns="tunscope-dropsflood-$$"
. Benchmarks/tun_namespace.sh

echo "drop storm: $N datagrams with wrong UDP checksums at ${RATE}/s (0: as fast as the holder writes)"
printf "%-6s %-20s %-20s %-20s %s\n" round "tcpdump got/dropped" "verdicts off" "verdicts on" "on: drops reported, of captured, undelivered"
off=(); on=(); td=()
for r in $(seq "$ROUNDS"); do
  ip netns exec "$ns" tcpdump -i tun0 -w /dev/null 2> "$out/drops-tcpdump.err" &
  tpid=$!
  ip netns exec "$ns" .build/release/tunscope print -i tun0 --watch -q 2> "$out/drops-off.err" &
  opid=$!
  ip netns exec "$ns" .build/release/tunscope print -i tun0 --watch -q --drops 2> "$out/drops-on.err" &
  npid=$!
  for _ in $(seq 200); do
    grep -q listening "$out/drops-tcpdump.err" && grep -q watching "$out/drops-off.err" && grep -q watching "$out/drops-on.err" && break
    sleep 0.05
  done
  sleep 0.5
  ip netns exec "$ns" "$out/tun_hold_flood" tun0 "$N" "$RATE" badsum 2>&1 | sed 's/^/    holder: /' >&2
  sleep 1
  kill -INT "$tpid" "$opid" "$npid"
  wait "$tpid" "$opid" "$npid" 2>/dev/null || true
  tgot=$(awk '/packets captured/ {print $1}' "$out/drops-tcpdump.err")
  tdrop=$(awk '/dropped by kernel/ {print $1}' "$out/drops-tcpdump.err")
  oline=$(grep 'captured' "$out/drops-off.err" | tail -1)
  nline=$(grep 'captured' "$out/drops-on.err" | tail -1)
  ogot=$(echo "$oline" | awk '{print $2}'); odrop=$(echo "$oline" | sed -E 's/.*captured, ([0-9]+) dropped.*/\1/')
  ngot=$(echo "$nline" | awk '{print $2}'); ndrop=$(echo "$nline" | sed -E 's/.*captured, ([0-9]+) dropped.*/\1/')
  verdicts=$(echo "$nline" | sed -E 's/.*; (.*)$/\1/')
  printf "%-6s %-20s %-20s %-20s %s\n" "$r" "$tgot/$tdrop" "$ogot/$odrop" "$ngot/$ndrop" "$verdicts"
  off+=("$ogot"); on+=("$ngot"); td+=("$tgot")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
echo "median captured: tcpdump $(median "${td[@]}"), tunscope off $(median "${off[@]}"), on $(median "${on[@]}")"
