/// Hex and ASCII rows as `tcpdump -X` prints them: a tab, the offset, eight groups of two bytes,
/// two spaces, then the bytes as ASCII with dots for anything but visible characters.
public enum HexDump {
    public static func write(_ bytes: Bytes, from start: Int = 0, into w: inout TextWriter) {
        var offset = 0
        var i = start
        while i < bytes.count {
            let rowEnd = min(i + 16, bytes.count)
            w.write("\t0x")
            w.write(hex: UInt64(offset), digits: 4)
            w.write(": ")
            for k in 0..<8 {
                let a = i + 2 * k
                w.write(byte: 32)
                if a < rowEnd { w.write(hex: UInt64(bytes[a]), digits: 2) } else { w.write("  ") }
                if a + 1 < rowEnd { w.write(hex: UInt64(bytes[a + 1]), digits: 2) } else { w.write("  ") }
            }
            w.write("  ")
            for k in i..<rowEnd {
                let c = bytes[k]
                w.write(byte: c > 0x20 && c < 0x7f ? c : 46)  // isgraph(3), as tcpdump: a space is a dot too
            }
            w.write(byte: 10)
            offset += 16
            i = rowEnd
        }
    }
}
