#!/usr/bin/python3
"""Compares IP reassembly in `tunscope print --format json` with `tshark -T json` (one pass),
packet by packet: every field both print must be equal (as compare_json.py), and the fields
of reassembly (ip.fragment*, ip.reassembled*, ipv6.fragment*, ipv6.reassembled*, ip.fragments)
and of the layers a reassembled datagram brings (UDP, TCP, ICMP, ICMPv6, DNS, the streams and
the data) must be printed by both or by neither: a packet where only one side reassembled, or
decoded a layer, is a difference.

Usage: compare_fragments.py TUNSCOPE.jsonl TSHARK.json
"""
import json
import sys

from compare_json import flatten, normalise, pairs

# Fields whose presence must agree too, not only their values.
PREFIXES = ("ip.fragment", "ip.reassembled", "ipv6.fragment", "ipv6.reassembled")
PRESENCE = ("ip.fragments", "udp.srcport", "udp.length", "udp.stream", "tcp.srcport", "tcp.seq", "tcp.len",
            "tcp.stream", "tcp.nxtseq", "icmp.type", "icmp.checksum.status", "icmp.seq", "icmpv6.type", "icmpv6.echo.sequence_number",
            "dns.id", "dns.count.answers", "dns.qry.name", "dns.a", "data.data", "data.len", "ipv6.dstopts.nxt")


def main():
    ours = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    theirs = []
    for packet in json.load(open(sys.argv[2]), object_pairs_hook=pairs):
        flat = {}
        flatten(dict(dict(packet)["_source"])["layers"], flat)
        theirs.append(flat)
    problems = []
    if len(ours) != len(theirs):
        problems.append(f"packet count: tunscope {len(ours)}, tshark {len(theirs)}")
    compared = reassembled = 0
    for n, (a, b) in enumerate(zip(ours, theirs), start=1):
        keys = {k for k in a if k in b and not k.startswith("_ws.")}
        keys |= {k for k in list(a) + list(b) if k.startswith(PREFIXES) or k in PRESENCE}
        if "ip.reassembled.length" in b or "ipv6.reassembled.length" in b:
            reassembled += 1
        for key in sorted(keys):
            mine = a.get(key, [])
            mine = [normalise(v) for v in (mine if isinstance(mine, list) else [mine])]
            tshark = [normalise(v) for v in b.get(key, [])]
            compared += 1
            if mine != tshark:
                problems.append(f"packet {n}: {key}: tunscope {str(mine)[:120]} tshark {str(tshark)[:120]}")
    for p in problems[:80]:
        print(p)
    if len(problems) > 80:
        print(f"... and {len(problems) - 80} more")
    print(f"{compared} field values compared, {reassembled} reassembled datagrams, {len(problems)} differences")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
