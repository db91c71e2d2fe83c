import Wire

/// The TCP or UDP header of a packet as stream analysis reads it: the endpoints, and for TCP the
/// numbers, flags, window and the options that change later packets (window scale, SACK). Read
/// from the bytes through Wire's views, the way Wireshark's TCP and UDP dissectors see them:
/// fragments are left alone (Wireshark dissects a datagram's transport header only once it has
/// reassembled it, in the packet that completed it, or in a first fragment it does not
/// reassemble), and a header quoted inside an ICMP or ICMPv6 error is read too, marked
/// `quoted`, because Wireshark files it under its conversation as well.
public struct TransportPacket: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case tcp, udp
    }

    public var kind: Kind
    public var source: TCPEndpoint
    /// Where Wireshark says the packet goes (past a source route, the route's last address).
    public var destination: TCPEndpoint
    /// The destination address in the IP header itself, which tcpdump uses.
    public var headerDestination: IPAddress
    /// Inside an ICMP error: the conversation is looked up, nothing is analysed.
    public var quoted = false

    // TCP only (zero for UDP).
    public var seq: UInt32 = 0
    public var ack: UInt32 = 0
    public var flags = TCPFlags()
    public var window: UInt16 = 0
    /// The data offset in bytes (may be below 20 in a broken header).
    public var headerLength = 0
    /// Payload bytes by the IP header's length (UDP: after its 8-byte header); nil where
    /// Wireshark has no TCP segment length (a quoted header, or a header longer than the segment).
    public var segmentLength: Int?
    /// Whether the sequence number (4 bytes from 4) and the acknowledgment number are there.
    public var hasSequence = false
    public var hasAcknowledgment = false
    /// Window scale option's shift (capped at 14, as Wireshark does), if the header has one.
    public var windowScale: UInt8?
    /// SACK blocks: how many, and the bytes they cover (right edge minus left, summed).
    public var sackBlocks = 0
    public var sackBytes: UInt32 = 0
    /// Where the payload begins in the bytes (after the UDP header, or the TCP header's length).
    public var payloadStart = 0
    /// Whether the whole header was captured (or its options end early): otherwise Wireshark's
    /// dissector stops at the missing bytes, before it shows the times and the analysis.
    public var wholeHeader = false

    /// The TCP or UDP header of a packet of this link type; nil for anything else. `wireLength`
    /// is the packet's length on the wire, when the capture kept fewer bytes.
    public init?(_ bytes: Bytes, linkType: LinkType, wireLength: Int? = nil) {
        guard let start = ObservedSegment.networkStart(bytes, linkType: linkType),
              var ip = IPPayload(bytes, at: start)
        else { return nil }
        // Wireshark's lengths stop where the frame does, whatever the IP header says.
        ip.end = min(ip.end, max(ip.start, wireLength ?? bytes.count))
        switch ip.proto {
        case .tcp, .udp:
            self.init(bytes, ip: ip, quoted: false)
        case .icmp, .icmpv6:
            // An error quotes the datagram it is about after its 8-byte header.
            guard ip.start + 8 < min(bytes.count, ip.end) else { return nil }
            let type = bytes[ip.start]
            let isError = ip.proto == .icmp ? [3, 4, 5, 11, 12].contains(type) : (1...4).contains(type)
            guard isError, let inner = IPPayload(bytes, at: ip.start + 8, quoted: true),
                  inner.proto == .tcp || inner.proto == .udp
            else { return nil }
            self.init(bytes, ip: inner, quoted: true)
        default:
            return nil
        }
    }

    /// The TCP or UDP header of the datagram a fragment completed (`reassembled`, see
    /// `FragmentReassembler`): the addresses from the packet's IP header, the rest from the datagram.
    public init?(reassembled: ReassembledDatagram, of bytes: Bytes, linkType: LinkType) {
        guard let start = ObservedSegment.networkStart(bytes, linkType: linkType),
              let ip = IPPayload(bytes, at: start, reassembled: reassembled.payload)
        else { return nil }
        switch ip.proto {
        case .tcp, .udp: self.init(reassembled.payload, ip: ip, quoted: false)
        default: return nil
        }
    }

    private init?(_ b: Bytes, ip: IPPayload, quoted: Bool) {
        let start = ip.start
        // What the dissector reads before it looks the conversation up: for TCP up to the
        // window (16 bytes), for UDP the whole 8-byte header.
        let captured = min(b.count, ip.end) - start
        kind = ip.proto == .tcp ? .tcp : .udp
        guard captured >= (kind == .tcp ? 16 : 8) else { return nil }
        source = TCPEndpoint(ip.source, b.be16(start))
        destination = TCPEndpoint(ip.destination, b.be16(start + 2))
        headerDestination = ip.headerDestination
        self.quoted = quoted
        guard kind == .tcp else {
            // A length field shorter than the header: Wireshark calls the datagram malformed and
            // files it under no conversation.
            let length = Int(b.be16(start + 4))
            guard quoted || length >= 8 else { return nil }
            segmentLength = min(length, ip.end - start) - 8
            payloadStart = start + 8
            return
        }
        seq = b.be32(start + 4)
        ack = b.be32(start + 8)
        hasSequence = true
        hasAcknowledgment = true
        headerLength = Int(b[start + 12] >> 4) * 4
        flags = TCPFlags(rawValue: b.be16(start + 12))
        window = b.be16(start + 14)
        payloadStart = start + headerLength
        let length = ip.end - start
        if !quoted && length >= headerLength {
            segmentLength = length - headerLength
        }
        wholeHeader = captured >= TCPHeader.minimumLength && captured >= headerLength
        if headerLength > TCPHeader.minimumLength && captured >= TCPHeader.minimumLength {
            let endedEarly = readOptions(b, from: start + TCPHeader.minimumLength, to: min(b.count, start + headerLength, ip.end))
            if endedEarly { wholeHeader = true }
        }
    }

    /// The options later packets depend on; each loop step moves past at least one byte. True
    /// when an End of Option List ends them before `end`.
    private mutating func readOptions(_ b: Bytes, from start: Int, to end: Int) -> Bool {
        var i = start
        while i < end {
            let kind = b[i]
            if kind == 0 { return true }
            if kind == 1 {
                i += 1
                continue
            }
            guard i + 1 < end else { return false }
            let length = Int(b[i + 1])
            guard length >= 2, i + length <= end else { return false }
            if kind == 3 && length == 3 {
                windowScale = min(b[i + 2], 14)
            } else if kind == 5 && (length - 2) % 8 == 0 {
                var at = i + 2
                while at + 8 <= i + length {
                    sackBytes &+= b.be32(at + 4) &- b.be32(at)
                    sackBlocks += 1
                    at += 8
                }
            }
            i += length
        }
        return false
    }
}

/// Where an IP packet's payload is, as Wireshark's IP dissectors hand it on: the addresses,
/// the protocol after IPv6's extension headers, and the payload's bounds by the header's length
/// (the bytes captured may end sooner). Nil for fragments (but a first fragment Wireshark does
/// not reassemble) and for headers that do not hold; with `reassembled`, the payload of the
/// datagram a fragment completed, whose bounds are in those bytes.
struct IPPayload {
    var source: IPAddress
    var destination: IPAddress
    var headerDestination: IPAddress
    var proto: IPProtocol
    var start: Int
    var end: Int

    init?(_ bytes: Bytes, at start: Int, quoted: Bool = false, reassembled: Bytes? = nil) {
        guard start < bytes.count else { return nil }
        switch bytes[start] >> 4 {
        case 4:
            guard let h = IPv4Header(bytes, at: start), h.headerLength >= IPv4Header.minimumLength else { return nil }
            let isFragment = h.fragmentOffset != 0 || h.moreFragments
            if reassembled == nil {
                guard !isFragment || (h.fragmentOffset == 0 && (quoted || !h.isTakenForReassembly(end: bytes.count))) else { return nil }
            } else {
                guard isFragment else { return nil }
            }
            // A quoted header's total length describes the original, not what was quoted.
            guard quoted || h.totalLength >= h.headerLength else { return nil }
            source = .v4(h.source)
            destination = .v4(h.finalDestination)
            headerDestination = .v4(h.destination)
            proto = h.proto
            self.start = start + h.headerLength
            end = quoted ? bytes.count : start + h.totalLength
        case 6:
            guard let h = IPv6Header(bytes, at: start) else { return nil }
            end = quoted ? bytes.count : start + IPv6Header.length + h.payloadLength
            guard quoted || h.payloadLength > 0 else { return nil }
            var final = h.destination
            guard case var (next, at)? = Self.skipExtensions(bytes, from: start + IPv6Header.length, next: h.nextHeader, final: &final),
                  at <= end
            else { return nil }
            if next == .ipv6Fragment {
                // An atomic fragment (no offset, no More Fragments) is whole; a fragment that
                // completed a datagram goes on in it, after the fragment header.
                guard at + IPv6Extension.fragmentLength <= min(end, bytes.count) else { return nil }
                let isFragment = IPv6Extension.isFragment(offsetAndFlags: bytes.be16(at + 2))
                guard isFragment == (reassembled != nil) else { return nil }
                let after = IPProtocol(bytes[at])
                if let reassembled {
                    guard case let (n, a)? = Self.skipExtensions(reassembled, from: 0, next: after, final: &final) else { return nil }
                    (next, at) = (n, a)
                    end = reassembled.count
                } else {
                    guard case let (n, a)? = Self.skipExtensions(bytes, from: at + IPv6Extension.fragmentLength, next: after, final: &final),
                          a <= end
                    else { return nil }
                    (next, at) = (n, a)
                }
            } else if reassembled != nil {
                return nil
            }
            source = .v6(h.source)
            destination = .v6(final)
            headerDestination = .v6(h.destination)
            proto = next
            self.start = at
        default:
            return nil
        }
        if let reassembled, bytes[start] >> 4 == 4 {
            self.start = 0
            end = reassembled.count
        }
    }

    /// Past IPv6's hop-by-hop, routing and destination options headers from `at`, where `next`
    /// says what comes: what follows them and where. A routing header with segments left names
    /// the final destination. Nil when a header is cut short.
    private static func skipExtensions(_ bytes: Bytes, from at: Int, next: IPProtocol,
                                       final: inout IPv6Address) -> (IPProtocol, Int)? {
        var next = next, at = at
        while next == .hopByHop || next == .ipv6Route || next == .ipv6DestinationOptions {
            guard at + 2 <= bytes.count else { return nil }
            let length = (Int(bytes[at + 1]) + 1) * 8
            if next == .ipv6Route, at + length <= bytes.count,
               let destination = IPv6Extension.finalDestination(bytes, at: at, length: length) {
                final = destination
            }
            next = IPProtocol(bytes[at])
            at += length
        }
        return (next, at)
    }
}
