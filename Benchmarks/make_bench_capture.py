#!/usr/bin/python3
"""Writes the benchmark capture: COUNT raw-IP packets (LINKTYPE_RAW) of mixed TCP with options,
UDP and ICMP echo between HOSTS hosts spread over several /16s. Deterministic, and fast: a few
templates patched per packet, not scapy per packet (the checksums are left as the templates
have them; the printers do not verify checksums at this verbosity).

Usage: make_bench_capture.py OUT.pcap [--count N] [--hosts N]
       make_bench_capture.py OUT.pcap --adversarial [--count N] [--single I]

--adversarial writes traffic as it really comes instead (issue 14), with a fixed seed: arbitrary
payloads on every port tunscope decodes, DNS headers whose counts say 65,535 over a few bytes,
compression-pointer chains, loops and questions made of pointers, names past 255 characters,
lengths that disagree (IP, UDP, TCP data offset, DNS over TCP's prefix), random IPv4 options,
IPv6 extension chains and ICMPv6 MLDv2 reports that claim 65,535 records. --single I writes
packet I of that sequence COUNT times (to time one packet's cost).
"""
import argparse
import random
import struct

from scapy.all import ICMP, IP, TCP, UDP, Raw

TEMPLATES = [
    bytes(IP() / TCP(flags="S", options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])),
    bytes(IP() / TCP(flags="SA", options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (2, 1)), ("NOP", None), ("WScale", 7)])),
    bytes(IP() / TCP(flags="A", options=[("NOP", None), ("NOP", None), ("Timestamp", (3, 2))])),
    bytes(IP() / TCP(flags="PA", options=[("NOP", None), ("NOP", None), ("Timestamp", (4, 3))]) / Raw(b"x" * 100)),
    bytes(IP() / TCP(flags="FA", options=[("NOP", None), ("NOP", None), ("Timestamp", (5, 4))])),
    bytes(IP() / UDP(sport=40000, dport=50000) / Raw(b"y" * 64)),
    bytes(IP() / ICMP(type=8) / Raw(b"z" * 56)),
    bytes(IP() / ICMP(type=0) / Raw(b"z" * 56)),
]


DECODED_TCP_PORTS = [21, 22, 23, 25, 43, 53, 80, 139, 179, 443, 445, 554, 1723, 6379, 6633, 6653, 8080, 8554, 10288]
DECODED_UDP_PORTS = [53, 53, 5353, 5355, 67, 68, 123, 443, 40000]


def ipv4(proto, payload, rng, options=b"", total=None):
    ihl = 5 + len(options) // 4
    length = total if total is not None else 4 * ihl + len(payload)
    src = bytes([10, 1, rng.randrange(256), rng.randrange(1, 255)])
    dst = bytes([198, 18, rng.randrange(256), rng.randrange(1, 255)])
    return struct.pack(">BBHHHBBH", 0x40 | ihl, 0, length & 0xFFFF, rng.randrange(65536), 0, 64, proto, 0) + src + dst + options + payload


def ipv6(next_header, payload, rng):
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack(">IHBB", 0x60000000, len(payload), next_header, 64) + src + dst + payload


def tcp(sport, dport, payload, rng, offset=5):
    return struct.pack(">HHIIBBHHH", sport, dport, rng.getrandbits(32), rng.getrandbits(32), offset << 4, 0x18, 65535, 0, 0) + payload


def udp(sport, dport, payload, length=None):
    return struct.pack(">HHHH", sport, dport, (8 + len(payload)) if length is None else length, 0) + payload


def dns_header(rng, qd, an, ns, ar, flags=None):
    return struct.pack(">6H", rng.randrange(65536), rng.randrange(65536) if flags is None else flags, qd, an, ns, ar)


def pointer_questions(rng, count):
    """A question "foo", then questions made only of pointers, each to the two bytes before."""
    body = b"\x03foo\x00\x00\x01\x00\x01"
    for k in range(count):
        body += struct.pack(">H", 0xC000 | (12 if k == 0 else 21 + 2 * (k - 1)))
    return dns_header(rng, count // 3 + 1, 0, 0, 0, flags=0x0100) + body


def adversarial(i, rng):
    """Packet i of the adversarial sequence (raw IP)."""
    kind = i % 14
    junk = lambda lo, hi: bytes(rng.getrandbits(8) for _ in range(rng.randrange(lo, hi)))
    if kind == 0:   # arbitrary bytes to a decoded TCP port
        return ipv4(6, tcp(rng.randrange(1024, 65535), rng.choice(DECODED_TCP_PORTS), junk(0, 400), rng), rng)
    if kind == 1:   # arbitrary bytes to a decoded UDP port
        return ipv4(17, udp(rng.randrange(1024, 65535), rng.choice(DECODED_UDP_PORTS), junk(0, 400)), rng)
    if kind == 2:   # a DNS header claiming 65,535 of everything over a few bytes
        return ipv4(17, udp(53, rng.randrange(1024, 65535), dns_header(rng, 65535, 65535, 65535, 65535) + junk(0, 60)), rng)
    if kind == 3:   # the same as a response, and as mDNS
        msg = dns_header(rng, 1, 65535, 65535, 65535, flags=0x8180) + b"\x07example\x04test\x00\x00\x01\x00\x01" + junk(0, 40)
        return ipv4(17, udp(rng.choice([53, 5353]), 5353, msg), rng)
    if kind == 4:   # questions made of pointer chains, up to a full datagram
        return ipv4(17, udp(40000, 53, pointer_questions(rng, rng.randrange(50, 690))), rng)
    if kind == 5:   # a pointer to itself, one forwards, one to the header
        name = rng.choice([b"\xc0\x0c", b"\xc0\x20", b"\xc0\x00", b"\x3f\xc0"])
        return ipv4(17, udp(53, 40000, dns_header(rng, 65535, 0, 0, 0) + (name + b"\x00\x01\x00\x01") * rng.randrange(1, 200)), rng)
    if kind == 6:   # names past 255 characters, labels of every type
        labels = b"".join(bytes([rng.choice([63, 0x41, 0x44, 0x80, 1])]) + junk(63, 64) for _ in range(rng.randrange(1, 20)))
        return ipv4(17, udp(53, 40000, dns_header(rng, 1, 0, 0, 0) + labels + b"\x00\x00\x01\x00\x01"), rng)
    if kind == 7:   # DNS over TCP: right, wrong and absurd prefixes
        msg = dns_header(rng, 65535, 65535, 0, 0) + junk(0, 300)
        prefix = rng.choice([len(msg), 65535, 0])
        return ipv4(6, tcp(53, rng.randrange(1024, 65535), struct.pack(">H", prefix) + msg, rng), rng)
    if kind == 8:   # lengths that disagree: IP total length, UDP length, TCP data offset
        which = rng.randrange(3)
        if which == 0:
            return ipv4(17, udp(53, 40000, junk(12, 100)), rng, total=65535)
        if which == 1:
            return ipv4(17, udp(53, 40000, junk(12, 100), length=rng.choice([0, 7, 65535])), rng)
        return ipv4(6, tcp(80, 40000, junk(0, 60), rng, offset=rng.randrange(16)), rng)
    if kind == 9:   # IPv4 options: random kinds and lengths
        return ipv4(17, udp(53, 40000, junk(0, 40)), rng, options=junk(40, 41))
    if kind == 10:  # IPv6 extension headers chained with random lengths
        chain = b""
        for _ in range(rng.randrange(1, 30)):
            chain += bytes([rng.choice([0, 43, 60, 44, 59, 58, 17, 6]), rng.randrange(4)]) + junk(6, 7)
        return ipv6(rng.choice([0, 43, 60]), chain + junk(0, 100), rng)
    if kind == 11:  # ICMPv6 MLDv2 reports that claim 65,535 records
        return ipv6(58, struct.pack(">BBHHH", 143, 0, 0, 0, 65535) + junk(0, 200), rng)
    if kind == 12:  # arbitrary ICMP and ICMPv6
        if rng.randrange(2):
            return ipv4(1, junk(0, 200), rng)
        return ipv6(58, junk(0, 200), rng)
    # TCP options: random kinds and lengths in a full 60-byte header
    return ipv4(6, tcp(rng.randrange(1024, 65535), rng.choice(DECODED_TCP_PORTS), junk(40, 41) + junk(0, 100), rng, offset=15), rng)


def write_adversarial(out, count, single):
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))
        usec = 0
        fixed = None
        if single is not None:
            rng = random.Random(11)
            for i in range(single + 1):
                fixed = adversarial(i, rng)
        rng = random.Random(11)
        for i in range(count):
            p = fixed if fixed is not None else adversarial(i, rng)
            usec += 7
            f.write(struct.pack("<IIII", 1700000000 + usec // 1000000, usec % 1000000, len(p), len(p)))
            f.write(p)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--hosts", type=int, default=300)
    parser.add_argument("--adversarial", action="store_true")
    parser.add_argument("--single", type=int)
    args = parser.parse_args()
    if args.adversarial:
        write_adversarial(args.out, args.count, args.single)
        return
    rng = random.Random(7)
    # Hosts over several /16s (198.18.0.0/15 and 10.x are only numbers in a file here).
    hosts = [struct.pack(">I", (rng.choice([0xC612, 0xC613, 0x0A01, 0x0A02, 0x0A03]) << 16) | rng.randrange(1, 65535))
             for _ in range(args.hosts)]
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))
        usec = 0
        for i in range(args.count):
            p = bytearray(TEMPLATES[i % len(TEMPLATES)])
            p[12:16] = rng.choice(hosts)
            p[16:20] = rng.choice(hosts)
            # TTLs as they arrive: the usual initial values less a few hops (no checksum to fix, see above).
            p[8] = (64, 128, 255, 61, 57, 116, 243, 63)[(i * 7919 // 8) % 8]
            if p[9] in (6, 17):
                p[20:22] = struct.pack(">H", 1024 + i % 60000)
            if p[9] == 6:
                p[24:28] = struct.pack(">I", (i * 2654435761) & 0xFFFFFFFF)
            usec += rng.randrange(1, 200)
            f.write(struct.pack("<IIII", 1700000000 + usec // 1000000, usec % 1000000, len(p), len(p)))
            f.write(p)


if __name__ == "__main__":
    main()
