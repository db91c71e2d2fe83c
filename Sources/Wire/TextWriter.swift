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
        appendFromStack { out in
            // Digits right to left at the end of the scratch, then moved to its start.
            var v = value
            var first = out.count
            while v > 0 {
                first -= 1
                out[first] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            }
            let n = out.count - first
            for i in 0..<n { out[i] = out[first + i] }
            return n
        }
    }

    /// Formats up to 96 bytes into scratch memory on the stack and appends them at once: one
    /// append, and no generic metadata (a tuple, or a raw or sliced buffer, would look it up on
    /// every call). `fill` returns how many bytes it wrote from the start.
    @inline(__always) mutating func appendFromStack(_ fill: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        var scratch = Scratch()
        withUnsafeMutableBytes(of: &scratch) { raw in
            let out = raw.bindMemory(to: UInt8.self)
            let n = fill(out)
            bytes.append(contentsOf: UnsafeBufferPointer(start: out.baseAddress!, count: n))
        }
    }

    /// 96 bytes: a JSON key of up to 64 bytes with its quotes, colon and 20 digits; a 32-bit bit
    /// picture; 32 bytes as hex with separators.
    private struct Scratch {
        var a: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var b: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var c: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    }

    /// Decimal with leading zeros to `width` digits ("05").
    public mutating func write(unsigned value: UInt64, width: Int) {
        var n = 1
        var t = value / 10
        while t > 0 { n += 1; t /= 10 }
        for _ in n..<max(n, width) { bytes.append(48) }
        write(unsigned: value)
    }

    /// Lower-case hex; `digits` pads with zeros (0 means as many as needed).
    public mutating func write(hex value: UInt64, digits: Int = 0) {
        var n = 1
        var t = value >> 4
        while t > 0 { n += 1; t >>= 4 }
        let total = max(n, digits)
        for i in stride(from: total - 1, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: (value >> (UInt64(i) * 4)) & 0xf)
            bytes.append(digit < 10 ? 48 + digit : 87 + digit)
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

    /// Bytes as two hex digits each with `separator` between them (0: none), formatted a chunk at
    /// a time so that a long payload costs one append per chunk rather than three per byte.
    public mutating func write(hexBytes b: Bytes, _ range: Range<Int>, separator: UInt8 = 0) {
        let range = range.clamped(to: 0..<b.count)
        guard !range.isEmpty else { return }
        let chunk = 32  // 96 bytes of hex and separators at most
        var i = range.lowerBound
        while i < range.upperBound {
            let end = min(i + chunk, range.upperBound)
            let separated = separator != 0 && i > range.lowerBound
            appendFromStack { out in
                var n = 0
                for byte in b[i..<end] {
                    if separator != 0 && (n > 0 || separated) {
                        out[n] = separator
                        n += 1
                    }
                    let high = byte >> 4, low = byte & 0xf
                    out[n] = high < 10 ? 48 + high : 87 + high
                    out[n + 1] = low < 10 ? 48 + low : 87 + low
                    n += 2
                }
                return n
            }
            i = end
        }
    }

    /// `"name":`, a JSON key that needs no escaping, and with `number`, the number after it: in
    /// one append, as most of a JSON record is such pairs.
    public mutating func write(jsonKey name: StaticString, number: UInt64? = nil) {
        let count = name.utf8CodeUnitCount
        guard count <= 64 else {
            bytes.append(34)
            write(name)
            bytes.append(34)
            bytes.append(58)
            if let number { write(unsigned: number) }
            return
        }
        appendFromStack { out in
            out[0] = 34
            UnsafeMutableRawPointer(out.baseAddress! + 1).copyMemory(from: name.utf8Start, byteCount: count)
            out[count + 1] = 34
            out[count + 2] = 58
            var n = count + 3
            if var v = number {
                // Digits right to left at the end of the scratch, then moved up behind the key.
                var first = out.count
                repeat {
                    first -= 1
                    out[first] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                    v /= 10
                } while v > 0
                for i in first..<out.count {
                    out[n] = out[i]
                    n += 1
                }
            }
            return n
        }
    }

    /// `count` spaces (indentation), in one append for up to 64.
    public mutating func write(spaces count: Int) {
        let blanks: StaticString = "                                                                "
        var left = count
        while left > 0 {
            let n = min(left, blanks.utf8CodeUnitCount)
            bytes.append(contentsOf: UnsafeBufferPointer(start: blanks.utf8Start, count: n))
            left -= n
        }
    }

    /// "1700000000.000122": seconds since 1970 and the microseconds.
    public mutating func write(epochTime seconds: Int, _ microseconds: Int) {
        write(decimal: seconds)
        bytes.append(46)
        write(unsigned: UInt64(microseconds), width: 6)
    }

    /// One letter per bit of `value`, highest first: the letter where the bit is set, "·" where clear.
    public mutating func write(bits value: UInt64, letters: StaticString) {
        letters.withUTF8Buffer { letters in
            for (i, letter) in letters.enumerated() {
                if value & (1 << UInt64(letters.count - 1 - i)) != 0 {
                    bytes.append(letter)
                } else {
                    bytes.append(0xc2)
                    bytes.append(0xb7)
                }
            }
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
