import Testing
@testable import Wire

@Suite struct DNSTests {
    /// A UDP/IPv4 packet from 198.51.100.53:53 to 192.0.2.2:40002 carrying `dns`.
    static func packet(_ dns: Bytes) -> Bytes {
        let ip = IPv4Repr(source: IPv4Address(198, 51, 100, 53), destination: IPv4Address(192, 0, 2, 2), proto: .udp)
        return PacketBuilder.build(ip: .v4(ip), transport: UDPRepr(sourcePort: 53, destinationPort: 40002), payload: dns)
    }

    /// www.example.test CNAME example.test, example.test A 198.51.100.80, the names compressed.
    /// tcpdump -nn: IP 198.51.100.53.53 > 192.0.2.2.40002: 4098 2/0/0 CNAME example.test., A 198.51.100.80 (64)
    static let cnameChain: Bytes = [0x10, 0x02, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
                                    3] + Array("www".utf8) + [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1,
                                    0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 2, 0xc0, 0x10,
                                    0xc0, 0x10, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 51, 100, 80]

    @Test func responseDecodesAndPrintsAsTcpdump() {
        let p = Self.packet(Self.cnameChain)
        #expect(Summary.string(p, linkType: .raw)
                == "IP 198.51.100.53.53 > 192.0.2.2.40002: 4098 2/0/0 CNAME example.test., A 198.51.100.80 (\(Self.cnameChain.count))")
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.strings(of: "dns.qry.name")?.text == "www.example.test")
        #expect(d.strings(of: "dns.cname")?.text == "example.test")
        #expect(d.field("dns.a")?.value == .ipv4(IPv4Address(198, 51, 100, 80)))
        #expect(d.field("dns.flags.rcode")?.value == .uint(0))
    }

    /// example.test TXT "hello" "world", then a string with a control character, a byte above 0x7f
    /// and an empty string. tcpdump -nn prints each string quoted (fn_print_char for the odd bytes).
    @Test func txtAnswerPrintsEveryString() {
        let question: Bytes = [0, 0, 16, 0, 1]
        let header: Bytes = [0x00, 0x05, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, 7] + Array("example".utf8) + [4] + Array("test".utf8) + question
        let first: Bytes = [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 12, 5] + Array("hello".utf8) + [5] + Array("world".utf8)
        let second: Bytes = [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 4, 0x61, 0x01, 0xc3, 0x7f, 0]
        let dns = header + first + second
        let p = Self.packet(dns)
        #expect(Summary.string(p, linkType: .raw)
                == "IP 198.51.100.53.53 > 192.0.2.2.40002: 5 2/0/0 TXT \"hello\" \"world\", TXT \"a^AM-C^?\" \"\" (\(dns.count))")
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(d.malformed == nil)
        let dnsLayer = d.layer("dns")
        let texts = dnsLayer?.fields.filter { $0.isNamed("dns.txt") }.map { dnsLayer!.strings(of: $0).text }
        #expect(texts == ["hello", "world", "a\u{01}\u{FFFD}\u{7f}", ""])
        #expect(d.field("dns.txt.length")?.value == .uint(5))
        // A string longer than its record runs on into what follows; past the message's end it
        // is cut short: what was there, then the truncation mark.
        var oneAnswer = header + [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 5, 0x61, 0x62]
        oneAnswer[7] = 1
        #expect(Summary.string(Self.packet(oneAnswer), linkType: .raw).hasSuffix(" 5 1/0/0 TXT \"ab [|domain]"))
    }

    @Test func queryPrintsAsTcpdump() {
        let query: Bytes = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                            7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 28, 0, 1]
        #expect(Summary.string(Self.packet(query), linkType: .raw) == "IP 198.51.100.53.53 > 192.0.2.2.40002: 4660+ AAAA? example.test. (30)")
    }

    @Test func aCompressionLoopIsMalformedNotAHang() {
        // The question's name is a pointer to itself.
        let loop: Bytes = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]
        let d = Dissector.dissect(Self.packet(loop), linkType: .raw)
        #expect(d.malformed?.message == "DNS question name has a compression pointer that does not point backwards (a loop)")
        #expect(d.layer("dns") != nil)
    }

    @Test func everyTruncatedPrefixDecodesWithoutTrapping() {
        let p = Self.packet(Self.cnameChain)
        for n in 0..<p.count {
            _ = Dissector.dissect(Array(p[0..<n]), linkType: .raw)
            _ = Summary.string(Array(p[0..<n]), linkType: .raw)
        }
        // Cut inside the answers: everything before is kept, and the problem is named.
        let cut = Dissector.dissect(Array(p[0..<(p.count - 6)]), linkType: .raw)
        #expect(cut.strings(of: "dns.cname")?.text == "example.test")
        #expect(cut.malformed != nil)
    }
}
