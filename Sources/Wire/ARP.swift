/// A read-only view of an ARP packet (RFC 826) for IPv4 over Ethernet: hardware type 1,
/// protocol 0x0800, sizes 6 and 4. `init` checks the fixed 28 bytes are there.
public struct ARPPacket {
    public let bytes: Bytes
    public let start: Int
    public static let length = 28

    enum Offset {
        static let hardwareType = 0, protocolType = 2, hardwareSize = 4, protocolSize = 5, opcode = 6
        static let senderMAC = 8, senderIP = 14, targetMAC = 18, targetIP = 24
    }
    public static let request: UInt16 = 1, reply: UInt16 = 2

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        guard start >= 0, start + Self.length <= (end ?? bytes.count) else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var hardwareType: UInt16 { bytes.be16(start + Offset.hardwareType) }
    public var protocolType: UInt16 { bytes.be16(start + Offset.protocolType) }
    public var hardwareSize: UInt8 { bytes[start + Offset.hardwareSize] }
    public var protocolSize: UInt8 { bytes[start + Offset.protocolSize] }
    public var opcode: UInt16 { bytes.be16(start + Offset.opcode) }
    public var senderMAC: MACAddress { MACAddress(bytes.be48(start + Offset.senderMAC)) }
    public var senderIP: IPv4Address { IPv4Address(bytes.be32(start + Offset.senderIP)) }
    public var targetMAC: MACAddress { MACAddress(bytes.be48(start + Offset.targetMAC)) }
    public var targetIP: IPv4Address { IPv4Address(bytes.be32(start + Offset.targetIP)) }
    /// IPv4 over Ethernet: the only layout tunscope decodes field by field.
    public var isEthernetIPv4: Bool {
        hardwareType == 1 && protocolType == EtherType.ipv4 && hardwareSize == 6 && protocolSize == 4
    }
}

/// An ARP request or reply (IPv4 over Ethernet) as values.
public struct ARPRepr: Sendable, Equatable {
    public var opcode: UInt16
    public var senderMAC: MACAddress
    public var senderIP: IPv4Address
    public var targetMAC: MACAddress
    public var targetIP: IPv4Address

    public init(opcode: UInt16, senderMAC: MACAddress, senderIP: IPv4Address, targetMAC: MACAddress, targetIP: IPv4Address) {
        self.opcode = opcode
        self.senderMAC = senderMAC
        self.senderIP = senderIP
        self.targetMAC = targetMAC
        self.targetIP = targetIP
    }

    public init?(parsing p: ARPPacket) {
        guard p.isEthernetIPv4 else { return nil }
        self.init(opcode: p.opcode, senderMAC: p.senderMAC, senderIP: p.senderIP, targetMAC: p.targetMAC, targetIP: p.targetIP)
    }

    public func emit(into b: inout Bytes, at start: Int) {
        let O = ARPPacket.Offset.self
        b.setBE16(start + O.hardwareType, 1)
        b.setBE16(start + O.protocolType, EtherType.ipv4)
        b[start + O.hardwareSize] = 6
        b[start + O.protocolSize] = 4
        b.setBE16(start + O.opcode, opcode)
        for i in 0..<6 {
            b[start + O.senderMAC + i] = UInt8(truncatingIfNeeded: senderMAC.value >> UInt64(40 - 8 * i))
            b[start + O.targetMAC + i] = UInt8(truncatingIfNeeded: targetMAC.value >> UInt64(40 - 8 * i))
        }
        b.setBE32(start + O.senderIP, senderIP.value)
        b.setBE32(start + O.targetIP, targetIP.value)
    }
}

extension Dissector {
    static func dissectARP(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        guard let p = ARPPacket(b, at: start, end: end) else {
            d.fail("ARP packet needs 28 bytes, \(end - start) left", at: start..<end)
            return
        }
        let O = ARPPacket.Offset.self
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        let op: FieldText? = p.opcode == ARPPacket.request ? "(request)" : p.opcode == ARPPacket.reply ? "(reply)" : nil
        var fields = FieldList()
        fields.add(Field("arp.hw.type", "Hardware type", .uint(UInt64(p.hardwareType)), note: p.hardwareType == 1 ? "(Ethernet)" : nil,
                         range: r(O.hardwareType, 2), explain: "The kind of link addresses asked about: 1 for Ethernet."))
        fields.add(Field("arp.proto.type", "Protocol type", .uint(UInt64(p.protocolType)), base: .hex(digits: 4),
                         note: etherTypeNote(p.protocolType), range: r(O.protocolType, 2),
                         explain: "The kind of network addresses being resolved: 0x0800 for IPv4."))
        fields.add(Field("arp.hw.size", "Hardware size", .uint(UInt64(p.hardwareSize)), range: r(O.hardwareSize, 1),
                         explain: "Bytes in a link address (6 for Ethernet)."))
        fields.add(Field("arp.proto.size", "Protocol size", .uint(UInt64(p.protocolSize)), range: r(O.protocolSize, 1),
                         explain: "Bytes in a network address (4 for IPv4)."))
        fields.add(Field("arp.opcode", "Opcode", .uint(UInt64(p.opcode)), note: op, range: r(O.opcode, 2),
                         explain: "1 asks who has an address; 2 answers with the link address that has it."))
        if p.isEthernetIPv4 {
            fields.add(Field("arp.src.hw_mac", "Sender MAC address", .mac(p.senderMAC), range: r(O.senderMAC, 6),
                             explain: "The link address of the station sending this ARP packet."))
            fields.add(Field("arp.src.proto_ipv4", "Sender IP address", .ipv4(p.senderIP), range: r(O.senderIP, 4),
                             explain: "The sender's IPv4 address; receivers may cache it with the MAC above."))
            fields.add(Field("arp.dst.hw_mac", "Target MAC address", .mac(p.targetMAC), range: r(O.targetMAC, 6),
                             explain: "The link address sought (zero in a request) or the one answered to."))
            fields.add(Field("arp.dst.proto_ipv4", "Target IP address", .ipv4(p.targetIP), range: r(O.targetIP, 4),
                             explain: "The IPv4 address whose link address is asked for or answered."))
        }
        let what = p.opcode == ARPPacket.request ? "request" : p.opcode == ARPPacket.reply ? "reply" : "opcode \(p.opcode)"
        d.add("arp", title: "Address Resolution Protocol (\(what))", range: start..<(start + 28), fields: fields)
    }
}

extension Summary {
    /// tcpdump's `arp_print` without -e or -v, for IPv4 over Ethernet. `length` is what follows the
    /// link header, padding included, as tcpdump counts it.
    static func writeARP(_ b: Bytes, at start: Int, end: Int, length: Int, into w: inout TextWriter) {
        guard let p = ARPPacket(b, at: start, end: end) else {
            w.write(" [|arp]")
            return
        }
        w.write("ARP, ")
        guard p.isEthernetIPv4 else {
            w.write(p.hardwareType == 1 ? "Ethernet" : "Unknown Hardware (\(p.hardwareType))")
            w.write(" (len ")
            w.write(decimal: p.hardwareSize)
            w.write("), ")
            w.write(p.protocolType == EtherType.ipv4 ? "IPv4" : "Unknown Protocol (0x\(hex(p.protocolType, 4)))")
            w.write(" (len ")
            w.write(decimal: p.protocolSize)
            w.write("), length ")
            w.write(decimal: length)
            return
        }
        switch p.opcode {
        case ARPPacket.request:
            w.write("Request who-has ")
            w.write(ipv4: p.targetIP.value)
            if p.targetMAC.value != 0 {
                w.write(" (")
                w.write(mac: p.targetMAC.value)
                w.write(")")
            }
            w.write(" tell ")
            w.write(ipv4: p.senderIP.value)
        case ARPPacket.reply:
            w.write("Reply ")
            w.write(ipv4: p.senderIP.value)
            w.write(" is-at ")
            w.write(mac: p.senderMAC.value)
        default:
            w.write("Unknown (")
            w.write(decimal: p.opcode)
            w.write(") ")
        }
        w.write(", length ")
        w.write(decimal: length)
    }
}
