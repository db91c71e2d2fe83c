/// One flat JSON object per packet (JSON Lines), keyed by Wireshark display-filter names.
/// Numbers are JSON numbers, addresses strings, flags 0 or 1. A name that occurs more than once
/// (DNS answers, the IP header quoted in an ICMP error) holds an array of its values in packet
/// order, as `tshark -T ek` does.
public enum JSONFormatter {
    /// A field with a value, in output order, and the next field of the same name.
    private struct Slot {
        var name: StaticString
        var layer: Int32
        var index: Int32
        var next: Int32 = -1
        /// For a name's first field: the last one of that name so far (-1: itself).
        var last: Int32 = -1
        var repeated = false
    }

    public static func write(_ d: Dissection, frame: FrameInfo, bytes: Bytes, into w: inout TextWriter) {
        let frameLayer = frame.layer(capturedLength: bytes.count, describing: false)
        var buffers: [UnsafeBufferPointer<Field>] = []
        buffers.reserveCapacity(d.layers.count + 1)
        frameLayer.fields.withUnsafeBufferPointer { frame in
            buffers.append(frame)
            let bytes = d.bytes(frame: bytes)
            withBuffers(d.layers[...], &buffers) { write(fields: $0, frameLayer, d, bytes: bytes, into: &w) }
        }
    }

    /// Every layer's field buffer at once, so fields are read in place rather than copied.
    private static func withBuffers(_ layers: ArraySlice<Layer>, _ buffers: inout [UnsafeBufferPointer<Field>],
                                    _ body: ([UnsafeBufferPointer<Field>]) -> Void) {
        guard let first = layers.first else { return body(buffers) }
        first.fields.withUnsafeBufferPointer {
            buffers.append($0)
            withBuffers(layers.dropFirst(), &buffers, body)
        }
    }

    private static func write(fields lists: [UnsafeBufferPointer<Field>], _ frameLayer: Layer, _ d: Dissection, bytes: Bytes,
                              into w: inout TextWriter) {
        let count = lists.reduce(0) { $0 + $1.count }
        // Open addressing over name hashes finds repeated names in one pass; the table is twice
        // the fields, rounded up to a power of two, so probes stay short.
        var tableSize = 16
        while tableSize < 2 * count { tableSize <<= 1 }

        withUnsafeTemporaryAllocation(of: Slot.self, capacity: count) { slots in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: tableSize) { table in
                table.initialize(repeating: -1)
                var used = 0
                for (l, fields) in lists.enumerated() {
                    for i in fields.indices where fields[i].hasValue {
                        let name = fields[i].name
                        slots.initializeElement(at: used, to: Slot(name: name, layer: Int32(l), index: Int32(i)))
                        var h = Int(truncatingIfNeeded: hash(name)) & (tableSize - 1)
                        while true {
                            let first = table[h]
                            if first < 0 {
                                table[h] = Int32(used)
                                break
                            }
                            if same(slots[Int(first)].name, name) {
                                slots[used].repeated = true
                                let tail = slots[Int(first)].last < 0 ? first : slots[Int(first)].last
                                slots[Int(tail)].next = Int32(used)
                                slots[Int(first)].last = Int32(used)
                                break
                            }
                            h = (h + 1) & (tableSize - 1)
                        }
                        used += 1
                    }
                }
                func field(_ s: Slot) -> UnsafePointer<Field> { lists[Int(s.layer)].baseAddress! + Int(s.index) }
                func value(_ s: Slot) {
                    let f = field(s)
                    // Only a text value reads its layer's strings.
                    var text: String?
                    if case let .text(t) = f.pointee.value {
                        text = s.layer == 0 ? frameLayer.string(t) : d.layers[Int(s.layer) - 1].string(t)
                    }
                    if case let .textShown(t, _) = f.pointee.value {
                        text = s.layer == 0 ? frameLayer.string(t) : d.layers[Int(s.layer) - 1].string(t)
                    }
                    writeValue(f, text: text, bytes: bytes, into: &w)
                }

                w.write(byte: 123)
                var first = true
                for s in 0..<used where !slots[s].repeated {
                    if !first { w.write(byte: 44) }
                    first = false
                    // Field names are Wireshark identifiers (letters, digits, '.', '_'): nothing to escape.
                    if slots[s].next < 0, let number = plainNumber(field(slots[s]).pointee.value) {
                        w.write(jsonKey: slots[s].name, number: number)
                    } else if slots[s].next < 0 {
                        w.write(jsonKey: slots[s].name)
                        value(slots[s])
                    } else {
                        w.write(jsonKey: slots[s].name)
                        w.write(byte: 91)
                        var k = Int32(s)
                        while k >= 0 {
                            if k != Int32(s) { w.write(byte: 44) }
                            value(slots[Int(k)])
                            k = slots[Int(k)].next
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
                slots.baseAddress!.deinitialize(count: used)
            }
        }
    }

    /// A value JSON writes as a plain unsigned number (flags as 0 or 1), for the one-append key and value.
    private static func plainNumber(_ value: FieldValue) -> UInt64? {
        switch value {
        case let .uint(v): return v
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// A hash of the name's length and its first and last eight bytes: names are short and
    /// differ mostly at their ends ("tcp.options.sack_le" and "tcp.options.sack_re"), and equal
    /// hashes are compared byte by byte anyway.
    private static func hash(_ name: StaticString) -> UInt64 {
        let count = name.utf8CodeUnitCount
        let p = UnsafeRawPointer(name.utf8Start)
        var h = UInt64(count) &* 0x9e37_79b9_7f4a_7c15
        if count >= 8 {
            h ^= p.loadUnaligned(as: UInt64.self)
            h = (h &* 0xff51_afd7_ed55_8ccd) ^ p.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        } else {
            for i in 0..<count { h = (h ^ UInt64(p.load(fromByteOffset: i, as: UInt8.self))) &* 0x100_0000_01b3 }
        }
        h = (h ^ (h >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }

    private static func same(_ a: StaticString, _ b: StaticString) -> Bool {
        a.withUTF8Buffer { x in b.withUTF8Buffer { y in x.elementsEqual(y) } }
    }

    /// `text` is a text value's string, read from its layer by the caller.
    static func writeValue(_ f: UnsafePointer<Field>, text: String?, bytes: Bytes, into w: inout TextWriter) {
        switch f.pointee.value {
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
        case .bytes, .bytesShown:
            // tshark's bytes format: colon-separated hex.
            w.write(byte: 34)
            w.write(hexBytes: bytes, f.pointee.range, separator: 58)
            w.write(byte: 34)
        case .text, .textShown: w.write(jsonString: text ?? "")
        case let .uintShown(v, _): w.write(unsigned: v)
        case let .epochTime(seconds, microseconds):
            // A number (a double holds microseconds since 1970 exactly enough to print back).
            w.write(epochTime: seconds, microseconds)
        case let .bitLetters(value, letters):
            w.write(byte: 34)
            w.write(bits: value, letters: letters)
            w.write(byte: 34)
        case let .seconds(nanoseconds): w.write(seconds: nanoseconds)
        case .present: w.write("\"\"")
        }
    }
}
