import Wire

/// Where a TCP segment went and what it said: the facts the connection tracker needs, read
/// from a packet's link, IP and TCP headers through Wire's views.
///
/// Lengths come from the IP header (total length, payload length), as Wireshark's `tcp.len`
/// does, so `bytes` may be only the first bytes of the packet (a snap length, or the headers
/// the tracker copies out of the store). Checksums are not checked (Wireshark does not by
/// default either). Fragments, IPv6 jumbograms and anything that does not parse give nil.
public struct ObservedSegment: Sendable, Equatable {
    public var source: TCPEndpoint
    public var destination: TCPEndpoint
    public var seq: UInt32
    public var ack: UInt32
    public var flags: TCPFlags
    /// Payload bytes, by the IP header's length.
    public var payloadLength: Int

    public init?(_ bytes: Bytes, linkType: LinkType) {
        guard let start = Self.networkStart(bytes, linkType: linkType), start < bytes.count else { return nil }
        let src: IPAddress, dst: IPAddress, tcpStart: Int, ipEnd: Int
        switch bytes[start] >> 4 {
        case 4:
            guard let h = IPv4Header(bytes, at: start), h.headerLength >= IPv4Header.minimumLength,
                  h.totalLength >= h.headerLength, h.proto == .tcp, h.fragmentOffset == 0, !h.moreFragments
            else { return nil }
            src = .v4(h.source)
            dst = .v4(h.destination)
            tcpStart = start + h.headerLength
            ipEnd = start + h.totalLength
        case 6:
            guard let h = IPv6Header(bytes, at: start), h.payloadLength > 0 else { return nil }
            ipEnd = start + IPv6Header.length + h.payloadLength
            // Extension headers a segment may carry before TCP; a fragment header ends the search.
            var next = h.nextHeader
            var at = start + IPv6Header.length
            while next == .hopByHop || next == .ipv6Route || next == .ipv6DestinationOptions {
                guard at + 2 <= bytes.count else { return nil }
                next = IPProtocol(bytes[at])
                at += (Int(bytes[at + 1]) + 1) * 8
            }
            guard next == .tcp, at <= ipEnd else { return nil }
            src = .v6(h.source)
            dst = .v6(h.destination)
            tcpStart = at
        default:
            return nil
        }
        guard let tcp = TCPHeader(bytes, at: tcpStart), tcp.headerLength >= TCPHeader.minimumLength,
              tcpStart + tcp.headerLength <= ipEnd
        else { return nil }
        source = TCPEndpoint(src, tcp.sourcePort)
        destination = TCPEndpoint(dst, tcp.destinationPort)
        seq = tcp.sequenceNumber
        ack = tcp.acknowledgmentNumber
        flags = tcp.flags
        payloadLength = ipEnd - tcpStart - tcp.headerLength
    }

    /// Sequence space the segment takes: its payload, plus one each for SYN and FIN (RFC 9293 3.4).
    public var sequenceLength: UInt32 {
        UInt32(truncatingIfNeeded: payloadLength) &+ (flags.contains(.syn) ? 1 : 0) &+ (flags.contains(.fin) ? 1 : 0)
    }

    /// Where the IP header starts: after Ethernet or a Linux cooked header (v1 or v2), any VLAN
    /// tags, and an 802.2 LLC/SNAP header that says IP; or at 0 for raw IP. Nil for a frame
    /// that does not carry IP, or a link type tunscope does not decode.
    static func networkStart(_ bytes: Bytes, linkType: LinkType) -> Int? {
        switch linkType {
        case .ethernet:
            return ipAfterType(bytes, at: EthernetHeader.length - 2)
        case .raw, .rawOpenBSD, .linktypeRaw, .ipv4, .ipv6:
            return 0
        case .linuxSLL:
            // Linux cooked v1: the protocol field is the last 2 of its 16 bytes.
            return ipAfterType(bytes, at: 14)
        case .linuxSLL2:
            // v2: the protocol field comes first, the payload after 20 bytes.
            guard bytes.count >= 20 else { return nil }
            return ipAfterType(bytes, at: 0, payload: 20)
        default:
            return nil
        }
    }

    /// The IP header's start after the type field at `at` (its payload at `payload`, right after
    /// the field unless said): through VLAN tags, and an LLC/SNAP header when the field is a length.
    private static func ipAfterType(_ bytes: Bytes, at: Int, payload: Int? = nil) -> Int? {
        guard at + 2 <= bytes.count else { return nil }
        var type = bytes.be16(at)
        var next = payload ?? at + 2
        while type == EtherType.vlan {
            guard next + 4 <= bytes.count else { return nil }
            type = bytes.be16(next + 2)
            next += 4
        }
        // An 802.3 length (or Linux's 802.2 marker, 4) then LLC: SNAP (AA AA 03, an OUI, a type).
        if type <= 1500 {
            guard next + 8 <= bytes.count, bytes[next] == 0xaa, bytes[next + 1] == 0xaa, bytes[next + 2] == 3 else { return nil }
            type = bytes.be16(next + 6)
            next += 8
        }
        return type == EtherType.ipv4 || type == EtherType.ipv6 ? next : nil
    }
}

/// One end of a TCP connection: an address and a port.
public struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }

    /// "192.0.2.1:80", "[2001:db8::1]:80".
    public var description: String {
        address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// An order on endpoints, so that both directions of a connection make the same key.
    func precedes(_ other: TCPEndpoint) -> Bool {
        func rank(_ e: TCPEndpoint) -> (UInt64, UInt64, UInt16) {
            switch e.address {
            case let .v4(a): return (0, UInt64(a.value), e.port)
            case let .v6(a): return (a.high, a.low, e.port)
            }
        }
        let (a, b) = (rank(self), rank(other))
        if address.isIPv6 != other.address.isIPv6 { return !address.isIPv6 }
        return a < b
    }
}
