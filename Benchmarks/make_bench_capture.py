#!/usr/bin/python3
"""Writes the benchmark capture: COUNT raw-IP packets (LINKTYPE_RAW) of mixed TCP with options,
UDP and ICMP echo between HOSTS hosts spread over several /16s. Deterministic, and fast: a few
templates patched per packet, not scapy per packet (the checksums are left as the templates
have them; the printers do not verify checksums at this verbosity).

Usage: make_bench_capture.py OUT.pcap [--count N] [--hosts N]
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--hosts", type=int, default=300)
    args = parser.parse_args()
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
            if p[9] in (6, 17):
                p[20:22] = struct.pack(">H", 1024 + i % 60000)
            if p[9] == 6:
                p[24:28] = struct.pack(">I", (i * 2654435761) & 0xFFFFFFFF)
            usec += rng.randrange(1, 200)
            f.write(struct.pack("<IIII", 1700000000 + usec // 1000000, usec % 1000000, len(p), len(p)))
            f.write(p)


if __name__ == "__main__":
    main()
