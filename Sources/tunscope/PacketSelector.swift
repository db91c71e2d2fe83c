#if canImport(Glibc)
import Glibc
#endif
import Analysis
import Capture
import Dispatch
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
        let frame = filter.readsFrame
            ? FrameInfo(number: number, seconds: p.seconds, microseconds: p.microseconds, originalLength: p.originalLength) : nil
        return Dissector.dissectForFilter(p.bytes, linkType: linkType, wireLength: p.originalLength, analysis: annotation.analysis,
                                          frame: frame)
    }

    /// The packets of a batch the filter keeps, with their numbers in the capture and annotations.
    /// The indices in `batch` of the packets the filter keeps.
    func select(_ batch: [CapturedPacket], firstNumber: Int, annotations: [StreamAnnotation]) -> [Int] {
        // The analysis is done (in order, by the caller); what is left is per packet, so the
        // batch is split over every core, as the formatting is.
        let parts = min(Self.workers, max(1, batch.count / 256))
        var verdicts = [Bool](repeating: false, count: batch.count)
        verdicts.withUnsafeMutableBufferPointer { verdicts in
            let out = UncheckedBuffer(verdicts)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for i in (batch.count * part / parts)..<(batch.count * (part + 1) / parts) {
                    out.buffer[i] = keeps(batch[i], number: firstNumber + i, annotation: i < annotations.count ? annotations[i] : .none)
                }
            }
        }
        return batch.indices.filter { verdicts[$0] }
    }

    private static let workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Each worker writes only its own part of the verdicts.
    private struct UncheckedBuffer: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Bool>
        init(_ buffer: UnsafeMutableBufferPointer<Bool>) { self.buffer = buffer }
    }
}
