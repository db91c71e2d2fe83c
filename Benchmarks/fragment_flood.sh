#!/bin/sh
# Memory under a flood of IP fragments that never complete: `tunscope print --format json` on
# captures of N such fragments (each of its own datagram, 100 bytes of data, a microsecond
# apart), N = 50,000 and 500,000; the reassembler's table stays at its bounds, so the maximum
# resident size should not grow with N.
# Usage: Benchmarks/fragment_flood.sh [TUNSCOPE]   (default .build/release/tunscope)
set -e
tunscope=${1:-.build/release/tunscope}
out=${TMPDIR:-/tmp}/tunscope-fragment-flood
mkdir -p "$out"
for n in 50000 500000; do
    f="$out/flood-$n.pcap"
    [ -f "$f" ] || /usr/bin/python3 - "$f" "$n" <<'PY'
import struct, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
    data = bytes(100)
    for i in range(n):
        # IPv4, More Fragments, offset 8 * (i % 7), a source and identification for each i.
        h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 120, i & 0xffff, 0x2000 | (i % 7), 64, 17, 0,
                                  bytes([10, (i >> 16) & 255, 0, 1]), bytes([192, 0, 2, 1])))
        s = sum(struct.unpack("!10H", h))
        s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
        h[10:12] = struct.pack("!H", ~s & 0xffff)
        f.write(struct.pack("<IIII", 1700000000 + i // 1000000, i % 1000000, 120, 120) + h + data)
PY
    /usr/bin/time -f "$n fragments: %e s, max resident %M KiB" "$tunscope" print --format json -r "$f" > /dev/null
done
