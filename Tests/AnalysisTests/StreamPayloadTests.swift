import Testing
import Wire
@testable import Analysis

/// Follow stream's payload: each direction in order, retransmitted bytes once, holes marked.
struct StreamPayloadTests {
    static let client = IPv4Address(10, 0, 0, 1), server = IPv4Address(10, 0, 0, 2)

    static func tcp(_ fromClient: Bool, seq: UInt32, _ flags: TCPFlags = [.ack, .psh], _ text: String = "") -> Bytes {
        PacketBuilder.build(
            ip: .v4(IPv4Repr(source: fromClient ? client : server, destination: fromClient ? server : client, proto: .tcp)),
            transport: TCPRepr(sourcePort: fromClient ? 40000 : 80, destinationPort: fromClient ? 80 : 40000, sequenceNumber: seq,
                               acknowledgmentNumber: 1, flags: flags, window: 65535),
            payload: Array(text.utf8))
    }

    static func follow(_ packets: [Bytes]) -> StreamPayload {
        var p = StreamPayload()
        for (i, bytes) in packets.enumerated() { p.add(bytes, linkType: .raw, number: i + 1) }
        p.finish()
        return p
    }

    static func pieces(_ p: StreamPayload) -> [String] {
        p.chunks.map { c in
            (c.direction == .fromFirst ? "A:" : "B:") + (c.missing > 0 ? "[\(c.missing) missing]" : String(decoding: c.bytes, as: UTF8.self))
        }
    }

    @Test func eachDirectionInOrderWithRetransmissionsOnceAndConsecutiveBytesJoined() {
        let p = Self.follow([
            Self.tcp(true, seq: 99, .syn), Self.tcp(false, seq: 499, [.syn, .ack]),
            Self.tcp(true, seq: 100, .ack, "GET / "), Self.tcp(true, seq: 106, .ack, "HTTP/1.1\r\n\r\n"),
            Self.tcp(true, seq: 100, .ack, "GET / HTTP/1.1\r\n\r\n"),  // retransmitted, all of it seen
            Self.tcp(false, seq: 500, .ack, "HTTP/1.1 200 OK"),
            Self.tcp(false, seq: 509, .ack, "200 OK\r\n"),  // overlaps: only the new bytes
        ])
        #expect(Self.pieces(p) == ["A:GET / HTTP/1.1\r\n\r\n", "B:HTTP/1.1 200 OK\r\n"])
        #expect(p.byteCount.fromFirst == 18 && p.byteCount.toFirst == 17)
        #expect(p.chunks[1].packetNumber == 6)
    }

    @Test func outOfOrderSegmentsWaitForTheBytesBeforeThem() {
        let p = Self.follow([
            Self.tcp(true, seq: 1, .ack, "abc"), Self.tcp(true, seq: 7, .ack, "ghi"), Self.tcp(true, seq: 4, .ack, "def"),
        ])
        #expect(Self.pieces(p) == ["A:abcdefghi"])
    }

    @Test func aHoleThatNeverFillsIsMarkedAndTheRestGiven() {
        let p = Self.follow([Self.tcp(true, seq: 1, .ack, "abc"), Self.tcp(true, seq: 10, .ack, "jkl"), Self.tcp(false, seq: 1, .ack, "x")])
        #expect(Self.pieces(p) == ["A:abc", "B:x", "A:[6 missing]", "A:jkl"])
    }

    @Test func waitingIsBoundedAHoleGivenUpPastTheBound() {
        // A segment lost at the start and thousands after it: what waits stays bounded.
        var packets = [Self.tcp(true, seq: 1, .ack, "a")]
        for k in 0..<2000 { packets.append(Self.tcp(true, seq: 3 + UInt32(k), .ack, "b")) }
        let p = Self.follow(packets)
        #expect(Self.pieces(p) == ["A:a", "A:[1 missing]", "A:" + String(repeating: "b", count: 2000)])
    }

    @Test func sequenceNumbersWrapAround() {
        let p = Self.follow([Self.tcp(true, seq: UInt32.max - 1, .ack, "ab"), Self.tcp(true, seq: 0, .ack, "cd")])
        #expect(Self.pieces(p) == ["A:abcd"])
    }

    @Test func udpDatagramsAsTheyCameAndNothingForOtherPackets() {
        func udp(_ fromClient: Bool, _ text: String) -> Bytes {
            PacketBuilder.build(
                ip: .v4(IPv4Repr(source: fromClient ? Self.client : Self.server, destination: fromClient ? Self.server : Self.client, proto: .udp)),
                transport: UDPRepr(sourcePort: fromClient ? 5000 : 53, destinationPort: fromClient ? 53 : 5000), payload: Array(text.utf8))
        }
        var p = StreamPayload()
        for (i, b) in [udp(true, "q1"), udp(true, "q2"), udp(false, "r")].enumerated() { p.add(b, linkType: .raw, number: i + 1) }
        p.add([0x45, 0, 0], linkType: .raw, number: 4)
        p.add([], linkType: .raw, number: 5)
        p.finish()
        #expect(Self.pieces(p) == ["A:q1q2", "B:r"])
    }

    @Test func everyPrefixOfASegmentIsTakenWithoutTrapping() {
        let full = Self.tcp(true, seq: 1, .ack, "hello")
        for n in 0...full.count {
            var p = StreamPayload()
            p.add(Array(full.prefix(n)), linkType: .raw, number: 1)
            p.finish()
            #expect(p.byteCount.fromFirst <= 5)
        }
    }
}
