#!/usr/bin/env bash
# What stream analysis costs `print`: JSON of the 1,000,000-packet benchmark capture with the
# analysis (the default) and without it (--no-analysis), on every core and on one, against
# tshark -T json (on 100,000 packets of the same mix, being slow); and the most memory each
# takes (max resident set, /usr/bin/time -v) there and on a capture of 100,000 TCP
# conversations open at once. Usage: Benchmarks/streams.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=Benchmarks/out
mkdir -p "$out"
swift build -c release --product tunscope >/dev/null
tunscope=.build/release/tunscope
big="$out/bench-1m.pcap"; small="$out/bench-100k.pcap"; conv="$out/conversations-100k.pcap"
[ -f "$big" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$big" --count 1000000
[ -f "$small" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$small" --count 100000
[ -f "$conv" ] || /usr/bin/python3 Benchmarks/make_conversations_capture.py "$conv" --count 100000

. Benchmarks/timing.sh
export TZ=UTC
rate() { echo "$1 / $2" | bc -l; }
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.0f MiB", $6 / 1024}'; }

tshark_json=$(best tshark -r "$small" -T json)
with=$(best $tunscope print -r "$big" --format json)
without=$(best $tunscope print -r "$big" --format json --no-analysis)
with1=$(best taskset -c 0 $tunscope print -r "$big" --format json)
without1=$(best taskset -c 0 $tunscope print -r "$big" --format json --no-analysis)
printf "tshark -T json (100,000 packets)    %8.3f s %10.0f pkts/s\n" "$tshark_json" "$(rate 100000 "$tshark_json")"
printf "json, analysis, %d cores             %8.3f s %10.0f pkts/s  %5.1fx tshark\n" "$(nproc)" "$with" "$(rate 1000000 "$with")" "$(echo "1000000 / $with / (100000 / $tshark_json)" | bc -l)"
printf "json, --no-analysis, %d cores        %8.3f s %10.0f pkts/s  analysis costs %.2fx\n" "$(nproc)" "$without" "$(rate 1000000 "$without")" "$(rate "$with" "$without")"
printf "json, analysis, one core            %8.3f s %10.0f pkts/s  %5.1fx tshark\n" "$with1" "$(rate 1000000 "$with1")" "$(echo "1000000 / $with1 / (100000 / $tshark_json)" | bc -l)"
printf "json, --no-analysis, one core       %8.3f s %10.0f pkts/s  analysis costs %.2fx\n" "$without1" "$(rate 1000000 "$without1")" "$(rate "$with1" "$without1")"
echo
echo "max resident memory:"
echo "  1M packets, json:               $(rss $tunscope print -r "$big" --format json)   --no-analysis: $(rss $tunscope print -r "$big" --format json --no-analysis)"
echo "  100,000 open conversations:     $(rss $tunscope print -r "$conv" --format json)   --no-analysis: $(rss $tunscope print -r "$conv" --format json --no-analysis)"
echo "  the same, print --relative:     $(rss $tunscope print -r "$conv" --relative)   text: $(rss $tunscope print -r "$conv")"
echo "  tshark -T json, 100,000 open conversations: $(rss tshark -r "$conv" -T json)"
