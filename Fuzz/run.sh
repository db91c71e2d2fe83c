#!/usr/bin/env bash
# Runs the fuzzers: each target (or those named) until 10,000,000 executions or SECONDS pass,
# two at a time, from the seeds in Fuzz/Corpus/<target>/. Prints executions, time and findings
# per target; any input that made one fail is copied into Fuzz/Corpus/<target>/ as
# regression-*, which `swift test` (Tests/FuzzingTests) replays from then on.
# Usage: Fuzz/run.sh [SECONDS] [TARGET ...]   (targets: dissector formatters capture-file filter theme probe
#                                         dns ntp dhcp tls http quic display-filter)
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dissector formatters capture-file filter theme probe dns ntp dhcp tls http quic display-filter)
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --scratch-path ../.build-fuzz >/dev/null
fuzz=../.build-fuzz/release/fuzz

run() {
  local t=$1 max_len=4096
  # An application target's input is one datagram's or segment's payload: an MTU's worth is
  # enough, and their cost grows with every field a byte can start (a DHCP option in two).
  case $t in dns|ntp|dhcp|tls|http|quic) max_len=1500 ;; esac
  mkdir -p "out/$t/corpus" "out/$t/findings"
  # Swift's own backtracer off: libFuzzer and ASan report a crash, at once.
  TUNSCOPE_FUZZ_TARGET=$t SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$fuzz" "out/$t/corpus" "Corpus/$t" \
    -runs=10000000 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -artifact_prefix="out/$t/findings/" -print_final_stats=1 > "out/$t/log" 2>&1 || true
  local runs time found
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "out/$t/log" | grep -o '[0-9]*$' || echo "?")
  time=$(grep -o 'Done [0-9]* runs in [0-9]* second' "out/$t/log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "$seconds")
  found=$(find "out/$t/findings" -type f | wc -l)
  for f in "out/$t/findings"/*; do
    [ -f "$f" ] && cp "$f" "Corpus/$t/regression-$(basename "$f")"
  done
  printf "%-13s %12s executions in %5s s, %d findings\n" "$t" "$runs" "$time" "$found"
}

for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  [ $((i + 1)) -lt ${#targets[@]} ] && run "${targets[i + 1]}" &
  wait
done
