import Testing
import Wire
@testable import Analysis

/// The NAT matcher on the lab's picture: tunscope (192.0.2.2) behind tun0 (index 2), the
/// router masquerading out of veth-out (index 3) as 198.51.100.1, the server 198.51.100.80.
/// Copies are built with Wire's builder (so checksums are right), put under an SLL2 header.
struct NATMatcherTests {
    static let inside = IPv4Address(0xc000_0202)      // 192.0.2.2
    static let outside = IPv4Address(0xc633_6401)     // 198.51.100.1
    static let server = IPv4Address(0xc633_6450)      // 198.51.100.80
    static let other = IPv4Address(0xc633_6451)       // 198.51.100.81
    static let tun: UInt32 = 2, veth: UInt32 = 3
    static let t0: Int64 = 1_700_000_000_000_000

    static func ip(_ s: IPv4Address, _ d: IPv4Address, id: UInt16 = 0x1234, ttl: UInt8 = 64) -> IPRepr {
        var r = IPv4Repr(source: s, destination: d, proto: .tcp, ttl: ttl)
        r.identification = id
        return .v4(r)
    }

    static func tcp(_ s: IPv4Address, _ sp: UInt16, _ d: IPv4Address, _ dp: UInt16, seq: UInt32 = 4_101_019_787, ack: UInt32 = 0,
                    flags: TCPFlags = .syn, id: UInt16 = 0x1234, ttl: UInt8 = 64, payload: Bytes = []) -> Bytes {
        PacketBuilder.build(ip: ip(s, d, id: id, ttl: ttl),
                            transport: TCPRepr(sourcePort: sp, destinationPort: dp, sequenceNumber: seq, acknowledgmentNumber: ack,
                                               flags: flags, options: flags.contains(.syn) ? [.mss(1460)] : []),
                            payload: payload)
    }

    /// An SLL2 header (protocol IPv4, interface, hatype, packet type) before `packet`.
    static func cooked(_ packet: Bytes, interface: UInt32, outgoing: Bool) -> Bytes {
        var h = Bytes(repeating: 0, count: 20)
        h[0] = 0x08
        for i in 0..<4 { h[4 + i] = UInt8(truncatingIfNeeded: interface >> (24 - 8 * i)) }
        h[8] = interface == tun ? 0xff : 0x00
        h[9] = interface == tun ? 0xfe : 0x01
        h[10] = outgoing ? 4 : 0
        return h + packet
    }

    static func candidate(_ n: Int, _ packet: Bytes, on interface: UInt32, outgoing: Bool = false, at t: Int64) -> NATCandidate {
        NATCandidate(number: n, bytes: cooked(packet, interface: interface, outgoing: outgoing), linkType: .linuxSLL2, time: t0 + t)
    }

    static func field(_ r: NATRewrite?, _ name: String) -> String? {
        r?.changes.first { $0.name == name }.map(\.description)
    }

    @Test func theSYNLeavingAsTheRoutersAddressIsTheTunsSYNWithItsSourceRewritten() throws {
        let syn = Self.tcp(Self.inside, 30732, Self.server, 80)
        let natted = Self.tcp(Self.outside, 40123, Self.server, 80, ttl: 63)
        let a = Self.candidate(12, syn, on: Self.tun, at: 0)
        let b = Self.candidate(13, natted, on: Self.veth, outgoing: true, at: 40)
        let r = try #require(NATMatcher.rewrite(of: b, among: [a, b]))
        #expect(r.counterpart == 12 && r.counterpartInterface == Self.tun && r.isRewritten && r.rewroteSource)
        #expect(r.changes.map(\.name) == ["ip.src", "tcp.srcport", "ip.ttl", "ip.checksum", "tcp.checksum"])
        #expect(Self.field(r, "ip.src") == "ip.src 192.0.2.2 → 198.51.100.1")
        #expect(Self.field(r, "tcp.srcport") == "tcp.srcport 30732 → 40123")
        #expect(Self.field(r, "ip.ttl") == "ip.ttl 64 → 63")
        let ipSum = String(syn.be16(10), radix: 16), natSum = String(natted.be16(10), radix: 16)
        #expect(Self.field(r, "ip.checksum")?.hasPrefix("ip.checksum 0x") == true
                    && Self.field(r, "ip.checksum")!.hasSuffix(natSum) && Self.field(r, "ip.checksum")!.contains(ipSum))
        // The ranges point into the shown (cooked) packet: the source address after the 20-byte header.
        #expect(r.changes[0].range == 32..<36 && r.changes[1].range == 40..<42)
        // Seen from the tun's copy, the same pair: the counterpart is what NAT made of it.
        let back = try #require(NATMatcher.rewrite(of: a, among: [a, b]))
        #expect(back.counterpart == 13 && !back.isRewritten && back.changes == r.changes)
    }

    @Test func anUnchangedPortIsNotListedAndTheAnswerComingBackHasItsDestinationRewritten() throws {
        let synAck = Self.tcp(Self.server, 80, Self.outside, 30732, seq: 77, ack: 4_101_019_788, flags: [.syn, .ack], id: 0)
        let delivered = Self.tcp(Self.server, 80, Self.inside, 30732, seq: 77, ack: 4_101_019_788, flags: [.syn, .ack], id: 0, ttl: 63)
        var matcher = NATMatcher()
        #expect(matcher.add(Self.candidate(14, synAck, on: Self.veth, at: 100)) == nil)
        let added = matcher.add(Self.candidate(15, delivered, on: Self.tun, outgoing: true, at: 130))
        let r = try #require(added)
        #expect(r.counterpart == 14 && r.isRewritten && !r.rewroteSource)
        #expect(r.changes.map(\.description).first == "ip.dst 198.51.100.1 → 192.0.2.2")
        #expect(!r.changes.contains { $0.name.hasSuffix("port") })
    }

    @Test func copiesAreMatchedByWhatNATKeepsNotByPosition() {
        let syn = Self.tcp(Self.inside, 30732, Self.server, 80)
        func natted(seq: UInt32 = 4_101_019_787, id: UInt16 = 0x1234, to d: IPv4Address = Self.server, dport: UInt16 = 80,
                    payload: Bytes = [], from s: IPv4Address = Self.outside) -> Bytes {
            Self.tcp(s, 40123, d, dport, seq: seq, id: id, ttl: 63, payload: payload)
        }
        let a = Self.candidate(1, syn, on: Self.tun, at: 0)
        // Neighbours that differ in one thing NAT keeps are not the SYN after NAT.
        for (what, packet) in [("seq", natted(seq: 1)), ("IP ID", natted(id: 0x4321)), ("destination", natted(to: Self.other)),
                               ("destination port", natted(dport: 81)), ("payload", natted(payload: [1, 2, 3]))] {
            let b = Self.candidate(2, packet, on: Self.veth, at: 50)
            #expect(NATMatcher.rewrite(of: b, among: [a, b]) == nil, "\(what)")
        }
        // Too far apart in time, or on the same interface, or not rewritten at all (forwarded as it was).
        #expect(NATMatcher.rewrite(of: Self.candidate(2, natted(), on: Self.veth, at: 2_000_000), among: [a]) == nil)
        #expect(NATMatcher.rewrite(of: Self.candidate(2, natted(), on: Self.tun, at: 50), among: [a]) == nil)
        #expect(NATMatcher.rewrite(of: Self.candidate(2, natted(from: Self.inside), on: Self.veth, at: 50), among: [a]) != nil)
        let forwarded = Self.tcp(Self.inside, 30732, Self.server, 80, ttl: 63)
        #expect(NATMatcher.rewrite(of: Self.candidate(2, forwarded, on: Self.veth, at: 50), among: [a]) == nil)
        // Raw IP names no interface: nothing to match.
        let raw = NATCandidate(number: 2, bytes: natted(), linkType: .raw, time: Self.t0 + 50)
        #expect(NATMatcher.rewrite(of: raw, among: [a]) == nil)
    }

    @Test func ofTwoRetransmissionsTheCloserInTimeIsTheCounterpart() throws {
        // A SYN sent twice (same bytes, same IP ID): each copy after NAT pairs with the one just before it.
        let syn = Self.tcp(Self.inside, 30732, Self.server, 80)
        let natted = Self.tcp(Self.outside, 30732, Self.server, 80, ttl: 63)
        var matcher = NATMatcher()
        _ = matcher.add(Self.candidate(1, syn, on: Self.tun, at: 0))
        #expect(matcher.add(Self.candidate(2, natted, on: Self.veth, outgoing: true, at: 30))?.counterpart == 1)
        _ = matcher.add(Self.candidate(3, syn, on: Self.tun, at: 500_000))
        #expect(matcher.add(Self.candidate(4, natted, on: Self.veth, outgoing: true, at: 500_030))?.counterpart == 3)
        let around = [1, 2, 3, 4].map { n in
            Self.candidate(n, n % 2 == 1 ? syn : natted, on: n % 2 == 1 ? Self.tun : Self.veth, at: n <= 2 ? Int64(n - 1) * 30 : 500_000 + Int64(n - 3) * 30)
        }
        #expect(NATMatcher.rewrite(of: around[2], among: around)?.counterpart == 4)
    }

    @Test func anEchoAndItsReplyAndAUDPQueryAreMatchedToo() throws {
        func echo(_ s: IPv4Address, _ d: IPv4Address, id: UInt16, reply: Bool = false, ttl: UInt8 = 64) -> Bytes {
            let m: ICMPv4Repr.Message = reply ? .echoReply(identifier: id, sequence: 1, data: [9, 9, 9])
                : .echoRequest(identifier: id, sequence: 1, data: [9, 9, 9])
            return PacketBuilder.build(ip: .v4(IPv4Repr(source: s, destination: d, proto: .icmp, ttl: ttl)), transport: ICMPv4Repr(m))
        }
        let request = Self.candidate(1, echo(Self.inside, Self.server, id: 7), on: Self.tun, at: 0)
        let out = Self.candidate(2, echo(Self.outside, Self.server, id: 9, ttl: 63), on: Self.veth, outgoing: true, at: 20)
        let r = try #require(NATMatcher.rewrite(of: out, among: [request, out]))
        #expect(r.changes.map(\.description).prefix(2) == ["ip.src 192.0.2.2 → 198.51.100.1", "icmp.ident 7 → 9"])
        #expect(r.changes.contains { $0.name == "icmp.checksum" })
        let reply = Self.candidate(3, echo(Self.server, Self.outside, id: 9, reply: true), on: Self.veth, at: 100)
        let back = Self.candidate(4, echo(Self.server, Self.inside, id: 7, reply: true, ttl: 63), on: Self.tun, outgoing: true, at: 120)
        #expect(NATMatcher.rewrite(of: back, among: [request, out, reply, back])?.counterpart == 3)
        // A request is not its reply.
        #expect(NATMatcher.rewrite(of: reply, among: [request]) == nil)

        let query = PacketBuilder.build(ip: .v4(IPv4Repr(source: Self.inside, destination: Self.server, proto: .udp)),
                                        transport: UDPRepr(sourcePort: 5353, destinationPort: 53), payload: [1, 2, 3, 4])
        let queryOut = PacketBuilder.build(ip: .v4(IPv4Repr(source: Self.outside, destination: Self.server, proto: .udp, ttl: 63)),
                                           transport: UDPRepr(sourcePort: 5353, destinationPort: 53), payload: [1, 2, 3, 4])
        var m = NATMatcher()
        _ = m.add(Self.candidate(5, query, on: Self.tun, at: 0))
        let added = m.add(Self.candidate(6, queryOut, on: Self.veth, outgoing: true, at: 10))
        let u = try #require(added)
        #expect(u.changes.map(\.name) == ["ip.src", "ip.ttl", "ip.checksum", "udp.checksum"])
    }

    @Test func truncatedAndOddPacketsGiveNoMatchAndNoTrap() {
        let syn = Self.cooked(Self.tcp(Self.inside, 30732, Self.server, 80), interface: Self.tun, outgoing: false)
        let natted = Self.cooked(Self.tcp(Self.outside, 40123, Self.server, 80, ttl: 63), interface: Self.veth, outgoing: true)
        var matcher = NATMatcher(depth: 4)
        for cut in 0...syn.count {
            _ = matcher.add(NATCandidate(number: cut, bytes: Bytes(syn.prefix(cut)), linkType: .linuxSLL2, time: Self.t0))
        }
        for cut in 0..<natted.count {
            let c = NATCandidate(number: 1000 + cut, bytes: Bytes(natted.prefix(cut)), linkType: .linuxSLL2, time: Self.t0 + 5)
            #expect(NATMatcher.rewrite(of: c, among: [NATCandidate(number: 1, bytes: syn, linkType: .linuxSLL2, time: Self.t0)]) == nil
                        || cut >= 20 + 40)
        }
    }
}
