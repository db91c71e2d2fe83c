import Testing
import Verdicts

/// Drops tied to packets by their bytes, whichever comes first, in bounded tables.
struct DropMatcherTests {
    /// The exercise's reference SYN (tcpdump: IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S],
    /// seq 4101019787, win 65535, options [mss 1460], length 0), with IP id `id`.
    static func syn(id: UInt8 = 1, seq: UInt8 = 0x8b) -> [UInt8] {
        [0x45, 0x00, 0x00, 0x2c, 0x00, id, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
         0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, seq, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00,
         0x02, 0x04, 0x05, 0xb4]
    }

    static func drop(_ header: [UInt8], reason: String = "TCP_CSUM", at time: Int = 10) -> DropEvent {
        DropEvent(reasonCode: 10, reason: reason, location: "tcp_v4_rcv", seconds: time, microseconds: 0, netnsInode: 1,
                  ifindex: 2, device: "tun0", ethertype: 0x0800, header: header)
    }

    @Test func aDropThatCameFirstWaitsForItsPacket() {
        var m = DropMatcher()
        #expect(m.add([Self.drop(Self.syn(id: 7))]).isEmpty)
        #expect(m.verdict(for: Self.syn(id: 6), at: 0, number: 1) == nil)
        // The same SYN behind a 4-byte link header, TTL and checksum changed: still the same packet.
        var forwarded = [0, 0, 8, 0] + Self.syn(id: 7)
        forwarded[4 + 8] = 63
        forwarded[4 + 10] = 0x12
        #expect(m.verdict(for: forwarded, at: 4, number: 2)?.reason == "TCP_CSUM")
        #expect(m.waitingDrops == 0)
        #expect(m.expired(upTo: .max).isEmpty)
    }

    @Test func aDropOfAnEarlierPacketNamesItsNumberAndOneNeverCapturedNone() {
        var m = DropMatcher()
        #expect(m.verdict(for: Self.syn(id: 1), at: 0, number: 5) == nil)
        _ = m.add([Self.drop(Self.syn(id: 1), at: 10), Self.drop(Self.syn(id: 2), reason: "NO_SOCKET", at: 11)])
        // Not before their time.
        #expect(m.expired(upTo: 9_000_000).isEmpty)
        let out = m.expired(upTo: 11_000_000)
        #expect(out.map(\.drop.reason) == ["TCP_CSUM", "NO_SOCKET"])
        #expect(out.map(\.packet) == [5, nil])
        #expect(m.waitingDrops == 0)
    }

    @Test func theSameBytesTwiceMatchInTurn() {
        var m = DropMatcher()
        _ = m.add([Self.drop(Self.syn(), reason: "A"), Self.drop(Self.syn(), reason: "B")])
        #expect(m.verdict(for: Self.syn(), at: 0, number: 1)?.reason == "A")
        #expect(m.verdict(for: Self.syn(), at: 0, number: 2)?.reason == "B")
        #expect(m.verdict(for: Self.syn(), at: 0, number: 3) == nil)
        // A different sequence number is a different packet.
        _ = m.add([Self.drop(Self.syn(seq: 0x8c))])
        #expect(m.verdict(for: Self.syn(), at: 0, number: 4) == nil)
        #expect(m.waitingDrops == 1)
    }

    @Test func waitingIsBoundedAndWhatIsPushedOutIsHandedBack() {
        var m = DropMatcher(recentPackets: 4, waitingLimit: 3)
        let pushed = m.add((1...5).map { Self.drop(Self.syn(id: UInt8($0))) })
        #expect(pushed.count == 2 && m.waitingDrops == 3)
        // A drop without an IP header matches nothing and still comes out.
        _ = m.add([Self.drop([0x60])])
        #expect(m.expired(upTo: .max).count == 3)
        // Only the last four packets are remembered.
        for n in 1...6 { _ = m.verdict(for: Self.syn(id: UInt8(n)), at: 0, number: n) }
        _ = m.add([Self.drop(Self.syn(id: 1)), Self.drop(Self.syn(id: 6))])
        #expect(m.expired(upTo: .max).map(\.packet) == [nil, 6])
    }

    @Test func keysReadIPv6AndICMP() {
        // IPv6 TCP from 2001:db8::1 to 2001:db8::2; the same with another flow label differs.
        var v6: [UInt8] = [0x60, 0x01, 0x23, 0x45, 0x00, 0x14, 0x06, 0x40] + [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        v6 += [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [2]
        v6 += [0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]
        var other = v6
        other[3] = 0x46
        #expect(PacketKey(v6, at: 0) != nil && PacketKey(v6, at: 0) == PacketKey(v6, at: 0) && PacketKey(v6, at: 0) != PacketKey(other, at: 0))
        // ICMP echo requests differ by their sequence number.
        let echo: (UInt8) -> [UInt8] = { s in
            [0x45, 0, 0, 28, 0, 9, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0, s]
        }
        #expect(PacketKey(echo(1), at: 0) != PacketKey(echo(2), at: 0))
        #expect(PacketKey([0x45, 0, 0], at: 0) == nil && PacketKey([0x12] + Self.syn(), at: 0) == nil)
    }

    @Test func reasonsHaveSentencesAndNamesFallBackToTheNumber() {
        let r = DropReasons(names: [10: "TCP_CSUM"])
        #expect(r.name(10) == "TCP_CSUM" && r.name(0x10003) == "reason 0x10003")
        for name in ["TCP_CSUM", "IP_CSUM", "NO_SOCKET", "NETFILTER_DROP", "IP_RPFILTER", "IP_INNOROUTES", "IP_NOPROTO",
                     "SOCKET_FILTER", "OTHERHOST", "PKT_TOO_SMALL", "TCP_INVALID_SEQUENCE"] {
            #expect(DropReasons.explanation(name) != nil, "\(name)")
        }
        #expect(Self.drop(Self.syn()).verdict == "TCP_CSUM (bad TCP checksum: the kernel drops the segment without an answer) in tcp_v4_rcv")
    }
}
