import Wire

/// A conversation's payload as Wireshark's Follow TCP/UDP Stream shows it: each direction's
/// bytes in order, in the order they arrived, retransmitted bytes once, and a mark where the
/// capture is missing bytes. Pure: packets go in (in capture order), chunks come out.
///
/// TCP: each direction keeps the next sequence number it expects. A segment at or before it
/// gives only its new bytes (a retransmission, or one that overlaps: nothing twice); one past
/// it waits, in sequence order, until the bytes before it come (out of order) or the stream
/// ends (then the hole is marked). Waiting segments are bounded (`maximumWaiting` a direction,
/// the oldest given up as a gap), so a capture missing one segment early costs nothing lasting.
/// UDP: every datagram's payload, as it came.
public struct StreamPayload: Sendable {
    public enum Direction: Sendable, Equatable {
        /// From the endpoint that sent the conversation's first packet, or to it.
        case fromFirst, toFirst
    }

    public struct Chunk: Sendable, Equatable {
        public var direction: Direction
        /// The bytes, empty for a gap.
        public var bytes: Bytes
        /// For a gap: how many bytes the capture is missing.
        public var missing: Int
        /// The packet the bytes came in (for a gap, the one after it).
        public var packetNumber: Int
    }

    public private(set) var chunks: [Chunk] = []
    /// The endpoint that sent the conversation's first packet.
    public private(set) var first: TCPEndpoint?
    public private(set) var byteCount = (fromFirst: 0, toFirst: 0)

    static let maximumWaiting = 512

    private struct Side {
        var next: UInt32?
        /// Segments past `next`, sorted by sequence number.
        var waiting: [(seq: UInt32, bytes: Bytes, packet: Int)] = []
    }

    private var sides = [Side(), Side()]

    public init() {}

    /// Takes in one packet of the conversation (its whole captured bytes).
    public mutating func add(_ bytes: Bytes, linkType: LinkType, number: Int) {
        guard let p = TransportPacket(bytes, linkType: linkType), !p.quoted else { return }
        if first == nil { first = p.source }
        let direction: Direction = p.source == first ? .fromFirst : .toFirst
        let end = min(bytes.count, p.payloadStart + max(0, p.segmentLength ?? 0))
        let payload = p.payloadStart < end ? Array(bytes[p.payloadStart..<end]) : []
        guard p.kind == .tcp else {
            if !payload.isEmpty { append(direction, payload, packet: number) }
            return
        }
        let i = direction == .fromFirst ? 0 : 1
        // The SYN takes one sequence number; data starts after it.
        if p.flags.contains(.syn) {
            if sides[i].next == nil { sides[i].next = p.seq &+ 1 }
            return
        }
        guard !payload.isEmpty else { return }
        if sides[i].next == nil { sides[i].next = p.seq }
        take(side: i, direction, seq: p.seq, bytes: payload, packet: number)
    }

    /// The stream ends here: bytes still waiting for a hole before them are given, the hole marked.
    public mutating func finish() {
        for i in sides.indices {
            let direction: Direction = i == 0 ? .fromFirst : .toFirst
            while !sides[i].waiting.isEmpty { giveUpHole(side: i, direction) }
        }
    }

    private mutating func take(side i: Int, _ direction: Direction, seq: UInt32, bytes: Bytes, packet: Int) {
        guard let next = sides[i].next else { return }
        // How far the segment starts before the next expected byte (in sequence space).
        let behind = Int(Int32(bitPattern: next &- seq))
        if behind >= bytes.count { return }  // everything in it was seen: a retransmission
        if behind >= 0 {
            let fresh = Array(bytes[behind...])
            append(direction, fresh, packet: packet)
            sides[i].next = next &+ UInt32(fresh.count)
            drainWaiting(side: i, direction)
            return
        }
        // Ahead of a hole: wait for the bytes before it, in sequence order.
        var waiting = sides[i].waiting
        let at = waiting.firstIndex { Int32(bitPattern: $0.seq &- seq) > 0 } ?? waiting.count
        waiting.insert((seq, bytes, packet), at: at)
        sides[i].waiting = waiting
        if sides[i].waiting.count > Self.maximumWaiting { giveUpHole(side: i, direction) }
    }

    /// Segments now contiguous with what was given are given too.
    private mutating func drainWaiting(side i: Int, _ direction: Direction) {
        while let head = sides[i].waiting.first, let next = sides[i].next,
              Int32(bitPattern: head.seq &- next) <= 0 {
            sides[i].waiting.removeFirst()
            take(side: i, direction, seq: head.seq, bytes: head.bytes, packet: head.packet)
        }
    }

    /// The bytes before the first waiting segment never came: mark the hole and go on from it.
    private mutating func giveUpHole(side i: Int, _ direction: Direction) {
        guard let head = sides[i].waiting.first, let next = sides[i].next else { return }
        let missing = Int(head.seq &- next)
        chunks.append(Chunk(direction: direction, bytes: [], missing: missing, packetNumber: head.packet))
        sides[i].next = head.seq
        drainWaiting(side: i, direction)
    }

    private mutating func append(_ direction: Direction, _ bytes: Bytes, packet: Int) {
        if direction == .fromFirst { byteCount.fromFirst += bytes.count } else { byteCount.toFirst += bytes.count }
        // Consecutive bytes of one direction read as one piece, as Wireshark joins them.
        if let last = chunks.last, last.direction == direction, last.missing == 0 {
            chunks[chunks.count - 1].bytes += bytes
        } else {
            chunks.append(Chunk(direction: direction, bytes: bytes, missing: 0, packetNumber: packet))
        }
    }
}
