#!/usr/bin/python3
"""Writes the capture that stream analysis is cross-checked on (tcp.stream, udp.stream,
relative numbers and tcp.analysis.* against tshark -T json; --relative lines against tcpdump -nn):
interleaved TCP conversations with retransmissions, fast retransmissions after three duplicate
ACKs, out-of-order and lost segments, zero windows, window updates and full windows, keep-alives,
resets, four-tuple reuse, connections seen from the middle, UDP conversations, IPv4 and IPv6.

Usage: make_streams.py OUT.pcap
"""
import random
import sys

from scapy.all import IP, IPv6, TCP, UDP, Raw, PcapWriter

packets = []
clock = [1700000000.0]


def at(p, gap):
    """Appends p, gap seconds after the previous packet."""
    clock[0] += gap
    p.time = clock[0]
    packets.append(p)


class Conn:
    """One TCP connection: its two ends, and each side's next sequence number."""

    def __init__(self, client, server, cport, sport, cseq, sseq, v6=False, window=65535):
        self.ip = IPv6 if v6 else IP
        self.c, self.s, self.cport, self.sport = client, server, cport, sport
        self.cseq, self.sseq = cseq, sseq
        self.window = window

    def seg(self, from_client, flags, payload=b"", seq=None, ack=None, window=None, options=None):
        src, dst = (self.c, self.s) if from_client else (self.s, self.c)
        sp, dp = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        own = self.cseq if from_client else self.sseq
        other = self.sseq if from_client else self.cseq
        s = own if seq is None else seq
        a = other if ack is None else ack
        t = TCP(sport=sp, dport=dp, flags=flags, seq=s % 2**32, ack=(a % 2**32) if "A" in flags else 0,
                window=self.window if window is None else window, options=options or [])
        p = self.ip(src=src, dst=dst) / t
        if payload:
            p = p / Raw(payload)
        if seq is None:
            step = len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
            if from_client:
                self.cseq += step
            else:
                self.sseq += step
        return p

    def handshake(self, gap=0.0005, options=None):
        at(self.seg(True, "S", options=options), gap)
        at(self.seg(False, "SA", options=options), gap)
        at(self.seg(True, "A"), gap)


def data(n, fill=b"d"):
    return (fill * n)[:n]


# 1: a clean exchange, closed by FIN both ways; 2 interleaved with it.
a = Conn("192.0.2.2", "198.51.100.80", 40001, 80, 1000, 900000)
b = Conn("192.0.2.3", "198.51.100.80", 40002, 8080, 4000000000, 7)  # wraps past 2^32
a.handshake()
b.handshake()
at(a.seg(True, "PA", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0.001)
at(b.seg(True, "PA", data(300)), 0.0002)
at(a.seg(False, "A"), 0.0004)
at(a.seg(False, "PA", data(1000, b"r")), 0.0003)
at(b.seg(False, "A"), 0.0002)
at(a.seg(False, "PA", data(500, b"s")), 0.0001)
at(a.seg(True, "A"), 0.0004)
at(b.seg(True, "PA", data(2000)), 0.0003)
at(b.seg(False, "A"), 0.0005)
at(a.seg(True, "FA"), 0.001)
at(a.seg(False, "FA"), 0.0005)
at(a.seg(True, "A"), 0.0005)

# 3: retransmission after a timeout, then a spurious one of data already acknowledged.
c = Conn("192.0.2.4", "203.0.113.7", 40003, 443, 5000, 60000)
c.handshake(0.02)
first = c.cseq
at(c.seg(True, "PA", data(100)), 0.001)
at(c.seg(True, "PA", data(100), seq=first), 0.3)
at(c.seg(False, "A"), 0.02)
at(c.seg(True, "PA", data(100), seq=first), 0.5)
at(c.seg(True, "PA", data(50)), 0.01)

# 4: a lost segment, three duplicate ACKs, a fast retransmission, then the ACK of all.
d = Conn("192.0.2.5", "203.0.113.8", 40004, 22, 77, 88)
d.handshake()
s1 = d.cseq
at(d.seg(True, "A", data(1000)), 0.001)
lost = d.cseq
d.cseq += 1000  # the second segment is never captured
at(d.seg(True, "A", data(1000)), 0.0001)
at(d.seg(False, "A", ack=lost), 0.002)
at(d.seg(True, "A", data(1000)), 0.0001)
at(d.seg(False, "A", ack=lost), 0.0001)
at(d.seg(True, "PA", data(1000)), 0.0001)
at(d.seg(False, "A", ack=lost), 0.0001)
at(d.seg(False, "A", ack=lost), 0.0001)
at(d.seg(True, "A", data(1000), seq=lost), 0.001)
at(d.seg(False, "A"), 0.002)

# 5: out of order: two segments swapped within a millisecond; an ACK for data never seen.
e = Conn("2001:db8::1", "2001:db8::2", 40005, 80, 123456, 654321, v6=True)
e.handshake()
s1 = e.cseq
at(e.seg(True, "A", data(500), seq=s1 + 500), 0.001)
at(e.seg(True, "A", data(500), seq=s1), 0.0002)
e.cseq += 1000
at(e.seg(True, "PA", data(10)), 0.0001)
at(e.seg(False, "A"), 0.001)
at(e.seg(False, "A", data(0), seq=e.sseq + 700), 0.001)  # server's 700 bytes never captured
at(e.seg(True, "A", ack=e.sseq + 700), 0.001)
at(e.seg(False, "PA", data(40), seq=e.sseq + 700), 0.0005)
at(e.seg(True, "A", ack=e.sseq + 740), 0.0005)

# 6: zero window, a probe, the probe's ACK, a window update, a full window.
f = Conn("192.0.2.6", "198.51.100.9", 40006, 5001, 3000, 9000, window=2000)
f.handshake()
at(f.seg(True, "PA", data(1000)), 0.001)
at(f.seg(True, "PA", data(1000)), 0.0001)  # fills the server's 2000-byte window
at(f.seg(False, "A", window=0), 0.001)
at(f.seg(True, "A", data(1)), 0.2)
f.cseq -= 1  # a probe takes no sequence space for good
at(f.seg(False, "A", window=0), 0.001)
at(f.seg(False, "A", window=4000), 0.05)
at(f.seg(True, "PA", data(300)), 0.001)
at(f.seg(False, "A", window=4000), 0.001)
at(f.seg(False, "A", window=4000), 0.0001)  # a duplicate ACK

# 7: keep-alives and their ACKs, a long-quiet connection.
g = Conn("192.0.2.7", "198.51.100.10", 40007, 6000, 111, 222)
g.handshake()
at(g.seg(True, "PA", data(10)), 0.001)
at(g.seg(False, "A"), 0.001)
at(g.seg(True, "A", seq=g.cseq - 1), 45)
at(g.seg(False, "A"), 0.0005)
at(g.seg(True, "A", data(1, b"\0"), seq=g.cseq - 1), 45)
at(g.seg(False, "A"), 0.0005)

# 8: reset, then the four-tuple reused: the same ISN, another ISN, after a FIN close.
h = Conn("192.0.2.8", "198.51.100.11", 40008, 80, 5555, 6666)
h.handshake()
at(h.seg(True, "PA", data(20)), 0.001)
at(h.seg(False, "R", seq=h.sseq), 0.001)
h2 = Conn("192.0.2.8", "198.51.100.11", 40008, 80, 5555, 7777)
at(h2.seg(True, "S"), 0.5)
at(h2.seg(True, "S", seq=h2.cseq - 1), 1.0)  # the SYN retransmitted
at(h2.seg(False, "SA"), 0.001)
at(h2.seg(True, "A"), 0.001)
at(h2.seg(True, "FA"), 0.001)
at(h2.seg(False, "FA"), 0.001)
at(h2.seg(True, "A"), 0.001)
h3 = Conn("192.0.2.8", "198.51.100.11", 40008, 80, 99999, 8888)
h3.handshake(0.3)
at(h3.seg(True, "RA"), 0.001)
# a refused connection: RST-ACK for the SYN
r = Conn("192.0.2.9", "198.51.100.12", 40009, 81, 42, 0)
at(r.seg(True, "S"), 0.001)
at(r.seg(False, "RA", seq=0, ack=43), 0.0001)

# 9: seen from the middle (no SYN), both ways, with data.
m = Conn("192.0.2.10", "198.51.100.13", 40010, 25, 31337, 4242)
at(m.seg(False, "PA", data(60)), 0.001)
at(m.seg(True, "A"), 0.001)
at(m.seg(True, "PA", data(20)), 0.001)
at(m.seg(False, "A"), 0.001)

# 10: UDP conversations, IPv4 and IPv6, interleaved, both directions.
for i in range(3):
    at(IP(src="192.0.2.20", dst="198.51.100.53") / UDP(sport=50000 + i, dport=5000) / Raw(data(30)), 0.001)
    at(IP(src="198.51.100.53", dst="192.0.2.20") / UDP(sport=5000, dport=50000 + i) / Raw(data(40)), 0.001)
    at(IPv6(src="2001:db8::20", dst="2001:db8::53") / UDP(sport=51000, dport=5001 + i) / Raw(data(10)), 0.001)

# 11: SYN with window scaling both ways, then data to the edge of the scaled window.
w = Conn("2001:db8::30", "2001:db8::31", 40011, 80, 10, 20, v6=True, window=16)
w.handshake(options=[("WScale", 7)])
at(w.seg(True, "PA", data(1000)), 0.001)
at(w.seg(True, "PA", data(1048)), 0.0001)
at(w.seg(False, "A", window=16), 0.001)

# 12: the four-tuple reused after a FIN close with the same ISN (the same stream, for Wireshark
# 4.0), data with FIN, SACK blocks; a UDP conversation with an empty datagram in the middle.
k = Conn("192.0.2.12", "198.51.100.14", 40012, 80, 777, 888)
k.handshake()
at(k.seg(True, "FPA", data(30)), 0.001)
at(k.seg(False, "FA"), 0.001)
at(k.seg(True, "A"), 0.001)
k2 = Conn("192.0.2.12", "198.51.100.14", 40012, 80, 777, 999)
k2.handshake(0.2)
s1 = k2.cseq
at(k2.seg(True, "A", data(100)), 0.001)
k2.cseq += 100
at(k2.seg(True, "A", data(100)), 0.0001)
at(k2.seg(False, "A", ack=s1 + 100, options=[("NOP", None), ("NOP", None), ("SAck", (s1 + 200, s1 + 300))]), 0.001)
at(k2.seg(True, "PA", data(100)), 0.0001)
for i, n in enumerate([20, 0, 20]):
    at(IP(src="192.0.2.21", dst="198.51.100.54") / UDP(sport=50100, dport=43210) / Raw(data(n)), 0.002)

# 13: a soup: three connections whose segments come with numbers near what is expected, now
# and then repeated, skipped, reordered, with odd windows, flags and SACK blocks (fixed seed).
rng = random.Random(15)
soup = [Conn("192.0.2.30", "203.0.113.30", 41000, 443, rng.randrange(2**32), rng.randrange(2**32)),
        Conn("192.0.2.31", "203.0.113.31", 41001, 444, rng.randrange(2**32), rng.randrange(2**32)),
        Conn("2001:db8::30", "2001:db8::31", 41002, 445, rng.randrange(2**32), rng.randrange(2**32), v6=True)]
for c in soup:
    c.handshake(0.0003)
sent = {id(c): [] for c in soup}
for step in range(400):
    c = rng.choice(soup)
    client = rng.random() < 0.6
    roll = rng.random()
    own = c.cseq if client else c.sseq
    other = c.sseq if client else c.cseq
    window = rng.choice([65535, 65535, 65535, 0, 1000, 4096])
    gap = rng.choice([0.0001, 0.0005, 0.002, 0.01, 0.3])
    options = None
    if rng.random() < 0.1:
        options = [("NOP", None), ("NOP", None), ("SAck", (other + 10, other + 110))]
    if roll < 0.45:
        n = rng.choice([1, 10, 100, 536, 1000])
        p = c.seg(client, rng.choice(["A", "PA"]), data(n), window=window, options=options)
        sent[id(c)].append((client, p))
        at(p, gap)
    elif roll < 0.6:
        at(c.seg(client, "A", window=window, options=options), gap)
    elif roll < 0.7 and sent[id(c)]:
        _, p = rng.choice(sent[id(c)][-6:])
        at(p.copy(), gap)  # a segment again
    elif roll < 0.78:
        n = rng.choice([10, 100])
        if client:
            c.cseq += n  # lost on the way
        else:
            c.sseq += n
    elif roll < 0.86:
        at(c.seg(client, "A", seq=own - 1, window=window), gap)  # keep-alive-like
    elif roll < 0.9:
        at(c.seg(client, "A", data(1), window=window), gap)
    elif roll < 0.95:
        at(c.seg(client, "A", ack=other + rng.choice([-100, 50, 1000]), window=window), gap)
    else:
        at(c.seg(client, rng.choice(["FA", "RA", "R", "UA"]), window=window), gap)

with PcapWriter(sys.argv[1], linktype=101, sync=True) as out:
    for p in packets:
        out.write(p)
