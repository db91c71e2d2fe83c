import Testing
import Wire
@testable import Analysis

/// The connection tracker on packet sequences built with Wire's builders: handshakes that
/// finish, stall, are refused or never answered, seen from the middle, interleaved, with ports
/// reused, on raw IP, IPv6 and Ethernet, and on bytes that are not TCP at all.
struct TCPConnectionTrackerTests {
    static let client = IPAddress("192.0.2.2")!
    static let server = IPAddress("34.194.149.67")!
    static let t0: Int64 = 1_700_000_000_000_000
    static let second: Int64 = 1_000_000

    /// The reference SYN from DESIGN.md.
    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0
    ///     0x0000:  4500 002c 0001 0000 4006 00c4 c000 0202  E..,....@.......
    ///     0x0010:  22c2 9543 780c 0050 f470 988b 0000 0000  "..Cx..P.p......
    ///     0x0020:  6002 ffff 18c6 0000 0204 05b4            `...........
    static let referenceSYN: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00,
        0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    ]
    static let clientISN: UInt32 = 4_101_019_787
    static let serverISN: UInt32 = 0xffff_fff0  // wraps during the connection

    /// A TCP segment from `from` to `to`, as a raw IP packet.
    static func segment(_ from: (IPAddress, UInt16), _ to: (IPAddress, UInt16), seq: UInt32, ack: UInt32 = 0,
                        _ flags: TCPFlags, payload: Bytes = []) -> Bytes {
        PacketBuilder.build(
            ip: IPRepr(source: from.0, destination: to.0, proto: .tcp)!,
            transport: TCPRepr(sourcePort: from.1, destinationPort: to.1, sequenceNumber: seq, acknowledgmentNumber: ack,
                               flags: flags, options: flags.contains(.syn) ? [.mss(1460)] : []),
            payload: payload)
    }

    static func c2s(_ seq: UInt32, _ ack: UInt32 = 0, _ flags: TCPFlags, payload: Bytes = [], port: UInt16 = 30732) -> Bytes {
        segment((client, port), (server, 80), seq: seq, ack: ack, flags, payload: payload)
    }

    static func s2c(_ seq: UInt32, _ ack: UInt32 = 0, _ flags: TCPFlags, payload: Bytes = [], port: UInt16 = 30732) -> Bytes {
        segment((server, 80), (client, port), seq: seq, ack: ack, flags, payload: payload)
    }

    /// Feeds packets numbered from 1 at the given microsecond offsets from t0.
    static func track(_ packets: [(Bytes, Int64)], linkType: LinkType = .raw,
                      into tracker: inout TCPConnectionTracker) {
        for (p, at) in packets { tracker.observe(p, number: tracker.lastNumber + 1, time: t0 + at) }
    }

    static func tracked(_ packets: [(Bytes, Int64)], linkType: LinkType = .raw) -> TCPConnectionTracker {
        var t = TCPConnectionTracker(linkType: linkType)
        track(packets, into: &t)
        return t
    }

    /// What the ladder shows of each event: "C SYN 0 -", "S SYN-ACK 0 1".
    static func steps(_ c: TCPConnection) -> [String] {
        c.events.map { e in
            "\(e.from == .client ? "C" : "S") \(e.flags.segmentName) \(e.relativeSeq) \(e.relativeAck.map(String.init) ?? "-")"
                + (e.payloadLength > 0 ? " len=\(e.payloadLength)" : "") + (e.retransmission > 0 ? " re#\(e.retransmission)" : "")
        }
    }

    @Test func aWholeConnectionHasWiresharksRelativeNumbersAndEndsClosed() throws {
        let c = Self.clientISN, s = Self.serverISN
        let handshake: [(Bytes, Int64)] = [
            (Self.referenceSYN, 0),
            (Self.s2c(s, c &+ 1, [.syn, .ack]), 52),
            (Self.c2s(c &+ 1, s &+ 1, .ack), 60),
        ]
        var t = Self.tracked(handshake)
        #expect(t.mostRecent?.state == .open)
        #expect(t.mostRecent?.stateDescription == "open")
        Self.track([
            (Self.c2s(c &+ 1, s &+ 1, [.psh, .ack], payload: Array("GET /".utf8)), 100),
            (Self.s2c(s &+ 1, c &+ 6, .ack), 150),
            (Self.s2c(s &+ 1, c &+ 6, [.psh, .ack], payload: Array(repeating: 0x41, count: 40)), 160),
            (Self.c2s(c &+ 6, s &+ 41, [.fin, .ack]), 200),
            (Self.s2c(s &+ 41, c &+ 7, [.fin, .ack]), 250),
            (Self.c2s(c &+ 7, s &+ 42, .ack), 260),
        ], into: &t)
        let conn = try #require(t.mostRecent)
        #expect(t.count == 1)
        #expect(conn.client == TCPEndpoint(Self.client, 30732) && conn.server == TCPEndpoint(Self.server, 80))
        #expect(conn.sawSYN && conn.firstNumber == 1 && conn.lastNumber == 9 && conn.startTime == Self.t0)
        #expect(Self.steps(conn) == [
            "C SYN 0 -", "S SYN-ACK 0 1", "C ACK 1 1", "C PSH-ACK 1 1 len=5", "S ACK 1 6", "S PSH-ACK 1 6 len=40",
            "C FIN-ACK 6 41", "S FIN-ACK 41 7", "C ACK 7 42",
        ])
        #expect(conn.events.map(\.kind) == [.syn, .synAck, .ack, .data, .ack, .data, .fin, .fin, .ack])
        #expect(conn.events[1].seq == s && conn.events[1].ack == c &+ 1, "absolute numbers are kept")
        #expect(conn.events.map(\.number) == Array(1...9))
        #expect(conn.state == .closed && conn.stateDescription == "closed (FIN both ways)")
        #expect(conn.clientBytes == 5 && conn.serverBytes == 40)
    }

    /// Linux retransmits an unacknowledged SYN-ACK after about 1, 3 and 7 seconds.
    @Test func aHalfOpenHandshakeListsEachSynAckRetransmission() throws {
        let c = Self.clientISN, s = Self.serverISN
        let synAck = Self.s2c(s, c &+ 1, [.syn, .ack])
        let t = Self.tracked([
            (Self.referenceSYN, 0), (synAck, 50),
            (synAck, 50 + 1 * Self.second), (synAck, 50 + 3 * Self.second), (synAck, 50 + 7 * Self.second),
        ])
        let conn = try #require(t.mostRecent)
        #expect(Self.steps(conn) == ["C SYN 0 -", "S SYN-ACK 0 1", "S SYN-ACK 0 1 re#1", "S SYN-ACK 0 1 re#2", "S SYN-ACK 0 1 re#3"])
        #expect(conn.events.map { $0.time - conn.startTime } == [0, 50, 1_000_050, 3_000_050, 7_000_050])
        #expect(conn.events.map(\.sinceFirst) == [nil, nil, 1 * Self.second, 3 * Self.second, 7 * Self.second])
        #expect(conn.state == .halfOpen(synAcks: 4))
        #expect(conn.stateDescription == "half open: the client never sent its ACK")
        // One SYN-ACK so far is only waiting.
        let early = Self.tracked([(Self.referenceSYN, 0), (synAck, 50)])
        #expect(early.mostRecent?.stateDescription == "half open: no ACK from the client yet")
    }

    @Test func aResetAnsweringTheSYNIsRefused() throws {
        let t = Self.tracked([(Self.referenceSYN, 0), (Self.s2c(0, Self.clientISN &+ 1, [.rst, .ack]), 40)])
        let conn = try #require(t.mostRecent)
        #expect(Self.steps(conn) == ["C SYN 0 -", "S RST-ACK 1 1"])
        #expect(conn.state == .refused && conn.stateDescription == "refused: the server answered RST")
        // A reset after the handshake is not a refusal.
        let c = Self.clientISN, s = Self.serverISN
        let later = Self.tracked([
            (Self.referenceSYN, 0), (Self.s2c(s, c &+ 1, [.syn, .ack]), 50), (Self.c2s(c &+ 1, s &+ 1, .ack), 60),
            (Self.c2s(c &+ 1, s &+ 1, [.rst, .ack]), 90),
        ])
        #expect(later.mostRecent?.state == .reset(by: .client))
        #expect(later.mostRecent?.stateDescription == "reset by the client")
    }

    @Test func anUnansweredSYNCountsItsRetransmissions() throws {
        let t = Self.tracked([(Self.referenceSYN, 0), (Self.referenceSYN, Self.second), (Self.referenceSYN, 3 * Self.second)])
        let conn = try #require(t.mostRecent)
        #expect(t.count == 1, "the same SYN again is a retransmission, not a new connection")
        #expect(Self.steps(conn) == ["C SYN 0 -", "C SYN 0 - re#1", "C SYN 0 - re#2"])
        #expect(conn.events.map(\.sinceFirst) == [nil, Self.second, 3 * Self.second])
        #expect(conn.state == .noAnswer(syns: 3) && conn.stateDescription == "no answer: SYN sent 3 times")
        #expect(Self.tracked([(Self.referenceSYN, 0)]).mostRecent?.stateDescription == "no answer: SYN sent once")
    }

    @Test func aCaptureStartedMidConnectionSaysSo() throws {
        // The first segment seen is the server's: the client is still the end without port 80.
        let t = Self.tracked([
            (Self.s2c(5000, 9000, [.psh, .ack], payload: [1, 2, 3]), 0),
            (Self.c2s(9000, 5003, .ack), 10),
            (Self.c2s(9000, 5003, [.psh, .ack], payload: [4, 5]), 20),
        ])
        let conn = try #require(t.mostRecent)
        #expect(!conn.sawSYN && conn.client == TCPEndpoint(Self.client, 30732))
        #expect(Self.steps(conn) == ["S PSH-ACK 1 1 len=3", "C ACK 1 4", "C PSH-ACK 1 4 len=2"])
        #expect(conn.state == .open && conn.stateDescription == "seen from the middle: no SYN; open")
        // A SYN on those ports now is a new connection.
        var more = t
        Self.track([(Self.referenceSYN, 30)], into: &more)
        #expect(more.count == 2 && more.mostRecent?.sawSYN == true && more.mostRecent?.firstNumber == 4)
        // Begun with the client's segment: each side counts from one less than its first number seen.
        let fromClient = Self.tracked([
            (Self.c2s(9000, 5000, [.psh, .ack], payload: [1, 2]), 0), (Self.s2c(5000, 9002, .ack), 10),
            (Self.c2s(9002, 5000, [.fin, .ack]), 20),
        ])
        let c = try #require(fromClient.mostRecent)
        #expect(Self.steps(c) == ["C PSH-ACK 1 1 len=2", "S ACK 1 3", "C FIN-ACK 3 1"])
        #expect(c.stateDescription == "seen from the middle: no SYN; closing: FIN from the client only")
    }

    @Test func interleavedConnectionsAreKeptApart() throws {
        let c = Self.clientISN, s = Self.serverISN
        let t = Self.tracked([
            (Self.c2s(c, 0, .syn, port: 40001), 0),
            (Self.c2s(100, 0, .syn, port: 40002), 1),
            (Self.s2c(s, c &+ 1, [.syn, .ack], port: 40001), 2),
            (Self.s2c(700, 101, [.syn, .ack], port: 40002), 3),
            (Self.c2s(101, 701, .ack, port: 40002), 4),
            (Self.s2c(701, 101, [.rst, .ack], port: 40002), 5),
        ])
        #expect(t.count == 2)
        let first = try #require(t.connection(of: Self.c2s(c, 0, .syn, port: 40001), number: 3))
        let second = try #require(t.connection(of: Self.s2c(1, 1, .ack, port: 40002), number: 6))
        #expect(first.id == 1 && second.id == 2)
        #expect(first.events.map(\.number) == [1, 3] && second.events.map(\.number) == [2, 4, 5, 6])
        #expect(first.state == .halfOpen(synAcks: 1))
        #expect(Self.steps(second) == ["C SYN 0 -", "S SYN-ACK 0 1", "C ACK 1 1", "S RST-ACK 1 1"])
        #expect(second.state == .reset(by: .server))
        #expect(t.mostRecent?.id == 2)
        // Non-TCP bytes belong to no connection; the latest active one at a packet is found.
        #expect(t.connection(of: [0x45, 0, 0], number: 3) == nil)
        #expect(t.latest(atOrBefore: 3)?.id == 2 && t.latest(atOrBefore: 1)?.id == 1)
    }

    @Test func portsReusedAfterTheEndStartANewConnection() throws {
        let c = Self.clientISN, s = Self.serverISN
        var t = Self.tracked([
            (Self.referenceSYN, 0), (Self.s2c(s, c &+ 1, [.syn, .ack]), 1), (Self.c2s(c &+ 1, s &+ 1, .ack), 2),
            (Self.c2s(c &+ 1, s &+ 1, [.fin, .ack]), 3), (Self.s2c(s &+ 1, c &+ 2, [.fin, .ack]), 4),
            (Self.c2s(c &+ 2, s &+ 2, .ack), 5),
            // The same ports again, a new initial sequence number.
            (Self.c2s(77, 0, .syn), Self.second), (Self.s2c(88, 78, [.syn, .ack]), Self.second + 1),
        ])
        #expect(t.count == 2)
        let old = try #require(t.connection(of: Self.referenceSYN, number: 6))
        let new = try #require(t.connection(of: Self.referenceSYN, number: 7))
        #expect(old.id == 1 && old.state == .closed && old.lastNumber == 6)
        #expect(new.id == 2 && new.firstNumber == 7 && new.startTime == Self.t0 + Self.second)
        #expect(Self.steps(new) == ["C SYN 0 -", "S SYN-ACK 0 1"])
        // A SYN with another initial sequence number starts one even before the end (Wireshark's
        // "port numbers reused"); the same SYN again does not.
        Self.track([(Self.c2s(77, 0, .syn), 2 * Self.second), (Self.c2s(5555, 0, .syn), 3 * Self.second)], into: &t)
        #expect(t.count == 3 && t.connection(id: 2)?.synCount == 2)
    }

    @Test func ipv6AndEthernetFramesAreFollowedToo() throws {
        let a = IPAddress("2001:db8::2")!, b = IPAddress("2001:db8::1")!
        let v6 = [
            Self.segment((a, 50000), (b, 443), seq: 1000, .syn),
            Self.segment((b, 443), (a, 50000), seq: 2000, ack: 1001, [.syn, .ack]),
            Self.segment((a, 50000), (b, 443), seq: 1001, ack: 2001, .ack),
        ]
        for linkType in [LinkType.raw, .ipv6, .linktypeRaw] {
            let t = Self.tracked(v6.map { ($0, 0) }, linkType: linkType)
            #expect(t.mostRecent?.state == .open, "\(linkType)")
            #expect(t.mostRecent?.client.description == "[2001:db8::2]:50000")
        }
        // Ethernet: one frame with a VLAN tag, one padded to 60 bytes (the padding is no payload).
        func frame(_ ip: Bytes, vlan: Bool = false, padTo: Int = 0) -> Bytes {
            let type = ip[0] >> 4 == 6 ? EtherType.ipv6 : EtherType.ipv4
            var f = Bytes(repeating: 0, count: 14)
            EthernetRepr(destination: MACAddress(0x0200_0000_0001), source: MACAddress(0x0200_0000_0002),
                         etherType: vlan ? EtherType.vlan : type).emit(into: &f, at: 0)
            if vlan { f += [0x00, 0x05, UInt8(type >> 8), UInt8(type & 0xff)] }
            f += ip
            if f.count < padTo { f += Bytes(repeating: 0, count: padTo - f.count) }
            return f
        }
        let c = Self.clientISN, s = Self.serverISN
        let t = Self.tracked([
            (frame(Self.referenceSYN, padTo: 60), 0), (frame(Self.s2c(s, c &+ 1, [.syn, .ack]), vlan: true), 1),
            (frame(Self.c2s(c &+ 1, s &+ 1, .ack), padTo: 60), 2), (frame(v6[0]), 3),
        ], linkType: .ethernet)
        #expect(t.count == 2)
        let conn = try #require(t.connection(of: frame(Self.referenceSYN), number: 3))
        #expect(Self.steps(conn) == ["C SYN 0 -", "S SYN-ACK 0 1", "C ACK 1 1"])
        #expect(conn.state == .open)
        // The same bytes read as raw IP are not IP.
        #expect(Self.tracked([(frame(Self.referenceSYN), 0)]).count == 0)
    }

    /// Only the headers are needed: the payload length comes from the IP header.
    @Test func aPacketCutAfterItsHeadersKeepsItsPayloadLength() {
        let full = Self.c2s(1, 1, [.psh, .ack], payload: Bytes(repeating: 0x61, count: 1000))
        let cut = Array(full.prefix(40))
        #expect(ObservedSegment(cut, linkType: .raw)?.payloadLength == 1000)
    }

    @Test func malformedOrTruncatedSegmentsNeverTrapAndBelongNowhere() {
        let good = Self.c2s(1, 1, [.psh, .ack], payload: [1, 2, 3])
        // Every prefix shorter than IP and TCP's fixed headers gives nothing.
        for n in 0..<40 {
            #expect(ObservedSegment(Array(good.prefix(n)), linkType: .raw) == nil, "\(n) bytes")
            #expect(ObservedSegment(Array(good.prefix(n)), linkType: .ethernet) == nil)
        }
        var t = TCPConnectionTracker(linkType: .raw)
        // A data offset under 5 words, past the IP length, an IP length under its header, a
        // fragment, an IPv6 fragment header, an IPv6 extension header running off the end.
        var shortOffset = good
        shortOffset[32] = 0x40
        var longOffset = good
        longOffset[32] = 0xf0
        var shortIP = good
        shortIP[3] = 10
        var fragment = good
        fragment[6] = 0x20
        let v6 = Self.segment((IPAddress("2001:db8::2")!, 1), (IPAddress("2001:db8::1")!, 2), seq: 1, .syn)
        var v6Fragment = v6
        v6Fragment[6] = 44
        var v6Extension = Array(v6.prefix(42))
        v6Extension[6] = 0  // hop-by-hop, claiming 2 KiB
        v6Extension[41] = 0xff
        for bad in [shortOffset, longOffset, shortIP, fragment, v6Fragment, v6Extension] {
            #expect(ObservedSegment(bad, linkType: .raw) == nil)
            t.observe(bad, number: t.lastNumber + 1, time: 0)
        }
        // Random bytes, deterministic, raw and Ethernet.
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var e = TCPConnectionTracker(linkType: .ethernet)
        for _ in 0..<5000 {
            var bytes = (0..<Int(next() % 120)).map { _ in UInt8(truncatingIfNeeded: next()) }
            if !bytes.isEmpty && next() % 2 == 0 { bytes[0] = 0x45 }
            if bytes.count > 9 && next() % 2 == 0 { bytes[9] = 6 }
            t.observe(bytes, number: t.lastNumber + 1, time: 0)
            e.observe(bytes, number: e.lastNumber + 1, time: 0)
            _ = t.connection(of: bytes, number: t.lastNumber)
        }
        #expect(t.lastNumber == 5006)
    }

    @Test func memoryStaysBoundedInConnectionsAndEvents() throws {
        var t = TCPConnectionTracker(linkType: .raw, maximumConnections: 8, eventsPerConnection: 4)
        for port in UInt16(1000)..<1020 {
            Self.track([(Self.c2s(1, 0, .syn, port: port), 0)], into: &t)
        }
        #expect(t.count <= 8 && t.droppedConnections >= 12)
        #expect(t.mostRecent?.client.port == 1019)
        #expect(t.connection(of: Self.c2s(1, 0, .syn, port: 1000), number: 1) == nil, "the oldest was dropped")

        // A long transfer lists its first events and its end; the rest are counted.
        var long = TCPConnectionTracker(linkType: .raw, maximumConnections: 8, eventsPerConnection: 4)
        var packets: [(Bytes, Int64)] = [(Self.c2s(0, 0, .syn), 0), (Self.s2c(0, 1, [.syn, .ack]), 1), (Self.c2s(1, 1, .ack), 2)]
        for i in 0..<100 {
            packets.append((Self.c2s(1 + UInt32(i) * 10, 1, .ack, payload: Bytes(repeating: 0, count: 10)), Int64(3 + i)))
        }
        packets += [(Self.c2s(1001, 1, [.fin, .ack]), 200), (Self.s2c(1, 1002, [.fin, .ack]), 201)]
        Self.track(packets, into: &long)
        let conn = try #require(long.mostRecent)
        #expect(conn.events.count == 6)
        #expect(conn.events.suffix(2).map(\.kind) == [.fin, .fin])
        #expect(conn.unlistedSegments == 99 && conn.unlistedBytes == 990)
        #expect(conn.state == .closed)
    }

    @Test func dataSentAgainIsARetransmission() throws {
        let t = Self.tracked([
            (Self.c2s(0, 0, .syn), 0), (Self.s2c(0, 1, [.syn, .ack]), 1), (Self.c2s(1, 1, .ack), 2),
            (Self.c2s(1, 1, [.psh, .ack], payload: [1, 2, 3]), 3), (Self.c2s(1, 1, [.psh, .ack], payload: [1, 2, 3]), 4),
        ])
        let conn = try #require(t.mostRecent)
        #expect(conn.events.map(\.retransmission) == [0, 0, 0, 0, 1])
        #expect(conn.events.last?.sinceFirst == nil)
    }
}
