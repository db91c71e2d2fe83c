import Testing
@testable import Wire

@Suite struct IPv4Tests {
    let syn = TestVectors.referenceSYN

    @Test func parsesEveryHeaderField() throws {
        let h = try #require(IPv4Header(syn, at: 0))
        #expect(h.version == 4)
        #expect(h.headerLength == 20)
        #expect(h.tos == 0)
        #expect(h.totalLength == 44)
        #expect(h.identification == 1)
        #expect(!h.dontFragment && !h.moreFragments && h.fragmentOffset == 0)
        #expect(h.ttl == 64)
        #expect(h.proto == .tcp)
        #expect(h.checksum == 0x00c4)
        #expect(h.source == IPv4Address(192, 0, 2, 2))
        #expect(h.destination == IPv4Address(34, 194, 149, 67))
    }

    @Test func dissectsWithWiresharkNamesAndByteRanges() throws {
        let d = Dissector.dissect(syn, linkType: .raw)
        #expect(d.layers.first?.name == "ip")
        #expect(d.layers.first?.range == 0..<20)
        let ttl = try #require(d.field("ip.ttl"))
        #expect(ttl.value == .uint(64))
        #expect(ttl.range == 8..<9)
        #expect(d.strings(of: "ip.ttl")?.explanation.isEmpty == false)
        #expect(d.field("ip.src")?.value == .ipv4(IPv4Address(192, 0, 2, 2)))
        #expect(d.field("ip.checksum.status")?.value == .uint(ChecksumStatus.good.rawValue))
    }

    @Test func reportsBadHeaderChecksumWithTheRightValue() throws {
        var bad = syn
        bad[10] = 0x12
        bad[11] = 0x34
        let d = Dissector.dissect(bad, linkType: .raw)
        #expect(d.field("ip.checksum.status")?.value == .uint(ChecksumStatus.bad.rawValue))
        #expect(d.field("ip.checksum_calculated")?.value == .uint(0x00c4))
    }

    @Test func emitsTheSameHeaderIntoAPrefilledBuffer() throws {
        let header = try #require(IPv4Header(syn, at: 0))
        let repr = try #require(IPv4Repr(parsing: header))
        var b = Bytes(repeating: 0xA5, count: 20)
        repr.emit(into: &b, at: 0, payloadLength: 24)
        #expect(b == Array(syn[0..<20]))
    }

    @Test func emitsADeliberatelyWrongChecksum() {
        let repr = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(192, 0, 2, 1), proto: .udp)
        var b = Bytes(repeating: 0xA5, count: 20)
        repr.emit(into: &b, at: 0, payloadLength: 0, checksum: .value(0xbeef))
        #expect(b.be16(10) == 0xbeef)
        #expect(Dissector.dissect(b, linkType: .raw).field("ip.checksum.status")?.value == .uint(0))
    }

    @Test func everyTruncatedPrefixKeepsWhatDecodedAndSaysWhy() {
        for n in 0..<syn.count {
            let d = Dissector.dissect(Array(syn[0..<n]), linkType: .raw)
            #expect(d.malformed != nil, "prefix of \(n) bytes should be reported as malformed")
            if n >= 20 { #expect(d.layers.first?.name == "ip") }
            _ = Summary.string(Array(syn[0..<n]), linkType: .raw)
        }
    }

    @Test func aCaptureCutAtASnapLengthIsNotTheSendersFault() {
        let cut = Array(syn[0..<30])
        let d = Dissector.dissect(cut, linkType: .raw, wireLength: syn.count)
        #expect(d.malformed == nil)
        #expect(d.cutByCapture)
        #expect(d.layer("ip") != nil)
        // Without the wire length the same bytes are a packet that lies about its length.
        #expect(Dissector.dissect(cut, linkType: .raw).malformed != nil)
    }

    @Test func headerLengthBelowFiveIsMalformedNotATrap() {
        var bad = syn
        bad[0] = 0x43
        let d = Dissector.dissect(bad, linkType: .raw)
        #expect(d.malformed?.message == "IPv4 header length 12 is less than 20")
        #expect(Summary.string(bad, linkType: .raw) == "IP bad-hlen 12")
    }
}

@Suite struct AddressTextTests {
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"), ("fe80:0:0:0:1:2:3:4", "fe80::1:2:3:4"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("ff02::1:ff00:2", "ff02::1:ff00:2"), ("::", "::"), ("::1", "::1"), ("1::", "1::"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"), ("2001:0:0:1::1", "2001:0:0:1::1"),
    ])
    func ipv6TextIsRFC5952(input: String, expected: String) throws {
        #expect(try #require(IPv6Address(input)).description == expected)
    }

    /// With a loose source route, UDP's checksum covers the route's last address, the final
    /// destination (RFC 1122 4.2.2.7), as tcpdump and tshark verify it. The tree and JSON name
    /// them as Wireshark does (ip.dst the last address, ip.cur_rt the header's); the text keeps
    /// the header's destination, as tcpdump prints it.
    @Test func aSourceRoutesFinalDestinationIsWhatTheChecksumCovers() {
        // scapy: IP(src="192.0.2.2", dst="198.51.100.1", options=[IPOption_LSRR(routers=["198.51.100.1",
        // "203.0.113.9"])]) / UDP(sport=40000, dport=9) / b"hello"
        let b: Bytes = [0x48, 0x00, 0x00, 0x2d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xc5, 0x16, 0xc0, 0x00, 0x02, 0x02,
                        0xc6, 0x33, 0x64, 0x01, 0x83, 0x0b, 0x04, 0xc6, 0x33, 0x64, 0x01, 0xcb, 0x00, 0x71, 0x09, 0x00,
                        0x9c, 0x40, 0x00, 0x09, 0x00, 0x0d, 0x21, 0xac, 0x68, 0x65, 0x6c, 0x6c, 0x6f]
        #expect(IPv4Header(b, at: 0)?.finalDestination == IPv4Address(203, 0, 113, 9))
        let d = Dissector.dissect(b, linkType: .raw)
        #expect(d.field("udp.checksum.status")?.value == .uint(1))
        #expect(d.field("ip.dst")?.value == .ipv4(IPv4Address(203, 0, 113, 9)))
        #expect(d.field("ip.cur_rt")?.value == .ipv4(IPv4Address(198, 51, 100, 1)))
        #expect(d.field("ip.src_rt")?.value == .ipv4(IPv4Address(198, 51, 100, 1)) && d.field("ip.opt.ptr")?.value == .uint(4))
        #expect(d.layers.first?.title == "Internet Protocol Version 4, Src: 192.0.2.2, Dst: 203.0.113.9, Via: 198.51.100.1")
        var w = TextWriter()
        Summary.write(b, linkType: .raw, into: &w)
        #expect(w.string == "IP 192.0.2.2.40000 > 198.51.100.1.9: UDP, length 5")
    }

    @Test func rejectsMalformedAddresses() {
        #expect(IPv6Address("1:2:3") == nil)
        #expect(IPv6Address("1::2::3") == nil)
        #expect(IPv4Address("1.2.3") == nil)
        #expect(IPv4Address("1.2.3.256") == nil)
    }

    /// A raw-IP capture (tcpdump's ipN_print) names a version other than 4 and 6 "unknown ip N";
    /// under an EtherType the printer that type names checks the version itself.
    @Test func aVersionThatIsNeither4Nor6PrintsAsTcpdump() {
        let syn = TestVectors.referenceSYN
        var v5 = syn
        v5[0] = 0x55
        #expect(Summary.string(v5, linkType: .raw) == "unknown ip 5")
        #expect(Summary.string([0x05], linkType: .raw) == "unknown ip 0")
        #expect(Dissector.dissect(v5, linkType: .raw).malformed?.message == "IP version 5 is neither 4 nor 6")
        let ethernet: Bytes = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1]
        #expect(Summary.string(ethernet + [0x08, 0x00] + v5, linkType: .ethernet) == "IP5 (invalid)")
        let v6 = IPv6Tests.echo
        #expect(Summary.string(ethernet + [0x08, 0x00] + v6, linkType: .ethernet) == "IP6, wrong link-layer encapsulation (invalid)")
        #expect(Summary.string(ethernet + [0x86, 0xdd] + syn, linkType: .ethernet) == "IP6 version error: 4 != 6")
    }
}
