/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
/// words. Used by IPv4, TCP, UDP, ICMP and ICMPv6.
public struct InternetChecksum {
    private var sum: UInt64 = 0

    public init() {}

    public mutating func add(_ bytes: Bytes, _ range: Range<Int>) {
        var i = range.lowerBound
        let end = range.upperBound
        bytes.withUnsafeBufferPointer { p in
            while i + 1 < end {
                sum &+= UInt64(p[i]) << 8 | UInt64(p[i + 1])
                i += 2
            }
            if i < end { sum &+= UInt64(p[i]) << 8 }
        }
    }

    public mutating func add(_ word: UInt16) { sum &+= UInt64(word) }
    public mutating func add(_ word: UInt32) { sum &+= UInt64(word >> 16) &+ UInt64(word & 0xffff) }
    public mutating func add(_ a: IPv6Address) {
        for shift in stride(from: 48, through: 0, by: -16) {
            sum &+= (a.high >> UInt64(shift)) & 0xffff
            sum &+= (a.low >> UInt64(shift)) & 0xffff
        }
    }

    /// The value to put in a checksum field (computed with that field zero), or, computed over
    /// the field as sent, 0 when the checksum is right.
    public var value: UInt16 {
        var s = sum
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return ~UInt16(s)
    }

    /// The checksum a header or segment should carry, given the bytes as received (with
    /// whatever is in the checksum field) and the field's value: RFC 1624 arithmetic, so the
    /// bytes need not be copied to zero the field.
    public static func expected(received: UInt16, verifyResult: UInt16) -> UInt16 {
        // verifyResult = ~(S + received) where S is the sum without the field; want ~S.
        var s = UInt32(~verifyResult) &+ UInt32(~received)
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return ~UInt16(s)
    }
}

/// The addresses that TCP, UDP and ICMPv6 checksums cover (RFC 9293 3.1, RFC 8200 8.1).
public enum PseudoHeader: Sendable {
    case v4(source: IPv4Address, destination: IPv4Address)
    case v6(source: IPv6Address, destination: IPv6Address)
    /// ICMPv4 has no pseudo-header.
    case none

    public func start(protocol proto: UInt8, length: Int) -> InternetChecksum {
        var c = InternetChecksum()
        switch self {
        case let .v4(s, d):
            c.add(s.value)
            c.add(d.value)
            c.add(UInt16(proto))
            c.add(UInt16(truncatingIfNeeded: length))
        case let .v6(s, d):
            c.add(s)
            c.add(d)
            c.add(UInt32(truncatingIfNeeded: length))
            c.add(UInt16(proto))
        case .none:
            break
        }
        return c
    }
}

/// What to put in a checksum field when building: the right value, or exactly this one (to
/// show that the kernel drops a packet with a wrong checksum without a word).
public enum ChecksumMode: Sendable, Equatable {
    case correct
    case value(UInt16)
}
