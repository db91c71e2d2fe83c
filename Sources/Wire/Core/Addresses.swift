/// An IPv4 address in host order, printed dotted-quad.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses "192.0.2.1"; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let n = UInt8(p) else { return nil }
            v = v << 8 | UInt32(n)
        }
        value = v
    }

    public var description: String {
        var w = TextWriter()
        w.write(ipv4: value)
        return w.string
    }
}

/// An IPv6 address as 16 bytes (two big-endian halves), printed as RFC 5952 text.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }
    public init(_ bytes: Bytes, at i: Int) { high = bytes.be64(i); low = bytes.be64(i + 8) }

    /// Parses RFC 4291 text ("2001:db8::1", "::ffff:192.0.2.1"); nil for anything else.
    public init?(_ text: String) {
        var words: [UInt16] = []
        var gap: Int? = nil
        var rest = Substring(text)
        if rest.hasPrefix("::") { gap = 0; rest = rest.dropFirst(2) }
        while !rest.isEmpty {
            let piece: Substring
            if let colon = rest.firstIndex(of: ":") {
                piece = rest[..<colon]
                rest = rest[rest.index(after: colon)...]
                if rest.hasPrefix(":") {
                    guard gap == nil else { return nil }
                    rest = rest.dropFirst()
                    guard let w = UInt16(piece, radix: 16), piece.count <= 4 else { return nil }
                    words.append(w)
                    gap = words.count
                    continue
                }
                if rest.isEmpty { return nil }
            } else {
                piece = rest
                rest = ""
                if piece.contains("."), let v4 = IPv4Address(String(piece)) {
                    words.append(UInt16(v4.value >> 16))
                    words.append(UInt16(v4.value & 0xffff))
                    break
                }
            }
            guard piece.count <= 4, let w = UInt16(piece, radix: 16) else { return nil }
            words.append(w)
        }
        if let g = gap {
            guard words.count < 8 else { return nil }
            words.insert(contentsOf: [UInt16](repeating: 0, count: 8 - words.count), at: g)
        }
        guard words.count == 8 else { return nil }
        high = words[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        low = words[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }

    public var description: String {
        var w = TextWriter()
        w.write(ipv6: self)
        return w.string
    }
}

/// A 48-bit Ethernet address, printed as tcpdump does (lower-case, colon separated).
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value & 0xffff_ffff_ffff }
    public var description: String {
        var w = TextWriter()
        w.write(mac: value)
        return w.string
    }
}

/// An IPv4 or an IPv6 address: the endpoints of what tunscope sends.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses "192.0.2.1" or "2001:db8::1"; nil for anything else.
    public init?(_ text: String) {
        if let a = IPv4Address(text) {
            self = .v4(a)
        } else if let a = IPv6Address(text) {
            self = .v6(a)
        } else {
            return nil
        }
    }

    public var isIPv6: Bool {
        if case .v6 = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .v4(a): return a.description
        case let .v6(a): return a.description
        }
    }
}
