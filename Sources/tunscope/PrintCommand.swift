#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Capture
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
        Exit status: 0 when every packet was read (malformed packets included) or live capture was \
        stopped with Ctrl-C/SIGTERM; 1 when the file is missing, not a capture, cut short, the filter \
        is invalid, the device cannot be opened or went away.
        """
    )

    @Option(name: .customShort("r"), help: ArgumentHelp("Read packets from a pcap or pcapng file.", valueName: "file"))
    var file: String?

    @Option(name: .customShort("i"), help: ArgumentHelp("Capture live from this tun (or, with --tap, tap) device.", valueName: "device"))
    var device: String?

    @Flag(help: "The device is a tap (Ethernet frames), not a tun (IP packets).")
    var tap = false

    @Option(name: .customShort("f"), help: ArgumentHelp("Keep only packets that match this BPF expression (tcpdump's filter language).", valueName: "expression"))
    var filter: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many packets.", valueName: "count"))
    var count: Int?

    @Option(name: .customShort("w"), help: ArgumentHelp("Live: also write the packets to this pcap file.", valueName: "file"))
    var writeFile: String?

    @Flag(name: .customShort("q"), help: "Print nothing per packet (with -w, to only record).")
    var quiet = false

    @Option(help: "Output format: text (tcpdump's lines), tree (tshark -V's), json (JSON Lines).")
    var format: OutputFormat = .text

    @Flag(name: .customShort("x"), help: "Hex and ASCII under each packet, as tcpdump -X.")
    var hex = false

    @Option(help: ArgumentHelp("Live: keep at most this many packets in memory (older ones are evicted and counted).", valueName: "n"))
    var maxPackets = PacketStore.Limits().packets

    func validate() throws {
        if let count, count < 1 {
            throw ValidationError("-c needs a positive number of packets, not \(count).")
        }
        if hex && format == .json {
            throw ValidationError("-x adds hex lines, which JSON Lines cannot hold: use it with --format text or tree.")
        }
        switch (file, device) {
        case (nil, nil): throw ValidationError("Say where packets come from: -r FILE or -i DEVICE.")
        case (.some, .some): throw ValidationError("-r and -i cannot be used together: read a file or capture live.")
        default: break
        }
        if file != nil && (writeFile != nil || tap) {
            throw ValidationError("-w and --tap go with -i (live capture).")
        }
        if maxPackets < 1 {
            throw ValidationError("--max-packets needs a positive number.")
        }
    }

    func run() throws {
        do {
            if let file {
                try printFile(file)
            } else if let device {
                try printLive(device)
            }
        } catch let e as CaptureError {
            printError(e.description)
            throw ExitCode(1)
        } catch let e as RuntimeError {
            printError(e.description)
            throw ExitCode(1)
        }
    }

    private func printFile(_ path: String) throws {
        let reader = try CaptureFileReader(path: path, filter: filter)
        guard reader.linkType.isSupported else {
            throw CaptureError("\(path): link type \(reader.linkType.rawValue) is not one tunscope decodes (Ethernet, raw IP, IPv4 and IPv6 are)")
        }
        var out = StandardOutput()
        var printer = PacketPrinter(format: format, hex: hex, linkType: reader.linkType)
        var number = 0
        defer { out.flush() }
        while count == nil || number < count! {
            guard let packet = try reader.next() else { break }
            number += 1
            out.write(printer.format(packet, number: number))
        }
    }

    private func printLive(_ name: String) throws {
        Signals.catchStopSignals()
        let store = PacketStore(limits: .init(packets: maxPackets))
        let capture = try LiveCapture(device: name, tap: tap, filter: filter, store: store)
        try Privileges.dropToInvokingUser()
        let writer = try writeFile.map { try CaptureFileWriter(path: $0, linkType: capture.device.linkType) }
        var out = StandardOutput()
        var printer = PacketPrinter(format: format, hex: hex, linkType: capture.device.linkType)
        var next = 1
        var handled = 0
        var missed = 0
        // Take what capture stored since the last look; packets evicted before we got to them are
        // counted, never silently skipped.
        func drain() {
            let total = store.counts.total
            guard total >= next else { return }
            let batch = store.packets(numbered: next...total)
            if let first = batch.first { missed += first.number - next }
            for p in batch {
                if let count, handled >= count { break }
                writer?.write(p.packet)
                if !quiet { out.write(printer.format(p.packet, number: p.number)) }
                handled += 1
            }
            out.flush()
            next = total + 1
        }
        while Signals.stopSignal == 0 && capture.isRunning && (count == nil || handled < count!) {
            drain()
            usleep(2_000)
        }
        capture.stop()
        drain()
        try writer?.close()
        let dropped = capture.kernelDropped.map(String.init) ?? "unknown"
        printError("\(handled) packets captured, \(dropped) dropped by the kernel, \(store.counts.evicted) evicted"
                   + (missed > 0 ? " (\(missed) evicted before they were printed or written)" : ""))
        if let failure = capture.failure {
            let kept = writeFile.map { ": the \(handled) packets captured are in \($0)" } ?? ""
            throw RuntimeError("\(failure.description)\(kept)")
        }
    }
}

/// Formats one packet in the chosen format, reusing one text buffer for every packet.
struct PacketPrinter {
    let format: OutputFormat
    let hex: Bool
    let linkType: LinkType
    private var text = TextWriter(capacity: 4096)
    private var clock = TimeOfDay()

    init(format: OutputFormat, hex: Bool, linkType: LinkType) {
        self.format = format
        self.hex = hex
        self.linkType = linkType
    }

    mutating func format(_ p: CapturedPacket, number: Int) -> [UInt8] {
        text.removeAll()
        let frame = FrameInfo(number: number, seconds: p.seconds, microseconds: p.microseconds, originalLength: p.originalLength)
        var networkStart = 0
        switch format {
        case .text:
            clock.write(seconds: p.seconds, microseconds: p.microseconds, into: &text)
            text.write(byte: 32)
            Summary.write(p.bytes, linkType: linkType, into: &text)
            text.write(byte: 10)
            if hex { networkStart = Dissector.networkLayerStart(p.bytes, linkType: linkType) }
        case .tree:
            let d = Dissector.dissect(p.bytes, linkType: linkType)
            TreeFormatter.write(d, frame: frame, bytes: p.bytes, into: &text)
            text.write(byte: 10)
        case .json:
            let d = Dissector.dissect(p.bytes, linkType: linkType)
            JSONFormatter.write(d, frame: frame, bytes: p.bytes, into: &text)
        }
        if hex {
            HexDump.write(p.bytes, from: networkStart, into: &text)
        }
        return text.bytes
    }
}
