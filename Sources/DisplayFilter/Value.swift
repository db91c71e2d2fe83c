import Wire

/// A field's value as a filter compares it: numbers, addresses, bytes, text (as UTF-8 bytes),
/// times in nanoseconds. Booleans are the numbers 0 and 1.
enum Value: Equatable {
    case unsigned(UInt64)
    case signed(Int64)
    case ipv4(UInt32)
    case ipv6(UInt64, UInt64)
    case bytes([UInt8])
    case string([UInt8])
    case time(nanoseconds: Int64)

    /// The value of one decoded field, read through its layer (for its strings) and the
    /// bytes its range indexes.
    init?(_ f: Field, in layer: Layer, bytes: Bytes) {
        switch f.value {
        case let .uint(x), let .uintShown(x, _): self = .unsigned(x)
        case let .int(x): self = .signed(x)
        case let .bool(b): self = .unsigned(b ? 1 : 0)
        case let .ipv4(a): self = .ipv4(a.value)
        case let .ipv6(a): self = .ipv6(a.high, a.low)
        case let .mac(m): self = .bytes((0..<6).map { UInt8(truncatingIfNeeded: m.value >> (40 - 8 * $0)) })
        case let .text(t), let .textShown(t, _): self = .string(Array(layer.string(t).utf8))
        case let .epochTime(s, us): self = .time(nanoseconds: Int64(s) * 1_000_000_000 + Int64(us) * 1000)
        case let .seconds(ns): self = .time(nanoseconds: ns)
        case let .bitLetters(x, letters):
            var w = TextWriter(capacity: 16)
            w.write(bits: x, letters: letters)
            self = .string(Array(w.string.utf8))
        case .bytes, .bytesShown, .none, .present:
            self = .bytes(Value.bytes(bytes, f.range))
        }
    }

    /// The bytes of `range`, clamped to what was captured.
    static func bytes(_ bytes: Bytes, _ range: Range<Int>) -> [UInt8] {
        let r = range.clamped(to: 0..<bytes.count)
        return Array(bytes[r])
    }

    /// The bytes a slice, `contains` or `matches` sees: bytes and text as they are, other
    /// values not at all.
    var byteContents: [UInt8]? {
        switch self {
        case let .bytes(b), let .string(b): b
        case let .ipv4(a): (0..<4).map { UInt8(truncatingIfNeeded: a >> (24 - 8 * $0)) }
        case let .ipv6(h, l): (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? h : l) >> (56 - 8 * ($0 % 8))) }
        default: nil
        }
    }
}

/// What a field is compared with: a value, or an address block (CIDR).
enum Constant: Equatable {
    case value(Value)
    case ipv4Block(UInt32, mask: UInt32)
    case ipv6Block(UInt64, UInt64, bits: Int)
}

/// -1, 0 or 1 as `a` is below, equal to or above `b`; nil when they cannot be ordered.
func ordering(_ a: Value, _ b: Value) -> Int? {
    func sign<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
    switch (a, b) {
    case let (.unsigned(x), .unsigned(y)): return sign(x, y)
    case let (.signed(x), .signed(y)): return sign(x, y)
    case let (.unsigned(x), .signed(y)): return y < 0 ? 1 : sign(x, UInt64(y))
    case let (.signed(x), .unsigned(y)): return x < 0 ? -1 : sign(UInt64(x), y)
    case let (.ipv4(x), .ipv4(y)): return sign(x, y)
    case let (.ipv6(xh, xl), .ipv6(yh, yl)): return xh != yh ? sign(xh, yh) : sign(xl, yl)
    case let (.time(x), .time(y)): return sign(x, y)
    case let (.bytes(x), .bytes(y)), let (.string(x), .string(y)), let (.bytes(x), .string(y)), let (.string(x), .bytes(y)):
        return x.lexicographicallyPrecedes(y) ? -1 : (x == y ? 0 : 1)
    default: return nil
    }
}

/// Where `a` stands against a constant: a block counts as equal to the addresses in it, and
/// otherwise as its network address.
func ordering(_ a: Value, _ c: Constant) -> Int? {
    switch (a, c) {
    case let (_, .value(v)): return ordering(a, v)
    case let (.ipv4(x), .ipv4Block(net, mask)):
        return x & mask == net & mask ? 0 : ordering(.ipv4(x), .ipv4(net & mask))
    case let (.ipv6(h, l), .ipv6Block(nh, nl, bits)):
        let (mh, ml) = ipv6Mask(bits)
        return (h & mh == nh & mh && l & ml == nl & ml) ? 0 : ordering(.ipv6(h, l), .ipv6(nh & mh, nl & ml))
    default: return nil
    }
}

func ipv6Mask(_ bits: Int) -> (UInt64, UInt64) {
    let high: UInt64 = bits >= 64 ? ~0 : (bits == 0 ? 0 : ~0 << (64 - bits))
    let low: UInt64 = bits <= 64 ? 0 : (bits >= 128 ? ~0 : ~0 << (128 - bits))
    return (high, low)
}
