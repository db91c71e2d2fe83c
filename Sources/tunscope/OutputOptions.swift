import ArgumentParser
import Capture

/// How packets are shown and kept: shared by `print` and `lab`.
struct OutputOptions: ParsableArguments {
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
        if maxPackets < 1 {
            throw ValidationError("--max-packets needs a positive number.")
        }
    }
}
