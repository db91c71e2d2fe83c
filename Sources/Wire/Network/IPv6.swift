/// A read-only view of the fixed IPv6 header (RFC 8200 3). `init` checks that all 40 bytes are there.
public struct IPv6Header {
    public let bytes: Bytes
    public let start: Int
    public static let length = 40

    enum Offset {
        static let versionClassFlow = 0, payloadLength = 4, nextHeader = 6, hopLimit = 7, source = 8, destination = 24
    }

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        guard start >= 0, start + Self.length <= (end ?? bytes.count), bytes[start] >> 4 == 6 else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var trafficClass: UInt8 { UInt8(truncatingIfNeeded: bytes.be32(start) >> 20) }
    public var flowLabel: UInt32 { bytes.be32(start) & 0xfffff }
    public var payloadLength: Int { Int(bytes.be16(start + Offset.payloadLength)) }
    public var nextHeader: IPProtocol { IPProtocol(bytes[start + Offset.nextHeader]) }
    public var hopLimit: UInt8 { bytes[start + Offset.hopLimit] }
    public var source: IPv6Address { IPv6Address(bytes, at: start + Offset.source) }
    public var destination: IPv6Address { IPv6Address(bytes, at: start + Offset.destination) }
}

/// The fixed IPv6 header as values, to build packets from.
public struct IPv6Repr: Sendable, Equatable {
    public var source: IPv6Address
    public var destination: IPv6Address
    public var nextHeader: IPProtocol
    public var hopLimit: UInt8 = 64
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0

    public init(source: IPv6Address, destination: IPv6Address, nextHeader: IPProtocol, hopLimit: UInt8 = 64) {
        self.source = source
        self.destination = destination
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
    }

    public init(parsing h: IPv6Header) {
        self.init(source: h.source, destination: h.destination, nextHeader: h.nextHeader, hopLimit: h.hopLimit)
        trafficClass = h.trafficClass
        flowLabel = h.flowLabel
    }

    public func emit(into b: inout Bytes, at start: Int, payloadLength: Int) {
        b.setBE32(start, 6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xfffff))
        b.setBE16(start + IPv6Header.Offset.payloadLength, UInt16(truncatingIfNeeded: payloadLength))
        b[start + IPv6Header.Offset.nextHeader] = nextHeader.rawValue
        b[start + IPv6Header.Offset.hopLimit] = hopLimit
        b.setBE32(start + 8, UInt32(truncatingIfNeeded: source.high >> 32))
        b.setBE32(start + 12, UInt32(truncatingIfNeeded: source.high))
        b.setBE32(start + 16, UInt32(truncatingIfNeeded: source.low >> 32))
        b.setBE32(start + 20, UInt32(truncatingIfNeeded: source.low))
        b.setBE32(start + 24, UInt32(truncatingIfNeeded: destination.high >> 32))
        b.setBE32(start + 28, UInt32(truncatingIfNeeded: destination.high))
        b.setBE32(start + 32, UInt32(truncatingIfNeeded: destination.low >> 32))
        b.setBE32(start + 36, UInt32(truncatingIfNeeded: destination.low))
    }
}

/// IPv6 extension headers tunscope walks (RFC 8200 4): hop-by-hop, routing, fragment, destination.
public enum IPv6Extension {
    public static let fragmentLength = 8

    static func isExtension(_ p: IPProtocol) -> Bool {
        p == .hopByHop || p == .ipv6Route || p == .ipv6Fragment || p == .ipv6DestinationOptions
    }

    /// Bytes in the extension header at `i` (its length field counts 8-byte units beyond the first).
    static func length(_ p: IPProtocol, _ b: Bytes, at i: Int) -> Int {
        p == .ipv6Fragment ? fragmentLength : (Int(b[i + 1]) + 1) * 8
    }

    /// The packet's final destination named by a routing header with segments left (RFC 8200
    /// 8.1): the last address of type 0, the first segment of a segment routing header (type 4).
    public static func finalDestination(_ b: Bytes, at i: Int, length: Int) -> IPv6Address? {
        let type = b[i + 2], segmentsLeft = b[i + 3]
        guard segmentsLeft > 0, length >= 24 else { return nil }
        switch type {
        case 0: return IPv6Address(b, at: i + 8 + ((length - 8) / 16 - 1) * 16)
        case 4: return IPv6Address(b, at: i + 8)
        default: return nil
        }
    }

    /// The Jumbo Payload option's length (RFC 2675: option 0xc2, 4 bytes, at least 65,536) in a
    /// hop-by-hop header at `i`, when `first` says one is there and all of it was captured.
    static func jumboPayloadLength(_ b: Bytes, at i: Int, end: Int, after first: IPProtocol) -> Int? {
        guard first == .hopByHop, i + 2 <= end else { return nil }
        let headerEnd = i + length(.hopByHop, b, at: i)
        guard headerEnd <= end else { return nil }
        var o = i + 2
        while o < headerEnd {
            let type = b[o]
            if type == 0 { o += 1; continue }  // Pad1
            guard o + 2 <= headerEnd else { return nil }
            let optionLength = Int(b[o + 1])
            if type == 0xc2 {
                guard optionLength == 4, o + 6 <= headerEnd else { return nil }
                let jumbo = Int(b.be32(o + 2))
                return jumbo >= 65536 ? jumbo : nil
            }
            o += 2 + optionLength
        }
        return nil
    }

    static func name(_ p: IPProtocol) -> StaticString {
        switch p {
        case .hopByHop: return "Hop-by-Hop Options"
        case .ipv6Route: return "Routing Header"
        case .ipv6Fragment: return "Fragment Header"
        default: return "Destination Options"
        }
    }
}

extension Dissector {
    static func dissectIPv6(_ b: Bytes, at start: Int, end: Int, quoted: Bool, into d: inout Dissection) {
        guard let h = IPv6Header(b, at: start, end: end) else {
            d.fail("IPv6 header needs 40 bytes, \(end - start) left", at: start..<end)
            return
        }
        let O = IPv6Header.Offset.self
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        var fields = FieldList()
        fields.add(Field("ipv6.version", "Version", .uint(6), mask: 0xf000_0000, range: r(0, 4),
                         explain: "IP version: 6. Routers use it to tell IPv6 from IPv4."))
        // Wireshark also gives IPv6's version nibble the name ip.version, hidden from the tree.
        fields.add(Field("ip.version", "", .uint(6), mask: 0xf000_0000, range: r(0, 4), explain: "IP version: 6."))
        fields.add(Field("ipv6.tclass", "Traffic Class", .uint(UInt64(h.trafficClass)), base: .hex(digits: 2), mask: 0x0ff0_0000,
                         range: r(0, 4), explain: "DSCP and ECN, as in IPv4's type-of-service byte."))
        fields.add(Field("ipv6.flow", "Flow Label", .uint(UInt64(h.flowLabel)), base: .hex(digits: 5), mask: 0x000f_ffff,
                         range: r(0, 4), explain: "Marks packets of one flow so routers can keep them on one path."))
        fields.add(Field("ipv6.plen", "Payload Length", .uint(UInt64(h.payloadLength)), range: r(O.payloadLength, 2),
                         explain: "Bytes after this 40-byte header, extension headers included."))
        fields.add(Field("ipv6.nxt", "Next Header", .uint(UInt64(h.nextHeader.rawValue)), note: protocolNote(h.nextHeader),
                         range: r(O.nextHeader, 1), explain: "What follows: an extension header, or the payload's protocol (6 TCP, 17 UDP, 58 ICMPv6)."))
        fields.add(Field("ipv6.hlim", "Hop Limit", .uint(UInt64(h.hopLimit)), range: r(O.hopLimit, 1),
                         explain: "Hops left: each router subtracts one and drops the packet at zero."))
        fields.add(Field("ipv6.src", "Source Address", .ipv6(h.source), range: r(O.source, 16), explain: "The sender."))
        fields.add(Field("ipv6.dst", "Destination Address", .ipv6(h.destination), range: r(O.destination, 16),
                         explain: "Where the packet is going; routers choose the next hop by it."))
        let declaredEnd = start + IPv6Header.length + h.payloadLength
        // Where the headers are read: the frame, then (once a fragment header completed a
        // datagram) the datagram after it, in the joined bytes, whose own headers follow.
        var b = b
        var payloadEnd = min(declaredEnd, end)
        var next = h.nextHeader
        var i = start + IPv6Header.length
        var headersEnd: Int?  // in the frame, when the rest was read from a reassembled datagram
        var fragment = false
        var problem: (String, Range<Int>)?
        // The checksums above IPv6 cover the final destination, which a routing header may name.
        var destination = h.destination
        // Extension headers, each at least 8 bytes: a chain can be no longer than the packet allows.
        while IPv6Extension.isExtension(next) {
            guard i + 2 <= payloadEnd, i + IPv6Extension.length(next, b, at: i) <= payloadEnd else {
                problem = ("IPv6 \(IPv6Extension.name(next)) runs past the end of the packet", i..<payloadEnd)
                break
            }
            let length = IPv6Extension.length(next, b, at: i)
            let names: (header: StaticString, next: StaticString) = switch next {
            case .hopByHop: ("ipv6.hopopts", "ipv6.hopopts.nxt")
            case .ipv6Route: ("ipv6.routing", "ipv6.routing.nxt")
            case .ipv6Fragment: ("ipv6.fraghdr", "ipv6.fraghdr.nxt")
            default: ("ipv6.dstopts", "ipv6.dstopts.nxt")
            }
            if next == .ipv6Route, let final = IPv6Extension.finalDestination(b, at: i, length: length) {
                destination = final
            }
            fields.add(Field(names.header, .literal(IPv6Extension.name(next)), .none, note: d.describes ? fields.text("(\(length) bytes)") : nil, range: i..<(i + length),
                             explain: "An IPv6 extension header: options or routing between the fixed header and the payload.")) { [b] children in
                children.add(Field(names.next, "Next Header", .uint(UInt64(b[i])), note: protocolNote(IPProtocol(b[i])),
                                   range: i..<(i + 1), explain: "What follows this extension header."))
                if next == .ipv6Fragment {
                    let offsetAndFlags = b.be16(i + 2)
                    children.add(Field("ipv6.fraghdr.offset", "Offset", .uint(UInt64(offsetAndFlags >> 3)), mask: 0xfff8, range: (i + 2)..<(i + 4),
                                       explain: "Where this fragment's data belongs, in units of 8 bytes."))
                    children.add(Field("ipv6.fraghdr.more", "More Fragments", .bool(offsetAndFlags & 1 != 0), mask: 0x0001, range: (i + 2)..<(i + 4),
                                       explain: "More fragments of this packet follow."))
                    children.add(Field("ipv6.fraghdr.ident", "Identification", .uint(UInt64(b.be32(i + 4))), base: .hex(digits: 8),
                                       range: (i + 4)..<(i + 8), explain: "Shared by the fragments of one packet."))
                }
            }
            let header = next
            next = IPProtocol(b[i])
            i += length
            // An atomic fragment (no offset, no More Fragments) is whole: its payload is decoded.
            guard header == .ipv6Fragment, IPv6Extension.isFragment(offsetAndFlags: b.be16(i - length + 2)) else { continue }
            // A fragment that completed its datagram: the fragments are listed, and the headers
            // after this one are read from the datagram. Any other fragment ends here, as data.
            guard !quoted, headersEnd == nil, case let (datagram, joined)? = d.takeReassembly(frame: b) else {
                fragment = true
                break
            }
            addFragmentTree(datagram, ipv6: true, data: b.count..<joined.count, to: &fields, describing: d.describes)
            headersEnd = i
            i = b.count
            b = joined
            payloadEnd = joined.count
        }
        d.add("ipv6", title: "Internet Protocol Version 6, Src: \(h.source), Dst: \(h.destination)",
                              range: start..<(headersEnd ?? i), payload: i..<max(i, payloadEnd), fields: fields)
        if declaredEnd > end && !quoted {
            d.fail("IPv6 payload length says \(h.payloadLength) bytes, \(end - start - IPv6Header.length) captured", at: r(O.payloadLength, 2))
        }
        if let (message, range) = problem {
            d.fail(message, at: range)
            return
        }
        if fragment {
            if i < payloadEnd {
                d.addData(i..<payloadEnd, title: "Fragment data",
                          explain: "A piece of a fragmented packet; the receiver reassembles the pieces.")
            }
            return
        }
        let ip = IPContext(pseudo: .v6(source: h.source, destination: destination), length: (headersEnd == nil ? declaredEnd : payloadEnd) - i,
                           quoted: quoted)
        dissectIPPayload(next, b, at: i, end: payloadEnd, ip: ip, into: &d)
    }
}

extension Summary {
    /// tcpdump's `ip6_print` at default verbosity, with the extension headers as it prints them.
    /// `wireLength` is the packet's length on the wire from `start` (more than `end - start` when
    /// the capture kept only a snap length).
    static func writeIPv6(_ b: Bytes, at start: Int, end: Int, wireLength: Int, into w: inout TextWriter) {
        guard let h = IPv6Header(b, at: start, end: end) else {
            w.write(" [|ip6]")
            return
        }
        w.write("IP6 ")
        let length = wireLength
        let declared = h.payloadLength + IPv6Header.length
        if h.payloadLength != 0 && length < declared {
            w.write("truncated-ip6 - ")
            w.write(decimal: declared - length)
            w.write(" bytes missing!")
        }
        // Payload Length 0 means a jumbogram (RFC 2675) only with a Jumbo Payload option; tcpdump
        // walks the extension headers over what was captured, then gives the payload 0 bytes.
        let jumbo = h.payloadLength == 0 ? IPv6Extension.jumboPayloadLength(b, at: start + IPv6Header.length, end: end, after: h.nextHeader) : nil
        var packetEnd = start + (h.payloadLength != 0 ? declared : length)
        var dataEnd = min(end, packetEnd)
        var next = h.nextHeader
        var i = start + IPv6Header.length
        var sawExtension = false
        var fragmented = false
        if next != .tcp && next != .udp {
            w.write(ipv6: h.source)
            w.write(" > ")
            w.write(ipv6: h.destination)
            w.write(": ")
        }
        while IPv6Extension.isExtension(next) {
            guard i + 2 <= dataEnd, i + IPv6Extension.length(next, b, at: i) <= dataEnd else {
                // Cut short: tcpdump prints what each header's printer could read, and names
                // that printer in the truncation mark.
                switch next {
                case .hopByHop:
                    w.write(" [|hbhopt]")
                    // With the header's first two bytes there, tcpdump goes on to look for the
                    // jumbogram's option it needed, and says it is missing.
                    if h.payloadLength == 0 && jumbo == nil && i + 2 <= dataEnd {
                        w.write("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")
                    }
                case .ipv6DestinationOptions: w.write(" [|dstopt]")
                case .ipv6Fragment:
                    if i + 4 <= dataEnd {
                        writeFragmentHeader(b, at: i, packetEnd: start + declared, into: &w)
                    } else {
                        w.write(" [|frag6]")
                    }
                default:
                    if i >= dataEnd {
                        w.write(" [|ip6]")
                        return
                    }
                    if i + 4 <= dataEnd { writeRoutingHeader(b, at: i, end: dataEnd, into: &w) }
                    w.write(" [|rt6]")
                }
                return
            }
            let length = IPv6Extension.length(next, b, at: i)
            switch next {
            case .hopByHop:
                w.write("HBH ")
                if h.payloadLength == 0 && jumbo == nil {
                    w.write("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)")
                    return
                }
            case .ipv6DestinationOptions: w.write("DSTOPT ")
            case .ipv6Fragment:
                // A later fragment, or nothing captured after the header: tcpdump stops here.
                if writeFragmentHeader(b, at: i, packetEnd: start + declared, into: &w) != 0 || i + length >= dataEnd { return }
                fragmented = true
            default:
                writeRoutingHeader(b, at: i, end: i + length, into: &w)
                w.write(") ")
            }
            sawExtension = true
            next = IPProtocol(b[i])
            i += length
        }
        if h.payloadLength == 0 {
            if let jumbo {
                // As tcpdump: the jumbo length is checked against the wire only now.
                packetEnd = start + IPv6Header.length + jumbo
                if length < packetEnd - start {
                    w.write("truncated-ip6 - ")
                    w.write(decimal: packetEnd - start - length)
                    w.write(" bytes missing!")
                }
            } else if sawExtension {
                // Extension headers in a packet whose payload is empty.
                w.write(" [|ip6]")
                return
            } else {
                packetEnd = i
            }
            dataEnd = min(end, packetEnd)
        }
        var ip = IPContext(pseudo: .v6(source: h.source, destination: h.destination), length: packetEnd - i, fragment: fragmented)
        ip.portsOnly = sawExtension
        writeIPPayload(next, b, at: i, end: dataEnd, ip: ip, into: &w)
    }

    /// "frag (offset|length)" as frag6_print prints it (and the space after it for a first
    /// fragment); returns the fragment offset.
    @discardableResult
    private static func writeFragmentHeader(_ b: Bytes, at i: Int, packetEnd: Int, into w: inout TextWriter) -> Int {
        let offset = Int(b.be16(i + 2) & 0xfff8)
        w.write("frag (")
        w.write(decimal: offset)
        w.write(byte: 124)
        // tcpdump's size_t arithmetic: with Payload Length 0 the difference wraps around.
        w.write(unsigned: UInt64(bitPattern: Int64(packetEnd - i - IPv6Extension.fragmentLength)))
        w.write(")")
        if offset == 0 { w.write(byte: 32) }
        return offset
    }

    /// A routing header as rt6_print prints it (type 0's addresses: RFC 2460, deprecated by RFC
    /// 5095), up to `end`, without the closing parenthesis.
    private static func writeRoutingHeader(_ b: Bytes, at i: Int, end: Int, into w: inout TextWriter) {
        let type = b[i + 2]
        w.write("RT6 (len=")
        w.write(decimal: b[i + 1])
        w.write(", type=")
        w.write(decimal: type)
        if type == 0 { w.write(" [Deprecated]") }
        w.write(", segleft=")
        w.write(decimal: b[i + 3])
        guard type == 0 else { return }
        var a = i + 8
        var n = 0
        while a + 16 <= min(end, i + (Int(b[i + 1]) + 1) * 8) {
            w.write(", [")
            w.write(decimal: n)
            w.write("]")
            w.write(ipv6: IPv6Address(b, at: a))
            a += 16
            n += 1
        }
    }
}
