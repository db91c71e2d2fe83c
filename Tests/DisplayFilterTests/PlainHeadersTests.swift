import Testing
import Wire
@testable import DisplayFilter

/// A filter on header fields reads plain packets' headers straight from their bytes; every value
/// so read must be the dissector's, and a packet that is not plain must go to the dissector.
struct PlainHeadersTests {
    static let a4 = IPAddress.v4(IPv4Address(192, 0, 2, 2)), b4 = IPAddress.v4(IPv4Address(198, 51, 100, 7))
    static let a6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 2))
    static let b6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 7))

    /// Packets as they come: TCP with and without options and payload, UDP on decoded ports,
    /// ICMP, over IPv4 and IPv6, with some of their bytes then changed at random.
    static func packets(count: Int, seed: UInt64) -> [Bytes] {
        var rng = SplitMix(seed)
        var out: [Bytes] = []
        for i in 0..<count {
            let v6 = i % 3 == 0
            let (src, dst) = v6 ? (a6, b6) : (a4, b4)
            let payload = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let ports: [UInt16] = [53, 80, 443, 123, 67, 5353, 8080, 40000]
            let port = ports[Int(rng.next() % UInt64(ports.count))]
            var p: Bytes
            switch i % 4 {
            case 0, 1:
                let options: [TCPOption] = i % 8 < 4 ? [] : [.mss(1460), .windowScale(7), .sackPermitted]
                p = PacketBuilder.build(ip: IPRepr(source: src, destination: dst, proto: .tcp)!,
                                        transport: TCPRepr(sourcePort: UInt16(1024 + i), destinationPort: port, sequenceNumber: UInt32(truncatingIfNeeded: rng.next()),
                                                           acknowledgmentNumber: UInt32(truncatingIfNeeded: rng.next()),
                                                           flags: TCPFlags(rawValue: UInt16(truncatingIfNeeded: rng.next())), options: options),
                                        payload: payload)
            case 2:
                p = PacketBuilder.build(ip: IPRepr(source: src, destination: dst, proto: .udp)!,
                                        transport: UDPRepr(sourcePort: UInt16(1024 + i), destinationPort: port), payload: payload)
            default:
                p = PacketBuilder.build(ip: IPRepr(source: src, destination: dst, proto: .tcp)!,
                                        transport: TCPRepr(sourcePort: port, destinationPort: 80, sequenceNumber: 1, flags: .syn), payload: [])
                // ICMP or ICMPv6 by their protocol numbers, an echo (plain) or an error quoting a header (not).
                if v6 {
                    p[6] = 58
                    p[40] = [128, 129, 1, 3][i % 16 / 4]
                } else {
                    p[9] = 1
                    p[20] = [0, 8, 3, 11][i % 16 / 4]
                }
            }
            // A third stay as built; the rest get one to four bytes changed anywhere.
            if i % 3 != 1 {
                for _ in 0..<(1 + Int(rng.next() % 4)) { p[Int(rng.next() % UInt64(p.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            out.append(p)
        }
        return out
    }

    @Test func headersReadAsTheDissectorReadsThem() {
        var plain = 0
        for (i, p) in Self.packets(count: 4000, seed: 7).enumerated() {
            let ethernet: Bytes = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] + (p[0] >> 4 == 6 ? [0x86, 0xdd] : [0x08, 0x00]) + p
            for (bytes, linkType) in [(p, LinkType.raw), (ethernet, .ethernet), (ethernet + [0, 0, 0, 0], .ethernet)] {
                #expect(PlainHeaders.disagreement(bytes, linkType: linkType, wireLength: bytes.count) == nil, "packet \(i), \(linkType)")
                // A cut capture is never plain.
                #expect(bytes.withUnsafeBytes { PlainHeaders($0, linkType: linkType, wireLength: bytes.count + 1) } == nil)
                if bytes.withUnsafeBytes({ PlainHeaders($0, linkType: linkType, wireLength: bytes.count) }) != nil { plain += 1 }
            }
        }
        #expect(plain > 4000, "too few plain packets (\(plain)) for the check to cover the fast path")
    }

    @Test func notPlainWhenTheDissectorMustDecide() {
        let tcp = PacketBuilder.build(ip: IPRepr(source: Self.a4, destination: Self.b4, proto: .tcp)!,
                                      transport: TCPRepr(sourcePort: 1, destinationPort: 2, sequenceNumber: 3, flags: .syn), payload: [])
        func plain(_ p: Bytes) -> Bool { p.withUnsafeBytes { PlainHeaders($0, linkType: .raw, wireLength: p.count) } != nil }
        #expect(plain(tcp))
        var fragment = tcp
        fragment[6] |= 0x20
        #expect(!plain(fragment))
        var options = tcp
        options[0] = 0x46
        #expect(!plain(options + [1, 1, 1, 1]))
        var short = tcp
        short[3] = 60  // says 60 bytes, has 40
        #expect(!plain(short))
        var icmp = tcp
        icmp[9] = 1
        icmp[20] = 3  // unreachable: quotes a header
        #expect(!plain(icmp))
        icmp[20] = 8  // echo request
        #expect(plain(icmp))
    }

    @Test func aHeaderFilterMatchesAsOnTheDissection() throws {
        let filters = ["tcp.flags.syn == 1 && ip.ttl < 64", "tcp.port in {53, 80, 443}", "ip.addr == 198.51.100.0/24", "udp",
                       "ipv6.src == 2001:db8::/32 and udp.port == 53", "frame.len > 100", "tcp.flags & 0x12 == 0x12", "!tcp",
                       "ip.src[0:2] == c0:00", "tcp.len > 0 and tcp.window_size_value > 1000", "all tcp.port > 1000", "ip.dsfield.ecn == 0"]
        for text in filters {
            let filter = try DisplayFilter(text)
            #expect(filter.readsPlainHeaders, "\(text) should read plain headers")
            for p in Self.packets(count: 1000, seed: 11) {
                var d = Dissector.dissect(p, linkType: .raw, describing: false)
                d.layers.insert(FrameInfo(number: 1, seconds: 0, microseconds: 0, originalLength: p.count).layer(capturedLength: p.count, describing: false), at: 0)
                let direct = p.withUnsafeBytes { b in filter.matches(b, linkType: .raw, wireLength: p.count) { (d, p) } }
                #expect(direct == filter.matches(d, bytes: p), "\(text)")
            }
        }
        #expect(try !DisplayFilter("dns.qry.name contains \"a\" or tcp").readsPlainHeaders)
    }
}

/// A small seeded generator, the same numbers on every machine.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
