import Wire

/// The IP and TCP/UDP headers of a plain packet, read straight from its bytes: what a filter
/// on header fields alone (`tcp.flags.syn == 1 && ip.ttl < 64`, `udp.port == 53`) needs,
/// without dissecting, as BPF reads them. "Plain" is strict, so that every field read here has
/// exactly the value the dissector gives it: raw IP or Ethernet without VLAN; IPv4 without
/// options (a source route changes `ip.dst`) and not a fragment; IPv6 with TCP or UDP as the
/// first next header; the whole datagram captured; a complete TCP or UDP header whose lengths
/// agree, or an ICMP echo (which quotes no header, as an error does). Anything else (ICMP
/// errors, tunnels, damage) is dissected.
/// `PlainHeadersTests` and the display-filter fuzz target hold each value to the dissector's.
public struct PlainHeaders {
    enum Network { case ipv4, ipv6 }
    enum Transport { case tcp, udp, echo }
    let network: Network
    let transportKind: Transport
    private let bytes: UnsafeRawBufferPointer
    private let ip: Int, transport: Int, end: Int
    private let wireLength: Int

    /// nil unless the packet is plain (see above). `bytes` must outlive the value.
    init?(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int) {
        guard wireLength == bytes.count else { return nil }  // cut short: the dissector decides what is left
        var ip = 0
        var version: UInt8
        switch linkType {
        case .raw, .linktypeRaw, .ipv4, .ipv6:
            guard let first = bytes.first else { return nil }
            version = first >> 4
        case .ethernet:
            guard bytes.count >= 14 else { return nil }
            switch UInt16(bytes[12]) << 8 | UInt16(bytes[13]) {
            case 0x0800: version = 4
            case 0x86dd: version = 6
            default: return nil
            }
            ip = 14
            guard bytes.count > ip, bytes[ip] >> 4 == version else { return nil }
        default:
            return nil
        }
        if linkType == .ipv4 && version != 4 || linkType == .ipv6 && version != 6 { return nil }
        let proto: UInt8, transport: Int, end: Int
        switch version {
        case 4:
            guard bytes.count >= ip + 20, bytes[ip] & 0x0f == 5 else { return nil }
            let total = Int(UInt16(bytes[ip + 2]) << 8 | UInt16(bytes[ip + 3]))
            // Not a fragment (MF clear, offset 0), and every byte of the datagram here: an
            // Ethernet trailer after it is fine, a shorter capture is not.
            guard bytes[ip + 6] & 0x3f == 0, bytes[ip + 7] == 0, total >= 20, ip + total <= bytes.count else { return nil }
            proto = bytes[ip + 9]
            transport = ip + 20
            end = ip + total
            network = .ipv4
        case 6:
            guard bytes.count >= ip + 40 else { return nil }
            let payload = Int(UInt16(bytes[ip + 4]) << 8 | UInt16(bytes[ip + 5]))
            guard payload > 0, ip + 40 + payload <= bytes.count else { return nil }
            proto = bytes[ip + 6]
            transport = ip + 40
            end = ip + 40 + payload
            network = .ipv6
        default:
            return nil
        }
        switch proto {
        case 6:
            guard end - transport >= 20 else { return nil }
            let headerLength = Int(bytes[transport + 12] >> 4) * 4
            guard headerLength >= 20, transport + headerLength <= end else { return nil }
            transportKind = .tcp
        case 17:
            guard end - transport >= 8 else { return nil }
            let length = Int(UInt16(bytes[transport + 4]) << 8 | UInt16(bytes[transport + 5]))
            guard length == end - transport else { return nil }
            transportKind = .udp
        case 1 where network == .ipv4, 58 where network == .ipv6:
            // Echo request and reply: ICMP's 0 and 8, ICMPv6's 128 and 129.
            guard end - transport >= 8, [0, 8, 128, 129].contains(bytes[transport]), (bytes[transport] >= 128) == (proto == 58) else {
                return nil
            }
            transportKind = .echo
        default:
            return nil
        }
        self.bytes = bytes
        self.ip = ip
        self.transport = transport
        self.end = end
        self.wireLength = wireLength
    }

    /// The fields read here, by name: a filter whose every name is one of them (and no analysis
    /// field) is evaluated on plain packets without a dissection.
    enum Name: String, CaseIterable {
        case ip, ipVersion = "ip.version", ipHeaderLength = "ip.hdr_len", ipDSField = "ip.dsfield", ipDSCP = "ip.dsfield.dscp"
        case ipECN = "ip.dsfield.ecn", ipLength = "ip.len", ipID = "ip.id", ipFlags = "ip.flags", ipReservedBit = "ip.flags.rb"
        case ipDontFragment = "ip.flags.df", ipMoreFragments = "ip.flags.mf", ipFragmentOffset = "ip.frag_offset"
        case ipTTL = "ip.ttl", ipProto = "ip.proto", ipSource = "ip.src", ipDestination = "ip.dst", ipAddress = "ip.addr"
        case ipv6, ipv6PayloadLength = "ipv6.plen", ipv6Next = "ipv6.nxt", ipv6HopLimit = "ipv6.hlim"
        case ipv6Source = "ipv6.src", ipv6Destination = "ipv6.dst", ipv6Address = "ipv6.addr"
        case tcp, tcpSourcePort = "tcp.srcport", tcpDestinationPort = "tcp.dstport", tcpPort = "tcp.port", tcpLength = "tcp.len"
        case tcpHeaderLength = "tcp.hdr_len", tcpFlags = "tcp.flags", tcpReserved = "tcp.flags.res", tcpAE = "tcp.flags.ae"
        case tcpCWR = "tcp.flags.cwr", tcpECE = "tcp.flags.ece", tcpURG = "tcp.flags.urg", tcpACK = "tcp.flags.ack"
        case tcpPSH = "tcp.flags.push", tcpRST = "tcp.flags.reset", tcpSYN = "tcp.flags.syn", tcpFIN = "tcp.flags.fin"
        case tcpWindow = "tcp.window_size_value", tcpUrgentPointer = "tcp.urgent_pointer"
        case udp, udpSourcePort = "udp.srcport", udpDestinationPort = "udp.dstport", udpPort = "udp.port", udpLength = "udp.length"
        case icmp, icmpType = "icmp.type", icmpCode = "icmp.code", icmpv6, icmpv6Type = "icmpv6.type", icmpv6Code = "icmpv6.code"
        case frameLength = "frame.len", frameCapturedLength = "frame.cap_len"
    }

    /// Calls `body` with each value of the field in the dissector's order until it returns false.
    func forEach(_ name: Name, _ body: (Value) -> Bool) {
        func u8(_ at: Int) -> UInt64 { UInt64(bytes[at]) }
        func u16(_ at: Int) -> UInt64 { UInt64(bytes[at]) << 8 | UInt64(bytes[at + 1]) }
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3]) }
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) << 32 | UInt64(u32(at + 4)) }
        func span(_ from: Int) -> Value { .bytes(Array(bytes[from..<end])) }
        let v4 = network == .ipv4, v6 = network == .ipv6, tcp = transportKind == .tcp, udp = transportKind == .udp
        let echo = transportKind == .echo
        let flags = tcp ? u16(transport + 12) & 0x0fff : 0
        let value: Value
        switch name {
        case .ip where v4: value = span(ip)
        case .ipVersion: value = .unsigned(v4 ? 4 : 6)  // ipv6.version too: Wireshark 4 shows ip.version in IPv6
        case .ipHeaderLength where v4: value = .unsigned(20)
        case .ipDSField where v4: value = .unsigned(u8(ip + 1))
        case .ipDSCP where v4: value = .unsigned(u8(ip + 1) >> 2)
        case .ipECN where v4: value = .unsigned(u8(ip + 1) & 3)
        case .ipLength where v4: value = .unsigned(u16(ip + 2))
        case .ipID where v4: value = .unsigned(u16(ip + 4))
        case .ipFlags where v4: value = .unsigned(u8(ip + 6) >> 5)
        case .ipReservedBit where v4: value = .unsigned(u8(ip + 6) >> 7)
        case .ipDontFragment where v4: value = .unsigned(u8(ip + 6) >> 6 & 1)
        case .ipMoreFragments where v4: value = .unsigned(0)
        case .ipFragmentOffset where v4: value = .unsigned(0)
        case .ipTTL where v4: value = .unsigned(u8(ip + 8))
        case .ipProto where v4: value = .unsigned(u8(ip + 9))
        case .ipSource where v4: value = .ipv4(u32(ip + 12))
        case .ipDestination where v4: value = .ipv4(u32(ip + 16))
        case .ipAddress where v4:
            guard body(.ipv4(u32(ip + 12))) else { return }
            value = .ipv4(u32(ip + 16))
        case .ipv6 where v6: value = span(ip)
        case .ipv6PayloadLength where v6: value = .unsigned(u16(ip + 4))
        case .ipv6Next where v6: value = .unsigned(u8(ip + 6))
        case .ipv6HopLimit where v6: value = .unsigned(u8(ip + 7))
        case .ipv6Source where v6: value = .ipv6(u64(ip + 8), u64(ip + 16))
        case .ipv6Destination where v6: value = .ipv6(u64(ip + 24), u64(ip + 32))
        case .ipv6Address where v6:
            guard body(.ipv6(u64(ip + 8), u64(ip + 16))) else { return }
            value = .ipv6(u64(ip + 24), u64(ip + 32))
        case .tcp where tcp, .udp where udp: value = span(transport)
        case .tcpSourcePort where tcp, .udpSourcePort where udp: value = .unsigned(u16(transport))
        case .tcpDestinationPort where tcp, .udpDestinationPort where udp: value = .unsigned(u16(transport + 2))
        case .tcpPort where tcp, .udpPort where udp:
            guard body(.unsigned(u16(transport))) else { return }
            value = .unsigned(u16(transport + 2))
        case .tcpLength where tcp: value = .unsigned(UInt64(end - transport - Int(bytes[transport + 12] >> 4) * 4))
        case .tcpHeaderLength where tcp: value = .unsigned(u8(transport + 12) >> 4 * 4)
        case .tcpFlags where tcp: value = .unsigned(flags)
        case .tcpReserved where tcp: value = .unsigned(flags & 0xe00 != 0 ? 1 : 0)
        case .tcpAE where tcp: value = .unsigned(flags >> 8 & 1)
        case .tcpCWR where tcp: value = .unsigned(flags >> 7 & 1)
        case .tcpECE where tcp: value = .unsigned(flags >> 6 & 1)
        case .tcpURG where tcp: value = .unsigned(flags >> 5 & 1)
        case .tcpACK where tcp: value = .unsigned(flags >> 4 & 1)
        case .tcpPSH where tcp: value = .unsigned(flags >> 3 & 1)
        case .tcpRST where tcp: value = .unsigned(flags >> 2 & 1)
        case .tcpSYN where tcp: value = .unsigned(flags >> 1 & 1)
        case .tcpFIN where tcp: value = .unsigned(flags & 1)
        case .tcpWindow where tcp: value = .unsigned(u16(transport + 14))
        case .tcpUrgentPointer where tcp: value = .unsigned(u16(transport + 18))
        case .udpLength where udp: value = .unsigned(u16(transport + 4))
        case .icmp where echo && v4, .icmpv6 where echo && v6: value = span(transport)
        case .icmpType where echo && v4, .icmpv6Type where echo && v6: value = .unsigned(u8(transport))
        case .icmpCode where echo && v4, .icmpv6Code where echo && v6: value = .unsigned(u8(transport + 1))
        case .frameLength: value = .unsigned(UInt64(wireLength))
        case .frameCapturedLength: value = .unsigned(UInt64(bytes.count))
        default: return  // a field of the other IP version or transport: not in this packet
        }
        _ = body(value)
    }
}

extension PlainHeaders {
    private static let allFields = Name.allCases.map { FieldReference(name: $0.rawValue, type: FieldRegistry.type(of: $0.rawValue)!) }

    /// The first field whose value read from the headers differs from the dissector's, as
    /// "ip.ttl: [64] read, [63] dissected"; nil when the packet is not plain or all agree. The
    /// check `PlainHeadersTests` and the display-filter fuzz target make on every packet.
    public static func disagreement(_ packet: Bytes, linkType: LinkType, wireLength: Int) -> String? {
        packet.withUnsafeBytes { bytes in
            guard let headers = PlainHeaders(bytes, linkType: linkType, wireLength: wireLength) else { return nil }
            var d = Dissector.dissect(packet, linkType: linkType, wireLength: wireLength, describing: false)
            let frame = FrameInfo(number: 1, seconds: 0, microseconds: 0, originalLength: wireLength)
            d.layers.insert(frame.layer(capturedLength: packet.count, describing: false), at: 0)
            let dissected = DissectedFields(dissection: d, bytes: d.bytes(frame: packet))
            for field in allFields {
                var read: [Value] = [], found: [Value] = []
                headers.forEach(field) { read.append($0); return true }
                dissected.forEach(field) { found.append($0); return true }
                if read != found { return "\(field.name): \(read) read, \(found) dissected" }
            }
            return nil
        }
    }
}
