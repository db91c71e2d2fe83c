// Interim UDP summary (tcpdump's plain form); the full UDP and DNS layers replace this file.
extension Dissector {
    static func dissectUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {}
}

extension Summary {
    static func writeUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {
        guard start + 8 <= end else {
            ip.writeAddresses(into: &w)
            w.write(": [|udp]")
            return
        }
        ip.writeEndpoints(sourcePort: b.be16(start), destinationPort: b.be16(start + 2), into: &w)
        w.write(": UDP, length ")
        w.write(decimal: min(Int(b.be16(start + 4)), ip.length) - 8)
    }
}
