#!/usr/bin/python3
"""Writes a capture of fragmented IPv4 and IPv6 datagrams for the reassembly cross-check
against tshark: UDP (DNS too), ICMP, ICMPv6 and TCP datagrams fragmented in order, out of
order, duplicated, overlapping (with the same and with other data), with two last fragments,
with a fragment past the end, never completed, repeated after completion, behind IPv6
extension headers (before and after the fragment header), a first fragment Wireshark does not
take (a bad header checksum, cut by the snap length), an ICMP error quoting a first fragment,
datagrams whose fragments interleave, all among ordinary packets. Deterministic.

Usage: make_fragments.py OUT.pcap [--linktype raw|ethernet]
"""
import argparse
import random

from scapy.all import (DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, ICMPv6EchoRequest, PcapWriter, Raw, fragment, fragment6)

rng = random.Random(15)
A4, B4, C4 = "192.0.2.2", "198.51.100.7", "203.0.113.9"
A6, B6 = "2001:db8::2", "2001:db8:1::7"


def v4(src, dst, ident, proto, offset, data, more):
    """One IPv4 fragment made by hand: `offset` in bytes (a multiple of 8)."""
    return IP(src=src, dst=dst, id=ident, proto=proto, frag=offset // 8, flags="MF" if more else 0) / Raw(data)


def v6(src, dst, ident, nh, offset, data, more, before=()):
    """One IPv6 fragment made by hand, after the extension headers `before`."""
    p = IPv6(src=src, dst=dst)
    for h in before:
        p = p / h
    return p / IPv6ExtHdrFragment(id=ident, nh=nh, offset=offset // 8, m=1 if more else 0) / Raw(data)


def ordinary():
    """A packet that is no fragment, to interleave."""
    return rng.choice([
        IP(src=A4, dst=B4) / UDP(sport=5000, dport=5001) / b"plain",
        IP(src=B4, dst=A4) / TCP(sport=80, dport=40000, flags="A", seq=1, ack=1),
        IP(src=A4, dst=C4) / ICMP(id=1, seq=rng.randrange(100)),
        IPv6(src=A6, dst=B6) / UDP(sport=5000, dport=5001) / b"plain6",
    ])


def packets():
    out = []
    # IPv4 UDP in order, among ordinary packets.
    for f in fragment(IP(src=A4, dst=B4, id=100) / UDP(sport=40000, dport=9999) / (b"A" * 3000), fragsize=1480):
        out += [f, ordinary()]
    # DNS over IPv4: a response too big for one packet.
    answers = None
    for i in range(40):
        rr = DNSRR(rrname=f"host{i}.example.test", type="A", rdata=f"192.0.2.{i + 1}")
        answers = rr if answers is None else answers / rr
    dns = DNS(id=7, qr=1, aa=1, qd=DNSQR(qname="example.test"), an=answers)
    out += fragment(IP(src=B4, dst=A4, id=101) / UDP(sport=53, dport=40001) / dns, fragsize=256)
    # ICMP echo, fragments in reverse, then shuffled.
    out += list(reversed(fragment(IP(src=A4, dst=C4, id=102) / ICMP(id=9, seq=1) / (b"B" * 2000), fragsize=600)))
    shuffled = fragment(IP(src=A4, dst=C4, id=103) / ICMP(id=9, seq=2) / bytes(range(256)) * 6, fragsize=400)
    rng.shuffle(shuffled)
    out += shuffled
    # Two datagrams between the same hosts, their fragments interleaved.
    one = fragment(IP(src=A4, dst=B4, id=104) / UDP(sport=40002, dport=9999) / (b"C" * 900), fragsize=304)
    two = fragment(IP(src=A4, dst=B4, id=105) / UDP(sport=40003, dport=9999) / (b"D" * 900), fragsize=304)
    for x, y in zip(one, two):
        out += [x, y]
    # A duplicate before completion; a conflicting overlap; a fragment again after completion.
    f = fragment(IP(src=A4, dst=B4, id=106) / UDP(sport=40004, dport=9999) / (b"E" * 80), fragsize=48)
    out += [f[0], f[0], f[1]]
    datagram = bytes(UDP(sport=40005, dport=9999, chksum=0) / (b"F" * 72))
    out += [v4(A4, B4, 107, 17, 0, datagram[:48], True), v4(A4, B4, 107, 17, 32, b"X" * 24, True),
            v4(A4, B4, 107, 17, 48, datagram[48:], False)]
    f = fragment(IP(src=A4, dst=B4, id=108) / UDP(sport=40006, dport=9999) / (b"G" * 80), fragsize=48)
    out += [f[0], f[1], f[0], ordinary()]
    # Two last fragments ending in different places; a fragment past the end the first one set.
    datagram = bytes(UDP(sport=40007, dport=9999, chksum=0) / (b"H" * 72))
    out += [v4(A4, B4, 109, 17, 48, datagram[48:], False), v4(A4, B4, 109, 17, 48, datagram[48:72], False),
            v4(A4, B4, 109, 17, 0, datagram[:48], True)]
    datagram = bytes(UDP(sport=40008, dport=9999, chksum=0) / (b"I" * 40))
    out += [v4(A4, B4, 110, 17, 32, datagram[32:], False), v4(A4, B4, 110, 17, 24, b"J" * 40, True),
            v4(A4, B4, 110, 17, 0, datagram[:32], True)]
    # The same identification with two protocols: two datagrams.
    u = bytes(UDP(sport=40009, dport=9999, chksum=0) / (b"K" * 40))
    icmp = bytes(ICMP(id=3, seq=3) / (b"L" * 40))
    out += [v4(A4, B4, 111, 17, 0, u[:24], True), v4(A4, B4, 111, 1, 0, icmp[:24], True),
            v4(A4, B4, 111, 17, 24, u[24:], False), v4(A4, B4, 111, 1, 24, icmp[24:], False)]
    # Never completed: a first fragment alone, a middle one alone, a gap.
    out += [v4(A4, C4, 112, 17, 0, b"M" * 64, True), v4(A4, C4, 113, 17, 64, b"N" * 64, True),
            v4(A4, C4, 114, 17, 0, b"O" * 64, True), v4(A4, C4, 114, 17, 72, b"P" * 8, False)]
    # A first fragment with a bad header checksum (Wireshark decodes it, takes none of it).
    f = fragment(IP(src=A4, dst=B4, id=115) / UDP(sport=40010, dport=9999) / (b"Q" * 80), fragsize=48)
    bad = IP(bytes(f[0]))
    bad.chksum ^= 0x1111
    out += [bad, f[1]]
    # A first fragment the capture cut short (snap length), then the rest.
    f = fragment(IP(src=A4, dst=B4, id=116) / UDP(sport=40011, dport=9999) / (b"R" * 80), fragsize=48)
    cut = Raw(bytes(f[0])[:40])
    cut.wirelen = len(f[0])
    out += [cut, f[1]]
    # An ICMP error quoting a first fragment.
    f = fragment(IP(src=B4, dst=A4, id=117) / UDP(sport=40012, dport=9999) / (b"S" * 80), fragsize=48)
    out.append(IP(src=A4, dst=B4) / ICMP(type=3, code=3) / bytes(f[0])[:28 + 8])
    # TCP: a handshake, then a segment fragmented out of order, then its ACK.
    out += [IP(src=A4, dst=B4) / TCP(sport=40100, dport=80, flags="S", seq=1000),
            IP(src=B4, dst=A4) / TCP(sport=80, dport=40100, flags="SA", seq=5000, ack=1001),
            IP(src=A4, dst=B4) / TCP(sport=40100, dport=80, flags="A", seq=1001, ack=5001)]
    f = fragment(IP(src=A4, dst=B4, id=118) / TCP(sport=40100, dport=80, flags="PA", seq=1001, ack=5001) / (b"T" * 2500),
                 fragsize=1000)
    out += [f[1], f[0], f[2],
            IP(src=B4, dst=A4) / TCP(sport=80, dport=40100, flags="A", seq=5001, ack=3501)]

    # IPv6: UDP in order, DNS, ICMPv6 out of order, TCP.
    out += fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=200) / UDP(sport=40000, dport=9999) / (b"a" * 3000), 1280)
    out += fragment6(IPv6(src=B6, dst=A6) / IPv6ExtHdrFragment(id=201) / UDP(sport=53, dport=40001) / dns, 300)
    out += list(reversed(fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=202) / ICMPv6EchoRequest(id=4, seq=4, data=b"b" * 1800), 700)))
    out += [IPv6(src=A6, dst=B6) / TCP(sport=40101, dport=80, flags="S", seq=7000),
            IPv6(src=B6, dst=A6) / TCP(sport=80, dport=40101, flags="SA", seq=9000, ack=7001),
            IPv6(src=A6, dst=B6) / TCP(sport=40101, dport=80, flags="A", seq=7001, ack=9001)]
    out += fragment6(IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=203) / TCP(sport=40101, dport=80, flags="PA", seq=7001, ack=9001)
                     / (b"c" * 2000), 1000)
    # A hop-by-hop header before the fragment header; a destination options header after it.
    u6 = IPv6(src=A6, dst=B6) / UDP(sport=40002, dport=9999) / (b"d" * 64)
    u6 = bytes(IPv6(bytes(u6))[UDP])
    out += [v6(A6, B6, 204, 17, 0, u6[:40], True, before=[IPv6ExtHdrHopByHop()]),
            v6(A6, B6, 204, 17, 40, u6[40:], False, before=[IPv6ExtHdrHopByHop()])]
    inner = bytes(IPv6ExtHdrDestOpt(nh=17)) + u6
    out += [v6(A6, B6, 205, 60, 0, inner[:32], True), v6(A6, B6, 205, 60, 32, inner[32:], False)]
    # An atomic fragment (whole); a duplicate; a conflicting overlap; two last fragments; never completed.
    out.append(v6(A6, B6, 206, 17, 0, u6, False))
    out += [v6(A6, B6, 207, 17, 0, u6[:40], True), v6(A6, B6, 207, 17, 0, u6[:40], True), v6(A6, B6, 207, 17, 40, u6[40:], False)]
    out += [v6(A6, B6, 208, 17, 0, u6[:40], True), v6(A6, B6, 208, 17, 32, b"Y" * 16, True), v6(A6, B6, 208, 17, 40, u6[40:], False)]
    out += [v6(A6, B6, 209, 17, 40, u6[40:], False), v6(A6, B6, 209, 17, 40, u6[40:64], False), v6(A6, B6, 209, 17, 0, u6[:40], True)]
    out += [v6(A6, B6, 210, 17, 0, u6[:40], True), v6(A6, B6, 211, 17, 40, u6[40:], False), ordinary()]
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--linktype", choices=["raw", "ethernet"], default="raw")
    args = parser.parse_args()
    writer = PcapWriter(args.out, linktype=101 if args.linktype == "raw" else 1, sync=False)
    t = 1_700_000_000.0
    for p in packets():
        wirelen = getattr(p, "wirelen", None)
        if args.linktype == "ethernet":
            kind = 0x86DD if bytes(p)[0] >> 4 == 6 else 0x0800
            p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=kind) / Raw(bytes(p))
            if wirelen:
                p.wirelen = wirelen + 14
        else:
            p = Raw(bytes(p))
            if wirelen:
                p.wirelen = wirelen
        p.time = t
        t += 0.001
        writer.write(p)
    writer.close()


if __name__ == "__main__":
    main()
