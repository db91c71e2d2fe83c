import Analysis
import Capture
import DisplayFilter
import Wire

/// `print -Y`: which packets a display filter keeps. Each packet is dissected with its stream
/// analysis and frame layer, as the tree and JSON show it, so the filter sees `tcp.stream`,
/// `tcp.analysis.*` and `frame.number` as tshark's does.
struct PacketSelector {
    let filter: DisplayFilter
    let linkType: LinkType
    /// Whether the filter reads the frame layer (`frame.len`, `frame contains`), made only then.
    private let readsFrame: Bool

    init(filter: DisplayFilter, linkType: LinkType) {
        self.filter = filter
        self.linkType = linkType
        readsFrame = filter.names.contains { $0 == "frame" || $0.hasPrefix("frame.") }
    }

    func keeps(_ p: CapturedPacket, number: Int, annotation: StreamAnnotation) -> Bool {
        var d = Dissector.dissect(p.bytes, linkType: linkType, wireLength: p.originalLength, describing: false,
                                  reassembled: annotation.analysis.reassembled)
        d.add(annotation.analysis)
        guard readsFrame else { return filter.matches(d, bytes: p.bytes) }
        let frame = FrameInfo(number: number, seconds: p.seconds, microseconds: p.microseconds, originalLength: p.originalLength)
        d.layers.insert(frame.layer(capturedLength: p.bytes.count, describing: false), at: 0)
        return filter.matches(d, bytes: p.bytes)
    }

    /// The packets of a batch the filter keeps, with their numbers in the capture and annotations.
    func select(_ batch: [CapturedPacket], firstNumber: Int, annotations: [StreamAnnotation])
        -> (packets: [CapturedPacket], numbers: [Int], annotations: [StreamAnnotation]) {
        var kept: (packets: [CapturedPacket], numbers: [Int], annotations: [StreamAnnotation]) = ([], [], [])
        for (i, p) in batch.enumerated() where keeps(p, number: firstNumber + i, annotation: annotations[i]) {
            kept.packets.append(p)
            kept.numbers.append(firstNumber + i)
            kept.annotations.append(annotations[i])
        }
        return kept
    }
}
