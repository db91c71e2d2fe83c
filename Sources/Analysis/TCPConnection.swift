import Wire

/// One TCP connection seen in the packet sequence (Wireshark's TCP stream): its two ends, the
/// segments that crossed, with relative numbers, and what state the handshake got to.
///
/// The client is whoever sent the first SYN. When capture began after the SYN, nobody is
/// known to have started it: the client is then the end without the well-known port (below
/// 1024), or else whoever sent the first segment seen, and `sawSYN` is false.
public struct TCPConnection: Sendable {
    public enum Side: Sendable, Equatable {
        case client, server
    }

    /// Counts connections in the order they were first seen, from 1 (as `tcp.stream`, from 0).
    public let id: Int
    public let client: TCPEndpoint
    public let server: TCPEndpoint
    /// Whether the client's SYN was seen; false: capture began in the middle of the connection.
    public private(set) var sawSYN = false
    /// The first and the newest packet of the connection, by store number.
    public let firstNumber: Int
    public private(set) var lastNumber: Int
    /// Microseconds since the epoch of the connection's first packet (its first SYN when seen):
    /// the ladder's times count from it.
    public let startTime: Int64
    /// Segments in order, at most the tracker's `eventsPerConnection`, plus a few SYN, FIN and
    /// RST segments after that so the end still shows.
    public private(set) var events: [TCPConnectionEvent] = []
    /// Segments not in `events` (a long transfer), and their payload bytes.
    public private(set) var unlistedSegments = 0
    public private(set) var unlistedBytes = 0

    /// SYNs the client sent (the first and its retransmissions), SYN-ACKs the server sent.
    public private(set) var synCount = 0
    public private(set) var synAckCount = 0
    /// Whether the client acknowledged the server's SYN-ACK (the handshake's third segment).
    public private(set) var handshakeAcknowledged = false
    public private(set) var finFromClient = false
    public private(set) var finFromServer = false
    /// Who sent the first RST.
    public private(set) var resetBy: Side?
    /// Payload bytes each way.
    public private(set) var clientBytes = 0
    public private(set) var serverBytes = 0

    /// Each side's base for relative numbers (Wireshark's rule: the SYN's sequence number; with
    /// no SYN, one less than the first sequence number seen, or than the first ACK the other side
    /// sent), and the end of the highest sequence space it has sent.
    private var clientBase: UInt32?, serverBase: UInt32?
    private var clientNext: UInt32?, serverNext: UInt32?
    private var synAckSeq: UInt32?
    private var retransmissions = (client: 0, server: 0)

    init(id: Int, first segment: ObservedSegment, number: Int, time: Int64) {
        self.id = id
        let isSYN = segment.flags.contains(.syn)
        let fromInitiator: Bool
        if isSYN {
            // A SYN's sender is the client; a SYN-ACK's receiver.
            fromInitiator = !segment.flags.contains(.ack)
        } else {
            // From the middle: the well-known port is the server's, else the first sender is the client.
            let (s, d) = (segment.source.port, segment.destination.port)
            fromInitiator = !(s < 1024 && d >= 1024)
        }
        client = fromInitiator ? segment.source : segment.destination
        server = fromInitiator ? segment.destination : segment.source
        firstNumber = number
        lastNumber = number
        startTime = time
    }

    /// Whether the connection is over (closed both ways, reset or refused): a new SYN on the
    /// same ports then starts another connection.
    public var isFinished: Bool {
        resetBy != nil || (finFromClient && finFromServer)
    }

    /// Whether a SYN with this sequence number, from this side, starts a new connection on the
    /// same ports rather than retransmitting: after the end, or with another initial sequence
    /// number than the side's first (Wireshark's "TCP port numbers reused").
    func isNewConnection(_ segment: ObservedSegment) -> Bool {
        guard segment.flags.contains(.syn) && !segment.flags.contains(.ack) else { return false }
        if isFinished { return true }
        let base = segment.source == client ? clientBase : serverBase
        if !sawSYN && synAckCount == 0 && !events.isEmpty { return true }
        return base.map { $0 != segment.seq } ?? false
    }

    /// Adds the next segment of this connection.
    mutating func add(_ s: ObservedSegment, number: Int, time: Int64, maximumEvents: Int) {
        lastNumber = number
        let side: Side = s.source == client ? .client : .server
        let flags = s.flags
        let isSYN = flags.contains(.syn), isACK = flags.contains(.ack)

        // Relative numbers, as Wireshark counts them.
        if side == .client {
            if clientBase == nil { clientBase = isSYN ? s.seq : s.seq &- 1 }
            if serverBase == nil && isACK { serverBase = s.ack &- 1 }
        } else {
            if serverBase == nil { serverBase = isSYN ? s.seq : s.seq &- 1 }
            if clientBase == nil && isACK { clientBase = s.ack &- 1 }
        }
        let ownBase = side == .client ? clientBase! : serverBase!
        let otherBase = side == .client ? serverBase : clientBase

        // A segment that takes sequence space the side already sent is a retransmission.
        var retransmission = 0
        let end = s.seq &+ s.sequenceLength
        let next = side == .client ? clientNext : serverNext
        if !isSYN, s.sequenceLength > 0, let next, !Self.after(end, next) {
            if side == .client { retransmissions.client += 1 } else { retransmissions.server += 1 }
            retransmission = side == .client ? retransmissions.client : retransmissions.server
        }
        if next == nil || Self.after(end, next!) {
            if side == .client { clientNext = end } else { serverNext = end }
        }

        var kind = TCPConnectionEvent.Kind.other
        if isSYN && !isACK && side == .client {
            sawSYN = true
            synCount += 1
            kind = .syn
            if synCount > 1 { retransmission = synCount - 1 }
        } else if isSYN && isACK && side == .server {
            synAckCount += 1
            kind = .synAck
            if synAckSeq == nil { synAckSeq = s.seq }
            if synAckCount > 1 && s.seq == synAckSeq { retransmission = synAckCount - 1 }
        } else if flags.contains(.rst) {
            kind = .rst
            if resetBy == nil { resetBy = side }
        } else if flags.contains(.fin) {
            kind = .fin
            if side == .client { finFromClient = true } else { finFromServer = true }
        } else if s.payloadLength > 0 {
            kind = .data
        } else if isACK {
            kind = .ack
        }
        if side == .client && isACK && !isSYN, let synAckSeq, s.ack == synAckSeq &+ 1 { handshakeAcknowledged = true }
        if side == .client { clientBytes += s.payloadLength } else { serverBytes += s.payloadLength }

        let control = kind == .syn || kind == .synAck || kind == .rst || kind == .fin
        guard events.count < maximumEvents || (control && events.count < maximumEvents + Self.controlEventsPastTheLimit) else {
            unlistedSegments += 1
            unlistedBytes += s.payloadLength
            return
        }
        events.append(TCPConnectionEvent(
            number: number, time: time, from: side, kind: kind, flags: flags, seq: s.seq, ack: isACK ? s.ack : nil,
            relativeSeq: s.seq &- ownBase, relativeAck: isACK ? otherBase.map { s.ack &- $0 } : nil,
            payloadLength: s.payloadLength, retransmission: retransmission,
            sinceFirst: retransmission > 0 && isSYN ? firstTime(of: kind, side: side).map { time - $0 } : nil))
    }

    /// SYN, FIN and RST segments listed after the limit on events, so a long connection's end shows.
    static let controlEventsPastTheLimit = 16

    /// When the first segment of this kind from this side was seen (for "1.000 s after the first").
    private func firstTime(of kind: TCPConnectionEvent.Kind, side: Side) -> Int64? {
        events.first { $0.kind == kind && $0.from == side }?.time
    }

    /// Whether sequence number `a` comes after `b` (RFC 1982 serial arithmetic).
    static func after(_ a: UInt32, _ b: UInt32) -> Bool {
        a != b && (a &- b) < 0x8000_0000
    }

    /// What the handshake got to, from what has been seen so far.
    public var state: TCPConnectionState {
        if let resetBy {
            return resetBy == .server && synAckCount == 0 && sawSYN && serverBytes == 0 ? .refused : .reset(by: resetBy)
        }
        if finFromClient && finFromServer { return .closed }
        if finFromClient { return .closing(by: .client) }
        if finFromServer { return .closing(by: .server) }
        if handshakeAcknowledged { return .open }
        if synAckCount > 0 {
            // Data from the client means it did acknowledge (the ACK was not captured).
            return clientBytes > 0 ? .open : .halfOpen(synAcks: synAckCount)
        }
        if !sawSYN { return .open }
        return .noAnswer(syns: synCount)
    }

    /// The state in words, saying first when the start was not seen.
    public var stateDescription: String {
        sawSYN || synAckCount > 0 ? state.description : "seen from the middle: no SYN; \(state)"
    }
}

/// What a connection's handshake got to.
public enum TCPConnectionState: Sendable, Equatable, CustomStringConvertible {
    /// SYNs, no answer (yet).
    case noAnswer(syns: Int)
    /// The server answered the SYN with a RST.
    case refused
    /// The server sent its SYN-ACK (this many times), the client no ACK.
    case halfOpen(synAcks: Int)
    case open
    /// One side sent its FIN.
    case closing(by: TCPConnection.Side)
    /// FIN both ways.
    case closed
    case reset(by: TCPConnection.Side)

    public var description: String {
        switch self {
        case let .noAnswer(n): return "no answer: SYN sent \(Self.times(n))"
        case .refused: return "refused: the server answered RST"
        case let .halfOpen(n):
            // Retransmitted: the server gave the client time enough (the arrows count them).
            return n > 1 ? "half open: the client never sent its ACK" : "half open: no ACK from the client yet"
        case .open: return "open"
        case let .closing(side): return "closing: FIN from the \(side) only"
        case .closed: return "closed (FIN both ways)"
        case let .reset(side): return "reset by the \(side)"
        }
    }

    static func times(_ n: Int) -> String {
        n == 1 ? "once" : n == 2 ? "twice" : "\(n) times"
    }
}

/// One segment of an observed connection.
public struct TCPConnectionEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// SYN from the client, SYN-ACK from the server.
        case syn, synAck
        /// An ACK with no payload.
        case ack
        case rst, fin
        /// A segment with payload.
        case data
        /// Anything else: a SYN from the server, a segment with no flags.
        case other
    }

    /// The packet's number in the store.
    public var number: Int
    /// Microseconds since the epoch.
    public var time: Int64
    public var from: TCPConnection.Side
    public var kind: Kind
    public var flags: TCPFlags
    /// As on the wire (`ack` only with ACK set).
    public var seq: UInt32
    public var ack: UInt32?
    /// Counted from each side's base, as Wireshark shows them (`relativeAck` nil until the
    /// other side's base is known).
    public var relativeSeq: UInt32
    public var relativeAck: UInt32?
    public var payloadLength: Int
    /// 0, or which retransmission this is: of the SYN, of the SYN-ACK, or (for the rest) the
    /// side's count of segments (SYNs aside) sent again.
    public var retransmission: Int
    /// For a SYN or SYN-ACK sent again: microseconds since the first one.
    public var sinceFirst: Int64?
}
