import Testing
@testable import Wire

@Suite struct UDPTests {
    /// tcpdump -nn: IP 192.0.2.2.40000 > 192.0.2.1.40001: UDP, length 5
    ///     0x0000:  4500 0021 0001 0000 4011 f6c7 c000 0202  E..!....@.......
    ///     0x0010:  c000 0201 9c40 9c41 000d ff7b 6865 6c6c  .....@.A...{hell
    ///     0x0020:  6f                                       o
    static let hello: Bytes = [
        0x45, 0x00, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xf6, 0xc7, 0xc0, 0x00, 0x02, 0x02,
        0xc0, 0x00, 0x02, 0x01, 0x9c, 0x40, 0x9c, 0x41, 0x00, 0x0d, 0xff, 0x7b, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ]
    static let line = "IP 192.0.2.2.40000 > 192.0.2.1.40001: UDP, length 5"

    @Test func parsesAndSummarisesAsTcpdump() throws {
        let h = try #require(UDPHeader(Self.hello, at: 20))
        #expect(h.sourcePort == 40000 && h.destinationPort == 40001 && h.length == 13)
        #expect(Summary.string(Self.hello, linkType: .raw) == Self.line)
        let d = Dissector.dissect(Self.hello, linkType: .raw)
        #expect(d.field("udp.checksum.status")?.value == .uint(1))
        #expect(d.field("udp.length")?.range == 24..<26)
        #expect(d.layer("data")?.range == 28..<33)
        #expect(d.malformed == nil)
    }

    @Test func buildsTheSameBytesIntoAPrefilledBuffer() {
        var ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(192, 0, 2, 1), proto: .udp)
        ip.identification = 1
        let udp = UDPRepr(sourcePort: 40000, destinationPort: 40001)
        #expect(PacketBuilder.build(ip: .v4(ip), transport: udp, payload: Array("hello".utf8)) == Self.hello)
        var b = Bytes(repeating: 0xA5, count: 13)
        b.replaceSubrange(8..<13, with: Array("hello".utf8))
        udp.emit(into: &b, at: 0, payloadLength: 5, pseudo: ip.pseudoHeader, checksum: .correct)
        #expect(b == Array(Self.hello[20...]))
    }

    @Test func wrongChecksumIsReportedWithTheRightValue() {
        let ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(192, 0, 2, 1), proto: .udp)
        let bad = PacketBuilder.build(ip: .v4(ip), transport: UDPRepr(sourcePort: 40000, destinationPort: 40001),
                                      payload: Array("hello".utf8), checksum: .value(0x1234))
        let d = Dissector.dissect(bad, linkType: .raw)
        #expect(d.field("udp.checksum.status")?.value == .uint(0))
        #expect(d.field("udp.checksum_calculated")?.value == .uint(0xff7b))
    }

    @Test func zeroChecksumOverIPv4IsNotPresent() {
        var b = Self.hello
        b[26] = 0
        b[27] = 0
        #expect(Dissector.dissect(b, linkType: .raw).field("udp.checksum.status")?.value == .uint(3))
    }

    @Test func lengthFieldsThatLieAreMalformedAndPrintAsTcpdump() {
        var big = Self.hello
        big[25] = 200
        #expect(Dissector.dissect(big, linkType: .raw).malformed?.message == "UDP length says 200 bytes, 13 left")
        #expect(Summary.string(big, linkType: .raw) == "IP 192.0.2.2.40000 > 192.0.2.1.40001: UDP, bad length 192 > 5")
        var small = Self.hello
        small[25] = 4
        #expect(Dissector.dissect(small, linkType: .raw).malformed?.message == "UDP length 4 is less than its 8-byte header")
        #expect(Summary.string(small, linkType: .raw) == "IP 192.0.2.2.40000 > 192.0.2.1.40001: truncated-udplength 4")
    }

    @Test func everyTruncatedPrefixDecodesWithoutTrapping() {
        for n in 0..<Self.hello.count {
            let d = Dissector.dissect(Array(Self.hello[0..<n]), linkType: .raw)
            #expect(d.malformed != nil)
            _ = Summary.string(Array(Self.hello[0..<n]), linkType: .raw)
        }
    }
}
