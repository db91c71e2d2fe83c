import ArgumentParser
import Capture
import Wire

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, tree, json
}

/// `tunscope print`: packets as text lines (tcpdump's), a header tree (tshark -V's) or JSON Lines.
struct PrintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print",
        abstract: "Print the packets of a capture file, as tcpdump -nn -S, tshark -V or JSON.",
        discussion: "Exit status: 0 when every packet was read (malformed packets included), 1 when the file is missing, not a capture, cut short or the filter is invalid."
    )

    @Option(name: .customShort("r"), help: ArgumentHelp("Read packets from a pcap or pcapng file.", valueName: "file"))
    var file: String

    @Option(name: .customShort("f"), help: ArgumentHelp("Keep only packets that match this BPF expression (tcpdump's filter language).", valueName: "expression"))
    var filter: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after this many packets.", valueName: "count"))
    var count: Int?

    @Option(help: "Output format: text (tcpdump's lines), tree (tshark -V's), json (JSON Lines).")
    var format: OutputFormat = .text

    @Flag(name: .customShort("x"), help: "Hex and ASCII under each packet, as tcpdump -X.")
    var hex = false

    func validate() throws {
        if let count, count < 1 {
            throw ValidationError("-c needs a positive number of packets, not \(count).")
        }
        if hex && format == .json {
            throw ValidationError("-x adds hex lines, which JSON Lines cannot hold: use it with --format text or tree.")
        }
    }

    func run() throws {
        let reader: CaptureFileReader
        do {
            reader = try CaptureFileReader(path: file, filter: filter)
        } catch let e as CaptureError {
            printError(e.description)
            throw ExitCode(1)
        }
        guard reader.linkType.isSupported else {
            printError("\(file): link type \(reader.linkType.rawValue) is not one tunscope decodes (Ethernet, raw IP, IPv4 and IPv6 are)")
            throw ExitCode(1)
        }
        var out = StandardOutput()
        var printer = PacketPrinter(format: format, hex: hex, linkType: reader.linkType)
        var number = 0
        var failure: CaptureError?
        while count == nil || number < count! {
            let packet: CapturedPacket?
            do {
                packet = try reader.next()
            } catch let e as CaptureError {
                failure = e
                break
            }
            guard let packet else { break }
            number += 1
            out.write(printer.format(packet, number: number))
        }
        out.flush()
        if let failure {
            printError(failure.description)
            throw ExitCode(1)
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
