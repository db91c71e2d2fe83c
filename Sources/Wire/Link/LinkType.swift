/// What a capture's bytes start with: libpcap's DLT_ values (the numbers pcap_datalink returns)
/// and their LINKTYPE_ aliases in files.
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let ethernet = LinkType(rawValue: 1)
    /// DLT_RAW: 12 on most systems, 14 on OpenBSD; LINKTYPE_RAW 101 in files.
    public static let raw = LinkType(rawValue: 12)
    public static let rawOpenBSD = LinkType(rawValue: 14)
    public static let linktypeRaw = LinkType(rawValue: 101)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    /// Linux cooked captures (`tcpdump -i any`; v2 also tunscope watching several devices):
    /// v1 without, v2 with the interface's index.
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    /// Every link type tunscope decodes.
    public var isSupported: Bool {
        [1, 12, 14, 101, 113, 228, 229, 276].contains(rawValue)
    }
}

/// An IP protocol number (IANA "Protocol Numbers"); numbers nobody named are still values.
public struct IPProtocol: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ v: UInt8) { rawValue = v }

    public static let hopByHop = IPProtocol(0)
    public static let icmp = IPProtocol(1)
    public static let tcp = IPProtocol(6)
    public static let udp = IPProtocol(17)
    public static let ipv6Route = IPProtocol(43)
    public static let ipv6Fragment = IPProtocol(44)
    public static let icmpv6 = IPProtocol(58)
    public static let ipv6NoNext = IPProtocol(59)
    public static let ipv6DestinationOptions = IPProtocol(60)
}

/// Ethernet types (IEEE 802 numbers) that tunscope decodes.
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100
    public static let ipv6: UInt16 = 0x86dd
}
