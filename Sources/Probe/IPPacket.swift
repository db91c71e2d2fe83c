import Wire

/// The IP facts a probe needs from a packet read from the device: who sent it to whom, which
/// protocol, and where the transport header starts. Fragments and damaged headers give nil:
/// a probe only answers whole, well-formed packets, as a host's stack would.
struct IPPacket {
    let bytes: Bytes
    let source: IPAddress
    let destination: IPAddress
    let proto: IPProtocol
    /// The transport header and its payload (cut at the IP length, or at the end of the bytes
    /// for a datagram quoted in an ICMP error, which may hold only its first bytes).
    let payload: Range<Int>

    init?(_ bytes: Bytes, quoted: Bool = false) {
        guard let first = bytes.first else { return nil }
        switch first >> 4 {
        case 4:
            guard let h = IPv4Header(bytes, at: 0), h.headerLength >= IPv4Header.minimumLength,
                  h.totalLength >= h.headerLength, h.headerLength <= bytes.count,
                  quoted || h.totalLength <= bytes.count,
                  h.fragmentOffset == 0, !h.moreFragments
            else { return nil }
            source = .v4(h.source)
            destination = .v4(h.destination)
            proto = h.proto
            payload = h.headerLength..<min(h.totalLength, bytes.count)
        case 6:
            guard let h = IPv6Header(bytes, at: 0) else { return nil }
            let end = IPv6Header.length + h.payloadLength
            guard quoted || end <= bytes.count else { return nil }
            // Skip the extension headers a host passes over: hop-by-hop, routing, destination options.
            var next = h.nextHeader
            var at = IPv6Header.length
            while next == .hopByHop || next == .ipv6Route || next == .ipv6DestinationOptions {
                guard at + 2 <= bytes.count else { return nil }
                next = IPProtocol(bytes[at])
                at += (Int(bytes[at + 1]) + 1) * 8
            }
            guard at <= min(end, bytes.count) else { return nil }
            source = .v6(h.source)
            destination = .v6(h.destination)
            proto = next
            payload = at..<min(end, bytes.count)
        default:
            return nil
        }
        self.bytes = bytes
    }

    var pseudoHeader: PseudoHeader {
        switch (source, destination) {
        case let (.v4(s), .v4(d)): return .v4(source: s, destination: d)
        case let (.v6(s), .v6(d)): return .v6(source: s, destination: d)
        default: return .none
        }
    }

    /// Whether the transport checksum (over the pseudo-header for TCP, UDP and ICMPv6) is right.
    var transportChecksumIsValid: Bool {
        var c = proto == .icmp ? InternetChecksum() : pseudoHeader.start(protocol: proto.rawValue, length: payload.count)
        c.add(bytes, payload)
        return c.value == 0
    }
}

/// A TCP segment read from the device, as values.
struct TCPSegment {
    let source: IPAddress
    let destination: IPAddress
    let header: TCPRepr
    let payload: Bytes

    init?(_ ip: IPPacket) {
        guard ip.proto == .tcp, let h = TCPHeader(ip.bytes, at: ip.payload.lowerBound, end: ip.payload.upperBound),
              h.isComplete, let repr = TCPRepr(parsing: h)
        else { return nil }
        source = ip.source
        destination = ip.destination
        header = repr
        payload = Array(ip.bytes[(ip.payload.lowerBound + h.headerLength)..<ip.payload.upperBound])
    }

    var flags: TCPFlags { header.flags }
    var seq: UInt32 { header.sequenceNumber }
    var ack: UInt32 { header.acknowledgmentNumber }
    /// Sequence space the segment takes: its payload, plus one each for SYN and FIN.
    var length: UInt32 {
        UInt32(payload.count) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }
}
