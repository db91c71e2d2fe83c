#!/usr/bin/python3
"""Writes the capture that tunscope's output is cross-checked on (against tcpdump -nn -S and
tshark -T json): a deterministic mix of every packet kind tunscope decodes, with varied field
values, bad checksums and malformed packets.

Usage: make_capture.py OUT.pcap [--linktype raw|ethernet|sll|sll2]

sll and sll2 carry the Ethernet mix in Linux cooked headers (what `tcpdump -i any` captures), as
the kernel would fill them in: the sender's MAC, In for packets to this host and Out for its own,
broadcast and multicast where the destination says so, and the interface each host is behind;
then packets only a cooked capture has (a tun's empty address, loopback, a GRE tunnel, Linux's
own protocol numbers, Novell raw 802.3, interfaces this machine does not have).
"""
import argparse
import random

from scapy.all import (ARP, NTP, BOOTP, DHCP, Dot3, LLC, CookedLinux, CookedLinuxV2, SNAP, STP, DNS, DNSQR, DNSRR, DNSRROPT, ICMP, IP, IPOption_NOP, IPOption_RR, TCP, UDP, Dot1Q,
                       IPOption_LSRR, IPOption_SSRR, IPOption_Timestamp, IPOption_Router_Alert,
                       Ether, Raw, PcapWriter, IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                       IPv6ExtHdrFragment, IPv6ExtHdrDestOpt, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6DestUnreach, ICMPv6PacketTooBig, ICMPv6TimeExceeded, ICMPv6ND_RS,
                       ICMPv6ND_RA, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptPrefixInfo, ICMPv6NDOptMTU, ICMPv6ND_Redirect, ICMPv6MLQuery, ICMPv6MLQuery2,
                       ICMPv6MLReport, ICMPv6MLReport2, ICMPv6MLDone, ICMPv6MLDMultAddrRec, RouterAlert)

REFERENCE_SYN = bytes.fromhex(
    "4500002c00010000400600c4c0000202"
    "22c29543780c0050f470988b00000000"
    "6002ffff18c60000020405b4")

rng = random.Random(2026)
HOSTS = ["192.0.2.2", "192.0.2.1", "198.51.100.80", "203.0.113.7", "10.1.2.3", "172.16.5.4"]
HOSTS6 = ["2001:db8::1", "2001:db8::2", "fe80::1:2:3:4", "2001:db8:0:0:1:0:0:1", "ff02::1", "2001:db8:1:2:3:4:5:6"]


def host():
    return rng.choice(HOSTS)


def port():
    return rng.randrange(40000, 60000)


# TCP: flag combinations, every option, payloads (HTTP on port 80 and plain data elsewhere).
def tcp_packets():
    out = [IP(REFERENCE_SYN)]
    flags = ["S", "SA", "A", "PA", "FA", "R", "RA", "FPU", "SEC", "UA", "F", "SAE"]
    options = [
        [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)],
        [("NOP", None), ("NOP", None), ("Timestamp", (987654321, 123456789))],
        [("MSS", 536)],
        [("NOP", None), ("NOP", None), ("SAck", (1000, 2000))],
        [("NOP", None), ("NOP", None), ("SAck", (1000, 2000, 3000, 4000, 5000, 6000))],
        [("WScale", 14), ("NOP", None), ("EOL", None)],
        [(254, b"\x12\x34\x56"), ("NOP", None)],
        [],
    ]
    for i in range(150):
        f = flags[i % len(flags)]
        payload = b"" if "S" in f or "R" in f else bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 7, 100])))
        out.append(IP(src=host(), dst=host(), ttl=rng.choice([1, 63, 64, 128, 255]), id=rng.randrange(65536),
                      flags=rng.choice(["", "DF"]), tos=rng.choice([0, 0x10, 0xb8]))
                   / TCP(sport=port(), dport=rng.choice([443, 22222, 8443]), flags=f, seq=rng.randrange(2**32),
                         ack=rng.randrange(2**32) if "A" in f else 0, window=rng.randrange(65536),
                         urgptr=rng.randrange(1, 100) if "U" in f else 0, options=options[i % len(options)])
                   / Raw(payload))
    http_get = b"GET /index.html HTTP/1.1\r\nHost: example.test\r\nUser-Agent: tunscope\r\n\r\n"
    http_ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
    out.append(IP(src="192.0.2.2", dst="198.51.100.80") / TCP(sport=40001, dport=80, flags="PA", seq=1, ack=2) / http_get)
    out.append(IP(src="198.51.100.80", dst="192.0.2.2") / TCP(sport=80, dport=40001, flags="PA", seq=2, ack=77) / http_ok)
    return out


# UDP on ports tcpdump prints plainly.
def udp_packets():
    return [IP(src=host(), dst=host()) / UDP(sport=port(), dport=port()) / Raw(bytes(rng.randrange(256) for _ in range(n)))
            for n in [0, 1, 5, 18, 100, 512, 1400] * 8]


# ICMPv4: echo, every unreachable code quoting TCP and UDP, time exceeded, redirect, timestamp.
def icmp_packets():
    out = []
    for i in range(40):
        data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 8, 56, 33])))
        out.append(IP(src=host(), dst=host()) / ICMP(type=rng.choice([0, 8]), id=rng.randrange(65536), seq=i) / data)
    quoted_tcp = IP(src="192.0.2.2", dst="198.51.100.80") / TCP(sport=40000, dport=80, flags="S", seq=1)
    quoted_udp = IP(src="192.0.2.2", dst="198.51.100.80") / UDP(sport=40000, dport=53)
    for code in range(0, 16):
        inner = quoted_tcp if code % 2 else quoted_udp
        out.append(IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(type=3, code=code, nexthopmtu=1400 if code == 4 else 0)
                   / bytes(inner)[:28])
    for code in (0, 1):
        out.append(IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(type=11, code=code) / bytes(quoted_udp)[:28])
    out.append(IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(type=5, code=1, gw="192.0.2.9") / bytes(quoted_tcp)[:28])
    out.append(IP(src="192.0.2.2", dst="192.0.2.1") / ICMP(type=13, id=1, seq=2, ts_ori=1000, ts_rx=0, ts_tx=0))
    return out


# IPv4 options and fragments.
def ipv4_packets():
    payload = UDP(sport=40000, dport=40001) / Raw(b"x" * 64)
    out = [IP(src=host(), dst=host(), options=[IPOption_RR(routers=["192.0.2.1"]), IPOption_NOP()]) / payload,
           IP(src=host(), dst=host(), flags="MF", frag=0, id=77) / payload,
           IP(src=host(), dst=host(), flags="MF", frag=3, id=77, proto=17) / Raw(b"y" * 24),
           IP(src=host(), dst=host(), frag=6, id=77, proto=17) / Raw(b"z" * 16),
           IP(src=host(), dst=host(), proto=99) / Raw(b"unknown protocol")]
    # Source routes (checksums cover the route's last address), time stamps, router alert.
    out += [IP(src="192.0.2.2", dst="198.51.100.1", options=[IPOption_LSRR(routers=["198.51.100.1", "203.0.113.9"])])
            / UDP(sport=40000, dport=9) / b"hello",
            IP(src="192.0.2.2", dst="198.51.100.1", options=[IPOption_SSRR(routers=["198.51.100.1"])])
            / TCP(sport=40000, dport=80, flags="S"),
            IP(src="192.0.2.2", dst="198.51.100.1", options=[IPOption_RR(routers=["10.0.0.1", "0.0.0.0", "0.0.0.0"], pointer=8)])
            / ICMP(),
            IP(src="192.0.2.2", dst="198.51.100.1", options=[IPOption_Timestamp(flg=0, timestamp=123456, pointer=9, length=8)])
            / ICMP(),
            IP(src="192.0.2.2", dst="198.51.100.1", options=[IPOption_Router_Alert()]) / ICMP()]
    return out


# Bad checksums on otherwise sound packets.
def bad_checksum_packets():
    out = []
    for i in range(6):
        out.append(IP(src=host(), dst=host(), chksum=0x1234 + i) / TCP(sport=port(), dport=443, flags="S"))
        out.append(IP(src=host(), dst=host()) / TCP(sport=port(), dport=443, flags="A", chksum=0xbeef - i))
        out.append(IP(src=host(), dst=host()) / UDP(sport=port(), dport=port(), chksum=0x4321 + i) / b"data")
        out.append(IP(src=host(), dst=host()) / ICMP(type=8, id=i, seq=i, chksum=0x1111 * (i + 1)) / b"ping")
    return out


# Malformed and truncated packets: every one must still get its line.
def malformed_packets():
    good = bytes(IP(src="192.0.2.2", dst="192.0.2.1") / TCP(sport=40000, dport=443, flags="S",
                                                         options=[("MSS", 1460), ("WScale", 7)]))
    udp = bytes(IP(src="192.0.2.2", dst="192.0.2.1") / UDP(sport=40000, dport=40001) / b"hello")
    out = []
    for cut in (10, 20, 24, 32, 38):
        out.append(good[:cut])                                      # cut short (IP total length says more)
    bad_hl = bytearray(good); bad_hl[0] = 0x43; out.append(bytes(bad_hl))           # IHL < 5
    bad_off = bytearray(good); bad_off[32] = 0xf0; out.append(bytes(bad_off))       # TCP offset past the end
    small_off = bytearray(good); small_off[32] = 0x30; out.append(bytes(small_off))  # TCP offset < 5
    zero_opt = bytearray(good); zero_opt[41] = 0; out.append(bytes(zero_opt))        # option length 0
    long_opt = bytearray(good); long_opt[41] = 40; out.append(bytes(long_opt))       # option past the header
    big_udp = bytearray(udp); big_udp[24:26] = (200).to_bytes(2, "big"); out.append(bytes(big_udp))
    small_udp = bytearray(udp); small_udp[24:26] = (4).to_bytes(2, "big"); out.append(bytes(small_udp))
    out.append(bytes(IP(src="192.0.2.1", dst="192.0.2.2") / ICMP(type=3, code=3))[:24])  # truncated ICMP
    short_len = bytearray(udp); short_len[2:4] = (10).to_bytes(2, "big"); out.append(bytes(short_len))
    version5 = bytearray(udp); version5[0] = 0x55; out.append(bytes(version5))  # neither IPv4 nor IPv6
    return [Raw(p) for p in out]


# IPv6: plain TCP/UDP, extension headers (hop-by-hop, destination options, fragments, routing),
# ICMPv6 echo, errors quoting a packet, and neighbour and router discovery; malformed ones.
def ipv6_packets():
    a, b = "2001:db8::1", "2001:db8::2"
    out = []
    for i in range(4):
        out.append(IPv6(src=rng.choice(HOSTS6), dst=rng.choice(HOSTS6), hlim=rng.choice([1, 64, 255]))
                   / TCP(sport=port(), dport=443, flags=rng.choice(["S", "SA", "PA"]), seq=rng.randrange(2**32),
                         options=[("MSS", 1440), ("NOP", None), ("WScale", 7)]) / Raw(b"v6" * i))
        out.append(IPv6(src=rng.choice(HOSTS6), dst=rng.choice(HOSTS6), tc=rng.choice([0, 0xb8]), fl=rng.randrange(2**20))
                   / UDP(sport=port(), dport=port()) / Raw(b"u" * (i * 7)))
        out.append(IPv6(src=a, dst=b) / ICMPv6EchoRequest(id=i, seq=i + 1, data=b"x" * (i * 9)))
        out.append(IPv6(src=b, dst=a) / ICMPv6EchoReply(id=i, seq=i + 1, data=b"x" * (i * 9)))
    quoted_udp = IPv6(src=a, dst=b) / UDP(sport=40000, dport=53)
    quoted_tcp = IPv6(src=a, dst=b) / TCP(sport=40000, dport=80)
    for code in range(5):
        out.append(IPv6(src=b, dst=a) / ICMPv6DestUnreach(code=code) / (quoted_udp if code % 2 == 0 else quoted_tcp))
    out.append(IPv6(src=b, dst=a) / ICMPv6PacketTooBig(mtu=1280) / quoted_udp)
    out.append(IPv6(src=b, dst=a) / ICMPv6TimeExceeded(code=0) / quoted_udp)
    out.append(IPv6(src=b, dst=a) / ICMPv6TimeExceeded(code=1) / quoted_udp)
    out.append(IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=b) / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01"))
    out.append(IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt=a))  # duplicate address detection
    for r, sol, o in [(0, 1, 1), (1, 0, 0), (1, 1, 1)]:
        out.append(IPv6(src="fe80::2", dst="fe80::1", hlim=255) / ICMPv6ND_NA(tgt=b, R=r, S=sol, O=o)
                   / ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:02"))
    out.append(IPv6(src="fe80::1", dst="ff02::2", hlim=255) / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01"))
    out.append(IPv6(src="fe80::2", dst="ff02::1", hlim=255) / ICMPv6ND_RA()
               / ICMPv6NDOptPrefixInfo(prefix="2001:db8::", prefixlen=64) / ICMPv6NDOptMTU(mtu=1400))
    out.append(IPv6(src="fe80::1", dst="fe80::2", hlim=255) / ICMPv6ND_Redirect(tgt="fe80::2", dst="2001:db8::5"))
    # Multicast listener discovery, v1 and v2, as hosts send it (hop limit 1, router alert).
    mld = IPv6(src="fe80::1", dst="ff02::16", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert()])
    out += [mld / ICMPv6MLQuery(), mld / ICMPv6MLReport(mladdr="ff02::1:3"), mld / ICMPv6MLDone(mladdr="ff02::1:3"),
            mld / ICMPv6MLQuery2(mladdr="ff02::1:3", sources=["2001:db8::1", "2001:db8::2"]), mld / ICMPv6MLReport2(),
            mld / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst="ff02::1:ff00:1")])]
    out.append(IPv6(src=a, dst=b) / IPv6ExtHdrHopByHop() / UDP(sport=40000, dport=40001) / b"hello")
    out.append(IPv6(src=a, dst=b) / IPv6ExtHdrDestOpt() / TCP(sport=40000, dport=443, flags="S"))
    out.append(IPv6(src=a, dst=b) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / ICMPv6EchoRequest(id=9, seq=9))
    out.append(IPv6(src=a, dst=b) / IPv6ExtHdrFragment(id=5, offset=0, m=1) / UDP(sport=40000, dport=40001) / b"hello")
    out.append(IPv6(src=a, dst=b) / IPv6ExtHdrFragment(id=5, offset=100, m=0, nh=17) / b"hello")
    out.append(IPv6(src=a, dst=b) / IPv6ExtHdrRouting(addresses=["2001:db8::9", "2001:db8::a"]) / UDP(sport=40000, dport=40001) / b"hi")
    out.append(IPv6(src="::ffff:192.0.2.1", dst="2001:db8:0:0:1:0:0:1", nh=99) / b"abc")
    whole = bytes(IPv6(src=a, dst=b) / UDP(sport=40000, dport=40001) / b"hello")
    out += [Raw(whole[:n]) for n in (20, 40, 44, 50)]                           # cut short
    long_plen = bytearray(whole); long_plen[4:6] = (300).to_bytes(2, "big"); out.append(Raw(bytes(long_plen)))
    past_end = bytearray(bytes(IPv6(src=a, dst=b) / IPv6ExtHdrHopByHop() / UDP(sport=1, dport=2)))
    past_end[41] = 30; out.append(Raw(bytes(past_end)))                       # extension header past the end
    # Payload Length 0 and no Jumbo Payload option: the payload is empty, whatever follows.
    out += [IPv6(src=a, dst=b, plen=0) / TCP(sport=20, dport=80, flags="S"), IPv6(src=a, dst=b, plen=0) / UDP(sport=20, dport=80),
            IPv6(src=a, dst=b, plen=0) / ICMPv6EchoRequest(id=1, seq=1), IPv6(src=a, dst=b, plen=0, nh=59),
            IPv6(src=a, dst=b, plen=0) / IPv6ExtHdrHopByHop() / UDP(sport=1, dport=2) / b"hello"]
    return out


# DNS over UDP port 53, both ways and over IPv6: queries of many types, answers with A, AAAA, CNAME
# chains and MX, NXDOMAIN, authority and additional sections, EDNS, and damaged messages.
def dns_packets():
    c, s = "192.0.2.2", "198.51.100.53"
    out = []
    for i, (name, qtype) in enumerate([("example.test", "A"), ("example.test", "AAAA"), ("www.example.test", "CNAME"),
                                       ("example.test", "MX"), ("example.test", "TXT"), ("example.test", "ANY"),
                                       ("a.b.c.example.test", "A"), ("example.test", "NS")]):
        out.append(IP(src=c, dst=s) / UDP(sport=40000 + i, dport=53) / DNS(id=0x1000 + i, rd=i % 2, qd=DNSQR(qname=name, qtype=qtype)))
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40000) / DNS(id=0x1000, qr=1, aa=1, rd=1, ra=1, qd=DNSQR(qname="example.test"),
                                                                  an=DNSRR(rrname="example.test", rdata="198.51.100.80")))
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40001) / DNS(
        id=0x1001, qr=1, rd=1, ra=0, qd=DNSQR(qname="example.test", qtype="AAAA"),
        an=DNSRR(rrname="example.test", type="AAAA", rdata="2001:db8::80") / DNSRR(rrname="example.test", type="AAAA", rdata="2001:db8::81")))
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40002) / DNS(
        id=0x1002, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.test"),
        an=DNSRR(rrname="www.example.test", type="CNAME", rdata="example.test") / DNSRR(rrname="example.test", rdata="198.51.100.80")))
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40003) / DNS(id=0x1003, qr=1, rd=1, ra=1, rcode=3, qd=DNSQR(qname="nope.example.test")))
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40004) / DNS(
        id=0x1004, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.test", qtype="MX"),
        an=DNSRR(rrname="example.test", type="MX", rdata=b"\x00\x0a\x04mail\xc0\x0c"),
        ns=DNSRR(rrname="example.test", type="NS", rdata="ns1.example.test"), ar=DNSRR(rrname="ns1.example.test", rdata="198.51.100.1")))
    out.append(IP(src=c, dst=s) / UDP(sport=40009, dport=53) / DNS(id=7, rd=1, qd=DNSQR(qname="example.test"), ar=DNSRROPT(rclass=4096)))
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40005) / DNS(
        id=0x1005, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.test", qtype="TXT"),
        an=DNSRR(rrname="example.test", type="TXT", rdata=["hello", "world"])))
    out.append(IPv6(src="2001:db8::1", dst="2001:db8::53") / UDP(sport=40010, dport=53) / DNS(id=8, rd=1, qd=DNSQR(qname="example.test", qtype="AAAA")))
    good = bytes(out[10])
    out += [Raw(good[:n]) for n in (30, 40, 50, 60, 70, 80)]                  # cut mid-message
    loop = bytes.fromhex("1234818000010001000000000c3f") + bytes.fromhex("00010001c00c000100010000000a000401020304")
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40002) / Raw(loop))     # a label type that does not exist
    pointer_loop = bytes.fromhex("123481800001000100000000c00c00010001")  # the question's name points at itself
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40002) / Raw(pointer_loop))
    out.append(IP(src=s, dst=c) / UDP(sport=53, dport=40002) / Raw(b"\x12\x34\x81"))  # shorter than a header
    return out


# NTP on port 123: client, server, symmetric and broadcast time packets (over IPv6 too), a key ID
# and digest, control messages (mode 6), and packets shorter than their header.
def ntp_packets():
    c, s = "192.0.2.2", "198.51.100.123"
    out = [IP(src=c, dst=s) / UDP(sport=40123, dport=123) / NTP(version=4, mode=3, poll=6, precision=-20, sent=3900000000.25),
           IP(src=s, dst=c) / UDP(sport=123, dport=40123) / NTP(version=4, mode=4, stratum=2, poll=6, precision=-23, delay=0.0123,
                                                                dispersion=0.0456, id="192.0.2.9", ref=3900000000.5,
                                                                orig=3900000000.25, recv=3900000001.5, sent=3900000001.75),
           IP(src=s, dst=c) / UDP(sport=123, dport=40124) / NTP(version=4, mode=4, stratum=1, id="127.0.0.1", leap=3, poll=10,
                                                                ref=1000.5, orig=2**31 + 7, sent=4000000000.999),
           IP(src=c, dst=s) / UDP(sport=123, dport=123) / NTP(version=3, mode=1, stratum=3, poll=0, precision=5),
           IP(src=s, dst=c) / UDP(sport=123, dport=123) / NTP(version=4, mode=2, stratum=16, poll=17, delay=-1.5),
           IP(src=s, dst="192.0.2.255") / UDP(sport=123, dport=123) / NTP(version=4, mode=5, stratum=200, poll=4),
           IPv6(src="2001:db8::1", dst="2001:db8::123") / UDP(sport=40125, dport=123) / NTP(version=4, mode=3)]
    out.append(IP(src=c, dst=s) / UDP(sport=40126, dport=123) / (bytes(NTP(version=4, mode=3)) + bytes(range(20))))
    for payload in [bytes.fromhex("e1000000000000000000abcd"),                    # symmetric active, 12 bytes
                    bytes.fromhex("23"), bytes.fromhex("0b00"), bytes.fromhex("2400060000"),
                    bytes.fromhex("1602000100000000000000000000"),              # control: read variables
                    bytes.fromhex("d6820001000000000000000c") + b"version=1\r\n.",  # its response, with data
                    bytes.fromhex("1ec10002000000000000"),                      # control, cut short
                    bytes.fromhex("16c2000305000001000c0000"),                  # control: an error response
                    bytes(NTP(version=2, mode=3))[:47]]:
        out.append(IP(src=c, dst=s) / UDP(sport=40127, dport=123) / Raw(payload))
    return out


# BOOTP and DHCP on ports 67 and 68: discover, offer, request, ACK, NAK and release with common
# options, pads, a plain BOOTP reply, other hardware types, odd lengths and options cut short.
def dhcp_packets():
    mac = bytes.fromhex("020000000001")
    client = IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
    server = IP(src="192.0.2.1", dst="192.0.2.50") / UDP(sport=67, dport=68)
    out = [client / BOOTP(chaddr=mac, xid=0x12345678) / DHCP(options=[("message-type", "discover"), ("param_req_list", [1, 3, 6, 15, 119, 252, 42]),
                                                                       ("hostname", "host1"), ("max_dhcp_size", 1500), ("vendor_class_id", "tunscope"), "end"]),
           server / BOOTP(op=2, xid=0x12345678, yiaddr="192.0.2.50", siaddr="192.0.2.1", chaddr=mac)
           / DHCP(options=[("message-type", "offer"), ("server_id", "192.0.2.1"), ("lease_time", 3600), ("renewal_time", 1800),
                           ("rebinding_time", 93784), ("subnet_mask", "255.255.255.0"), ("router", "192.0.2.1"),
                           ("name_server", "192.0.2.53", "192.0.2.54"), ("domain", "example.test"), ("broadcast_address", "192.0.2.255"),
                           "end", "pad", "pad", "pad"]),
           client / BOOTP(chaddr=mac, xid=0x12345678, flags=0x8000, secs=3)
           / DHCP(options=[("message-type", "request"), "pad", ("requested_addr", "192.0.2.50"), ("server_id", "192.0.2.1"), "end"]),
           server / BOOTP(op=2, xid=0x12345678, yiaddr="192.0.2.50", chaddr=mac, hops=1, giaddr="192.0.2.254")
           / DHCP(options=[("message-type", "ack"), ("lease_time", 0xffffffff), ("server_id", "192.0.2.1"), "end"]),
           server / BOOTP(op=2, xid=7, chaddr=mac) / DHCP(options=[("message-type", "nak"), ("server_id", "192.0.2.1"), "end"]),
           IP(src="192.0.2.50", dst="192.0.2.1") / UDP(sport=68, dport=67) / BOOTP(chaddr=mac, ciaddr="192.0.2.50")
           / DHCP(options=[("message-type", "release"), ("server_id", "192.0.2.1"), (200, b"abc"), "end"]),
           server / BOOTP(op=2, yiaddr="192.0.2.51", sname=b"boot.example.test", file=b"pxelinux.0", chaddr=mac, options=b"")
           / Raw(bytes(64)),                                                                  # plain BOOTP, no cookie
           client / BOOTP(htype=6, chaddr=mac) / DHCP(options=[("message-type", "inform"), "end"]),
           client / BOOTP(htype=32, hlen=20, chaddr=bytes(range(16))) / DHCP(options=[("message-type", "discover"), "end"]),
           client / BOOTP(op=3, chaddr=mac) / DHCP(options=["end"])]
    good = bytes(out[0])
    for n in (1, 2, 3, 20, 33, 34, 200, 236, 239, 240, 242, 250, len(good) - 29):
        out.append(client / Raw(good[28:28 + n]))                                    # messages of odd lengths
    out += [Raw(good[:n]) for n in (29, 31, 61, 62, 270)]                            # cut short (IP says more)
    long_option = bytearray(good); long_option[243] = 200                              # an option past the end
    out.append(client / Raw(bytes(long_option[28:])))
    return out


# TLS on TCP 443 (a ClientHello with SNI and ALPN, a ServerHello with CCS and application data
# in one segment, alerts, records cut by the segment, a continuation, a handshake fragment, odd
# lengths), HTTP on 80 and 8080, and QUIC on UDP 443 (Initial, Handshake, Version Negotiation,
# short header, cut short). Each TCP packet is its own connection (its own ports), so tshark's
# stream analysis never takes one for a retransmission. Built by hand, without the rng.
def tls_http_quic_packets():
    def ext(t, body): return t.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body
    def vec8(b): return bytes([len(b)]) + b
    def vec16(b): return len(b).to_bytes(2, "big") + b
    def handshake(t, body): return bytes([t]) + len(body).to_bytes(3, "big") + body
    def record(t, body, version=0x0303): return bytes([t]) + version.to_bytes(2, "big") + vec16(body)
    exts = (ext(0, vec16(b"\x00" + vec16(b"www.example.test"))) + ext(16, vec16(vec8(b"h2") + vec8(b"http/1.1")))
            + ext(43, vec8(b"\x03\x04\x03\x03")) + ext(10, vec16(b"\x00\x1d\x00\x17")) + ext(23, b""))
    hello = (b"\x03\x03" + bytes(range(32)) + vec8(bytes(range(32, 64))) + vec16(bytes.fromhex("13011302c02fc030009c"))
             + vec8(b"\x00") + vec16(exts))
    client_hello = record(22, handshake(1, hello), 0x0301)
    server = (b"\x03\x03" + bytes(range(100, 132)) + vec8(b"") + b"\x13\x01\x00"
              + vec16(ext(43, b"\x03\x04") + ext(51, b"\x00\x1d" + vec16(bytes(32)))))
    server_hello = record(22, handshake(2, server)) + record(20, b"\x01") + record(23, bytes(range(40)))
    payloads = [
        client_hello, server_hello, record(21, b"\x02\x28"), record(21, b"\x01\x00") + record(23, b"abc"),
        record(23, bytes(range(17))) + record(22, handshake(14, b"")), record(21, bytes(26)),  # encrypted alert
        client_hello[:60], client_hello[60:], client_hello[:4], b"\x16\x03\x01\x00", record(22, b"\x01\x00\x00\x10\x03\x03"),
        record(21, b"\x02\x28") + b"\x17\x03", record(22, b"\x0b\x00"), record(20, b"\x01", 0x0300), b"not TLS at all",
        record(22, handshake(1, hello[:50])), record(22, handshake(1, b"\x03\x03" + bytes(32) + b"\x20" + bytes(4))),
    ]
    out = []
    client, server_ip = "192.0.2.2", "198.51.100.80"
    for k, p in enumerate(payloads):
        sport = 41000 + k
        if k % 3 == 1:
            out.append(IP(src=server_ip, dst=client) / TCP(sport=443, dport=sport, flags="PA", seq=1000 + k, ack=1) / p)
        else:
            out.append(IP(src=client, dst=server_ip) / TCP(sport=sport, dport=443, flags="PA", seq=1000 + k, ack=1) / p)
    out.append(IPv6(src="2001:db8::2", dst="2001:db8::1") / TCP(sport=41100, dport=443, flags="PA", seq=5, ack=1) / client_hello)
    http = [
        (80, b"GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n"
             b"Accept-Encoding: gzip\r\nConnection: keep-alive\r\nX-Other: 1\r\n\r\n"),
        (80, b"POST /form HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: 3\r\n\r\na=1"),
        (80, b"HTTP/1.1 404 Not Found\r\nServer: tunscope-test\r\nContent-Length: 0\r\nDate: Sun, 06 Dec 2026 10:00:00 GMT\r\n\r\n"),
        (80, b"HTTP/1.0 301 Moved Permanently\r\nLocation: http://example.test/\r\nContent-Length: 0\r\n\r\n"),
        (8080, b"GET / HTTP/1.0\r\nHost: a\r\n\r\n"),
        (80, b"GET /only-a-line HTTP/1.1\r\nHost: exa"),  # headers cut short: tshark waits, shows nothing
    ]
    for k, (port, p) in enumerate(http):
        sport = 42000 + k
        if p.startswith(b"HTTP/"):
            out.append(IP(src=server_ip, dst=client) / TCP(sport=port, dport=sport, flags="PA", seq=1, ack=1) / p)
        else:
            out.append(IP(src=client, dst=server_ip) / TCP(sport=sport, dport=port, flags="PA", seq=1, ack=1) / p)
    dcid, scid = bytes(range(8)), bytes(range(10, 15))
    initial = bytes([0xc3]) + b"\x00\x00\x00\x01" + vec8(dcid) + vec8(scid) + b"\x00" + b"\x44\x00" + bytes(range(256)) * 4
    quic = [
        initial,
        bytes([0xc1]) + b"\x00\x00\x00\x01" + vec8(dcid) + vec8(b"") + b"\x05token" + b"\x40\x20" + bytes(32),
        bytes([0xe1]) + b"\x00\x00\x00\x01" + vec8(scid) + vec8(dcid) + b"\x40\x30" + bytes(48),
        bytes([0xd1]) + b"\x00\x00\x00\x01" + vec8(dcid) + vec8(scid) + b"\x10" + bytes(16),
        bytes([0xc0]) + b"\x00\x00\x00\x00" + vec8(dcid) + vec8(scid) + b"\x00\x00\x00\x01\xff\x00\x00\x1d",
        bytes([0x41]) + scid + bytes(30),
        initial[:9], initial[:20], initial[:3],
    ]
    for k, p in enumerate(quic):
        out.append(IP(src=client, dst=server_ip) / UDP(sport=50000 + k, dport=443) / p)
    out.append(IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(sport=50100, dport=443) / initial[:200])
    return out


# DNS as it really comes (issue 14): over TCP with its length prefix (right, wrong, too short),
# mDNS and LLMNR, names with bytes that need escaping, extended and reserved label types, bit
# labels, pointers that loop or go forwards, long pointer chains, names past 255 characters,
# and counts of 65,535 over a few bytes.
def dns_traffic_packets():
    import struct
    s, c = "198.51.100.53", "192.0.2.2"
    out = []

    def hdr(ident, flags, q, a, n, ar):
        return struct.pack(">6H", ident, flags, q, a, n, ar)

    def udp(payload, sport=53, dport=40100, src=s, dst=c):
        out.append(IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload))

    def tcp(payload, sport=40100, dport=53):
        out.append(IP(src=c, dst=s) / TCP(sport=sport, dport=dport, flags="PA", seq=1000, ack=2000) / Raw(payload))

    name = b"\x07example\x04test\x00"
    q = name + b"\x00\x01\x00\x01"
    a = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x10\x00\x04\xc6\x33\x64\x50"
    typ = b"\x00\x01\x00\x01"
    udp(hdr(1, 0x0100, 1, 65535, 65535, 65535) + q)
    udp(hdr(2, 0x8180, 1, 65535, 65535, 65535) + q)
    udp(hdr(3, 0x8180, 65535, 65535, 65535, 65535) + q)
    udp(hdr(4, 0x0100, 65535, 0, 0, 0) + q)
    udp(hdr(5, 0x8180, 2, 1, 0, 0) + q + q + a)
    udp(hdr(6, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + typ)                      # points at itself
    udp(hdr(7, 0x0100, 1, 0, 0, 0) + b"\xc0\x12" + typ + b"\x00")             # points forwards
    udp(hdr(8, 0x0100, 1, 0, 0, 0) + b"\x05a\x01\x9c\xff\x7f\x00" + typ)      # ^A M-^\ M-^? ^?
    udp(hdr(9, 0x0100, 1, 0, 0, 0) + b"\x03a\x80b\x00" + typ)
    udp(hdr(10, 0x0100, 1, 0, 0, 0) + b"\x44abc\x00" + typ)                   # <ELT 4>
    udp(hdr(11, 0x0100, 1, 0, 0, 0) + b"\x41\x0c\xab\xcd\x03foo\x00" + typ)   # a bit label
    udp(hdr(12, 0x0100, 1, 0, 0, 0) + b"".join(bytes([63]) + bytes([x]) * 63 for x in b"abcde") + b"\x00" + typ)
    udp(hdr(13, 0x0100, 1, 0, 0, 0) + b"\x03abc")                              # cut in the name
    chain = b"\x03foo\x00" + b"".join(struct.pack(">H", 0xc000 | (12 if k == 0 else 17 + 2 * (k - 1))) for k in range(60))
    udp(hdr(14, 0x0100, 1, 0, 0, 0) + chain + typ)                             # a chain of 60 pointers
    udp(hdr(15, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x10\x00\x02\xc0\x40")  # CNAME <BAD PTR>
    udp(hdr(16, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x10\x00\x02\x80\x00")  # <BAD LABEL TYPE>
    udp(hdr(17, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x10\x00\x08\x00\x01\x00\x02\x00\x35\xc0\x0c")  # SRV
    udp(hdr(18, 0x8180, 1, 1, 0, 0) + q + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x10\x00\x02\x01\x02\x03\x04")  # A, rdlength 2
    udp(hdr(19, 0x0900, 1, 0, 0, 0) + q)                                        # an inverse query
    udp(hdr(20, 0x8180, 1, 2, 0, 0) + q + b"\xc0\x0c\x00\x63\x00\x01\x00\x00\x00\x10\x00\x00" * 2)
    # mDNS: QU and QM questions, cache-flush answers; LLMNR (tcpdump prints it as plain UDP).
    udp(hdr(0, 0x0000, 2, 0, 0, 0) + name + b"\x00\x0c\x80\x01\xc0\x0c\x00\x10\x00\x01", 5353, 5353, c, "224.0.0.251")
    udp(hdr(0, 0x8400, 0, 2, 0, 0) + name + b"\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\x0a\x00\x00\x01"
        + b"\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x78\x00\x10\xfe\x80" + b"\x00" * 13 + b"\x01", 5353, 5353, c, "224.0.0.251")
    udp(hdr(0, 0x0000, 1, 0, 0, 0) + name + b"\x00\x01\x80\x03", 5353, 5353, c, "224.0.0.251")
    udp(hdr(0x77, 0x0000, 1, 0, 0, 0) + name + typ, 40100, 5355, c, "224.0.0.252")
    udp(hdr(0x77, 0x8000, 1, 1, 0, 0) + q + a, 5355, 40100)
    # DNS over TCP: a whole message, a prefix that disagrees, one byte, a message under 12 bytes.
    m = hdr(30, 0x0100, 1, 0, 0, 0) + q
    tcp(struct.pack(">H", len(m)) + m)
    m2 = hdr(31, 0x8180, 1, 1, 0, 0) + q + a
    tcp(struct.pack(">H", len(m2)) + m2, 53, 40100)
    tcp(struct.pack(">H", 33494) + m)
    tcp(b"\x00")
    tcp(b"\x00\x03abc")
    tcp(struct.pack(">H", len(m)) + m, 80, 53)                                 # HTTP's printer comes first
    return out


# Link-layer packets for Ethernet captures: ARP requests, replies and a gratuitous ARP, VLAN tags.
def ethernet_frames():
    me, peer = "02:00:00:00:00:01", "02:00:00:00:00:02"
    out = []
    for i in range(6):
        target = f"192.0.2.{10 + i}"
        out.append(Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=me, psrc="192.0.2.1", pdst=target))
        out.append(Ether(src=peer, dst=me) / ARP(op=2, hwsrc=peer, psrc=target, hwdst=me, pdst="192.0.2.1"))
    out.append(Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=me, psrc="192.0.2.1", pdst="192.0.2.1"))
    out.append(Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=me, psrc="192.0.2.1", pdst="192.0.2.2") / (b"\0" * 18))
    for op in (1, 2):  # hardware type 6, IEEE 802 (scapy would take the MACs as text for it, so patched in)
        arp = bytearray(bytes(Ether(src=me, dst="ff:ff:ff:ff:ff:ff") / ARP(op=op, hwsrc=me, psrc="192.0.2.1", pdst="192.0.2.2")))
        arp[15] = 6
        out.append(Ether(bytes(arp)))
    for vlan, prio in [(1, 0), (100, 3), (4094, 7)]:
        out.append(Ether(src=me, dst=peer) / Dot1Q(vlan=vlan, prio=prio) / IP(src=host(), dst=host()) / UDP(sport=port(), dport=port()) / b"tagged")
    out.append(Ether(src=me, dst=peer) / Dot1Q(vlan=10) / Dot1Q(vlan=20) / IP(src=host(), dst=host()) / ICMP(type=8) / b"qinq")
    # IEEE 802.3 length frames with LLC: spanning tree, SNAP carrying IPv4 and ARP, a supervisory
    # frame (frames tcpdump prints on one line, without hex of a payload it cannot name).
    out.append(Dot3(src=me, dst="01:80:c2:00:00:00") / LLC() / STP(rootid=32768, rootmac=peer, bridgeid=32769, bridgemac=me, portid=0x8001))
    out.append(Dot3(src=me, dst="01:80:c2:00:00:00") / LLC() / STP(version=2, bpdutype=2, bpduflags=0x3d, bridgeid=4096, bridgemac=me) / b"\0")
    out.append(Dot3(src=me, dst=peer) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0, code=0x0800)
               / IP(src=host(), dst=host()) / UDP(sport=port(), dport=port()) / b"snap")
    out.append(Dot3(src=me, dst=peer) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / SNAP(OUI=0, code=0x0806)
               / ARP(op=1, hwsrc=me, psrc="192.0.2.1", pdst="192.0.2.2"))
    out.append(Dot3(src=me, dst=peer) / Raw(b"\x04\x05\x05\x03"))
    return out


GROUPS = [tcp_packets, udp_packets, icmp_packets, ipv4_packets, ipv6_packets, dns_packets, bad_checksum_packets,
          malformed_packets, ntp_packets, dhcp_packets]
GROUPS.append(tls_http_quic_packets)
GROUPS.append(dns_traffic_packets)


def frame(packet, linktype):
    if linktype == "raw":
        return bytes(packet)
    if isinstance(packet, (Ether, Dot3)):
        return bytes(packet)
    data = bytes(packet)
    ethertype = 0x86DD if data and data[0] >> 4 == 6 else 0x0800
    return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=ethertype) / Raw(data))


# The host the cooked capture was made on: 192.0.2.2 and 2001:db8::2 are its own addresses,
# so their packets go Out; its interfaces by index (1 lo, 2 the uplink, 3 a veth, 4 a tun), and
# the MAC it sends with on each.
OWN = {"192.0.2.2", "2001:db8::2"}
OWN_MAC = "02:00:00:00:00:02"


def interface_for(peer):
    """The interface a peer is behind: the lab's 192.0.2.0/24 on the veth, the rest upstream."""
    return 3 if peer.startswith(("192.0.2.", "2001:db8::", "fe80::", "ff02::")) else 2


def cooked(data, version, pkttype, ifindex, proto, hatype=1, addr=b"", halen=None):
    addr8 = (addr + b"\0" * 8)[:8]
    halen = len(addr) if halen is None else halen
    if version == 1:
        return bytes(CookedLinux(pkttype=pkttype, lladdrtype=hatype, lladdrlen=halen, src=addr8, proto=proto) / Raw(data))
    return bytes(CookedLinuxV2(proto=proto, ifindex=ifindex, lladdrtype=hatype, pkttype=pkttype, lladdrlen=halen,
                               src=addr8) / Raw(data))


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def cooked_frame(packet, version):
    """An Ethernet-mix packet as a cooked capture holds it: the Ethernet header replaced by the
    cooked one, the direction and interface from the addresses."""
    raw = frame(packet, "ethernet")
    dst_mac, src_mac = raw[0:6], raw[6:12]
    proto, data = int.from_bytes(raw[12:14], "big"), raw[14:]
    if proto <= 1500:  # 802.3: the kernel hands the LLC frame over as ETH_P_802_2, without the padding
        data, proto = data[:proto], 0x0004
    src = dst = ""
    try:
        if proto == 0x0800 and len(data) >= 20:
            src, dst = IP(data).src, IP(data).dst
        elif proto == 0x86DD and len(data) >= 40:
            src, dst = IPv6(data).src, IPv6(data).dst
        elif proto == 0x0806:
            src, dst = ARP(data).psrc, ARP(data).pdst
    except Exception:
        pass
    if src in OWN:
        pkttype, addr = 4, mac_bytes(OWN_MAC)
    elif dst_mac == b"\xff" * 6:
        pkttype, addr = 1, src_mac
    elif dst_mac[0] & 1 or dst.startswith("ff02::"):
        pkttype, addr = 2, src_mac
    else:
        pkttype, addr = 0, src_mac
    peer = dst if pkttype == 4 else src
    return cooked(data, version, pkttype, interface_for(peer), proto, addr=addr)


def cooked_only_packets(version):
    """What only cooked captures have: other link types, odd packet types and protocol numbers."""
    out = []
    udp = bytes(IP(src="192.0.2.2", dst="198.51.100.80") / UDP(sport=40100, dport=33434) / b"traceroute probe")
    ping6 = bytes(IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6EchoRequest(id=7, seq=1) / b"ping")
    # A tun (ARPHRD_NONE, no address), both ways, on index 4.
    out.append(cooked(udp, version, 4, 4, 0x0800, hatype=65534))
    out.append(cooked(bytes(IP(src="198.51.100.80", dst="192.0.2.2") / ICMP(type=3, code=3) / udp[:28]), version, 0, 4, 0x0800,
                      hatype=65534))
    out.append(cooked(ping6, version, 4, 4, 0x86DD, hatype=65534))
    # Loopback: both copies of one packet, the sent one and the received one.
    lo = bytes(IP(src="127.0.0.1", dst="127.0.0.1") / TCP(sport=45000, dport=631, flags="S", seq=99) / b"")
    out.append(cooked(lo, version, 4, 1, 0x0800, hatype=772, addr=b"\0" * 6))
    out.append(cooked(lo, version, 0, 1, 0x0800, hatype=772, addr=b"\0" * 6))
    # A GRE tunnel's far end as a 4-byte address; another host's packet seen promiscuously.
    out.append(cooked(udp, version, 0, 5, 0x0800, hatype=778, addr=bytes([203, 0, 113, 7])))
    out.append(cooked(udp, version, 3, 2, 0x0800, addr=mac_bytes("02:00:00:00:00:07")))
    # Interfaces this machine may not have, packet types past Out, long and odd addresses.
    for ifindex, pkttype in [(0, 0), (77, 4), (4294967295, 7), (1000, 5)]:
        out.append(cooked(udp, version, pkttype, ifindex, 0x0800, addr=mac_bytes(OWN_MAC)))
    out.append(cooked(udp, version, 0, 2, 0x0800, hatype=32, addr=bytes(range(8)), halen=20))
    out.append(cooked(udp, version, 0, 2, 0x0800, hatype=24, addr=bytes(range(5))))
    # EtherTypes tcpdump names but does not print, and ones nobody named.
    for proto, payload in [(0x0600, b"xns"), (0x1234, b"\x01\x02\x03\x04\x05"), (0x88B5, bytes(range(33)))]:
        out.append(cooked(payload, version, 0, 2, proto, addr=mac_bytes("02:00:00:00:00:01")))
        out.append(cooked(payload, version, 4, 3, proto, hatype=65534))
    # VLAN tags the kernel did not strip: IPv4, ARP and an unknown type inside, and a cut tag.
    for inner in [bytes(Dot1Q(vlan=42, type=0x0800) / IP(src="10.1.2.3", dst="192.0.2.2") / UDP(sport=53, dport=40002)),
                  bytes(Dot1Q(vlan=7, prio=5, type=0x0806) / ARP(op=1, hwsrc="02:00:00:00:00:01", psrc="192.0.2.1", pdst="192.0.2.2")),
                  bytes(Dot1Q(vlan=9, type=0x1234)) + b"abc"]:
        out.append(cooked(inner, version, 0, 2, 0x8100, addr=mac_bytes("02:00:00:00:00:01")))
    out.append(cooked(b"\x00\x05", version, 0, 2, 0x8100, addr=mac_bytes("02:00:00:00:00:01")))
    # Linux's own protocol numbers: 802.2 (NetBIOS, SNAP, unknown SAPs, an I frame), Novell raw
    # 802.3 (IPX: NCP, diagnostics, another socket, a bad length, cut short), and a number with no printer.
    for llc in [b"\xf0\xf0\x03" + b"netbios", b"\x12\x34\x03zz", b"\x12\x12\x00\x01zz", b"\xaa\xaa\x03\x00\x00\x00\x12\x34zz",
                b"\x42\x42\x03\x00\x00\x00\x80"]:
        out.append(cooked(llc, version, 0, 2, 0x0004, addr=mac_bytes("02:00:00:00:00:01")))
    def ipx(length, socket, data=b""):
        return (bytes.fromhex("ffff") + length.to_bytes(2, "big") + b"\x00\x11" + bytes.fromhex("00000001ffffffffffff")
                + socket.to_bytes(2, "big") + bytes.fromhex("00000002020000000001") + b"\x40\x00" + data)
    for packet in [ipx(34, 0x0451, b"ncp!"), ipx(31, 0x0456, b"d"), ipx(40, 0x9001, bytes(10)), ipx(16, 0x1234), ipx(30, 0x0451)[:25]]:
        out.append(cooked(packet, version, 0, 2, 0x0001, addr=mac_bytes("02:00:00:00:00:01")))
    out.append(cooked(b"\x7e\xff\x03\xc0\x21", version, 0, 2, 0x0005))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--linktype", choices=["raw", "ethernet", "sll", "sll2"], default="raw")
    args = parser.parse_args()
    packets = [p for group in GROUPS for p in group()]
    if args.linktype != "raw":
        packets += ethernet_frames()
    linktype = {"raw": 101, "ethernet": 1, "sll": 113, "sll2": 276}[args.linktype]
    if args.linktype in ("sll", "sll2"):
        version = 1 if args.linktype == "sll" else 2
        packets = [cooked_frame(p, version) for p in packets] + cooked_only_packets(version)
    writer = PcapWriter(args.out, linktype=linktype, sync=False)
    microseconds = 1700000000 * 1000000
    for p in packets:
        microseconds += rng.randrange(1, 2000000)
        record = Raw(p if isinstance(p, bytes) else frame(p, args.linktype))
        record.time = microseconds / 1e6
        writer.write(record)
    writer.close()


if __name__ == "__main__":
    main()
