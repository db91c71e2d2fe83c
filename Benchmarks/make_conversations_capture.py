#!/usr/bin/python3
"""Writes a capture of COUNT TCP conversations open at once (LINKTYPE_RAW): every client sends
its SYN, then every server its SYN-ACK, every client its ACK and 100 bytes of data, every server
its ACK, and only then does each close with FIN both ways. So at the capture's middle COUNT
conversations are open together: what the stream analysis keeps grows to COUNT and no further.
Fast: one template patched per packet (checksums left as they are; nothing here checks them).

Usage: make_conversations_capture.py OUT.pcap [--count N]
"""
import argparse
import struct

from scapy.all import IP, TCP, Raw

SEGMENT = bytes(IP() / TCP())
DATA = bytes(IP() / TCP() / Raw(b"d" * 100))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    usec = [0]
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))

        def put(i, from_client, flags, seq, ack, data=False):
            p = bytearray(DATA if data else SEGMENT)
            client = struct.pack(">I", 0x0A000000 | (i // 50000) << 16 | 1)
            server = struct.pack(">I", 0xC6120000 | (i % 50000 // 250))
            cport = struct.pack(">H", 10000 + i % 50000 % 250 * 200 + i // 50000)
            p[12:16], p[16:20] = (client, server) if from_client else (server, client)
            p[20:22], p[22:24] = (cport, b"\x01\xbb") if from_client else (b"\x01\xbb", cport)
            p[24:28] = struct.pack(">I", seq & 0xFFFFFFFF)
            p[28:32] = struct.pack(">I", ack & 0xFFFFFFFF)
            p[33] = flags
            usec[0] += 3
            f.write(struct.pack("<IIII", 1700000000 + usec[0] // 1000000, usec[0] % 1000000, len(p), len(p)))
            f.write(p)

        syn, fin, ack, psh = 0x02, 0x01, 0x10, 0x08
        c = lambda i: i * 7919  # each client's ISN
        s = lambda i: i * 104729 + 5  # each server's
        n = args.count
        for i in range(n):
            put(i, True, syn, c(i), 0)
        for i in range(n):
            put(i, False, syn | ack, s(i), c(i) + 1)
        for i in range(n):
            put(i, True, ack, c(i) + 1, s(i) + 1)
            put(i, True, psh | ack, c(i) + 1, s(i) + 1, data=True)
        for i in range(n):
            put(i, False, ack, s(i) + 1, c(i) + 101)
        for i in range(n):
            put(i, True, fin | ack, c(i) + 101, s(i) + 1)
            put(i, False, fin | ack, s(i) + 1, c(i) + 102)
            put(i, True, ack, c(i) + 102, s(i) + 2)


if __name__ == "__main__":
    main()
