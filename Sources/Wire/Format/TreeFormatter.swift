/// The whole header tree as indented text, like `tshark -V`: a layer title, then its fields four
/// spaces in, bit fields drawn as tshark draws them ("0100 .... = Version: 4").
public enum TreeFormatter {
    public static func write(_ d: Dissection, frame: FrameInfo, bytes: Bytes, into w: inout TextWriter) {
        frame.writeTitle(capturedLength: bytes.count, into: &w)
        writeFields(frame.layer(capturedLength: bytes.count, describing: false), bytes: bytes, into: &w)
        let source = d.bytes(frame: bytes)
        for layer in d.layers {
            w.write(layer.title)
            writeFields(layer, bytes: source, into: &w)
        }
        if d.cutByCapture {
            w.write("[Packet size limited during capture: \(bytes.count) of \(frame.originalLength) bytes kept]\n")
        }
        if let m = d.malformed {
            w.write("[Malformed Packet: ")
            w.write(m.message)
            w.write("]\n")
        }
    }

    /// A newline (ending the layer's title) and the layer's fields, a line each.
    static func writeFields(_ layer: Layer, bytes: Bytes, into w: inout TextWriter) {
        w.write(byte: 10)
        for f in layer.fields where !f.isHidden {
            w.write(spaces: 4 * (Int(f.level) + 1))
            writeFieldText(f, layer, bytes: bytes, into: &w)
            w.write(byte: 10)
        }
    }

    /// One field's line, without indent or newline, as the screen's tree shows it too.
    public static func fieldText(_ f: Field, in layer: Layer, bytes: Bytes) -> String {
        var w = TextWriter()
        writeFieldText(f, layer, bytes: bytes, into: &w)
        return w.string
    }

    /// "0100 .... = Version: 4", "Time to Live: 64", "Flags: 0x002 (SYN)".
    static func writeFieldText(_ f: Field, _ layer: Layer, bytes: Bytes, into w: inout TextWriter) {
        if f.mask != 0 { writeBits(f, bytes: bytes, into: &w) }
        if f.generated { w.write(byte: 91) }
        layer.write(f.label, into: &w)
        if f.hasValue, f.value != .present {
            w.write(": ")
            writeValue(f, layer, bytes: bytes, into: &w)
        }
        if let note = f.note {
            w.write(byte: 32)
            layer.write(note, into: &w)
        }
        if f.generated { w.write(byte: 93) }
    }

    /// The value as the tree shows it: decimal or 0x-hex, Set/Not set, addresses, hex bytes.
    static func writeValue(_ f: Field, _ layer: Layer, bytes: Bytes, into w: inout TextWriter) {
        switch f.value {
        case .none: break
        case let .uint(v):
            switch f.base {
            case .decimal: w.write(unsigned: v)
            case let .hex(digits):
                w.write("0x")
                w.write(hex: v, digits: Int(digits))
            }
        case let .int(v): w.write(decimal: v)
        case let .bool(v): w.write(v ? "Set" : "Not set")
        case let .ipv4(a): w.write(ipv4: a.value)
        case let .ipv6(a): w.write(ipv6: a)
        case let .mac(m): w.write(mac: m.value)
        case .bytes:
            w.write(hexBytes: bytes, f.range)
        case let .text(t): layer.write(t, into: &w)
        case let .epochTime(seconds, microseconds): w.write(epochTime: seconds, microseconds)
        case let .bitLetters(value, letters): w.write(bits: value, letters: letters)
        case let .uintShown(_, shown), let .textShown(_, shown), let .bytesShown(shown): layer.write(shown, into: &w)
        case let .seconds(nanoseconds): w.write(seconds: nanoseconds)
        case .present: break
        }
    }

    /// tshark's bit picture: the field's bits where the mask is set, dots elsewhere, in groups of four.
    static func writeBits(_ f: Field, bytes: Bytes, into w: inout TextWriter) {
        let width = min(f.range.count, 4)
        guard width > 0, f.range.lowerBound + width <= bytes.count else { return }
        var raw: UInt64 = 0
        for i in 0..<width { raw = raw << 8 | UInt64(bytes[f.range.lowerBound + i]) }
        let bits = width * 8
        // At most 32 bits, 7 spaces and " = ": drawn in place.
        w.appendInPlace { out in
            var n = 0
            for i in 0..<bits {
                let bit = UInt64(1) << UInt64(bits - 1 - i)
                out[n] = UInt64(f.mask) & bit == 0 ? 46 : raw & bit != 0 ? 49 : 48
                n += 1
                if i % 4 == 3 && i != bits - 1 {
                    out[n] = 32
                    n += 1
                }
            }
            out[n] = 32
            out[n + 1] = 61
            out[n + 2] = 32
            return n + 3
        }
    }
}
