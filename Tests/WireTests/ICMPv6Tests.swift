import Testing
@testable import Wire

/// IPv6 packets made with scapy (raw IPv6), each with the line tcpdump 4.99.3 printed for it
/// (`tcpdump -nn -S -X`), the hex dump tcpdump showed, and the bytes: ICMPv6 messages
/// (RFC 4443, RFC 4861) and the extension headers (RFC 8200 4).
enum IPv6Vectors {
    // MARK: ICMPv6 (the echo has a traffic class, 0xb8, and a flow label, 0x12345)

    /// tcpdump -nn -S: IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 9, length 12
    ///     0x0000:  6b81 2345 000c 3a11 2001 0db8 0000 0000  k.#E..:.........
    ///     0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 8000 5f6d 0007 0009  .........._m....
    ///     0x0030:  6162 6364                                abcd
    static let echoClassFlow = IPv6Tests.bytes("6b812345000c3a1120010db800000000000000000000000120010db8000000000000000000000002"
        + "80005f6d0007000961626364")
    static let echoClassFlowLine = "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 9, length 12"

    /// tcpdump -nn -S: IP6 2001:db8::1 > 2001:db8::2: ICMP6, destination unreachable, unreachable port, 2001:db8::1 udp port 33434, length 58
    ///     0x0000:  6000 0000 003a 3a40 2001 0db8 0000 0000  `....::@........
    ///     0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 0104 31e3 0000 0000  ..........1.....
    ///     0x0030:  6000 0000 000a 1140 2001 0db8 0000 0000  `......@........
    ///     0x0040:  0000 0000 0000 0002 2001 0db8 0000 0000  ................
    ///     0x0050:  0000 0000 0000 0001 9c40 829a 000a 1d21  .........@.....!
    ///     0x0060:  6869                                     hi
    static let portUnreachable = IPv6Tests.bytes("60000000003a3a4020010db800000000000000000000000120010db8000000000000000000000002"
        + "010431e30000000060000000000a114020010db800000000000000000000000220010db800000000"
        + "00000000000000019c40829a000a1d216869")
    static let portUnreachableLine = "IP6 2001:db8::1 > 2001:db8::2: ICMP6, destination unreachable, unreachable port, 2001:db8::1 udp port 33434, length 58"

    /// tcpdump -nn -S: IP6 fe80::2 > ff02::2: ICMP6, router solicitation, length 8
    ///     0x0000:  6000 0000 0008 3aff fe80 0000 0000 0000  `.....:.........
    ///     0x0010:  0000 0000 0000 0002 ff02 0000 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 8500 7d35 0000 0000  ..........}5....
    static let routerSolicitation = IPv6Tests.bytes("6000000000083afffe800000000000000000000000000002ff020000000000000000000000000002"
        + "85007d3500000000")
    static let routerSolicitationLine = "IP6 fe80::2 > ff02::2: ICMP6, router solicitation, length 8"

    /// tcpdump -nn -S: IP6 fe80::1 > ff02::1: ICMP6, router advertisement, length 16
    ///     0x0000:  6000 0000 0010 3aff fe80 0000 0000 0000  `.....:.........
    ///     0x0010:  0000 0000 0000 0001 ff02 0000 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0001 8600 bc06 4008 0708  ............@...
    ///     0x0030:  0000 7530 0000 03e8                      ..u0....
    static let routerAdvertisement = IPv6Tests.bytes("6000000000103afffe800000000000000000000000000001ff020000000000000000000000000001"
        + "8600bc064008070800007530000003e8")
    static let routerAdvertisementLine = "IP6 fe80::1 > ff02::1: ICMP6, router advertisement, length 16"

    /// tcpdump -nn -S: IP6 2001:db8::2 > ff02::1:ff00:1: ICMP6, neighbor solicitation, who has 2001:db8::1, length 24
    ///     0x0000:  6000 0000 0018 3aff 2001 0db8 0000 0000  `.....:.........
    ///     0x0010:  0000 0000 0000 0002 ff02 0000 0000 0000  ................
    ///     0x0020:  0000 0001 ff00 0001 8700 1f32 0000 0000  ...........2....
    ///     0x0030:  2001 0db8 0000 0000 0000 0000 0000 0001  ................
    static let neighborSolicitation = IPv6Tests.bytes("6000000000183aff20010db8000000000000000000000002ff0200000000000000000001ff000001"
        + "87001f320000000020010db8000000000000000000000001")
    static let neighborSolicitationLine = "IP6 2001:db8::2 > ff02::1:ff00:1: ICMP6, neighbor solicitation, who has 2001:db8::1, length 24"

    /// tcpdump -nn -S: IP6 2001:db8::1 > 2001:db8::2: ICMP6, neighbor advertisement, tgt is 2001:db8::1, length 24
    ///     0x0000:  6000 0000 0018 3aff 2001 0db8 0000 0000  `.....:.........
    ///     0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 8800 8e7d 6000 0000  ...........}`...
    ///     0x0030:  2001 0db8 0000 0000 0000 0000 0000 0001  ................
    static let neighborAdvertisement = IPv6Tests.bytes("6000000000183aff20010db800000000000000000000000120010db8000000000000000000000002"
        + "88008e7d6000000020010db8000000000000000000000001")
    static let neighborAdvertisementLine = "IP6 2001:db8::1 > 2001:db8::2: ICMP6, neighbor advertisement, tgt is 2001:db8::1, length 24"

    // MARK: extension headers (a type 0 routing header's UDP checksum covers its last address)

    /// tcpdump -nn -S: IP6 2001:db8::1 > 2001:db8::2: RT6 (len=2, type=0 [Deprecated], segleft=1, [0]2001:db8::3) 40000 > 40001: UDP, length 5
    ///     0x0000:  6000 0000 0025 2b40 2001 0db8 0000 0000  `....%+@........
    ///     0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 1102 0001 0000 0000  ................
    ///     0x0030:  2001 0db8 0000 0000 0000 0000 0000 0003  ................
    ///     0x0040:  9c40 9c41 000d 280a 6865 6c6c 6f         .@.A..(.hello
    static let routingUDP = IPv6Tests.bytes("6000000000252b4020010db800000000000000000000000120010db8000000000000000000000002"
        + "110200010000000020010db80000000000000000000000039c409c41000d280a68656c6c6f")
    static let routingUDPLine = "IP6 2001:db8::1 > 2001:db8::2: RT6 (len=2, type=0 [Deprecated], segleft=1, [0]2001:db8::3) 40000 > 40001: UDP, length 5"

    /// tcpdump -nn -S: IP6 2001:db8::1 > 2001:db8::2: frag (0|13) 40000 > 40001: UDP, length 21
    ///     0x0000:  6000 0000 0015 2c40 2001 0db8 0000 0000  `.....,@........
    ///     0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 1100 0001 1234 5678  .............4Vx
    ///     0x0030:  9c40 9c41 001d 1234 6865 6c6c 6f         .@.A...4hello
    static let firstFragment = IPv6Tests.bytes("6000000000152c4020010db800000000000000000000000120010db8000000000000000000000002"
        + "11000001123456789c409c41001d123468656c6c6f")
    static let firstFragmentLine = "IP6 2001:db8::1 > 2001:db8::2: frag (0|13) 40000 > 40001: UDP, length 21"

    /// tcpdump -nn -S: IP6 2001:db8::1 > 2001:db8::2: frag (16|8)
    ///     0x0000:  6000 0000 0010 2c40 2001 0db8 0000 0000  `.....,@........
    ///     0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 1100 0010 1234 5678  .............4Vx
    ///     0x0030:  776f 726c 6421 2121                      world!!!
    static let laterFragment = IPv6Tests.bytes("6000000000102c4020010db800000000000000000000000120010db8000000000000000000000002"
        + "1100001012345678776f726c64212121")
    static let laterFragmentLine = "IP6 2001:db8::1 > 2001:db8::2: frag (16|8)"

    /// tcpdump -nn -S: IP6 2001:db8::1 > 2001:db8::2: DSTOPT 40000 > 40001: UDP, length 5
    ///     0x0000:  6000 0000 0015 3c40 2001 0db8 0000 0000  `.....<@........
    ///     0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000  ................
    ///     0x0020:  0000 0000 0000 0002 1100 0104 0000 0000  ................
    ///     0x0030:  9c40 9c41 000d 280b 6865 6c6c 6f         .@.A..(.hello
    static let destinationOptionsUDP = IPv6Tests.bytes("6000000000153c4020010db800000000000000000000000120010db8000000000000000000000002"
        + "11000104000000009c409c41000d280b68656c6c6f")
    static let destinationOptionsUDPLine = "IP6 2001:db8::1 > 2001:db8::2: DSTOPT 40000 > 40001: UDP, length 5"

    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: Bytes
        let line: String
        var testDescription: String { name }
    }

    static let icmpv6: [Vector] = [
        Vector(name: "echo request", bytes: echoClassFlow, line: echoClassFlowLine),
        Vector(name: "port unreachable", bytes: portUnreachable, line: portUnreachableLine),
        Vector(name: "router solicitation", bytes: routerSolicitation, line: routerSolicitationLine),
        Vector(name: "router advertisement", bytes: routerAdvertisement, line: routerAdvertisementLine),
        Vector(name: "neighbor solicitation", bytes: neighborSolicitation, line: neighborSolicitationLine),
        Vector(name: "neighbor advertisement", bytes: neighborAdvertisement, line: neighborAdvertisementLine),
    ]

    static let extensionHeaders: [Vector] = [
        Vector(name: "hop-by-hop", bytes: IPv6Tests.hopByHopUDP, line: "IP6 2001:db8::1 > 2001:db8::2: HBH 40000 > 40001: UDP, length 5"),
        Vector(name: "routing", bytes: routingUDP, line: routingUDPLine),
        Vector(name: "first fragment", bytes: firstFragment, line: firstFragmentLine),
        Vector(name: "later fragment", bytes: laterFragment, line: laterFragmentLine),
        Vector(name: "destination options", bytes: destinationOptionsUDP, line: destinationOptionsUDPLine),
    ]
}

@Suite struct ICMPv6Tests {
    typealias V = IPv6Vectors
    static let a = IPv6Address("2001:db8::1")!, b = IPv6Address("2001:db8::2")!

    @Test(arguments: V.icmpv6) func printsAsTcpdumpWithAGoodChecksum(v: V.Vector) {
        #expect(Summary.string(v.bytes, linkType: .raw) == v.line)
        let d = Dissector.dissect(v.bytes, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.layers.prefix(2).map(\.name) == ["ipv6", "icmpv6"])
        #expect(d.field("icmpv6.type")?.value == .uint(UInt64(v.bytes[40])))
        #expect(d.field("icmpv6.checksum")?.value == .uint(UInt64(v.bytes.be16(42))))
        #expect(d.field("icmpv6.checksum.status")?.value == .uint(1))
    }

    @Test(arguments: V.icmpv6) func aWrongChecksumIsBad(v: V.Vector) {
        var bad = v.bytes
        bad[43] ^= 0x01
        #expect(Dissector.dissect(bad, linkType: .raw).field("icmpv6.checksum.status")?.value == .uint(0))
    }

    @Test func theEchoKeepsItsTrafficClassAndFlowLabel() throws {
        let h = try #require(IPv6Header(V.echoClassFlow, at: 0))
        #expect(h.trafficClass == 0xb8 && h.flowLabel == 0x12345 && h.hopLimit == 17 && h.payloadLength == 12)
        let d = Dissector.dissect(V.echoClassFlow, linkType: .raw)
        #expect(d.field("ipv6.tclass")?.value == .uint(0xb8))
        #expect(d.field("ipv6.flow")?.value == .uint(0x12345))
        #expect(d.field("icmpv6.echo.identifier")?.value == .uint(7))
        #expect(d.field("icmpv6.echo.sequence_number")?.value == .uint(9))
    }

    @Test func aPortUnreachableQuotesTheDatagramItIsAbout() throws {
        let d = Dissector.dissect(V.portUnreachable, linkType: .raw)
        #expect(d.layers.map(\.name) == ["ipv6", "icmpv6", "ipv6", "udp", "data"])
        #expect(d.field("icmpv6.type")?.value == .uint(1))
        #expect(d.field("icmpv6.code")?.value == .uint(4), "port unreachable")
        let icmp = try #require(d.layer("icmpv6"))
        #expect(icmp.range == 40..<48 && icmp.payload == 48..<98)
        // The quoted packet: from this host (b) to the one that says it has no such port (a).
        let quoted = d.layers[2]
        #expect(quoted.range == 48..<88)
        #expect(quoted.fields.first { $0.name.description == "ipv6.src" }?.value == .ipv6(Self.b))
        #expect(quoted.fields.first { $0.name.description == "ipv6.dst" }?.value == .ipv6(Self.a))
        #expect(d.field("udp.srcport")?.value == .uint(40000) && d.field("udp.dstport")?.value == .uint(33434))
    }

    @Test func routerSolicitationAndAdvertisementAreTheirTypesWithTheirBodies() throws {
        let rs = Dissector.dissect(V.routerSolicitation, linkType: .raw)
        #expect(rs.field("icmpv6.type")?.value == .uint(133) && rs.field("icmpv6.code")?.value == .uint(0))
        #expect(rs.field("ipv6.hlim")?.value == .uint(255), "neighbour discovery is sent with hop limit 255 (RFC 4861)")
        #expect(rs.field("ipv6.dst")?.value == .ipv6(IPv6Address("ff02::2")!), "all routers")
        #expect(rs.layer("icmpv6")?.range == 40..<48 && rs.layer("icmpv6")?.payload == 48..<48)
        let ra = Dissector.dissect(V.routerAdvertisement, linkType: .raw)
        #expect(ra.field("icmpv6.type")?.value == .uint(134) && ra.field("icmpv6.code")?.value == .uint(0))
        #expect(ra.field("ipv6.dst")?.value == .ipv6(IPv6Address("ff02::1")!), "all nodes")
        // The first four bytes of the body are in the header's second word: hop limit 64,
        // flags 0x08, router lifetime 1800; then reachable time 30000 ms and retransmit timer 1000 ms.
        let icmp = try #require(ra.layer("icmpv6"))
        #expect(icmp.range == 40..<48 && icmp.payload == 48..<56)
        #expect(V.routerAdvertisement[44] == 64 && V.routerAdvertisement.be16(46) == 1800)
        #expect(V.routerAdvertisement.be32(48) == 30000 && V.routerAdvertisement.be32(52) == 1000)
    }

    @Test func neighbourSolicitationAndAdvertisementNameTheirTargetAndFlags() {
        let ns = Dissector.dissect(V.neighborSolicitation, linkType: .raw)
        #expect(ns.field("icmpv6.type")?.value == .uint(135))
        #expect(ns.field("ipv6.dst")?.value == .ipv6(IPv6Address("ff02::1:ff00:1")!), "the target's solicited-node group")
        let target = ns.field("icmpv6.nd.ns.target_address")
        #expect(target?.value == .ipv6(Self.a) && target?.range == 48..<64)
        let na = Dissector.dissect(V.neighborAdvertisement, linkType: .raw)
        #expect(na.field("icmpv6.type")?.value == .uint(136))
        #expect(na.field("icmpv6.nd.na.flag.r")?.value == .bool(false))
        #expect(na.field("icmpv6.nd.na.flag.s")?.value == .bool(true))
        #expect(na.field("icmpv6.nd.na.flag.o")?.value == .bool(true))
        #expect(na.field("icmpv6.nd.na.target_address")?.value == .ipv6(Self.a))
        // Each flag alone, so none is read from another's bit.
        for (bit, name) in [(0x80, "icmpv6.nd.na.flag.r"), (0x40, "icmpv6.nd.na.flag.s"), (0x20, "icmpv6.nd.na.flag.o")] {
            var one = V.neighborAdvertisement
            one[44] = UInt8(bit)
            let d = Dissector.dissect(one, linkType: .raw)
            for other in ["icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o"] {
                #expect(d.field(other)?.value == .bool(other == name), "bit 0x\(String(bit, radix: 16)): \(other)")
            }
        }
    }

    @Test(arguments: V.icmpv6) func emitsTheSameHeadersIntoAPrefilledBuffer(v: V.Vector) throws {
        let h = try #require(IPv6Header(v.bytes, at: 0))
        var ip = Bytes(repeating: 0xA5, count: 40)
        IPv6Repr(parsing: h).emit(into: &ip, at: 0, payloadLength: h.payloadLength)
        #expect(ip == Array(v.bytes[0..<40]))
        // The ICMPv6 header over the message already in place: its checksum covers it.
        let icmp = ICMPv6Repr(type: v.bytes[40], code: v.bytes[41], rest: v.bytes.be32(44))
        #expect(icmp.headerLength == 8)
        var b = v.bytes
        b.replaceSubrange(40..<48, with: Bytes(repeating: 0xA5, count: 8))
        icmp.emit(into: &b, at: 40, payloadLength: v.bytes.count - 48, pseudo: .v6(source: h.source, destination: h.destination),
                  checksum: .correct)
        #expect(b == v.bytes)
    }

    @Test(arguments: V.icmpv6) func decodeThenBuildGivesTheSamePacket(v: V.Vector) throws {
        let h = try #require(IPv6Header(v.bytes, at: 0))
        let icmp = ICMPv6Repr(type: v.bytes[40], code: v.bytes[41], rest: v.bytes.be32(44))
        #expect(PacketBuilder.build(ip: .v6(IPv6Repr(parsing: h)), transport: icmp, payload: Array(v.bytes[48...])) == v.bytes)
    }

    @Test(arguments: V.icmpv6) func everyTruncatedPrefixFailsCleanly(v: V.Vector) {
        for n in 0..<v.bytes.count {
            let prefix = Array(v.bytes[0..<n])
            let d = Dissector.dissect(prefix, linkType: .raw)
            #expect(d.malformed != nil, "prefix of \(n) bytes")
            if n >= 40 { #expect(d.layers.first?.name == "ipv6", "prefix of \(n) bytes") }
            if n >= 44 { #expect(d.layer("icmpv6") != nil, "prefix of \(n) bytes: the ICMPv6 header's first word is there") }
            _ = Summary.string(prefix, linkType: .raw)
        }
    }
}

@Suite struct IPv6ExtensionHeaderTests {
    typealias V = IPv6Vectors

    @Test(arguments: V.extensionHeaders) func printsAsTcpdump(v: V.Vector) {
        #expect(Summary.string(v.bytes, linkType: .raw) == v.line)
        #expect(Dissector.dissect(v.bytes, linkType: .raw).malformed == nil)
    }

    @Test func hopByHopAndDestinationOptionsHeadersAreWalked() {
        for (packet, header) in [(IPv6Tests.hopByHopUDP, "ipv6.hopopts"), (V.destinationOptionsUDP, "ipv6.dstopts")] {
            let d = Dissector.dissect(packet, linkType: .raw)
            #expect(d.field("ipv6.nxt")?.value == .uint(packet == V.destinationOptionsUDP ? 60 : 0))
            #expect(d.field(header)?.range == 40..<48, "\(header): 8 bytes (length 0)")
            #expect(d.field(header + ".nxt")?.value == .uint(17))
            #expect(d.layers.map(\.name) == ["ipv6", "udp", "data"])
            #expect(d.layer("ipv6")?.range == 0..<48 && d.layer("udp")?.range == 48..<56)
            #expect(d.field("udp.checksum.status")?.value == .uint(1))
        }
        // A longer options header: its length counts 8-byte units beyond the first.
        var longer = Array(V.destinationOptionsUDP[0..<48]) + Bytes(repeating: 0, count: 8) + Array(V.destinationOptionsUDP[48...])
        longer[41] = 1  // 16 bytes
        longer[48] = 1  // PadN over the new bytes
        longer[49] = 6
        longer[5] += 8  // payload length
        let d = Dissector.dissect(longer, linkType: .raw)
        #expect(d.field("ipv6.dstopts")?.range == 40..<56 && d.layer("udp")?.range == 56..<64)
    }

    @Test func aRoutingHeadersLastAddressIsTheChecksumsDestination() {
        let d = Dissector.dissect(V.routingUDP, linkType: .raw)
        #expect(d.field("ipv6.nxt")?.value == .uint(43))
        #expect(d.field("ipv6.routing")?.range == 40..<64, "8 bytes and one address")
        #expect(d.field("ipv6.routing.nxt")?.value == .uint(17))
        #expect(d.layers.map(\.name) == ["ipv6", "udp", "data"])
        #expect(d.field("udp.dstport")?.value == .uint(40001))
        #expect(d.field("udp.checksum.status")?.value == .uint(1), "over 2001:db8::3, the final destination")
        // With no segments left the destination field is final, and the checksum made for ::3 is wrong.
        var arrived = V.routingUDP
        arrived[43] = 0
        #expect(Dissector.dissect(arrived, linkType: .raw).field("udp.checksum.status")?.value == .uint(0))
    }

    @Test func fragmentHeadersGiveOffsetMoreAndIdentificationAndLeaveTheDataAlone() {
        let first = Dissector.dissect(V.firstFragment, linkType: .raw)
        #expect(first.field("ipv6.fraghdr")?.range == 40..<48)
        #expect(first.field("ipv6.fraghdr.nxt")?.value == .uint(17))
        #expect(first.field("ipv6.fraghdr.offset")?.value == .uint(0))
        #expect(first.field("ipv6.fraghdr.more")?.value == .bool(true))
        #expect(first.field("ipv6.fraghdr.ident")?.value == .uint(0x1234_5678))
        // Not reassembled: the UDP header in the first piece is data, its checksum unchecked.
        #expect(first.layers.map(\.name) == ["ipv6", "data"] && first.layer("data")?.range == 48..<61)
        let later = Dissector.dissect(V.laterFragment, linkType: .raw)
        #expect(later.field("ipv6.fraghdr.offset")?.value == .uint(2), "in units of 8 bytes: byte 16")
        #expect(later.field("ipv6.fraghdr.more")?.value == .bool(false))
        #expect(later.field("ipv6.fraghdr.ident")?.value == .uint(0x1234_5678))
        #expect(later.layers.map(\.name) == ["ipv6", "data"] && later.layer("data")?.range == 48..<56)
    }

    @Test(arguments: V.extensionHeaders) func emitsTheFixedHeaderIntoAPrefilledBuffer(v: V.Vector) throws {
        let h = try #require(IPv6Header(v.bytes, at: 0))
        var b = Bytes(repeating: 0xA5, count: 40)
        IPv6Repr(parsing: h).emit(into: &b, at: 0, payloadLength: h.payloadLength)
        #expect(b == Array(v.bytes[0..<40]))
    }

    @Test(arguments: V.extensionHeaders) func everyTruncatedPrefixFailsCleanly(v: V.Vector) {
        for n in 0..<v.bytes.count {
            let prefix = Array(v.bytes[0..<n])
            let d = Dissector.dissect(prefix, linkType: .raw)
            #expect(d.malformed != nil, "prefix of \(n) bytes")
            if n >= 40 { #expect(d.layers.first?.name == "ipv6", "prefix of \(n) bytes") }
            _ = Summary.string(prefix, linkType: .raw)
        }
    }
}
