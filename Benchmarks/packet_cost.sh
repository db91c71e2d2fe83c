#!/usr/bin/env bash
# What one packet costs, for the first N packets of the adversarial sequence (every kind several
# times over): each packet is written COPIES times into a capture of its own, printed as text
# (one core, best of three, less the time of an empty capture), and the slowest is set against
# the median. Goal: none above 20x the median.
# Usage: [COPIES=100000] Benchmarks/packet_cost.sh [TUNSCOPE] [N]   (copies: enough that a cheap
# packet's total stands well above a process's start, which the empty capture's time takes away)
set -euo pipefail
cd "$(dirname "$0")/.."
tunscope=${1:-.build/release/tunscope}; n=${2:-56}; copies=${COPIES:-100000}
dir=Benchmarks/out/packet-cost; mkdir -p "$dir"
. Benchmarks/timing.sh
[ -f "$dir/empty.pcap" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$dir/empty.pcap" --adversarial --count 0
empty=$(best taskset -c 0 "$tunscope" print -r "$dir/empty.pcap")
for i in $(seq 0 $((n - 1))); do
  f="$dir/single-$i-$copies.pcap"
  [ -f "$f" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$f" --adversarial --single "$i" --count "$copies"
  t=$(best taskset -c 0 "$tunscope" print -r "$f")
  # The packet's own size: the file less its 24-byte header, over the copies, less 16 a record.
  bytes=$(( ($(stat -c %s "$f") - 24) / copies - 16 ))
  echo "$i $(echo "($t - $empty) * 1000000 / $copies" | bc -l) $("$tunscope" print -r "$f" -c 1 | wc -c) $bytes"
done | sort -k2 -g > "$dir/costs.txt"
read -r _ median median_line _ < <(awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}' "$dir/costs.txt")
read -r slowest cost line _ < <(tail -1 "$dir/costs.txt")
printf "per packet, text, one core: median %.2f us (a %s-byte line), slowest packet #%s (kind %s of 14) %.2f us (a %s-byte line) = %.1fx the median\n" \
  "$median" "$median_line" "$slowest" "$((slowest % 14))" "$cost" "$line" "$(echo "$cost / $median" | bc -l)"
# A packet's cost follows the line it prints (tcpdump's line, byte for byte): per byte written.
sort -k2 -g "$dir/costs.txt" | awk '{ r = $2 * 1000 / $3; if (r > m) { m = r; i = $1 } } END { printf "most per byte of line: packet #%s, %.2f ns a byte\n", i, m }'
awk '{ print $2 * 1000 / $3 }' "$dir/costs.txt" | sort -g | awk '{a[NR]=$1} END {printf "median per byte of line: %.2f ns\n", a[int((NR + 1) / 2)]}'
# The bytes a packet makes tunscope handle: the packet read and the line written. Cost per such
# byte, the slowest packet's against the median's (the 20x goal, stated per byte).
awk '{ print $2 * 1000 / ($3 + $4), $1, $4 }' "$dir/costs.txt" | sort -g | awk '{a[NR]=$1; i[NR]=$2; n[NR]=$3}
  END { m = a[int((NR + 1) / 2)]; printf "per byte read and written: median %.2f ns, most %.2f ns (packet #%s, %s bytes) = %.1fx the median\n", m, a[NR], i[NR], n[NR], a[NR] / m }'
