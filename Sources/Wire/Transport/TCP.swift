/// TCP control bits (RFC 9293 3.1): the 12 bits after the data offset. ECE and CWR are RFC
/// 3168's ECN bits; AE is Accurate ECN's bit (RFC 3540 called it NS, the ECN nonce).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0fff }

    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    public static let ae = TCPFlags(rawValue: 0x100)
    /// The old name of the AE bit (RFC 3540's ECN nonce sum).
    public static let ns = ae
    /// The three bits before AE: reserved, sent as zero.
    public static let reserved = TCPFlags(rawValue: 0xe00)
}

extension TCPFlags {
    /// A segment named by its flags as people say it: "SYN", "SYN-ACK", "FIN-ACK", "RST".
    public var segmentName: String {
        var parts: [String] = []
        if contains(.syn) { parts.append("SYN") }
        if contains(.fin) { parts.append("FIN") }
        if contains(.rst) { parts.append("RST") }
        if contains(.psh) { parts.append("PSH") }
        if contains(.urg) { parts.append("URG") }
        if contains(.ack) { parts.append("ACK") }
        return parts.isEmpty ? "no flags" : parts.joined(separator: "-")
    }
}

/// A read-only view of a TCP header (RFC 9293 3.1). `init` checks that the fixed 20 bytes are
/// there; after that every getter is in bounds. `end` is where the captured segment ends.
public struct TCPHeader {
    public let bytes: Bytes
    public let start: Int
    public let end: Int

    /// Field offsets from the start of the header.
    enum Offset {
        static let sourcePort = 0, destinationPort = 2, sequenceNumber = 4, acknowledgmentNumber = 8
        /// Data offset (high nibble) and the reserved and AE bits; the other flags are the next byte.
        static let dataOffset = 12, flags = 13
        static let window = 14, checksum = 16, urgentPointer = 18, options = 20
    }
    public static let minimumLength = 20
    /// The data offset is 4 bits of 32-bit words: 15 words.
    public static let maximumLength = 60
    static let flagsMask: UInt16 = 0x0fff

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        let end = min(end ?? bytes.count, bytes.count)
        guard start >= 0, start + Self.minimumLength <= end else { return nil }
        self.bytes = bytes
        self.start = start
        self.end = end
    }

    public var sourcePort: UInt16 { bytes.be16(start + Offset.sourcePort) }
    public var destinationPort: UInt16 { bytes.be16(start + Offset.destinationPort) }
    public var sequenceNumber: UInt32 { bytes.be32(start + Offset.sequenceNumber) }
    public var acknowledgmentNumber: UInt32 { bytes.be32(start + Offset.acknowledgmentNumber) }
    /// The data offset field: header length in 32-bit words.
    public var dataOffset: UInt8 { bytes[start + Offset.dataOffset] >> 4 }
    /// Header length in bytes, options included (the data offset times four).
    public var headerLength: Int { Int(dataOffset) * 4 }
    public var flags: TCPFlags { TCPFlags(rawValue: bytes.be16(start + Offset.dataOffset) & Self.flagsMask) }
    public var fin: Bool { flags.contains(.fin) }
    public var syn: Bool { flags.contains(.syn) }
    public var rst: Bool { flags.contains(.rst) }
    public var psh: Bool { flags.contains(.psh) }
    public var ack: Bool { flags.contains(.ack) }
    public var urg: Bool { flags.contains(.urg) }
    public var ece: Bool { flags.contains(.ece) }
    public var cwr: Bool { flags.contains(.cwr) }
    public var ae: Bool { flags.contains(.ae) }
    public var window: UInt16 { bytes.be16(start + Offset.window) }
    public var checksum: UInt16 { bytes.be16(start + Offset.checksum) }
    public var urgentPointer: UInt16 { bytes.be16(start + Offset.urgentPointer) }

    /// True when the header length is at least 20 and the whole header was captured.
    public var isComplete: Bool { headerLength >= Self.minimumLength && start + headerLength <= end }

    /// The option bytes: from byte 20 to the header length, cut where the capture ends.
    public var optionsRange: Range<Int> {
        let optionsStart = start + Offset.options
        return optionsStart..<max(optionsStart, min(start + headerLength, end))
    }

    public var options: TCPOptionIterator { TCPOptionIterator(bytes, optionsRange) }
}

/// TCP option kinds (IANA "TCP Option Kind Numbers").
public enum TCPOptionKind {
    public static let endOfList: UInt8 = 0, noOperation: UInt8 = 1, maximumSegmentSize: UInt8 = 2
    public static let windowScale: UInt8 = 3, sackPermitted: UInt8 = 4, sack: UInt8 = 5
    /// RFC 1072 echo and echo reply, obsoleted by timestamps.
    public static let echo: UInt8 = 6, echoReply: UInt8 = 7
    public static let timestamps: UInt8 = 8
    /// RFC 1644 T/TCP connection counts (historic).
    public static let connectionCount: UInt8 = 11, connectionCountNew: UInt8 = 12, connectionCountEcho: UInt8 = 13
    public static let md5Signature: UInt8 = 19, scpsCapabilities: UInt8 = 20, userTimeout: UInt8 = 28
    public static let authentication: UInt8 = 29, multipath: UInt8 = 30, fastOpen: UInt8 = 34
    /// RFC 4727 experimental kinds, shared through RFC 6994's 16-bit experiment identifier.
    public static let experiment1: UInt8 = 253, experiment2: UInt8 = 254
}

/// One SACK block (RFC 2018 3): the sequence numbers of a run of data received out of order,
/// left edge included, right edge not.
public struct TCPSACKBlock: Equatable, Sendable {
    public var left: UInt32
    public var right: UInt32
    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}

/// A TCP option as a value. A kind tunscope does not model, or a known kind with the wrong
/// length, is kept raw as `.unknown`, so emitting it gives back the same bytes.
public enum TCPOption: Equatable, Sendable {
    /// End of option list: what follows is zero padding.
    case eol
    /// Padding between options.
    case nop
    /// Maximum segment size (RFC 9293 3.7.1), SYN only.
    case mss(UInt16)
    /// Window scale shift count (RFC 7323 2), SYN only.
    case windowScale(UInt8)
    /// Selective acknowledgments allowed (RFC 2018 2), SYN only.
    case sackPermitted
    /// Selective acknowledgment blocks (RFC 2018 3).
    case sack([TCPSACKBlock])
    /// RFC 7323 3: the sender's clock and the last value it received.
    case timestamps(value: UInt32, echoReply: UInt32)
    /// Any other option: its kind and the bytes after the length byte.
    case unknown(kind: UInt8, data: Bytes)

    static let sackBlockLength = 8
    /// Kind and length bytes.
    static let headLength = 2

    public var kind: UInt8 {
        switch self {
        case .eol: return TCPOptionKind.endOfList
        case .nop: return TCPOptionKind.noOperation
        case .mss: return TCPOptionKind.maximumSegmentSize
        case .windowScale: return TCPOptionKind.windowScale
        case .sackPermitted: return TCPOptionKind.sackPermitted
        case .sack: return TCPOptionKind.sack
        case .timestamps: return TCPOptionKind.timestamps
        case let .unknown(kind, _): return kind
        }
    }

    /// Bytes on the wire, kind and length included.
    public var length: Int {
        switch self {
        case .eol, .nop: return 1
        case .mss: return 4
        case .windowScale: return 3
        case .sackPermitted: return 2
        case let .sack(blocks): return Self.headLength + blocks.count * Self.sackBlockLength
        case .timestamps: return 10
        case let .unknown(_, data): return Self.headLength + data.count
        }
    }

    /// The options Linux puts in a SYN, in its order (tcp_options_write): MSS, SACK permitted,
    /// timestamps, then a NOP to align the window scale. 20 bytes, no padding needed.
    public static func linuxSYN(mss: UInt16, tsVal: UInt32, windowScale: UInt8) -> [TCPOption] {
        [.mss(mss), .sackPermitted, .timestamps(value: tsVal, echoReply: 0), .nop, .windowScale(windowScale)]
    }

    /// Reads an option of `kind` whose bytes after the length byte are `body`.
    static func decode(kind: UInt8, _ b: Bytes, body: Range<Int>) -> TCPOption {
        let n = body.count
        let i = body.lowerBound
        switch kind {
        case TCPOptionKind.maximumSegmentSize where n == 2: return .mss(b.be16(i))
        case TCPOptionKind.windowScale where n == 1: return .windowScale(b[i])
        case TCPOptionKind.sackPermitted where n == 0: return .sackPermitted
        case TCPOptionKind.timestamps where n == 8: return .timestamps(value: b.be32(i), echoReply: b.be32(i + 4))
        case TCPOptionKind.sack where n % sackBlockLength == 0:
            return .sack(stride(from: i, to: body.upperBound, by: sackBlockLength).map {
                TCPSACKBlock(left: b.be32($0), right: b.be32($0 + 4))
            })
        default: return .unknown(kind: kind, data: Array(b[body]))
        }
    }

    /// Writes the option at `i`; the caller has made room for `length` bytes.
    func write(into b: inout Bytes, at i: Int) {
        b[i] = kind
        guard length > 1 else { return }
        b[i + 1] = UInt8(truncatingIfNeeded: length)
        let body = i + Self.headLength
        switch self {
        case .eol, .nop, .sackPermitted: break
        case let .mss(v): b.setBE16(body, v)
        case let .windowScale(v): b[body] = v
        case let .sack(blocks):
            for (n, block) in blocks.enumerated() {
                b.setBE32(body + n * Self.sackBlockLength, block.left)
                b.setBE32(body + n * Self.sackBlockLength + 4, block.right)
            }
        case let .timestamps(value, echoReply):
            b.setBE32(body, value)
            b.setBE32(body + 4, echoReply)
        case let .unknown(_, data):
            b.replaceSubrange(body..<(body + data.count), with: data)
        }
    }
}

/// Why walking the options stopped early.
public enum TCPOptionError: Equatable, Sendable {
    /// The length byte says 0 or 1, but it counts the kind and length bytes, so at least 2.
    case lengthTooShort(kind: UInt8, length: Int)
    /// The option runs past the end of the header (or of the capture); `length` is nil when
    /// even the length byte is missing.
    case pastEnd(kind: UInt8, length: Int?, available: Int)
    /// A byte after End of Option List that is not zero: RFC 9293 3.1 makes the rest padding.
    case nonZeroPadding
}

/// One step of the walk over a header's options: an option and its bytes, or why the walk
/// stopped (then it is the last element).
public enum TCPOptionElement: Equatable, Sendable {
    case option(TCPOption, range: Range<Int>)
    case malformed(TCPOptionError, range: Range<Int>)
}

/// Walks the option bytes of a header without ever reading past `range`. After End of Option
/// List each padding byte comes out as another `.eol` (as Wireshark lists them), so the options
/// read back emit the same bytes.
public struct TCPOptionIterator: IteratorProtocol, Sequence {
    let bytes: Bytes
    var position: Int
    let end: Int
    var pastEndOfList = false
    var stopped = false

    public init(_ bytes: Bytes, _ range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = Swift.min(range.upperBound, bytes.count)
    }

    public mutating func next() -> TCPOptionElement? {
        guard !stopped, position < end else { return nil }
        let i = position
        let kind = bytes[i]
        if pastEndOfList && kind != TCPOptionKind.endOfList {
            return stop(.nonZeroPadding, at: i)
        }
        switch kind {
        case TCPOptionKind.endOfList:
            pastEndOfList = true
            position += 1
            return .option(.eol, range: i..<(i + 1))
        case TCPOptionKind.noOperation:
            position += 1
            return .option(.nop, range: i..<(i + 1))
        default:
            guard i + 1 < end else { return stop(.pastEnd(kind: kind, length: nil, available: end - i), at: i) }
            let length = Int(bytes[i + 1])
            guard length >= TCPOption.headLength else { return stop(.lengthTooShort(kind: kind, length: length), at: i) }
            guard i + length <= end else { return stop(.pastEnd(kind: kind, length: length, available: end - i), at: i) }
            position = i + length
            return .option(TCPOption.decode(kind: kind, bytes, body: (i + TCPOption.headLength)..<(i + length)),
                           range: i..<(i + length))
        }
    }

    private mutating func stop(_ error: TCPOptionError, at i: Int) -> TCPOptionElement {
        stopped = true
        return .malformed(error, range: i..<end)
    }
}

/// A TCP header as values, to build segments from (smoltcp's `TcpRepr`).
public struct TCPRepr: TransportRepr, Sendable, Equatable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var urgentPointer: UInt16
    /// Written in order and padded with zeros (End of Option List) to a multiple of four.
    /// Options past the 40 bytes a header can hold are left out: the data offset cannot say more.
    public var options: [TCPOption]

    public init(
        sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: UInt32, acknowledgmentNumber: UInt32 = 0,
        flags: TCPFlags, window: UInt16 = 65535, urgentPointer: UInt16 = 0, options: [TCPOption] = []
    ) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        self.urgentPointer = urgentPointer
        self.options = options
    }

    /// Reads the header's values back; nil unless the whole header is there with a valid
    /// length and well-formed options.
    public init?(parsing h: TCPHeader) {
        guard h.isComplete else { return nil }
        var options: [TCPOption] = []
        for element in h.options {
            guard case let .option(option, _) = element else { return nil }
            options.append(option)
        }
        self.init(sourcePort: h.sourcePort, destinationPort: h.destinationPort, sequenceNumber: h.sequenceNumber,
                  acknowledgmentNumber: h.acknowledgmentNumber, flags: h.flags, window: h.window,
                  urgentPointer: h.urgentPointer, options: options)
    }

    public var proto: IPProtocol { .tcp }

    public var headerLength: Int {
        let optionsLength = options.reduce(0) { $0 + $1.length }
        return min(TCPHeader.maximumLength, TCPHeader.minimumLength + (optionsLength + 3) / 4 * 4)
    }

    /// Writes the header at `start`, the payload of `payloadLength` bytes being already in place
    /// after it: data offset, option padding and checksum (over the pseudo-header, RFC 9293
    /// 3.1) filled in, or the checksum exactly as given.
    public func emit(into b: inout Bytes, at start: Int, payloadLength: Int, pseudo: PseudoHeader,
                     checksum: ChecksumMode = .correct) {
        let O = TCPHeader.Offset.self
        let hl = headerLength
        b.setBE16(start + O.sourcePort, sourcePort)
        b.setBE16(start + O.destinationPort, destinationPort)
        b.setBE32(start + O.sequenceNumber, sequenceNumber)
        b.setBE32(start + O.acknowledgmentNumber, acknowledgmentNumber)
        b.setBE16(start + O.dataOffset, UInt16(hl / 4) << 12 | flags.rawValue)
        b.setBE16(start + O.window, window)
        b.setBE16(start + O.checksum, 0)
        b.setBE16(start + O.urgentPointer, urgentPointer)
        let headerEnd = start + hl
        var i = start + O.options
        for option in options {
            guard i + option.length <= headerEnd else { break }
            option.write(into: &b, at: i)
            i += option.length
        }
        while i < headerEnd {
            b[i] = TCPOptionKind.endOfList
            i += 1
        }
        switch checksum {
        case .correct:
            let length = hl + payloadLength
            var c = pseudo.start(protocol: proto.rawValue, length: length)
            c.add(b, start..<(start + length))
            b.setBE16(start + O.checksum, c.value)
        case let .value(v):
            b.setBE16(start + O.checksum, v)
        }
    }
}

// MARK: - Dissection

extension Dissector {
    /// TCP as Wireshark shows it ("tcp" layer, its field names and labels), without what needs
    /// the whole stream: tunscope looks at one packet at a time, so sequence and acknowledgment
    /// numbers are the raw ones (`tcp.seq_raw`), never Wireshark's relative `tcp.seq`, and there
    /// is no `tcp.stream`, `tcp.nxtseq` or analysis.
    static func dissectTCP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {
        let end = min(end, b.count)
        guard let h = TCPHeader(b, at: start, end: end) else {
            dissectShortTCP(b, at: start, end: end, ip: ip, into: &d)
            return
        }
        let O = TCPHeader.Offset.self
        let at = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        let hl = h.headerLength
        // Room for what stream analysis adds too (see Analysis's Dissection.add).
        var fields = FieldList(capacity: 64)
        addPortFields(b, start, to: &fields)
        // What the segment length is: the IP payload minus the header (unknown for a fragment,
        // and Wireshark does not show it inside an ICMP error).
        let showsLength = !ip.fragment && !ip.quoted && hl <= ip.length
        let segmentLength = ip.length - hl
        let payload = (start + min(hl, end - start))..<end
        if showsLength {
            fields.add(Field("tcp.len", "TCP Segment Len", .uint(UInt64(segmentLength)), range: payload,
                             explain: "Payload bytes in this segment (IP payload length minus the TCP header)."))
        }
        addSequenceFields(b, start, quotedByICMPv4: ip.quoted && ip.isIPv4, to: &fields)
        fields.add(Field("tcp.hdr_len", "Header Length", .uint(UInt64(hl)), note: d.describes ? fields.text("bytes (\(hl / 4))") : nil, mask: 0xf0,
                         range: at(O.dataOffset, 1),
                         explain: "Data offset: header size in 32-bit words (shown in bytes); over 20 means options."))
        // tshark's title, with the raw sequence number where tshark shows its relative one.
        func title() -> String {
            // Written, not interpolated: a tree makes one for every packet.
            var w = TextWriter(capacity: 112)
            w.write("Transmission Control Protocol, Src Port: ")
            w.write(decimal: h.sourcePort)
            w.write(", Dst Port: ")
            w.write(decimal: h.destinationPort)
            w.write(", Seq: ")
            w.write(decimal: h.sequenceNumber)
            if h.ack {
                w.write(", Ack: ")
                w.write(decimal: h.acknowledgmentNumber)
            }
            if showsLength && hl >= TCPHeader.minimumLength {
                w.write(", Len: ")
                w.write(decimal: segmentLength)
            }
            return w.string
        }

        guard hl >= TCPHeader.minimumLength else {
            // Wireshark stops here too: nothing after the data offset can be placed.
            d.add("tcp", title: title(), range: start..<(start + TCPHeader.minimumLength), fields: fields)
            d.fail("TCP header length \(hl) is less than 20", at: at(O.dataOffset, 1))
            return
        }
        addFlags(h, describing: d.describes, to: &fields)
        fields.add(Field("tcp.window_size_value", "Window", .uint(UInt64(h.window)), range: at(O.window, 2),
                         explain: "How many more bytes the sender can receive now (before any window scaling)."))
        addChecksum(h, ip: ip, to: &fields)
        fields.add(Field("tcp.urgent_pointer", "Urgent Pointer", .uint(UInt64(h.urgentPointer)),
                         range: at(O.urgentPointer, 2),
                         explain: "With URG set, where urgent data ends, as an offset from this sequence number."))
        if hl > ip.length {
            d.fail("TCP header says \(hl) bytes, but the segment is only \(ip.length)", at: at(O.dataOffset, 1))
        } else if start + hl > end && !ip.quoted {
            d.fail("TCP header says \(hl) bytes, \(end - start) left", at: start..<end)
        }
        if hl > TCPHeader.minimumLength {
            addOptions(h, to: &fields, failing: &d)
        }
        if !payload.isEmpty {
            fields.add(Field("tcp.payload", "TCP payload", .bytes, note: d.describes ? fields.text("(\(payload.count) bytes)") : nil, range: payload,
                             explain: "The data this segment carries, for the application above TCP."))
        }
        d.add("tcp", title: title(), range: start..<min(start + hl, end), payload: payload, fields: fields)
        if !payload.isEmpty && !ip.quoted && hl >= TCPHeader.minimumLength {
            dissectTCPApplication(b, h.sourcePort, h.destinationPort, payload, into: &d)
        }
    }

    /// The application above TCP, by port, as tshark picks it by default.
    private static func dissectTCPApplication(_ b: Bytes, _ source: UInt16, _ destination: UInt16, _ payload: Range<Int>,
                                              into d: inout Dissection) {
        // DNS over TCP: a segment that holds exactly one length-prefixed message, as Wireshark
        // decodes it without reassembly (and as tcpdump prints it).
        if (source == DNS.port || destination == DNS.port) && payload.count >= 2
            && Int(b.be16(payload.lowerBound)) == payload.count - 2 {
            dissectDNS(b, at: payload.lowerBound, end: payload.upperBound, overTCP: true, into: &d)
        } else if source == TLS.port || destination == TLS.port {
            dissectTLS(b, at: payload.lowerBound, end: payload.upperBound, into: &d)
        } else if HTTP.isPort(source) || HTTP.isPort(destination) {
            dissectHTTP(b, at: payload.lowerBound, end: payload.upperBound, into: &d)
        }
    }

    /// A header cut short (inside an ICMP error only its first 8 bytes need be quoted): the
    /// fields whose bytes are there.
    private static func dissectShortTCP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {
        let available = max(0, end - start)
        var fields = FieldList()
        var title = "Transmission Control Protocol"
        if available >= TCPHeader.Offset.sequenceNumber {
            addPortFields(b, start, to: &fields)
            title += ", Src Port: \(b.be16(start)), Dst Port: \(b.be16(start + TCPHeader.Offset.destinationPort))"
        }
        if available >= TCPHeader.Offset.acknowledgmentNumber {
            addSequenceFields(b, start, acknowledgment: available >= TCPHeader.Offset.dataOffset, quotedByICMPv4: ip.quoted && ip.isIPv4,
                              to: &fields)
            title += ", Seq: \(b.be32(start + TCPHeader.Offset.sequenceNumber))"
        }
        if available > 0 {
            d.add("tcp", title: title, range: start..<max(start, end), fields: fields)
        }
        if !ip.quoted {
            d.fail("TCP header needs 20 bytes, \(available) left", at: start..<max(start, end))
        }
    }

    private static func addPortFields(_ b: Bytes, _ start: Int, to fields: inout FieldList) {
        let O = TCPHeader.Offset.self
        fields.add(Field("tcp.srcport", "Source Port", .uint(UInt64(b.be16(start + O.sourcePort))),
                         range: (start + O.sourcePort)..<(start + O.sourcePort + 2),
                         explain: "The sender's port; with the addresses it names this end of the connection."))
        fields.add(Field("tcp.dstport", "Destination Port", .uint(UInt64(b.be16(start + O.destinationPort))),
                         range: (start + O.destinationPort)..<(start + O.destinationPort + 2),
                         explain: "The receiver's port: the service asked for (80 HTTP, 443 HTTPS, 22 SSH)."))
    }

    /// Sequence and (unless told not to) acknowledgment numbers; the caller checks that their
    /// bytes are there.
    /// Inside an ICMP (v4) error tshark shows the quoted sequence number as `tcp.seq`, raw, and
    /// no `tcp.seq_raw`.
    private static func addSequenceFields(_ b: Bytes, _ start: Int, acknowledgment: Bool = true, quotedByICMPv4: Bool = false,
                                          to fields: inout FieldList) {
        let O = TCPHeader.Offset.self
        if quotedByICMPv4 {
            fields.add(Field("tcp.seq", "Sequence Number", .uint(UInt64(b.be32(start + O.sequenceNumber))),
                             range: (start + O.sequenceNumber)..<(start + O.sequenceNumber + 4),
                             explain: "Number of the first payload byte of the segment the error is about."))
        } else {
            fields.add(Field("tcp.seq_raw", "Sequence Number (raw)", .uint(UInt64(b.be32(start + O.sequenceNumber))),
                         range: (start + O.sequenceNumber)..<(start + O.sequenceNumber + 4),
                         explain: "Number of the first payload byte; a SYN's is the initial sequence number, chosen at random."))
        }
        if acknowledgment {
            fields.add(Field("tcp.ack_raw", "Acknowledgment number (raw)", .uint(UInt64(b.be32(start + O.acknowledgmentNumber))),
                             range: (start + O.acknowledgmentNumber)..<(start + O.acknowledgmentNumber + 4),
                             explain: "With ACK set, the next sequence number the sender expects: all before it has arrived."))
        }
    }

    /// One flag bit: display-filter name, label, bit, what it means.
    private static let flagBits: [(name: StaticString, label: FieldText, bit: TCPFlags, explain: FieldText)] = [
        ("tcp.flags.res", "Reserved", .reserved, "Three bits reserved for future use; sent as zero."),
        ("tcp.flags.ae", "Accurate ECN", .ae, "Accurate ECN (formerly the ECN nonce, NS): negotiates finer congestion feedback."),
        ("tcp.flags.cwr", "Congestion Window Reduced", .cwr, "The sender has slowed down after an ECN-Echo (RFC 3168)."),
        ("tcp.flags.ece", "ECN-Echo", .ece, "On a SYN: ECN-capable; later: a router marked congestion on the way here (RFC 3168)."),
        ("tcp.flags.urg", "Urgent", .urg, "The urgent pointer field is in use (rare today)."),
        ("tcp.flags.ack", "Acknowledgment", .ack, "The acknowledgment number is valid; set on every segment after the first SYN."),
        ("tcp.flags.push", "Push", .psh, "Hand the data to the application now rather than waiting for more."),
        ("tcp.flags.reset", "Reset", .rst, "Abort the connection: the port is closed or the segment made no sense to the receiver."),
        ("tcp.flags.syn", "Syn", .syn, "Synchronize sequence numbers: the first segment from each side of a new connection."),
        ("tcp.flags.fin", "Fin", .fin, "The sender has no more data: one half of closing the connection."),
    ]

    /// Wireshark's flag names for the note, in its order ("(PSH, ACK)").
    private static let flagNames: [(TCPFlags, StaticString)] = [
        (.fin, "FIN"), (.syn, "SYN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"), (.urg, "URG"),
        (.ece, "ECE"), (.cwr, "CWR"), (.ae, "AE"),
    ]

    /// Wireshark's `tcp.flags.str`: one letter per bit from the reserved bits to FIN, "·" when clear.
    private static func addFlags(_ h: TCPHeader, describing: Bool, to fields: inout FieldList) {
        let flags = h.flags
        let range = (h.start + TCPHeader.Offset.dataOffset)..<(h.start + TCPHeader.Offset.dataOffset + 2)
        fields.add(Field("tcp.flags", "Flags", .uint(UInt64(flags.rawValue)), base: .hex(digits: 3),
                         note: describing ? fields.text(flagsNote(flags)) : nil, mask: UInt32(TCPHeader.flagsMask), range: range,
                         explain: "Control bits: SYN opens, FIN closes, RST aborts, ACK acknowledges.")) {
            for bit in flagBits {
                $0.add(Field(bit.name, bit.label, .bool(!flags.isDisjoint(with: bit.bit)), mask: UInt32(bit.bit.rawValue),
                             range: range, explain: bit.explain))
            }
            $0.add(Field("tcp.flags.str", "TCP Flags", .bitLetters(UInt64(flags.rawValue), letters: "RRRACEUAPRSF"), range: range,
                         explain: "All flags at a glance, from the reserved bits down to FIN."))
        }
    }

    /// "(SYN, ACK)", as Wireshark lists the flags that are set.
    private static func flagsNote(_ flags: TCPFlags) -> String {
        var note = TextWriter(capacity: 64)
        note.write(byte: 40)
        for (flag, name) in flagNames where flags.contains(flag) {
            if note.count > 1 { note.write(", ") }
            note.write(name)
        }
        if !flags.isDisjoint(with: .reserved) {
            if note.count > 1 { note.write(", ") }
            note.write("Reserved")
        }
        if note.count == 1 { note.write("<None>") }
        note.write(byte: 41)
        return note.string
    }

    /// The checksum and, when every byte of the segment is here, whether it is right (RFC 9293
    /// 3.1: over a pseudo-header of the IP addresses, protocol and length, then the segment).
    /// A fragment, or a segment cut short by the capture, cannot be checked: "unverified".
    private static func addChecksum(_ h: TCPHeader, ip: IPContext, to fields: inout FieldList) {
        let range = (h.start + TCPHeader.Offset.checksum)..<(h.start + TCPHeader.Offset.checksum + 2)
        var field = Field("tcp.checksum", "Checksum", .uint(UInt64(h.checksum)), base: .hex(digits: 4), range: range,
                          explain: "Ones' complement sum over a pseudo-header (addresses, protocol, length) and the whole segment.")
        let segmentEnd = h.start + ip.length
        guard !ip.fragment, ip.length >= TCPHeader.minimumLength, segmentEnd <= h.end else {
            field.note = "[unverified]"
            fields.add(field)
            fields.add(Field("tcp.checksum.status", "Checksum Status", .uint(ChecksumStatus.unverified.rawValue),
                             note: "(Unverified)", range: range,
                             explain: "Not checked: the segment is a fragment or was not captured whole."))
            return
        }
        var c = ip.pseudo.start(protocol: IPProtocol.tcp.rawValue, length: ip.length)
        c.add(h.bytes, h.start..<segmentEnd)
        let ok = c.value == 0
        let calculated = ok ? h.checksum : InternetChecksum.expected(received: h.checksum, verifyResult: c.value)
        field.note = ok ? "[correct]" : fields.text("[incorrect, should be 0x\(hex(calculated, 4))]")
        fields.add(field)
        fields.add(Field("tcp.checksum.status", "Checksum Status", .uint(ok ? ChecksumStatus.good.rawValue : ChecksumStatus.bad.rawValue),
                         note: ok ? "(Good)" : "(Bad)", range: range,
                         explain: "Whether the checksum is right: 1 good, 0 bad. A receiver silently drops a bad segment."))
        fields.add(Field("tcp.checksum_calculated", "Calculated Checksum", .uint(UInt64(calculated)), base: .hex(digits: 4),
                         range: range, explain: "The checksum this segment should carry."))
    }

    /// The options, one child each, as Wireshark lists them (padding after End of Option List
    /// included, one EOL per byte). A malformed option ends the list and marks the packet.
    private static func addOptions(_ h: TCPHeader, to fields: inout FieldList, failing d: inout Dissection) {
        let range = h.optionsRange
        let declared = h.headerLength - TCPHeader.minimumLength
        let heading = fields.fields.count
        // The heading's note lists the options, as tshark's does: "(20 bytes), Maximum segment size, ...".
        let describing = d.describes
        var note = describing ? "(\(declared) bytes)" : ""
        fields.add(Field("tcp.options", "Options", .none, range: range,
                         explain: "Extensions negotiated in the SYN (MSS, window scale, SACK, timestamps) or carried on every segment.")) {
            for element in h.options {
                switch element {
                case let .option(option, optionRange):
                    let info = TCPOptionInfo(option.kind)
                    if describing { note += ", \(info.listName)" }
                    addOption(option, info: info, h.bytes, optionRange, acknowledgment: h.acknowledgmentNumber,
                              describing: describing, to: &$0)
                case let .malformed(.pastEnd(kind, length?, _), badRange)
                    where badRange.lowerBound + length <= h.start + h.headerLength:
                    // The header goes on but the capture stops: what is there, as Wireshark shows it.
                    let info = TCPOptionInfo(kind)
                    let i = badRange.lowerBound
                    if describing { note += ", \(info.listName)" }
                    $0.add(Field(info.field, info.label(&$0), .none, note: "(cut short by the capture)",
                                 range: badRange, explain: info.explanation)) {
                        $0.add(Field("tcp.option_kind", "Kind", .uint(UInt64(kind)), note: info.kindNote, range: i..<(i + 1),
                                     explain: "Which option this is (IANA TCP option kind number)."))
                        $0.add(Field("tcp.option_len", "Length", .uint(UInt64(length)), range: (i + 1)..<(i + 2),
                                     explain: "Bytes in this option, kind and length included."))
                    }
                case let .malformed(error, badRange):
                    let (label, message) = describe(error, h.bytes, at: badRange.lowerBound)
                    $0.add(Field("tcp.option.len.invalid", $0.text(label), .none, range: badRange,
                                 explain: "An option whose length does not fit: the options after it cannot be found."))
                    d.fail(message, at: badRange)
                }
            }
        }
        if describing {
            let text = fields.text(note)
            fields.fields[heading].note = text
        }
    }

    /// Wireshark's label for a malformed option, and tunscope's message for it.
    private static func describe(_ error: TCPOptionError, _ b: Bytes, at i: Int) -> (String, String) {
        switch error {
        case let .lengthTooShort(kind, length):
            let name = TCPOptionInfo(kind).listName
            return ("\(name) (with too-short option length = \(length) byte\(length == 1 ? "" : "s"))",
                    "TCP option \(kind) (\(name)) has length \(length); it counts its kind and length bytes, so at least 2")
        case let .pastEnd(kind, length?, available):
            let name = TCPOptionInfo(kind).listName
            return ("\(name) (option length = \(length) bytes says option goes past end of options)",
                    "TCP option \(kind) (\(name)) says \(length) bytes, \(available) left in the header")
        case let .pastEnd(kind, nil, _):
            let name = TCPOptionInfo(kind).listName
            return ("\(name) (no option length: the header ends)",
                    "TCP option \(kind) (\(name)) has no length byte: the header ends")
        case .nonZeroPadding:
            return ("Non-zero header padding",
                    "TCP header padding after End of Option List is not zero (byte \(b[i]))")
        }
    }

    /// One option as a heading with its kind, length and values under it.
    private static func addOption(_ option: TCPOption, info: TCPOptionInfo, _ b: Bytes, _ range: Range<Int>,
                                  acknowledgment: UInt32, describing: Bool, to fields: inout FieldList) {
        let i = range.lowerBound
        let kind = option.kind
        let heading = fields.fields.count
        var note: String?
        fields.add(Field(info.field, info.label(&fields), .none, range: range, explain: info.explanation)) { children in
            children.add(Field("tcp.option_kind", "Kind", .uint(UInt64(kind)), note: info.kindNote, range: i..<(i + 1),
                               explain: "Which option this is (IANA TCP option kind number)."))
            if range.count > 1 {
                var length = Field("tcp.option_len", "Length", .uint(UInt64(range.count)), range: (i + 1)..<(i + 2),
                                   explain: "Bytes in this option, kind and length included.")
                if let expected = info.fixedLength, expected != range.count {
                    length.note = children.text("[option length should be \(expected)]")
                }
                children.add(length)
            }
            let body = min(i + TCPOption.headLength, range.upperBound)..<range.upperBound
            let field = { (offset: Int, length: Int) in (body.lowerBound + offset)..<(body.lowerBound + offset + length) }
            switch option {
            case .eol, .nop, .sackPermitted:
                break
            case let .mss(v):
                if describing { note = "(\(v) bytes)" }
                children.add(Field("tcp.options.mss_val", "MSS Value", .uint(UInt64(v)), range: field(0, 2),
                                   explain: "The largest segment payload the sender can receive, in bytes."))
            case let .windowScale(shift):
                let multiplier = 1 << min(Int(shift), maximumWindowScale)
                if describing { note = "(\(shift), multiply by \(multiplier))" }
                children.add(Field("tcp.options.wscale.shift", "Shift count", .uint(UInt64(shift)),
                                   note: shift > UInt8(maximumWindowScale) ? "[exceeds 14]" : nil, range: field(0, 1),
                                   explain: "Window fields of this sender are shifted left by this much (at most 14)."))
                children.add(Field("tcp.options.wscale.multiplier", "Multiplier", .uint(UInt64(multiplier)),
                                   range: field(0, 1), explain: "The same as a factor: 2 to the shift count."))
            case let .sack(blocks):
                addSACK(blocks, body, acknowledgment: acknowledgment, to: &children)
                if describing { note = "(\(blocks.map { "\($0.left)-\($0.right)" }.joined(separator: " ")))" }
            case let .timestamps(value, echoReply):
                if describing { note = "(TSval \(value), TSecr \(echoReply))" }
                children.add(Field("tcp.options.timestamp.tsval", "Timestamp value", .uint(UInt64(value)), range: field(0, 4),
                                   explain: "The sender's timestamp clock when it sent this segment."))
                children.add(Field("tcp.options.timestamp.tsecr", "Timestamp echo reply", .uint(UInt64(echoReply)),
                                   range: field(4, 4), explain: "The latest timestamp value received from the other side."))
            case let .unknown(kind, data):
                let (valueFields, valueNote) = otherOptionFields(kind: kind, data: data, body, info: info)
                children.add(contentsOf: valueFields)
                if describing { note = valueNote.map { "(\($0))" } }
            }
        }
        if describing, let note {
            let text = fields.text(note)
            fields.fields[heading].note = text
        }
    }

    /// RFC 7323 2.3: a shift over 14 is treated as 14.
    private static let maximumWindowScale = 14

    /// SACK edges as in the packet (raw; Wireshark by default shows them relative to the
    /// connection's first sequence number, which tunscope does not track), the count, and
    /// RFC 2883's D-SACK: a first block at or below the acknowledgment number, or inside the
    /// second block, reports a duplicate.
    private static func addSACK(_ blocks: [TCPSACKBlock], _ body: Range<Int>, acknowledgment: UInt32, to fields: inout FieldList) {
        for (n, block) in blocks.enumerated() {
            let at = body.lowerBound + n * TCPOption.sackBlockLength
            fields.add(Field("tcp.options.sack_le", "left edge", .uint(UInt64(block.left)), range: at..<(at + 4),
                             explain: "First sequence number of a block received beyond the acknowledgment."))
            fields.add(Field("tcp.options.sack_re", "right edge", .uint(UInt64(block.right)), range: (at + 4)..<(at + 8),
                             explain: "Sequence number just after that block."))
        }
        fields.add(Field("tcp.options.sack.count", "TCP SACK Count", .uint(UInt64(blocks.count)), range: body,
                         explain: "How many blocks this option reports."))
        if let first = blocks.first {
            let belowAck = Int32(bitPattern: first.right &- acknowledgment) <= 0
            var insideSecond = false
            if blocks.count > 1 {
                let second = blocks[1]
                insideSecond = Int32(bitPattern: first.left &- second.left) >= 0
                    && Int32(bitPattern: first.right &- second.right) <= 0
            }
            if belowAck || insideSecond {
                let at = body.lowerBound
                fields.add(Field("tcp.options.sack.dsack_le", "D-SACK Left Edge", .uint(UInt64(first.left)),
                                 range: at..<(at + 4),
                                 explain: "The first block reports data received twice (RFC 2883 D-SACK)."))
                fields.add(Field("tcp.options.sack.dsack_re", "D-SACK Right Edge", .uint(UInt64(first.right)),
                                 range: (at + 4)..<(at + 8), explain: "End of the duplicate block."))
            }
        }
    }

    /// Values of the options `TCPOption` keeps raw: the historic and rarer kinds Wireshark
    /// decodes, a known kind with the wrong length, or an unknown kind's payload.
    private static func otherOptionFields(kind: UInt8, data: Bytes, _ body: Range<Int>, info: TCPOptionInfo)
        -> ([Field], String?) {
        let n = data.count
        let at = { (offset: Int, length: Int) in (body.lowerBound + offset)..<(body.lowerBound + offset + length) }
        let word = { (offset: Int) in UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8 | UInt32(data[offset + 3]) }
        let rest = { (offset: Int) in (body.lowerBound + offset)..<body.upperBound }
        if let fixed = info.fixedLength, fixed != n + TCPOption.headLength { return ([], nil) }
        switch kind {
        case TCPOptionKind.echo, TCPOptionKind.echoReply:
            return ([Field("tcp.options.echo_value", "TCP Echo Option", .uint(UInt64(word(0))), range: at(0, 4),
                           explain: "A value for the other side to echo back (RFC 1072), to measure round-trip time.")],
                    "\(word(0))")
        case TCPOptionKind.connectionCount, TCPOptionKind.connectionCountNew, TCPOptionKind.connectionCountEcho:
            return ([Field("tcp.options.cc_value", "TCP CC Option", .uint(UInt64(word(0))), range: at(0, 4),
                           explain: "T/TCP connection count (RFC 1644), to skip the three-way handshake.")], nil)
        case TCPOptionKind.md5Signature:
            return ([Field("tcp.options.md5.digest", "MD5 digest", .bytes, range: body,
                           explain: "MD5 of the segment and a shared secret; the receiver drops a segment that does not match.")], nil)
        case TCPOptionKind.userTimeout:
            let value = UInt16(data[0]) << 8 | UInt16(data[1])
            return ([Field("tcp.options.user_to_granularity", "Granularity", .bool(value & 0x8000 != 0),
                           note: value & 0x8000 != 0 ? "(Minutes)" : "(Seconds)", mask: 0x8000, range: at(0, 2),
                           explain: "Whether the timeout is in minutes (set) or seconds."),
                     Field("tcp.options.user_to_val", "User Timeout", .uint(UInt64(value & 0x7fff)), mask: 0x7fff, range: at(0, 2),
                           explain: "How long the sender will wait for its data to be acknowledged before giving up.")], nil)
        case TCPOptionKind.authentication:
            guard n >= 2 else {
                return ([], nil)
            }
            var fields = FieldList()
            fields.add(Field("tcp.options.ao.keyid", "AO KeyID", .uint(UInt64(data[0])), range: at(0, 1),
                             explain: "Which of the shared keys made the MAC."))
            fields.add(Field("tcp.options.ao.rnextkeyid", "AO RNextKeyID", .uint(UInt64(data[1])), range: at(1, 1),
                             explain: "The key the sender wants to receive next."))
            if n > 2 {
                fields.add(Field("tcp.options.ao.mac", "AO MAC", .bytes, range: rest(2),
                                 explain: "Message authentication code over the segment."))
            }
            return (fields.fields, nil)
        case TCPOptionKind.fastOpen:
            return (fastOpenFields(n, range: body), nil)
        case TCPOptionKind.experiment1, TCPOptionKind.experiment2:
            guard n >= 2 else { return ([], nil) }
            let exid = UInt16(data[0]) << 8 | UInt16(data[1])
            let isFastOpen = exid == fastOpenExperimentID
            var fields = FieldList()
            fields.add(Field("tcp.options.experimental.exid", "Experiment Identifier", .uint(UInt64(exid)),
                                base: .hex(digits: 4), note: isFastOpen ? "(Fast Open)" : "(Unknown)", range: at(0, 2),
                                explain: "RFC 6994: which experiment this option belongs to."))
            if isFastOpen {
                fields.add(contentsOf: fastOpenFields(n - 2, range: rest(2)))
            } else if n > 2 {
                fields.add(Field("tcp.options.experimental.data", "Data", .bytes, range: rest(2),
                                 explain: "The experiment's own bytes."))
            }
            return (fields.fields, isFastOpen ? "Fast Open" : "Unknown")
        case TCPOptionKind.scpsCapabilities, TCPOptionKind.multipath:
            return ([], nil)
        default:
            guard TCPOptionInfo(kind).isUnknown, n > 0 else { return ([], nil) }
            return ([Field("tcp.options.unknown.payload", "Payload", .bytes, range: body,
                           explain: "The option's bytes, which tunscope does not decode.")], nil)
        }
    }

    /// RFC 7413 4.1.1: Fast Open's experiment identifier, used before kind 34 was assigned.
    static let fastOpenExperimentID: UInt16 = 0xf989

    private static func fastOpenFields(_ cookieLength: Int, range: Range<Int>) -> [Field] {
        if cookieLength == 0 {
            return [Field("tcp.options.tfo.request", "Fast Open Cookie Request", .none, range: range,
                          explain: "The client asks for a cookie so its next SYN can carry data.")]
        }
        return [Field("tcp.options.tfo.cookie", "Fast Open Cookie", .bytes, range: range,
                      explain: "The server's cookie: a SYN that presents it may carry data the server accepts at once.")]
    }
}

/// How Wireshark names an option kind, and what tunscope says it is for.
struct TCPOptionInfo {
    /// Wireshark's kind value string, as the kind's note ("(Maximum Segment Size)").
    let kindNote: FieldText
    /// Wireshark's option title ("Maximum segment size").
    let listName: String
    /// The option heading's label ("TCP Option - Maximum segment size"), written out so that no
    /// packet pays for putting it together (nil for an unknown kind, whose label names the kind).
    private let knownLabel: StaticString?
    /// The option heading's display-filter name.
    let field: StaticString
    let fixedLength: Int?
    let explanation: FieldText
    private(set) var isUnknown = false

    /// The heading's label; an unknown kind's is made for the packet and kept by `list`.
    func label(_ list: inout FieldList) -> FieldText {
        knownLabel.map { .literal($0) } ?? list.text("TCP Option - \(listName)")
    }

    init(_ kind: UInt8) {
        let K = TCPOptionKind.self
        switch kind {
        case K.endOfList:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(End of Option List)", "End of Option List (EOL)", "TCP Option - End of Option List (EOL)", "tcp.options.eol", nil)
            explanation = "End of the options; the rest of the header is zero padding."
        case K.noOperation:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(No-Operation)", "No-Operation (NOP)", "TCP Option - No-Operation (NOP)", "tcp.options.nop", nil)
            explanation = "One byte of padding, so that the next option starts on a 4-byte boundary."
        case K.maximumSegmentSize:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(Maximum Segment Size)", "Maximum segment size", "TCP Option - Maximum segment size", "tcp.options.mss", 4)
            explanation = "The largest segment the sender can receive (RFC 9293 3.7.1); sent only in SYNs."
        case K.windowScale:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(Window Scale)", "Window scale", "TCP Option - Window scale", "tcp.options.wscale", 3)
            explanation = "RFC 7323: window fields count in units of 2^shift, so windows can pass 64 KiB; SYN only."
        case K.sackPermitted:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(SACK Permitted)", "SACK permitted", "TCP Option - SACK permitted", "tcp.options.sack_perm", 2)
            explanation = "The sender understands selective acknowledgments (RFC 2018); SYN only."
        case K.sack:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(SACK)", "SACK", "TCP Option - SACK", "tcp.options.sack", nil)
            explanation = "Selective acknowledgment (RFC 2018): data received beyond a gap, so only the gap is resent."
        case K.echo:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(Echo)", "Echo", "TCP Option - Echo", "tcp.options.echo", 6)
            explanation = "RFC 1072 echo, for round-trip time; obsolete, replaced by timestamps."
        case K.echoReply:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(Echo Reply)", "Echo reply", "TCP Option - Echo reply", "tcp.options.echoreply", 6)
            explanation = "RFC 1072 echo reply; obsolete, replaced by timestamps."
        case K.timestamps:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(Time Stamp Option)", "Timestamps", "TCP Option - Timestamps", "tcp.options.timestamp", 10)
            explanation = "RFC 7323: the sender's clock and the last value received, for round-trip time and PAWS."
        case K.connectionCount:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(CC)", "CC", "TCP Option - CC", "tcp.options.cc", 6)
            explanation = "RFC 1644 T/TCP connection count (historic)."
        case K.connectionCountNew:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(CC.NEW)", "CC.NEW", "TCP Option - CC.NEW", "tcp.options.ccnew", 6)
            explanation = "RFC 1644 T/TCP connection count, new (historic)."
        case K.connectionCountEcho:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(CC.ECHO)", "CC.ECHO", "TCP Option - CC.ECHO", "tcp.options.ccecho", 6)
            explanation = "RFC 1644 T/TCP connection count echo (historic)."
        case K.md5Signature:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(MD5 Signature Option)", "TCP MD5 signature", "TCP Option - TCP MD5 signature", "tcp.options.md5", 18)
            explanation = "RFC 2385 MD5 signature with a shared secret (BGP sessions); superseded by TCP-AO."
        case K.scpsCapabilities:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(SCPS Capabilities)", "SCPS capabilities", "TCP Option - SCPS capabilities", "tcp.options.scps", nil)
            explanation = "SCPS-TP capabilities (space links, CCSDS 714.0-B-2)."
        case K.userTimeout:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(User Timeout Option)", "User Timeout", "TCP Option - User Timeout", "tcp.options.user_to", 4)
            explanation = "RFC 5482: how long the sender waits for acknowledgments before dropping the connection."
        case K.authentication:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(The TCP Authentication Option)", "TCP AO", "TCP Option - TCP AO", "tcp.options.ao", nil)
            explanation = "RFC 5925 TCP Authentication Option: a MAC over the segment with a shared key."
        case K.multipath:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(Multipath TCP)", "Multipath TCP", "TCP Option - Multipath TCP", "mptcp", nil)
            explanation = "Multipath TCP (RFC 8684): one connection over several paths; subtype in the next byte."
        case K.fastOpen:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(TCP Fast Open Cookie)", "TCP Fast Open", "TCP Option - TCP Fast Open", "tcp.options.tfo", nil)
            explanation = "TCP Fast Open (RFC 7413): a cookie that lets a SYN carry data."
        case K.experiment1:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(RFC3692-style Experiment 1)", "Experimental", "TCP Option - Experimental", "tcp.options.experimental", nil)
            explanation = "An experimental option (RFC 4727), named by the 16-bit identifier after the length (RFC 6994)."
        case K.experiment2:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(RFC3692-style Experiment 2)", "Experimental", "TCP Option - Experimental", "tcp.options.experimental", nil)
            explanation = "An experimental option (RFC 4727), named by the 16-bit identifier after the length (RFC 6994)."
        default:
            (kindNote, listName, knownLabel, field, fixedLength) = ("(Unknown)", "Unknown (0x\(hex(kind, 2)))", nil, "tcp.options.unknown", nil)
            explanation = "An option kind tunscope does not know; its bytes are shown raw."
            isUnknown = true
        }
    }
}

// MARK: - Summary

/// What tcpdump without -S subtracts from a segment's numbers: its sequence and acknowledgment
/// numbers, and the edges of its SACK blocks.
public struct TCPNumberOffsets: Sendable, Equatable {
    public var seq: UInt32
    public var ack: UInt32
    public var sack: UInt32

    public init(seq: UInt32, ack: UInt32, sack: UInt32) {
        self.seq = seq
        self.ack = ack
        self.sack = sack
    }
}

extension Summary {
    /// tcpdump 4.99.3's `tcp_print` with -nn -S at default verbosity: endpoints, flags, raw
    /// sequence numbers, window, urgent pointer, options, length, then the first line of the
    /// text protocols tcpdump recognizes by port. Inside an ICMP error the ICMP printer quotes
    /// the segment itself; this is never called there.
    static func writeTCP(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {
        // tcpdump's snapshot end is the end of the IP payload, whatever was captured past it.
        let end = min(end, b.count, start + max(0, ip.length))
        let O = TCPHeader.Offset.self
        guard end - start >= O.destinationPort + 2 else {
            ip.writeAddresses(into: &w)
            w.write(": [|tcp]")
            return
        }
        let sourcePort = b.be16(start + O.sourcePort), destinationPort = b.be16(start + O.destinationPort)
        ip.writeEndpoints(sourcePort: sourcePort, destinationPort: destinationPort, into: &w)
        w.write(": ")
        guard let h = TCPHeader(b, at: start, end: end) else {
            w.write(" [|tcp]")
            return
        }
        let hl = h.headerLength
        // tcpdump's lengths are unsigned 32-bit: a header longer than the segment wraps.
        let ipLength = UInt32(truncatingIfNeeded: ip.length)
        if hl < TCPHeader.minimumLength {
            w.write(" tcp ")
            w.write(unsigned: UInt64(ipLength &- UInt32(hl)))
            w.write(" [bad hdr length ")
            w.write(decimal: hl)
            w.write(" - too short, < 20]")
            return
        }
        let flags = b[start + O.flags]
        w.write("Flags [")
        if flags == 0 { w.write("none") }
        for (bit, letter) in tcpdumpFlagLetters where flags & bit != 0 { w.write(byte: letter) }
        w.write(byte: 93)
        if hl > ip.length {
            w.write(" [bad hdr length ")
            w.write(decimal: hl)
            w.write(" - too long, > ")
            w.write(unsigned: UInt64(ipLength))
            w.write(byte: 93)
            return
        }
        let length = ip.length - hl
        let control = TCPFlags(rawValue: UInt16(flags))
        let seq = h.sequenceNumber &- (w.tcpdumpOffsets?.seq ?? 0)
        if length > 0 || !control.isDisjoint(with: [.syn, .fin, .rst]) {
            w.write(", seq ")
            w.write(unsigned: UInt64(seq))
            if length > 0 {
                w.write(byte: 58)
                w.write(unsigned: UInt64(seq &+ UInt32(truncatingIfNeeded: length)))
            }
        }
        if control.contains(.ack) {
            w.write(", ack ")
            w.write(unsigned: UInt64(h.acknowledgmentNumber &- (w.tcpdumpOffsets?.ack ?? 0)))
        }
        w.write(", win ")
        w.write(unsigned: UInt64(h.window))
        if control.contains(.urg) {
            w.write(", urg ")
            w.write(unsigned: UInt64(h.urgentPointer))
        }
        // tcpdump's truncation mark names the last printer that ran: "mptcp" after an MPTCP option.
        var truncationMark: StaticString = " [|tcp]"
        if hl > TCPHeader.minimumLength {
            guard let mark = writeTcpdumpOptions(h, payloadLength: length, into: &w) else { return }
            truncationMark = mark
        }
        w.write(", length ")
        w.write(decimal: length)
        guard length > 0 else { return }
        if start + hl > end {
            // Only reachable when End of Option List stopped the option printer early.
            w.write(" [remaining caplen(")
            w.write(decimal: end - start)
            w.write(") < header length(")
            w.write(decimal: hl)
            w.write(")]")
            w.write(truncationMark)
            return
        }
        writeTCPApplication(b, at: start + hl, length: length, end: end, ports: (sourcePort, destinationPort), into: &w)
    }

    /// tcpdump's `tcp_flag_values`, printed in this order, with "." for ACK.
    private static let tcpdumpFlagLetters: [(UInt8, UInt8)] = [
        (0x01, UInt8(ascii: "F")), (0x02, UInt8(ascii: "S")), (0x04, UInt8(ascii: "R")), (0x08, UInt8(ascii: "P")),
        (0x10, UInt8(ascii: ".")), (0x20, UInt8(ascii: "U")), (0x40, UInt8(ascii: "E")), (0x80, UInt8(ascii: "W")),
    ]

    /// The payload printers tcpdump 4.99.3 chooses by port at default verbosity.
    private enum TcpdumpPayloadPrinter {
        case text(TextProtocol), ssh, dns
        /// A printer tunscope does not reproduce (Telnet, BGP, PPTP, Redis, NetBIOS, SMB, BEEP,
        /// OpenFlow, MSDP, RPKI-RTR, LDP, NFS): nothing is printed after the length.
        case notReproduced

        /// The printer for a port and its place in `tcp_print`'s chain of port tests (lower
        /// first: when both ports have one, the earlier test wins).
        static func forPort(_ port: UInt16) -> (rank: Int, printer: Self)? {
            switch port {
            case 23: return (0, .notReproduced)
            case 25: return (1, .text(.smtp))
            case 43: return (2, .text(.whois))
            case 179: return (3, .notReproduced)
            case 1723: return (4, .notReproduced)
            case 6379: return (5, .notReproduced)
            case 22: return (6, .ssh)
            case 139, 445: return (7, .notReproduced)
            case 10288, 6633, 6653: return (8, .notReproduced)
            case 21: return (9, .text(.ftp))
            case 80, 8080: return (10, .text(.http))
            case 554, 8554: return (11, .text(.rtsp))
            case DNS.port: return (12, .dns)
            default: return nil
            }
        }
    }

    private static func writeTCPApplication(_ b: Bytes, at payload: Int, length: Int, end: Int,
                                            ports: (UInt16, UInt16), into w: inout TextWriter) {
        let source = TcpdumpPayloadPrinter.forPort(ports.0), destination = TcpdumpPayloadPrinter.forPort(ports.1)
        let chosen: TcpdumpPayloadPrinter
        switch (source, destination) {
        case let (s?, d?): chosen = s.rank <= d.rank ? s.printer : d.printer
        case let (s?, nil): chosen = s.printer
        case let (nil, d?): chosen = d.printer
        case (nil, nil): return
        }
        switch chosen {
        case let .text(p): writeTextProtocol(p, b, at: payload, length: length, end: end, into: &w)
        case .ssh: writeSSHVersion(b, at: payload, length: length, end: end, into: &w)
        case .dns: writeDNS(b, at: payload, end: end, length: length, overTCP: true, into: &w)
        case .notReproduced: break
        }
    }

    /// tcpdump's option printer, byte for byte, quirks included: a known option with the wrong
    /// length prints its usual value, then "[len N]", and the walk goes on after the bytes it
    /// read rather than after the length; a length below 2 or past the header is "[bad opt]";
    /// bytes not captured end the line with " [|tcp]". Returns nil when the line ends here,
    /// else the truncation mark for what follows.
    private static func writeTcpdumpOptions(_ h: TCPHeader, payloadLength: Int, into w: inout TextWriter) -> StaticString? {
        let b = h.bytes, end = h.end
        var left = h.headerLength - TCPHeader.minimumLength
        var cp = h.start + TCPHeader.Offset.options
        var separator = false
        var mark: StaticString = " [|tcp]"
        w.write(", options [")
        /// tcpdump's `bad` and `trunc` endings.
        func bad() -> StaticString? {
            w.write("[bad opt]")
            if separator { w.write(byte: 93) }
            return nil
        }
        func truncated() -> StaticString? {
            w.write(mark)
            if separator { w.write(byte: 62) }
            return nil
        }
        /// tcpdump's LENCHECK: `n` value bytes must be in the option and captured. Returns
        /// true when the line has ended.
        func missing(_ n: Int) -> Bool {
            if n > left { _ = bad() } else if cp + n > end { _ = truncated() } else { return false }
            return true
        }
        while left > 0 {
            if separator { w.write(byte: 44) }
            // A byte tcpdump reads without checking: past the capture, the line just ends.
            guard cp < end else {
                w.write(mark)
                return nil
            }
            let kind = b[cp]
            cp += 1
            let hasLength = kind != TCPOptionKind.endOfList && kind != TCPOptionKind.noOperation
            var length = 1
            if hasLength {
                guard cp < end else {
                    w.write(mark)
                    return nil
                }
                length = Int(b[cp])
                cp += 1
                if length < 2 || length > left { return bad() }
                left -= 1
            }
            left -= 1
            writeTcpdumpOptionName(kind, into: &w)
            var valueLength = 0
            switch kind {
            case TCPOptionKind.maximumSegmentSize:
                valueLength = 2
                if missing(2) { return nil }
                w.write(byte: 32)
                w.write(unsigned: UInt64(b.be16(cp)))
            case TCPOptionKind.windowScale:
                valueLength = 1
                if missing(1) { return nil }
                w.write(byte: 32)
                w.write(unsigned: UInt64(b[cp]))
            case TCPOptionKind.sack:
                valueLength = length - 2
                if valueLength % TCPOption.sackBlockLength != 0 {
                    w.write(" invalid sack")
                } else {
                    w.write(byte: 32)
                    w.write(decimal: valueLength / TCPOption.sackBlockLength)
                    w.write(byte: 32)
                    let offset = w.tcpdumpOffsets?.sack ?? 0
                    for i in stride(from: 0, to: valueLength, by: TCPOption.sackBlockLength) {
                        if missing(i + 8) { return nil }
                        w.write(byte: 123)
                        w.write(unsigned: UInt64(b.be32(cp + i) &- offset))
                        w.write(byte: 58)
                        w.write(unsigned: UInt64(b.be32(cp + i + 4) &- offset))
                        w.write(byte: 125)
                    }
                }
            case TCPOptionKind.connectionCount, TCPOptionKind.connectionCountNew, TCPOptionKind.connectionCountEcho,
                TCPOptionKind.echo, TCPOptionKind.echoReply:
                valueLength = 4
                if missing(4) { return nil }
                w.write(byte: 32)
                w.write(unsigned: UInt64(b.be32(cp)))
            case TCPOptionKind.timestamps:
                valueLength = 8
                if missing(8) { return nil }
                w.write(" val ")
                w.write(unsigned: UInt64(b.be32(cp)))
                w.write(" ecr ")
                w.write(unsigned: UInt64(b.be32(cp + 4)))
            case TCPOptionKind.md5Signature:
                valueLength = md5DigestLength
                if missing(md5DigestLength) { return nil }
                // tcpdump (built with OpenSSL) would verify the digest, but has no secret without -M.
                let payloadStart = h.start + h.headerLength
                w.write(payloadStart + payloadLength > end ? " snaplen too short, " : " shared secret not supplied with -M, ")
                w.write("can't check - ")
                for i in 0..<md5DigestLength { w.write(hex: UInt64(b[cp + i]), digits: 2) }
            case TCPOptionKind.scpsCapabilities:
                valueLength = 2
                if missing(2) { return nil }
                w.write(" cap ")
                w.write(hex: UInt64(b[cp]), digits: 2)
                w.write(" id ")
                w.write(unsigned: UInt64(b[cp + 1]))
            case TCPOptionKind.authentication:
                valueLength = length - 2
                if valueLength < 2 {
                    w.write(" (invalid)")
                } else {
                    if missing(1) { return nil }
                    w.write(" keyid ")
                    w.write(unsigned: UInt64(b[cp]))
                    if missing(2) { return nil }
                    w.write(" rnextkeyid ")
                    w.write(unsigned: UInt64(b[cp + 1]))
                    if valueLength > 2 {
                        w.write(" mac 0x")
                        for i in 2..<valueLength {
                            if missing(i + 1) { return nil }
                            w.write(hex: UInt64(b[cp + i]), digits: 2)
                        }
                    }
                }
            case TCPOptionKind.endOfList, TCPOptionKind.noOperation, TCPOptionKind.sackPermitted:
                break
            case TCPOptionKind.userTimeout:
                valueLength = 2
                if missing(2) { return nil }
                // tcpdump reads the low bit as the granularity (RFC 5482 puts it in the high bit).
                let value = b.be16(cp)
                w.write(" 0x")
                w.write(hex: UInt64(value))
                w.write(byte: 32)
                w.write(unsigned: value & 1 != 0 ? UInt64(value >> 1) * 60 : UInt64(value >> 1))
            case TCPOptionKind.multipath:
                valueLength = length - 2
                if missing(valueLength) { return nil }
                mark = " [|mptcp]"
                guard writeTcpdumpMultipath(b, at: cp - 2, length: length, tcpFlags: b[h.start + TCPHeader.Offset.flags],
                                            into: &w) else { return bad() }
            case TCPOptionKind.fastOpen:
                valueLength = length - 2
                if missing(valueLength) { return nil }
                w.write(byte: 32)
                writeTcpdumpFastOpen(b, at: cp, cookieLength: valueLength, into: &w)
            case TCPOptionKind.experiment2:
                valueLength = length - 2
                if missing(valueLength) { return nil }
                if valueLength < 2 { return bad() }
                let exid = b.be16(cp)
                w.write(byte: 45)
                if exid == Dissector.fastOpenExperimentID {
                    w.write("tfo")
                    writeTcpdumpFastOpen(b, at: cp + 2, cookieLength: valueLength - 2, into: &w)
                } else {
                    w.write(hex: UInt64(exid), digits: 4)
                }
            default:
                valueLength = length - 2
                if valueLength > 0 { w.write(" 0x") }
                for i in 0..<valueLength {
                    if missing(i + 1) { return nil }
                    w.write(hex: UInt64(b[cp + i]), digits: 2)
                }
            }
            cp += valueLength
            left -= valueLength
            if valueLength + (hasLength ? 2 : 1) != length {
                w.write("[len ")
                w.write(decimal: length)
                w.write(byte: 93)
            }
            separator = true
            if kind == TCPOptionKind.endOfList { break }
        }
        w.write(byte: 93)
        return mark
    }

    /// RFC 2385: the digest is 16 bytes.
    private static let md5DigestLength = 16

    /// tcpdump's names (`tcp_option_values`); kind 13 really is the empty string there.
    private static func writeTcpdumpOptionName(_ kind: UInt8, into w: inout TextWriter) {
        let K = TCPOptionKind.self
        switch kind {
        case K.endOfList: w.write("eol")
        case K.noOperation: w.write("nop")
        case K.maximumSegmentSize: w.write("mss")
        case K.windowScale: w.write("wscale")
        case K.sackPermitted: w.write("sackOK")
        case K.sack: w.write("sack")
        case K.echo: w.write("echo")
        case K.echoReply: w.write("echoreply")
        case K.timestamps: w.write("TS")
        case K.connectionCount: w.write("cc")
        case K.connectionCountNew: w.write("ccnew")
        case K.connectionCountEcho: break
        case K.md5Signature: w.write("md5")
        case K.scpsCapabilities: w.write("scps")
        case K.userTimeout: w.write("uto")
        case K.authentication: w.write("tcp-ao")
        case K.multipath: w.write("mptcp")
        case K.fastOpen: w.write("tfo")
        case K.experiment2: w.write("exp")
        default:
            w.write("unknown-")
            w.write(decimal: kind)
        }
    }

    /// tcpdump's `mptcp_print` (RFC 8684 3): option length, subtype name, then what each subtype
    /// carries; false when tcpdump finds the option bad for its length or the segment's flags.
    /// `o` is where the option starts (its kind byte); the whole option has been captured.
    private static func writeTcpdumpMultipath(_ b: Bytes, at o: Int, length: Int, tcpFlags: UInt8,
                                              into w: inout TextWriter) -> Bool {
        guard length >= 3 else { return false }
        let subtype = min(Int(b[o + 2] >> 4), multipathSubtypeNames.count - 1)
        w.write(byte: 32)
        w.write(decimal: length)
        w.write(byte: 32)
        w.write(multipathSubtypeNames[subtype])
        let syn = tcpFlags & 0x02 != 0, ack = tcpFlags & 0x10 != 0
        func hex64(_ i: Int) {
            w.write("0x")
            w.write(hex: b.be64(i))
        }
        switch subtype {
        case 0:  // MP_CAPABLE: keys in SYN (12), SYN/ACK (12) and the third ACK (20, 22 with data).
            guard ((length == 12 || length == 4) && syn) || ((length == 20 || length == 22) && ack && !syn) else { return false }
            let version = b[o + 2] & 0x0f
            guard version <= 1 else {
                w.write(" Unknown Version (")
                w.write(decimal: version)
                w.write(byte: 41)
                return true
            }
            w.write(" v")
            w.write(decimal: version)
            if b[o + 3] & 0x80 != 0 { w.write(" csum") }
            if length == 12 || length >= 20 {
                w.write(" {")
                hex64(o + 4)
                if length >= 20 {
                    w.write(byte: 44)
                    hex64(o + 12)
                }
                w.write(byte: 125)
            }
        case 1:  // MP_JOIN: token and nonce (SYN), truncated HMAC and nonce (SYN/ACK), HMAC (ACK).
            guard (length == 12 && syn) || (length == 16 && syn && ack) || (length == 24 && ack) else { return false }
            if length != 24 {
                if b[o + 2] & 0x01 != 0 { w.write(" backup") }
                w.write(" id ")
                w.write(decimal: b[o + 3])
            }
            switch length {
            case 12:
                w.write(" token 0x")
                w.write(hex: UInt64(b.be32(o + 4)))
                w.write(" nonce 0x")
                w.write(hex: UInt64(b.be32(o + 8)))
            case 16:
                w.write(" hmac ")
                hex64(o + 4)
                w.write(" nonce 0x")
                w.write(hex: UInt64(b.be32(o + 12)))
            default:
                w.write(" hmac 0x")
                for i in 4..<24 { w.write(hex: UInt64(b[o + i]), digits: 2) }
            }
        case 2:  // DSS: data ACK and mapping, each 4 or 8 bytes by its flag.
            guard length >= 4, !syn else { return false }
            let flags = b[o + 3]
            var p = o + 4, left = length - 4
            func number(wide: Bool) -> Bool {
                let size = wide ? 8 : 4
                guard left >= size else { return false }
                w.write(unsigned: wide ? b.be64(p) : UInt64(b.be32(p)))
                p += size
                left -= size
                return true
            }
            if flags & 0x10 != 0 { w.write(" fin") }
            if flags & 0x01 != 0 {
                w.write(" ack ")
                guard number(wide: flags & 0x02 != 0) else { return false }
            }
            if flags & 0x04 != 0 {
                w.write(" seq ")
                guard number(wide: flags & 0x08 != 0), left >= 4 else { return false }
                w.write(" subseq ")
                guard number(wide: false), left >= 2 else { return false }
                w.write(" len ")
                w.write(unsigned: UInt64(b.be16(p)))
                p += 2
                left -= 2
                if left >= 2 {
                    w.write(" csum 0x")
                    w.write(hex: UInt64(b.be16(p)))
                    left -= 2
                }
            }
            return left == 0
        case 3:  // ADD_ADDR: an IPv4 or IPv6 address, maybe a port, maybe an HMAC, told by the length.
            guard [8, 10, 16, 18, 20, 22, 28, 30].contains(length) else { return false }
            w.write(byte: 32)
            switch b[o + 2] & 0x0f {
            case 6: w.write("v0-ip6")
            case 4: w.write("v0-ip4")
            case 1: w.write("v1-echo")
            case 0: w.write("v1")
            default: w.write("[bad version/echo]")
            }
            w.write(" id ")
            w.write(decimal: b[o + 3])
            let isIPv4 = length < 20
            w.write(byte: 32)
            if isIPv4 { w.write(ipv4: b.be32(o + 4)) } else { w.write(ipv6: IPv6Address(b, at: o + 4)) }
            let afterAddress = o + (isIPv4 ? 8 : 20)
            let withPort = [10, 18, 22, 30].contains(length)
            if withPort {
                w.write(byte: 58)
                w.write(unsigned: UInt64(b.be16(afterAddress)))
            }
            if [16, 18, 28, 30].contains(length) {
                w.write(" hmac ")
                hex64(afterAddress + (withPort ? 2 : 0))
            }
        case 4:  // REMOVE_ADDR: address IDs.
            guard length >= 4 else { return false }
            w.write(" id")
            for i in 3..<length {
                w.write(byte: 32)
                w.write(decimal: b[o + i])
            }
        case 5:  // MP_PRIO
            guard length == 3 || length == 4 else { return false }
            w.write(b[o + 2] & 0x01 != 0 ? " backup" : " non-backup")
            if length == 4 {
                w.write(" id ")
                w.write(decimal: b[o + 3])
            }
        case 6:  // MP_FAIL
            guard length == 12 else { return false }
            w.write(" seq ")
            w.write(unsigned: b.be64(o + 4))
        case 7:  // MP_FASTCLOSE
            guard length == 12 else { return false }
            w.write(" key ")
            hex64(o + 4)
        default:
            break
        }
        return true
    }

    /// tcpdump's `mptcp_options` names, by subtype; the last stands for every higher subtype.
    private static let multipathSubtypeNames: [StaticString] = [
        "capable", "join", "dss", "add-addr", "rem-addr", "prio", "fail", "fast-close", "unknown",
    ]

    /// tcpdump's `print_tcp_fastopen_option` (RFC 7413 4.1.1: a cookie is 4 to 16 bytes, even).
    private static func writeTcpdumpFastOpen(_ b: Bytes, at i: Int, cookieLength: Int, into w: inout TextWriter) {
        if cookieLength == 0 {
            w.write(" cookiereq")
        } else if cookieLength % 2 != 0 || cookieLength < 4 || cookieLength > 16 {
            w.write(" (invalid)")
        } else {
            w.write(" cookie ")
            for k in 0..<cookieLength { w.write(hex: UInt64(b[i + k]), digits: 2) }
        }
    }
}
