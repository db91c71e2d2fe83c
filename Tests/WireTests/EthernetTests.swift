import Testing
@testable import Wire

@Suite struct EthernetTests {
    static let me = MACAddress(0x0200_0000_0001), broadcast = MACAddress(0xffff_ffff_ffff)

    /// tcpdump -nn: ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28
    static func request() -> Bytes {
        var b = Bytes(repeating: 0xA5, count: 42)
        EthernetRepr(destination: broadcast, source: me, etherType: EtherType.arp).emit(into: &b, at: 0)
        ARPRepr(opcode: 1, senderMAC: me, senderIP: IPv4Address(192, 0, 2, 1), targetMAC: MACAddress(0),
                targetIP: IPv4Address(192, 0, 2, 2)).emit(into: &b, at: 14)
        return b
    }

    @Test func arpRequestDecodesAndPrintsAsTcpdump() throws {
        let b = Self.request()
        #expect(Array(b[0..<22]) == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1])
        #expect(Summary.string(b, linkType: .ethernet) == "ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28")
        let d = Dissector.dissect(b, linkType: .ethernet)
        #expect(d.layers.map(\.name) == ["eth", "arp"])
        #expect(d.field("eth.dst")?.value == .mac(Self.broadcast))
        #expect(d.field("arp.dst.proto_ipv4")?.value == .ipv4(IPv4Address(192, 0, 2, 2)))
        let arp = try #require(ARPPacket(b, at: 14))
        #expect(ARPRepr(parsing: arp)?.opcode == 1)
    }

    @Test func arpReplyAndPaddingLength() {
        var b = Bytes(repeating: 0, count: 60)
        EthernetRepr(destination: Self.me, source: MACAddress(0x0200_0000_0002), etherType: EtherType.arp).emit(into: &b, at: 0)
        ARPRepr(opcode: 2, senderMAC: MACAddress(0x0200_0000_0002), senderIP: IPv4Address(192, 0, 2, 2), targetMAC: Self.me,
                targetIP: IPv4Address(192, 0, 2, 1)).emit(into: &b, at: 14)
        // tcpdump counts the frame's padding in the ARP length.
        #expect(Summary.string(b, linkType: .ethernet) == "ARP, Reply 192.0.2.2 is-at 02:00:00:00:00:02, length 46")
    }

    @Test func vlanTagsAreDecodedAndSilentInTheSummary() {
        let inner = UDPTests.hello
        var b = Bytes(repeating: 0, count: 14 + 8 + inner.count)
        EthernetRepr(destination: Self.me, source: Self.me, etherType: EtherType.vlan).emit(into: &b, at: 0)
        b.replaceSubrange(14..<22, with: [0x60, 0x64, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00])  // PRI 3, VLAN 100, then VLAN 7, IPv4
        b.replaceSubrange(22..<b.count, with: inner)
        #expect(Summary.string(b, linkType: .ethernet) == UDPTests.line)
        let d = Dissector.dissect(b, linkType: .ethernet)
        #expect(d.layers.map(\.name) == ["eth", "vlan", "vlan", "ip", "udp", "data"])
        #expect(d.field("vlan.id")?.value == .uint(100))
        #expect(d.field("vlan.priority")?.value == .uint(3))
        #expect(Dissector.networkLayerStart(b, linkType: .ethernet) == 22)
    }

    @Test func everyTruncatedPrefixDecodesWithoutTrapping() {
        let b = Self.request()
        for n in 0..<b.count {
            let d = Dissector.dissect(Array(b[0..<n]), linkType: .ethernet)
            #expect(d.malformed != nil)
            let line = Summary.string(Array(b[0..<n]), linkType: .ethernet)
            #expect(line == (n < 14 ? " [|ether]" : " [|arp]"))
        }
    }
}
