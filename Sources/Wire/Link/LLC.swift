/// IEEE 802.2 LLC (and SNAP, RFC 1042) after an 802.3 length field: an Ethernet type/length of
/// 1500 or less is the payload's length, and an LLC header follows it. tunscope decodes the LLC
/// and SNAP headers, what SNAP carries under an EtherType it knows, and tcpdump's line for
/// spanning tree; other payloads are data.
enum LLC {
    /// The largest value of Ethernet's type field that is a length (IEEE 802.3 3.2.6).
    static let maxLength: UInt16 = 1500
    static let snapSAP: UInt8 = 0xaa, stpSAP: UInt8 = 0x42, ipSAP: UInt8 = 0x06
    static let unnumberedInformation: UInt16 = 0x03
    static let snapLength = 5

    /// tcpdump's names for SAPs (`llc_values`).
    static func sapName(_ sap: UInt8) -> StaticString? {
        switch sap {
        case 0x00: return "Null"
        case 0xff: return "Global"
        case 0x02: return "802.1B I"
        case 0x03: return "802.1B G"
        case 0x06: return "IP"
        case 0x04: return "SNA"
        case 0x0e: return "ProWay NM"
        case 0x42: return "STP"
        case 0x4e: return "RS511"
        case 0x7e: return "ISO8208"
        case 0x8e: return "ProWay"
        case 0xaa: return "SNAP"
        case 0xe0: return "IPX"
        case 0xf0: return "NetBeui"
        case 0xfe: return "OSI"
        default: return nil
        }
    }

    /// The header's length: 3 for an unnumbered (U) frame, 4 for I and S frames (a 2-byte control).
    static func headerLength(control: UInt8) -> Int { control & 3 == 3 ? 3 : 4 }
}

extension Dissector {
    /// The LLC header at `start`, SNAP after it, and what SNAP carries.
    static func dissectLLC(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        guard start + 3 <= end, start + LLC.headerLength(control: b[start + 2]) <= end else {
            d.fail("LLC header needs \(start + 2 < end ? LLC.headerLength(control: b[start + 2]) : 3) bytes, \(end - start) left", at: start..<end)
            return
        }
        let hl = LLC.headerLength(control: b[start + 2])
        let control = hl == 3 ? UInt16(b[start + 2]) : UInt16(b[start + 2]) | UInt16(b[start + 3]) << 8
        var fields = FieldList(capacity: 5)
        fields.add(Field("llc.dsap", "DSAP", .uint(UInt64(b[start])), base: .hex(digits: 2), range: start..<(start + 1),
                         explain: "Destination service access point: which protocol the payload is for (0xaa SNAP, 0x42 spanning tree)."))
        fields.add(Field("llc.ssap", "SSAP", .uint(UInt64(b[start + 1])), base: .hex(digits: 2), range: (start + 1)..<(start + 2),
                         explain: "Source service access point; its low bit marks a response."))
        fields.add(Field("llc.control", "Control field", .uint(UInt64(control)), base: .hex(digits: hl == 3 ? 2 : 4),
                         range: (start + 2)..<(start + hl), explain: "The frame's kind: 0x03 is unnumbered information, a plain datagram."))
        var i = start + hl
        let snap = b[start] & 0xfe == LLC.snapSAP && b[start + 1] & 0xfe == LLC.snapSAP && control == LLC.unnumberedInformation
        var carried: UInt16?
        if snap {
            guard i + LLC.snapLength <= end else {
                d.add("llc", title: "Logical-Link Control", range: start..<i, payload: i..<end, fields: fields)
                d.fail("SNAP header needs 5 bytes, \(end - i) left", at: i..<end)
                return
            }
            let oui = UInt32(b[i]) << 16 | UInt32(b.be16(i + 1))
            let pid = b.be16(i + 3)
            fields.add(Field("llc.oui", "Organization Code", .uint(UInt64(oui)), base: .hex(digits: 6), range: i..<(i + 3),
                             explain: "Whose numbers the next field is in: 0 means it is an EtherType."))
            if oui == 0 || oui == 0xf8 {
                fields.add(Field("llc.type", "Type", .uint(UInt64(pid)), base: .hex(digits: 4), note: etherTypeNote(pid), range: (i + 3)..<(i + 5),
                                 explain: "The EtherType of what follows, as in an Ethernet II header."))
                carried = pid
            } else {
                fields.add(Field("llc.pid", "Protocol ID", .uint(UInt64(pid)), base: .hex(digits: 4), range: (i + 3)..<(i + 5),
                                 explain: "The protocol that follows, numbered by the organization above."))
            }
            i += LLC.snapLength
        }
        d.add("llc", title: "Logical-Link Control", range: start..<i, payload: i..<end, fields: fields)
        if let carried, carried == EtherType.ipv4 || carried == EtherType.ipv6 || carried == EtherType.arp {
            dissectEtherPayload(carried, b, at: i, end: end, into: &d)
        } else if i < end {
            d.addData(i..<end, explain: "Payload of an LLC service tunscope does not decode, shown as raw bytes.")
        }
    }
}

extension Summary {
    /// tcpdump's `llc_print` without -e: `length` is the LLC frame's length (the 802.3 length
    /// field, or what the frame holds when that is less), `end` where the captured bytes of it end.
    /// A cooked capture has no addresses to give (nil): the SAPs are printed without them.
    static func writeLLC(_ b: Bytes, at start: Int, end: Int, length: Int, source: MACAddress?, destination: MACAddress?,
                         into w: inout TextWriter) {
        guard start + 3 <= end, length >= 3 else {
            w.write(" [|llc]")
            return
        }
        let dsapField = b[start], ssapField = b[start + 1]
        let hl = LLC.headerLength(control: b[start + 2])
        guard start + hl <= end, length >= hl else {
            w.write(" [|llc]")
            return
        }
        let control = hl == 3 ? UInt16(b[start + 2]) : UInt16(b[start + 2]) | UInt16(b[start + 3]) << 8
        let dsap = dsapField & 0xfe, ssap = ssapField & 0xfe
        let i = start + hl
        let rest = length - hl
        if dsap == LLC.snapSAP && ssap == LLC.snapSAP && control == LLC.unnumberedInformation {
            writeSNAP(b, at: i, end: end, length: rest, source: source, destination: destination, into: &w)
            return
        }
        if dsap == LLC.stpSAP && ssap == LLC.stpSAP && control == LLC.unnumberedInformation {
            writeSTP(b, at: i, end: end, length: rest, into: &w)
            return
        }
        if dsap == LLC.ipSAP && ssap == LLC.ipSAP && control == LLC.unnumberedInformation {
            writeIP(b, at: i, end: end, wireLength: i + rest, etherType: EtherType.ipv4, into: &w)
            return
        }
        // SAPs with nothing tunscope decodes above them: the addresses, the SAPs' names, the frame.
        if let source, let destination {
            w.write(mac: source.value)
            if ssap != dsap {
                w.write(byte: 32)
                writeSAP(ssap, unknown: "Unknown SSAP 0x", into: &w)
            }
            w.write(" > ")
            w.write(mac: destination.value)
            w.write(byte: 32)
        } else if ssap != dsap {
            writeSAP(ssap, unknown: "Unknown SSAP 0x", into: &w)
            w.write(" > ")
        }
        writeSAP(dsap, unknown: "Unknown DSAP 0x", into: &w)
        w.write(byte: 32)
        let response = UInt16(ssapField & 1)
        if hl == 3 {
            w.write("Unnumbered, ")
            switch control & 0xef {
            case 0x03: w.write("ui")
            case 0xe3: w.write("test")
            case 0xaf: w.write("xid")
            case 0x63: w.write("ua")
            case 0x43: w.write("disc")
            case 0x0f: w.write("dm")
            case 0x6f: w.write("sabme")
            case 0x87: w.write("frmr")
            default: w.write(hex: UInt64(control & 0xef), digits: 2)
            }
            w.write(", Flags [")
            writeLLCFlags(response | (control & 0x10), poll: 0x10, into: &w)
            w.write("], length ")
            w.write(decimal: length)
            // An XID in the IEEE 802.2 format (0x81) shows its two bytes of classes and window.
            if control & 0xef == 0xaf && rest > 0 {
                guard i < end else {
                    w.write(" [|llc]")
                    return
                }
                if b[i] == 0x81 {
                    guard rest >= 3, i + 3 <= end else {
                        w.write(" [|llc]")
                        return
                    }
                    w.write(": ")
                    w.write(hex: UInt64(b[i + 1]), digits: 2)
                    w.write(byte: 32)
                    w.write(hex: UInt64(b[i + 2]), digits: 2)
                }
            }
        } else if control & 1 == 1 {
            w.write("Supervisory, ")
            switch control >> 2 & 3 {
            case 0: w.write("Receiver Ready")
            case 1: w.write("Receiver not Ready")
            case 2: w.write("Reject")
            default: w.write("?")
            }
            w.write(", rcv seq ")
            w.write(decimal: control >> 9 & 0x7f)
            w.write(", Flags [")
            writeLLCFlags(response | (control & 0x100), poll: 0x100, into: &w)
            w.write("], length ")
            w.write(decimal: length)
        } else {
            w.write("Information, send seq ")
            w.write(decimal: control >> 1 & 0x7f)
            w.write(", rcv seq ")
            w.write(decimal: control >> 9 & 0x7f)
            w.write(", Flags [")
            writeLLCFlags(response | (control & 0x100), poll: 0x100, into: &w)
            w.write("], length ")
            w.write(decimal: length)
        }
    }

    private static func writeSAP(_ sap: UInt8, unknown: StaticString, into w: inout TextWriter) {
        if let name = LLC.sapName(sap) {
            w.write(name)
        } else {
            w.write(unknown)
            w.write(hex: UInt64(sap), digits: 2)
        }
    }

    /// Command or response, and the poll/final bit (`llc_flag_values`).
    private static func writeLLCFlags(_ v: UInt16, poll: UInt16, into w: inout TextWriter) {
        switch v {
        case 0: w.write("Command")
        case 1: w.write("Response")
        case poll: w.write("Poll")
        case poll | 1: w.write("Final")
        default: w.write("?")
        }
    }

    /// tcpdump's `snap_print` without -e: what an EtherType it knows carries, else the SNAP header.
    private static func writeSNAP(_ b: Bytes, at i: Int, end: Int, length: Int, source: MACAddress?, destination: MACAddress?,
                                  into w: inout TextWriter) {
        guard i + LLC.snapLength <= end, length >= LLC.snapLength else {
            w.write(" [|snap]")
            return
        }
        let oui = UInt32(b[i]) << 16 | UInt32(b.be16(i + 1))
        let pid = b.be16(i + 3)
        let p = i + LLC.snapLength, rest = length - LLC.snapLength
        if oui == 0 || oui == 0xf8 {
            switch pid {
            case EtherType.ipv4, EtherType.ipv6:
                writeIP(b, at: p, end: end, wireLength: p + rest, etherType: pid, into: &w)
                return
            case EtherType.arp:
                writeARP(b, at: p, end: end, length: rest, into: &w)
                return
            default: break
            }
        }
        if let source, let destination {
            w.write(mac: source.value)
            w.write(" > ")
            w.write(mac: destination.value)
            w.write(byte: 32)
        }
        if oui == 0 {
            w.write("SNAP, ethertype ")
            writeEtherTypeName(pid, into: &w)
            w.write(" (0x")
        } else {
            w.write("SNAP, oui ")
            switch oui {
            case 0x00000c: w.write("Cisco")
            case 0x0000f8: w.write("Cisco bridged")
            case 0x080007: w.write("Appletalk")
            case 0x0080c2: w.write("IEEE 802.1 Private")
            case 0x00120f: w.write("IEEE 802.3 Private")
            default: w.write("Unknown")
            }
            w.write(" (0x")
            w.write(hex: UInt64(oui), digits: 6)
            w.write("), pid Unknown (0x")
        }
        w.write(hex: UInt64(pid), digits: 4)
        w.write("), length ")
        w.write(decimal: rest)
        w.write(": ")
    }

    /// "Unknown BPDU Type (0x05)": a value tcpdump has no name for.
    private static func writeUnknown(_ what: StaticString, _ value: UInt8, into w: inout TextWriter) {
        w.write(what)
        w.write(" (0x")
        w.write(hex: UInt64(value), digits: 2)
        w.write(")")
    }

    /// tcpdump's `stp_print` at default verbosity: version, BPDU type, and for a configuration
    /// BPDU its flags, bridge and port. MSTP's and SPB's own parts are not printed.
    private static func writeSTP(_ b: Bytes, at i: Int, end: Int, length: Int, into w: inout TextWriter) {
        guard length >= 4 else {
            w.write(" (invalid)")
            return
        }
        // Printed as far as the captured bytes go, as tcpdump reads field by field: whether the
        // next field's bytes are there, saying " [|stp]" when they are not.
        func captured(_ n: Int) -> Bool {
            if i + n <= end { return true }
            w.write(" [|stp]")
            return false
        }
        guard captured(2) else { return }
        if b.be16(i) != 0 {
            w.write("unknown STP version, length ")
            w.write(decimal: length)
            return
        }
        guard captured(3) else { return }
        let version = b[i + 2]
        w.write("STP ")
        switch version {
        case 0: w.write("802.1d")
        case 2: w.write("802.1w")
        case 3: w.write("802.1s")
        case 4: w.write("802.1aq")
        default:
            writeUnknown("Unknown STP protocol", version, into: &w)
            return
        }
        guard captured(4) else { return }
        let type = b[i + 3]
        w.write(", ")
        switch type {
        case 0x00: w.write("Config")
        case 0x02: w.write("Rapid STP")
        case 0x80: w.write("Topology Change")
        default: writeUnknown("Unknown BPDU Type", type, into: &w)
        }
        // A configuration BPDU is 35 bytes, a rapid one 36 (with the version 1 length).
        guard type == 0x00 || (type == 0x02 && version == 2) else { return }
        guard length >= (type == 0x00 ? 35 : 36) else {
            w.write(" (invalid)")
            return
        }
        guard captured(5) else { return }
        w.write(", Flags [")
        let flags = b[i + 4]
        var any = false
        for (bit, name) in [(0x01, "Topology change"), (0x02, "Proposal"), (0x10, "Learn"), (0x20, "Forward"),
                            (0x40, "Agreement"), (0x80, "Topology change ACK")] as [(UInt8, StaticString)] where flags & bit != 0 {
            if any { w.write(", ") }
            w.write(name)
            any = true
        }
        if !any { w.write("none") }
        w.write("]")
        guard captured(27) else { return }
        w.write(", bridge-id ")
        w.write(hex: UInt64(b[i + 17]), digits: 2)
        w.write(hex: UInt64(b[i + 18]), digits: 2)
        w.write(byte: 46)
        w.write(mac: b.be48(i + 19))
        w.write(byte: 46)
        w.write(hex: UInt64(b.be16(i + 25)), digits: 4)
        w.write(", length ")
        w.write(decimal: length)
    }
}
