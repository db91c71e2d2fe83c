#if canImport(Glibc)
import Glibc
#endif
import App
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

    @OptionGroup var output: OutputOptions

    func validate() throws {
        switch (file, device) {
        case (nil, nil): throw ValidationError("Say where packets come from: -r FILE or -i DEVICE.")
        case (.some, .some): throw ValidationError("-r and -i cannot be used together: read a file or capture live.")
        default: break
        }
        if file != nil && (output.writeFile != nil || tap) {
            throw ValidationError("-w and --tap go with -i (live capture).")
        }
    }

    func run() throws {
        try reportingFailures {
            if let file {
                try printFile(file)
            } else if let device {
                try LivePrinter(output: output).capture(device: device, tap: tap)
            }
        }
    }

    private func printFile(_ path: String) throws {
        let reader = try CaptureFileReader(path: path, filter: output.filter)
        guard reader.linkType.isSupported else {
            throw CaptureError("\(path): link type \(reader.linkType.rawValue) is not one tunscope decodes (Ethernet, raw IP, IPv4 and IPv6 are)")
        }
        var out = StandardOutput()
        var printer = PacketPrinter(format: output.format, hex: output.hex, linkType: reader.linkType)
        var number = 0
        defer { out.flush() }
        while output.count == nil || number < output.count! {
            guard let packet = try reader.next() else { break }
            number += 1
            out.write(printer.format(packet, number: number))
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
            Summary.write(p.bytes, linkType: linkType, wireLength: p.originalLength, into: &text)
            text.write(byte: 10)
            if hex { networkStart = Dissector.networkLayerStart(p.bytes, linkType: linkType) }
        case .tree:
            let d = Dissector.dissect(p.bytes, linkType: linkType, wireLength: p.originalLength)
            TreeFormatter.write(d, frame: frame, bytes: p.bytes, into: &text)
            text.write(byte: 10)
        case .json:
            let d = Dissector.dissect(p.bytes, linkType: linkType, wireLength: p.originalLength)
            JSONFormatter.write(d, frame: frame, bytes: p.bytes, into: &text)
        }
        if hex {
            HexDump.write(p.bytes, from: networkStart, into: &text)
        }
        return text.bytes
    }
}
