#!/usr/bin/env bash
# The screen's figures (Benchmarks/screen.sh, release build): on the 1,000,000-packet benchmark
# capture, the time to the first frame of `tunscope -r` (in a real terminal: tmux, polled every
# 10 ms; and without one), the frame cost with 1,000 and with 1,000,000 packets stored, and
# memory with all of them stored, against tshark reading the same file; then, in a namespace
# of its own with the kernel listening behind a tun, the time from the key `s` to the SYN on
# the wire, and how long a key takes to reach the screen while the tun floods. Needs root
# for the last two parts. Usage: Benchmarks/screen.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=Benchmarks/out
mkdir -p "$out"
swift build -c release --product tunscope >/dev/null
tunscope=$PWD/.build/release/tunscope
big="$out/bench-1m.pcap"
[ -f "$big" ] || /usr/bin/python3 Benchmarks/make_bench_capture.py "$big" --count 1000000

echo "== without a terminal: tunscope _bench-screen --file $big"
"$tunscope" _bench-screen --file "$big"

echo "== in tmux (160x48): from start to the first frame on screen"
session="tunscope-bench-$$"
for run in 1 2 3; do
  start=$(date +%s.%N)
  /usr/bin/python3 -c "import subprocess, sys; subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)" \
    tmux -L "$session" new-session -d -s "$session" -x 160 -y 48 "$tunscope" -r "$big"
  until tmux -L "$session" capture-pane -p -t "$session" 2>/dev/null | grep -qE "LOADING|FILE"; do sleep 0.01; done
  end=$(date +%s.%N)
  echo "run $run: $(echo "($end - $start) * 1000" | bc | cut -d. -f1) ms"
  tmux -L "$session" kill-server
done

echo "== tshark reading the same file (max resident memory, time)"
/usr/bin/time -f "tshark: %M KiB max resident, %e s" tshark -r "$big" > /dev/null 2> "$out/tshark_time.txt" || true
tail -1 "$out/tshark_time.txt"
/usr/bin/time -f "tunscope print: %M KiB max resident, %e s" "$tunscope" print -r "$big" > /dev/null 2> "$out/print_time.txt" || true
tail -1 "$out/print_time.txt"

if [ "$(id -u)" -ne 0 ]; then echo "(key to wire needs root: skipped)"; exit 0; fi
echo "== key s to the SYN on the wire"
. Benchmarks/listening_namespace.sh
sleep 0.5
ip netns exec "$ns" "$tunscope" _bench-screen --device tun0 --target 192.0.2.1:8080 --connections 50

echo "== keys while the tun floods (at most 3,000,000 UDP packets, as fast as the kernel sends them)"
cc -O2 -o "$out/udp_flood" Benchmarks/udp_flood.c
ip netns exec "$ns" "$out/udp_flood" 192.0.2.2 3000000 &
flood=$!
ip netns exec "$ns" "$tunscope" _bench-screen --flood-device tun0 --seconds 5
kill "$flood" 2>/dev/null || true
