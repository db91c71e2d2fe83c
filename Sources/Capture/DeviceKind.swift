#if canImport(Glibc)
import Glibc
#endif
import CTun

/// What a network device is, as /sys/class/net shows it: tun and tap devices, and only they, have
/// a tun_flags file holding the IFF_TUN or IFF_TAP they were made with. /sys shows the network
/// namespace it was mounted in (`ip netns exec` mounts the namespace's own). Every command that
/// opens, makes or removes a device asks here before it trusts a name.
public enum DeviceKind: Equatable, Sendable, CustomStringConvertible {
    case missing
    case tun
    case tap
    /// Any other device, with what it is, for messages: "the loopback device", "a bridge device".
    case other(String)

    public init(device name: String) {
        let folder = "/sys/class/net/\(name)"
        guard access(folder, F_OK) == 0 else {
            self = .missing
            return
        }
        guard let flagsText = Self.lines(of: "\(folder)/tun_flags")?.first else {
            self = .other(Self.describe(folder))
            return
        }
        // Written as "0x1001".
        let flags = UInt32(flagsText.dropFirst(2), radix: 16) ?? 0
        if flags & tunscope_iff_tap() != 0 {
            self = .tap
        } else if flags & tunscope_iff_tun() != 0 {
            self = .tun
        } else {
            self = .other("a tun/tap device in neither mode")
        }
    }

    /// "a tun device", "the loopback device": what follows "NAME is".
    public var description: String {
        switch self {
        case .missing: return "missing"
        case .tun: return "a tun device"
        case .tap: return "a tap device"
        case let .other(what): return what
        }
    }

    /// Bridges, VLANs and wireless devices name their type in uevent (DEVTYPE=); otherwise the
    /// link type (an ARPHRD_ number) tells loopback from Ethernet (veth, physical cards).
    private static func describe(_ folder: String) -> String {
        if let type = lines(of: "\(folder)/uevent")?.first(where: { $0.hasPrefix("DEVTYPE=") }) {
            return "a \(type.dropFirst("DEVTYPE=".count)) device"
        }
        switch lines(of: "\(folder)/type")?.first.flatMap({ Int32($0) }) {
        case tunscope_arphrd_loopback(): return "the loopback device"
        case tunscope_arphrd_ether(): return "an Ethernet device"
        default: return "a network device of another kind"
        }
    }

    /// The first line of one of the device's sysfs attributes ("owner", "ifalias"), or nil when
    /// it cannot be read (no such device or attribute); an empty attribute gives "".
    public static func attribute(_ file: String, of device: String) -> String? {
        guard let lines = lines(of: "/sys/class/net/\(device)/\(file)") else { return nil }
        return lines.first.map(String.init) ?? ""
    }

    /// A sysfs or /proc file's lines (at most a page is read), or nil when it cannot be read.
    static func lines(of path: String) -> [Substring]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var page = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &page, page.count)
        guard count >= 0 else { return nil }
        return String(decoding: page[..<count], as: UTF8.self).split(separator: "\n")
    }
}
