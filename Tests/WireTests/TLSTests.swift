import Testing
@testable import Wire

/// TLS records on TCP 443, checked field by field against what tshark 4.0 prints for the same
/// bytes (see Tests/CrossCheckTests/make_capture.py, which holds these records too).
@Suite struct TLSTests {
    static func segment(_ payload: Bytes, from source: UInt16 = 41000, to destination: UInt16 = TLS.port) -> Bytes {
        let ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(198, 51, 100, 80), proto: .tcp)
        let tcp = TCPRepr(sourcePort: source, destinationPort: destination, sequenceNumber: 1, acknowledgmentNumber: 1, flags: [.psh, .ack])
        return PacketBuilder.build(ip: .v4(ip), transport: tcp, payload: payload)
    }

    static func vec8(_ b: Bytes) -> Bytes { [UInt8(b.count)] + b }
    static func vec16(_ b: Bytes) -> Bytes { [UInt8(b.count >> 8), UInt8(b.count & 0xff)] + b }
    static func ext(_ type: UInt16, _ body: Bytes) -> Bytes { [UInt8(type >> 8), UInt8(type & 0xff)] + vec16(body) }
    static func handshake(_ type: UInt8, _ body: Bytes) -> Bytes { [type, 0, UInt8(body.count >> 8), UInt8(body.count & 0xff)] + body }
    static func record(_ type: UInt8, _ body: Bytes, version: UInt16 = 0x0303) -> Bytes {
        [type, UInt8(version >> 8), UInt8(version & 0xff)] + vec16(body)
    }

    /// A ClientHello in a TLS 1.0 record: SNI www.example.test, ALPN h2 and http/1.1, supported
    /// versions 1.3 and 1.2, groups x25519 and secp256r1, three cipher suites.
    /// tshark: TLSv1 Record Layer: Handshake Protocol: Client Hello; tcpdump prints nothing more
    /// than the TCP line for 443.
    static let clientHello: Bytes = {
        let extensions = ext(0, vec16([0] + vec16(Array("www.example.test".utf8))))
            + ext(16, vec16(vec8(Array("h2".utf8)) + vec8(Array("http/1.1".utf8))))
            + ext(43, vec8([3, 4, 3, 3])) + ext(10, vec16([0, 0x1d, 0, 0x17]))
        let hello: Bytes = [3, 3] + Array(0..<32) + vec8(Array(32..<64)) + vec16([0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f])
            + vec8([0]) + vec16(extensions)
        return record(22, handshake(1, hello), version: 0x0301)
    }()

    /// A ServerHello choosing TLS_AES_128_GCM_SHA256 and TLS 1.3, then change cipher spec and
    /// 40 bytes of application data in the same segment.
    static let serverFlight: Bytes = {
        let hello: Bytes = [3, 3] + Array(100..<132) + vec8([]) + [0x13, 0x01, 0] + vec16(ext(43, [3, 4]))
        return record(22, handshake(2, hello)) + record(20, [1]) + record(23, Array(0..<40))
    }()

    func values(_ d: Dissection, _ name: String) -> [FieldValue] {
        d.layers.flatMap { $0.fields.filter { $0.isNamed(name) }.map(\.value) }
    }

    @Test func clientHelloFields() {
        let p = Self.segment(Self.clientHello)
        // tcpdump prints nothing of TLS: the line ends with the TCP length.
        #expect(Summary.string(p, linkType: .raw)
                == "IP 192.0.2.2.41000 > 198.51.100.80.443: Flags [P.], seq 1:\(Self.clientHello.count + 1), ack 1, win 65535, length \(Self.clientHello.count)")
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.field("tls.record.content_type")?.value == .uint(22))
        #expect(d.field("tls.record.version")?.value == .uint(0x0301))
        #expect(d.field("tls.record.length")?.value == .uint(UInt64(Self.clientHello.count - 5)))
        #expect(d.field("tls.handshake.type")?.value == .uint(1))
        #expect(d.field("tls.handshake.length")?.value == .uint(UInt64(Self.clientHello.count - 9)))
        #expect(d.field("tls.handshake.version")?.value == .uint(0x0303))
        #expect(d.field("tls.handshake.random")?.range.count == 32)
        #expect(d.field("tls.handshake.session_id_length")?.value == .uint(32))
        #expect(values(d, "tls.handshake.ciphersuite") == [.uint(0x1301), .uint(0x1302), .uint(0xc02f)])
        #expect(values(d, "tls.handshake.comp_method") == [.uint(0)])
        #expect(values(d, "tls.handshake.extension.type") == [.uint(0), .uint(16), .uint(43), .uint(10)])
        #expect(d.strings(of: "tls.handshake.extensions_server_name")?.text == "www.example.test")
        let alpn = d.layer("tls")!.fields.filter { $0.isNamed("tls.handshake.extensions_alpn_str") }.map { d.layer("tls")!.strings(of: $0).text }
        #expect(alpn == ["h2", "http/1.1"])
        #expect(values(d, "tls.handshake.extensions.supported_version") == [.uint(0x0304), .uint(0x0303)])
        #expect(values(d, "tls.handshake.extensions_supported_group") == [.uint(0x1d), .uint(0x17)])
        #expect(d.layer("tls")!.title == "Transport Layer Security")
        #expect(TLS.columnName(d.layer("tls")!) == "TLSv1")
    }

    @Test func serverFlightIsTLS13() {
        let d = Dissector.dissect(Self.segment(Self.serverFlight, from: TLS.port, to: 41000), linkType: .raw)
        #expect(d.malformed == nil)
        #expect(values(d, "tls.record.content_type") == [.uint(22), .uint(20)])
        #expect(values(d, "tls.record.opaque_type") == [.uint(23)])
        #expect(d.field("tls.handshake.type")?.value == .uint(2))
        #expect(values(d, "tls.handshake.ciphersuite") == [.uint(0x1301)])
        #expect(d.field("tls.handshake.session_id") == nil)
        #expect(d.field("tls.change_cipher_spec") != nil)
        #expect(d.field("tls.app_data")?.range.count == 40)
        #expect(TLS.columnName(d.layer("tls")!) == "TLSv1.3")
        var w = TextWriter()
        TreeFormatter.write(d, frame: FrameInfo(number: 1, seconds: 0, microseconds: 0, originalLength: 0), bytes: Self.segment(Self.serverFlight, from: TLS.port, to: 41000), into: &w)
        #expect(w.string.contains("    TLSv1.3 Record Layer: Change Cipher Spec Protocol: Change Cipher Spec\n"))
    }

    @Test func alerts() {
        let d = Dissector.dissect(Self.segment(Self.record(21, [2, 40])), linkType: .raw)
        #expect(d.field("tls.alert_message.level")?.value == .uint(2))
        #expect(d.field("tls.alert_message.desc")?.value == .uint(40))
        let encrypted = Dissector.dissect(Self.segment(Self.record(21, Bytes(repeating: 7, count: 26))), linkType: .raw)
        #expect(encrypted.field("tls.alert_message")?.hasValue == false)
        #expect(encrypted.field("tls.alert_message.level") == nil)
    }

    /// A record the segment does not hold whole shows nothing (tshark waits for the next
    /// segment); bytes that do not start a record are data.
    @Test func cutRecordsAndContinuations() {
        let cut = Dissector.dissect(Self.segment(Array(Self.clientHello[..<60])), linkType: .raw)
        #expect(cut.layer("tls")?.fields.isEmpty == true)
        #expect(TLS.columnName(cut.layer("tls")!) == nil)
        let rest = Dissector.dissect(Self.segment(Array(Self.clientHello[60...])), linkType: .raw)
        #expect(rest.layer("tls") == nil)
        #expect(rest.field("data.len")?.value == .uint(UInt64(Self.clientHello.count - 60)))
        // A handshake message longer than its record: only its heading.
        let fragment = Dissector.dissect(Self.segment(Self.record(22, [1, 0, 0, 0x10, 3, 3])), linkType: .raw)
        #expect(fragment.field("tls.handshake") != nil && fragment.field("tls.handshake.type") == nil)
        // Complete records before a cut one are shown.
        let two = Dissector.dissect(Self.segment(Self.record(21, [2, 40]) + [0x17, 3]), linkType: .raw)
        #expect(values(two, "tls.record.content_type") == [.uint(21)])
    }

    /// Every prefix of each payload decodes without trapping, and never shows a field past the bytes.
    @Test func everyTruncatedPrefixDecodesCleanly() {
        for payload in [Self.clientHello, Self.serverFlight, Self.record(21, [2, 40])] {
            let whole = Self.segment(payload)
            for n in 0...whole.count {
                let d = Dissector.dissect(Array(whole[..<n]), linkType: .raw, wireLength: whole.count)
                for layer in d.layers {
                    for f in layer.fields { #expect(f.range.upperBound <= n) }
                }
            }
            // Lengths that lie: every length byte of the hello set to 0xff.
            for i in 0..<payload.count {
                var bad = payload
                bad[i] = 0xff
                let d = Dissector.dissect(Self.segment(bad), linkType: .raw)
                for layer in d.layers {
                    for f in layer.fields { #expect(f.range.upperBound <= whole.count) }
                }
            }
        }
    }
}
