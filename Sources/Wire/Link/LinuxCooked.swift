/// Linux "cooked" captures: the header libpcap makes up for a packet socket that captures on
/// several interfaces at once (`-i any`), in place of each interface's own link header.
/// Version 1 (LINKTYPE_LINUX_SLL, 113) says how the packet came (its packet type), the link
/// address type and the sender's link address; version 2 (LINKTYPE_LINUX_SLL2, 276, what
/// `tcpdump -i any -w` writes) adds the interface's index. Then the payload, by its protocol:
/// an EtherType, or one of Linux's own numbers at or below 1500 (`ETH_P_802_2`...).
public enum LinuxCooked {
    /// Byte offsets (the packet-types' list is `PACKET_*` in `<linux/if_packet.h>`).
    enum Offset {
        enum V1 {
            static let packetType = 0, addressType = 2, addressLength = 4, address = 6, proto = 14
            static let headerLength = 16
        }
        enum V2 {
            static let proto = 0, reserved = 2, interfaceIndex = 4, addressType = 8, packetType = 10
            static let addressLength = 11, address = 12
            static let headerLength = 20
        }
        /// Both versions keep 8 bytes for the address, whatever its length says.
        static let addressRoom = 8
    }

    /// Linux's own protocol numbers (`ETH_P_802_3`, `ETH_P_802_2`) under 1500.
    static let novell802_3: UInt16 = 0x0001, llc802_2: UInt16 = 0x0004
    /// ARPHRD_IEEE80211_RADIOTAP: tcpdump decodes 802.11 with a radiotap header then, whatever
    /// the protocol says (Wireshark only when the protocol is Linux's own number).
    static let radiotap: UInt16 = 803
    /// ARPHRD_IPGRE: Wireshark names the protocol a GRE type then (`sll.gretype`).
    static let ipGRE: UInt16 = 778

    /// Where the packet was seen and which way it went, read from an SLL2 header without a
    /// dissection (for the packet list's direction and interface columns). Nil when the bytes
    /// are too short for the header.
    public static func origin(ofSLL2 bytes: Bytes) -> Origin? {
        guard bytes.count >= Offset.V2.headerLength else { return nil }
        return Origin(interfaceIndex: bytes.be32(Offset.V2.interfaceIndex),
                      packetType: PacketType(rawValue: UInt16(bytes[Offset.V2.packetType])))
    }

    /// An SLL2 packet's interface (its index, as `if_nametoindex` gives it) and packet type.
    public struct Origin: Sendable, Equatable {
        public var interfaceIndex: UInt32
        public var packetType: PacketType
    }

    /// How the kernel saw the packet (`PACKET_HOST`...): an open set, other values are kept.
    public struct PacketType: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let host = PacketType(rawValue: 0)
        public static let broadcast = PacketType(rawValue: 1)
        public static let multicast = PacketType(rawValue: 2)
        public static let otherHost = PacketType(rawValue: 3)
        public static let outgoing = PacketType(rawValue: 4)

        /// Sent by this host (the others were received).
        public var isOutgoing: Bool { self == .outgoing }

        /// tcpdump's word for it: In, B, M, P, Out; "?" for the rest.
        public var tcpdumpName: StaticString {
            switch rawValue {
            case 0: return "In"
            case 1: return "B"
            case 2: return "M"
            case 3: return "P"
            case 4: return "Out"
            default: return "?"
            }
        }

        /// Wireshark's name (`sll.pkttype`).
        var wiresharkName: StaticString {
            switch rawValue {
            case 0: return "(Unicast to us)"
            case 1: return "(Broadcast)"
            case 2: return "(Multicast)"
            case 3: return "(Unicast to another host)"
            case 4: return "(Sent by us)"
            default: return "(Unknown)"
            }
        }
    }

    /// Wireshark's names of the ARPHRD_ link types a cooked capture meets most (`arp_hrd_vals`).
    static func addressTypeNote(_ t: UInt16) -> FieldText? {
        switch t {
        case 0: return "(NET/ROM pseudo)"
        case 1: return "(Ethernet)"
        case 6: return "(IEEE 802)"
        case 24: return "(IEEE 1394.1995)"
        case 32: return "(InfiniBand)"
        case 280: return "(Controller Area Network)"
        case 512: return "(PPP)"
        case 519: return "(Raw IP)"
        case 768: return "(IPIP tunnel)"
        case 772: return "(Loopback)"
        case 776: return "(sit0 device - IPv6-in-IPv4)"
        case 778: return "(GRE over IP)"
        case 779: return "(PIMSM register interface)"
        case 801: return "(IEEE 802.11)"
        case 803: return "(IEEE 802.11 + radiotap header)"
        case 823: return "(GRE over IPv6)"
        case 65534: return "(zero header length)"
        case 65535: return "(Void type, nothing is known)"
        default: return nil
        }
    }

    /// Wireshark's names of Linux's protocol numbers (`sll.ltype`).
    static func linuxTypeNote(_ t: UInt16) -> FieldText? {
        switch t {
        case 0x0001: return "(Raw 802.3)"
        case 0x0003: return "(Ethernet)"
        case 0x0004: return "(802.2 LLC)"
        case 0x0007: return "(PPP (HDLC))"
        case 0x000c: return "(CAN)"
        case 0x000d: return "(CAN FD)"
        default: return nil
        }
    }
}

extension Dissector {
    /// A cooked header (`version` 1 or 2), then its payload. Wireshark takes a protocol of 1536
    /// or less as Linux's own number (as the kernel does), tcpdump 1500 or less.
    static func dissectLinuxCooked(_ b: Bytes, version: Int, into d: inout Dissection) {
        typealias V1 = LinuxCooked.Offset.V1
        typealias V2 = LinuxCooked.Offset.V2
        let length = version == 1 ? V1.headerLength : V2.headerLength
        guard b.count >= length else {
            d.fail("Linux cooked header v\(version) needs \(length) bytes, \(b.count) left", at: 0..<b.count)
            return
        }
        let r = { (offset: Int, n: Int) in offset..<(offset + n) }
        let proto = b.be16(version == 1 ? V1.proto : V2.proto)
        let addressType = b.be16(version == 1 ? V1.addressType : V2.addressType)
        var fields = FieldList(capacity: 9)

        func addProtocol(at offset: Int) {
            if proto <= 1536 {
                fields.add(Field("sll.ltype", "Protocol", .uint(UInt64(proto)), base: .hex(digits: 4),
                                 note: LinuxCooked.linuxTypeNote(proto), range: r(offset, 2),
                                 explain: "Linux's own protocol number (not an EtherType): 0x0004 802.2 LLC, 0x0001 Novell raw 802.3."))
            } else if addressType == LinuxCooked.ipGRE {
                fields.add(Field("sll.gretype", "Protocol", .uint(UInt64(proto)), base: .hex(digits: 4),
                                 note: etherTypeNote(proto), range: r(offset, 2),
                                 explain: "The GRE protocol type of the payload (an EtherType): the packet came out of a GRE tunnel."))
            } else {
                fields.add(Field("sll.etype", "Protocol", .uint(UInt64(proto)), base: .hex(digits: 4),
                                 note: etherTypeNote(proto), range: r(offset, 2),
                                 explain: "The EtherType of the payload: 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, 0x8100 VLAN."))
            }
        }
        /// The address by its length (Wireshark takes 4 as IPv4 and 6 as Ethernet), and the
        /// bytes of the 8 it leaves unused.
        func addAddress(lengthField: Int, lengthSize: Int, at offset: Int) {
            let n = lengthSize == 2 ? Int(b.be16(lengthField)) : Int(b[lengthField])
            fields.add(Field("sll.halen", "Link-layer address length", .uint(UInt64(n)), range: r(lengthField, lengthSize),
                             explain: "How many of the next 8 bytes the sender's link-layer address uses."))
            switch n {
            case 0: break
            case 4:
                fields.add(Field("sll.src.ipv4", "Source", .ipv4(IPv4Address(b.be32(offset))), range: r(offset, 4),
                                 explain: "The sender's link-layer address, here an IPv4 address (a tunnel's far end)."))
            case 6:
                fields.add(Field("sll.src.eth", "Source", .mac(MACAddress(b.be48(offset))), range: r(offset, 6),
                                 explain: "The sender's MAC address (for an outgoing packet, this host's)."))
            default:
                fields.add(Field("sll.src.other", "Source", .bytes, range: r(offset, min(n, LinuxCooked.Offset.addressRoom)),
                                 explain: "The sender's link-layer address, of a kind without a name here."))
            }
            if n < LinuxCooked.Offset.addressRoom {
                fields.add(Field("sll.unused", "Unused", .bytes, range: r(offset + n, LinuxCooked.Offset.addressRoom - n),
                                 explain: "The part of the 8-byte address room the address does not use."))
            }
        }
        func addAddressType(at offset: Int) {
            fields.add(Field("sll.hatype", "Link-layer address type", .uint(UInt64(addressType)),
                             note: LinuxCooked.addressTypeNote(addressType), range: r(offset, 2),
                             explain: "The interface's ARPHRD_ type: 1 Ethernet, 772 loopback, 65534 none (a tun device)."))
        }
        func addPacketType(_ value: UInt16, at offset: Int, size: Int) {
            fields.add(Field("sll.pkttype", "Packet type", .uint(UInt64(value)),
                             note: .literal(LinuxCooked.PacketType(rawValue: value).wiresharkName), range: r(offset, size),
                             explain: "How the packet came: 0 to this host, 1 broadcast, 2 multicast, 3 to another host, 4 sent by this host."))
        }

        if version == 1 {
            addPacketType(b.be16(V1.packetType), at: V1.packetType, size: 2)
            addAddressType(at: V1.addressType)
            addAddress(lengthField: V1.addressLength, lengthSize: 2, at: V1.address)
            addProtocol(at: V1.proto)
        } else {
            addProtocol(at: V2.proto)
            fields.add(Field("sll.ifindex", "Interface index", .uint(UInt64(b.be32(V2.interfaceIndex))), range: r(V2.interfaceIndex, 4),
                             explain: "Which interface the packet crossed, by its index on the capturing host (ip link shows it)."))
            addAddressType(at: V2.addressType)
            addPacketType(UInt16(b[V2.packetType]), at: V2.packetType, size: 1)
            addAddress(lengthField: V2.addressLength, lengthSize: 1, at: V2.address)
        }
        d.add("sll", title: "Linux cooked capture v\(version)", range: 0..<length, payload: length..<b.count, fields: fields)

        let end = b.count
        switch proto {
        case LinuxCooked.llc802_2:
            dissectLLC(b, at: length, end: end, into: &d)
        case _ where proto <= 1536:
            if length < end {
                d.addData(length..<end, explain: "A payload of a kind tunscope does not decode, shown as raw bytes.")
            }
        default:
            dissectEtherPayload(proto, b, at: length, end: end, into: &d)
        }
    }
}

extension Summary {
    /// tcpdump's `sll_if_print` and `sll2_if_print` without -e. Version 2 starts with the
    /// interface's name (from `interfaceNames`, "?" when it is not there), padded to 5, and the
    /// packet type (In, Out, B, M, P) padded to 3; version 1 says nothing of its header unless
    /// the protocol is one tcpdump does not know.
    static func writeLinuxCooked(_ b: Bytes, version: Int, wireLength: Int?, interfaceNames: InterfaceNames,
                                 into w: inout TextWriter) {
        typealias V1 = LinuxCooked.Offset.V1
        typealias V2 = LinuxCooked.Offset.V2
        let header = version == 1 ? V1.headerLength : V2.headerLength
        guard b.count >= header else {
            w.write(version == 1 ? " [|sll]" : " [|sll2]")
            return
        }
        let packetType = LinuxCooked.PacketType(rawValue: version == 1 ? b.be16(V1.packetType) : UInt16(b[V2.packetType]))
        if version == 2 {
            let index = b.be32(V2.interfaceIndex)
            if let name = interfaceNames[index] {
                w.write(name)
                w.write(spaces: max(0, 5 - name.utf8.count))
            } else {
                w.write("?    ")
            }
            w.write(byte: 32)
            let word = packetType.tcpdumpName
            w.write(word)
            w.write(spaces: 4 - word.utf8CodeUnitCount)
        }
        let addressType = b.be16(version == 1 ? V1.addressType : V2.addressType)
        // 802.11 with a radiotap header: tcpdump decodes that, whatever the protocol says; tunscope does not.
        guard addressType != LinuxCooked.radiotap else { return }
        let headerProto = b.be16(version == 1 ? V1.proto : V2.proto)
        let total = wireLength ?? b.count
        let end = b.count
        var type = headerProto
        var i = header
        while true {
            if type <= LLC.maxLength {
                switch type {
                case LinuxCooked.novell802_3:
                    writeIPX(b, at: i, end: end, into: &w)
                case LinuxCooked.llc802_2:
                    writeLLC(b, at: i, end: end, length: total - i, source: nil, destination: nil, into: &w)
                default:
                    break  // tcpdump prints the bytes in hex only
                }
                return
            }
            if type == EtherType.vlan {
                // Without -e a tag prints only the type it carries; a length there means 802.2.
                guard i + VLANTag.length <= end else {
                    w.write(" [|vlan]")
                    return
                }
                type = b.be16(i + 2)
                if type <= LLC.maxLength { type = LinuxCooked.llc802_2 }
                w.write("ethertype ")
                writeEtherTypeName(type, into: &w)
                w.write(", ")
                i += VLANTag.length
                continue
            }
            switch type {
            case EtherType.ipv4, EtherType.ipv6:
                writeIP(b, at: i, end: end, wireLength: total, etherType: type, into: &w)
            case EtherType.arp:
                writeARP(b, at: i, end: end, length: total - i, into: &w)
            default:
                // A protocol tcpdump does not print: the header as -e shows it, and the length
                // from past the VLAN tags (plus the header's own).
                if version == 1 {
                    let word = packetType.tcpdumpName
                    w.write(spaces: 3 - word.utf8CodeUnitCount)
                    w.write(word)
                    w.write(byte: 32)
                } else {
                    w.write("ifindex ")
                    w.write(unsigned: UInt64(b.be32(V2.interfaceIndex)))
                    w.write(byte: 32)
                }
                let addressLength = version == 1 ? Int(b.be16(V1.addressLength)) : Int(b[V2.addressLength])
                if addressLength == 6 {
                    w.write(mac: b.be48(version == 1 ? V1.address : V2.address))
                    w.write(byte: 32)
                }
                w.write("ethertype ")
                writeEtherTypeName(headerProto, into: &w)
                w.write(" (0x")
                w.write(hex: UInt64(headerProto), digits: 4)
                w.write("), length ")
                w.write(decimal: total - i + header)
                w.write(": ")
            }
            return
        }
    }

    /// tcpdump's `ipx_print`: the addresses and sockets, then the kind by destination socket.
    /// SAP, RIP and EIGRP, which tcpdump decodes further, end after the addresses here.
    static func writeIPX(_ b: Bytes, at i: Int, end: Int, into w: inout TextWriter) {
        w.write("IPX ")
        guard i + 30 <= end else {
            w.write(" [|ipx]")
            return
        }
        // Destination (network, node, socket) at 6, source at 18; tcpdump prints the source first.
        for (n, at) in [(0, i + 18), (1, i + 6)] {
            w.write(hex: UInt64(b.be32(at)), digits: 8)
            w.write(byte: 46)
            w.write(mac: b.be48(at + 4))
            w.write(byte: 46)
            w.write(hex: UInt64(b.be16(at + 10)), digits: 4)
            w.write(n == 0 ? " > " : ": ")
        }
        let length = Int(b.be16(i + 2))
        guard length >= 30 else {
            w.write("[length ")
            w.write(decimal: length)
            w.write(" < 30] (invalid)")
            return
        }
        let socket = b.be16(i + 16)
        let name: StaticString
        switch socket {
        case 0x0451: name = "ipx-ncp "
        case 0x0455: name = "ipx-netbios "
        case 0x0456: name = "ipx-diags "
        case 0x0553: name = "ipx-nwlink-dgm "
        case 0x0452, 0x0453, 0x85be: return
        default:
            w.write("ipx-#")
            w.write(hex: UInt64(socket))
            w.write(byte: 32)
            w.write(decimal: length - 30)
            return
        }
        w.write(name)
        w.write(decimal: length - 30)
    }
}

/// Interface names by index, for the text line of an SLL2 packet (tcpdump prints the name, as
/// `if_indextoname` gives it on the machine that prints). A live capture knows its interfaces'
/// names; a file's reader may look up the local machine's (`Capture`'s `LocalInterfaces`).
public typealias InterfaceNames = [UInt32: String]
