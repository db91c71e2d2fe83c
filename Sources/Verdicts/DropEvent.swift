import Wire

/// Where drops come from: the kernel's tracer (`DropTracing`'s `DropTracer`), or a test's list.
public protocol DropSource: AnyObject {
    /// The drops reported since the last call.
    func take() -> [DropEvent]
    /// Drops the kernel could not deliver (a full ring buffer); nil when that cannot be read.
    var undelivered: UInt64? { get }
    func stop()
}

/// One packet the kernel dropped, as the BPF program reported it.
public struct DropEvent: Sendable {
    /// The kernel's reason code (enum skb_drop_reason) and its name (`TCP_CSUM`).
    public var reasonCode: UInt32
    public var reason: String
    /// The kernel function that dropped it (`tcp_v4_rcv`), or the address when /proc/kallsyms
    /// could not be read.
    public var location: String
    /// When, as wall-clock time (the kernel's monotonic clock moved by its offset at start).
    public var seconds: Int
    public var microseconds: Int
    public var netnsInode: UInt32
    public var ifindex: UInt32
    /// The device's name; empty when the packet had none (freed from a socket's queue).
    public var device: String
    /// The EtherType of the packet (0x0800 IPv4, 0x86dd IPv6).
    public var ethertype: UInt16
    /// The first bytes from the network header on (at most 128): IP and transport headers.
    public var header: [UInt8]

    public init(reasonCode: UInt32, reason: String, location: String, seconds: Int, microseconds: Int, netnsInode: UInt32,
                ifindex: UInt32, device: String, ethertype: UInt16, header: [UInt8]) {
        self.reasonCode = reasonCode
        self.reason = reason
        self.location = location
        self.seconds = seconds
        self.microseconds = microseconds
        self.netnsInode = netnsInode
        self.ifindex = ifindex
        self.device = device
        self.ethertype = ethertype
        self.header = header
    }

    /// The one-sentence meaning of the reason, when tunscope has one.
    public var explanation: String? { DropReasons.explanation(reason) }

    /// "TCP_CSUM (bad TCP checksum: ...) in tcp_v4_rcv": what `print --drops` says of it.
    public var verdict: String {
        reason + (explanation.map { " (\($0))" } ?? "") + " in " + location
    }

    /// The drop's time in microseconds since the epoch, to order it among packets.
    public var time: Int64 { Int64(seconds) * 1_000_000 + Int64(microseconds) }
}

extension DropEvent {
    /// tcpdump's line for the dropped packet's headers; for what is not IP (ARP, say), its EtherType.
    public func writeHeaders(into text: inout TextWriter) {
        guard (ethertype == 0x0800 || ethertype == 0x86dd) && !header.isEmpty else {
            text.write("ethertype 0x")
            text.write(hex: UInt64(ethertype), digits: 4)
            text.write(" (not IP)")
            return
        }
        Summary.write(header, linkType: .raw, wireLength: ipLength, into: &text)
    }

    /// The IP packet's length from its header, for a header cut at 128 bytes.
    private var ipLength: Int? {
        guard let first = header.first else { return nil }
        if first >> 4 == 4, header.count >= 4 { return Int(header.be16(2)) }
        if first >> 4 == 6, header.count >= 6 { return 40 + Int(header.be16(4)) }
        return nil
    }
}
