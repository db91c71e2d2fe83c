/// Appends text as UTF-8 bytes. The summary, tree, JSON and hex formatters write through this, so
/// printing a million packets costs no String per field (and no Foundation).
public struct TextWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }
    public var isEmpty: Bool { bytes.isEmpty }
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) public mutating func write(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) public mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    @inline(__always) public mutating func write(_ t: FieldText) {
        switch t {
        case let .literal(s): write(s)
        case let .made(s): write(s)
        }
    }

    @inline(__always) public mutating func write(_ s: Substring) {
        bytes.append(contentsOf: s.utf8)
    }

    @inline(__always) public mutating func write(byte: UInt8) { bytes.append(byte) }

    public mutating func write<T: BinaryInteger>(decimal value: T) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            write(unsigned: UInt64(-Int64(value)))
        } else {
            write(unsigned: UInt64(value))
        }
    }

    public mutating func write(unsigned value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 20 digits fit in 32 bytes
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 {
                buf[31 - count] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                count += 1
            }
            bytes.append(contentsOf: buf[(32 - count)...])
        }
    }

    /// Decimal with leading zeros to `width` digits ("05").
    public mutating func write(unsigned value: UInt64, width: Int) {
        var n = 1
        var t = value / 10
        while t > 0 { n += 1; t /= 10 }
        for _ in n..<max(n, width) { bytes.append(48) }
        write(unsigned: value)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex; `digits` pads with zeros (0 means as many as needed).
    public mutating func write(hex value: UInt64, digits: Int = 0) {
        var n = 1
        var t = value >> 4
        while t > 0 { n += 1; t >>= 4 }
        let total = max(n, digits)
        for i in stride(from: total - 1, through: 0, by: -1) {
            bytes.append(Self.hexDigits[Int((value >> (UInt64(i) * 4)) & 0xf)])
        }
    }

    public mutating func write(ipv4 v: UInt32) {
        write(unsigned: UInt64(v >> 24))
        bytes.append(46)
        write(unsigned: UInt64((v >> 16) & 0xff))
        bytes.append(46)
        write(unsigned: UInt64((v >> 8) & 0xff))
        bytes.append(46)
        write(unsigned: UInt64(v & 0xff))
    }

    /// RFC 5952 text, as inet_ntop(3) prints it: the longest run of two or more zero groups
    /// becomes "::" (the first, on a tie), and IPv4-mapped/compatible forms end dotted-quad.
    public mutating func write(ipv6 a: IPv6Address) {
        var words = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            words[i] = UInt16(truncatingIfNeeded: a.high >> (UInt64(3 - i) * 16))
            words[i + 4] = UInt16(truncatingIfNeeded: a.low >> (UInt64(3 - i) * 16))
        }
        var bestStart = -1, bestLen = 0, curStart = -1, curLen = 0
        for i in 0..<8 {
            if words[i] == 0 {
                if curStart < 0 { curStart = i; curLen = 0 }
                curLen += 1
                if curLen > bestLen { bestStart = curStart; bestLen = curLen }
            } else {
                curStart = -1
            }
        }
        if bestLen < 2 { bestStart = -1 }
        var i = 0
        while i < 8 {
            if i == bestStart {
                bytes.append(58)
                if i == 0 { bytes.append(58) }
                i += bestLen
                if i == 8 { break }
                continue
            }
            if i == 6 && bestStart == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
                write(ipv4: UInt32(a.low & 0xffff_ffff))
                return
            }
            write(hex: UInt64(words[i]))
            if i < 7 { bytes.append(58) }
            i += 1
        }
    }

    public mutating func write(mac v: UInt64) {
        for i in stride(from: 5, through: 0, by: -1) {
            write(hex: (v >> (UInt64(i) * 8)) & 0xff, digits: 2)
            if i > 0 { bytes.append(58) }
        }
    }

    /// A JSON string literal, quotes and escapes included (RFC 8259).
    public mutating func write(jsonString s: String) {
        bytes.append(34)
        for b in s.utf8 {
            switch b {
            case 34: write("\\\"")
            case 92: write("\\\\")
            case 10: write("\\n")
            case 13: write("\\r")
            case 9: write("\\t")
            case 0..<32:
                write("\\u00")
                write(hex: UInt64(b), digits: 2)
            default: bytes.append(b)
            }
        }
        bytes.append(34)
    }
}
