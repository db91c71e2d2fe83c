import Testing
@testable import Wire

@Suite struct NTPTests {
    /// tcpdump -nn -S: IP 192.0.2.2.40123 > 198.51.100.123.123: NTPv4, Server, length 48
    ///     0x0000:  4500 004c 0001 0000 4011 8def c000 0202  E..L....@.......
    ///     0x0010:  c633 647b 9cbb 007b 0038 bbf2 2402 06e9  .3d{...{.8..$...
    ///     0x0020:  0000 0326 0000 0bac c000 0209 e875 4700  ...&.........uG.
    ///     0x0030:  8000 0000 e875 4700 4000 0000 e875 4701  .....uG.@....uG.
    ///     0x0040:  8000 0000 e875 4701 c000 0000            ......uG.....
    static let server: Bytes = [
        0x45, 0x00, 0x00, 0x4c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x8d, 0xef, 0xc0, 0x00, 0x02, 0x02,
        0xc6, 0x33, 0x64, 0x7b, 0x9c, 0xbb, 0x00, 0x7b, 0x00, 0x38, 0xbb, 0xf2, 0x24, 0x02, 0x06, 0xe9,
        0x00, 0x00, 0x03, 0x26, 0x00, 0x00, 0x0b, 0xac, 0xc0, 0x00, 0x02, 0x09, 0xe8, 0x75, 0x47, 0x00,
        0x80, 0x00, 0x00, 0x00, 0xe8, 0x75, 0x47, 0x00, 0x40, 0x00, 0x00, 0x00, 0xe8, 0x75, 0x47, 0x01,
        0x80, 0x00, 0x00, 0x00, 0xe8, 0x75, 0x47, 0x01, 0xc0, 0x00, 0x00, 0x00,
    ]
    static let line = "IP 192.0.2.2.40123 > 198.51.100.123.123: NTPv4, Server, length 48"

    static var ip: IPv4Repr {
        var ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(198, 51, 100, 123), proto: .udp)
        ip.identification = 1
        return ip
    }
    static let udp = UDPRepr(sourcePort: 40123, destinationPort: 123)

    @Test func parsesEachField() throws {
        let h = try #require(NTPHeader(Self.server, at: 28))
        #expect(h.leapIndicator == 0 && h.version == 4 && h.mode == 4)
        #expect(h.stratum == 2 && h.poll == 6 && h.precision == -23)
        #expect(h.rootDelay == 0x326 && h.rootDispersion == 0xbac && h.referenceID == 0xc000_0209)
        #expect(h.referenceTime == 0xe875_4700_8000_0000 && h.originTime == 0xe875_4700_4000_0000)
        #expect(h.receiveTime == 0xe875_4701_8000_0000 && h.transmitTime == 0xe875_4701_c000_0000)
        #expect(NTPRepr.parse(Self.server, at: 28)?.stratum == 2)
    }

    @Test func summarisesAsTcpdump() {
        #expect(Summary.string(Self.server, linkType: .raw) == Self.line)
        // tcpdump reads only the first byte: a short packet gets the same line with its length.
        let short = PacketBuilder.build(ip: .v4(Self.ip), transport: UDPRepr(sourcePort: 123, destinationPort: 123),
                                        payload: [0xe1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd])
        #expect(Summary.string(short, linkType: .raw) == "IP 192.0.2.2.123 > 198.51.100.123.123: NTPv4, symmetric active, length 12")
        let control = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: [0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(Summary.string(control, linkType: .raw) == "IP 192.0.2.2.40123 > 198.51.100.123.123: NTPv2, Control Message, length 12")
        let empty = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: [])
        #expect(Summary.string(empty, linkType: .raw) == "IP 192.0.2.2.40123 > 198.51.100.123.123:  [|ntp]")
    }

    @Test func dissectsAsTshark() {
        let d = Dissector.dissect(Self.server, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.layer("ntp")?.title == "Network Time Protocol (NTP Version 4, server)")
        #expect(d.field("ntp.precision")?.range == 31..<32)
        let json = Formatted.json(Self.server)
        for pair in ["\"ntp.flags\":36", "\"ntp.precision\":233", "\"ntp.rootdelay\":806", "\"ntp.rootdispersion\":2988",
                     "\"ntp.refid\":\"c0:00:02:09\"", "\"ntp.reftime\":\"Aug  2, 2023 21:20:00.500000000 UTC\"",
                     "\"ntp.xmt\":\"Aug  2, 2023 21:20:01.750000000 UTC\""] {
            #expect(json.contains(pair), "\(pair) in \(json)")
        }
        let tree = Formatted.tree(Self.server)
        for line in ["    Peer Clock Precision: 0.000000 seconds", "    Root Delay: 0.012299 seconds", "    Reference ID: 192.0.2.9",
                     "    Peer Polling Interval: 6 (64 seconds)", "        ..10 0... = Version number: NTP Version 4 (4)",
                     "        .... .100 = Mode: server (4)"] {
            #expect(tree.contains(line + "\n"), "\(line) in \(tree)")
        }
    }

    @Test func emitsTheSameBytesIntoAPrefilledBuffer() throws {
        let repr = try #require(NTPRepr.parse(Self.server, at: 28))
        var b = Bytes(repeating: 0xA5, count: repr.bufferLength)
        repr.emit(into: &b, at: 0)
        #expect(b == Array(Self.server[28...]))
        #expect(PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: b) == Self.server)
    }

    @Test func everyTruncatedPrefixDecodesCleanly() {
        let payload = Array(Self.server[28...])
        for n in 1..<payload.count {
            let p = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: Array(payload[0..<n]))
            let d = Dissector.dissect(p, linkType: .raw)
            #expect(d.layer("ntp") != nil && d.malformed != nil, "prefix \(n)")
            #expect(Summary.string(p, linkType: .raw) == "IP 192.0.2.2.40123 > 198.51.100.123.123: NTPv4, Server, length \(n)")
            _ = Formatted.json(p)
            _ = Formatted.tree(p)
        }
        for n in 0..<Self.server.count {
            let cut = Array(Self.server[0..<n])
            #expect(Dissector.dissect(cut, linkType: .raw).malformed != nil)
            _ = Summary.string(cut, linkType: .raw)
        }
    }

    @Test func timestampsReadAsWiresharkDoes() {
        #expect(NTP.timestampText(0) == "NULL")
        #expect(NTP.timestampText(UInt64(2_208_988_800) << 32) == "Jan  1, 1970 00:00:00.000000000 UTC")
        // A clear top bit is era 1: 2036 onwards.
        #expect(NTP.timestampText(UInt64(1) << 32) == "Feb  7, 2036 06:28:17.000000000 UTC")
    }
}

/// The JSON line and the tree of one raw IP packet, as `print` writes them.
enum Formatted {
    static func json(_ b: Bytes) -> String {
        var w = TextWriter()
        JSONFormatter.write(Dissector.dissect(b, linkType: .raw, describing: false), frame: frame(b), bytes: b, into: &w)
        return w.string
    }

    static func tree(_ b: Bytes) -> String {
        var w = TextWriter()
        TreeFormatter.write(Dissector.dissect(b, linkType: .raw), frame: frame(b), bytes: b, into: &w)
        return w.string
    }

    static func frame(_ b: Bytes) -> FrameInfo { FrameInfo(number: 1, seconds: 0, microseconds: 0, originalLength: b.count) }
}
