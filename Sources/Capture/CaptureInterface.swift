import CPcap

/// An interface libpcap can capture on, as `tcpdump -D` lists them (pcap_findalldevs), with what
/// it is to tunscope: a tun or tap it can hold, another kind of network device, or one of
/// libpcap's pseudo-devices (any, nflog, ...).
public struct CaptureInterface: Sendable {
    /// The number tcpdump -D gives it: its place in pcap_findalldevs' list, from 1.
    public var number: Int
    public var name: String
    /// libpcap's description ("Pseudo-device that captures on all interfaces"), if any.
    public var description: String?
    public var isUp: Bool
    public var isRunning: Bool
    public var isLoopback: Bool
    /// What /sys/class/net says it is; .missing for libpcap's pseudo-devices.
    public var kind: DeviceKind

    /// "up", "down", or "-" for a pseudo-device that is not a network device (nflog, dbus-system).
    public var state: String {
        if kind == .missing && name != "any" { return "-" }
        return isUp ? "up" : "down"
    }

    /// Every interface, in libpcap's order; throws a CaptureError with libpcap's reason.
    public static func all() throws -> [CaptureInterface] {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        var first: UnsafeMutablePointer<pcap_if_t>?
        guard pcap_findalldevs(&first, &errbuf) == 0 else {
            throw CaptureError("listing interfaces: \(errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
        }
        defer { pcap_freealldevs(first) }
        var interfaces: [CaptureInterface] = []
        var at = first
        while let i = at {
            let name = String(cString: i.pointee.name)
            let flags = i.pointee.flags
            interfaces.append(CaptureInterface(
                number: interfaces.count + 1, name: name, description: i.pointee.description.map { String(cString: $0) },
                isUp: flags & UInt32(PCAP_IF_UP) != 0, isRunning: flags & UInt32(PCAP_IF_RUNNING) != 0,
                isLoopback: flags & UInt32(PCAP_IF_LOOPBACK) != 0, kind: DeviceKind(device: name)))
            at = i.pointee.next
        }
        return interfaces
    }

    /// What it is, in words: "a tun device nobody holds: tunscope can (tunscope -i tun0)". A tun
    /// or tap has its carrier (libpcap's Running) while a program holds it.
    public var what: String {
        switch kind {
        case .tun, .tap:
            let tap = kind == .tap ? "--tap " : ""
            guard isRunning else { return "\(kind) nobody holds: tunscope can (tunscope \(tap)-i \(name))" }
            let holder = DeviceHolder.of(device: name).map { "held by \($0)" } ?? "held by a program"
            return "\(kind) \(holder): tunscope watches it (tunscope -i \(name))"
        case .missing where name == "any": return "every interface at once (libpcap's pseudo-device)"
        case .missing: return "not a network device: libpcap's \(description ?? "pseudo-device")"
        case .other: return kind.description
        }
    }
}
