#!/usr/bin/env bash
# A capture through a pipe against the same capture read from the file: tunscope print -r - and
# -r FILE, and tcpdump -r - on the same input. Each command ROUNDS times (default 5), taking turns,
# output to /dev/null; prints every round's seconds, then min/median/max packets per second and
# the ratios. Usage: Benchmarks/pipe.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
out=Benchmarks/out
mkdir -p "$out"
swift build -c release --product tunscope >/dev/null
tunscope=.build/release/tunscope
big="$out/bench-1m.pcap"
[ -f "$big" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$big" --count 1000000
packets=1000000
export TZ=UTC

seconds() {  # the wall-clock seconds of a shell command
  local s e
  s=$(date +%s.%N); bash -c "$1" >/dev/null 2>&1; e=$(date +%s.%N)
  echo "$e - $s" | bc
}

declare -A commands=(
  [file]="$tunscope print -r $big"
  [pipe]="cat $big | $tunscope print -r -"
  [tcpdump_pipe]="cat $big | tcpdump -nn -S -r -"
  [tcpdump_file]="tcpdump -nn -S -r $big"
)
order=(file pipe tcpdump_pipe tcpdump_file)
declare -A times
for ((r = 1; r <= rounds; r++)); do
  line="round $r:"
  for name in "${order[@]}"; do
    t=$(seconds "${commands[$name]}")
    times[$name]="${times[$name]:-} $t"
    line="$line $name $t s"
  done
  echo "$line"
done

stats() {  # min median max of the numbers given
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%s %s %s", a[1], a[int((NR+1)/2)], a[NR]}'
}
echo
printf "%-40s %s\n" "command" "packets/s: min / median / max (over $rounds rounds)"
for name in "${order[@]}"; do
  read -r lo mid hi <<<"$(stats ${times[$name]})"
  printf "%-40s %10.0f / %10.0f / %10.0f\n" "${commands[$name]//$big/F}" "$(echo "$packets / $hi" | bc -l)" \
    "$(echo "$packets / $mid" | bc -l)" "$(echo "$packets / $lo" | bc -l)"
done
echo
# Ratios round by round (the same round's commands ran minutes apart at most).
read -r -a file <<<"${times[file]}"; read -r -a pipe <<<"${times[pipe]}"; read -r -a tpipe <<<"${times[tcpdump_pipe]}"
r1=(); r2=()
for ((i = 0; i < rounds; i++)); do
  r1+=("$(echo "${file[$i]} / ${pipe[$i]}" | bc -l)")
  r2+=("$(echo "${tpipe[$i]} / ${pipe[$i]}" | bc -l)")
done
read -r lo mid hi <<<"$(stats "${r1[@]}")"
printf "pipe against file (tunscope's -r FILE time / -r - time): %.2f / %.2f / %.2f\n" "$lo" "$mid" "$hi"
read -r lo mid hi <<<"$(stats "${r2[@]}")"
printf "tunscope against tcpdump, both through the pipe (tcpdump's time / tunscope's): %.2fx / %.2fx / %.2fx\n" "$lo" "$mid" "$hi"
