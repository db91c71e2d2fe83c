# Seeds for the application fuzz targets (dns ntp dhcp tls http quic): each UDP/TCP payload of
# the cross-check capture on the target's ports, with the first byte that places it as
# FuzzTarget.application reads it, and a few malformed inputs made by hand.
# Usage: python3 Tests/CrossCheckTests/make_capture.py /tmp/x.pcap --linktype raw
#        python3 Fuzz/make_seeds.py /tmp/x.pcap Fuzz/Corpus
import os, sys
from scapy.all import rdpcap, IP, IPv6, UDP, TCP
targets = {  # target: [(transport, app port, other port or None)] in placement order
    'dns': [('UDP', 53, None), ('UDP', 5353, None), ('UDP', 5355, None), ('TCP', 53, None)],
    'ntp': [('UDP', 123, None)],
    'dhcp': [('UDP', 67, 68), ('UDP', 68, 67), ('UDP', 67, None), ('UDP', 68, None)],
    'tls': [('TCP', 443, None)],
    'http': [('TCP', 80, None), ('TCP', 8080, None)],
    'quic': [('UDP', 443, None)],
}
out = sys.argv[2]
seen = {t: set() for t in targets}
for p in rdpcap(sys.argv[1]):
    ip = p.getlayer(IP) or p.getlayer(IPv6)
    if ip is None: continue
    if isinstance(ip, IP) and (ip.flags.MF or ip.frag): continue
    t = ip.payload
    if type(t) not in (UDP, TCP): continue
    payload = bytes(t.payload)
    if not payload: continue
    for name, places in targets.items():
        for i, (proto, port, other) in enumerate(places):
            if type(t).__name__ != proto: continue
            if other is not None and {t.sport, t.dport} != {port, other}: continue
            if t.dport == port: swap = 0
            elif t.sport == port: swap = 0x20
            else: continue
            first = i | swap | (0x80 if isinstance(ip, IPv6) else 0)
            seen[name].add(bytes([first]) + payload)
            break
        else: continue
for name, inputs in seen.items():
    os.makedirs(f'{out}/{name}', exist_ok=True)
    for n, data in enumerate(sorted(inputs)):
        open(f'{out}/{name}/seed-{n:03d}', 'wb').write(data)
    print(name, len(inputs), sum(map(len, inputs)))

# Hand-made malformed inputs, each as its placement byte and payload.
def be16(v): return v.to_bytes(2, 'big')
def dns_header(qd=1, an=0, ns=0, ar=0, flags=0x0100): return be16(0x1234) + be16(flags) + be16(qd) + be16(an) + be16(ns) + be16(ar)
question = b'\x07example\x03com\x00' + be16(1) + be16(1)
dns_query = dns_header() + question
made = {
    'dns': {
        'pointer-loop': b'\x00' + dns_header() + b'\xc0\x0c' + be16(1) + be16(1),
        'pointer-chain': b'\x00' + dns_header(an=1) + question + b''.join(be16(0xc000 | (29 + 2 * k)) for k in range(60)) + be16(1) + be16(1) + b'\0\0\0\x3c' + be16(4) + b'\xc0\x00\x02\x01',
        'counts-65535': b'\x00' + dns_header(0xffff, 0xffff, 0xffff, 0xffff) + question,
        'mdns-counts-65535': b'\x01' + dns_header(0xffff, 0xffff, 0xffff, 0xffff, flags=0x8400) + question,
        'llmnr-bad-label': b'\x22' + dns_header() + b'\x05a\x01\xffb\x7f\x45abc\x00' + be16(1) + be16(1),
        'tcp-prefix-wrong': b'\x03' + be16(33494) + dns_query,
        'tcp-prefix-added': b'\x13' + dns_query,
        'rdlength-past-end': b'\x20' + dns_header(flags=0x8180, an=1) + question + b'\xc0\x0c' + be16(1) + be16(1) + b'\0\0\0\x3c' + be16(65535) + b'\x01\x02',
        'cut-snaplen': b'\x40' + dns_header(an=2, flags=0x8180) + question + (b'\xc0\x0c' + be16(1) + be16(1) + b'\0\0\0\x3c' + be16(4) + b'\x01\x02\x03\x04') * 2,
    },
    'ntp': {
        'control-short': b'\x00' + bytes([0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff]),
        'private-mode7': b'\x20' + bytes([0x17, 0x00, 0x03, 0x2a]) + bytes(4),
        'truncated-time': b'\x00' + bytes([0x23, 2, 6, 0xe9]) + bytes(10),
        'control-count-past-end': b'\x80' + bytes([0x1e, 0x82, 0, 1, 0, 0, 0, 0, 0xff, 0xf0, 0, 0]) + b'version="4.2.8"',
    },
    'dhcp': {
        'truncated-fixed': b'\x00' + bytes([1, 1, 6, 0]) + bytes(96),
        'option-past-end': b'\x00' + bytes([1, 1, 6, 0]) + bytes(232) + bytes([0x63, 0x82, 0x53, 0x63, 53, 1, 1, 12, 200, 0x41]),
        'hlen-255-overload': b'\x01' + bytes([2, 1, 255, 0]) + bytes(232) + bytes([0x63, 0x82, 0x53, 0x63, 53, 0, 52, 1, 3, 55, 255]) + bytes(3),
        'no-cookie-cut': b'\x40' + bytes([1, 1, 6, 0]) + bytes(232) + bytes([0x63, 0x82, 0x53, 0x63]) + bytes([61, 7, 1, 0, 1, 2, 3, 4, 5, 255]),
    },
    'tls': {
        'record-truncated': b'\x00' + bytes([22, 3, 1, 0x40, 0x00, 1, 0, 0x3f]) + bytes(5),
        'handshake-length-max': b'\x00' + bytes([22, 3, 3, 0, 8, 1, 0xff, 0xff, 0xff, 3, 3, 0, 0]),
        'hello-extensions-lying': b'\x00' + bytes([22, 3, 1, 0, 50, 1, 0, 0, 46, 3, 3]) + bytes(32) + bytes([0, 0, 2, 0x13, 0x01, 1, 0, 0xff, 0xff, 0, 0]),
        'sni-list-lying': b'\x00' + bytes([22, 3, 1, 0, 62, 1, 0, 0, 58, 3, 3]) + bytes(32) + bytes([0, 0, 2, 0x13, 0x01, 1, 0, 0, 12, 0, 0, 0, 8, 0xff, 0xf0, 0, 0xff, 0xff, 0x61, 0x62, 0x63]),
        'records-and-garbage': b'\x20' + bytes([21, 3, 3, 0, 2, 2, 40, 20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 3, 1, 2, 3]) + b'garbage',
    },
    'http': {
        'no-crlf': b'\x00' + b'GET /' + b'a' * 200,
        'headers-binary': b'\x00' + b'POST /x HTTP/1.1\r\nHost: \x00\xff\r\n:\r\nContent-Length: 99999999999999999999\r\n\r\n\x01\x02',
        'response-odd-code': b'\x21' + b'HTTP/1.1 9999999 \r\nServer\r\n\r\n',
        'many-empty-lines-cut': b'\x40' + b'HTTP/1.0 200 OK\r\n' + b'X: y\r\n' * 30 + b'\r\n',
    },
    'quic': {
        'cid-length-255': b'\x00' + bytes([0xc0, 0, 0, 0, 1, 255]) + bytes(20),
        'token-length-huge': b'\x00' + bytes([0xc3, 0, 0, 0, 1, 8]) + bytes(8) + bytes([0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2]),
        'version-negotiation-odd': b'\x20' + bytes([0x80, 0, 0, 0, 0, 4, 1, 2, 3, 4, 0, 0xff, 0xff, 0, 0, 1]),
        'length-past-end': b'\x80' + bytes([0xe0, 0, 0, 0, 1, 0, 0, 0x7f, 0xff]) + bytes(8),
    },
}
for name, inputs in made.items():
    for label, data in inputs.items():
        open(f'{out}/{name}/malformed-{label}', 'wb').write(data)
