#if canImport(Glibc)
import Glibc
#endif
import Analysis
import App
import ArgumentParser
import Capture
import Dispatch
import DisplayFilter
import Wire

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, tree, json
}

/// `tunscope print`: packets as text lines (tcpdump's), a header tree (tshark -V's) or JSON
/// Lines, from a capture file (-r) or live from a tun/tap device (-i).
struct PrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Print packets from a capture file or a live tun/tap device, as tcpdump -nn -S, tshark -V or JSON.",
        discussion: """
        Exit status: 0 when every packet was read (malformed packets included) or live capture or a \
        stream (-r -, --follow) was stopped with Ctrl-C/SIGTERM; 1 when the file is missing, not a capture, cut short, the filter \
        is invalid, the device cannot be opened or went away.
        """
    )

    @Option(name: .customShort("r"), parsing: .unconditional, help: ArgumentHelp("Read packets from a pcap or pcapng file ('-': standard input; a FIFO works too).", valueName: "file"))
    var file: String?

    @Flag(help: "With -r: keep reading the file as it grows (tcpdump -U -w FILE still writing it), as tail -f does; Ctrl-C ends.")
    var follow = false

    @Option(name: .customShort("i"), parsing: .unconditionalSingleValue, help: ArgumentHelp("""
        Capture live from this device: a tun (or, with --tap, tap) tunscope holds as the far end; one another \
        program holds, any other interface, or 'any', watched through libpcap. Repeat for several.
        """, valueName: "device"))
    var devices: [String] = []

    @Flag(help: "The device is a tap (Ethernet frames), not a tun (IP packets).")
    var tap = false

    @OptionGroup var output: OutputOptions

    @Option(name: .customShort("Y"), parsing: .unconditional, help: ArgumentHelp("""
        Keep only packets that match this Wireshark display filter (tshark -Y): tcp.flags.syn == 1 && !tcp.flags.ack, \
        ip.addr == 10.0.0.0/8, dns.qry.name contains "example". With -f, the BPF filter applies first; -c counts packets kept.
        """, valueName: "expression"))
    var displayFilter: String?

    @OptionGroup var watching: WatchOptions

    @Flag(help: ArgumentHelp("""
        With -i: the kernel's verdict under each packet it dropped (reason, its meaning, the kernel function), and a line \
        of its own for a drop of a packet not captured; JSON adds kernel.drop_reason and kernel.drop_location. Needs root \
        (or CAP_BPF and CAP_PERFMON) and a kernel with BTF (Linux 5.17+); without them capture goes on and says why.
        """))
    var drops = false

    @Flag(name: .customShort("D"), help: "List the interfaces (as tcpdump -D numbers them), whether each is up, and which tunscope can hold.")
    var listInterfaces = false

    func validate() throws {
        if listInterfaces { return }
        switch (file, devices.isEmpty) {
        case (nil, true): throw ValidationError("Say where packets come from: -r FILE or -i DEVICE.")
        case (.some, false): throw ValidationError("-r and -i cannot be used together: read a file or capture live.")
        default: break
        }
        if file != nil && (output.writeFile != nil || tap || watching.watch || watching.bufferSize != nil) {
            throw ValidationError("-w, --tap, --watch and -B go with -i (live capture).")
        }
        if Set(devices).count != devices.count {
            throw ValidationError("-i names a device twice.")
        }
        if drops && devices.isEmpty {
            throw ValidationError("--drops goes with -i: the kernel's verdicts are on packets it handles now.")
        }
        if follow && file == nil {
            throw ValidationError("--follow goes with -r FILE: it keeps reading a capture file that is still being written.")
        }
        if follow && file == "-" {
            throw ValidationError("--follow is for a file that is still being written; standard input already waits for what the pipe brings (drop --follow).")
        }
    }

    func run() throws {
        try reportingFailures {
            // Compiled before the file is opened: a mistake in it is the first thing said.
            var filter: DisplayFilter?
            if let displayFilter {
                do { filter = try DisplayFilter(displayFilter) } catch { throw RuntimeError("-Y: \(error)") }
            }
            if listInterfaces {
                try InterfaceList.print()
            } else if let file {
                if follow || isStream(file) {
                    try printStream(file, filter: filter)
                } else {
                    try printFile(file, filter: filter)
                }
            } else {
                try LivePrinter(output: output, displayFilter: filter, verdicts: drops).capture(devices: devices, tap: tap, watch: watching)
            }
        }
    }

    /// What -q says instead of the packets: how many were read, and kept by -Y.
    private func quietSummary(read: Int, kept: Int) -> String {
        counted(read, "packet") + " read" + (displayFilter != nil ? ", \(kept) kept by -Y" : "")
    }

    private func printFile(_ path: String, filter: DisplayFilter?) throws {
        let reader = try CaptureFileReader(path: path, filter: output.filter)
        guard reader.linkType.isSupported else {
            throw CaptureError("\(path): link type \(reader.linkType.rawValue) is not one tunscope decodes (Ethernet, raw IP, IPv4, IPv6 and Linux cooked v1 and v2 are)")
        }
        // An SLL2 packet's interface is named as tcpdump names it: by this machine's interfaces.
        let names = reader.linkType == .linuxSLL2 ? LocalInterfaces.names() : [:]
        let printer = BatchPrinter(formatter: BatchFormatter(format: output.format, hex: output.hex, linkType: reader.linkType,
                                                             interfaceNames: names),
                                   quiet: output.quiet, streams: StreamAnnotator(output, linkType: reader.linkType, filter: filter),
                                   selector: filter.map { PacketSelector(filter: $0, linkType: reader.linkType) })
        // A damaged file still gets every packet before the damage printed, then the error.
        var damage: Error?
        // Read once: an option's value goes through ArgumentParser's generic property wrapper.
        let limit = output.count ?? Int.max
        while damage == nil && printer.printed < limit {
            do {
                // With -Y, -c counts the packets kept, so a batch reads on; without, exactly what -c leaves.
                let wanted = filter == nil ? limit - printer.printed : BatchFormatter.batchSize
                while printer.batch.count < BatchFormatter.batchSize && printer.batch.count < wanted, let packet = try reader.next() {
                    printer.batch.append(packet)
                }
            } catch {
                damage = error
            }
            if printer.batch.isEmpty { break }
            printer.flush(room: limit - printer.printed)
        }
        if output.quiet { printError(quietSummary(read: printer.number, kept: printer.printed)) }
        // Where: the packets before the damage were all printed.
        if let damage { throw RuntimeError("\(damage) (after packet \(printer.number), the last \(filter == nil ? "printed" : "read"))") }
    }
}

extension PrintCommand {
    /// Packets that arrive over time (a pipe, a FIFO, a file being written) are printed as they
    /// come: read and formatted in batches as a file's are, except that a batch also goes out
    /// the moment the stream would make the reader wait (the stream's willWait, called from
    /// inside libpcap's read on this thread). A fast pipe prints in full batches, as fast as a
    /// file; a slow one packet by packet. Ctrl-C, SIGTERM or SIGHUP end it with status 0, after
    /// what was read is printed.
    func printStream(_ path: String, filter: DisplayFilter?) throws {
        Signals.catchStopSignals()
        let stream: CaptureStream
        let reader: CaptureFileReader
        do {
            stream = try CaptureStream(path: path, follow: follow, shouldStop: { Signals.stopSignal != 0 })
            reader = try CaptureFileReader(stream: stream, filter: output.filter)
        } catch {
            if Signals.stopSignal != 0 { return }  // stopped before anything came: nothing to say
            throw error
        }
        guard reader.linkType.isSupported else {
            throw CaptureError("\(stream.name): link type \(reader.linkType.rawValue) is not one tunscope decodes (Ethernet, raw IP, IPv4 and IPv6 are)")
        }
        let printer = BatchPrinter(formatter: BatchFormatter(format: output.format, hex: output.hex, linkType: reader.linkType), quiet: output.quiet,
                                   streams: StreamAnnotator(output, linkType: reader.linkType, filter: filter),
                                   selector: filter.map { PacketSelector(filter: $0, linkType: reader.linkType) })
        defer {
            printer.flush()
            if output.quiet { printError(quietSummary(read: printer.number, kept: printer.printed)) }
        }
        stream.willWait = { printer.flush() }
        let limit = output.count ?? Int.max
        do {
            while printer.printed + printer.batch.count < limit, let packet = try reader.next() {
                printer.batch.append(packet)
                if printer.batch.count == BatchFormatter.batchSize { printer.flush() }
            }
        } catch {
            // Stopped by a signal mid-record: the end the user asked for, not damage.
            if Signals.stopSignal != 0 { return }
            printer.flush()
            throw RuntimeError("\(error) (after packet \(printer.number), the last \(filter == nil ? "printed" : "read"))")
        }
    }
}

/// The packets read and not yet printed, and how to print them: formatted on every core,
/// written, and flushed (the next may be a while coming).
final class BatchPrinter {
    let formatter: BatchFormatter
    /// -q: nothing printed, the packets only counted.
    let quiet: Bool
    var streams: StreamAnnotator
    /// -Y's filter: packets it refuses are read and analysed, not printed.
    let selector: PacketSelector?
    var batch: [CapturedPacket] = []
    /// Packets read so far, and printed (fewer with -Y).
    private(set) var number = 0
    private(set) var printed = 0
    private var out = StandardOutput()

    init(formatter: BatchFormatter, quiet: Bool = false, streams: StreamAnnotator, selector: PacketSelector? = nil) {
        self.formatter = formatter
        self.quiet = quiet
        self.streams = streams
        self.selector = selector
        batch.reserveCapacity(BatchFormatter.batchSize)
    }

    /// Prints the batch: with -Y, at most `room` of the packets it keeps (-c's rest).
    func flush(room: Int = Int.max) {
        guard !batch.isEmpty else { return }
        // The analysis follows the packets in order; the formatting then splits them over the cores.
        let annotations = streams.annotate(batch, firstNumber: number + 1)
        if let selector {
            // Analysis runs on every packet read; the filter applies after it.
            let kept = selector.select(batch, firstNumber: number + 1, annotations: annotations).prefix(room)
            if !quiet {
                formatter.format(kept.map { batch[$0] }, numbers: kept.map { number + 1 + $0 },
                                 annotations: annotations.isEmpty ? [] : kept.map { annotations[$0] }) { out.write($0) }
            }
            printed += kept.count
        } else {
            if !quiet { formatter.format(batch, firstNumber: number + 1, annotations: annotations) { out.write($0) } }
            printed += batch.count
        }
        number += batch.count
        batch.removeAll(keepingCapacity: true)
        out.flush()
    }
}

/// Standard input ("-") and FIFOs are read as streams: what has arrived is printed before the
/// reader waits for more.
func isStream(_ path: String) -> Bool {
    if path == "-" { return true }
    var info = stat()
    return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO
}

/// Formats packets a batch at a time, the batch split over every core: decoding and writing a
/// header tree or JSON takes microseconds a packet, and packets do not depend on each other.
/// The parts come back in packet order.
final class BatchFormatter: @unchecked Sendable {
    static let batchSize = 4096
    let format: OutputFormat
    let hex: Bool
    let linkType: LinkType
    let interfaceNames: InterfaceNames
    private let workers = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    init(format: OutputFormat, hex: Bool, linkType: LinkType, interfaceNames: InterfaceNames = [:]) {
        self.format = format
        self.hex = hex
        self.linkType = linkType
        self.interfaceNames = interfaceNames
    }

    /// Formats `packets` and hands their records to `write` in packet order, a part at a time.
    /// The parts' buffers are kept for the next call (fresh megabytes each batch would cost page
    /// faults).
    func format(_ packets: [CapturedPacket], firstNumber: Int, annotations: [StreamAnnotation] = [],
                write: (UnsafeRawBufferPointer) -> Void) {
        format(packets, numbers: Array(firstNumber..<(firstNumber + packets.count)), annotations: annotations, write: write)
    }

    /// Formats `packets`, each with its number in the capture (not consecutive after -Y).
    func format(_ packets: [CapturedPacket], numbers: [Int], annotations: [StreamAnnotation] = [],
                write: (UnsafeRawBufferPointer) -> Void) {
        let parts = min(workers, max(1, packets.count / 64))
        let format = self.format, hex = self.hex, linkType = self.linkType, names = self.interfaceNames
        let results = self.results
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (packets.count * part / parts)..<(packets.count * (part + 1) / parts)
            var printer = PacketPrinter(format: format, hex: hex, linkType: linkType, interfaceNames: names)
            results.withPart(part) { text in
                for i in range {
                    printer.format(packets[i], number: numbers[i], annotation: i < annotations.count ? annotations[i] : .none, into: &text)
                }
            }
        }
        for part in 0..<parts { results.parts[part].withBytes(write) }
    }

    private lazy var results = Results(count: workers)

    /// One text buffer per worker, kept from batch to batch, each worker touching only its own.
    private final class Results: @unchecked Sendable {
        let parts: UnsafeMutablePointer<TextWriter>
        let count: Int
        init(count: Int) {
            self.count = count
            parts = .allocate(capacity: count)
            for i in 0..<count { (parts + i).initialize(to: TextWriter(capacity: 0)) }
        }
        deinit {
            parts.deinitialize(count: count)
            parts.deallocate()
        }
        /// The worker writes through a writer moved onto its own stack, not in place: the writers
        /// sit side by side, and two cores updating the same cache line on every append slow
        /// each other down.
        func withPart(_ i: Int, _ body: (inout TextWriter) -> Void) {
            var text = (parts + i).move()
            text.removeAll()
            body(&text)
            (parts + i).initialize(to: text)
        }
    }
}

/// Formats one packet in the chosen format.
struct PacketPrinter {
    let format: OutputFormat
    let hex: Bool
    let linkType: LinkType
    /// Names for an SLL2 packet's interface index in the text line (see `Summary.write`).
    let interfaceNames: InterfaceNames
    private var clock = TimeOfDay()

    init(format: OutputFormat, hex: Bool, linkType: LinkType, interfaceNames: InterfaceNames = [:]) {
        self.format = format
        self.hex = hex
        self.linkType = linkType
        self.interfaceNames = interfaceNames
    }

    /// Appends the packet's record to `text`; `verdict`: the kernel's, on a line under the
    /// packet's text line (`print --drops`).
    mutating func format(_ p: CapturedPacket, number: Int, annotation: StreamAnnotation = .none, verdict: String? = nil,
                         into text: inout TextWriter) {
        let frame = FrameInfo(number: number, seconds: p.seconds, microseconds: p.microseconds, originalLength: p.originalLength)
        var networkStart = 0
        switch format {
        case .text:
            clock.write(seconds: p.seconds, microseconds: p.microseconds, into: &text)
            text.write(byte: 32)
            text.tcpdumpOffsets = annotation.tcpdumpOffsets
            Summary.write(p.bytes, linkType: linkType, wireLength: p.originalLength, interfaceNames: interfaceNames, into: &text)
            text.tcpdumpOffsets = nil
            text.write(byte: 10)
            if let verdict {
                text.write("    kernel dropped it: ")
                text.write(verdict)
                text.write(byte: 10)
            }
            if hex && !Summary.dumpsWholeFrame(text) { networkStart = Dissector.networkLayerStart(p.bytes, linkType: linkType) }
        case .tree:
            var d = Dissector.dissect(p.bytes, linkType: linkType, wireLength: p.originalLength,
                                      reassembled: annotation.analysis.reassembled)
            d.add(annotation.analysis)
            TreeFormatter.write(d, frame: frame, bytes: p.bytes, into: &text)
            text.write(byte: 10)
        case .json:
            var d = Dissector.dissect(p.bytes, linkType: linkType, wireLength: p.originalLength, describing: false,
                                      reassembled: annotation.analysis.reassembled)
            d.add(annotation.analysis)
            JSONFormatter.write(d, frame: frame, bytes: p.bytes, into: &text)
        }
        if hex {
            HexDump.write(p.bytes, from: networkStart, into: &text)
        }
    }
}
