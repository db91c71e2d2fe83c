import Wire

/// Conversations and TCP sequence analysis over a packet sequence, as Wireshark 4.0 computes
/// them in one pass (`tshark -T json` without -2): `tcp.stream` and `udp.stream` numbered from
/// 0 in order of first packet, relative sequence numbers, `tcp.analysis.*` and the times in each
/// stream. Pure: given packets in order, it returns each one's `PacketAnalysis`; it reads no
/// clock and formats no text.
///
/// The rules are Wireshark's (packet-tcp.c, read for behaviour, not copied): a SYN whose sequence
/// number differs from its direction's base starts a new stream on the same ports; a SYN with
/// the same one (a retransmission, or a reconnection reusing the ISN) stays in the old stream,
/// even after a reset or a close, as Wireshark 4.0 has it. A header quoted in an ICMP error
/// counts as a packet of its conversation (stream, completeness, times) but is not analysed.
///
/// Memory grows with conversations, not packets: at most `maximumConversations` TCP and as many
/// UDP conversations are kept, and a direction keeps at most 1,000 unacknowledged segments (as
/// Wireshark does). Past the bound the least recently active eighth is forgotten; a later
/// packet of a forgotten conversation starts a new stream number (Wireshark, which forgets
/// nothing, would continue the old one), and `forgottenConversations` counts them.
public struct StreamAnalyzer: Sendable {
    public let linkType: LinkType
    public let maximumConversations: Int
    public private(set) var forgottenConversations = 0

    private var tcp = ConversationTable<TCPConversation>()
    private var udp = ConversationTable<UDPConversation>()
    private var nextTCPStream: UInt32 = 0
    private var nextUDPStream: UInt32 = 0

    /// Wireshark's `TCP_MAX_UNACKED_SEGMENTS`.
    static let maximumUnackedSegments = 1000

    public init(linkType: LinkType, maximumConversations: Int = 1 << 20) {
        self.linkType = linkType
        self.maximumConversations = max(8, maximumConversations)
    }

    /// The conversations kept now (TCP and UDP).
    public var conversationCount: Int { tcp.count + udp.count }

    /// Takes the next packet: its bytes (at least its headers), its number in the capture (from
    /// 1), its time in microseconds since the epoch, and its length on the wire when the
    /// capture kept fewer bytes. `reassembled`: the datagram the packet completed (see
    /// `FragmentReassembler`), whose TCP or UDP header is the one analysed, as Wireshark does.
    public mutating func analyze(_ bytes: Bytes, number: Int, microseconds: Int64, wireLength: Int? = nil,
                                 reassembled: ReassembledDatagram? = nil) -> PacketAnalysis {
        let transport = if let reassembled {
            TransportPacket(reassembled: reassembled, of: bytes, linkType: linkType)
        } else {
            TransportPacket(bytes, linkType: linkType, wireLength: wireLength)
        }
        guard let packet = transport else { return .none }
        let time = microseconds &* 1000
        let frame = UInt32(truncatingIfNeeded: number)
        switch packet.kind {
        case .tcp: return PacketAnalysis(tcp: analyzeTCP(packet, frame: frame, time: time))
        case .udp: return PacketAnalysis(udp: analyzeUDP(packet, frame: frame, time: time))
        }
    }

    private mutating func analyzeUDP(_ p: TransportPacket, frame: UInt32, time: Int64) -> UDPDatagramAnalysis {
        let key = EndpointPair(p.source, p.destination)
        let slot: Int
        if let found = udp.slot(key) {
            slot = found
        } else {
            slot = udp.insert(UDPConversation(stream: nextUDPStream, first: time), for: key)
            nextUDPStream &+= 1
            forgottenConversations += udp.bound(maximumConversations)
        }
        return udp[slot].add(p, frame: frame, time: time)
    }

    private mutating func analyzeTCP(_ p: TransportPacket, frame: UInt32, time: Int64) -> TCPSegmentAnalysis {
        let key = EndpointPair(p.source, p.destination)
        var isNew = false
        var slot: Int
        if let found = tcp.slot(key) {
            slot = found
        } else {
            slot = tcp.insert(TCPConversation(stream: nextTCPStream, first: p.source, time: time), for: key)
            nextTCPStream &+= 1
            isNew = true
        }
        // A SYN with another initial sequence number than its direction's: the ports are reused
        // by a new connection, which takes a stream of its own.
        var reused = false
        let synOnly = p.flags.intersection([.syn, .ack]) == .syn
        if synOnly && !isNew, let base = tcp[slot].base(of: p.source), base != p.seq {
            var fresh = TCPConversation(stream: nextTCPStream, first: p.source, time: time)
            fresh.completeness = Completeness.synSent
            nextTCPStream &+= 1
            slot = tcp.replace(key, with: fresh)
            reused = true
        }
        let result = tcp[slot].add(TCPSegmentHeader(p), from: p.source, frame: frame, time: time, isNew: isNew, reused: reused)
        forgottenConversations += tcp.bound(maximumConversations)
        return result
    }
}

/// `tcp.completeness`'s bits.
enum Completeness {
    static let synSent: UInt8 = 1, synAck: UInt8 = 2, ack: UInt8 = 4, data: UInt8 = 8, fin: UInt8 = 16, rst: UInt8 = 32
}

protocol ActiveConversation: Sendable {
    var lastActive: UInt64 { get set }
    static var empty: Self { get }
}

struct UDPConversation: ActiveConversation {
    var stream: UInt32
    var first: Int64
    var previous: Int64
    var lastActive: UInt64 = 0

    init(stream: UInt32, first: Int64) {
        self.stream = stream
        self.first = first
        previous = first
    }

    static var empty: Self { UDPConversation(stream: 0, first: 0) }

    mutating func add(_ p: TransportPacket, frame: UInt32, time: Int64) -> UDPDatagramAnalysis {
        // Inside an ICMP error Wireshark names the stream and keeps its clock out of it; it
        // shows no times for a datagram without payload either.
        guard !p.quoted, (p.segmentLength ?? 0) > 0 else { return UDPDatagramAnalysis(stream: stream) }
        defer { previous = time }
        return UDPDatagramAnalysis(stream: stream, sinceFirst: time - first, sincePrevious: time - previous)
    }
}
