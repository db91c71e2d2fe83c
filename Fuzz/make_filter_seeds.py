# Seeds for the display-filter fuzz target: an expression, a zero byte, then a packet of the
# dissector target's seeds (its first byte picks the link type, as FuzzTarget.filterPacket reads
# it). Each expression is paired with a few packets, so every operator meets real fields.
# Usage: python3 Fuzz/make_filter_seeds.py Fuzz/Corpus
import os, sys
corpus = sys.argv[1]
expressions = [
    'tcp', 'tcp.flags.syn == 1 && !tcp.flags.ack', 'ip.addr == 10.0.0.0/8', 'ipv6.addr == 2001:db8::/32',
    'tcp.port in {80, 443, 8000..8080}', 'dns.qry.name contains "example"', 'dns.qry.name matches "^www\\\\."',
    'http.request.method == "GET"', 'tcp.flags & 0x12 == 0x12', 'eth.src[0:3] == 02:00:00', 'frame[-4:] == 00:00:00:00',
    'frame[1:2,4-5,:1] == aa:bb:cc:dd:ee', 'ip.ttl lt 64 or frame.len gt 100', 'all tcp.port > 1024', 'any udp.port == 53',
    'tcp.port === 80', 'tcp.port !== 80', 'ip.src == ip.dst', 'not (udp ^^ tcp)', 'udp[0:2] == "\\x005"', "frame.len > 'A'",
    'tcp.stream == 0', 'tcp.analysis.retransmission', 'tcp.analysis.flags && !tcp.analysis.window_update',
    'tcp.analysis.ack_rtt < 0.01', 'tcp.time_delta > 0.5', 'udp.stream in {0..3}', 'tls.handshake.extensions_server_name contains "a"',
    'dhcp.option.hostname matches "(?i)^h"', 'eth.addr == ff:ff:ff:ff:ff:ff', 'ip.proto == 0x11 || ip.proto == 021 || ip.proto == 0b110',
    'tcp.payload contains 47:45:54', 'icmp.type == 8', 'icmpv6.type == 128', 'arp.opcode == 1', 'ntp.stratum > 1',
    'vlan.id == 100', '_ws.malformed', 'tcp.flags.reset == True', 'dns.a == 93.184.216.34', 'ip.dsfield & 0xfc',
]
packets = sorted(os.listdir(f'{corpus}/dissector'))
os.makedirs(f'{corpus}/display-filter', exist_ok=True)
for i, e in enumerate(expressions):
    for j in range(3):
        name = packets[(i * 3 + j) % len(packets)]
        packet = open(f'{corpus}/dissector/{name}', 'rb').read()
        open(f'{corpus}/display-filter/seed-{i:02d}-{j}', 'wb').write(e.encode() + b'\0' + packet)
print(len(expressions) * 3, 'seeds')
