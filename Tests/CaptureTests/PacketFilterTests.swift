import Testing
@testable import Capture

/// Which filters name a host libpcap would look up: the screen's check at every key and the
/// fuzzer compile only those that name none, so neither sends DNS queries.
struct PacketFilterTests {
    @Test(arguments: ["tcp port 80", "icmp or udp", "host 192.0.2.1", "net 192.0.2.0/24 and not port 22",
                      "ip6 and net 2001:db8::/32", "ether host 02:00:00:00:00:01", "ether src 0000.5e00.5301",
                      "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "ip[8] < 5", "len > 100", "port http",
                      "portrange 1-1024", "ip proto \\tcp", "ip proto gre", "icmp[icmptype] == icmp-echo", "vlan 10 and ip",
                      "tcp[13] & 0x12 != 0"])
    func filtersWithoutNamesNeedNoLookup(expression: String) throws {
        #expect(PacketFilter.hostName(in: expression) == nil)
        _ = try PacketFilter(expression, linkType: .ethernet, lookingUpNames: false)
    }

    @Test(arguments: [("host example.test", "example.test"), ("t", "t"), ("tc", "tc"), ("icmp or u", "u"),
                      ("src foo and tcp", "foo"), ("host http", "http"), ("len-20 > 0", "len-20"),
                      ("tcp and dst gw.example.test", "gw.example.test"),
                      ("HOST 192.0.2.1", "HOST")])  // libpcap's words are lower case: HOST is a name
    func namesAreFoundAndNotLookedUp(expression: String, name: String) {
        #expect(PacketFilter.hostName(in: expression) == name)
        #expect(throws: CaptureError.self) { try PacketFilter(expression, linkType: .raw, lookingUpNames: false) }
    }
}
