#if canImport(Glibc)
import Glibc
#endif
import Analysis
import Capture
import DisplayFilter
import Probe
import Screen
import Wire

/// What the fuzzers feed arbitrary bytes to. Each target is one function, run by the libFuzzer
/// executable in `Fuzz/` (built with -sanitize=fuzzer,address) and by `swift test`, which feeds
/// it every seed and every input that ever failed (`Fuzz/Corpus/<target>/`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The dissector, with every link type tunscope reads.
    case dissector
    /// The summary line, the tree, JSON and hex on what the dissector made.
    case formatters
    /// A capture file through libpcap's reader.
    case captureFile = "capture-file"
    /// A BPF expression, as the `/` prompt and `-f` take it.
    case filter
    /// A theme file.
    case theme
    /// The handshake engine fed arbitrary segments, and the packet editor.
    case probe
    /// The application decoders, each fed its payload straight (see `place`), then every
    /// formatter: DNS on UDP 53, mDNS on 5353, LLMNR on 5355 and DNS over TCP 53.
    case dns
    /// NTP on UDP 123.
    case ntp
    /// DHCP/BOOTP on UDP 67 and 68.
    case dhcp
    /// TLS on TCP 443.
    case tls
    /// HTTP on TCP 80 and 8080.
    case http
    /// QUIC on UDP 443.
    case quic
    /// A display filter (`print -Y`, the screen's `/`): its text up to the first zero byte is
    /// compiled and, when it compiles, evaluated against the packet the rest of the input makes
    /// (first byte: link type), seen twice so the analysis fields have a retransmission to find.
    case displayFilter = "display-filter"

    public func run(_ data: [UInt8]) {
        switch self {
        case .dissector: Self.dissect(data)
        case .formatters: Self.format(data)
        case .captureFile: Self.readCapture(data)
        case .filter: Self.compileFilter(data)
        case .theme: _ = try? ThemeFile.parse(String(decoding: data, as: UTF8.self), path: "fuzz.toml")
        case .probe: Self.probe(data)
        case .dns, .ntp, .dhcp, .tls, .http, .quic: Self.formatPlaced(data, at: placements)
        case .displayFilter: Self.filterPacket(data)
        }
    }

    /// Where an application target's bytes go; empty for the other targets. New placements go
    /// at the end, so the seeds' first bytes keep picking the same ones.
    var placements: [Placement] {
        switch self {
        case .dns: return [.udp(53), .udp(5353), .udp(5355), .tcp(53)]
        case .ntp: return [.udp(NTP.port)]
        case .dhcp: return [.udp(DHCP.serverPort, from: DHCP.clientPort), .udp(DHCP.clientPort, from: DHCP.serverPort),
                            .udp(DHCP.serverPort), .udp(DHCP.clientPort)]
        case .tls: return [.tcp(TLS.port)]
        case .http: return [.tcp(80), .tcp(8080)]
        case .quic: return [.udp(QUIC.port)]
        case .dissector, .formatters, .captureFile, .filter, .theme, .probe, .displayFilter: return []
        }
    }

    /// The raw-IP packet an application target makes of its input, and its length on the wire
    /// (longer when the input asks for a cut); nil for the other targets and an empty input.
    public func placedPacket(_ data: [UInt8]) -> (bytes: Bytes, wireLength: Int)? {
        placements.isEmpty ? nil : Self.place(data, at: placements)
    }

    /// New link types go at the end, so the seeds' first bytes keep picking the same ones.
    static let linkTypes: [LinkType] = [.raw, .ethernet, .rawOpenBSD, .linktypeRaw, .ipv4, .ipv6, .linuxSLL, .linuxSLL2]

    /// The first byte picks the link type and whether the packet was longer on the wire (a capture
    /// cut at a snap length); the rest is the packet. One dissection per input keeps the fuzzer fast.
    static func dissect(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let bytes = Array(data.dropFirst())
        let linkType = linkTypes[Int(first & 0x7f) % linkTypes.count]
        _ = Dissector.dissect(bytes, linkType: linkType, wireLength: first & 0x80 != 0 ? bytes.count + 1 + Int(first) : nil,
                              describing: first & 0x40 != 0)
    }

    static func format(_ data: [UInt8]) {
        let linkType = linkTypes[Int(data.first ?? 0) % linkTypes.count]
        let bytes = Array(data.dropFirst())
        let frame = FrameInfo(number: 1, seconds: 1_700_000_000, microseconds: 1, originalLength: bytes.count)
        let d = Dissector.dissect(bytes, linkType: linkType)
        var w = TextWriter()
        Summary.write(bytes, linkType: linkType, wireLength: bytes.count + Int(data.first ?? 0) % 3, into: &w)
        TreeFormatter.write(d, frame: frame, bytes: bytes, into: &w)
        JSONFormatter.write(d, frame: frame, bytes: bytes, into: &w)
        HexDump.write(bytes, into: &w)
    }

    /// Where an application target puts its bytes: a transport, the application's port, and the
    /// port at the other end.
    enum Placement {
        case udp(UInt16, from: UInt16 = 40_000)
        case tcp(UInt16, from: UInt16 = 40_000)
    }

    static let clientV4 = IPAddress.v4(IPv4Address(192, 0, 2, 2)), serverV4 = IPAddress.v4(IPv4Address(198, 51, 100, 7))
    static let clientV6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 2))
    static let serverV6 = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 7))

    /// The first byte places the rest: bits 0-3 pick the placement, bit 4 adds DNS over TCP's
    /// length prefix (so the fuzzer need not find it), bit 5 swaps the direction, bit 6 cuts
    /// the packet in the middle of its payload (a snap length), bit 7 picks IPv6. The payload goes
    /// into a whole packet with right lengths and checksums.
    static func place(_ data: [UInt8], at placements: [Placement]) -> (bytes: Bytes, wireLength: Int)? {
        guard let first = data.first else { return nil }
        var payload = Array(data.dropFirst())
        let ip = first & 0x80 != 0
            ? IPRepr(source: clientV6, destination: serverV6, proto: .udp)!
            : IPRepr(source: clientV4, destination: serverV4, proto: .udp)!
        var packet: Bytes
        switch placements[Int(first & 0x0f) % placements.count] {
        case let .udp(port, other):
            let (source, destination) = first & 0x20 != 0 ? (port, other) : (other, port)
            packet = PacketBuilder.build(ip: ip, transport: UDPRepr(sourcePort: source, destinationPort: destination), payload: payload)
        case let .tcp(port, other):
            if first & 0x10 != 0 { payload = [UInt8(truncatingIfNeeded: payload.count >> 8), UInt8(truncatingIfNeeded: payload.count)] + payload }
            let (source, destination) = first & 0x20 != 0 ? (port, other) : (other, port)
            let tcp = TCPRepr(sourcePort: source, destinationPort: destination, sequenceNumber: 1, acknowledgmentNumber: 1, flags: [.psh, .ack])
            packet = PacketBuilder.build(ip: ip, transport: tcp, payload: payload)
        }
        let wireLength = packet.count
        if first & 0x40 != 0 { packet.removeLast(payload.count / 2) }
        return (packet, wireLength)
    }

    /// The placed packet dissected once and written as the summary line, the tree and JSON.
    static func formatPlaced(_ data: [UInt8], at placements: [Placement]) {
        guard let (packet, wireLength) = place(data, at: placements) else { return }
        let frame = FrameInfo(number: 1, seconds: 1_700_000_000, microseconds: 1, originalLength: wireLength)
        let d = Dissector.dissect(packet, linkType: .raw, wireLength: wireLength)
        var w = TextWriter()
        Summary.write(packet, linkType: .raw, wireLength: wireLength, into: &w)
        TreeFormatter.write(d, frame: frame, bytes: packet, into: &w)
        JSONFormatter.write(d, frame: frame, bytes: packet, into: &w)
        // No hex dump: it reads the bytes alone, never the dissection, so the `formatters`
        // target covers it, and here it took a fifth of each execution (perf, quic target).
    }

    /// The reader is given a file (libpcap reads from a FILE*): one in memory, per process.
    static let scratchFile = "/dev/shm/tunscope-fuzz-\(getpid()).pcap"

    static func readCapture(_ data: [UInt8]) {
        let fd = open(scratchFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        defer { unlink(scratchFile) }
        guard let reader = try? CaptureFileReader(path: scratchFile) else { return }
        for _ in 0..<10_000 {
            guard let packet = try? reader.next() else { return }
            _ = Dissector.dissect(packet.bytes, linkType: reader.linkType, wireLength: packet.originalLength)
        }
    }

    static func compileFilter(_ data: [UInt8]) {
        let expression = String(decoding: data.prefix(4096), as: UTF8.self)
        // Names are not compiled: libpcap would look each one up, a DNS query per input.
        guard let filter = try? PacketFilter(expression, linkType: .raw, lookingUpNames: false) else { return }
        _ = filter.matches(referenceSYN)
    }

    static func filterPacket(_ data: [UInt8]) {
        let end = data.firstIndex(of: 0) ?? data.count
        guard let filter = try? DisplayFilter(String(decoding: data[..<end], as: UTF8.self)) else { return }
        let rest = data[min(end + 1, data.count)...]
        let linkType = linkTypes[Int(rest.first ?? 0) % linkTypes.count]
        let packet = Array(rest.dropFirst())
        // The fast path for header filters must read what the dissector reads: a difference is a finding.
        if let difference = PlainHeaders.disagreement(packet, linkType: linkType, wireLength: packet.count) {
            fatalError("plain headers disagree with the dissector: \(difference)")
        }
        var analyzer = StreamAnalyzer(linkType: linkType, maximumConversations: 8)
        for number in 1...2 {
            let frame = FrameInfo(number: number, seconds: 1_700_000_000, microseconds: number, originalLength: packet.count)
            let d = Dissector.dissectForFilter(packet, linkType: linkType, wireLength: packet.count,
                                               analysis: analyzer.analyze(packet, number: number, microseconds: Int64(number) * 200_000),
                                               frame: frame)
            let dissected = filter.matches(d, bytes: packet)
            let direct = packet.withUnsafeBytes { filter.matches($0, linkType: linkType, wireLength: packet.count) { (d, packet) } }
            precondition(direct == dissected, "a filter read from plain headers disagrees with the dissection")
        }
    }

    /// A connection started, then the input cut into packets (a length byte before each), each
    /// handed to the prober as read from the device, with time passing between them.
    static func probe(_ data: [UInt8]) {
        let me = IPAddress.v4(IPv4Address(192, 0, 2, 2)), kernel = IPAddress.v4(IPv4Address(192, 0, 2, 1))
        var prober = Prober(ownAddresses: [me], seed: 1)
        var config = prober.tcpConfig(from: me, to: kernel, port: 80)
        config.initialSequence = 4_101_019_787
        config.request = [71, 69, 84]
        var now: Microseconds = 1_700_000_000_000_000
        _ = prober.connect(config, now: now)
        var ping = prober.pingConfig(from: me, to: kernel)
        ping.identifier = 1
        _ = prober.ping(ping, now: now)
        var at = 0
        while at < data.count {
            let length = Int(data[at])
            let packet = Array(data[(at + 1)..<min(data.count, at + 1 + length)])
            at += 1 + length
            now += Microseconds(length) * 10_000
            _ = prober.received(packet, time: now, number: at)
            _ = prober.tick(now: now)
            if var edit = try? EditablePacket(parsing: packet) {
                try? edit.set("ip.ttl", to: "1")
                try? edit.breakChecksum()
                _ = edit.build()
            }
        }
        _ = prober.abortAll(now: now)
        for entry in prober.log { _ = prober.line(for: entry) }
    }

    /// The reference SYN of DESIGN.md, a packet for filters to match against.
    static let referenceSYN: [UInt8] = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00,
        0x02, 0x04, 0x05, 0xb4,
    ]
}
