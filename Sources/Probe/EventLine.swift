import Wire

extension Prober {
    /// One log entry as `tunscope send` prints it: time since the probe's first event, which
    /// way, what, the endpoints, relative and absolute numbers, the store's packet number, and
    /// why it matters:
    /// `    0.041 ms  RCVD SYN-ACK  192.0.2.1:80 > 192.0.2.2:40001  seq=0 (1141511134) ack=1 (3520334182)  #2  rtt=0.041 ms`
    public func line(for entry: LogEntry) -> String {
        let e = event(entry)
        let start = timeline(of: entry.source).first?.time ?? e.time
        let time = formatFixed(e.time - start, divisor: 1_000) + " ms"
        var parts = [String(repeating: " ", count: max(0, 10 - time.count)) + time]
        let way: String
        switch e.way {
        case .sent: way = "SENT"
        case .received: way = "RCVD"
        case .note: way = "----"
        }
        parts.append(way + " " + e.what.padding(to: 12))
        if let endpoints = Self.endpoints(e.packet) { parts.append(endpoints) }
        var numbers: [String] = []
        if let seq = e.seq {
            numbers.append(e.relativeSeq.map { "seq=\($0) (\(seq))" } ?? "seq=\(seq)")
        }
        if let ack = e.ack {
            numbers.append(e.relativeAck.map { "ack=\($0) (\(ack))" } ?? "ack=\(ack)")
        }
        if e.payloadLength > 0 { numbers.append("len=\(e.payloadLength)") }
        if !numbers.isEmpty { parts.append(numbers.joined(separator: " ")) }
        if let n = e.packetNumber { parts.append("#\(n)") }
        if let note = e.note { parts.append(note) }
        return parts.joined(separator: "  ")
    }

    /// "192.0.2.2:40001 > 192.0.2.1:80" (ports for TCP and UDP), or nil when there is no packet.
    static func endpoints(_ packet: Bytes) -> String? {
        guard let ip = IPPacket(packet, quoted: true) else { return nil }
        if (ip.proto == .tcp || ip.proto == .udp) && ip.payload.count >= 4 {
            let b = ip.bytes, at = ip.payload.lowerBound
            return "\(endpoint(ip.source, b.be16(at))) > \(endpoint(ip.destination, b.be16(at + 2)))"
        }
        return "\(ip.source) > \(ip.destination)"
    }
}

/// An address and port as URLs write them: "192.0.2.1:80", "[2001:db8::1]:80".
public func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
    address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
