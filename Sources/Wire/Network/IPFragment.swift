/// A fragment of an IPv4 or IPv6 datagram, as Wireshark's reassembly takes one (packet-ip.c,
/// packet-ipv6.c in 4.0, read for behaviour): a packet with More Fragments set or a fragment
/// offset, outside an ICMP error, with data after its headers and all of that data captured;
/// for IPv4 also a header checksum that holds (tunscope always checks it, as tshark does with
/// `ip.check_checksum`). Anything else is not a fragment to reassemble: an IPv4 first fragment
/// left out is dissected as far as its bytes go (Wireshark does so), an IPv6 one is data.
public struct IPFragment: Sendable, Equatable {
    /// What the fragments of one datagram share. IPv4: the addresses and Wireshark's id, the
    /// identification XORed with the protocol (two datagrams whose XORs agree are one to it
    /// too); IPv6: the addresses and the fragment header's identification.
    public struct Key: Hashable, Sendable {
        public var source: IPAddress
        public var destination: IPAddress
        public var id: UInt32
    }

    public var key: Key
    /// Where the fragment's data goes in the datagram, in bytes, and whether more follow.
    public var offset: Int
    public var more: Bool
    /// The fragment's data in the packet's bytes (IPv6: after the fragment header).
    public var data: Range<Int>

    /// The fragment whose IP header starts at `start` (the captured bytes end at `end`); nil
    /// when the packet is not one Wireshark reassembles.
    public init?(_ b: Bytes, at start: Int, end: Int) {
        guard start < end else { return nil }
        switch b[start] >> 4 {
        case 4:
            guard let h = IPv4Header(b, at: start, end: end), h.isTakenForReassembly(end: end) else { return nil }
            key = Key(source: .v4(h.source), destination: .v4(h.finalDestination),
                      id: UInt32(h.identification) ^ UInt32(h.proto.rawValue))
            offset = h.fragmentOffset
            more = h.moreFragments
            data = (start + h.headerLength)..<(start + h.totalLength)
        case 6:
            guard let h = IPv6Header(b, at: start, end: end) else { return nil }
            let declaredEnd = start + IPv6Header.length + h.payloadLength
            var next = h.nextHeader
            var i = start + IPv6Header.length
            // The headers before the fragment header, each at least 8 bytes long.
            while next == .hopByHop || next == .ipv6Route || next == .ipv6DestinationOptions {
                guard i + 2 <= min(end, declaredEnd) else { return nil }
                let length = IPv6Extension.length(next, b, at: i)
                next = IPProtocol(b[i])
                i += length
            }
            guard next == .ipv6Fragment, i + IPv6Extension.fragmentLength <= min(end, declaredEnd) else { return nil }
            let offsetAndFlags = b.be16(i + 2)
            let dataStart = i + IPv6Extension.fragmentLength
            guard IPv6Extension.isTakenForReassembly(offsetAndFlags: offsetAndFlags, data: dataStart..<declaredEnd, end: end)
            else { return nil }
            key = Key(source: .v6(h.source), destination: .v6(h.destination), id: b.be32(i + 4))
            offset = Int(offsetAndFlags & 0xfff8)
            more = offsetAndFlags & 1 != 0
            data = dataStart..<declaredEnd
        default:
            return nil
        }
    }
}

extension IPv4Header {
    /// A fragment (More Fragments or an offset) with data after the header, all of it captured
    /// (`end`), and a header checksum that holds: what Wireshark reassembles. Not for a header
    /// quoted in an ICMP error, which is never reassembled.
    public func isTakenForReassembly(end: Int) -> Bool {
        let hl = headerLength
        guard moreFragments || fragmentOffset != 0, hl >= IPv4Header.minimumLength, totalLength > hl,
              start + totalLength <= end
        else { return false }
        var c = InternetChecksum()
        c.add(bytes, start..<(start + hl))
        return c.value == 0
    }
}

extension IPv6Extension {
    /// Whether a fragment header's packet is a fragment at all (an offset or More Fragments: one
    /// with neither is an atomic fragment, RFC 6946, whose payload is whole).
    public static func isFragment(offsetAndFlags: UInt16) -> Bool { offsetAndFlags & 0xfff9 != 0 }

    /// A fragment with data after the fragment header, all of it captured (`end`): what
    /// Wireshark reassembles (never inside an ICMPv6 error).
    static func isTakenForReassembly(offsetAndFlags: UInt16, data: Range<Int>, end: Int) -> Bool {
        isFragment(offsetAndFlags: offsetAndFlags) && !data.isEmpty && data.upperBound <= end
    }
}

/// A datagram put back together from its fragments, handed to the packet that completed it
/// (the one Wireshark shows the datagram's layers in).
public struct ReassembledDatagram: Sendable, Equatable {
    /// What Wireshark noted about a fragment when it put the datagram together.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Its data overlaps data placed before it (a duplicate is one).
        public static let overlap = Self(rawValue: 1 << 0)
        /// ... and differs from it (the first data placed is kept).
        public static let overlapConflict = Self(rawValue: 1 << 1)
        /// A last fragment ending elsewhere than the first last fragment did.
        public static let multipleTails = Self(rawValue: 1 << 2)
        /// It runs past the end the first last fragment set (cut there).
        public static let tooLong = Self(rawValue: 1 << 3)

        /// The flags Wireshark files the fragment under `ip.fragment.error` for.
        public var isError: Bool { !intersection([.overlapConflict, .multipleTails, .tooLong]).isEmpty }
    }

    public struct Fragment: Sendable, Equatable {
        /// The frame it came in (from 1), where its data went, and how much there was.
        public var frame: UInt32
        public var offset: Int
        public var length: Int
        public var flags: Flags

        public init(frame: UInt32, offset: Int, length: Int, flags: Flags = []) {
            self.frame = frame
            self.offset = offset
            self.length = length
            self.flags = flags
        }
    }

    /// The datagram after its IP header (IPv6: after the fragment header, so any headers that
    /// follow it come first).
    public var payload: Bytes
    /// In order of offset (fragments at the same offset in the order they came).
    public var fragments: [Fragment]

    public init(payload: Bytes, fragments: [Fragment]) {
        self.payload = payload
        self.fragments = fragments
    }
}

extension Dissector {
    /// The names of the fragment tree's fields, IPv4's or IPv6's.
    private struct FragmentNames {
        let fragments, fragment, error, overlap, conflict, multipleTails, tooLong, count, length, data: StaticString
        let word: String

        static let v4 = FragmentNames(fragments: "ip.fragments", fragment: "ip.fragment", error: "ip.fragment.error",
                                      overlap: "ip.fragment.overlap", conflict: "ip.fragment.overlap.conflict",
                                      multipleTails: "ip.fragment.multipletails", tooLong: "ip.fragment.toolongfragment",
                                      count: "ip.fragment.count", length: "ip.reassembled.length", data: "ip.reassembled.data", word: "IPv4")
        static let v6 = FragmentNames(fragments: "ipv6.fragments", fragment: "ipv6.fragment", error: "ipv6.fragment.error",
                                      overlap: "ipv6.fragment.overlap", conflict: "ipv6.fragment.overlap.conflict",
                                      multipleTails: "ipv6.fragment.multipletails", tooLong: "ipv6.fragment.toolongfragment",
                                      count: "ipv6.fragment.count", length: "ipv6.reassembled.length", data: "ipv6.reassembled.data", word: "IPv6")
    }

    /// The fragments of a reassembled datagram as Wireshark lists them in the IP layer of the
    /// packet that completed it: each fragment's frame and place (under `ip.fragment.error`
    /// when its data conflicts, runs long or ends a second time), their count, the length and
    /// the data. `data` is where the datagram is in the joined bytes (see
    /// `Dissection.reassembledSource`); the fields computed here have empty ranges at its start.
    static func addFragmentTree(_ r: ReassembledDatagram, ipv6: Bool, data: Range<Int>, to fields: inout FieldList, describing: Bool) {
        let n = ipv6 ? FragmentNames.v6 : FragmentNames.v4
        let at = data.lowerBound..<data.lowerBound
        func text(_ s: @autoclosure () -> String, else literal: FieldText) -> FieldText { describing ? fields.text(s()) : literal }
        func title() -> String { "\(r.fragments.count) \(n.word) Fragments (\(r.payload.count) bytes)" }
        func list() -> String { r.fragments.map { "#\($0.frame)(\($0.length))" }.joined(separator: ", ") }
        let explain: FieldText = "The fragments this datagram was put back together from, in order of offset."
        // IPv4's is bytes (the datagram, in JSON), IPv6's a heading: as Wireshark declares them.
        let heading = ipv6
            ? Field(n.fragments, text("\(title()): \(list())", else: "Fragments"), .none, range: data, explain: explain, generated: true)
            : Field(n.fragments, text(title(), else: "Fragments"), .bytesShown(shown: text(list(), else: "")), range: data,
                    explain: explain, generated: true)
        fields.add(heading) { f in
            for fragment in r.fragments {
                let last = fragment.offset + fragment.length - 1
                let place: FieldText = describing
                    ? f.text("\(fragment.frame), payload: \(fragment.offset)-\(last) (\(fragment.length) bytes)") : ""
                let item = Field(fragment.flags.isError ? n.error : n.fragment, "Frame", .uintShown(UInt64(fragment.frame), shown: place),
                                 range: at, explain: "A frame that carried a piece of this datagram, and which bytes of it.", generated: true)
                guard !fragment.flags.isEmpty else {
                    f.add(item)
                    continue
                }
                f.add(item) { g in
                    func flag(_ name: StaticString, _ label: FieldText, _ explain: FieldText) {
                        g.add(Field(name, label, .uintShown(1, shown: "True"), range: at, explain: explain, generated: true))
                    }
                    if fragment.flags.contains(.overlap) {
                        flag(n.overlap, "Fragment overlap", "Its data overlaps data of a fragment placed before it (a duplicate does).")
                    }
                    if fragment.flags.contains(.overlapConflict) {
                        flag(n.conflict, "Conflicting data in fragment overlap", "The overlapping bytes differ; the ones placed first were kept.")
                    }
                    if fragment.flags.contains(.multipleTails) {
                        flag(n.multipleTails, "Multiple tail fragments found", "A second last fragment that ends elsewhere than the first did.")
                    }
                    if fragment.flags.contains(.tooLong) {
                        flag(n.tooLong, "Fragment too long", "It runs past the end the last fragment set; the rest was left out.")
                    }
                }
            }
            f.add(Field(n.count, "Fragment count", .uint(UInt64(r.fragments.count)), range: at,
                        explain: "How many fragments made the datagram.", generated: true))
            f.add(Field(n.length, describing ? f.text("Reassembled \(n.word) length") : "Reassembled length", .uint(UInt64(r.payload.count)), range: at,
                        explain: "Bytes in the datagram after its IP header.", generated: true))
            f.add(Field(n.data, describing ? f.text("Reassembled \(n.word) data") : "Reassembled data", .bytes, range: data,
                        explain: "The datagram put back together; the layers below are decoded from it.", generated: true))
        }
    }
}
