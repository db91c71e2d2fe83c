#!/usr/bin/env bash
# Handshake benchmark: in a namespace of its own, the kernel listens on 192.0.2.1:8080 behind a
# tun, and tcpdump records the tun while two clients open N connections each through it: a bare
# C program (write a SYN, spin on read until the SYN-ACK; Benchmarks/tun_syn_rtt.c) and
# `tunscope send --syn` (release build). For every connection the RTT each reports is set
# against the one tcpdump's timestamps show for the same SYN/SYN-ACK pair. tunscope's own
# figure for the time from the command to the SYN written comes last.
# Needs root. All traffic stays inside the namespace. Usage: Benchmarks/send_rtt.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
out=Benchmarks/out
mkdir -p "$out"
cc -O2 -o "$out/tun_syn_rtt" Benchmarks/tun_syn_rtt.c
swift build -c release --product tunscope >/dev/null
. Benchmarks/listening_namespace.sh
ip netns exec "$ns" tcpdump -nn -U --immediate-mode --time-stamp-precision=micro -i tun0 -w "$out/send_rtt.pcap" 2>/dev/null &
pids+=($!)
sleep 1

ip netns exec "$ns" "$out/tun_syn_rtt" tun0 192.0.2.1 8080 "$N" 10000 > "$out/send_rtt_c.txt"
ip netns exec "$ns" .build/release/tunscope send -i tun0 --syn 192.0.2.1:8080 --count "$N" --interval 0.01 --close rst \
  > "$out/send_rtt_tunscope.txt" 2>/dev/null
sleep 0.5
kill -INT "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true

tshark -r "$out/send_rtt.pcap" -Y tcp -T fields -e frame.time_epoch -e tcp.srcport -e tcp.dstport -e tcp.flags \
  > "$out/send_rtt.fields" 2>/dev/null
/usr/bin/python3 - "$out/send_rtt.fields" "$out/send_rtt_c.txt" "$out/send_rtt_tunscope.txt" <<'EOF'
import re, sys
from decimal import Decimal
# tcpdump's RTT per client port: the first SYN-ACK after the SYN.
syn, dump = {}, {}
for line in open(sys.argv[1]):
    t, sport, dport, flags = line.split()
    t, flags = Decimal(t), int(flags, 16)
    if flags == 0x002:
        syn[int(sport)] = t
    elif flags == 0x012 and int(dport) in syn and int(dport) not in dump:
        dump[int(dport)] = (t - syn[int(dport)]) * 1000000
bare = {int(p): Decimal(r) for p, r in (l.split() for l in open(sys.argv[2]))}
ours = {}
for line in open(sys.argv[3]):
    m = re.search(r"RCVD SYN-ACK\s+192\.0\.2\.1:8080 > 192\.0\.2\.2:(\d+) .*rtt=([\d.]+) ms", line)
    if m:
        ours[int(m.group(1))] = Decimal(m.group(2)) * 1000
def mam(v): return "%6.1f /%6.1f /%6.1f" % (min(v), sum(v) / len(v), max(v))
print("%-22s %-26s %-26s %-26s %s" % ("client", "its rtt (us) min/avg/max", "tcpdump's (us)", "|difference| (us)", "over 10 us"))
for name, rtts in (("bare C read loop", bare), ("tunscope send", ours)):
    ports = sorted(set(rtts) & set(dump))
    diffs = [abs(rtts[p] - dump[p]) for p in ports]
    print("%-22s %-26s %-26s %-26s %d of %d" % (name, mam([rtts[p] for p in ports]), mam([dump[p] for p in ports]),
                                             mam(diffs), sum(1 for d in diffs if d > 10), len(ports)))
EOF
grep -E "command to SYN written" "$out/send_rtt_tunscope.txt" | sed 's/^/tunscope: /'
