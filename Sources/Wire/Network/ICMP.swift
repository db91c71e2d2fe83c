/// An ICMP message type (RFC 792 and later). An open set: a type nobody named is still a value.
public struct ICMPv4Type: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ v: UInt8) { rawValue = v }

    public static let echoReply = ICMPv4Type(0)
    public static let destinationUnreachable = ICMPv4Type(3)
    public static let sourceQuench = ICMPv4Type(4)
    public static let redirect = ICMPv4Type(5)
    public static let echoRequest = ICMPv4Type(8)
    /// RFC 1256 router discovery.
    public static let routerAdvertisement = ICMPv4Type(9)
    public static let routerSolicitation = ICMPv4Type(10)
    public static let timeExceeded = ICMPv4Type(11)
    public static let parameterProblem = ICMPv4Type(12)
    public static let timestampRequest = ICMPv4Type(13)
    public static let timestampReply = ICMPv4Type(14)
    public static let informationRequest = ICMPv4Type(15)
    public static let informationReply = ICMPv4Type(16)
    /// RFC 950 address mask messages.
    public static let addressMaskRequest = ICMPv4Type(17)
    public static let addressMaskReply = ICMPv4Type(18)

    /// Error messages quote the start of the datagram that caused them (RFC 792, RFC 1812 4.3.2.3).
    public var isError: Bool {
        self == .destinationUnreachable || self == .sourceQuench || self == .redirect
            || self == .timeExceeded || self == .parameterProblem
    }

    /// Query messages whose second word is an identifier and a sequence number.
    public var hasIdentifierAndSequence: Bool {
        self == .echoReply || self == .echoRequest || (Self.timestampRequest.rawValue...Self.addressMaskReply.rawValue).contains(rawValue)
    }
}

/// Codes of destination unreachable (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1) and of the
/// other types whose codes tcpdump and Wireshark tell apart.
public enum ICMPv4Code {
    public static let networkUnreachable: UInt8 = 0, hostUnreachable: UInt8 = 1, protocolUnreachable: UInt8 = 2
    public static let portUnreachable: UInt8 = 3, fragmentationNeeded: UInt8 = 4, sourceRouteFailed: UInt8 = 5
    public static let ttlExceededInTransit: UInt8 = 0, fragmentReassemblyTimeExceeded: UInt8 = 1
    public static let redirectNetwork: UInt8 = 0, redirectHost: UInt8 = 1
    public static let redirectTOSNetwork: UInt8 = 2, redirectTOSHost: UInt8 = 3
    /// Parameter problem code 0: the pointer field says which byte was wrong.
    public static let pointerIndicatesError: UInt8 = 0
}

/// A read-only view of an ICMPv4 message (RFC 792): the 8-byte header and the body up to `end`
/// (the end of the IP payload). `init` checks that the header is there; after that every getter
/// is in bounds.
public struct ICMPv4Header {
    public let bytes: Bytes
    public let start: Int
    public let end: Int

    /// Field offsets from the start of the message. The second word (`restOfHeader`) means
    /// something different for each type.
    enum Offset {
        static let type = 0, code = 1, checksum = 2, restOfHeader = 4
        /// Echo, timestamp, information and address mask messages.
        static let identifier = 4, sequence = 6
        /// Parameter problem: which byte of the quoted header is wrong.
        static let pointer = 4
        /// RFC 4884: the quoted datagram's length in 32-bit words (unreachable, time exceeded, parameter problem).
        static let originalDatagramLength = 5
        /// RFC 1191: the next hop's MTU in "fragmentation needed".
        static let nextHopMTU = 6
        static let gateway = 4
        /// RFC 1256 router advertisement.
        static let addressCount = 4, addressEntrySize = 5, lifetime = 6
        static let body = 8
        /// Timestamp request and reply: three 32-bit times in milliseconds since midnight UTC.
        static let originateTimestamp = 8, receiveTimestamp = 12, transmitTimestamp = 16
        static let addressMask = 8
    }
    public static let headerLength = 8
    /// Timestamp messages carry three 4-byte times after the header.
    static let timestampMessageLength = 20
    static let addressMaskMessageLength = 12
    /// RFC 1256: a router advertisement entry is an address and a preference, two 32-bit words.
    static let routerEntryWords: UInt8 = 2, routerEntryLength = 8

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        let end = end ?? bytes.count
        guard start >= 0, end <= bytes.count, start + Self.headerLength <= end else { return nil }
        self.bytes = bytes
        self.start = start
        self.end = end
    }

    public var type: ICMPv4Type { ICMPv4Type(bytes[start + Offset.type]) }
    public var code: UInt8 { bytes[start + Offset.code] }
    public var checksum: UInt16 { bytes.be16(start + Offset.checksum) }
    /// The 4 bytes after the checksum, whatever the type makes of them.
    public var restOfHeader: UInt32 { bytes.be32(start + Offset.restOfHeader) }
    public var identifier: UInt16 { bytes.be16(start + Offset.identifier) }
    public var sequence: UInt16 { bytes.be16(start + Offset.sequence) }
    public var pointer: UInt8 { bytes[start + Offset.pointer] }
    public var originalDatagramWords: UInt8 { bytes[start + Offset.originalDatagramLength] }
    public var nextHopMTU: UInt16 { bytes.be16(start + Offset.nextHopMTU) }
    public var gateway: IPv4Address { IPv4Address(bytes.be32(start + Offset.gateway)) }
    /// What follows the header: echo data, or the quoted datagram of an error.
    public var bodyRange: Range<Int> { (start + Self.headerLength)..<end }

    /// The checksum over the whole message as it is: 0 when the checksum field is right.
    public var checksumVerifyResult: UInt16 {
        var c = PseudoHeader.none.start(protocol: IPProtocol.icmp.rawValue, length: end - start)
        c.add(bytes, start..<end)
        return c.value
    }

    /// The checksum this message should carry.
    public var expectedChecksum: UInt16 {
        let result = checksumVerifyResult
        return result == 0 ? checksum : InternetChecksum.expected(received: checksum, verifyResult: result)
    }
}

/// An ICMPv4 message as values, to build packets from (smoltcp's `Icmpv4Repr`). The message
/// carries its own body (echo data, quoted datagram), so `headerLength` is the whole message;
/// a `payload` given to `PacketBuilder` follows it and is covered by the checksum too.
public struct ICMPv4Repr: TransportRepr, Sendable, Equatable {
    public enum Message: Sendable, Equatable {
        case echoRequest(identifier: UInt16, sequence: UInt16, data: Bytes)
        case echoReply(identifier: UInt16, sequence: UInt16, data: Bytes)
        /// `nextHopMTU` is RFC 1191's field, used with code 4 (fragmentation needed); 0 otherwise.
        /// `datagram` is the start of the packet that could not be delivered (its IP header and
        /// at least 8 bytes more).
        case destinationUnreachable(code: UInt8, nextHopMTU: UInt16, datagram: Bytes)
        case timeExceeded(code: UInt8, datagram: Bytes)
        /// Any other message: type, code, the 4 bytes after the checksum, and the body.
        case other(type: ICMPv4Type, code: UInt8, restOfHeader: UInt32, body: Bytes)
    }

    public var message: Message

    public init(_ message: Message) { self.message = message }

    public var proto: IPProtocol { .icmp }
    public var headerLength: Int { ICMPv4Header.headerLength + body.count }

    public var type: ICMPv4Type {
        switch message {
        case .echoRequest: return .echoRequest
        case .echoReply: return .echoReply
        case .destinationUnreachable: return .destinationUnreachable
        case .timeExceeded: return .timeExceeded
        case let .other(type, _, _, _): return type
        }
    }

    public var code: UInt8 {
        switch message {
        case .echoRequest, .echoReply: return 0
        case let .destinationUnreachable(code, _, _), let .timeExceeded(code, _), let .other(_, code, _, _): return code
        }
    }

    public var restOfHeader: UInt32 {
        switch message {
        case let .echoRequest(id, seq, _), let .echoReply(id, seq, _): return UInt32(id) << 16 | UInt32(seq)
        case let .destinationUnreachable(_, mtu, _): return UInt32(mtu)
        case .timeExceeded: return 0
        case let .other(_, _, rest, _): return rest
        }
    }

    public var body: Bytes {
        switch message {
        case let .echoRequest(_, _, data), let .echoReply(_, _, data): return data
        case let .destinationUnreachable(_, _, datagram), let .timeExceeded(_, datagram): return datagram
        case let .other(_, _, _, body): return body
        }
    }

    /// Reads a whole message back; a message whose unused bytes are not zero becomes `.other`,
    /// so emitting it again gives the same bytes.
    public init?(parsing h: ICMPv4Header) {
        let body = Array(h.bytes[h.bodyRange])
        let rest = h.restOfHeader
        switch h.type {
        case .echoRequest where h.code == 0:
            message = .echoRequest(identifier: h.identifier, sequence: h.sequence, data: body)
        case .echoReply where h.code == 0:
            message = .echoReply(identifier: h.identifier, sequence: h.sequence, data: body)
        case .destinationUnreachable where rest >> 16 == 0:
            message = .destinationUnreachable(code: h.code, nextHopMTU: UInt16(rest), datagram: body)
        case .timeExceeded where rest == 0:
            message = .timeExceeded(code: h.code, datagram: body)
        default:
            message = .other(type: h.type, code: h.code, restOfHeader: rest, body: body)
        }
    }

    /// Writes the message at `start`; the checksum covers it and the `payloadLength` bytes after
    /// it. ICMPv4 has no pseudo-header, so `pseudo` is not used.
    public func emit(into b: inout Bytes, at start: Int, payloadLength: Int = 0, pseudo: PseudoHeader = .none,
                     checksum: ChecksumMode = .correct) {
        let O = ICMPv4Header.Offset.self
        b[start + O.type] = type.rawValue
        b[start + O.code] = code
        b.setBE16(start + O.checksum, 0)
        b.setBE32(start + O.restOfHeader, restOfHeader)
        b.replaceSubrange((start + O.body)..<(start + headerLength), with: body)
        switch checksum {
        case .correct:
            let length = headerLength + payloadLength
            var c = PseudoHeader.none.start(protocol: proto.rawValue, length: length)
            c.add(b, start..<(start + length))
            b.setBE16(start + O.checksum, c.value)
        case let .value(v):
            b.setBE16(start + O.checksum, v)
        }
    }
}

/// Reads a message's bytes for field values without trapping: a value whose bytes were not
/// captured reads as 0 (the dissector drops such a field anyway), so values can be built eagerly.
private struct CapturedMessage {
    let b: Bytes
    let start: Int
    let end: Int

    func has(_ offset: Int, _ length: Int) -> Bool { start + offset + length <= end }
    func byte(_ offset: Int) -> UInt8 { has(offset, 1) ? b[start + offset] : 0 }
    func word(_ offset: Int) -> UInt16 { has(offset, 2) ? b.be16(start + offset) : 0 }
    func long(_ offset: Int) -> UInt32 { has(offset, 4) ? b.be32(start + offset) : 0 }
    /// Absolute byte range of a field.
    func at(_ offset: Int, _ length: Int) -> Range<Int> { (start + offset)..<(start + offset + length) }
}

extension Dissector {
    /// ICMPv4 as Wireshark shows it: the "icmp" layer, then the quoted datagram of an error (as
    /// nested ip, tcp/udp layers) or the echo data.
    static func dissectICMPv4(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {
        guard start < end else {
            if !ip.quoted { d.fail("no ICMP header: the IP payload is empty", at: start..<end) }
            return
        }
        let O = ICMPv4Header.Offset.self
        let m = CapturedMessage(b: b, start: start, end: end)
        let at = m.at
        let type = ICMPv4Type(b[start])
        let code: UInt8? = m.has(O.code, 1) ? m.byte(O.code) : nil
        // A field goes in only if all its bytes were captured; the first one that was not stops
        // the decode (as Wireshark's exception does) and is what `malformed` points at.
        var fields = FieldList()
        var missing: Range<Int>? = nil
        var needed = start  // where the last field this message should have ends
        func add(_ field: Field) {
            needed = max(needed, field.range.upperBound)
            guard missing == nil else { return }
            if field.range.upperBound <= end { fields.add(field) } else { missing = field.range }
        }

        add(Field("icmp.type", "Type", .uint(UInt64(type.rawValue)), note: d.describes ? fields.text("(\(icmpTypeName(type, code: code)))") : nil,
                  range: at(O.type, 1),
                  explain: "What kind of message: 8 echo request (ping), 0 echo reply, 3 unreachable, 11 time exceeded."))
        add(Field("icmp.code", "Code", .uint(UInt64(code ?? 0)), note: d.describes ? code.flatMap { icmpCodeName(type, $0) }.map { fields.text("(\($0))") } : nil,
                  range: at(O.code, 1),
                  explain: "Refines the type: for unreachable, 3 means the port is closed, 4 that the packet was too big."))
        let (checksum, status) = checksumField(m, ip: ip, texts: &fields)
        add(checksum)
        if fields.fields.last?.isNamed("icmp.checksum") == true {
            add(checksumStatusField(status, range: at(O.checksum, 2)))
        }

        let datagramWords = m.byte(O.originalDatagramLength)
        let isRFC4884 = datagramWords > 0 && (type == .destinationUnreachable || type == .timeExceeded || type == .parameterProblem)
        switch type {
        case _ where type.hasIdentifierAndSequence:
            for f in identifierAndSequenceFields(m, describing: d.describes, texts: &fields) { add(f) }
        case .destinationUnreachable, .timeExceeded:
            if isRFC4884 {
                add(unusedField(at(O.restOfHeader, 1)))
                for f in originalLengthFields(datagramWords, at(O.originalDatagramLength, 1)) { add(f) }
            }
            if type == .destinationUnreachable && code == ICMPv4Code.fragmentationNeeded {
                if !isRFC4884 { add(unusedField(at(O.restOfHeader, 2))) }
                add(Field("icmp.mtu", "MTU of next hop", .uint(UInt64(m.word(O.nextHopMTU))),
                          range: at(O.nextHopMTU, 2),
                          explain: "RFC 1191: the largest packet the next link takes; path MTU discovery lowers its packet size to it."))
            } else {
                add(unusedField(isRFC4884 ? at(O.nextHopMTU, 2) : at(O.restOfHeader, 4)))
            }
        case .parameterProblem:
            add(Field("icmp.pointer", "Pointer", .uint(UInt64(m.byte(O.pointer))),
                      range: at(O.pointer, 1),
                      explain: "Which byte of the quoted header is wrong, counted from its start (code 0)."))
            if isRFC4884 {
                for f in originalLengthFields(datagramWords, at(O.originalDatagramLength, 1)) { add(f) }
                add(unusedField(at(O.nextHopMTU, 2)))
            } else {
                add(unusedField(at(O.originalDatagramLength, 3)))
            }
        case .redirect:
            add(Field("icmp.redir_gw", "Gateway Address", .ipv4(IPv4Address(m.long(O.gateway))),
                      range: at(O.gateway, 4),
                      explain: "The better first-hop router the sender should use from now on for this destination."))
        case .routerAdvertisement:
            for f in routerAdvertisementFields(m, texts: &fields) { add(f) }
        default:
            break
        }
        switch type {
        case .timestampRequest, .timestampReply:
            for f in timestampFields(m, texts: &fields) { add(f) }
        case .addressMaskRequest, .addressMaskReply:
            add(Field("icmp.address_mask", "Address Mask",
                      .ipv4(IPv4Address(m.long(O.addressMask))),
                      range: at(O.addressMask, 4), explain: "RFC 950: the subnet mask of the network (long obsolete; DHCP does this now)."))
        default:
            break
        }

        let headerEnd = fields.fields.last.map { max(start + ICMPv4Header.headerLength, $0.range.upperBound) } ?? end
        let layerEnd = min(end, headerEnd)
        d.add("icmp", title: "Internet Control Message Protocol", range: start..<layerEnd,
                              payload: layerEnd..<end, fields: fields)
        if missing != nil {
            // Inside an ICMP error only the start of the original is quoted: short is expected there.
            if !ip.quoted {
                d.fail("ICMP \(icmpTypeName(type, code: code).lowercased()) message needs \(needed - start) bytes, "
                       + "\(end - start) left", at: start..<end)
            }
            return
        }

        let bodyStart = start + ICMPv4Header.headerLength
        switch type {
        case _ where type.isError:
            guard bodyStart < end else {
                if !ip.quoted && ip.length == ICMPv4Header.headerLength {
                    d.fail("ICMP error quotes no original datagram (RFC 792 asks for its IP header and 8 bytes more)",
                           at: start..<end)
                }
                return
            }
            dissectIP(b, at: bodyStart, end: quotedDatagramEnd(m, type: type, ip: ip),
                      quoted: true, into: &d)
        case .echoRequest, .echoReply:
            if bodyStart < end {
                d.addData(bodyStart..<end,
                              explain: """
                                  The echo's payload; the reply carries the same bytes back. \
                                  ping puts its send time and a fill pattern here.
                                  """)
            }
        case .routerAdvertisement where m.byte(O.addressEntrySize) != ICMPv4Header.routerEntryWords:
            if bodyStart < end {
                d.addData(bodyStart..<end,
                              explain: "Router entries of a size RFC 1256 does not define, shown as raw bytes.")
            }
        default:
            break
        }
    }

    /// Where the quoted datagram ends, as Wireshark decides: a redirect quotes the IP header and
    /// 8 bytes; an RFC 4884 length field bounds the original datagram (extension objects follow).
    private static func quotedDatagramEnd(_ m: CapturedMessage, type: ICMPv4Type, ip: IPContext) -> Int {
        let O = ICMPv4Header.Offset.self
        let quoted = m.start + O.body
        let quotedHeaderWords = Int(m.byte(O.body) & 0x0f)
        let words = Int(m.byte(O.originalDatagramLength))
        if type == .redirect {
            return min(m.end, quoted + quotedHeaderWords * 4 + 8)
        }
        let quotedTotalLength = Int(m.word(O.body + IPv4Header.Offset.totalLength))
        if words > 0, ip.length > O.body + words * 4, quotedTotalLength > words * 4 {
            return min(m.end, quoted + (quotedHeaderWords + words) * 4)
        }
        return m.end
    }

    /// The checksum field and whether it is right; `texts` keeps the note of a wrong one.
    private static func checksumField(_ m: CapturedMessage, ip: IPContext, texts: inout FieldList) -> (Field, ChecksumStatus) {
        let offset = ICMPv4Header.Offset.checksum
        let value = m.word(offset)
        var field = Field("icmp.checksum", "Checksum", .uint(UInt64(value)), base: .hex(digits: 4), range: m.at(offset, 2),
                          explain: "Ones' complement sum over the whole ICMP message (no pseudo-header, unlike TCP and UDP).")
        // The whole message must be there, and be the whole message (not a quote or a fragment).
        var status = ChecksumStatus.unverified
        if ip.quoted {
            field.note = "[unverified] [in ICMP error packet]"
        } else if ip.fragment {
            field.note = "[unverified] [fragmented datagram]"
        } else if m.end - m.start < ip.length {
            field.note = "[unverified] [not all captured]"
        } else {
            // Summed directly rather than through ICMPv4Header, so a complete message shorter
            // than 8 bytes is checked too.
            var c = PseudoHeader.none.start(protocol: IPProtocol.icmp.rawValue, length: m.end - m.start)
            c.add(m.b, m.start..<m.end)
            let expected = InternetChecksum.expected(received: value, verifyResult: c.value)
            status = c.value == 0 ? .good : .bad
            field.note = c.value == 0 ? "[correct]" : texts.text("[incorrect, should be 0x\(hex(expected, 4))]")
        }
        return (field, status)
    }

    private static func checksumStatusField(_ status: ChecksumStatus, range: Range<Int>) -> Field {
        let note: FieldText = status == .good ? "(Good)" : status == .bad ? "(Bad)" : "(Unverified)"
        return Field("icmp.checksum.status", "Checksum Status", .uint(status.rawValue), note: note, range: range,
                     explain: "Whether the checksum is right: 1 good, 0 bad, 2 not checked (quoted, fragment or cut short).")
    }

    /// Identifier and sequence number, big-endian and, as Wireshark adds them, little-endian.
    private static func identifierAndSequenceFields(_ m: CapturedMessage, describing: Bool, texts: inout FieldList) -> [Field] {
        let O = ICMPv4Header.Offset.self
        let id = m.word(O.identifier), seq = m.word(O.sequence)
        return [
            Field("icmp.ident", "Identifier (BE)", .uint(UInt64(id)), note: describing ? texts.text("(0x\(hex(id, 4)))") : nil, range: m.at(O.identifier, 2),
                  explain: "Picked by the sender so replies reach the right program (Linux ping: a per-socket number)."),
            Field("icmp.ident_le", "Identifier (LE)", .uint(UInt64(id.byteSwapped)), note: describing ? texts.text("(0x\(hex(id.byteSwapped, 4)))") : nil,
                  range: m.at(O.identifier, 2), explain: "The same two bytes read little-endian, as some systems fill them."),
            Field("icmp.seq", "Sequence Number (BE)", .uint(UInt64(seq)), note: describing ? texts.text("(0x\(hex(seq, 4)))") : nil, range: m.at(O.sequence, 2),
                  explain: "Counts the requests; the reply echoes it, so a gap shows which one was lost."),
            Field("icmp.seq_le", "Sequence Number (LE)", .uint(UInt64(seq.byteSwapped)), note: describing ? texts.text("(0x\(hex(seq.byteSwapped, 4)))") : nil,
                  range: m.at(O.sequence, 2), explain: "The same two bytes read little-endian, as Windows ping counts."),
        ]
    }

    private static func unusedField(_ range: Range<Int>) -> Field {
        Field("icmp.unused", "Unused", .bytes, range: range, explain: "Reserved: the sender sets these bytes to zero.")
    }

    /// RFC 4884's length of the quoted datagram, and that length in bytes.
    private static func originalLengthFields(_ words: UInt8, _ range: Range<Int>) -> [Field] {
        [
            Field("icmp.length", "Length", .uint(UInt64(words)), range: range,
                  explain: "RFC 4884: length of the quoted datagram in 32-bit words; extension objects follow it."),
            Field("icmp.length.original_datagram", "Length of original datagram", .uint(UInt64(words) * 4), range: range,
                  explain: "The quoted datagram's length in bytes (the Length field times four)."),
        ]
    }

    /// RFC 1256: count, entry size and lifetime, then each router's address and preference.
    private static func routerAdvertisementFields(_ m: CapturedMessage, texts: inout FieldList) -> [Field] {
        let O = ICMPv4Header.Offset.self
        let count = m.byte(O.addressCount), size = m.byte(O.addressEntrySize), lifetime = m.word(O.lifetime)
        var fields = FieldList()
        fields.add(Field("icmp.num_addrs", "Number of addresses", .uint(UInt64(count)), range: m.at(O.addressCount, 1),
                         explain: "RFC 1256: how many router addresses this advertisement lists."))
        fields.add(Field("icmp.addr_entry_size", "Address entry size", .uint(UInt64(size)), range: m.at(O.addressEntrySize, 1),
                         explain: "32-bit words per entry: 2 (an address and its preference)."))
        fields.add(Field("icmp.lifetime", "Lifetime", .uint(UInt64(lifetime)), note: texts.text("(\(durationText(milliseconds: UInt64(lifetime) * 1000)))"),
                         range: m.at(O.lifetime, 2), explain: "Seconds the addresses stay valid as default routers."))
        guard size == ICMPv4Header.routerEntryWords else { return fields.fields }
        for i in 0..<Int(count) {
            let entry = O.body + i * ICMPv4Header.routerEntryLength
            // The count is the sender's claim: entries stop where the message does.
            guard m.has(entry, ICMPv4Header.routerEntryLength) else { break }
            fields.add(Field("icmp.router_address", "Router address", .ipv4(IPv4Address(m.long(entry))),
                             range: m.at(entry, 4), explain: "An address of the advertising router."))
            fields.add(Field("icmp.pref_level", "Preference level", .int(Int64(Int32(bitPattern: m.long(entry + 4)))),
                             range: m.at(entry + 4, 4), explain: "How much hosts should prefer this router as default; higher wins."))
        }
        return fields.fields
    }

    private static func timestampFields(_ m: CapturedMessage, texts: inout FieldList) -> [Field] {
        let O = ICMPv4Header.Offset.self
        let times: [(StaticString, FieldText, Int, FieldText)] = [
            ("icmp.originate_timestamp", "Originate Timestamp", O.originateTimestamp,
             "When the requester sent the request. Milliseconds since midnight UTC (RFC 792)."),
            ("icmp.receive_timestamp", "Receive Timestamp", O.receiveTimestamp,
             "When the replier received it. Milliseconds since midnight UTC (RFC 792)."),
            ("icmp.transmit_timestamp", "Transmit Timestamp", O.transmitTimestamp,
             "When the replier sent the reply. Milliseconds since midnight UTC (RFC 792)."),
        ]
        return times.map { name, label, offset, explain in
            // RFC 792: a set high bit marks a time that is not milliseconds since midnight UTC.
            let ms = m.long(offset)
            let note = texts.text("(\(durationText(milliseconds: UInt64(ms & 0x7fff_ffff))) after midnight UTC)")
            return Field(name, label, .uint(UInt64(ms)), note: note, range: m.at(offset, 4), explain: explain)
        }
    }

    /// "1 hour, 2 minutes, 3.004 seconds", as Wireshark words a span of time.
    private static func durationText(milliseconds: UInt64) -> String {
        let hours = milliseconds / 3_600_000, minutes = milliseconds / 60_000 % 60
        let seconds = milliseconds / 1000 % 60, ms = milliseconds % 1000
        var parts: [String] = []
        if hours > 0 { parts.append("\(hours) hour\(hours == 1 ? "" : "s")") }
        if minutes > 0 { parts.append("\(minutes) minute\(minutes == 1 ? "" : "s")") }
        if seconds > 0 || ms > 0 || parts.isEmpty {
            let fraction = ms > 0 ? ".\(ms < 10 ? "00" : ms < 100 ? "0" : "")\(ms)" : ""
            parts.append("\(seconds)\(fraction) second\(seconds == 1 && ms == 0 ? "" : "s")")
        }
        return parts.joined(separator: ", ")
    }

    /// Wireshark's name for a type (router advertisement with code 0 or 16 is Mobile IP's).
    static func icmpTypeName(_ type: ICMPv4Type, code: UInt8?) -> String {
        switch type.rawValue {
        case 0: return "Echo (ping) reply"
        case 1, 2: return "Reserved"
        case 3: return "Destination unreachable"
        case 4: return "Source quench (flow control)"
        case 5: return "Redirect"
        case 6: return "Alternate host address"
        case 8: return "Echo (ping) request"
        case 9: return code == 0 || code == 16 ? "Mobile IP Advertisement" : "Router advertisement"
        case 10: return "Router solicitation"
        case 11: return "Time-to-live exceeded"
        case 12: return "Parameter problem"
        case 13: return "Timestamp request"
        case 14: return "Timestamp reply"
        case 15: return "Information request"
        case 16: return "Information reply"
        case 17: return "Address mask request"
        case 18: return "Address mask reply"
        case 19: return "Reserved (for security)"
        case 30: return "Traceroute"
        case 31: return "Datagram Conversion Error"
        case 32: return "Mobile Host Redirect"
        case 33: return "IPv6 Where-Are-You"
        case 34: return "IPv6 I-Am-Here"
        case 35: return "Mobile Registration Request"
        case 36: return "Mobile Registration Reply"
        case 37: return "Domain Name Request"
        case 38: return "Domain Name Reply"
        case 39: return "SKIP"
        case 40: return "Photuris"
        case 41: return "Experimental mobility protocols"
        case 42: return "Extended Echo request"
        case 43: return "Extended Echo reply"
        default: return "Unknown ICMP (obsolete or malformed?)"
        }
    }

    private static let unreachableCodeNames = [
        "Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable", "Fragmentation needed",
        "Source route failed", "Destination network unknown", "Destination host unknown", "Source host isolated",
        "Network administratively prohibited", "Host administratively prohibited", "Network unreachable for TOS",
        "Host unreachable for TOS", "Communication administratively filtered", "Host precedence violation",
        "Precedence cutoff in effect",
    ]

    /// Wireshark's name for a code, for the types whose codes it names; nil for the others.
    static func icmpCodeName(_ type: ICMPv4Type, _ code: UInt8) -> String? {
        func named(_ names: [String]) -> String { Int(code) < names.count ? names[Int(code)] : "Unknown code: \(code)" }
        switch type {
        case .destinationUnreachable: return named(unreachableCodeNames)
        case .redirect:
            return named(["Redirect for network", "Redirect for host", "Redirect for TOS and network", "Redirect for TOS and host"])
        case ICMPv4Type(6): return named(["Alternate address for host"])
        case .routerAdvertisement:
            return code == 0 ? "Normal router advertisement" : code == 16 ? "Does not route common traffic" : "Unknown code: \(code)"
        case .timeExceeded: return named(["Time to live exceeded in transit", "Fragment reassembly time exceeded"])
        case .parameterProblem: return named(["Pointer indicates the error", "Required option missing", "Bad length"])
        case ICMPv4Type(40):
            return named(["Bad SPI", "Authentication Failed", "Decompression Failed", "Decryption Failed",
                          "Need Authentication", "Need Authorization"])
        default: return nil
        }
    }
}

extension Summary {
    /// tcpdump 4.99.3's `icmp_print` at default verbosity. The IPv4 printer has written
    /// "a > b: " already. tcpdump formats the whole message text before printing any of it, so a
    /// message missing a byte it reads prints only " [|icmp]".
    static func writeICMPv4(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {
        guard end - start >= 2, end - start >= summaryBytesNeeded(b, start: start, end: end) else {
            w.write(" [|icmp]")
            return
        }
        let O = ICMPv4Header.Offset.self
        let type = ICMPv4Type(b[start + O.type]), code = b[start + O.code]
        let quoted = start + O.body
        let quotedDestination = quoted + IPv4Header.Offset.destination
        w.write("ICMP ")
        switch type {
        case .echoRequest, .echoReply:
            w.write(type == .echoRequest ? "echo request, id " : "echo reply, id ")
            w.write(decimal: b.be16(start + O.identifier))
            w.write(", seq ")
            w.write(decimal: b.be16(start + O.sequence))
        case .destinationUnreachable:
            writeUnreachable(b, start: start, code: code, into: &w)
        case .redirect:
            w.write("redirect")
            switch code {
            case ICMPv4Code.redirectNetwork, ICMPv4Code.redirectHost: w.write(byte: 32)
            case ICMPv4Code.redirectTOSNetwork, ICMPv4Code.redirectTOSHost: w.write("-tos ")
            default:
                w.write("-#")
                w.write(decimal: code)
                w.write(byte: 32)
            }
            w.write(ipv4: b.be32(quotedDestination))
            switch code {
            case ICMPv4Code.redirectNetwork, ICMPv4Code.redirectTOSNetwork: w.write(" to net ")
            case ICMPv4Code.redirectHost, ICMPv4Code.redirectTOSHost: w.write(" to host ")
            default: w.write(" to ")
            }
            w.write(ipv4: b.be32(start + O.gateway))
        case .routerAdvertisement:
            writeRouterAdvertisement(b, start: start, into: &w)
        case .timeExceeded:
            switch code {
            case ICMPv4Code.ttlExceededInTransit: w.write("time exceeded in-transit")
            case ICMPv4Code.fragmentReassemblyTimeExceeded: w.write("ip reassembly time exceeded")
            default:
                w.write("time exceeded-#")
                w.write(decimal: code)
            }
        case .parameterProblem:
            if code == ICMPv4Code.pointerIndicatesError {
                w.write("parameter problem - octet ")
                w.write(decimal: b[start + O.pointer])
            } else {
                w.write("parameter problem - code ")
                w.write(decimal: code)
            }
        case .addressMaskReply:
            w.write("address mask is 0x")
            w.write(hex: UInt64(b.be32(start + O.addressMask)), digits: 8)
        case .timestampRequest:
            w.write("time stamp query id ")
            w.write(decimal: b.be16(start + O.identifier))
            w.write(" seq ")
            w.write(decimal: b.be16(start + O.sequence))
        case .timestampReply:
            w.write("time stamp reply id ")
            w.write(decimal: b.be16(start + O.identifier))
            w.write(" seq ")
            w.write(decimal: b.be16(start + O.sequence))
            w.write(": org ")
            writeTimeOfDay(b.be32(start + O.originateTimestamp), into: &w)
            w.write(", recv ")
            writeTimeOfDay(b.be32(start + O.receiveTimestamp), into: &w)
            w.write(", xmit ")
            writeTimeOfDay(b.be32(start + O.transmitTimestamp), into: &w)
        case .sourceQuench: w.write("source quench")
        case .routerSolicitation: w.write("router solicitation")
        case .informationRequest: w.write("information request")
        case .informationReply: w.write("information reply")
        case .addressMaskRequest: w.write("address mask request")
        default:
            w.write("type-#")
            w.write(decimal: type.rawValue)
        }
        w.write(", length ")
        w.write(decimal: ip.length)
    }

    /// How many bytes of the message tcpdump reads for this type and code: its GET_ and
    /// ND_TCHECK_ macros stop the whole line at the first byte past the capture.
    private static func summaryBytesNeeded(_ b: Bytes, start: Int, end: Int) -> Int {
        let O = ICMPv4Header.Offset.self
        let type = ICMPv4Type(b[start + O.type]), code = b[start + O.code]
        // Up to the quoted IPv4 header's destination address.
        let quotedDestinationEnd = O.body + IPv4Header.Offset.destination + 4
        switch type {
        case .echoRequest, .echoReply, .timestampRequest: return ICMPv4Header.headerLength
        case .destinationUnreachable where code == ICMPv4Code.portUnreachable:
            // tcpdump checks the quoted protocol byte, then reads the port after the quoted header.
            let protocolEnd = O.body + IPv4Header.Offset.proto + 1
            guard end - start >= protocolEnd else { return protocolEnd }
            let portEnd = O.body + quotedHeaderLength(b, start: start) + TransportPorts.destination + 2
            return max(quotedDestinationEnd, portEnd)
        case .destinationUnreachable, .redirect, .timeExceeded: return quotedDestinationEnd
        case .routerAdvertisement:
            guard end - start >= ICMPv4Header.headerLength else { return ICMPv4Header.headerLength }
            guard b[start + O.addressEntrySize] == ICMPv4Header.routerEntryWords else { return ICMPv4Header.headerLength }
            return ICMPv4Header.headerLength + Int(b[start + O.addressCount]) * ICMPv4Header.routerEntryLength
        case .parameterProblem where code == ICMPv4Code.pointerIndicatesError: return O.pointer + 1
        case .addressMaskReply: return ICMPv4Header.addressMaskMessageLength
        case .timestampReply: return ICMPv4Header.timestampMessageLength
        default: return O.code + 1
        }
    }

    /// The quoted IPv4 header's length from its IHL nibble, unchecked, as tcpdump takes it.
    private static func quotedHeaderLength(_ b: Bytes, start: Int) -> Int {
        Int(b[start + ICMPv4Header.Offset.body] & 0x0f) * 4
    }

    /// Where TCP and UDP both keep their ports, which is all tcpdump reads of a quoted segment.
    private enum TransportPorts {
        static let destination = 2
    }

    /// The text after the address of an unreachable code, with the word before the address
    /// ("net", "host" or none); nil for the codes that print more than the address.
    private static let unreachableTexts: [(before: StaticString, after: StaticString)?] = [
        ("net ", " unreachable"), ("host ", " unreachable"), nil, nil, nil,
        ("", " unreachable - source route failed"), ("net ", " unreachable - unknown"), ("host ", " unreachable - unknown"),
        ("", " unreachable - source host isolated"), ("net ", " unreachable - admin prohibited"),
        ("host ", " unreachable - admin prohibited"), ("net ", " unreachable - tos prohibited"),
        ("host ", " unreachable - tos prohibited"), ("host ", " unreachable - admin prohibited filter"),
        ("host ", " unreachable - host precedence violation"), ("host ", " unreachable - precedence cutoff"),
    ]

    private static func writeUnreachable(_ b: Bytes, start: Int, code: UInt8, into w: inout TextWriter) {
        let O = ICMPv4Header.Offset.self
        let quoted = start + O.body
        let destination = b.be32(quoted + IPv4Header.Offset.destination)
        let quotedProtocol = IPProtocol(b[quoted + IPv4Header.Offset.proto])
        if Int(code) < unreachableTexts.count, let text = unreachableTexts[Int(code)] {
            w.write(text.before)
            w.write(ipv4: destination)
            w.write(text.after)
            return
        }
        w.write(ipv4: destination)
        switch code {
        case ICMPv4Code.protocolUnreachable:
            w.write(" protocol ")
            w.write(decimal: quotedProtocol.rawValue)
            w.write(" unreachable")
        case ICMPv4Code.portUnreachable:
            let port = b.be16(quoted + quotedHeaderLength(b, start: start) + TransportPorts.destination)
            switch quotedProtocol {
            case .tcp: w.write(" tcp port ")
            case .udp: w.write(" udp port ")
            default:
                w.write(" protocol ")
                w.write(decimal: quotedProtocol.rawValue)
                w.write(" port ")
            }
            w.write(decimal: port)
            w.write(" unreachable")
        case ICMPv4Code.fragmentationNeeded:
            w.write(" unreachable - need to frag")
            let mtu = b.be16(start + O.nextHopMTU)
            if mtu != 0 {
                w.write(" (mtu ")
                w.write(decimal: mtu)
                w.write(byte: 41)
            }
        default:
            w.write(" unreachable - #")
            w.write(decimal: code)
        }
    }

    /// tcpdump builds this text in a 164-byte buffer (MAXHOSTNAMELEN + 100), so a long list of
    /// routers is cut at 163 characters.
    private static let routerAdvertisementTextLimit = 163

    private static func writeRouterAdvertisement(_ b: Bytes, start: Int, into w: inout TextWriter) {
        let O = ICMPv4Header.Offset.self
        let textStart = w.count
        w.write("router advertisement lifetime ")
        let lifetime = UInt64(b.be16(start + O.lifetime))
        if lifetime < 60 {
            w.write(unsigned: lifetime)
        } else if lifetime < 3600 {
            w.write(unsigned: lifetime / 60)
            w.write(byte: 58)
            w.write(unsigned: lifetime % 60, width: 2)
        } else {
            w.write(unsigned: lifetime / 3600)
            w.write(byte: 58)
            w.write(unsigned: lifetime % 3600 / 60, width: 2)
            w.write(byte: 58)
            w.write(unsigned: lifetime % 60, width: 2)
        }
        let count = Int(b[start + O.addressCount])
        w.write(byte: 32)
        w.write(decimal: count)
        w.write(byte: 58)
        let size = b[start + O.addressEntrySize]
        if size != ICMPv4Header.routerEntryWords {
            w.write(" [size ")
            w.write(decimal: size)
            w.write(byte: 93)
        } else {
            for i in 0..<count {
                let entry = start + O.body + i * ICMPv4Header.routerEntryLength
                w.write(" {")
                w.write(ipv4: b.be32(entry))
                w.write(byte: 32)
                w.write(decimal: b.be32(entry + 4))
                w.write(byte: 125)
                if w.count - textStart >= routerAdvertisementTextLimit { break }
            }
        }
        if w.count - textStart > routerAdvertisementTextLimit {
            w.removeLast(w.count - textStart - routerAdvertisementTextLimit)
        }
    }

    /// tcpdump's `icmp_tstamp_print`: milliseconds since midnight as "hh:mm:ss.mmm" (hours
    /// not wrapped, for the non-standard values RFC 792 marks with the high bit).
    private static func writeTimeOfDay(_ milliseconds: UInt32, into w: inout TextWriter) {
        let ms = UInt64(milliseconds)
        w.write(unsigned: ms / 3_600_000, width: 2)
        w.write(byte: 58)
        w.write(unsigned: ms / 60_000 % 60, width: 2)
        w.write(byte: 58)
        w.write(unsigned: ms / 1000 % 60, width: 2)
        w.write(byte: 46)
        w.write(unsigned: ms % 1000, width: 3)
    }
}
