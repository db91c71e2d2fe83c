#if canImport(Glibc)
import Glibc
#endif
import App
import Capture
import DropTracing
import Verdicts
import Wire

/// `print --drops`: the kernel's verdict under each packet it dropped, and a line of its own for
/// a drop of a packet not captured. Packets are held back `DropMatcher.hold` microseconds before they are
/// printed, so that a drop reported a moment after its packet was captured is there to be
/// matched (the two come by different roads).
struct VerdictPrinter {
    let tracer: DropTracer
    let format: OutputFormat
    private var matcher = DropMatcher()
    private var clock = TimeOfDay()
    /// Drops reported, and of them tied to a captured packet.
    private(set) var reported = 0
    private(set) var matched = 0

    /// Attaches the tracer for drops in this process's network namespace and `namespace`'s;
    /// where BPF cannot be had, says why in one line and returns nil (capture goes on without).
    static func start(namespace: String?, format: OutputFormat) -> VerdictPrinter? {
        do {
            return VerdictPrinter(tracer: try DropTracer.watching(namespace: namespace), format: format)
        } catch {
            printError("kernel verdicts are off: \(error.description); capturing without them")
            return nil
        }
    }

    init(tracer: DropTracer, format: OutputFormat) {
        self.tracer = tracer
        self.format = format
    }

    /// The time before which packets may be printed now: a drop of theirs has had time to come.
    static func printableBefore() -> Int64 { DropMatcher.wallClock() - DropMatcher.hold }

    /// Takes the drops the tracer read since the last call; any the matcher had no room for
    /// are written at once.
    mutating func collect(into text: inout TextWriter) {
        let drops = tracer.take()
        reported += drops.count
        // Pushed out of the matcher's bounded wait: printing fell that far behind the drops.
        for (drop, packet) in matcher.add(drops) { write(drop, packet: packet, fellBehind: true, into: &text) }
    }

    /// The kernel's drop of this packet, if it dropped it.
    mutating func drop(of packet: CapturedPacket, number: Int, linkType: LinkType) -> DropEvent? {
        let start = Dissector.networkLayerStart(packet.bytes, linkType: linkType)
        let drop = matcher.verdict(for: packet.bytes, at: start, number: number)
        if drop != nil { matched += 1 }
        return drop
    }

    /// The verdict in the tree or JSON record just formatted into `text` (the text line goes
    /// under the packet's line, before any hex: `PacketPrinter`).
    func annotate(_ drop: DropEvent, into text: inout TextWriter) {
        switch format {
        case .text:
            break
        case .tree:
            // Inside the packet's record, before the blank line that ends it.
            text.removeLast(1)
            text.write("Kernel verdict: dropped, ")
            text.write(drop.verdict)
            text.write("\n\n")
        case .json:
            // On the packet's own object: its closing brace and newline make room.
            text.removeLast(2)
            text.write(",\"kernel.drop_reason\":")
            text.write(jsonString: drop.reason)
            text.write(",\"kernel.drop_location\":")
            text.write(jsonString: drop.location)
            text.write("}\n")
        }
    }

    /// Drops up to `time` that no packet took: each on a line of its own.
    mutating func writeUnmatched(upTo time: Int64, into text: inout TextWriter) {
        for (drop, packet) in matcher.expired(upTo: time) { write(drop, packet: packet, into: &text) }
    }

    /// A drop on a line of its own: of packet `packet` (dropped a while after it was printed),
    /// or of one tunscope did not capture, with its headers decoded.
    /// `fellBehind`: given up on unmatched because too many drops were waiting, not because no
    /// packet of its bytes was captured.
    private mutating func write(_ drop: DropEvent, packet: Int?, fellBehind: Bool = false, into text: inout TextWriter) {
        // Tied to its packet all the same, only after the packet was printed: under a storm the
        // kernel drops a packet a while after it was captured (stamped as it was queued).
        if packet != nil { matched += 1 }
        switch format {
        case .json:
            text.write("{\"kernel.drop_reason\":")
            text.write(jsonString: drop.reason)
            text.write(",\"kernel.drop_location\":")
            text.write(jsonString: drop.location)
            text.write(",\"kernel.drop_device\":")
            text.write(jsonString: drop.device)
            text.write(",\"kernel.drop_time\":")
            text.write(epochTime: drop.seconds, drop.microseconds)
            if let packet {
                text.write(",\"kernel.drop_packet\":")
                text.write(decimal: packet)
            } else {
                if fellBehind { text.write(",\"kernel.drop_unmatched\":\"tunscope fell behind\"") }
                var summary = TextWriter(capacity: 256)
                drop.writeHeaders(into: &summary)
                text.write(",\"kernel.drop_summary\":")
                text.write(jsonString: summary.string)
            }
            text.write("}\n")
        case .text, .tree:
            clock.write(seconds: drop.seconds, microseconds: drop.microseconds, into: &text)
            if let packet {
                text.write(" kernel dropped packet ")
                text.write(decimal: packet)
                text.write(": ")
                text.write(drop.verdict)
            } else {
                text.write(fellBehind ? " kernel dropped, not matched (tunscope fell behind)" : " kernel dropped, not captured")
                if !drop.device.isEmpty {
                    text.write(", on ")
                    text.write(drop.device)
                }
                text.write(": ")
                text.write(drop.verdict)
                text.write(": ")
                drop.writeHeaders(into: &text)
            }
            text.write(byte: 10)
            if format == .tree { text.write(byte: 10) }
        }
    }

    /// For the last line `print` says.
    var summary: String {
        let undelivered = tracer.undelivered.map(String.init) ?? "unknown"
        return "\(counted(reported, "kernel drop")) reported (\(matched) of captured packets), \(undelivered) undelivered"
    }
}
