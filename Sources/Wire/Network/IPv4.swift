/// A read-only view of an IPv4 header (RFC 791). `init` checks that the fixed header is there;
/// after that every getter is in bounds.
public struct IPv4Header {
    public let bytes: Bytes
    public let start: Int

    /// Field offsets from the start of the header.
    enum Offset {
        static let versionAndLength = 0, tos = 1, totalLength = 2, identification = 4, flagsAndFragment = 6
        static let ttl = 8, proto = 9, checksum = 10, source = 12, destination = 16
    }
    public static let minimumLength = 20
    public static let flagReserved: UInt16 = 0x8000, flagDontFragment: UInt16 = 0x4000, flagMoreFragments: UInt16 = 0x2000

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        guard start >= 0, start + Self.minimumLength <= (end ?? bytes.count), bytes[start] >> 4 == 4 else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var version: UInt8 { bytes[start] >> 4 }
    /// Header length in bytes (the IHL field times four).
    public var headerLength: Int { Int(bytes[start] & 0x0f) * 4 }
    public var tos: UInt8 { bytes[start + Offset.tos] }
    public var totalLength: Int { Int(bytes.be16(start + Offset.totalLength)) }
    public var identification: UInt16 { bytes.be16(start + Offset.identification) }
    public var flagsAndFragment: UInt16 { bytes.be16(start + Offset.flagsAndFragment) }
    public var dontFragment: Bool { flagsAndFragment & Self.flagDontFragment != 0 }
    public var moreFragments: Bool { flagsAndFragment & Self.flagMoreFragments != 0 }
    /// Fragment offset in bytes.
    public var fragmentOffset: Int { Int(flagsAndFragment & 0x1fff) * 8 }
    public var ttl: UInt8 { bytes[start + Offset.ttl] }
    public var proto: IPProtocol { IPProtocol(bytes[start + Offset.proto]) }
    public var checksum: UInt16 { bytes.be16(start + Offset.checksum) }

    /// Where the packet is finally going: the last address of a loose or strict source route
    /// option (RFC 791 3.1), else the destination. TCP's and UDP's checksums cover that address
    /// (RFC 1122 4.2.2.7), as tcpdump and Wireshark compute them.
    public var finalDestination: IPv4Address { sourceRouteDestination ?? destination }

    /// The last address of a loose or strict source route option; nil without one.
    public var sourceRouteDestination: IPv4Address? {
        let end = min(bytes.count, start + headerLength)
        var i = start + Self.minimumLength
        while i < end {
            let kind = bytes[i]
            if kind == 0 { break }
            if kind == 1 {
                i += 1
                continue
            }
            guard i + 1 < end else { break }
            let length = Int(bytes[i + 1])
            guard length >= 2, i + length <= end else { break }
            if (kind == 131 || kind == 137) && length >= 7 { return IPv4Address(bytes.be32(i + length - 4)) }
            i += length
        }
        return nil
    }
    public var source: IPv4Address { IPv4Address(bytes.be32(start + Offset.source)) }
    public var destination: IPv4Address { IPv4Address(bytes.be32(start + Offset.destination)) }
}

/// An IPv4 header as values, to build packets from (smoltcp's `Ipv4Repr`).
public struct IPv4Repr: Sendable, Equatable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var proto: IPProtocol
    public var ttl: UInt8 = 64
    public var tos: UInt8 = 0
    public var identification: UInt16 = 0
    public var dontFragment = false
    public var moreFragments = false
    /// Fragment offset in bytes (a multiple of 8).
    public var fragmentOffset = 0
    /// Option bytes, padded by `emit` to a multiple of four with EOL.
    public var options: Bytes = []

    public init(source: IPv4Address, destination: IPv4Address, proto: IPProtocol, ttl: UInt8 = 64) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.ttl = ttl
    }

    public var headerLength: Int { IPv4Header.minimumLength + (options.count + 3) / 4 * 4 }

    /// Reads the header's values back (options included); nil if it is not a whole IPv4 header.
    public init?(parsing h: IPv4Header) {
        guard h.headerLength >= IPv4Header.minimumLength, h.start + h.headerLength <= h.bytes.count else { return nil }
        self.init(source: h.source, destination: h.destination, proto: h.proto, ttl: h.ttl)
        tos = h.tos
        identification = h.identification
        dontFragment = h.dontFragment
        moreFragments = h.moreFragments
        fragmentOffset = h.fragmentOffset
        options = Array(h.bytes[(h.start + 20)..<(h.start + h.headerLength)])
    }

    /// Writes the header at `start` for a payload of `payloadLength` bytes, with the header
    /// checksum right or, with `.value`, exactly as given.
    public func emit(into b: inout Bytes, at start: Int, payloadLength: Int, checksum: ChecksumMode = .correct) {
        let hl = headerLength
        b[start] = 0x40 | UInt8(hl / 4)
        b[start + IPv4Header.Offset.tos] = tos
        b.setBE16(start + IPv4Header.Offset.totalLength, UInt16(truncatingIfNeeded: hl + payloadLength))
        b.setBE16(start + IPv4Header.Offset.identification, identification)
        var ff = UInt16(truncatingIfNeeded: fragmentOffset / 8) & 0x1fff
        if dontFragment { ff |= IPv4Header.flagDontFragment }
        if moreFragments { ff |= IPv4Header.flagMoreFragments }
        b.setBE16(start + IPv4Header.Offset.flagsAndFragment, ff)
        b[start + IPv4Header.Offset.ttl] = ttl
        b[start + IPv4Header.Offset.proto] = proto.rawValue
        b.setBE16(start + IPv4Header.Offset.checksum, 0)
        b.setBE32(start + IPv4Header.Offset.source, source.value)
        b.setBE32(start + IPv4Header.Offset.destination, destination.value)
        for i in 0..<(hl - 20) { b[start + 20 + i] = i < options.count ? options[i] : 0 }
        switch checksum {
        case .correct:
            var c = InternetChecksum()
            c.add(b, start..<(start + hl))
            b.setBE16(start + IPv4Header.Offset.checksum, c.value)
        case let .value(v):
            b.setBE16(start + IPv4Header.Offset.checksum, v)
        }
    }

    public var pseudoHeader: PseudoHeader { .v4(source: source, destination: destination) }
}

extension Dissector {
    static func dissectIPv4(_ b: Bytes, at start: Int, end: Int, quoted: Bool, into d: inout Dissection) {
        guard let h = IPv4Header(b, at: start, end: end) else {
            d.fail("IPv4 header needs 20 bytes, \(end - start) left", at: start..<end)
            return
        }
        let hl = h.headerLength
        let O = IPv4Header.Offset.self
        let at = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        var fields = FieldList(capacity: 24)
        fields.add(Field("ip.version", "Version", .uint(UInt64(h.version)), mask: 0xf0, range: at(0, 1),
                         explain: "IP version: 4 for IPv4. Routers use it to tell IPv4 from IPv6."))
        fields.add(Field("ip.hdr_len", "Header Length", .uint(UInt64(hl)), note: d.describes ? fields.text("bytes (\(hl / 4))") : nil, mask: 0x0f, range: at(0, 1),
                         explain: "Header size in 32-bit words (shown in bytes); more than 20 means options follow."))
        fields.add(Field("ip.dsfield", "Differentiated Services Field", .uint(UInt64(h.tos)), base: .hex(digits: 2),
                         range: at(O.tos, 1),
                         explain: "Traffic class: DSCP asks for a forwarding treatment, ECN carries congestion marks.")) {
            $0.add(Field("ip.dsfield.dscp", "Differentiated Services Codepoint", .uint(UInt64(h.tos >> 2)), mask: 0xfc,
                         range: at(O.tos, 1), explain: "Per-hop behaviour requested (0: best effort; 46: expedited)."))
            $0.add(Field("ip.dsfield.ecn", "Explicit Congestion Notification", .uint(UInt64(h.tos & 3)), mask: 0x03,
                         range: at(O.tos, 1), explain: "ECN codepoint (RFC 3168): 0 not ECN-capable, 3 congestion experienced."))
        }
        fields.add(Field("ip.len", "Total Length", .uint(UInt64(h.totalLength)), range: at(O.totalLength, 2),
                         explain: "Bytes in the whole datagram, header included."))
        fields.add(Field("ip.id", "Identification", .uint(UInt64(h.identification)), base: .hex(digits: 4),
                         note: d.describes ? fields.text("(\(h.identification))") : nil, range: at(O.identification, 2),
                         explain: "Set by the sender so fragments of one datagram can be put back together."))
        fields.add(Field("ip.flags", "Flags", .uint(UInt64(h.flagsAndFragment >> 13)), base: .hex(digits: 1),
                         mask: 0xe0, range: at(O.flagsAndFragment, 1),
                         explain: "Fragmentation control bits.")) {
            $0.add(Field("ip.flags.rb", "Reserved bit", .bool(h.flagsAndFragment & IPv4Header.flagReserved != 0),
                         mask: 0x80, range: at(O.flagsAndFragment, 1), explain: "Must be zero (RFC 791)."))
            $0.add(Field("ip.flags.df", "Don't fragment", .bool(h.dontFragment), mask: 0x40,
                         range: at(O.flagsAndFragment, 1),
                         explain: "Routers must drop rather than fragment; path MTU discovery sets it."))
            $0.add(Field("ip.flags.mf", "More fragments", .bool(h.moreFragments), mask: 0x20,
                         range: at(O.flagsAndFragment, 1), explain: "More fragments of this datagram follow this one."))
        }
        fields.add(Field("ip.frag_offset", "Fragment Offset", .uint(UInt64(h.fragmentOffset / 8)), note: d.describes ? fields.text("(\(h.fragmentOffset) bytes)") : nil,
                         mask: 0x1fff,
                         range: at(O.flagsAndFragment, 2),
                         explain: "Where this fragment's data belongs in the datagram, in units of 8 bytes."))
        fields.add(Field("ip.ttl", "Time to Live", .uint(UInt64(h.ttl)), range: at(O.ttl, 1),
                         explain: "Hops left: each router subtracts one and drops the packet at zero (traceroute uses this)."))
        fields.add(Field("ip.proto", "Protocol", .uint(UInt64(h.proto.rawValue)), note: protocolNote(h.proto),
                         range: at(O.proto, 1), explain: "Which protocol the payload is: 6 TCP, 17 UDP, 1 ICMP."))
        var checksumField = Field("ip.checksum", "Header Checksum", .uint(UInt64(h.checksum)), base: .hex(digits: 4),
                                  range: at(O.checksum, 2),
                                  explain: "Ones' complement sum over the header only; a router drops a header that fails it.")
        let headerComplete = hl >= IPv4Header.minimumLength && start + hl <= end
        if headerComplete {
            var c = InternetChecksum()
            c.add(b, start..<(start + hl))
            let ok = c.value == 0
            let calculated = ok ? h.checksum : InternetChecksum.expected(received: h.checksum, verifyResult: c.value)
            checksumField.note = ok ? "[correct]" : fields.text("[incorrect, should be 0x\(hex(calculated, 4))]")
            fields.add(checksumField)
            fields.add(Field("ip.checksum.status", "Header checksum status", .uint(ok ? 1 : 0),
                             note: ok ? "(Good)" : "(Bad)", range: at(O.checksum, 2),
                             explain: "Whether the header checksum is right: 1 good, 0 bad."))
            fields.add(Field("ip.checksum_calculated", "Calculated Checksum", .uint(UInt64(calculated)),
                             base: .hex(digits: 4), range: at(O.checksum, 2),
                             explain: "The checksum this header should carry."))
        } else {
            fields.add(checksumField)
        }
        fields.add(Field("ip.src", "Source Address", .ipv4(h.source), range: at(O.source, 4),
                         explain: "The sender. Behind NAT this is rewritten to the router's outside address."))
        // With a source route, the header names the next router and the route's last address is
        // the destination: Wireshark's ip.cur_rt, and ip.dst among the options.
        let routedTo = hl > IPv4Header.minimumLength ? h.sourceRouteDestination : nil
        if routedTo == nil {
            fields.add(Field("ip.dst", "Destination Address", .ipv4(h.destination), range: at(O.destination, 4),
                             explain: "Where the datagram is going; routers choose the next hop by it."))
        } else {
            fields.add(Field("ip.cur_rt", "Current Route", .ipv4(h.destination), range: at(O.destination, 4),
                             explain: "The next router on the source route; the destination is the route's last address."))
        }

        func title() -> String {
            // Written, not interpolated: a tree makes one for every packet.
            var w = TextWriter(capacity: 96)
            w.write("Internet Protocol Version 4, Src: ")
            w.write(ipv4: h.source.value)
            w.write(", Dst: ")
            w.write(ipv4: (routedTo ?? h.destination).value)
            if routedTo != nil {
                w.write(", Via: ")
                w.write(ipv4: h.destination.value)
            }
            return w.string
        }
        guard hl >= IPv4Header.minimumLength else {
            d.add("ip", title: title(), range: start..<(start + 20), fields: fields)
            d.fail("IPv4 header length \(hl) is less than 20", at: at(0, 1))
            return
        }
        guard start + hl <= end else {
            d.add("ip", title: title(), range: start..<end, fields: fields)
            d.fail("IPv4 header says \(hl) bytes, \(end - start) left", at: start..<end)
            return
        }
        if hl > IPv4Header.minimumLength {
            addOptions(b, start + 20, start + hl, to: &fields)
        }
        // The datagram this fragment completed, if it did: its fragments are listed here and
        // its layers follow, dissected from the joined bytes.
        let isFragment = h.fragmentOffset != 0 || h.moreFragments
        let reassembly = isFragment && !quoted ? d.takeReassembly(frame: b) : nil
        if case let (datagram, joined)? = reassembly {
            addFragmentTree(datagram, ipv6: false, data: b.count..<joined.count, to: &fields, describing: d.describes)
        }
        // The payload ends where the total length says, unless fewer bytes were captured.
        let declaredEnd = start + h.totalLength
        let payloadEnd = min(declaredEnd, end)
        d.add("ip", title: title(), range: start..<(start + hl),
                              payload: (start + hl)..<max(start + hl, payloadEnd), fields: fields)
        if h.totalLength < hl {
            d.fail("IPv4 total length \(h.totalLength) is less than its header length \(hl)", at: at(O.totalLength, 2))
            return
        }
        if declaredEnd > end && !quoted {
            d.fail("IPv4 total length says \(h.totalLength) bytes, \(end - start) captured", at: at(O.totalLength, 2))
        }
        let pseudo = PseudoHeader.v4(source: h.source, destination: routedTo ?? h.destination)
        if case let (datagram, joined)? = reassembly {
            dissectIPPayload(h.proto, joined, at: b.count, end: joined.count, ip: IPContext(pseudo: pseudo, length: datagram.payload.count), into: &d)
            return
        }
        // Any other fragment's payload is a piece of a datagram, shown as data, except a first
        // fragment Wireshark does not reassemble (inside an ICMP error, a bad header checksum,
        // not all captured): that one it decodes as far as its bytes go, and so does tunscope.
        if h.fragmentOffset != 0 || (h.moreFragments && !quoted && h.isTakenForReassembly(end: end)) {
            if start + hl < payloadEnd {
                d.addData((start + hl)..<payloadEnd, title: "Fragment data",
                          explain: "A piece of a fragmented datagram; the receiver reassembles the pieces.")
            }
            return
        }
        let ip = IPContext(pseudo: pseudo, length: h.totalLength - hl, quoted: quoted, fragment: h.moreFragments)
        dissectIPPayload(h.proto, b, at: start + hl, end: payloadEnd, ip: ip, into: &d)
    }

    /// IPv4 options (RFC 791 3.1), one child each: kind, length and raw value.
    private static func addOptions(_ b: Bytes, _ start: Int, _ end: Int, to fields: inout FieldList) {
        fields.add(Field("ip.options", "Options", .none, note: fields.text("(\(end - start) bytes)"), range: start..<end,
                         explain: "IPv4 options: rarely used today, many routers drop packets that carry them.")) {
            addOptionList(b, start, end, to: &$0)
        }
    }

    private static func addOptionList(_ b: Bytes, _ start: Int, _ end: Int, to children: inout FieldList) {
        var i = start
        while i < end {
            let kind = b[i]
            if kind == 0 || kind == 1 {
                children.add(Field("ip.opt.type", kind == 0 ? "End of Options List (EOL)" : "No-Operation (NOP)",
                                   .uint(UInt64(kind)), range: i..<(i + 1),
                                   explain: kind == 0 ? "Marks the end of the options." : "Padding between options."))
                i += 1
                if kind == 0 { break }
                continue
            }
            guard i + 1 < end, b[i + 1] >= 2, i + Int(b[i + 1]) <= end else {
                children.add(Field("ip.opt.type", "Malformed option", .uint(UInt64(kind)), range: i..<end,
                                   explain: "An option whose length field is missing or runs past the header."))
                break
            }
            let len = Int(b[i + 1])
            children.add(Field("ip.opt.type", ipOptionName(kind, &children), .uint(UInt64(kind)), range: i..<(i + len),
                               explain: "An IPv4 option; routers may have to process it on every hop.")) {
                $0.add(Field("ip.opt.len", "Length", .uint(UInt64(len)), range: (i + 1)..<(i + 2),
                             explain: "Bytes in this option, kind and length included."))
                addOptionValues(kind, b, i, len, to: &$0)
            }
            i += len
        }
    }

    /// What the route, time stamp and router alert options hold, as Wireshark shows them.
    private static func addOptionValues(_ kind: UInt8, _ b: Bytes, _ i: Int, _ len: Int, to fields: inout FieldList) {
        func pointer() {
            fields.add(Field("ip.opt.ptr", "Pointer", .uint(UInt64(b[i + 2])), range: (i + 2)..<(i + 3),
                             explain: "The octet of this option, counted from 1, where the next address or entry goes."))
        }
        switch kind {
        case 7, 131, 137:  // record route, loose and strict source route (RFC 791)
            guard len >= 3 else { break }
            pointer()
            let next = Int(b[i + 2])
            var j = i + 3
            while j + 4 <= i + len {
                let at = j - i + 1
                let address = FieldValue.ipv4(IPv4Address(b.be32(j)))
                let note: FieldText? = at == next ? "<- (next)" : nil
                if kind == 7 {
                    fields.add(at < next
                        ? Field("ip.rec_rt", "Recorded Route", address, note: note, range: j..<(j + 4),
                                explain: "A router this packet passed, written in by the router.")
                        : Field("ip.empty_rt", "Empty Route", address, note: note, range: j..<(j + 4),
                                explain: "Room for a router on the way to record itself."))
                } else if j + 8 > i + len {
                    fields.add(Field("ip.dst", "Destination Address", address, note: note, range: j..<(j + 4),
                                     explain: "Where the packet finally goes, after the routers listed before it."))
                } else {
                    fields.add(Field("ip.src_rt", "Source Route", address, note: note, range: j..<(j + 4),
                                     explain: "A router the sender asks the packet to pass through."))
                }
                j += 4
            }
        case 68 where len >= 4:  // time stamp (RFC 791)
            pointer()
            let flag = b[i + 3] & 0x0f
            fields.add(Field("ip.opt.ovflw", "Overflow", .uint(UInt64(b[i + 3] >> 4)), range: (i + 3)..<(i + 4),
                             explain: "Routers that could not add a time stamp for want of room."))
            fields.add(Field("ip.opt.flag", "Flag", .uint(UInt64(flag)), range: (i + 3)..<(i + 4),
                             explain: "0: time stamps only; 1: each with the router's address; 3: at the addresses given."))
            let entry = flag == 0 ? 4 : 8
            var j = i + 4
            while j + entry <= i + len {
                if flag != 0 {
                    fields.add(Field("ip.opt.time_stamp_addr", "Address", .ipv4(IPv4Address(b.be32(j))), range: j..<(j + 4),
                                     explain: "The router that wrote the time stamp after it."))
                }
                let t = j + entry - 4
                fields.add(Field("ip.opt.time_stamp", "Time stamp", .uint(UInt64(b.be32(t))), range: t..<(t + 4),
                                 explain: "Milliseconds since midnight UT when a router handled the packet."))
                j += entry
            }
        case 148 where len == 4:  // router alert (RFC 2113)
            fields.add(Field("ip.opt.ra", "Router Alert", .uint(UInt64(b.be16(i + 2))), range: (i + 2)..<(i + 4),
                             explain: "Asks every router on the way to look at the packet (0: it should)."))
        default:
            break
        }
    }

    private static func ipOptionName(_ kind: UInt8, _ list: inout FieldList) -> FieldText {
        switch kind {
        case 7: return "Record Route"
        case 68: return "Time Stamp"
        case 130: return "Security"
        case 131: return "Loose Source Route"
        case 137: return "Strict Source Route"
        case 148: return "Router Alert"
        default: return list.text("Unknown option (\(kind))")
        }
    }

    static func protocolNote(_ p: IPProtocol) -> FieldText {
        switch p {
        case .tcp: return "(TCP)"
        case .udp: return "(UDP)"
        case .icmp: return "(ICMP)"
        case .icmpv6: return "(ICMPv6)"
        case .hopByHop: return "(IPv6 Hop-by-Hop Option)"
        case .ipv6Route: return "(Routing Header for IPv6)"
        case .ipv6Fragment: return "(Fragment Header for IPv6)"
        case .ipv6NoNext: return "(No Next Header for IPv6)"
        case .ipv6DestinationOptions: return "(Destination Options for IPv6)"
        default: return ""
        }
    }
}

/// Lower-case hex padded to `digits`, for notes and titles.
func hex<T: BinaryInteger>(_ v: T, _ digits: Int) -> String {
    var w = TextWriter(capacity: 8)
    w.write(hex: UInt64(v), digits: digits)
    return w.string
}

extension Summary {
    /// tcpdump's `ip_print` at default verbosity. `wireLength` is the datagram's length on the
    /// wire from `start` (more than `end - start` when the capture kept only a snap length).
    static func writeIPv4(_ b: Bytes, at start: Int, end: Int, wireLength: Int, into w: inout TextWriter) {
        w.write("IP ")
        guard let h = IPv4Header(b, at: start, end: end) else {
            if end - start < 20 && end - start >= 1 {
                // tcpdump reads the fixed header before checking the length, so a short capture is " [|ip]".
                w.write(" [|ip]")
            }
            return
        }
        let length = wireLength
        let hl = h.headerLength
        if hl < IPv4Header.minimumLength {
            w.write("bad-hlen ")
            w.write(decimal: hl)
            return
        }
        let total = h.totalLength
        if length < total {
            w.write("truncated-ip - ")
            w.write(decimal: total - length)
            w.write(" bytes missing! ")
        }
        if total < hl {
            w.write("bad-len ")
            w.write(decimal: total)
            return
        }
        let payloadEnd = min(end, start + total)
        let ip = IPContext(pseudo: .v4(source: h.source, destination: h.destination), length: total - hl,
                           fragment: h.moreFragments)
        if h.fragmentOffset != 0 {
            ip.writeAddresses(into: &w)
            w.write(": ip-proto-")
            w.write(decimal: h.proto.rawValue)
            return
        }
        if h.proto != .tcp && h.proto != .udp {
            ip.writeAddresses(into: &w)
            w.write(": ")
        }
        if start + hl > end {
            w.write(" [remaining caplen(")
            w.write(decimal: end - start)
            w.write(") < header length(")
            w.write(decimal: hl)
            w.write(")] [|ip]")
            return
        }
        writeIPPayload(h.proto, b, at: start + hl, end: payloadEnd, ip: ip, into: &w)
    }
}
