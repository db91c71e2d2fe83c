// Interim TCP summary (tcpdump's common cases); the full TCP layer replaces this file.
extension Dissector {
    static func dissectTCP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {}
}

extension Summary {
    static func writeTCP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {
        guard start + 20 <= end else {
            if start + 4 <= end {
                ip.writeEndpoints(sourcePort: b.be16(start), destinationPort: b.be16(start + 2), into: &w)
                w.write(": ")
            } else {
                ip.writeAddresses(into: &w)
                w.write(":")
            }
            w.write(" [|tcp]")
            return
        }
        ip.writeEndpoints(sourcePort: b.be16(start), destinationPort: b.be16(start + 2), into: &w)
        w.write(": ")
        let hl = Int(b[start + 12] >> 4) * 4
        let flags = b[start + 13]
        w.write("Flags [")
        let names: [(UInt8, StaticString)] = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."), (0x20, "U"), (0x40, "E"), (0x80, "W")]
        if flags == 0 { w.write("none") }
        for (bit, name) in names where flags & bit != 0 { w.write(name) }
        w.write("]")
        let length = ip.length - hl
        let seq = b.be32(start + 4)
        if length > 0 || flags & 0x07 != 0 {
            w.write(", seq ")
            w.write(unsigned: UInt64(seq))
            if length > 0 {
                w.write(byte: 58)
                w.write(unsigned: UInt64(seq &+ UInt32(truncatingIfNeeded: length)))
            }
        }
        if flags & 0x10 != 0 {
            w.write(", ack ")
            w.write(unsigned: UInt64(b.be32(start + 8)))
        }
        w.write(", win ")
        w.write(unsigned: UInt64(b.be16(start + 14)))
        if flags & 0x20 != 0 {
            w.write(", urg ")
            w.write(unsigned: UInt64(b.be16(start + 18)))
        }
        if hl > 20 && start + hl <= end {
            w.write(", options [")
            var i = start + 20
            var first = true
            while i < start + hl {
                if !first { w.write(byte: 44) }
                first = false
                let kind = b[i]
                if kind == 0 { w.write("eol"); i += 1; continue }
                if kind == 1 { w.write("nop"); i += 1; continue }
                guard i + 1 < start + hl, b[i + 1] >= 2, i + Int(b[i + 1]) <= start + hl else { w.write("bad opt"); break }
                let len = Int(b[i + 1])
                switch kind {
                case 2 where len == 4: w.write("mss "); w.write(unsigned: UInt64(b.be16(i + 2)))
                case 3 where len == 3: w.write("wscale "); w.write(unsigned: UInt64(b[i + 2]))
                case 4: w.write("sackOK")
                case 8 where len == 10:
                    w.write("TS val "); w.write(unsigned: UInt64(b.be32(i + 2)))
                    w.write(" ecr "); w.write(unsigned: UInt64(b.be32(i + 6)))
                default: w.write("unknown-"); w.write(unsigned: UInt64(kind))
                }
                i += len
            }
            w.write("]")
        }
        w.write(", length ")
        w.write(decimal: max(0, length))
    }
}
