#!/usr/bin/python3
"""Writes the arbitrary-payload capture (issue 14): with a fixed seed, COUNT raw-IP packets
(LINKTYPE_RAW) of TCP and UDP over IPv4 and IPv6 on every port tunscope decodes, the known port
as source or destination (now and then both ends), the other end an ephemeral port tcpdump
decodes nothing on. Payloads are arbitrary bytes of any length up to 1400, or bytes that start
like the port's protocol and then turn to garbage (a DNS header, a TLS record header, "GET /",
an SSH banner, an NTP first byte, a BOOTP header, a QUIC long header), so the decoders go deep
before the data stops making sense. TCP flags, sequence and acknowledgment numbers and windows
are random; checksums are right.

TCP ports tcpdump decodes but tunscope does not reproduce (Telnet, BGP, PPTP, Redis, NetBIOS,
SMB, BEEP, OpenFlow: see README) are left out, like every other port it does not decode.

Usage: make_arbitrary_capture.py OUT.pcap [--count N] [--seed S]
"""
import argparse
import random
import struct

# Ports tunscope decodes (Sources/Wire/Transport/TCP.swift's TcpdumpPayloadPrinter and
# UDP.swift's dissector: DNS, mDNS, LLMNR, BOOTP/DHCP, NTP, QUIC; TLS and HTTP in the tree).
TCP_PORTS = [21, 22, 25, 43, 53, 80, 443, 554, 8080, 8554]
UDP_PORTS = [53, 67, 68, 123, 443, 5353, 5355]
# Where the known port meets itself or its partner (68 -> 67, 123 <-> 123, 5353 <-> 5353).
PARTNER = {67: 68, 68: 67}
# Ephemeral ports: tcpdump 4.99.3 has no printer between 50000 and 60999 (its highest below is
# BCM_LI_PORT 49152, as a source port only).
EPHEMERAL = (50000, 61000)

HOSTS4 = [bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1]), bytes([198, 51, 100, 80]), bytes([203, 0, 113, 7])]
HOSTS6 = [bytes.fromhex("20010db8000000000000000000000001"), bytes.fromhex("20010db8000000000000000000000002"),
          bytes.fromhex("fe800000000000000001000200030004")]


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_packet(rng, v6, proto, segment, checksum_at):
    """An IPv4 or IPv6 packet around a TCP or UDP segment whose checksum (at checksum_at) is filled in."""
    src, dst = rng.sample(HOSTS6 if v6 else HOSTS4, 2)
    if v6:
        pseudo = src + dst + struct.pack(">IxxxB", len(segment), proto)
    else:
        pseudo = src + dst + struct.pack(">xBH", proto, len(segment))
    value = checksum(pseudo + segment)
    if proto == 17 and value == 0:
        value = 0xFFFF  # RFC 768: a computed zero is sent as all ones
    segment = segment[:checksum_at] + struct.pack(">H", value) + segment[checksum_at + 2:]
    if v6:
        return struct.pack(">IHBB", 0x60000000, len(segment), proto, 64) + src + dst + segment
    header = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(segment), rng.randrange(65536),
                         rng.choice([0, 0x4000]), 64, proto, 0) + src + dst
    header = header[:10] + struct.pack(">H", checksum(header)) + header[12:]
    return header + segment


def junk(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def length(rng, most=1400):
    """Mostly short (where printers stop mid-field), sometimes up to a full segment."""
    return rng.randrange(0, 48) if rng.randrange(2) else rng.randrange(0, most + 1)


def dns_name(rng, offset):
    """A name as senders write it, or not: plain labels, bytes that need escaping, a pointer back
    (or forwards, or to itself), a bit label or an unknown label type, or the root alone."""
    out = b""
    for _ in range(rng.choice([0, 1, 2, 2, 3, 5])):
        label = rng.choice([b"www", b"example", b"_http._tcp", b"local", b"a" * 63, junk(rng, rng.randrange(1, 12))])
        out += bytes([len(label)]) + label
    end = rng.choice([b"\0", b"\0", b"\0", b"\xc0\x0c", rng.choice([0xC0, 0xC1]).to_bytes(1, "big") + bytes([rng.randrange(256)]),
                      (0xC000 | (offset + len(out))).to_bytes(2, "big"), b"\x41\x08\xab\x00", bytes([rng.choice([0x42, 0x80, 0x7f])])])
    return out + end


# Record data for the types tcpdump prints (A, NS, CNAME, PTR, SOA, MX, TXT, AAAA, SRV, A6, OPT
# with its options, URI, UNSPECA, TSIG) and for types it does not.
def dns_rdata(rng, rtype, offset):
    if rtype == 1:
        return junk(rng, 4)
    if rtype == 28:
        return rng.choice([bytes(15) + b"\x01", junk(rng, 16)])
    if rtype in (2, 5, 12, 39):
        return dns_name(rng, offset)
    if rtype == 6:
        first = dns_name(rng, offset)
        return first + dns_name(rng, offset + len(first)) + junk(rng, 20)
    if rtype == 15:
        return junk(rng, 2) + dns_name(rng, offset + 2)
    if rtype == 16:
        return b"".join(bytes([n]) + junk(rng, n) for n in [rng.randrange(20) for _ in range(rng.randrange(1, 4))])
    if rtype == 33:
        return junk(rng, 6) + dns_name(rng, offset + 6)
    if rtype == 38:
        bits = rng.choice([0, 64, 128, 129, rng.randrange(256)])
        return bytes([bits]) + junk(rng, 16 - min(bits, 128) // 8) + dns_name(rng, offset)
    if rtype == 41:
        options = b""
        for _ in range(rng.randrange(4)):
            code = rng.choice([3, 8, 9, 10, 11, 12, 13, 5, 6, 7, 14, 15, rng.randrange(65536)])
            data = junk(rng, rng.choice([0, 2, 4, 8, 16, rng.randrange(40)]))
            options += struct.pack(">HH", code, len(data)) + data
        return options
    if rtype == 256:
        return junk(rng, 4) + b"https://example.test/" + junk(rng, rng.randrange(4))
    return junk(rng, rng.randrange(20))


def dns_start(rng):
    """A DNS message that makes sense for a while: header (counts right, or not), questions, then
    records of many types whose lengths are right or not, sometimes cut short."""
    qd, an, ns, ar = (rng.choice([0, 1, 1, 1, 2]), rng.choice([0, 1, 2, 3]), rng.choice([0, 0, 1]), rng.choice([0, 0, 1, 2]))
    body = b""
    for _ in range(qd):
        body += dns_name(rng, 12 + len(body))
        body += struct.pack(">HH", rng.choice([1, 28, 12, 33, 16, 255, rng.randrange(65536)]),
                            rng.choice([1, 1, 0x8001, 3, 254, 255, rng.randrange(65536)]))
    for _ in range(an + ns + ar):
        body += dns_name(rng, 12 + len(body))
        rtype = rng.choice([1, 2, 5, 6, 12, 15, 16, 28, 33, 38, 39, 41, 103, 250, 256, 13, rng.randrange(65536)])
        rdata = dns_rdata(rng, rtype, 12 + len(body) + 10)
        rdlength = len(rdata) if rng.randrange(5) else rng.randrange(64)
        body += struct.pack(">HHIH", rtype, rng.choice([1, 1, 0x8001, 3, 4, 1232, rng.randrange(65536)]),
                            rng.getrandbits(32), rdlength) + rdata
    counts = [qd, an, ns, ar] if rng.randrange(4) else [rng.choice([0, 1, 2, 3, rng.randrange(65536)]) for _ in range(4)]
    header = struct.pack(">6H", rng.randrange(65536), rng.randrange(65536), *counts)
    message = header + body
    return message[:rng.randrange(len(message) + 1)] if rng.randrange(4) == 0 else message


def tls_start(rng):
    """A TLS record header, often a handshake header or the start of a ClientHello behind it."""
    body = b""
    kind = rng.choice([20, 21, 22, 22, 23, rng.randrange(256)])
    if kind == 22:
        hs = rng.choice([1, 1, 2, 11, 16, rng.randrange(256)])
        body = bytes([hs]) + rng.randrange(1 << 24).to_bytes(3, "big")
        if hs in (1, 2) and rng.randrange(2):
            body += b"\x03\x03" + junk(rng, 32) + bytes([rng.choice([0, 32, rng.randrange(256)])])
    version = rng.choice([0x0301, 0x0303, 0x0303, 0x0304, rng.randrange(65536)])
    return struct.pack(">BHH", kind, version, rng.choice([len(body), rng.randrange(65536)])) + body


def quic_start(rng):
    """A QUIC long header: first byte, version, connection IDs (lengths sometimes absurd)."""
    first = 0xC0 | rng.randrange(64)
    version = rng.choice([1, 1, 0, 0x6B3343CF, 0xFF00001D, rng.getrandbits(32)])
    out = struct.pack(">BI", first, version)
    for _ in range(2):
        n = rng.choice([0, 8, 20, rng.randrange(256)])
        out += bytes([n]) + junk(rng, min(n, 20))
    return out


def bootp_start(rng):
    """A BOOTP header (op, htype, hlen, ...), its magic cookie and options sometimes."""
    op = rng.choice([1, 2, rng.randrange(256)])
    hlen = rng.choice([6, 6, rng.randrange(256)])
    out = bytes([op, rng.choice([1, 1, 6]), hlen, rng.randrange(4)]) + junk(rng, 232)
    if rng.randrange(2):
        out += b"\x63\x82\x53\x63"
        for _ in range(rng.randrange(6)):
            code = rng.choice([53, 50, 54, 51, 55, 12, 3, 6, 0, 255, rng.randrange(256)])
            n = rng.randrange(10)
            out += bytes([code, n]) + junk(rng, n)
    return out


# Bytes that start like each port's protocol.
def starts(rng, proto, port):
    if port in (53, 5353, 5355):
        msg = dns_start(rng)
        if proto == 6:
            # DNS over TCP: the garbage goes behind the length prefix, which is right, a little
            # off, or anything.
            msg += junk(rng, length(rng, 1000)) if rng.randrange(2) else b""
            msg = struct.pack(">H", rng.choice([len(msg), len(msg), len(msg) + 5, rng.randrange(65536)])) + msg
        return msg
    if port == 443:
        return tls_start(rng) if proto == 6 else quic_start(rng)
    if port == 123:
        # Version 0 to 7, every mode; the rest is short or a whole packet.
        return bytes([rng.randrange(256)]) + junk(rng, rng.choice([0, 3, 11, 47, 47, 59, 67, rng.randrange(120)]))
    if port in (67, 68):
        return bootp_start(rng)
    if port == 22:
        return rng.choice([b"SSH-2.0-OpenSSH_9.2\r\n", b"SSH-2.0-", b"SSH-1.99-x\n", b"SSH-", b"SSH"])
    text = {
        80: [b"GET /", b"GET /index.html HTTP/1.1\r\n", b"HTTP/1.1 200 OK\r\n", b"POST / HTTP/1.0\r", b"HTTP/1.1 2",
             b"get / HTTP/1.1\n", b"PROPFIND /x HTTP/1.1\r\n", b"XYZ 404 Not Found\r\n"],
        554: [b"OPTIONS rtsp://x/ RTSP/1.0\r\n", b"RTSP/1.0 200 OK\r\n", b"DESCRIBE ", b"PLAY\r\n"],
        25: [b"220 mail.example ESMTP\r\n", b"EHLO ", b"MAIL FROM:<a@b>\r\n", b"250-"],
        21: [b"USER anonymous\r\n", b"230 ", b"PASV\r\n", b"227 Entering Passive Mode (1,2,3,4,5,6)\r\n"],
        43: [b"example.com\r\n", b"% whois", b"\r\n"],
    }
    return rng.choice(text[{8080: 80, 8554: 554}.get(port, port)])


def packet(rng):
    proto = rng.choice([6, 17])
    port = rng.choice(TCP_PORTS if proto == 6 else UDP_PORTS)
    if rng.randrange(10) == 0:
        other = PARTNER.get(port, port)
    else:
        other = rng.randrange(*EPHEMERAL)
    sport, dport = (port, other) if rng.randrange(2) else (other, port)
    if rng.randrange(2):
        payload = junk(rng, length(rng))
    else:
        payload = starts(rng, proto, port)
        if not (proto == 6 and port in (53, 5353, 5355)) and rng.randrange(4):
            payload += junk(rng, length(rng, max(0, 1400 - len(payload))))
    payload = payload[:1400]
    if proto == 6:
        segment = struct.pack(">HHIIBBHHH", sport, dport, rng.getrandbits(32), rng.getrandbits(32), 5 << 4,
                              rng.randrange(256), rng.randrange(65536), 0, rng.randrange(65536)) + payload
        return ip_packet(rng, rng.randrange(3) == 0, 6, segment, 16)
    segment = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ip_packet(rng, rng.randrange(3) == 0, 17, segment, 6)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))
        usec = 0
        for _ in range(args.count):
            p = packet(rng)
            usec += rng.randrange(1, 5000)
            f.write(struct.pack("<IIII", 1700000000 + usec // 1000000, usec % 1000000, len(p), len(p)))
            f.write(p)


if __name__ == "__main__":
    main()
