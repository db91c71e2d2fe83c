#if canImport(Glibc)
import Glibc
#endif
import Analysis
import Capture
import Dispatch
import DisplayFilter
import Wire

/// What the packet list's `/` filters by: a Wireshark display filter, in the names the tree
/// shows (`tcp.flags.syn == 1`, `dns.qry.name contains "lab"`); or BPF, tcpdump's language, for
/// text that starts with `bpf:` or is no display filter but is BPF (`tcp port 81`, `host x`),
/// so a tcpdump habit still works.
enum ListFilter {
    case display(DisplayFilter)
    case bpf(PacketFilter)

    static let bpfPrefix = "bpf:"

    /// The filter `text` makes. `lookingUpNames` false while typing: a BPF host name is looked
    /// up only on Enter. The error, when neither language takes it, is the display filter's
    /// (or libpcap's, for text that starts with `bpf:`).
    init(_ text: String, linkType: LinkType, lookingUpNames: Bool = true) throws {
        if text.hasPrefix(Self.bpfPrefix) {
            let expression = String(text.dropFirst(Self.bpfPrefix.count).drop { $0 == " " })
            self = .bpf(try PacketFilter(expression, linkType: linkType, lookingUpNames: lookingUpNames))
            return
        }
        do {
            self = .display(try DisplayFilter(text))
        } catch {
            do {
                self = .bpf(try PacketFilter(text, linkType: linkType, lookingUpNames: lookingUpNames))
            } catch let bpfError {
                // Wrong in both: the message of the language it was meant in.
                throw Self.looksLikeBPF(text) ? bpfError : error
            }
        }
    }

    /// Whether the text uses a word only BPF has (`tcp port 80`, `host x`, `src net y`).
    static func looksLikeBPF(_ text: String) -> Bool {
        let words: Set<Substring> = ["host", "port", "portrange", "net", "src", "dst", "ether", "proto", "less", "greater", "gateway"]
        return text.split(whereSeparator: { !$0.isLetter }).contains { words.contains($0) }
    }

    /// As the status bar shows it: BPF marked as such.
    var expression: String {
        switch self {
        case let .display(f): return f.expression
        case let .bpf(f): return Self.bpfPrefix + " " + f.expression
        }
    }

}

/// One pass of a list filter over the stored packets, oldest to newest, as `print -Y` reads a
/// file: fragments reassembled, and stream analysis worked out along the way when the filter
/// reads it (`tcp.analysis.retransmission`, `tcp.stream == 3`), from the oldest stored packet.
struct FilterPass {
    let filter: ListFilter
    let linkType: LinkType
    private var sequence: SequenceAnalysis?

    init(_ filter: ListFilter, linkType: LinkType) {
        self.filter = filter
        self.linkType = linkType
        if case let .display(f) = filter {
            sequence = SequenceAnalysis(linkType: linkType, streams: f.names.contains(where: PacketAnalysis.providesField))
        }
    }

    /// Which packets of the batch show; batches must come in order, each once. The analysis runs
    /// in order; the filter then judges the packets on every core (a dissection a packet).
    mutating func matches(_ batch: PacketStore.Batch) -> [Bool] {
        var verdicts = [Bool](repeating: false, count: batch.count)
        switch filter {
        case let .bpf(f):
            for i in 0..<batch.count {
                verdicts[i] = batch.withPacket(i) { bytes, _, _, originalLength in f.matches(bytes, originalLength: originalLength) }
            }
        case let .display(f):
            // Each packet's bytes copied once: the analysis takes them, and a dissection reads them again.
            var packets: [Bytes] = [], analyses: [PacketAnalysis] = []
            packets.reserveCapacity(batch.count)
            analyses.reserveCapacity(batch.count)
            for i in 0..<batch.count {
                let analysis = batch.withPacket(i) { bytes, seconds, microseconds, originalLength in
                    packets.append(Array(bytes))
                    return sequence!.next(packets[i], number: batch.firstNumber + i,
                                          microseconds: Int64(seconds) * 1_000_000 + Int64(microseconds), wireLength: originalLength)
                }
                analyses.append(analysis)
            }
            let linkType = self.linkType, parts = min(Self.workers, max(1, batch.count / 256)), analysed = analyses, copies = packets
            verdicts.withUnsafeMutableBufferPointer { verdicts in
                let out = Verdicts(buffer: verdicts)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    for i in (batch.count * part / parts)..<(batch.count * (part + 1) / parts) {
                        out.buffer[i] = batch.withPacket(i) { bytes, seconds, microseconds, originalLength in
                            f.matches(bytes, linkType: linkType, wireLength: originalLength) {
                                let packet = copies[i]
                                let frame = f.readsFrame ? FrameInfo(number: batch.firstNumber + i, seconds: seconds,
                                                                     microseconds: microseconds, originalLength: originalLength) : nil
                                return (Dissector.dissectForFilter(packet, linkType: linkType, wireLength: originalLength,
                                                                   analysis: analysed[i], frame: frame), packet)
                            }
                        }
                    }
                }
            }
        }
        return verdicts
    }

    private static let workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Each worker writes only its own part.
    private struct Verdicts: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Bool>
    }
}
