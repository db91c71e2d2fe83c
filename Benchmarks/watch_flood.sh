#!/usr/bin/env bash
# Watching a tun that another program holds, under a flood: in a namespace of its own, the C
# flooder (Benchmarks/tun_hold_flood.c) holds tun0 and writes N UDP datagrams of every length
# into it at RATE per second (0: as fast as it can), while `tcpdump -i tun0 -w /dev/null` and
# `tunscope print -i tun0 -q -w /dev/null` watch it side by side in the same run. Prints what
# each captured and what the kernel dropped for each (pcap_stats), ROUNDS times, and the
# medians. Needs root; all traffic stays in the namespace.
# Usage: Benchmarks/watch_flood.sh [RATE] [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${1:-0}
N=${2:-300000}
ROUNDS=${3:-8}
ns="tunscope-watchflood-$$"
. Benchmarks/tun_namespace.sh

echo "flood: $N datagrams at ${RATE}/s (0: as fast as the holder writes) written into tun0 by its holder"
printf "%-6s %-12s %-12s %-14s %-14s\n" round "tcpdump got" "dropped" "tunscope got" "dropped"
t_drops=(); s_drops=()
for r in $(seq "$ROUNDS"); do
  ip netns exec "$ns" tcpdump -i tun0 -w /dev/null 2> "$out/watch-tcpdump.err" &
  tpid=$!
  ip netns exec "$ns" .build/release/tunscope print -i tun0 --watch -q -w /dev/null 2> "$out/watch-tunscope.err" &
  spid=$!
  for _ in $(seq 100); do
    grep -q listening "$out/watch-tcpdump.err" && grep -q watching "$out/watch-tunscope.err" && break
    sleep 0.05
  done
  sleep 0.3
  ip netns exec "$ns" "$out/tun_hold_flood" tun0 "$N" "$RATE" 2>&1 | sed 's/^/    holder: /' >&2
  sleep 0.5
  kill -INT "$tpid" "$spid"
  wait "$tpid" "$spid" 2>/dev/null || true
  tgot=$(awk '/packets captured/ {print $1}' "$out/watch-tcpdump.err")
  tdrop=$(awk '/dropped by kernel/ {print $1}' "$out/watch-tcpdump.err")
  sline=$(grep 'packets\? captured' "$out/watch-tunscope.err" | tail -1)
  sgot=$(echo "$sline" | awk '{print $2}')
  sdrop=$(echo "$sline" | sed -E 's/.*captured, ([0-9]+) dropped.*/\1/')
  printf "%-6s %-12s %-12s %-14s %-14s\n" "$r" "$tgot" "$tdrop" "$sgot" "$sdrop"
  t_drops+=("$tdrop"); s_drops+=("$sdrop")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
echo "median drops: tcpdump $(median "${t_drops[@]}"), tunscope $(median "${s_drops[@]}")"
