#!/usr/bin/env bash
# Decoding speed, side by side on the same captures: tunscope print against tcpdump (text) and
# tshark (tree and JSON). Prints packets per second and the ratio. Usage: Benchmarks/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=Benchmarks/out
mkdir -p "$out"
swift build -c release --product tunscope >/dev/null
tunscope=.build/release/tunscope
big="$out/bench-1m.pcap"; small="$out/bench-100k.pcap"
[ -f "$big" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$big" --count 1000000
[ -f "$small" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$small" --count 100000
[ -f "$out/hosts-10.pcap" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$out/hosts-10.pcap" --count 200000 --hosts 10
[ -f "$out/hosts-60000.pcap" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$out/hosts-60000.pcap" --count 200000 --hosts 60000

. Benchmarks/timing.sh

row() {  # name, packets, their seconds, our seconds
  printf "%-34s %9s pkts  %8.3f s %12.0f/s   %8.3f s %12.0f/s   %6.1fx\n" "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)" \
    "$4" "$(echo "$2 / $4" | bc -l)" "$(echo "$3 / $4" | bc -l)"
}

export TZ=UTC
printf "%-34s %14s  %24s   %24s   %7s\n" "" "" "reference" "tunscope" "ratio"
# Each reference is timed once; tunscope as it runs (every core) and held to one core.
tcpdump_text=$(best tcpdump -nn -S -r "$big")
tshark_tree=$(best tshark -r "$small" -V)
tshark_json=$(best tshark -r "$small" -T json)
row "text: tcpdump -nn -S" 1000000 "$tcpdump_text" "$(best $tunscope print -r "$big")"
row "tree: tshark -V" 100000 "$tshark_tree" "$(best $tunscope print -r "$small" --format tree)"
row "json: tshark -T json" 100000 "$tshark_json" "$(best $tunscope print -r "$small" --format json)"
echo
echo "tunscope print -r formats batches of packets on every core ($(nproc) here); the same on one core (taskset -c 0):"
row "text, one core" 1000000 "$tcpdump_text" "$(best taskset -c 0 $tunscope print -r "$big")"
row "tree, one core" 100000 "$tshark_tree" "$(best taskset -c 0 $tunscope print -r "$small" --format tree)"
row "json, one core" 100000 "$tshark_json" "$(best taskset -c 0 $tunscope print -r "$small" --format json)"
echo
echo "cost per packet with 10 hosts and with 60,000 hosts (200,000 packets each):"
row "text, 10 hosts" 200000 "$(best tcpdump -nn -S -r "$out/hosts-10.pcap")" "$(best $tunscope print -r "$out/hosts-10.pcap")"
row "text, 60,000 hosts" 200000 "$(best tcpdump -nn -S -r "$out/hosts-60000.pcap")" "$(best $tunscope print -r "$out/hosts-60000.pcap")"

# Traffic as it really comes (issue 14): arbitrary payloads on every decoded port, DNS headers
# claiming 65,535 records, pointer chains and loops, lengths that disagree. Same fixed seed always.
# 100,000 packets: tcpdump takes about 13 s a run on them (its names follow pointer chains anew
# for every question: a cost growing with the square of the bytes).
adv="$out/adversarial-100k.pcap"
[ -f "$adv" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$adv" --adversarial --count 100000
echo
echo "adversarial capture (Benchmarks/make_bench_capture.py --adversarial --count 100000):"
adv_text=$(best tcpdump -nn -S -r "$adv")
row "text: tcpdump -nn -S" 100000 "$adv_text" "$(best $tunscope print -r "$adv")"
row "text, one core" 100000 "$adv_text" "$(best taskset -c 0 $tunscope print -r "$adv")"
row "tree: tshark -V" 100000 "$(best tshark -r "$adv" -V)" "$(best $tunscope print -r "$adv" --format tree)"
row "json: tshark -T json" 100000 "$(best tshark -r "$adv" -T json)" "$(best $tunscope print -r "$adv" --format json)"
Benchmarks/packet_cost.sh "$tunscope"
