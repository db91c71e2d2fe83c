import Analysis
import Capture
import DisplayFilter
import Wire

/// What stream analysis adds to one packet's record: Wireshark's conversation fields for the
/// tree and JSON, tcpdump's relative numbers for the text line (--relative).
struct StreamAnnotation: Sendable {
    var analysis = PacketAnalysis.none
    var tcpdumpOffsets: TCPNumberOffsets?

    static let none = StreamAnnotation()
}

/// Follows the packets in order for what their records need of the packets before them: IP
/// reassembly and stream analysis for the tree and JSON (unless --no-analysis), tcpdump's
/// relative numbers for text lines with --relative. Runs on the reading thread, a batch at a
/// time, before the batch is formatted on every core.
struct StreamAnnotator {
    private var sequence: SequenceAnalysis?
    private var tcpdump: TcpdumpSequenceTracker?

    /// `filter`: a display filter (-Y) sees reassembled datagrams whatever the format, and the
    /// stream analysis when it reads one of its fields (`tcp.stream`, relative `tcp.seq`).
    init(_ output: OutputOptions, linkType: LinkType, filter: DisplayFilter? = nil) {
        let showing = output.format != .text && !output.noAnalysis
        if showing || filter != nil {
            sequence = SequenceAnalysis(linkType: linkType, streams: showing || filter!.names.contains(where: PacketAnalysis.providesField))
        }
        if output.format == .text && output.relative { tcpdump = TcpdumpSequenceTracker(linkType: linkType) }
    }

    /// Whether there is anything to add (otherwise records are made without annotations).
    var isActive: Bool { sequence != nil || tcpdump != nil }

    mutating func annotate(_ packet: CapturedPacket, number: Int) -> StreamAnnotation {
        var a = StreamAnnotation()
        if sequence != nil {
            a.analysis = sequence!.next(packet.bytes, number: number, microseconds: Int64(packet.seconds) * 1_000_000 + Int64(packet.microseconds),
                                        wireLength: packet.originalLength)
        }
        if tcpdump != nil {
            a.tcpdumpOffsets = tcpdump!.offsets(packet.bytes, wireLength: packet.originalLength)
        }
        return a
    }

    /// The batch's annotations, or none at all while every one is empty (reassembly alone, for
    /// -Y, finds nothing in a batch without fragments): readers take a missing one as `.none`.
    mutating func annotate(_ packets: [CapturedPacket], firstNumber: Int) -> [StreamAnnotation] {
        guard isActive else { return [] }
        var out: [StreamAnnotation] = []
        var any = false
        for (i, p) in packets.enumerated() {
            let a = annotate(p, number: firstNumber + i)
            if !any && (a.analysis != .none || a.tcpdumpOffsets != nil) {
                any = true
                out.reserveCapacity(packets.count)
                out.append(contentsOf: repeatElement(.none, count: i))
            }
            if any { out.append(a) }
        }
        return out
    }
}
