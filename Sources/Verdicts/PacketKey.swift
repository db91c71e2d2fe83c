import Wire

/// What tells one packet from another in the kernel's copy and tunscope's: addresses, protocol,
/// IP identification (IPv6: flow label), total length, ports and TCP sequence and
/// acknowledgment numbers (ICMP: type, code, identifier and sequence). Not TTL or checksums,
/// which forwarding changes; a packet the kernel still holds unchanged matches its capture.
public struct PacketKey: Hashable, Sendable {
    var source = (high: UInt64(0), low: UInt64(0))
    var destination = (high: UInt64(0), low: UInt64(0))
    var proto: UInt8 = 0
    var identification: UInt32 = 0
    var length: UInt16 = 0
    var ports: UInt32 = 0
    var sequence: UInt32 = 0
    var acknowledgment: UInt32 = 0

    /// Offsets in the headers this key reads (RFC 791, RFC 8200, RFC 9293, RFC 792).
    enum Offset {
        static let ipv4Identification = 4, ipv4Protocol = 9, ipv4TotalLength = 2, ipv4Source = 12, ipv4Destination = 16
        static let ipv6PayloadLength = 4, ipv6NextHeader = 6, ipv6Source = 8, ipv6Destination = 24, ipv6HeaderLength = 40
        static let ports = 0, tcpSequence = 4, tcpAcknowledgment = 8, icmpIdentifierAndSequence = 4
    }

    /// The key of the IP packet at `start` in `bytes`; nil when it is not IPv4 or IPv6 or is
    /// too short for its addresses.
    public init?(_ bytes: [UInt8], at start: Int) {
        guard start >= 0, start < bytes.count else { return nil }
        var transport: Int
        switch bytes[start] >> 4 {
        case 4:
            guard start + 20 <= bytes.count else { return nil }
            source.low = UInt64(bytes.be32(start + Offset.ipv4Source))
            destination.low = UInt64(bytes.be32(start + Offset.ipv4Destination))
            proto = bytes[start + Offset.ipv4Protocol]
            identification = UInt32(bytes.be16(start + Offset.ipv4Identification))
            length = bytes.be16(start + Offset.ipv4TotalLength)
            transport = start + Int(bytes[start] & 0x0f) * 4
            // A later fragment starts with data, not a transport header.
            if bytes.be16(start + 6) & 0x1fff != 0 { return }
        case 6:
            guard start + Offset.ipv6HeaderLength <= bytes.count else { return nil }
            source = (bytes.be64(start + Offset.ipv6Source), bytes.be64(start + Offset.ipv6Source + 8))
            destination = (bytes.be64(start + Offset.ipv6Destination), bytes.be64(start + Offset.ipv6Destination + 8))
            proto = bytes[start + Offset.ipv6NextHeader]
            identification = bytes.be32(start) & 0xfffff
            length = bytes.be16(start + Offset.ipv6PayloadLength)
            transport = start + Offset.ipv6HeaderLength
        default:
            return nil
        }
        switch proto {
        case 6:  // TCP
            if transport + 12 <= bytes.count {
                ports = bytes.be32(transport + Offset.ports)
                sequence = bytes.be32(transport + Offset.tcpSequence)
                acknowledgment = bytes.be32(transport + Offset.tcpAcknowledgment)
            }
        case 17, 136:  // UDP, UDP-Lite
            if transport + 4 <= bytes.count { ports = bytes.be32(transport + Offset.ports) }
        case 1, 58:  // ICMP, ICMPv6: type and code where ports are
            if transport + 8 <= bytes.count {
                ports = UInt32(bytes.be16(transport)) << 16
                sequence = bytes.be32(transport + Offset.icmpIdentifierAndSequence)
            }
        default:
            break
        }
    }

    public static func == (a: PacketKey, b: PacketKey) -> Bool {
        a.source == b.source && a.destination == b.destination && a.proto == b.proto && a.identification == b.identification
            && a.length == b.length && a.ports == b.ports && a.sequence == b.sequence && a.acknowledgment == b.acknowledgment
    }

    public func hash(into h: inout Hasher) {
        h.combine(source.high)
        h.combine(source.low)
        h.combine(destination.high)
        h.combine(destination.low)
        h.combine(proto)
        h.combine(identification)
        h.combine(length)
        h.combine(ports)
        h.combine(sequence)
        h.combine(acknowledgment)
    }
}
