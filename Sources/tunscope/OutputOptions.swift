import ArgumentParser
import Capture

/// How packets are shown and kept: shared by `print` and `lab`.
struct OutputOptions: ParsableArguments {
    // The single-letter options take the next word whatever it looks like, as getopt (tcpdump)
    // does: `-w -nn` writes a file named -nn, and `-r-x.pcap` (TcpdumpHabits) reads -x.pcap.
    @Option(name: .customShort("f"), parsing: .unconditional, help: ArgumentHelp("Keep only packets that match this BPF expression (tcpdump's filter language).", valueName: "expression"))
    var filter: String?

    // .unconditional: "-c -1" reaches validate and its message, not "missing value".
    @Option(name: .customShort("c"), parsing: .unconditional, help: ArgumentHelp("Stop after this many packets.", valueName: "count"))
    var count: Int?

    @Option(name: .customShort("w"), parsing: .unconditional, help: ArgumentHelp("Live: also write the packets to this pcap file.", valueName: "file"))
    var writeFile: String?

    @Flag(name: .customShort("q"), help: "Print nothing per packet, only how many were read (and kept by -Y); live with -w, only record.")
    var quiet = false

    @Option(help: "Output format: text (tcpdump's lines), tree (tshark -V's), json (JSON Lines).")
    var format: OutputFormat = .text

    @Flag(name: .customShort("x"), help: "Hex and ASCII under each packet, as tcpdump -X.")
    var hex = false

    @Flag(help: "Text lines with tcpdump's relative sequence numbers (tcpdump -nn without -S).")
    var relative = false

    @Flag(help: "Tree and JSON without stream analysis (tcp.stream, relative numbers, tcp.analysis): each packet alone.")
    var noAnalysis = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let count, count < 1 {
            throw ValidationError("-c needs a positive number of packets, not \(count).")
        }
        if relative && format != .text {
            throw ValidationError("--relative changes the text lines; the tree and JSON show relative numbers already (tcp.seq beside tcp.seq_raw).")
        }
        if hex && format == .json {
            throw ValidationError("-x adds hex lines, which JSON Lines cannot hold: use it with --format text or tree.")
        }
    }
}

/// How much the packet store keeps in memory: shared by `print`, `lab` and the monitor. When a
/// limit is reached the oldest packets are evicted and counted.
struct StoreOptions: ParsableArguments {
    @Option(parsing: .unconditional,
            help: ArgumentHelp("Keep at most this many packets in memory (default 1000000; 10000000 when the monitor browses a file).", valueName: "n"))
    var maxPackets: Int?

    @Option(help: ArgumentHelp("Keep at most this much packet data in memory: bytes, or with K, M or G (default 256M; 2G when the monitor browses a file).",
                               valueName: "size"))
    var maxBytes: String?

    /// The limits asked for, the rest from `defaults`.
    func limits(defaults: PacketStore.Limits = PacketStore.Limits()) -> PacketStore.Limits {
        PacketStore.Limits(packets: maxPackets ?? defaults.packets,
                           bytes: maxBytes.flatMap(Self.size) ?? defaults.bytes)
    }

    /// "1048576", "512K", "256M", "2G" in bytes (powers of 1024, as free and ls -h count).
    static func size(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last?.uppercased().first, let u = units[last] {
            unit = u
            digits = digits.dropLast()
        }
        guard let n = Int(digits), n > 0, n <= Int.max / unit else { return nil }
        return n * unit
    }

    func validate() throws {
        if let maxPackets, maxPackets < 1 {
            throw ValidationError("--max-packets needs a positive number, not \(maxPackets).")
        }
        if let maxBytes, Self.size(maxBytes) == nil {
            throw ValidationError("--max-bytes '\(maxBytes)' is not a size: give bytes, or a number with K, M or G (256M).")
        }
    }
}
