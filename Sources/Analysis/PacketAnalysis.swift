import Wire

/// What stream analysis says about one packet: the conversation it belongs to and, for TCP,
/// Wireshark's relative numbers and `tcp.analysis.*`. Plain data, made in packet order by
/// `StreamAnalyzer` and added to the packet's dissection later (`Dissection.add(_:)`), so the
/// packets can be decoded and formatted in parallel.
public struct PacketAnalysis: Sendable, Equatable {
    // Boxed: the analysis of a segment is a few hundred bytes, and every packet read carries a
    // PacketAnalysis (mostly empty) through the batches; inline, copying them cost a third of
    // a header-only `print -Y`.
    private var tcpBox: Box<TCPSegmentAnalysis>?
    private var reassembledBox: Box<ReassembledDatagram>?
    public var udp: UDPDatagramAnalysis?

    public var tcp: TCPSegmentAnalysis? {
        get { tcpBox?.value }
        set { tcpBox = newValue.map(Box.init) }
    }

    /// The datagram this packet completed, when it is the fragment that did (`FragmentReassembler`):
    /// given to `Dissector.dissect`, which shows its layers.
    public var reassembled: ReassembledDatagram? {
        get { reassembledBox?.value }
        set { reassembledBox = newValue.map(Box.init) }
    }

    public init(tcp: TCPSegmentAnalysis? = nil, udp: UDPDatagramAnalysis? = nil, reassembled: ReassembledDatagram? = nil) {
        self.udp = udp
        self.tcp = tcp
        self.reassembled = reassembled
    }

    public static let none = PacketAnalysis()

    /// Whether a field of this name is one that `Dissection.add(_:)` adds or changes (relative
    /// sequence numbers, SACK edges, the scaled window), so a reader of other fields alone
    /// can leave stream analysis out.
    public static func providesField(_ name: String) -> Bool {
        changedFields.contains(name) || name.hasPrefix("tcp.analysis") || name.hasPrefix("_ws.expert")
    }

    /// An immutable value behind a reference: setting a boxed property makes a new box.
    private final class Box<Value: Sendable & Equatable>: Sendable, Equatable {
        let value: Value
        init(_ value: Value) { self.value = value }
        static func == (a: Box, b: Box) -> Bool { a.value == b.value }
    }

    static let changedFields: Set<String> = [
        "tcp.stream", "tcp.completeness", "tcp.seq", "tcp.ack", "tcp.nxtseq", "tcp.time_relative", "tcp.time_delta",
        "tcp.window_size", "tcp.window_size_scalefactor", "tcp.options.sack_le", "tcp.options.sack_re",
        "tcp.options.sack.dsack_le", "tcp.options.sack.dsack_re", "udp.stream", "udp.time_relative", "udp.time_delta",
    ]
}

/// A UDP datagram's conversation (`udp.stream`) and its times in it.
public struct UDPDatagramAnalysis: Sendable, Equatable {
    public var stream: UInt32
    /// Nanoseconds since the conversation's first datagram and since its previous one; nil
    /// inside an ICMP error, where Wireshark shows the stream only.
    public var sinceFirst: Int64?
    public var sincePrevious: Int64?
}

/// `tcp.analysis.flags`: what Wireshark suspects about a segment.
public struct TCPAnalysisFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let retransmission = Self(rawValue: 1 << 0)
    public static let lostSegment = Self(rawValue: 1 << 1)
    public static let ackLostSegment = Self(rawValue: 1 << 2)
    public static let keepAlive = Self(rawValue: 1 << 3)
    public static let duplicateAck = Self(rawValue: 1 << 4)
    public static let zeroWindow = Self(rawValue: 1 << 5)
    public static let zeroWindowProbe = Self(rawValue: 1 << 6)
    public static let zeroWindowProbeAck = Self(rawValue: 1 << 7)
    public static let keepAliveAck = Self(rawValue: 1 << 8)
    public static let outOfOrder = Self(rawValue: 1 << 9)
    public static let fastRetransmission = Self(rawValue: 1 << 10)
    public static let windowUpdate = Self(rawValue: 1 << 11)
    public static let windowFull = Self(rawValue: 1 << 12)
    public static let reusedPorts = Self(rawValue: 1 << 13)
    public static let spuriousRetransmission = Self(rawValue: 1 << 14)
}

/// A TCP segment's place in its conversation, as `tshark -T json` (one pass) shows it.
public struct TCPSegmentAnalysis: Sendable, Equatable {
    public var stream: UInt32
    /// `tcp.completeness` as it stood before this segment (Wireshark shows it so in one pass).
    public var completeness: UInt8
    /// `tcp.seq`, `tcp.ack` and `tcp.nxtseq` as shown: relative to each direction's base
    /// where Wireshark has a segment length, raw where it has none (a header quoted in an ICMP
    /// error, or longer than its segment); nil where Wireshark shows none.
    public var seq: UInt32?
    public var ack: UInt32?
    public var relative = false
    public var ackIsRelative = false
    public var nextSeq: UInt32?
    /// The other direction's base, which SACK edges are relative to.
    public var otherBase: UInt32 = 0
    /// `tcp.window_size` (the window scaled as the handshake said) and
    /// `tcp.window_size_scalefactor` (-1 unknown, -2 no scaling, else the multiplier; none on a SYN).
    public var windowSize: UInt32?
    public var scaleFactor: Int32?
    /// Nanoseconds since the conversation's first packet and since its previous one, shown
    /// unless the header was cut short (Wireshark stops before them then).
    public var showsTimes = false
    public var sinceFirst: Int64 = 0
    public var sincePrevious: Int64 = 0
    /// Whether Wireshark has a `tcp.analysis` tree for the segment, and what is in it.
    public var hasAnalysis = false
    public var flags = TCPAnalysisFlags()
    /// The frame this segment acknowledges (0: none) and how long after it this came (ns).
    public var acksFrame: UInt32 = 0
    public var ackRTT: Int64 = 0
    /// The handshake's round trip (ns; 0 until the handshake's ACK is seen).
    public var initialRTT: Int64 = 0
    public var bytesInFlight: UInt32?
    public var pushBytesSent: UInt32?
    /// For a retransmission: time since the segment it repeats was first sent, and that frame.
    public var rto: Int64 = 0
    public var rtoFrame: UInt32 = 0
    public var duplicateAckNumber: Int32 = 0
    public var duplicateAckFrame: UInt32 = 0
}
