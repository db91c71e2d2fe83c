/// A read-only view of an Ethernet II header (IEEE 802.3 clause 3): destination, source, type.
public struct EthernetHeader {
    public let bytes: Bytes
    public let start: Int
    public static let length = 14

    enum Offset {
        static let destination = 0, source = 6, etherType = 12
    }

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        guard start >= 0, start + Self.length <= (end ?? bytes.count) else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var destination: MACAddress { MACAddress(bytes.be48(start + Offset.destination)) }
    public var source: MACAddress { MACAddress(bytes.be48(start + Offset.source)) }
    public var etherType: UInt16 { bytes.be16(start + Offset.etherType) }
}

/// An Ethernet II header as values, to build frames from.
public struct EthernetRepr: Sendable, Equatable {
    public var destination: MACAddress
    public var source: MACAddress
    public var etherType: UInt16

    public init(destination: MACAddress, source: MACAddress, etherType: UInt16) {
        self.destination = destination
        self.source = source
        self.etherType = etherType
    }

    public func emit(into b: inout Bytes, at start: Int) {
        for i in 0..<6 {
            b[start + i] = UInt8(truncatingIfNeeded: destination.value >> UInt64(40 - 8 * i))
            b[start + 6 + i] = UInt8(truncatingIfNeeded: source.value >> UInt64(40 - 8 * i))
        }
        b.setBE16(start + EthernetHeader.Offset.etherType, etherType)
    }
}

/// 802.1Q VLAN tags (0x8100, and 0x88a8 for the outer tag of QinQ): priority, DEI, VLAN id, type.
enum VLANTag {
    static let length = 4
    static func isTag(_ etherType: UInt16) -> Bool { etherType == EtherType.vlan || etherType == 0x88a8 }
}

extension Dissector {
    static func dissectEthernet(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        guard let h = EthernetHeader(b, at: start, end: end) else {
            d.fail("Ethernet header needs 14 bytes, \(end - start) left", at: start..<end)
            return
        }
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        if h.etherType <= LLC.maxLength {
            // IEEE 802.3: a length, and an LLC header after it. Bytes past the length are padding.
            let llcEnd = min(end, start + 14 + Int(h.etherType))
            d.add("eth", title: "IEEE 802.3 Ethernet", range: start..<(start + 14), payload: (start + 14)..<llcEnd, fields: [
                Field("eth.dst", "Destination", .mac(h.destination), range: r(0, 6),
                      explain: "The station this frame is for; ff:ff:ff:ff:ff:ff reaches every station on the link."),
                Field("eth.src", "Source", .mac(h.source), range: r(6, 6),
                      explain: "The station that sent the frame."),
                Field("eth.len", "Length", .uint(UInt64(h.etherType)), range: r(12, 2),
                      explain: "1500 or less: the length of what follows (an LLC header and its payload), not an EtherType."),
            ])
            dissectLLC(b, at: start + 14, end: llcEnd, into: &d)
            return
        }
        d.add("eth", title: "Ethernet II, Src: \(h.source), Dst: \(h.destination)",
                              range: start..<(start + 14), payload: (start + 14)..<end, fields: [
            Field("eth.dst", "Destination", .mac(h.destination), range: r(0, 6),
                  explain: "The station this frame is for; ff:ff:ff:ff:ff:ff reaches every station on the link."),
            Field("eth.src", "Source", .mac(h.source), range: r(6, 6),
                  explain: "The station that sent the frame."),
            Field("eth.type", "Type", .uint(UInt64(h.etherType)), base: .hex(digits: 4), note: etherTypeNote(h.etherType),
                  range: r(12, 2), explain: "Which protocol the payload is: 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, 0x8100 VLAN."),
        ])
        dissectEtherPayload(h.etherType, b, at: start + 14, end: end, into: &d)
    }

    /// What follows an Ethernet or VLAN header, by EtherType.
    static func dissectEtherPayload(_ type: UInt16, _ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        switch type {
        case EtherType.ipv4, EtherType.ipv6:
            dissectIP(b, at: start, end: end, into: &d)
        case EtherType.arp:
            dissectARP(b, at: start, end: end, into: &d)
        case _ where VLANTag.isTag(type):
            guard start + VLANTag.length <= end else {
                d.fail("802.1Q tag needs 4 bytes, \(end - start) left", at: start..<end)
                return
            }
            let tci = b.be16(start)
            let inner = b.be16(start + 2)
            let tag = start..<(start + 2)
            d.add("vlan", title: "802.1Q Virtual LAN, PRI: \(tci >> 13), DEI: \(tci >> 12 & 1), ID: \(tci & 0xfff)",
                                  range: start..<(start + 4), payload: (start + 4)..<end, fields: [
                Field("vlan.priority", "Priority", .uint(UInt64(tci >> 13)), mask: 0xe000, range: tag,
                      explain: "802.1p class of service: 0 best effort up to 7 network control."),
                Field("vlan.dei", "DEI", .uint(UInt64(tci >> 12 & 1)), mask: 0x1000, range: tag,
                      explain: "Drop eligible: under congestion, switches drop such frames first."),
                Field("vlan.id", "ID", .uint(UInt64(tci & 0xfff)), mask: 0x0fff, range: tag,
                      explain: "Which virtual LAN the frame belongs to (1-4094)."),
                Field("vlan.etype", "Type", .uint(UInt64(inner)), base: .hex(digits: 4), note: etherTypeNote(inner),
                      range: (start + 2)..<(start + 4), explain: "The protocol inside the tag."),
            ])
            dissectEtherPayload(inner, b, at: start + 4, end: end, into: &d)
        default:
            if start < end {
                d.addData(start..<end, explain: "Payload of an EtherType tunscope does not decode, shown as raw bytes.")
            }
        }
    }

    static func etherTypeNote(_ t: UInt16) -> FieldText? {
        switch t {
        case EtherType.ipv4: return "(IPv4)"
        case EtherType.ipv6: return "(IPv6)"
        case EtherType.arp: return "(ARP)"
        case EtherType.vlan: return "(802.1Q Virtual LAN)"
        default: return nil
        }
    }
}

extension Summary {
    /// tcpdump's `ether_print` without -e: the link header says nothing, the payload speaks.
    static func writeEthernet(_ b: Bytes, at start: Int, end: Int, wireLength: Int? = nil, into w: inout TextWriter) {
        guard let h = EthernetHeader(b, at: start, end: end) else {
            w.write(" [|ether]")
            return
        }
        var type = h.etherType
        var i = start + EthernetHeader.length
        // VLAN tags print nothing without -e; tcpdump goes straight to what they carry.
        while VLANTag.isTag(type) {
            guard i + VLANTag.length <= end else {
                w.write(" [|vlan]")
                return
            }
            type = b.be16(i + 2)
            i += VLANTag.length
        }
        if type <= LLC.maxLength {
            // IEEE 802.3: a length (which the frame may exceed with padding), then LLC.
            var length = (wireLength ?? end) - i
            if Int(type) < length { length = Int(type) }
            writeLLC(b, at: i, end: min(end, i + length), length: length, source: h.source, destination: h.destination, into: &w)
            return
        }
        switch type {
        case EtherType.ipv4, EtherType.ipv6:
            writeIP(b, at: i, end: end, wireLength: wireLength, etherType: type, into: &w)
        case EtherType.arp:
            writeARP(b, at: i, end: end, length: (wireLength ?? end) - i, into: &w)
        default:
            w.write(mac: h.source.value)
            w.write(" > ")
            w.write(mac: h.destination.value)
            w.write(", ethertype ")
            writeEtherTypeName(type, into: &w)
            w.write(" (0x")
            w.write(hex: UInt64(type), digits: 4)
            w.write("), length ")
            w.write(decimal: end - start)
            w.write(": ")
        }
    }

    /// tcpdump's names of EtherTypes (`ethertype_values`), "Unknown" for the rest.
    static func writeEtherTypeName(_ t: UInt16, into w: inout TextWriter) {
        w.write(tcpdumpEtherTypeName(t) ?? "Unknown")
    }

    static func tcpdumpEtherTypeName(_ t: UInt16) -> StaticString? {
        switch t {
        case 0x0800: return "IPv4"
        case 0x8847: return "MPLS unicast"
        case 0x8848: return "MPLS multicast"
        case 0x86dd: return "IPv6"
        case 0x8100: return "802.1Q"
        case 0x9100: return "802.1Q-9100"
        case 0x88a8: return "802.1Q-QinQ"
        case 0x9200: return "802.1Q-9200"
        case 0x88e5: return "802.1AE MACsec"
        case 0x0200: return "PUP"
        case 0x0806: return "ARP"
        case 0x8035: return "Reverse ARP"
        case 0x0600: return "NS"
        case 0x0500: return "Sprite"
        case 0x1000: return "Trail"
        case 0x6001: return "MOP DL"
        case 0x6002: return "MOP RC"
        case 0x6003: return "DN"
        case 0x6004: return "LAT"
        case 0x6007: return "SCA"
        case 0x6558: return "TEB"
        case 0x8038: return "Lanbridge"
        case 0x803c: return "DEC DNS"
        case 0x803e: return "DEC DTS"
        case 0x805b: return "VEXP"
        case 0x805c: return "VPROD"
        case 0x809b: return "Appletalk"
        case 0x80f3: return "Appletalk ARP"
        case 0x8137: return "IPX"
        case 0x880b: return "PPP"
        case 0x8808: return "MPCP"
        case 0x8809: return "Slow Protocols"
        case 0x8863: return "PPPoE D"
        case 0x8864: return "PPPoE S"
        case 0x888e: return "EAPOL"
        case 0x8899: return "Realtek protocols"
        case 0x886f: return "MS NLB heartbeat"
        case 0x8870: return "Jumbo"
        case 0x894f: return "NSH"
        case 0x9000: return "Loopback"
        case 0xfefe: return "OSI"
        case 0x00fe: return "GRE-OSI"
        case 0xabcd: return "CFM (old)"
        case 0x8902: return "CFM"
        case 0x893a: return "IEEE1905.1"
        case 0x88cc: return "LLDP"
        case 0x88ca: return "TIPC"
        case 0x0707: return "GeoNet (old)"
        case 0x8947: return "GeoNet"
        case 0x1111: return "CALM FAST"
        case 0x88a2: return "AoE"
        case 0x88f7: return "PTP"
        case 0xd28b: return "Arista Vendor Specific Protocol"
        default: return nil
        }
    }
}
