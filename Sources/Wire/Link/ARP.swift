/// A read-only view of an ARP packet (RFC 826): the fixed 8 bytes, then sender and target
/// addresses whose sizes the header gives. `init` checks all of them are there. The MAC and IPv4
/// accessors read the usual layout (sizes 6 and 4: `hasMACAndIPv4`).
public struct ARPPacket {
    public let bytes: Bytes
    public let start: Int
    /// Bytes before the addresses.
    public static let fixedLength = 8
    /// IPv4 over Ethernet's length.
    public static let length = 28

    enum Offset {
        static let hardwareType = 0, protocolType = 2, hardwareSize = 4, protocolSize = 5, opcode = 6
        static let senderMAC = 8, senderIP = 14, targetMAC = 18, targetIP = 24
    }
    public static let request: UInt16 = 1, reply: UInt16 = 2

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        let end = end ?? bytes.count
        guard start >= 0, start + Self.fixedLength <= end else { return nil }
        let addresses = 2 * (Int(bytes[start + Offset.hardwareSize]) + Int(bytes[start + Offset.protocolSize]))
        guard start + Self.fixedLength + addresses <= end else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var hardwareType: UInt16 { bytes.be16(start + Offset.hardwareType) }
    public var protocolType: UInt16 { bytes.be16(start + Offset.protocolType) }
    public var hardwareSize: UInt8 { bytes[start + Offset.hardwareSize] }
    public var protocolSize: UInt8 { bytes[start + Offset.protocolSize] }
    public var opcode: UInt16 { bytes.be16(start + Offset.opcode) }
    /// The whole packet: the fixed header and the four addresses.
    public var totalLength: Int { Self.fixedLength + 2 * (Int(hardwareSize) + Int(protocolSize)) }
    /// Where each address starts, for any sizes.
    public var senderHardwareOffset: Int { start + Self.fixedLength }
    public var senderProtocolOffset: Int { senderHardwareOffset + Int(hardwareSize) }
    public var targetHardwareOffset: Int { senderProtocolOffset + Int(protocolSize) }
    public var targetProtocolOffset: Int { targetHardwareOffset + Int(hardwareSize) }
    public var senderMAC: MACAddress { MACAddress(bytes.be48(start + Offset.senderMAC)) }
    public var senderIP: IPv4Address { IPv4Address(bytes.be32(start + Offset.senderIP)) }
    public var targetMAC: MACAddress { MACAddress(bytes.be48(start + Offset.targetMAC)) }
    public var targetIP: IPv4Address { IPv4Address(bytes.be32(start + Offset.targetIP)) }
    /// Six-byte link addresses and four-byte network addresses: the layout the MAC and IPv4 accessors read.
    public var hasMACAndIPv4: Bool { hardwareSize == 6 && protocolSize == 4 }
    /// IPv4 over Ethernet: the layout tunscope builds.
    public var isEthernetIPv4: Bool {
        hardwareType == 1 && protocolType == EtherType.ipv4 && hasMACAndIPv4
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
            let needed = start + ARPPacket.fixedLength <= end
                ? ARPPacket.fixedLength + 2 * (Int(b[start + 4]) + Int(b[start + 5])) : ARPPacket.fixedLength
            d.fail("ARP packet needs \(needed) bytes, \(end - start) left", at: start..<end)
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
        // As Wireshark: six-byte Ethernet or IEEE 802 addresses are MACs, IPv4's are addresses,
        // anything else is bytes.
        let macs = p.hardwareSize == 6 && (p.hardwareType == 1 || p.hardwareType == 6)
        let ipv4 = p.protocolSize == 4 && p.protocolType == EtherType.ipv4
        let hw = Int(p.hardwareSize), proto = Int(p.protocolSize)
        if hw > 0 {
            let range = p.senderHardwareOffset..<(p.senderHardwareOffset + hw)
            fields.add(macs ? Field("arp.src.hw_mac", "Sender MAC address", .mac(MACAddress(b.be48(range.lowerBound))), range: range,
                                    explain: "The link address of the station sending this ARP packet.")
                            : Field("arp.src.hw", "Sender hardware address", .bytes, range: range,
                                    explain: "The link address of the station sending this ARP packet."))
        }
        if proto > 0 {
            let range = p.senderProtocolOffset..<(p.senderProtocolOffset + proto)
            fields.add(ipv4 ? Field("arp.src.proto_ipv4", "Sender IP address", .ipv4(IPv4Address(b.be32(range.lowerBound))), range: range,
                                    explain: "The sender's IPv4 address; receivers may cache it with the MAC above.")
                            : Field("arp.src.proto", "Sender protocol address", .bytes, range: range,
                                    explain: "The sender's network address."))
        }
        if hw > 0 {
            let range = p.targetHardwareOffset..<(p.targetHardwareOffset + hw)
            fields.add(macs ? Field("arp.dst.hw_mac", "Target MAC address", .mac(MACAddress(b.be48(range.lowerBound))), range: range,
                                    explain: "The link address sought (zero in a request) or the one answered to.")
                            : Field("arp.dst.hw", "Target hardware address", .bytes, range: range,
                                    explain: "The link address sought (zero in a request) or the one answered to."))
        }
        if proto > 0 {
            let range = p.targetProtocolOffset..<(p.targetProtocolOffset + proto)
            fields.add(ipv4 ? Field("arp.dst.proto_ipv4", "Target IP address", .ipv4(IPv4Address(b.be32(range.lowerBound))), range: range,
                                    explain: "The IPv4 address whose link address is asked for or answered.")
                            : Field("arp.dst.proto", "Target protocol address", .bytes, range: range,
                                    explain: "The network address whose link address is asked for or answered."))
        }
        let what = p.opcode == ARPPacket.request ? "request" : p.opcode == ARPPacket.reply ? "reply" : "opcode \(p.opcode)"
        d.add("arp", title: "Address Resolution Protocol (\(what))", range: start..<(start + p.totalLength), fields: fields)
    }
}

extension Summary {
    /// tcpdump's `arp_print` without -e or -v. `length` is what follows the link header, padding
    /// included, as tcpdump counts it.
    static func writeARP(_ b: Bytes, at start: Int, end: Int, length: Int, into w: inout TextWriter) {
        guard let p = ARPPacket(b, at: start, end: end) else {
            w.write(" [|arp]")
            return
        }
        w.write("ARP, ")
        let proto = p.protocolType
        // Addresses tcpdump reads only for IPv4 (or trailer encapsulation, 0x1000) in 4 bytes.
        guard proto == EtherType.ipv4 || proto == 0x1000, p.protocolSize == 4, p.hardwareSize != 0 else {
            writeARPHardwareName(p.hardwareType, into: &w)
            w.write(" (len ")
            w.write(decimal: p.hardwareSize)
            w.write("), ")
            switch proto {
            case EtherType.ipv4: w.write("IPv4")
            case EtherType.ipv6: w.write("IPv6")
            default:
                w.write("Unknown Protocol (0x")
                w.write(hex: UInt64(proto), digits: 4)
                w.write(")")
            }
            w.write(" (len ")
            w.write(decimal: p.protocolSize)
            w.write("), length ")
            w.write(decimal: length)
            return
        }
        let hw = Int(p.hardwareSize)
        let sha = p.senderHardwareOffset, tha = p.targetHardwareOffset
        let spa = b.be32(p.senderProtocolOffset), tpa = b.be32(p.targetProtocolOffset)
        switch p.opcode {
        case ARPPacket.request:
            w.write("Request who-has ")
            w.write(ipv4: tpa)
            if b[tha..<(tha + hw)].contains(where: { $0 != 0 }) {
                w.write(" (")
                writeLinkAddress(b, at: tha, length: hw, into: &w)
                w.write(")")
            }
            w.write(" tell ")
            w.write(ipv4: spa)
        case ARPPacket.reply:
            w.write("Reply ")
            w.write(ipv4: spa)
            w.write(" is-at ")
            writeLinkAddress(b, at: sha, length: hw, into: &w)
        case 3, 8:
            w.write(p.opcode == 3 ? "Reverse Request who-is " : "Inverse Request who-is ")
            writeLinkAddress(b, at: tha, length: hw, into: &w)
            w.write(" tell ")
            writeLinkAddress(b, at: sha, length: hw, into: &w)
        case 4:
            w.write("Reverse Reply ")
            writeLinkAddress(b, at: tha, length: hw, into: &w)
            w.write(" at ")
            w.write(ipv4: tpa)
        case 9:
            w.write("Inverse Reply ")
            writeLinkAddress(b, at: sha, length: hw, into: &w)
            w.write(" at ")
            w.write(ipv4: spa)
        default:
            // tcpdump names the operation and dumps the packet in hex (lines tunscope leaves out).
            if p.opcode == 10 {
                w.write("NACK Reply ")
            } else {
                w.write("Unknown (")
                w.write(decimal: p.opcode)
                w.write(") ")
            }
            return
        }
        w.write(", length ")
        w.write(decimal: length)
    }

    /// tcpdump's names for ARP hardware types (`arphrd_values`).
    private static func writeARPHardwareName(_ type: UInt16, into w: inout TextWriter) {
        switch type {
        case 1: w.write("Ethernet")
        case 6: w.write("TokenRing")
        case 7: w.write("ArcNet")
        case 15: w.write("FrameRelay")
        case 19: w.write("ATM")
        case 23: w.write("Strip")
        case 24: w.write("IEEE 1394")
        case 32: w.write("InfiniBand")
        default:
            w.write("Unknown Hardware (")
            w.write(decimal: type)
            w.write(")")
        }
    }

    /// A link address as tcpdump's linkaddr_string: a MAC for six bytes, else hex bytes joined by colons.
    private static func writeLinkAddress(_ b: Bytes, at i: Int, length: Int, into w: inout TextWriter) {
        if length == 6 {
            w.write(mac: b.be48(i))
            return
        }
        for j in 0..<length {
            if j > 0 { w.write(byte: 58) }
            w.write(hex: UInt64(b[i + j]), digits: 2)
        }
    }
}
