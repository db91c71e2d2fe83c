// Interim UDP summary (tcpdump's plain forms); the full UDP and DNS layers replace this file.
extension Dissector {
    static func dissectUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {}
}

extension Summary {
    /// tcpdump's `udp_print` for ports it has no printer for: "UDP, length N" and its length checks.
    static func writeUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {
        guard start + 4 <= end else {
            ip.writeAddresses(into: &w)
            w.write(":  [|udp]")
            return
        }
        ip.writeEndpoints(sourcePort: b.be16(start), destinationPort: b.be16(start + 2), into: &w)
        w.write(": ")
        if ip.length < 8 {
            w.write("truncated-udp ")
            w.write(decimal: ip.length)
            return
        }
        guard start + 6 <= end else {
            w.write(" [|udp]")
            return
        }
        let ulen = Int(b.be16(start + 4))
        if ulen < 8 {
            w.write("truncated-udplength ")
            w.write(decimal: ulen)
            return
        }
        let length = min(ulen - 8, ip.length - 8)
        if ulen - 8 > length && !ip.fragment {
            w.write("UDP, bad length ")
            w.write(decimal: ulen - 8)
            w.write(" > ")
            w.write(decimal: length)
        } else {
            w.write("UDP, length ")
            w.write(decimal: ulen - 8)
        }
    }
}
