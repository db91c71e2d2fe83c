import Testing
@testable import Wire

@Suite struct IPv6Tests {
    static func bytes(_ hex: String) -> Bytes {
        var out: Bytes = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// tcpdump -nn: IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 18
    static let echo = bytes("6000000000123a4020010db800000000000000000000000120010db8000000000000000000000002"
                            + "8000c9e00001000278787878787878787878")
    /// tcpdump -nn: IP6 2001:db8::1 > 2001:db8::2: HBH 40000 > 40001: UDP, length 5
    static let hopByHopUDP = bytes("600000000015004020010db800000000000000000000000120010db8000000000000000000000002"
                                   + "1100010400000000" + "9c409c41000d280b68656c6c6f")

    @Test func echoRequestParsesBuildsAndPrintsAsTcpdump() throws {
        let h = try #require(IPv6Header(Self.echo, at: 0))
        #expect(h.payloadLength == 18 && h.nextHeader == .icmpv6 && h.hopLimit == 64)
        #expect(h.source == IPv6Address("2001:db8::1") && h.destination == IPv6Address("2001:db8::2"))
        #expect(Summary.string(Self.echo, linkType: .raw) == "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, length 18")
        let d = Dissector.dissect(Self.echo, linkType: .raw)
        #expect(d.layers.map(\.name) == ["ipv6", "icmpv6"])
        #expect(d.field("icmpv6.checksum.status")?.value == .uint(1))
        #expect(d.field("icmpv6.echo.sequence_number")?.value == .uint(2))
        let built = PacketBuilder.build(ip: .v6(IPv6Repr(parsing: h)), transport: ICMPv6Repr.echoRequest(identifier: 1, sequence: 2),
                                        payload: Bytes(repeating: 0x78, count: 10))
        #expect(built == Self.echo)
    }

    @Test func wrongICMPv6ChecksumIsBad() {
        var bad = Self.echo
        bad[43] ^= 0xff
        #expect(Dissector.dissect(bad, linkType: .raw).field("icmpv6.checksum.status")?.value == .uint(0))
    }

    @Test func extensionHeadersAreWalkedAndPortsPrintedAlone() {
        #expect(Summary.string(Self.hopByHopUDP, linkType: .raw) == "IP6 2001:db8::1 > 2001:db8::2: HBH 40000 > 40001: UDP, length 5")
        let d = Dissector.dissect(Self.hopByHopUDP, linkType: .raw)
        #expect(d.layers.map(\.name) == ["ipv6", "udp", "data"])
        #expect(d.field("ipv6.hopopts.nxt")?.value == .uint(17))
        #expect(d.field("udp.checksum.status")?.value == .uint(1))
        #expect(d.malformed == nil)
    }

    @Test func anExtensionHeaderPastTheEndIsMalformedNotALoop() {
        var b = Self.hopByHopUDP
        b[41] = 200  // hop-by-hop length: 201 * 8 bytes
        let d = Dissector.dissect(b, linkType: .raw)
        #expect(d.malformed?.message == "IPv6 Hop-by-Hop Options runs past the end of the packet")
        #expect(Summary.string(b, linkType: .raw) == "IP6 2001:db8::1 > 2001:db8::2:  [|hbhopt]")
    }

    @Test func everyTruncatedPrefixDecodesWithoutTrapping() {
        for packet in [Self.echo, Self.hopByHopUDP] {
            for n in 0..<packet.count {
                let d = Dissector.dissect(Array(packet[0..<n]), linkType: .raw)
                #expect(d.malformed != nil, "prefix \(n)")
                _ = Summary.string(Array(packet[0..<n]), linkType: .raw)
            }
        }
    }
}
