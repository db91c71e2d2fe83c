/// Turns a packet's bytes into layers and fields. Each protocol file adds its own `dissectX`;
/// this file only routes between them, by link type, EtherType and IP protocol number.
///
/// The contract (as smoltcp's wire module): bytes are untrusted; every length is checked before
/// a field is read, nothing traps, and a packet that stops making sense keeps every layer that
/// decoded, followed by `Dissection.malformed`.
public enum Dissector {
    /// `wireLength` is the packet's length on the wire, when the capture kept fewer bytes.
    /// Without `describing`, layer titles and the notes made per packet are left out (see
    /// `Dissection.describes`). `reassembled`: the datagram this packet completed, from the
    /// fragments before it (reassembly follows the packets in order, see Analysis'
    /// `FragmentReassembler`); its layers follow the IP layer, as Wireshark shows them.
    public static func dissect(_ bytes: Bytes, linkType: LinkType, wireLength: Int? = nil, describing: Bool = true,
                               reassembled: ReassembledDatagram? = nil) -> Dissection {
        var d = Dissection(describing: describing)
        d.pendingReassembly = reassembled
        dissectBytes(bytes, linkType: linkType, into: &d)
        d.pendingReassembly = nil
        if let wireLength, wireLength > bytes.count, d.malformed != nil {
            d.malformed = nil
            d.cutByCapture = true
        }
        return d
    }

    private static func dissectBytes(_ bytes: Bytes, linkType: LinkType, into d: inout Dissection) {
        switch linkType.rawValue {
        case LinkType.ethernet.rawValue:
            dissectEthernet(bytes, at: 0, end: bytes.count, into: &d)
        case LinkType.raw.rawValue, LinkType.rawOpenBSD.rawValue, LinkType.linktypeRaw.rawValue,
            LinkType.ipv4.rawValue, LinkType.ipv6.rawValue:
            dissectIP(bytes, at: 0, end: bytes.count, into: &d)
        case LinkType.linuxSLL.rawValue:
            dissectLinuxCooked(bytes, version: 1, into: &d)
        case LinkType.linuxSLL2.rawValue:
            dissectLinuxCooked(bytes, version: 2, into: &d)
        default:
            d.fail("link type \(linkType.rawValue) is not one tunscope decodes", at: 0..<bytes.count)
        }
    }

    /// IPv4 or IPv6, by the version nibble (raw IP captures and tun devices carry both).
    static func dissectIP(_ b: Bytes, at start: Int, end: Int, quoted: Bool = false, into d: inout Dissection) {
        guard start < end else {
            d.fail("no IP header: the packet ends here", at: start..<end)
            return
        }
        switch b[start] >> 4 {
        case 4: dissectIPv4(b, at: start, end: end, quoted: quoted, into: &d)
        case 6: dissectIPv6(b, at: start, end: end, quoted: quoted, into: &d)
        default:
            d.fail("IP version \(b[start] >> 4) is neither 4 nor 6", at: start..<start + 1)
        }
    }

    /// The layer above IPv4 or IPv6 (after any IPv6 extension headers).
    static func dissectIPPayload(
        _ proto: IPProtocol, _ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection
    ) {
        switch proto {
        case .tcp: dissectTCP(b, at: start, end: end, ip: ip, into: &d)
        case .udp: dissectUDP(b, at: start, end: end, ip: ip, into: &d)
        case .icmp: dissectICMPv4(b, at: start, end: end, ip: ip, into: &d)
        case .icmpv6: dissectICMPv6(b, at: start, end: end, ip: ip, into: &d)
        default:
            if start < end {
                d.addData(start..<end, explain: "Payload of a protocol tunscope does not decode, shown as raw bytes.")
            }
        }
    }
}

/// Writes the one-line summary that `tcpdump -nn -S` prints after the timestamp. Each protocol
/// file adds its own `writeX`; this file only routes between them.
public enum Summary {
    /// `wireLength` is the packet's length on the wire when the capture kept fewer bytes (a snap
    /// length): tcpdump then prints what the bytes allow and " [|proto]", not "truncated-ip".
    /// `interfaceNames` names the interfaces an SLL2 packet's index may point at; an index not
    /// in it prints as "?", as tcpdump prints an index its machine has no interface for.
    public static func write(_ bytes: Bytes, linkType: LinkType, wireLength: Int? = nil, interfaceNames: InterfaceNames = [:],
                             into w: inout TextWriter) {
        switch linkType.rawValue {
        case LinkType.ethernet.rawValue:
            writeEthernet(bytes, at: 0, end: bytes.count, wireLength: wireLength, into: &w)
        case LinkType.raw.rawValue, LinkType.rawOpenBSD.rawValue, LinkType.linktypeRaw.rawValue,
            LinkType.ipv4.rawValue, LinkType.ipv6.rawValue:
            writeIP(bytes, at: 0, end: bytes.count, wireLength: wireLength, into: &w)
        case LinkType.linuxSLL.rawValue:
            writeLinuxCooked(bytes, version: 1, wireLength: wireLength, interfaceNames: interfaceNames, into: &w)
        case LinkType.linuxSLL2.rawValue:
            writeLinuxCooked(bytes, version: 2, wireLength: wireLength, interfaceNames: interfaceNames, into: &w)
        default:
            w.write("unsupported link type ")
            w.write(decimal: linkType.rawValue)
        }
    }

    public static func string(_ bytes: Bytes, linkType: LinkType, wireLength: Int? = nil,
                              interfaceNames: InterfaceNames = [:]) -> String {
        var w = TextWriter()
        write(bytes, linkType: linkType, wireLength: wireLength, interfaceNames: interfaceNames, into: &w)
        return w.string
    }

    /// tcpdump's raw-IP printer (`ipN_print`), by the version nibble; or, under an EtherType, the
    /// printer it names, which then checks the version itself.
    static func writeIP(_ b: Bytes, at start: Int, end: Int, wireLength: Int? = nil, etherType: UInt16? = nil,
                        into w: inout TextWriter) {
        guard start < end else {
            w.write(" [|ip]")
            return
        }
        let version = b[start] >> 4
        let length = wireLength.map { $0 - start } ?? end - start
        switch etherType ?? (version == 4 ? EtherType.ipv4 : version == 6 ? EtherType.ipv6 : 0) {
        case EtherType.ipv4:
            guard version == 4 else {
                // ip_print: the version, then " (invalid)".
                if version == 6 {
                    w.write("IP6, wrong link-layer encapsulation")
                } else {
                    w.write("IP")
                    w.write(decimal: version)
                }
                w.write(" (invalid)")
                return
            }
            writeIPv4(b, at: start, end: end, wireLength: length, into: &w)
        case EtherType.ipv6:
            guard version == 6 || end - start < IPv6Header.length else {
                w.write("IP6 version error: ")
                w.write(decimal: version)
                w.write(" != 6")
                return
            }
            writeIPv6(b, at: start, end: end, wireLength: length, into: &w)
        default:
            w.write("unknown ip ")
            w.write(decimal: version)
        }
    }

    /// The part after the IP addresses, by protocol number.
    static func writeIPPayload(
        _ proto: IPProtocol, _ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter
    ) {
        switch proto {
        case .tcp: writeTCP(b, at: start, end: end, ip: ip, into: &w)
        case .udp: writeUDP(b, at: start, end: end, ip: ip, into: &w)
        case .icmp: writeICMPv4(b, at: start, end: end, ip: ip, into: &w)
        case .icmpv6: writeICMPv6(b, at: start, end: end, ip: ip, into: &w)
        case .ipv6NoNext: w.write("no next header")
        default:
            // The IP printer has already written "a > b: " for protocols other than TCP and UDP.
            w.write(" ip-proto-")
            w.write(decimal: proto.rawValue)
            w.write(byte: 32)
            w.write(decimal: ip.length)
        }
    }
}

extension Dissector {
    /// Where the link-layer header ends (Ethernet, VLAN tags, and after an 802.3 length the LLC
    /// header and any SNAP header), which is where `tcpdump -X` starts its hex dump.
    public static func networkLayerStart(_ bytes: Bytes, linkType: LinkType) -> Int {
        if linkType == .linuxSLL || linkType == .linuxSLL2 { return cookedPayloadStart(bytes, linkType: linkType) }
        guard linkType == .ethernet else { return 0 }
        var i = 12
        while i + 2 <= bytes.count {
            let type = bytes.be16(i)
            if type == EtherType.vlan { i += 4; continue }
            i += 2
            if type <= LLC.maxLength && i + 3 <= bytes.count {
                let dsap = bytes[i], ssap = bytes[i + 1], control = bytes[i + 2]
                // Novell's raw 802.3 (0xffff) has no LLC header; SNAP adds 5 bytes.
                if dsap == 0xff && ssap == 0xff { return i }
                let snap = dsap & 0xfe == LLC.snapSAP && ssap & 0xfe == LLC.snapSAP && control == 3
                i += LLC.headerLength(control: control) + (snap ? LLC.snapLength : 0)
            } else if type <= LLC.maxLength {
                return bytes.count
            }
            return min(i, bytes.count)
        }
        return min(i, bytes.count)
    }

    /// After a cooked header: its VLAN tags, and for 802.2 the LLC header (and SNAP's).
    private static func cookedPayloadStart(_ bytes: Bytes, linkType: LinkType) -> Int {
        let header = linkType == .linuxSLL ? LinuxCooked.Offset.V1.headerLength : LinuxCooked.Offset.V2.headerLength
        guard bytes.count >= header else { return bytes.count }
        var type = bytes.be16(linkType == .linuxSLL ? LinuxCooked.Offset.V1.proto : LinuxCooked.Offset.V2.proto)
        var i = header
        while type == EtherType.vlan {
            // A cut tag ends tcpdump's printing and its dump with it.
            guard i + VLANTag.length <= bytes.count else { return bytes.count }
            type = bytes.be16(i + 2)
            if type <= LLC.maxLength { type = LinuxCooked.llc802_2 }
            i += VLANTag.length
        }
        // tcpdump counts the LLC header only where it printed what follows (spanning tree, SNAP
        // carrying IP or ARP, a supervisory frame); otherwise the dump starts at LLC.
        if type == LinuxCooked.llc802_2 && i + 3 <= bytes.count {
            let dsap = bytes[i] & 0xfe, ssap = bytes[i + 1] & 0xfe, control = bytes[i + 2]
            if dsap == LLC.snapSAP && ssap == LLC.snapSAP && control == 3 && i + 8 <= bytes.count {
                let pid = bytes.be16(i + 6)
                if pid == EtherType.ipv4 || pid == EtherType.ipv6 || pid == EtherType.arp { i += 3 + LLC.snapLength }
            } else if (dsap == LLC.stpSAP && ssap == LLC.stpSAP && control == 3) || control & 3 == 1 {
                i += LLC.headerLength(control: control)
            }
        }
        return min(i, bytes.count)
    }
}
