import Testing
@testable import Wire

/// QUIC long headers on UDP 443, as tshark shows them without keys.
@Suite struct QUICTests {
    static func datagram(_ payload: Bytes, from source: UInt16 = 50000, to destination: UInt16 = QUIC.port) -> Bytes {
        let ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(198, 51, 100, 80), proto: .udp)
        return PacketBuilder.build(ip: .v4(ip), transport: UDPRepr(sourcePort: source, destinationPort: destination), payload: payload)
    }

    /// A client's first Initial: version 1, an 8-byte destination and 5-byte source connection
    /// ID, no token, length 1024 (0x4400), then 1024 protected bytes.
    /// tcpdump -nn (4.99.3 decodes QUIC only with -T quic): IP 192.0.2.2.50000 > 198.51.100.80.443: UDP, length 1047
    static let initial: Bytes = [0xc3, 0, 0, 0, 1, 8] + Array(0..<8) + [5] + Array(10..<15) + [0, 0x44, 0x00]
        + (0..<1024).map { UInt8($0 & 0xff) }

    func values(_ d: Dissection, _ name: String) -> [FieldValue] {
        d.layers.flatMap { $0.fields.filter { $0.isNamed(name) }.map(\.value) }
    }

    @Test func initialFields() {
        let p = Self.datagram(Self.initial)
        #expect(Summary.string(p, linkType: .raw) == "IP 192.0.2.2.50000 > 198.51.100.80.443: UDP, length 1047")
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.field("quic.packet_length")?.value == .uint(1047))
        #expect(d.field("quic.header_form")?.value == .uint(1))
        #expect(d.field("quic.fixed_bit")?.value == .bool(true))
        #expect(d.field("quic.long.packet_type")?.value == .uint(0))
        #expect(d.field("quic.version")?.value == .uint(1))
        #expect(d.field("quic.dcil")?.value == .uint(8))
        #expect(d.field("quic.dcid")?.range == 28 + 6..<28 + 14)
        #expect(d.field("quic.scil")?.value == .uint(5))
        #expect(d.field("quic.scid")?.range.count == 5)
        #expect(d.field("quic.token_length")?.value == .uint(0))
        #expect(d.field("quic.token") == nil)
        #expect(d.field("quic.length")?.value == .uint(1024))
        #expect(d.field("quic.remaining_payload")?.range.count == 1024)
        #expect(d.layer("data") == nil)
    }

    @Test func handshakeTokenAndVersionNegotiation() {
        let withToken: Bytes = [0xc1, 0, 0, 0, 1, 2, 9, 9, 0, 5] + Array("token".utf8) + [0x40, 0x04, 1, 2, 3, 4]
        let d = Dissector.dissect(Self.datagram(withToken), linkType: .raw)
        #expect(d.field("quic.scil")?.value == .uint(0) && d.field("quic.scid") == nil)
        #expect(d.field("quic.token_length")?.value == .uint(5))
        #expect(d.field("quic.token")?.range.count == 5)
        #expect(d.field("quic.length")?.value == .uint(4))
        let handshake: Bytes = [0xe1, 0, 0, 0, 1, 0, 0, 0x10] + Bytes(repeating: 0, count: 16)
        let h = Dissector.dissect(Self.datagram(handshake), linkType: .raw)
        #expect(h.field("quic.long.packet_type")?.value == .uint(2))
        #expect(h.field("quic.token_length") == nil)
        #expect(h.field("quic.length")?.value == .uint(16))
        let vn: Bytes = [0xc0, 0, 0, 0, 0, 1, 7, 1, 8, 0, 0, 0, 1, 0xff, 0, 0, 0x1d]
        let v = Dissector.dissect(Self.datagram(vn), linkType: .raw)
        #expect(values(v, "quic.supported_version") == [.uint(1), .uint(0xff00_001d)])
        #expect(v.field("quic.long.packet_type") == nil)
    }

    /// QUIC version 2 numbers the long types one on (RFC 9369): its Initial, type bits 1, has a
    /// token. A Retry ends with a 16-byte integrity tag, or is malformed without room for one.
    /// Bytes after the Length's end are not this packet's (tshark's Packet Length stops there).
    @Test func versionTwoRetryAndPacketLength() {
        let v2Initial: Bytes = [0xd0, 0x6b, 0x33, 0x43, 0xcf, 1, 7, 0, 2, 0xaa, 0xbb, 3, 1, 2, 3] + Bytes(repeating: 9, count: 10)
        let d = Dissector.dissect(Self.datagram(v2Initial), linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.field("quic.long.packet_type_v2")?.value == .uint(1) && d.field("quic.long.packet_type") == nil)
        #expect(d.field("quic.token")?.range.count == 2)
        #expect(d.field("quic.length")?.value == .uint(3))
        #expect(d.field("quic.packet_length")?.value == .uint(15))
        let v2Retry: Bytes = [0xc0, 0x6b, 0x33, 0x43, 0xcf, 0, 0, 5, 5, 5] + Bytes(repeating: 7, count: 16)
        let r = Dissector.dissect(Self.datagram(v2Retry), linkType: .raw)
        #expect(r.field("quic.retry_token")?.range.count == 3)
        #expect(r.field("quic.retry_integrity_tag")?.range.count == 16)
        #expect(r.malformed == nil)
        let short: Bytes = [0xf0, 0, 0, 0, 1, 0, 0] + Bytes(repeating: 7, count: 9)
        let s = Dissector.dissect(Self.datagram(short), linkType: .raw)
        #expect(s.field("quic.retry_token")?.range.count == 9 && s.field("quic.retry_integrity_tag") == nil)
        #expect(s.malformed != nil)
    }

    /// A short header has no length for its connection ID: data, as tshark shows it without a
    /// connection; and another port is never QUIC.
    @Test func shortHeaderAndOtherPortsAreData() {
        let d = Dissector.dissect(Self.datagram([0x41] + Bytes(repeating: 0, count: 20)), linkType: .raw)
        #expect(d.layer("quic") == nil && d.layer("data") != nil)
        let other = Dissector.dissect(Self.datagram(Self.initial, to: 4433), linkType: .raw)
        #expect(other.layer("quic") == nil)
    }

    @Test func everyTruncatedPrefixDecodesCleanly() {
        let whole = Self.datagram(Array(Self.initial[..<64]))
        for n in 0...whole.count {
            let d = Dissector.dissect(Array(whole[..<n]), linkType: .raw, wireLength: whole.count)
            for layer in d.layers {
                for f in layer.fields { #expect(f.range.upperBound <= n) }
            }
        }
        // A UDP payload cut inside the header (the datagram itself shorter): fields up to where it stops.
        for k in 1..<30 {
            let d = Dissector.dissect(Self.datagram(Array(Self.initial[..<k])), linkType: .raw)
            #expect(d.field("quic.header_form") != nil)
            #expect((d.field("quic.length") != nil) == (k >= 23))  // 21 header bytes, then a 2-byte length
            if k < 23 { #expect(d.malformed != nil) }
        }
    }
}
