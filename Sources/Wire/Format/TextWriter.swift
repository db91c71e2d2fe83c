/// Appends text as UTF-8 bytes. The summary, tree, JSON and hex formatters write through this, so
/// printing a million packets costs no String per field (and no Foundation).
///
/// The bytes are in memory of its own rather than an array: a tree is some 2,000 bytes written
/// in a few hundred small pieces, and an array's append checks uniqueness and goes through
/// generic copying for each piece. Here a piece is a capacity check and a copy. It cannot be
/// copied (there is one owner of the memory), only lent (`inout`) or consumed.
public struct TextWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    public private(set) var count = 0
    private var capacity: Int
    /// What the next TCP summary line subtracts from its numbers, as tcpdump without -S does
    /// (nil: the raw numbers, tcpdump -S). The caller sets it around `Summary.write`, from the
    /// segments before (see Analysis's `TcpdumpSequenceTracker`).
    public var tcpdumpOffsets: TCPNumberOffsets?

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// A copy of what was written.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
    public var string: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }
    public var isEmpty: Bool { count == 0 }
    public mutating func removeAll() { count = 0 }
    public mutating func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count)
        count -= n
    }

    /// What was written, lent to `body` (to write it out) without a copy.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Room for `n` more bytes at the end; the caller writes there and adds what it wrote to `count`.
    @inline(__always) private mutating func room(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(count + n > capacity) { grow(toHold: count + n) }
        return base + count
    }

    @inline(never) private mutating func grow(toHold needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    @inline(__always) private mutating func append(_ start: UnsafePointer<UInt8>, count n: Int) {
        room(n).update(from: start, count: n)
        count += n
    }

    @inline(__always) private mutating func append(_ b: UnsafeBufferPointer<UInt8>) {
        if let start = b.baseAddress { append(start, count: b.count) }
    }

    @inline(__always) public mutating func write(_ s: StaticString) {
        append(s.utf8Start, count: s.utf8CodeUnitCount)
    }

    @inline(__always) public mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    public mutating func write(_ s: Substring) {
        var s = s
        s.withUTF8 { append($0) }
    }

    public mutating func write(_ b: ArraySlice<UInt8>) {
        b.withUnsafeBufferPointer { append($0) }
    }

    public mutating func write(_ b: [UInt8]) { write(b[...]) }

    @inline(__always) public mutating func write(byte: UInt8) {
        room(1).pointee = byte
        count += 1
    }

    public mutating func write<T: BinaryInteger>(decimal value: T) {
        if value < 0 {
            write(byte: UInt8(ascii: "-"))
            write(unsigned: UInt64(-Int64(value)))
        } else {
            write(unsigned: UInt64(value))
        }
    }

    public mutating func write(unsigned value: UInt64) {
        if value < 10 {
            write(byte: UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        // The digits counted first, then written right to left where they belong, two at a
        // time: numbers are most of what the formatters write.
        var n = 2
        var rest = value / 100
        while rest > 0 {
            n += 1
            rest /= 10
        }
        let out = room(n)
        let pairs = Self.digitPairs.utf8Start
        var v = value
        var i = n
        while v >= 100 {
            let r = Int(truncatingIfNeeded: v % 100) &* 2
            v /= 100
            i -= 2
            out[i] = pairs[r]
            out[i + 1] = pairs[r + 1]
        }
        if v >= 10 {
            let r = Int(truncatingIfNeeded: v) &* 2
            out[0] = pairs[r]
            out[1] = pairs[r + 1]
        } else {
            out[0] = UInt8(truncatingIfNeeded: v) &+ 48
        }
        count += n
    }

    /// "00" to "99" (computed: a literal needs no lazily made global).
    private static var digitPairs: StaticString { """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """ }

    /// Formats up to 96 bytes in place at the end: `fill` gets the room and returns how many
    /// bytes it wrote from its start. Numbers, JSON keys, hex and bit pictures are written so,
    /// in one capacity check.
    @inline(__always) mutating func appendInPlace(_ fill: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        let n = fill(UnsafeMutableBufferPointer(start: room(96), count: 96))
        assert(n <= 96)
        count += n
    }

    /// Decimal with leading zeros to `width` digits ("05").
    public mutating func write(unsigned value: UInt64, width: Int) {
        var n = 1
        var t = value / 10
        while t > 0 { n += 1; t /= 10 }
        for _ in n..<max(n, width) { write(byte: 48) }
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
            write(byte: digit < 10 ? 48 + digit : 87 + digit)
        }
    }

    public mutating func write(ipv4 v: UInt32) {
        write(unsigned: UInt64(v >> 24))
        write(byte: 46)
        write(unsigned: UInt64((v >> 16) & 0xff))
        write(byte: 46)
        write(unsigned: UInt64((v >> 8) & 0xff))
        write(byte: 46)
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
                write(byte: 58)
                if i == 0 { write(byte: 58) }
                i += bestLen
                if i == 8 { break }
                continue
            }
            if i == 6 && bestStart == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
                write(ipv4: UInt32(a.low & 0xffff_ffff))
                return
            }
            write(hex: UInt64(words[i]))
            if i < 7 { write(byte: 58) }
            i += 1
        }
    }

    /// A byte of text from a packet as tcpdump's fn_print_char shows it: "M-" before a byte above
    /// 0x7f (then its low seven bits), "^" before a control character (then it xor 0x40).
    public mutating func write(printable c: UInt8) {
        var c = c
        if c > 0x7f {
            write("M-")
            c &= 0x7f
        }
        if c < 0x20 || c == 0x7f {
            write(byte: 94)
            c ^= 0x40
        }
        write(byte: c)
    }

    public mutating func write(mac v: UInt64) {
        for i in stride(from: 5, through: 0, by: -1) {
            write(hex: (v >> (UInt64(i) * 8)) & 0xff, digits: 2)
            if i > 0 { write(byte: 58) }
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
            appendInPlace { out in
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
            write(byte: 34)
            write(name)
            write(byte: 34)
            write(byte: 58)
            if let number { write(unsigned: number) }
            return
        }
        appendInPlace { out in
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
            append(blanks.utf8Start, count: n)
            left -= n
        }
    }

    /// "1700000000.000122": seconds since 1970 and the microseconds.
    public mutating func write(epochTime seconds: Int, _ microseconds: Int) {
        write(decimal: seconds)
        write(byte: 46)
        write(unsigned: UInt64(microseconds), width: 6)
    }

    /// A time difference with nine decimals, as Wireshark prints relative times: "0.000500000",
    /// "-1.250000000".
    public mutating func write(seconds nanoseconds: Int64) {
        if nanoseconds < 0 { write(byte: 45) }
        let magnitude = nanoseconds.magnitude
        write(unsigned: magnitude / 1_000_000_000)
        write(byte: 46)
        write(unsigned: magnitude % 1_000_000_000, width: 9)
    }

    /// One letter per bit of `value`, highest first: the letter where the bit is set, "·" where clear.
    public mutating func write(bits value: UInt64, letters: StaticString) {
        letters.withUTF8Buffer { letters in
            for (i, letter) in letters.enumerated() {
                if value & (1 << UInt64(letters.count - 1 - i)) != 0 {
                    write(byte: letter)
                } else {
                    write(byte: 0xc2)
                    write(byte: 0xb7)
                }
            }
        }
    }

    /// A JSON string literal, quotes and escapes included (RFC 8259).
    public mutating func write(jsonString s: String) {
        write(byte: 34)
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
            default: write(byte: b)
            }
        }
        write(byte: 34)
    }
}
