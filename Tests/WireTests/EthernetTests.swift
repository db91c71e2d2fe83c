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

    /// Hardware type 6 (IEEE 802) carries MACs as Ethernet does; other address sizes are read
    /// from the header. Lines as tcpdump -nn prints them.
    @Test func arpOfOtherHardwarePrintsAsTcpdump() {
        var ieee802 = Self.request()
        ieee802[15] = 6
        #expect(Summary.string(ieee802, linkType: .ethernet) == "ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28")
        let d = Dissector.dissect(ieee802, linkType: .ethernet)
        #expect(d.malformed == nil && d.field("arp.src.hw_mac")?.value == .mac(Self.me))
        ieee802[21] = 2
        #expect(Summary.string(ieee802, linkType: .ethernet) == "ARP, Reply 192.0.2.1 is-at 02:00:00:00:00:01, length 28")
        ieee802[21] = 3
        #expect(Summary.string(ieee802, linkType: .ethernet)
                == "ARP, Reverse Request who-is 00:00:00:00:00:00 tell 02:00:00:00:00:01, length 28")
        // InfiniBand-sized (8-byte) hardware addresses: 32 bytes of ARP.
        let link: Bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]
        let long: Bytes = link + [0, 32, 8, 0, 8, 4, 0, 2] + Array(0...7) + [192, 0, 2, 1] + Array(repeating: 0, count: 8) + [192, 0, 2, 2]
        #expect(Summary.string(long, linkType: .ethernet) == "ARP, Reply 192.0.2.1 is-at 00:01:02:03:04:05:06:07, length 32")
        let dl = Dissector.dissect(long, linkType: .ethernet)
        #expect(dl.malformed == nil && dl.field("arp.src.hw")?.range == 22..<30 && dl.field("arp.dst.proto_ipv4")?.value == .ipv4(IPv4Address(192, 0, 2, 2)))
        // No hardware address at all: tcpdump names the sizes only.
        let none: Bytes = link + [0, 1, 8, 0, 0, 4, 0, 1, 192, 0, 2, 1, 192, 0, 2, 2]
        #expect(Summary.string(none, linkType: .ethernet) == "ARP, Ethernet (len 0), IPv4 (len 4), length 16")
        // Sizes that need more bytes than there are.
        let short: Bytes = link + [0, 1, 0x86, 0xdd, 6, 16, 0, 1]
        #expect(Summary.string(short, linkType: .ethernet) == " [|arp]")
        #expect(Dissector.dissect(short, linkType: .ethernet).malformed?.message == "ARP packet needs 52 bytes, 8 left")
    }

    /// A type field of 1500 or less is an IEEE 802.3 length, and an LLC header follows: lines as
    /// tcpdump -nn prints them (without the hex lines it adds for a payload it cannot name).
    @Test func an8023LengthFrameIsLLCNotAnEtherType() {
        func hex(_ s: String) -> Bytes { IPv6Tests.bytes(s) }
        let stp = hex("0180c200000002000000000100264242030000000000800000112233445500000000800100112233446680010100140002000f00")
        #expect(Summary.string(stp, linkType: .ethernet) == "STP 802.1d, Config, Flags [none], bridge-id 8001.00:11:22:33:44:66.8001, length 35")
        let snapIPv4 = hex("0200000000020200000000010029aaaa03000000080045000021000100004011f6c7c0000201c000020200010002000d37fb68656c6c6f")
        #expect(Summary.string(snapIPv4, linkType: .ethernet) == "IP 192.0.2.1.1 > 192.0.2.2.2: UDP, length 5")
        let d = Dissector.dissect(snapIPv4, linkType: .ethernet)
        #expect(d.layers.map(\.name) == ["eth", "llc", "ip", "udp", "data"])
        #expect(d.malformed == nil && d.field("eth.len")?.value == .uint(41) && d.field("eth.type") == nil)
        #expect(d.field("llc.dsap")?.value == .uint(0xaa) && d.field("llc.type")?.value == .uint(0x0800))
        #expect(d.field("udp.checksum.status")?.value == .uint(1))
        let test = hex("02000000000202000000000100034243f3")
        #expect(Summary.string(test, linkType: .ethernet) == "02:00:00:00:00:01 > 02:00:00:00:00:02 STP Unnumbered, test, Flags [Final], length 3")
        let supervisory = hex("020000000002020000000001000404050503")
        #expect(Summary.string(supervisory, linkType: .ethernet)
                == "02:00:00:00:00:01 > 02:00:00:00:00:02 SNA Supervisory, Receiver not Ready, rcv seq 1, Flags [Final], length 4")
        var otherSAPs = supervisory
        otherSAPs[14] = 0x10
        otherSAPs[15] = 0x21
        #expect(Summary.string(otherSAPs, linkType: .ethernet)
                == "02:00:00:00:00:01 Unknown SSAP 0x20 > 02:00:00:00:00:02 Unknown DSAP 0x10 Supervisory, Receiver not Ready, rcv seq 1, Flags [Final], length 4")
        var snapUnknown = Array(snapIPv4[0..<22])
        snapUnknown[13] = 8
        snapUnknown[20] = 0x88
        snapUnknown[21] = 0xb5
        #expect(Summary.string(snapUnknown, linkType: .ethernet)
                == "02:00:00:00:00:01 > 02:00:00:00:00:02 SNAP, ethertype Unknown (0x88b5), length 0: ")
        // Cut by the capture: as far as the bytes go.
        func cut(_ b: Bytes, _ n: Int) -> String {
            var w = TextWriter()
            Summary.write(Array(b[0..<n]), linkType: .ethernet, wireLength: b.count, into: &w)
            return w.string
        }
        #expect(cut(stp, 21) == "STP 802.1d, Config [|stp]")
        #expect(cut(stp, 16) == " [|llc]")
        for n in 0..<snapIPv4.count { _ = Dissector.dissect(Array(snapIPv4[0..<n]), linkType: .ethernet) }
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
