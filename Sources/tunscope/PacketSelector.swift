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

    func keeps(_ p: CapturedPacket, number: Int, annotation: StreamAnnotation) -> Bool {
        // A fragment is never plain, so a completed datagram is judged on its dissection.
        p.bytes.withUnsafeBytes { bytes in
            filter.matches(bytes, linkType: linkType, wireLength: p.originalLength) {
                (dissection(p, number: number, annotation: annotation), p.bytes)
            }
        }
    }

    private func dissection(_ p: CapturedPacket, number: Int, annotation: StreamAnnotation) -> Dissection {
        var d = Dissector.dissect(p.bytes, linkType: linkType, wireLength: p.originalLength, describing: false,
                                  reassembled: annotation.analysis.reassembled)
        d.add(annotation.analysis)
        guard filter.readsFrame else { return d }
        let frame = FrameInfo(number: number, seconds: p.seconds, microseconds: p.microseconds, originalLength: p.originalLength)
        d.layers.insert(frame.layer(capturedLength: p.bytes.count, describing: false), at: 0)
        return d
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
