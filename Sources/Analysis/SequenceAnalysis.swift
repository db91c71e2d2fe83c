import Wire

/// What a packet's place in the sequence adds to it, worked out packet by packet in order:
/// the datagram it completes (IP reassembly) and, when asked for, its stream analysis
/// (`tcp.stream`, relative numbers, `tcp.analysis.*`). `print` runs one over what it reads, the
/// screen's display filter over the stored packets.
public struct SequenceAnalysis {
    private var reassembler: FragmentReassembler
    private var analyzer: StreamAnalyzer?

    public init(linkType: LinkType, streams: Bool) {
        reassembler = FragmentReassembler(linkType: linkType)
        analyzer = streams ? StreamAnalyzer(linkType: linkType) : nil
    }

    public mutating func next(_ bytes: Bytes, number: Int, microseconds: Int64, wireLength: Int) -> PacketAnalysis {
        // A fragment that completes a datagram is analysed as the datagram's TCP or UDP.
        let reassembled = reassembler.add(bytes, number: number, microseconds: microseconds)
        var analysis = analyzer?.analyze(bytes, number: number, microseconds: microseconds, wireLength: wireLength,
                                         reassembled: reassembled) ?? PacketAnalysis()
        analysis.reassembled = reassembled
        return analysis
    }
}

extension Dissector {
    /// A packet's dissection as a display filter reads it (`print -Y`, the screen's `/`): no
    /// text, the datagram it completed, its stream analysis, and `frame` first when given.
    public static func dissectForFilter(_ packet: Bytes, linkType: LinkType, wireLength: Int, analysis: PacketAnalysis,
                                        frame: FrameInfo?) -> Dissection {
        var d = dissect(packet, linkType: linkType, wireLength: wireLength, describing: false, reassembled: analysis.reassembled)
        d.add(analysis)
        if let frame { d.layers.insert(frame.layer(capturedLength: packet.count, describing: false), at: 0) }
        return d
    }
}
