/// One flat JSON object per packet (JSON Lines), keyed by Wireshark display-filter names.
/// Numbers are JSON numbers, addresses strings, flags 0 or 1. A name that occurs more than once
/// (DNS answers, the IP header quoted in an ICMP error) holds an array of its values in packet
/// order, as `tshark -T ek` does.
public enum JSONFormatter {
    public static func write(_ d: Dissection, frame: FrameInfo, bytes: Bytes, into w: inout TextWriter) {
        // Flatten to (name, field) in packet order, each name with a cheap fingerprint (its length
        // and first eight bytes) so repeated names are found without comparing every pair of strings.
        var flat: [(key: UInt64, field: Field)] = []
        flat.reserveCapacity(64)
        func collect(_ fields: [Field]) {
            for f in fields {
                if f.value != .none { flat.append((fingerprint(f.name), f)) }
                if !f.children.isEmpty { collect(f.children) }
            }
        }
        collect(frame.layer(capturedLength: bytes.count).fields)
        for layer in d.layers { collect(layer.fields) }

        w.write(byte: 123)
        var first = true
        var done = [Bool](repeating: false, count: flat.count)
        var same: [Int] = []
        for i in flat.indices where !done[i] {
            let key = flat[i].key
            same.removeAll(keepingCapacity: true)
            for j in (i + 1)..<flat.count where !done[j] && flat[j].key == key && flat[j].field.name == flat[i].field.name {
                same.append(j)
                done[j] = true
            }
            if !first { w.write(byte: 44) }
            first = false
            // Field names are Wireshark identifiers (letters, digits, '.', '_'): nothing to escape.
            w.write(byte: 34)
            w.write(flat[i].field.name)
            w.write(byte: 34)
            w.write(byte: 58)
            if same.isEmpty {
                writeValue(flat[i].field, bytes: bytes, into: &w)
            } else {
                w.write(byte: 91)
                writeValue(flat[i].field, bytes: bytes, into: &w)
                for k in same {
                    w.write(byte: 44)
                    writeValue(flat[k].field, bytes: bytes, into: &w)
                }
                w.write(byte: 93)
            }
        }
        if d.cutByCapture {
            if !first { w.write(byte: 44) }
            first = false
            w.write("\"_ws.short\":1")
        }
        if let m = d.malformed {
            if !first { w.write(byte: 44) }
            w.write("\"_ws.malformed\":")
            w.write(jsonString: m.message)
        }
        w.write(byte: 125)
        w.write(byte: 10)
    }

    /// Length and first eight bytes of a name: equal names have equal fingerprints.
    static func fingerprint(_ name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { u in
            var key = UInt64(u.count) << 56
            for i in 0..<min(7, u.count) { key |= UInt64(u[i]) << (UInt64(i) * 8) }
            return key
        }
    }

    static func writeValue(_ f: Field, bytes: Bytes, into w: inout TextWriter) {
        switch f.value {
        case .none: w.write("null")
        case let .uint(v): w.write(unsigned: v)
        case let .int(v): w.write(decimal: v)
        case let .bool(v): w.write(byte: v ? 49 : 48)
        case let .ipv4(a):
            w.write(byte: 34)
            w.write(ipv4: a.value)
            w.write(byte: 34)
        case let .ipv6(a):
            w.write(byte: 34)
            w.write(ipv6: a)
            w.write(byte: 34)
        case let .mac(m):
            w.write(byte: 34)
            w.write(mac: m.value)
            w.write(byte: 34)
        case .bytes:
            // tshark's bytes format: colon-separated hex.
            w.write(byte: 34)
            var sep = false
            for i in f.range where i < bytes.count {
                if sep { w.write(byte: 58) }
                sep = true
                w.write(hex: UInt64(bytes[i]), digits: 2)
            }
            w.write(byte: 34)
        case let .text(s): w.write(jsonString: s)
        }
    }
}
