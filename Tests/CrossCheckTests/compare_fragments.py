#!/usr/bin/python3
"""Compares IP reassembly in `tunscope print --format json` with `tshark -T json` (one pass),
packet by packet: every field both print must be equal (as compare_json.py), and the fields
of reassembly (ip.fragment*, ip.reassembled*, ipv6.fragment*, ipv6.reassembled*, ip.fragments)
and of the layers a reassembled datagram brings (UDP, TCP, ICMP, ICMPv6, DNS, the streams and
the data) must be printed by both or by neither: a packet where only one side reassembled, or
decoded a layer, is a difference.

Usage: compare_fragments.py TUNSCOPE.jsonl TSHARK.json
"""
import sys

from compare_json import compare, load, report

# Fields whose presence must agree too, not only their values.
PREFIXES = ("ip.fragment", "ip.reassembled", "ipv6.fragment", "ipv6.reassembled")
PRESENCE = ("ip.fragments", "udp.srcport", "udp.length", "udp.stream", "tcp.srcport", "tcp.seq", "tcp.len",
            "tcp.stream", "tcp.nxtseq", "icmp.type", "icmp.checksum.status", "icmp.seq", "icmpv6.type", "icmpv6.echo.sequence_number",
            "dns.id", "dns.count.answers", "dns.qry.name", "dns.a", "data.data", "data.len", "ipv6.dstopts.nxt")


def main():
    ours, theirs = load(sys.argv[1], sys.argv[2])
    problems = []
    reassembled = sum(1 for b in theirs if "ip.reassembled.length" in b or "ipv6.reassembled.length" in b)

    def keys(a, b):
        chosen = {k for k in a if k in b and not k.startswith("_ws.")}
        chosen |= {k for k in list(a) + list(b) if k.startswith(PREFIXES) or k in PRESENCE}
        return sorted(chosen)
    compared = compare(ours, theirs, keys, problems, limit=120)
    report(problems, f"{compared} field values compared, {reassembled} reassembled datagrams, {len(problems)} differences", shown=80)


if __name__ == "__main__":
    main()
