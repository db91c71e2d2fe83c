import Testing
@testable import Wire

/// ICMPv4 packets made with scapy (raw IPv4), each with the line tcpdump 4.99.3 printed for it
/// (`tcpdump -nn -S -X`), the hex dump tcpdump showed, and the bytes.
enum ICMPVectors {
    /// tcpdump -nn -S: IP 192.0.2.2 > 34.194.149.67: ICMP echo request, id 3854, seq 1, length 17
    ///     0x0000:  4500 0025 0001 0000 4001 00d0 c000 0202  E..%....@.......
    ///     0x0010:  22c2 9543 0800 1133 0f0e 0001 7475 6e73  "..C...3....tuns
    ///     0x0020:  636f 7065 21                             cope!
    static let echoRequest: Bytes = [
        0x45, 0x00, 0x00, 0x25, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x00, 0xd0, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x08, 0x00, 0x11, 0x33, 0x0f, 0x0e, 0x00, 0x01, 0x74, 0x75, 0x6e, 0x73,
        0x63, 0x6f, 0x70, 0x65, 0x21,
    ]
    static let echoRequestLine = "IP 192.0.2.2 > 34.194.149.67: ICMP echo request, id 3854, seq 1, length 17"

    /// tcpdump -nn -S: IP 34.194.149.67 > 192.0.2.2: ICMP echo reply, id 3854, seq 1, length 17
    ///     0x0000:  4500 0025 0001 0000 3401 0cd0 22c2 9543  E..%....4..."..C
    ///     0x0010:  c000 0202 0000 1933 0f0e 0001 7475 6e73  .......3....tuns
    ///     0x0020:  636f 7065 21                             cope!
    static let echoReply: Bytes = [
        0x45, 0x00, 0x00, 0x25, 0x00, 0x01, 0x00, 0x00, 0x34, 0x01, 0x0c, 0xd0, 0x22, 0xc2, 0x95, 0x43,
        0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x19, 0x33, 0x0f, 0x0e, 0x00, 0x01, 0x74, 0x75, 0x6e, 0x73,
        0x63, 0x6f, 0x70, 0x65, 0x21,
    ]
    static let echoReplyLine = "IP 34.194.149.67 > 192.0.2.2: ICMP echo reply, id 3854, seq 1, length 17"

    /// tcpdump -nn -S: IP 192.0.2.1 > 192.0.2.2: ICMP 192.0.2.1 udp port 53 unreachable, length 36
    ///     0x0000:  4500 0038 0001 0000 4001 f6c0 c000 0201  E..8....@.......
    ///     0x0010:  c000 0202 0303 c4f1 0000 0000 4500 0021  ............E..!
    ///     0x0020:  0001 0000 4011 f6c7 c000 0202 c000 0201  ....@...........
    ///     0x0030:  9c41 0035 000d 9b87                      .A.5....
    static let udpPortUnreachable: Bytes = [
        0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xc0, 0xc0, 0x00, 0x02, 0x01,
        0xc0, 0x00, 0x02, 0x02, 0x03, 0x03, 0xc4, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x21,
        0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xf6, 0xc7, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,
        0x9c, 0x41, 0x00, 0x35, 0x00, 0x0d, 0x9b, 0x87,
    ]
    static let udpPortUnreachableLine = "IP 192.0.2.1 > 192.0.2.2: ICMP 192.0.2.1 udp port 53 unreachable, length 36"

    /// tcpdump -nn -S: IP 192.0.2.1 > 192.0.2.2: ICMP 192.0.2.1 tcp port 81 unreachable, length 36
    ///     0x0000:  4500 0038 0001 0000 4001 f6c0 c000 0201  E..8....@.......
    ///     0x0010:  c000 0202 0303 f7a2 0000 0000 4500 0028  ............E..(
    ///     0x0020:  0001 0000 4006 f6cb c000 0202 c000 0201  ....@...........
    ///     0x0030:  780c 0051 f470 988b                      x..Q.p..
    static let tcpPortUnreachable: Bytes = [
        0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xc0, 0xc0, 0x00, 0x02, 0x01,
        0xc0, 0x00, 0x02, 0x02, 0x03, 0x03, 0xf7, 0xa2, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28,
        0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0xf6, 0xcb, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,
        0x78, 0x0c, 0x00, 0x51, 0xf4, 0x70, 0x98, 0x8b,
    ]
    static let tcpPortUnreachableLine = "IP 192.0.2.1 > 192.0.2.2: ICMP 192.0.2.1 tcp port 81 unreachable, length 36"

    /// tcpdump -nn -S: IP 192.0.2.1 > 192.0.2.2: ICMP 34.194.149.67 unreachable - need to frag (mtu 1400), length 36
    ///     0x0000:  4500 0038 0001 0000 4001 f6c0 c000 0201  E..8....@.......
    ///     0x0010:  c000 0202 0304 7f27 0000 0578 4500 0028  .......'...xE..(
    ///     0x0020:  0001 4000 4006 c0c7 c000 0202 22c2 9543  ..@.@......."..C
    ///     0x0030:  780c 0050 0000 0000                      x..P....
    static let fragmentationNeeded: Bytes = [
        0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xc0, 0xc0, 0x00, 0x02, 0x01,
        0xc0, 0x00, 0x02, 0x02, 0x03, 0x04, 0x7f, 0x27, 0x00, 0x00, 0x05, 0x78, 0x45, 0x00, 0x00, 0x28,
        0x00, 0x01, 0x40, 0x00, 0x40, 0x06, 0xc0, 0xc7, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x78, 0x0c, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00,
    ]
    static let fragmentationNeededLine = "IP 192.0.2.1 > 192.0.2.2: ICMP 34.194.149.67 unreachable - need to frag (mtu 1400), length 36"

    /// tcpdump -nn -S: IP 192.0.2.1 > 192.0.2.2: ICMP time exceeded in-transit, length 36
    ///     0x0000:  4500 0038 0001 0000 4001 f6c0 c000 0201  E..8....@.......
    ///     0x0010:  c000 0202 0b00 6f41 0000 0000 4500 003c  ......oA....E..<
    ///     0x0020:  0001 0000 0111 3fa9 c000 0202 22c2 9543  ......?....."..C
    ///     0x0030:  9c42 829a 0028 66b9                      .B...(f.
    static let timeExceededQuotingUDP: Bytes = [
        0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xc0, 0xc0, 0x00, 0x02, 0x01,
        0xc0, 0x00, 0x02, 0x02, 0x0b, 0x00, 0x6f, 0x41, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c,
        0x00, 0x01, 0x00, 0x00, 0x01, 0x11, 0x3f, 0xa9, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x9c, 0x42, 0x82, 0x9a, 0x00, 0x28, 0x66, 0xb9,
    ]
    static let timeExceededQuotingUDPLine = "IP 192.0.2.1 > 192.0.2.2: ICMP time exceeded in-transit, length 36"

    /// tcpdump -nn -S: IP 192.0.2.1 > 192.0.2.2: ICMP time exceeded in-transit, length 36
    ///     0x0000:  4500 0038 0001 0000 4001 f6c0 c000 0201  E..8....@.......
    ///     0x0010:  c000 0202 0b00 8695 0000 0000 4500 0024  ............E..$
    ///     0x0020:  0001 0000 0101 3fd1 c000 0202 22c2 9543  ......?....."..C
    ///     0x0030:  0800 6660 0007 0003                      ..f`....
    static let timeExceededQuotingEcho: Bytes = [
        0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xc0, 0xc0, 0x00, 0x02, 0x01,
        0xc0, 0x00, 0x02, 0x02, 0x0b, 0x00, 0x86, 0x95, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x24,
        0x00, 0x01, 0x00, 0x00, 0x01, 0x01, 0x3f, 0xd1, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x08, 0x00, 0x66, 0x60, 0x00, 0x07, 0x00, 0x03,
    ]
    static let timeExceededQuotingEchoLine = "IP 192.0.2.1 > 192.0.2.2: ICMP time exceeded in-transit, length 36"

    /// tcpdump -nn -S: IP 192.0.2.1 > 192.0.2.2: ICMP redirect 34.194.149.67 to host 192.0.2.9, length 36
    ///     0x0000:  4500 0038 0001 0000 4001 f6c0 c000 0201  E..8....@.......
    ///     0x0010:  c000 0202 0501 b316 c000 0209 4500 001c  ............E...
    ///     0x0020:  0001 0000 4011 00c9 c000 0202 22c2 9543  ....@......."..C
    ///     0x0030:  14e9 0035 0008 70b8                      ...5..p.
    static let redirectHost: Bytes = [
        0x45, 0x00, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xc0, 0xc0, 0x00, 0x02, 0x01,
        0xc0, 0x00, 0x02, 0x02, 0x05, 0x01, 0xb3, 0x16, 0xc0, 0x00, 0x02, 0x09, 0x45, 0x00, 0x00, 0x1c,
        0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0xc9, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x14, 0xe9, 0x00, 0x35, 0x00, 0x08, 0x70, 0xb8,
    ]
    static let redirectHostLine = "IP 192.0.2.1 > 192.0.2.2: ICMP redirect 34.194.149.67 to host 192.0.2.9, length 36"

    /// tcpdump -nn -S: IP 34.194.149.67 > 192.0.2.2: ICMP time stamp reply id 5 seq 6: org 01:02:03.004, recv 01:02:03.010, xmit 01:02:03.011, length 20
    ///     0x0000:  4500 0028 0001 0000 4001 00cd 22c2 9543  E..(....@..."..C
    ///     0x0010:  c000 0202 0e00 8449 0005 0006 0038 cefc  .......I.....8..
    ///     0x0020:  0038 cf02 0038 cf03                      .8...8..
    static let timestampReply: Bytes = [
        0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x00, 0xcd, 0x22, 0xc2, 0x95, 0x43,
        0xc0, 0x00, 0x02, 0x02, 0x0e, 0x00, 0x84, 0x49, 0x00, 0x05, 0x00, 0x06, 0x00, 0x38, 0xce, 0xfc,
        0x00, 0x38, 0xcf, 0x02, 0x00, 0x38, 0xcf, 0x03,
    ]
    static let timestampReplyLine = "IP 34.194.149.67 > 192.0.2.2: ICMP time stamp reply id 5 seq 6: org 01:02:03.004, recv 01:02:03.010, xmit 01:02:03.011, length 20"

    /// tcpdump -nn -S: IP 192.0.2.1 > 192.0.2.2: ICMP parameter problem - octet 20, length 40
    ///     0x0000:  4500 003c 0001 0000 4001 f6bc c000 0201  E..<....@.......
    ///     0x0010:  c000 0202 0c00 dffc 1400 0000 4600 002c  ............F..,
    ///     0x0020:  0001 0000 4006 f4c0 c000 0202 22c2 9543  ....@......."..C
    ///     0x0030:  0703 0400 0001 0002 0000 0000            ............
    static let parameterProblem: Bytes = [
        0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xbc, 0xc0, 0x00, 0x02, 0x01,
        0xc0, 0x00, 0x02, 0x02, 0x0c, 0x00, 0xdf, 0xfc, 0x14, 0x00, 0x00, 0x00, 0x46, 0x00, 0x00, 0x2c,
        0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0xf4, 0xc0, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x07, 0x03, 0x04, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
    ]
    static let parameterProblemLine = "IP 192.0.2.1 > 192.0.2.2: ICMP parameter problem - octet 20, length 40"

    /// tcpdump -nn -S: IP 192.0.2.2 > 192.0.2.1: ICMP type-#19, length 10
    ///     0x0000:  4500 001e 0001 0000 4001 f6da c000 0202  E.......@.......
    ///     0x0010:  c000 0201 1300 ebfd 0000 0000 0102       ..............
    static let unknownType: Bytes = [
        0x45, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0xf6, 0xda, 0xc0, 0x00, 0x02, 0x02,
        0xc0, 0x00, 0x02, 0x01, 0x13, 0x00, 0xeb, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,
    ]
    static let unknownTypeLine = "IP 192.0.2.2 > 192.0.2.1: ICMP type-#19, length 10"

    /// A vector, and how many ICMP bytes tcpdump reads before it prints anything (shorter
    /// captures print " [|icmp]"; found with truncated copies of each packet).
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: Bytes
        let line: String
        let bytesTcpdumpReads: Int
        var testDescription: String { name }
        /// What the ICMP printer adds after "a > b: ".
        var icmpText: Substring { line[line.index(line.firstIndex(of: ":")!, offsetBy: 2)...] }
    }

    static let all: [Vector] = [
        Vector(name: "echo request", bytes: echoRequest, line: echoRequestLine, bytesTcpdumpReads: 8),
        Vector(name: "echo reply", bytes: echoReply, line: echoReplyLine, bytesTcpdumpReads: 8),
        Vector(name: "udp port unreachable", bytes: udpPortUnreachable, line: udpPortUnreachableLine, bytesTcpdumpReads: 32),
        Vector(name: "tcp port unreachable", bytes: tcpPortUnreachable, line: tcpPortUnreachableLine, bytesTcpdumpReads: 32),
        Vector(name: "fragmentation needed", bytes: fragmentationNeeded, line: fragmentationNeededLine, bytesTcpdumpReads: 28),
        Vector(name: "time exceeded (udp)", bytes: timeExceededQuotingUDP, line: timeExceededQuotingUDPLine, bytesTcpdumpReads: 28),
        Vector(name: "time exceeded (echo)", bytes: timeExceededQuotingEcho, line: timeExceededQuotingEchoLine, bytesTcpdumpReads: 28),
        Vector(name: "redirect", bytes: redirectHost, line: redirectHostLine, bytesTcpdumpReads: 28),
        Vector(name: "timestamp reply", bytes: timestampReply, line: timestampReplyLine, bytesTcpdumpReads: 20),
        Vector(name: "parameter problem", bytes: parameterProblem, line: parameterProblemLine, bytesTcpdumpReads: 5),
        Vector(name: "unknown type", bytes: unknownType, line: unknownTypeLine, bytesTcpdumpReads: 2),
    ]
}

@Suite struct ICMPv4Tests {
    typealias V = ICMPVectors
    let gateway = IPv4Address(192, 0, 2, 1), peer = IPv4Address(192, 0, 2, 2), server = IPv4Address(34, 194, 149, 67)

    // MARK: the view

    @Test func parsesAnEchoRequest() throws {
        let h = try #require(ICMPv4Header(V.echoRequest, at: 20))
        #expect(h.type == .echoRequest)
        #expect(h.code == 0)
        #expect(h.checksum == 0x1133)
        #expect(h.identifier == 0x0f0e)
        #expect(h.sequence == 1)
        #expect(h.bodyRange == 28..<37)
        #expect(Array(V.echoRequest[h.bodyRange]) == Array("tunscope!".utf8))
        #expect(h.checksumVerifyResult == 0)
        #expect(h.expectedChecksum == 0x1133)
    }

    @Test func parsesErrorsAndTheirQuotedHeader() throws {
        let frag = try #require(ICMPv4Header(V.fragmentationNeeded, at: 20))
        #expect(frag.type == .destinationUnreachable && frag.type.isError)
        #expect(frag.code == ICMPv4Code.fragmentationNeeded)
        #expect(frag.nextHopMTU == 1400)
        let quoted = try #require(IPv4Header(V.fragmentationNeeded, at: frag.bodyRange.lowerBound))
        #expect(quoted.destination == server && quoted.proto == .tcp && quoted.dontFragment)

        let redirect = try #require(ICMPv4Header(V.redirectHost, at: 20))
        #expect(redirect.type == .redirect && redirect.code == ICMPv4Code.redirectHost)
        #expect(redirect.gateway == IPv4Address(192, 0, 2, 9))

        let problem = try #require(ICMPv4Header(V.parameterProblem, at: 20))
        #expect(problem.type == .parameterProblem && problem.pointer == 20 && problem.originalDatagramWords == 0)

        let timestamp = try #require(ICMPv4Header(V.timestampReply, at: 20))
        #expect(timestamp.type == .timestampReply && timestamp.identifier == 5 && timestamp.sequence == 6)
        #expect(timestamp.bodyRange.count == 12)
    }

    @Test func viewNeedsTheWholeEightByteHeader() {
        #expect(ICMPv4Header(V.echoRequest, at: 20, end: 27) == nil)
        #expect(ICMPv4Header(V.echoRequest, at: 20, end: 28) != nil)
        #expect(ICMPv4Header(V.echoRequest, at: 30) == nil)
        #expect(ICMPv4Header(V.echoRequest, at: 20, end: 99) == nil)
    }

    // MARK: the repr: parse, emit, build

    @Test(arguments: V.all) func emitsTheSameMessageIntoAPrefilledBuffer(v: V.Vector) throws {
        let header = try #require(ICMPv4Header(v.bytes, at: 20))
        let repr = try #require(ICMPv4Repr(parsing: header))
        var b = Bytes(repeating: 0xA5, count: v.bytes.count - 20)
        #expect(repr.headerLength == b.count)
        repr.emit(into: &b, at: 0)
        #expect(b == Array(v.bytes[20...]))
    }

    @Test(arguments: V.all) func decodeThenBuildGivesTheSamePacket(v: V.Vector) throws {
        let ipHeader = try #require(IPv4Header(v.bytes, at: 0))
        let icmpHeader = try #require(ICMPv4Header(v.bytes, at: 20))
        let ip = try #require(IPv4Repr(parsing: ipHeader))
        let icmp = try #require(ICMPv4Repr(parsing: icmpHeader))
        #expect(PacketBuilder.build(ip: .v4(ip), transport: icmp) == v.bytes)
    }

    @Test func buildsMessagesFromValues() {
        func ip(_ s: IPv4Address, _ d: IPv4Address, ttl: UInt8 = 64) -> IPRepr {
            var r = IPv4Repr(source: s, destination: d, proto: .icmp, ttl: ttl)
            r.identification = 1  // scapy's default, so the bytes match the vectors
            return .v4(r)
        }
        let echo = ICMPv4Repr(.echoRequest(identifier: 0x0f0e, sequence: 1, data: Array("tunscope!".utf8)))
        #expect(PacketBuilder.build(ip: ip(peer, server), transport: echo) == V.echoRequest)
        let reply = ICMPv4Repr(.echoReply(identifier: 0x0f0e, sequence: 1, data: Array("tunscope!".utf8)))
        #expect(PacketBuilder.build(ip: ip(server, peer, ttl: 52), transport: reply) == V.echoReply)
        let frag = ICMPv4Repr(.destinationUnreachable(code: ICMPv4Code.fragmentationNeeded, nextHopMTU: 1400,
                                                       datagram: Array(V.fragmentationNeeded[28...])))
        #expect(PacketBuilder.build(ip: ip(gateway, peer), transport: frag) == V.fragmentationNeeded)
        let ttl = ICMPv4Repr(.timeExceeded(code: ICMPv4Code.ttlExceededInTransit, datagram: Array(V.timeExceededQuotingUDP[28...])))
        #expect(PacketBuilder.build(ip: ip(gateway, peer), transport: ttl) == V.timeExceededQuotingUDP)
        // The echo data can also come as PacketBuilder's payload: the checksum covers it.
        let header = ICMPv4Repr(.echoRequest(identifier: 0x0f0e, sequence: 1, data: []))
        #expect(PacketBuilder.build(ip: ip(peer, server), transport: header, payload: Array("tunscope!".utf8)) == V.echoRequest)
    }

    @Test func parsingKeepsTheMessageKind() throws {
        func repr(_ b: Bytes) throws -> ICMPv4Repr {
            let header = try #require(ICMPv4Header(b, at: 20))
            return try #require(ICMPv4Repr(parsing: header))
        }
        #expect(try repr(V.echoRequest).message == .echoRequest(identifier: 0x0f0e, sequence: 1, data: Array("tunscope!".utf8)))
        #expect(try repr(V.udpPortUnreachable).message
            == .destinationUnreachable(code: 3, nextHopMTU: 0, datagram: Array(V.udpPortUnreachable[28...])))
        #expect(try repr(V.timeExceededQuotingEcho).message == .timeExceeded(code: 0, datagram: Array(V.timeExceededQuotingEcho[28...])))
        #expect(try repr(V.redirectHost).message
            == .other(type: .redirect, code: 1, restOfHeader: 0xc000_0209, body: Array(V.redirectHost[28...])))
        // Non-zero unused bytes (here an RFC 4884 length) are kept, so re-emitting is exact.
        var rfc4884 = V.udpPortUnreachable
        rfc4884[25] = 7
        #expect(try repr(rfc4884).message
            == .other(type: .destinationUnreachable, code: 3, restOfHeader: 0x0007_0000, body: Array(V.udpPortUnreachable[28...])))
    }

    // MARK: checksums

    @Test func wrongChecksumIsReportedWithTheRightValue() throws {
        for (wrong, data) in [(UInt16(0x1234), "abc"), (0x0000, "abcd"), (0xffff, "tunscope!")] {
            let repr = ICMPv4Repr(.echoRequest(identifier: 1, sequence: 1, data: Array(data.utf8)))
            var ipRepr = IPv4Repr(source: peer, destination: server, proto: .icmp)
            ipRepr.identification = 1
            let good = PacketBuilder.build(ip: .v4(ipRepr), transport: repr)
            let bad = PacketBuilder.build(ip: .v4(ipRepr), transport: repr, checksum: .value(wrong))
            let right = good.be16(22)
            #expect(bad.be16(22) == wrong)
            #expect(try #require(ICMPv4Header(bad, at: 20)).expectedChecksum == right)
            let d = Dissector.dissect(bad, linkType: .raw)
            #expect(d.field("icmp.checksum.status")?.value == .uint(ChecksumStatus.bad.rawValue))
            #expect(d.strings(of: "icmp.checksum")?.note == "[incorrect, should be 0x\(hex(right, 4))]")
            #expect(Dissector.dissect(good, linkType: .raw).field("icmp.checksum.status")?.value == .uint(ChecksumStatus.good.rawValue))
        }
    }

    @Test func checksumIsNotVerifiedInsideAnErrorOrAFragmentOrWhenCutShort() throws {
        // The echo request quoted by "time exceeded" is only 8 bytes of a longer message.
        let quoted = Dissector.dissect(V.timeExceededQuotingEcho, linkType: .raw)
        let statuses = quoted.layers.filter { $0.name == "icmp" }.compactMap { $0.fields.first { $0.isNamed("icmp.checksum.status") }?.value }
        #expect(statuses == [.uint(ChecksumStatus.good.rawValue), .uint(ChecksumStatus.unverified.rawValue)])

        var fragment = V.echoRequest
        fragment[6] = 0x20  // more fragments
        refreshIPv4HeaderChecksumForICMPTests(&fragment)
        // A fragment is not reassembled: its payload is fragment data, as in Wireshark.
        let fragmentDissection = Dissector.dissect(fragment, linkType: .raw)
        #expect(fragmentDissection.layer("icmp") == nil)
        #expect(fragmentDissection.layer("data")?.range == 20..<fragment.count)

        let cut = Array(V.echoRequest.prefix(30))
        #expect(Dissector.dissect(cut, linkType: .raw).field("icmp.checksum.status")?.value == .uint(ChecksumStatus.unverified.rawValue))
    }

    // MARK: dissection

    @Test func dissectsAnEchoWithWiresharkNames() throws {
        let d = Dissector.dissect(V.echoRequest, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.layers.map(\.name) == ["ip", "icmp", "data"])
        let icmp = try #require(d.layer("icmp"))
        #expect(icmp.range == 20..<28 && icmp.payload == 28..<37)
        #expect(icmp.fields.map(\.name.description) == ["icmp.type", "icmp.code", "icmp.checksum", "icmp.checksum.status",
                                            "icmp.ident", "icmp.ident_le", "icmp.seq", "icmp.seq_le"])
        #expect(d.strings(of: "icmp.type")?.note == "(Echo (ping) request)")
        #expect(d.field("icmp.ident")?.value == .uint(0x0f0e) && d.field("icmp.ident")?.range == 24..<26)
        #expect(d.field("icmp.ident_le")?.value == .uint(0x0e0f))
        #expect(d.field("icmp.seq")?.value == .uint(1) && d.field("icmp.seq_le")?.value == .uint(256))
        #expect(d.field("data.data")?.range == 28..<37 && d.field("data.len")?.value == .uint(9))
        for f in icmp.fields {
            #expect(!icmp.string(f.explanation).isEmpty, "\(f.name) explains nothing")
            #expect(f.range.upperBound <= V.echoRequest.count)
        }
    }

    @Test func quotedDatagramIsDissectedAsNestedLayers() throws {
        let d = Dissector.dissect(V.udpPortUnreachable, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(Array(d.layers.map(\.name).prefix(3)) == ["ip", "icmp", "ip"])
        #expect(d.strings(of: "icmp.code")?.note == "(Port unreachable)")
        #expect(d.field("icmp.unused")?.range == 24..<28)
        let quotedIP = d.layers[2]
        #expect(quotedIP.range == 28..<48)
        #expect(quotedIP.fields.first { $0.isNamed("ip.dst") }?.value == .ipv4(gateway))
        #expect(quotedIP.fields.first { $0.isNamed("ip.proto") }?.value == .uint(17))

        let frag = Dissector.dissect(V.fragmentationNeeded, linkType: .raw)
        #expect(frag.field("icmp.mtu")?.value == .uint(1400))
        #expect(frag.layer("icmp")?.fields.filter { $0.isNamed("icmp.unused") }.map(\.range) == [24..<26])

        let redirect = Dissector.dissect(V.redirectHost, linkType: .raw)
        #expect(redirect.field("icmp.redir_gw")?.value == .ipv4(IPv4Address(192, 0, 2, 9)))

        let problem = Dissector.dissect(V.parameterProblem, linkType: .raw)
        #expect(problem.field("icmp.pointer")?.value == .uint(20))
        #expect(problem.layers.filter { $0.name == "ip" }.count == 2)

        let echo = Dissector.dissect(V.timeExceededQuotingEcho, linkType: .raw)
        #expect(echo.layers.map(\.name) == ["ip", "icmp", "ip", "icmp"])
        #expect(echo.layers[3].fields.first { $0.isNamed("icmp.ident") }?.value == .uint(7))
        #expect(echo.malformed == nil)

        // A DNS query quoted cut short is data of the quote, not a malformed packet.
        let query = PacketBuilder.build(
            ip: .v4(IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: gateway, proto: .udp)),
            transport: UDPRepr(sourcePort: 40000, destinationPort: 53), payload: [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        let unreachable = PacketBuilder.build(
            ip: .v4(IPv4Repr(source: gateway, destination: IPv4Address(192, 0, 2, 2), proto: .icmp)),
            transport: ICMPv4Repr(.destinationUnreachable(code: 3, nextHopMTU: 0, datagram: Array(query.prefix(32)))))
        let dns = Dissector.dissect(unreachable, linkType: .raw)
        #expect(dns.malformed == nil, "\(dns.malformed?.message ?? "")")
        #expect(dns.layers.map(\.name) == ["ip", "icmp", "ip", "udp", "data"])
    }

    @Test func timestampsAndRFC4884Length() throws {
        let t = Dissector.dissect(V.timestampReply, linkType: .raw)
        #expect(t.field("icmp.originate_timestamp")?.value == .uint(3_723_004))
        #expect(t.strings(of: "icmp.originate_timestamp")?.note == "(1 hour, 2 minutes, 3.004 seconds after midnight UTC)")
        #expect(t.field("icmp.transmit_timestamp")?.value == .uint(3_723_011))
        #expect(t.layer("icmp")?.range == 20..<40)

        // RFC 4884: a length of 5 words bounds the quoted datagram to (5 + 5) * 4 bytes.
        let datagram = Array(V.timeExceededQuotingUDP[28...]) + Bytes(repeating: 0, count: 40)
        var quoted = datagram
        quoted.setBE16(2, 60)
        let msg = ICMPv4Repr(.other(type: .timeExceeded, code: 0, restOfHeader: 0x0005_0000, body: quoted))
        let b = PacketBuilder.build(ip: .v4(IPv4Repr(source: gateway, destination: peer, proto: .icmp)), transport: msg)
        let d = Dissector.dissect(b, linkType: .raw)
        #expect(d.field("icmp.length")?.value == .uint(5))
        #expect(d.field("icmp.length.original_datagram")?.value == .uint(20))
        #expect(d.layers[2].payload == 48..<68)
    }

    @Test(arguments: V.all) func everyTruncatedPrefixKeepsWhatDecodedAndSaysWhy(v: V.Vector) {
        for n in 0..<v.bytes.count {
            let prefix = Array(v.bytes[0..<n])
            let d = Dissector.dissect(prefix, linkType: .raw)
            #expect(d.malformed != nil, "prefix of \(n) bytes should be reported as malformed")
            if n > 20 {
                #expect(d.layer("icmp")?.fields.first?.name.description == "icmp.type", "prefix of \(n) bytes lost the icmp layer")
            }
            _ = Summary.string(prefix, linkType: .raw)
        }
    }

    @Test func shortMessagesSayWhatIsMissing() {
        let d = Dissector.dissect(Array(V.timestampReply.prefix(34)), linkType: .raw)
        #expect(d.layer("icmp")?.fields.last?.name.description == "icmp.originate_timestamp")
        var whole = Array(V.timestampReply.prefix(34))
        whole.setBE16(2, 34)
        refreshIPv4HeaderChecksumForICMPTests(&whole)
        #expect(Dissector.dissect(whole, linkType: .raw).malformed?.message == "ICMP timestamp reply message needs 20 bytes, 14 left")
    }

    // MARK: the summary line

    @Test(arguments: V.all) func summaryEqualsTcpdump(v: V.Vector) {
        #expect(Summary.string(v.bytes, linkType: .raw) == v.line)
    }

    /// tcpdump reads every byte its message needs before printing: one missing prints " [|icmp]".
    @Test(arguments: V.all) func truncatedMessagePrintsAsTcpdump(v: V.Vector) {
        let ip = IPContext(pseudo: .none, length: v.bytes.count - 20)
        for n in 20...v.bytes.count {
            var w = TextWriter()
            Summary.writeICMPv4(v.bytes, at: 20, end: n, ip: ip, into: &w)
            let expected = n - 20 >= v.bytesTcpdumpReads ? String(v.icmpText) : " [|icmp]"
            #expect(w.string == expected, "with \(n - 20) ICMP bytes")
        }
    }

    static let quoted = Array(ICMPVectors.udpPortUnreachable[28...])
    static let protocol99: Bytes = [
        0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x63, 0xf6, 0x7a, 0xc0, 0x00, 0x02, 0x02,
        0xc0, 0x00, 0x02, 0x01, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00,
    ]

    /// Every code and type tcpdump words differently: type, code, the 4 bytes after the
    /// checksum, the body, and what tcpdump printed after "IP 192.0.2.1 > 192.0.2.2: ".
    @Test(arguments: [
        (3, 0, 0x00000000, quoted, "ICMP net 192.0.2.1 unreachable, length 36"),
        (3, 1, 0x00000000, quoted, "ICMP host 192.0.2.1 unreachable, length 36"),
        (3, 2, 0x00000000, quoted, "ICMP 192.0.2.1 protocol 17 unreachable, length 36"),
        (3, 3, 0x00000000, quoted, "ICMP 192.0.2.1 udp port 53 unreachable, length 36"),
        (3, 4, 0x00000000, quoted, "ICMP 192.0.2.1 unreachable - need to frag, length 36"),
        (3, 5, 0x00000000, quoted, "ICMP 192.0.2.1 unreachable - source route failed, length 36"),
        (3, 6, 0x00000000, quoted, "ICMP net 192.0.2.1 unreachable - unknown, length 36"),
        (3, 7, 0x00000000, quoted, "ICMP host 192.0.2.1 unreachable - unknown, length 36"),
        (3, 8, 0x00000000, quoted, "ICMP 192.0.2.1 unreachable - source host isolated, length 36"),
        (3, 9, 0x00000000, quoted, "ICMP net 192.0.2.1 unreachable - admin prohibited, length 36"),
        (3, 10, 0x00000000, quoted, "ICMP host 192.0.2.1 unreachable - admin prohibited, length 36"),
        (3, 11, 0x00000000, quoted, "ICMP net 192.0.2.1 unreachable - tos prohibited, length 36"),
        (3, 12, 0x00000000, quoted, "ICMP host 192.0.2.1 unreachable - tos prohibited, length 36"),
        (3, 13, 0x00000000, quoted, "ICMP host 192.0.2.1 unreachable - admin prohibited filter, length 36"),
        (3, 14, 0x00000000, quoted, "ICMP host 192.0.2.1 unreachable - host precedence violation, length 36"),
        (3, 15, 0x00000000, quoted, "ICMP host 192.0.2.1 unreachable - precedence cutoff, length 36"),
        (3, 16, 0x00000000, quoted, "ICMP 192.0.2.1 unreachable - #16, length 36"),
        (3, 4, 0x00000500, quoted, "ICMP 192.0.2.1 unreachable - need to frag (mtu 1280), length 36"),
        (3, 3, 0x00000000, protocol99, "ICMP 192.0.2.1 protocol 99 port 22136 unreachable, length 36"),
        (3, 2, 0x00000000, protocol99, "ICMP 192.0.2.1 protocol 99 unreachable, length 36"),
        (11, 1, 0x00000000, quoted, "ICMP ip reassembly time exceeded, length 36"),
        (11, 7, 0x00000000, quoted, "ICMP time exceeded-#7, length 36"),
        (5, 0, 0xc0000209, quoted, "ICMP redirect 192.0.2.1 to net 192.0.2.9, length 36"),
        (5, 2, 0xc0000209, quoted, "ICMP redirect-tos 192.0.2.1 to net 192.0.2.9, length 36"),
        (5, 3, 0xc0000209, quoted, "ICMP redirect-tos 192.0.2.1 to host 192.0.2.9, length 36"),
        (5, 9, 0xc0000209, quoted, "ICMP redirect-#9 192.0.2.1 to 192.0.2.9, length 36"),
        (4, 0, 0x00000000, quoted, "ICMP source quench, length 36"),
        (12, 1, 0x00000000, quoted, "ICMP parameter problem - code 1, length 36"),
        (12, 0, 0x05000000, quoted, "ICMP parameter problem - octet 5, length 36"),
        (13, 0, 0x00050006, [0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
         "ICMP time stamp query id 5 seq 6, length 20"),
        (14, 0, 0x00050006, [0x80, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x07, 0x5b, 0xcd, 0x15],
         "ICMP time stamp reply id 5 seq 6: org 596:31:23.649, recv 1193:02:47.295, xmit 34:17:36.789, length 20"),
        (17, 0, 0x00010002, [0x00, 0x00, 0x00, 0x00], "ICMP address mask request, length 12"),
        (18, 0, 0x00010002, [0xff, 0xff, 0xfc, 0x00], "ICMP address mask is 0xfffffc00, length 12"),
        (10, 0, 0x00000000, [], "ICMP router solicitation, length 8"),
        (15, 0, 0x00010002, [], "ICMP information request, length 8"),
        (16, 0, 0x00010002, [], "ICMP information reply, length 8"),
        (9, 0, 0x01020708, [0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x05], "ICMP router advertisement lifetime 30:00 1: {192.0.2.1 5}, length 16"),
        (9, 0, 0x0203001e, [], "ICMP router advertisement lifetime 30 2: [size 3], length 8"),
        (255, 7, 0x00000000, [], "ICMP type-#255, length 8"),
    ] as [(UInt8, UInt8, UInt32, Bytes, String)])
    func everyKindPrintsAsTcpdump(type: UInt8, code: UInt8, rest: UInt32, body: Bytes, expected: String) {
        let msg = ICMPv4Repr(.other(type: ICMPv4Type(type), code: code, restOfHeader: rest, body: body))
        let b = PacketBuilder.build(ip: .v4(IPv4Repr(source: gateway, destination: peer, proto: .icmp)), transport: msg)
        #expect(Summary.string(b, linkType: .raw) == "IP 192.0.2.1 > 192.0.2.2: " + expected)
        #expect(Dissector.dissect(b, linkType: .raw).field("icmp.checksum.status")?.value == .uint(ChecksumStatus.good.rawValue))
    }

    /// tcpdump formats a router advertisement in a 164-byte buffer: ten routers do not fit.
    @Test func longRouterAdvertisementIsCutLikeTcpdumps() {
        var entries: Bytes = []
        for i in 0..<10 {
            entries += [192, 168, 0, UInt8(i + 1)]
            entries += [0, 0, 0, 0]
            entries.setBE32(entries.count - 4, UInt32(i * 1000))
        }
        let msg = ICMPv4Repr(.other(type: .routerAdvertisement, code: 0, restOfHeader: 0x0a02_0e10, body: entries))
        let b = PacketBuilder.build(ip: .v4(IPv4Repr(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(224, 0, 0, 1),
                                                     proto: .icmp)), transport: msg)
        #expect(Summary.string(b, linkType: .raw) == "IP 10.0.0.1 > 224.0.0.1: ICMP router advertisement lifetime 1:00:00 10: "
            + "{192.168.0.1 0} {192.168.0.2 1000} {192.168.0.3 2000} {192.168.0.4 3000} {192.168.0.5 4000} "
            + "{192.168.0.6 5000} {192.168.0, length 88")
        let d = Dissector.dissect(b, linkType: .raw)
        #expect(d.layer("icmp")?.fields.filter { $0.isNamed("icmp.router_address") }.count == 10)
    }

    @Test func quotedHeaderLengthDecidesWhereTcpdumpReadsThePort() {
        // IHL 0: tcpdump reads the "port" from the quoted IP header's total length field.
        var ihl0 = ICMPVectors.udpPortUnreachable
        ihl0[28] = 0x40
        let ip = IPContext(pseudo: .none, length: 36)
        var w = TextWriter()
        Summary.writeICMPv4(ihl0, at: 20, end: ihl0.count, ip: ip, into: &w)
        #expect(w.string == "ICMP 192.0.2.1 udp port 33 unreachable, length 36")
        // IHL 15 with only 28 bytes quoted: the port is past the capture.
        var ihl15 = ICMPVectors.udpPortUnreachable
        ihl15[28] = 0x4f
        w.removeAll()
        Summary.writeICMPv4(ihl15, at: 20, end: ihl15.count, ip: ip, into: &w)
        #expect(w.string == " [|icmp]")
        _ = Dissector.dissect(ihl0, linkType: .raw)
        _ = Dissector.dissect(ihl15, linkType: .raw)
    }
}

/// Recomputes the IPv4 header checksum of a test packet whose header was patched.
private func refreshIPv4HeaderChecksumForICMPTests(_ b: inout Bytes) {
    b.setBE16(IPv4Header.Offset.checksum, 0)
    var c = InternetChecksum()
    c.add(b, 0..<IPv4Header.minimumLength)
    b.setBE16(IPv4Header.Offset.checksum, c.value)
}
