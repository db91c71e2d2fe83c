/// A read-only view of a UDP header (RFC 768). `init` checks the 8 bytes are there.
public struct UDPHeader {
    public let bytes: Bytes
    public let start: Int
    public static let length = 8

    enum Offset {
        static let sourcePort = 0, destinationPort = 2, length = 4, checksum = 6
    }

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        guard start >= 0, start + Self.length <= (end ?? bytes.count) else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var sourcePort: UInt16 { bytes.be16(start + Offset.sourcePort) }
    public var destinationPort: UInt16 { bytes.be16(start + Offset.destinationPort) }
    /// The length field: header plus payload, in bytes.
    public var length: Int { Int(bytes.be16(start + Offset.length)) }
    public var checksum: UInt16 { bytes.be16(start + Offset.checksum) }
}

/// A UDP header as values; `emit` fills in the length and the checksum.
public struct UDPRepr: TransportRepr, Sendable, Equatable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16

    public init(sourcePort: UInt16, destinationPort: UInt16) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public var proto: IPProtocol { .udp }
    public var headerLength: Int { UDPHeader.length }

    public func emit(into b: inout Bytes, at start: Int, payloadLength: Int, pseudo: PseudoHeader, checksum: ChecksumMode) {
        let length = UDPHeader.length + payloadLength
        b.setBE16(start + UDPHeader.Offset.sourcePort, sourcePort)
        b.setBE16(start + UDPHeader.Offset.destinationPort, destinationPort)
        b.setBE16(start + UDPHeader.Offset.length, UInt16(truncatingIfNeeded: length))
        b.setBE16(start + UDPHeader.Offset.checksum, 0)
        switch checksum {
        case .correct:
            var c = pseudo.start(protocol: IPProtocol.udp.rawValue, length: length)
            c.add(b, start..<(start + length))
            // RFC 768: a computed zero is sent as all ones (zero means "no checksum").
            b.setBE16(start + UDPHeader.Offset.checksum, c.value == 0 ? 0xffff : c.value)
        case let .value(v):
            b.setBE16(start + UDPHeader.Offset.checksum, v)
        }
    }
}

extension Dissector {
    static func dissectUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {
        guard let h = UDPHeader(b, at: start, end: end) else {
            d.fail("UDP header needs 8 bytes, \(end - start) left", at: start..<end)
            return
        }
        let O = UDPHeader.Offset.self
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        var fields = FieldList()
        fields.add(Field("udp.srcport", "Source Port", .uint(UInt64(h.sourcePort)), range: r(O.sourcePort, 2),
                  explain: "The sending application's port; replies go back to it."))
        fields.add(Field("udp.dstport", "Destination Port", .uint(UInt64(h.destinationPort)), range: r(O.destinationPort, 2),
                  explain: "The receiving application's port (53 DNS, 123 NTP, ...)."))
        fields.add(Field("udp.length", "Length", .uint(UInt64(h.length)), range: r(O.length, 2),
                  explain: "Bytes in the UDP header and payload together."))
        var checksum = Field("udp.checksum", "Checksum", .uint(UInt64(h.checksum)), base: .hex(digits: 4),
                             range: r(O.checksum, 2),
                             explain: "Covers the addresses (a pseudo-header), the header and the payload; 0 over IPv4 means none was sent.")
        let datagramEnd = start + h.length
        let complete = h.length >= UDPHeader.length && datagramEnd <= end && !ip.quoted && !ip.fragment
        if h.checksum == 0, case .v4 = ip.pseudo {
            checksum.note = "[missing]"
            fields.add(checksum) {
                $0.add(Field("udp.checksum.status", "Checksum Status", .uint(3), note: "(Not present)",
                             range: r(O.checksum, 2), explain: "No checksum was sent, which IPv4 allows."))
            }
        } else if complete {
            var c = ip.pseudo.start(protocol: IPProtocol.udp.rawValue, length: h.length)
            c.add(b, start..<datagramEnd)
            let ok = c.value == 0
            let expected = ok ? h.checksum : InternetChecksum.expected(received: h.checksum, verifyResult: c.value)
            checksum.note = ok ? "[correct]" : fields.text("[incorrect, should be 0x\(hex(expected, 4))]")
            fields.add(checksum)
            fields.add(Field("udp.checksum.status", "Checksum Status", .uint(ok ? 1 : 0), note: ok ? "(Good)" : "(Bad)",
                                range: r(O.checksum, 2), explain: "Whether the checksum is right: 1 good, 0 bad."))
            fields.add(Field("udp.checksum_calculated", "Calculated Checksum", .uint(UInt64(expected)), base: .hex(digits: 4),
                                range: r(O.checksum, 2), explain: "The checksum this datagram should carry."))
        } else {
            fields.add(checksum)
        }
        let payloadEnd = min(end, max(start + UDPHeader.length, datagramEnd))
        func title() -> String {
            // Written, not interpolated: a tree makes one for every packet.
            var w = TextWriter(capacity: 64)
            w.write("User Datagram Protocol, Src Port: ")
            w.write(decimal: h.sourcePort)
            w.write(", Dst Port: ")
            w.write(decimal: h.destinationPort)
            return w.string
        }
        d.add("udp", title: title(), range: start..<(start + 8), payload: (start + 8)..<payloadEnd, fields: fields)
        if h.length < UDPHeader.length {
            d.fail("UDP length \(h.length) is less than its 8-byte header", at: r(O.length, 2))
            return
        }
        if datagramEnd > end && !ip.quoted {
            d.fail("UDP length says \(h.length) bytes, \(end - start) left", at: r(O.length, 2))
        }
        // An ICMP error quotes as much of the datagram as fitted: its payload is shown as data,
        // as tcpdump does, so a DNS message cut short does not make the error look malformed.
        if start + 8 < payloadEnd && !ip.quoted, let flavour = DNS.Flavour.forUDP(h.sourcePort, h.destinationPort) {
            dissectDNS(b, at: start + 8, end: payloadEnd, flavour: flavour, into: &d)
        } else if start + 8 < payloadEnd && !ip.quoted && DHCP.isPort(h.sourcePort, h.destinationPort) {
            dissectDHCP(b, at: start + 8, end: payloadEnd, into: &d)
        } else if start + 8 < payloadEnd && !ip.quoted && (h.sourcePort == NTP.port || h.destinationPort == NTP.port) {
            dissectNTP(b, at: start + 8, end: payloadEnd, into: &d)
        } else if start + 8 < payloadEnd && !ip.quoted && (h.sourcePort == QUIC.port || h.destinationPort == QUIC.port)
                    && isQUICLongHeader(b, at: start + 8, end: payloadEnd) {
            dissectQUIC(b, at: start + 8, end: payloadEnd, into: &d)
        } else if start + 8 < payloadEnd {
            d.addData((start + 8)..<payloadEnd, explain: "The datagram's payload, for an application tunscope does not decode.")
        }
    }
}

extension Summary {
    /// tcpdump's `udp_print` for ports it has no printer for: "UDP, length N" and its length checks.
    static func writeUDP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {
        guard start + 4 <= end else {
            // tcpdump's udpipaddr_print without ports: the addresses, unless only ports would show.
            if !ip.portsOnly {
                ip.writeAddresses(into: &w)
                w.write(": ")
            }
            w.write(" [|udp]")
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
        guard start + 8 <= end else {
            w.write(" [|udp]")
            return
        }
        let length = min(ulen - 8, ip.length - 8)
        if b.be16(start) == DNS.port || b.be16(start + 2) == DNS.port {
            writeDNS(b, at: start + 8, end: min(end, start + 8 + length), length: length, into: &w)
            return
        }
        if b.be16(start) == DNS.multicastPort || b.be16(start + 2) == DNS.multicastPort {
            writeDNS(b, at: start + 8, end: min(end, start + 8 + length), length: length, mdns: true, into: &w)
            return
        }
        // tcpdump tries BOOTP's ports before NTP's.
        if DHCP.isPort(b.be16(start), b.be16(start + 2)) {
            writeBOOTP(b, at: start + 8, end: min(end, start + 8 + length), length: length, into: &w)
            return
        }
        if b.be16(start) == NTP.port || b.be16(start + 2) == NTP.port {
            writeNTP(b, at: start + 8, end: min(end, start + 8 + length), length: length, into: &w)
            return
        }
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
