/// A layer above IP that can write itself: TCP, UDP, ICMP, ICMPv6 (smoltcp's `emit`).
public protocol TransportRepr {
    var proto: IPProtocol { get }
    /// Header length in bytes, options included.
    var headerLength: Int { get }
    /// Writes the header at `start`. The payload is already in place right after the header, so
    /// the checksum (over pseudo-header, header and payload) can be computed here.
    func emit(into b: inout Bytes, at start: Int, payloadLength: Int, pseudo: PseudoHeader, checksum: ChecksumMode)
}

/// The IP header of a packet to build.
public enum IPRepr: Sendable, Equatable {
    case v4(IPv4Repr)
    case v6(IPv6Repr)

    /// A header from `source` to `destination`; nil when one is IPv4 and the other IPv6.
    public init?(source: IPAddress, destination: IPAddress, proto: IPProtocol, ttl: UInt8 = 64) {
        switch (source, destination) {
        case let (.v4(s), .v4(d)): self = .v4(IPv4Repr(source: s, destination: d, proto: proto, ttl: ttl))
        case let (.v6(s), .v6(d)): self = .v6(IPv6Repr(source: s, destination: d, nextHeader: proto, hopLimit: ttl))
        default: return nil
        }
    }

    public var headerLength: Int {
        switch self {
        case let .v4(r): return r.headerLength
        case .v6: return IPv6Header.length
        }
    }

    public var pseudoHeader: PseudoHeader {
        switch self {
        case let .v4(r): return .v4(source: r.source, destination: r.destination)
        case let .v6(r): return .v6(source: r.source, destination: r.destination)
        }
    }
}

/// Builds whole packets: IP header, transport header, payload, with every length and checksum
/// filled in (or a checksum set on purpose to a wrong value).
public enum PacketBuilder {
    public static func build(
        ip: IPRepr, transport: some TransportRepr, payload: Bytes = [],
        ipChecksum: ChecksumMode = .correct, checksum: ChecksumMode = .correct
    ) -> Bytes {
        let ipLength = ip.headerLength
        let transportLength = transport.headerLength
        var b = Bytes(repeating: 0, count: ipLength + transportLength + payload.count)
        b.replaceSubrange((ipLength + transportLength)..<b.count, with: payload)
        switch ip {
        case var .v4(r):
            r.proto = transport.proto
            r.emit(into: &b, at: 0, payloadLength: transportLength + payload.count, checksum: ipChecksum)
        case var .v6(r):
            r.nextHeader = transport.proto
            r.emit(into: &b, at: 0, payloadLength: transportLength + payload.count)
        }
        transport.emit(into: &b, at: ipLength, payloadLength: payload.count, pseudo: ip.pseudoHeader, checksum: checksum)
        return b
    }
}
