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
        // The payload is data, as tshark shows it.
        #expect(d.layers.map(\.name) == ["ipv6", "icmpv6", "data"])
        #expect(d.field("data.len")?.value == .uint(10))
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

    /// Payload Length 0 without a Jumbo Payload option (RFC 2675): the payload is empty, whatever
    /// follows in the capture. tcpdump -nn prints the layer above as cut short; the tree and JSON
    /// say the same (the layer above is malformed).
    @Test func payloadLengthZeroLeavesThePayloadEmpty() {
        let fixed = "20010db800000000000000000000000120010db8000000000000000000000002"
        let cases: [(String, String, String)] = [
            ("06", "00140050000000000000000050022000340a0000", "IP6 2001:db8::1 > 2001:db8::2: [|tcp]"),
            ("11", "001400500008a405", "IP6 2001:db8::1 > 2001:db8::2:  [|udp]"),
            ("3a", "8000244800000000", "IP6 2001:db8::1 > 2001:db8::2: ICMP6, length 0 (invalid)"),
            ("3b", "", "IP6 2001:db8::1 > 2001:db8::2: no next header"),
            ("00", "110001040000000000010002000d608a68656c6c6f",
             "IP6 2001:db8::1 > 2001:db8::2: HBH [No valid Jumbo Payload Hop-by-Hop option found] (invalid)"),
            ("3c", "110001040000000000010002000d608a68656c6c6f", "IP6 2001:db8::1 > 2001:db8::2: DSTOPT  [|ip6]"),
            ("2c", "110000010000000500010002000d608a68656c6c6f",
             "IP6 2001:db8::1 > 2001:db8::2: frag (0|18446744073709551608)  [|ip6]"),
        ]
        for (header, rest, line) in cases {
            let b = Self.bytes("600000000000" + header + "40" + fixed + rest)
            #expect(Summary.string(b, linkType: .raw) == line)
            let d = Dissector.dissect(b, linkType: .raw)
            #expect(d.layers.first?.payload.isEmpty == true, "\(line)")
            if !rest.isEmpty { #expect(d.malformed != nil, "\(line)") }
        }
        // With a Jumbo Payload option the payload's length is the option's.
        let jumbo = Self.bytes("6000000000000040" + fixed + "1100c2040001117000010002000d608a68656c6c6f")
        #expect(Summary.string(jumbo, linkType: .raw)
                == "IP6 2001:db8::1 > 2001:db8::2: HBH truncated-ip6 - 69979 bytes missing!1 > 2: UDP, length 5")
    }
}
