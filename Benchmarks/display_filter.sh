#!/usr/bin/env bash
# Display filters' speed (release build), side by side on the 1,000,000-packet benchmark capture:
# `tunscope print -Y EXPR -q` against `tshark -r -Y EXPR -q` (the same filter) and against
# `tunscope print -f BPF -q` (the same filter written in BPF), and the packets each kept, which
# must agree. Header filters read plain packets' headers straight from their bytes; others
# dissect; analysis filters also run stream analysis. Usage: Benchmarks/display_filter.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=Benchmarks/out
mkdir -p "$out"
swift build -c release --product tunscope >/dev/null
tunscope=.build/release/tunscope
big="$out/bench-1m.pcap"
[ -f "$big" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$big" --count 1000000
. Benchmarks/timing.sh

# Wall-clock seconds of one run (tshark takes tens of seconds a run: timed once).
once() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
kept() { "$tunscope" print -r "$big" -q "$@" 2>&1 | grep -o '[0-9]* kept\|[0-9]* packets read' | grep -o '^[0-9]*' | tail -1; }

printf "%-44s %8s %8s %8s %9s %8s   %s\n" "display filter (-Y)" "tshark" "-Y" "-f BPF" "x tshark" "x BPF" "kept: tshark, -Y, -f"
while IFS='|' read -r display bpf; do
  t_tshark=$(once tshark -r "$big" -q -Y "$display")
  n_tshark=$(tshark -r "$big" -Y "$display" 2>/dev/null | wc -l)
  t_y=$(best "$tunscope" print -r "$big" -q -Y "$display")
  n_y=$(kept -Y "$display")
  if [ -n "$bpf" ]; then
    t_f=$(best "$tunscope" print -r "$big" -q -f "$bpf"); n_f=$(kept -f "$bpf")
    x_bpf=$(printf "%.2f" "$(echo "$t_y / $t_f" | bc -l)")
  else
    t_f="-"; n_f="-"; x_bpf="-"
  fi
  printf "%-44s %8.2f %8.3f %8s %9.1f %8s   %s, %s, %s\n" "$display" "$t_tshark" "$t_y" "$t_f" "$(echo "$t_tshark / $t_y" | bc -l)" \
    "$x_bpf" "$n_tshark" "$n_y" "$n_f"
done <<'FILTERS'
tcp.flags.syn == 1 && ip.ttl < 64|tcp[tcpflags] & tcp-syn != 0 and ip[8] < 64
udp.port == 53|udp port 53
ip.addr == 10.1.0.0/16|net 10.1.0.0/16
tcp.port in {80, 443, 1024..2000}|tcp port 80 or tcp port 443 or tcp portrange 1024-2000
icmp.type == 8|icmp[icmptype] == icmp-echo
tcp.analysis.flags|
FILTERS
