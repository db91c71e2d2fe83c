/// A read-only view of the fixed IPv6 header (RFC 8200 3). `init` checks that all 40 bytes are there.
public struct IPv6Header {
    public let bytes: Bytes
    public let start: Int
    public static let length = 40

    enum Offset {
        static let versionClassFlow = 0, payloadLength = 4, nextHeader = 6, hopLimit = 7, source = 8, destination = 24
    }

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        guard start >= 0, start + Self.length <= (end ?? bytes.count), bytes[start] >> 4 == 6 else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var trafficClass: UInt8 { UInt8(truncatingIfNeeded: bytes.be32(start) >> 20) }
    public var flowLabel: UInt32 { bytes.be32(start) & 0xfffff }
    public var payloadLength: Int { Int(bytes.be16(start + Offset.payloadLength)) }
    public var nextHeader: IPProtocol { IPProtocol(bytes[start + Offset.nextHeader]) }
    public var hopLimit: UInt8 { bytes[start + Offset.hopLimit] }
    public var source: IPv6Address { IPv6Address(bytes, at: start + Offset.source) }
    public var destination: IPv6Address { IPv6Address(bytes, at: start + Offset.destination) }
}

/// The fixed IPv6 header as values, to build packets from.
public struct IPv6Repr: Sendable, Equatable {
    public var source: IPv6Address
    public var destination: IPv6Address
    public var nextHeader: IPProtocol
    public var hopLimit: UInt8 = 64
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0

    public init(source: IPv6Address, destination: IPv6Address, nextHeader: IPProtocol, hopLimit: UInt8 = 64) {
        self.source = source
        self.destination = destination
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
    }

    public init(parsing h: IPv6Header) {
        self.init(source: h.source, destination: h.destination, nextHeader: h.nextHeader, hopLimit: h.hopLimit)
        trafficClass = h.trafficClass
        flowLabel = h.flowLabel
    }

    public func emit(into b: inout Bytes, at start: Int, payloadLength: Int) {
        b.setBE32(start, 6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xfffff))
        b.setBE16(start + IPv6Header.Offset.payloadLength, UInt16(truncatingIfNeeded: payloadLength))
        b[start + IPv6Header.Offset.nextHeader] = nextHeader.rawValue
        b[start + IPv6Header.Offset.hopLimit] = hopLimit
        b.setBE32(start + 8, UInt32(truncatingIfNeeded: source.high >> 32))
        b.setBE32(start + 12, UInt32(truncatingIfNeeded: source.high))
        b.setBE32(start + 16, UInt32(truncatingIfNeeded: source.low >> 32))
        b.setBE32(start + 20, UInt32(truncatingIfNeeded: source.low))
        b.setBE32(start + 24, UInt32(truncatingIfNeeded: destination.high >> 32))
        b.setBE32(start + 28, UInt32(truncatingIfNeeded: destination.high))
        b.setBE32(start + 32, UInt32(truncatingIfNeeded: destination.low >> 32))
        b.setBE32(start + 36, UInt32(truncatingIfNeeded: destination.low))
    }
}

// Placeholder: dissection and summary being written.
extension Dissector {
    static func dissectIPv6(_ b: Bytes, at start: Int, end: Int, quoted: Bool, into d: inout Dissection) {}
}

extension Summary {
    static func writeIPv6(_ b: Bytes, at start: Int, end: Int, into w: inout TextWriter) {}
}
