/// NTP over UDP port 123 (RFC 5905): the 48-byte time packet of modes 0 to 5, and the 12-byte
/// header of a control message (mode 6, RFC 9327).
public enum NTP {
    public static let port: UInt16 = 123
    /// The time packet without its optional key ID and message digest.
    public static let length = 48
    /// A control message's header, before its data.
    public static let controlHeaderLength = 12
    /// Seconds from 1900 (NTP's epoch) to 1970 (Unix's).
    static let secondsTo1970: Int64 = 2_208_988_800
    /// Seconds from 1970 to 2036, when NTP's era 0 ends (RFC 4330 3: a timestamp whose top bit is
    /// clear is read in era 1).
    static let secondsTo2036: Int64 = 2_085_978_496

    enum Offset {
        static let flags = 0, stratum = 1, poll = 2, precision = 3, rootDelay = 4, rootDispersion = 8
        static let referenceID = 12, referenceTime = 16, originTime = 24, receiveTime = 32, transmitTime = 40
        static let keyID = 48, digest = 52
        // Control messages (mode 6).
        static let control = 1, sequence = 2, status = 4, associationID = 6, offset = 8, count = 10
    }

    /// tcpdump's names for the modes ("NTPv4, Client, length 48").
    static let tcpdumpModes: [StaticString] = [
        "unspecified", "symmetric active", "symmetric passive", "Client", "Server", "Broadcast", "Control Message", "Reserved",
    ]
    /// Wireshark's names for the modes, in the flags' tree and in the layer's title.
    static let modes: [StaticString] = [
        "reserved", "symmetric active", "symmetric passive", "client", "server", "broadcast",
        "reserved for NTP control message", "reserved for private use",
    ]
    static let titleModes: [StaticString] = [
        "reserved", "symmetric active", "symmetric passive", "client", "server", "broadcast", "control", "private",
    ]
    static let leapIndicators: [StaticString] = [
        "no warning", "last minute of the day has 61 seconds", "last minute of the day has 59 seconds",
        "unknown (clock unsynchronized)",
    ]
    static let controlOpcodes: [StaticString] = [
        "reserved", "read status", "read variables", "write variables", "read clock variables", "write clock variables",
        "set trap address/port", "trap response", "runtime configuration", "export configuration",
        "retrieve remote stats", "retrieve ordered list", "request nonce",
    ]

    /// Wireshark's text for an NTP timestamp: "NULL" for zero, else "Aug  2, 2023 21:20:00.500000000 UTC".
    static func timestampText(_ t: UInt64) -> String {
        if t == 0 { return "NULL" }
        let ntpSeconds = Int64(t >> 32)
        let seconds = ntpSeconds & 0x8000_0000 != 0 ? ntpSeconds - secondsTo1970 : ntpSeconds + secondsTo2036
        let nanoseconds = Int(1_000_000_000 * (Double(t & 0xffff_ffff) / 4_294_967_296.0))
        var days = seconds / 86400, rest = seconds % 86400
        if rest < 0 { rest += 86400; days -= 1 }
        // Days to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var w = TextWriter(capacity: 40)
        w.write(months[Int(month) - 1])
        w.write(byte: 32)
        if day < 10 { w.write(byte: 32) }
        w.write(decimal: day)
        w.write(", ")
        w.write(decimal: year)
        w.write(byte: 32)
        w.write(unsigned: UInt64(rest / 3600), width: 2)
        w.write(byte: 58)
        w.write(unsigned: UInt64(rest / 60 % 60), width: 2)
        w.write(byte: 58)
        w.write(unsigned: UInt64(rest % 60), width: 2)
        w.write(byte: 46)
        w.write(unsigned: UInt64(nanoseconds), width: 9)
        w.write(" UTC")
        return w.string
    }

    /// A value with six decimals, as C's "%f" prints it for the magnitudes NTP's fields reach.
    static func sixDecimals(_ v: Double) -> String {
        var w = TextWriter(capacity: 24)
        guard v.isFinite, abs(v) < 1e15 else {
            w.write(v.isFinite ? "\(v)" : "inf")
            return w.string
        }
        var micro = (abs(v) * 1_000_000).rounded()
        if v < 0 && micro != 0 { w.write(byte: 45) }
        let whole = UInt64(micro / 1_000_000)
        micro -= Double(whole) * 1_000_000
        w.write(unsigned: whole)
        w.write(byte: 46)
        w.write(unsigned: UInt64(micro), width: 6)
        return w.string
    }
}

/// A read-only view of an NTP time packet: `init` checks that its 48 bytes are there.
public struct NTPHeader {
    public let bytes: Bytes
    public let start: Int

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        guard start >= 0, start + NTP.length <= (end ?? bytes.count) else { return nil }
        self.bytes = bytes
        self.start = start
    }

    public var leapIndicator: UInt8 { bytes[start] >> 6 }
    public var version: UInt8 { bytes[start] >> 3 & 7 }
    public var mode: UInt8 { bytes[start] & 7 }
    public var stratum: UInt8 { bytes[start + NTP.Offset.stratum] }
    public var poll: UInt8 { bytes[start + NTP.Offset.poll] }
    public var precision: Int8 { Int8(bitPattern: bytes[start + NTP.Offset.precision]) }
    /// Seconds as a 16.16 fixed-point number.
    public var rootDelay: UInt32 { bytes.be32(start + NTP.Offset.rootDelay) }
    public var rootDispersion: UInt32 { bytes.be32(start + NTP.Offset.rootDispersion) }
    public var referenceID: UInt32 { bytes.be32(start + NTP.Offset.referenceID) }
    /// 32.32 fixed-point seconds since 1900.
    public var referenceTime: UInt64 { bytes.be64(start + NTP.Offset.referenceTime) }
    public var originTime: UInt64 { bytes.be64(start + NTP.Offset.originTime) }
    public var receiveTime: UInt64 { bytes.be64(start + NTP.Offset.receiveTime) }
    public var transmitTime: UInt64 { bytes.be64(start + NTP.Offset.transmitTime) }
}

/// An NTP time packet as values; `emit` writes its 48 bytes.
public struct NTPRepr: Sendable, Equatable {
    public var leapIndicator: UInt8 = 0
    public var version: UInt8 = 4
    public var mode: UInt8 = 3
    public var stratum: UInt8 = 0
    public var poll: UInt8 = 0
    public var precision: Int8 = 0
    public var rootDelay: UInt32 = 0
    public var rootDispersion: UInt32 = 0
    public var referenceID: UInt32 = 0
    public var referenceTime: UInt64 = 0
    public var originTime: UInt64 = 0
    public var receiveTime: UInt64 = 0
    public var transmitTime: UInt64 = 0

    public init() {}

    public init(_ h: NTPHeader) {
        leapIndicator = h.leapIndicator
        version = h.version
        mode = h.mode
        stratum = h.stratum
        poll = h.poll
        precision = h.precision
        rootDelay = h.rootDelay
        rootDispersion = h.rootDispersion
        referenceID = h.referenceID
        referenceTime = h.referenceTime
        originTime = h.originTime
        receiveTime = h.receiveTime
        transmitTime = h.transmitTime
    }

    /// Parses a time packet; nil when fewer than 48 bytes are there.
    public static func parse(_ b: Bytes, at start: Int, end: Int? = nil) -> NTPRepr? {
        NTPHeader(b, at: start, end: end).map(NTPRepr.init)
    }

    public var bufferLength: Int { NTP.length }

    public func emit(into b: inout Bytes, at start: Int) {
        let O = NTP.Offset.self
        b[start] = (leapIndicator & 3) << 6 | (version & 7) << 3 | mode & 7
        b[start + O.stratum] = stratum
        b[start + O.poll] = poll
        b[start + O.precision] = UInt8(bitPattern: precision)
        b.setBE32(start + O.rootDelay, rootDelay)
        b.setBE32(start + O.rootDispersion, rootDispersion)
        b.setBE32(start + O.referenceID, referenceID)
        for (offset, t) in [(O.referenceTime, referenceTime), (O.originTime, originTime), (O.receiveTime, receiveTime),
                            (O.transmitTime, transmitTime)] {
            b.setBE32(start + offset, UInt32(t >> 32))
            b.setBE32(start + offset + 4, UInt32(t & 0xffff_ffff))
        }
    }
}

extension Dissector {
    /// Wireshark's NTP dissection: every field the bytes hold, then a complaint where they end.
    static func dissectNTP(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        let O = NTP.Offset.self
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        let has = { (offset: Int, length: Int) in start + offset + length <= end }
        let flags = b[start]
        let leap = Int(flags >> 6), version = Int(flags >> 3 & 7), mode = Int(flags & 7)
        var fields = FieldList()
        let versionName = version >= 1 && version <= 4 ? "NTP Version \(version)" : "reserved"
        func flagsText() -> FieldText {
            let first = mode == 7 ? "Response bit: \(flags & 0x80 == 0 ? "Request" : "Response")"
                                  : "Leap Indicator: \(NTP.leapIndicators[leap])"
            return fields.text("0x\(hex(UInt16(flags), 2)), \(first), Version number: \(versionName), Mode: \(NTP.modes[mode])")
        }
        fields.add(Field("ntp.flags", "Flags", .uintShown(UInt64(flags), shown: d.describes ? flagsText() : ""), range: r(0, 1),
                         explain: "Leap warning, protocol version and mode (client, server, control...).")) {
            if mode != 7 {
                $0.add(Field("ntp.flags.li", "Leap Indicator", .uintShown(UInt64(leap), shown: d.describes ? $0.text("\(NTP.leapIndicators[leap]) (\(leap))") : ""),
                             mask: 0xc0, range: r(0, 1), explain: "Warns of a leap second at the end of the day; 3 means the clock is not synchronised."))
            }
            $0.add(Field("ntp.flags.vn", "Version number", .uintShown(UInt64(version), shown: d.describes ? $0.text("\(versionName) (\(version))") : ""),
                         mask: 0x38, range: r(0, 1), explain: "The NTP version, 4 today."))
            $0.add(Field("ntp.flags.mode", "Mode", .uintShown(UInt64(mode), shown: d.describes ? $0.text("\(NTP.modes[mode]) (\(mode))") : ""),
                         mask: 0x07, range: r(0, 1), explain: "3 client, 4 server, 1 and 2 symmetric peers, 5 broadcast, 6 control."))
        }
        var stop = start + 1
        var problem: String?
        if mode == 6 {
            dissectNTPControl(b, at: start, end: end, into: &fields, stop: &stop, problem: &problem, describes: d.describes)
        } else if mode != 7 {
            let stratum = Int(has(O.stratum, 1) ? b[start + O.stratum] : 0)
            let steps: [(Int, Int)] = [(O.stratum, 1), (O.poll, 1), (O.precision, 1), (O.rootDelay, 4), (O.rootDispersion, 4),
                                       (O.referenceID, 4), (O.referenceTime, 8), (O.originTime, 8), (O.receiveTime, 8),
                                       (O.transmitTime, 8)]
            for (offset, length) in steps {
                guard has(offset, length) else {
                    problem = "NTP packet needs \(NTP.length) bytes, \(end - start) left"
                    break
                }
                stop = start + offset + length
                let range = r(offset, length)
                switch offset {
                case O.stratum:
                    let name = stratum == 0 ? "unspecified or invalid" : stratum == 1 ? "primary reference"
                        : stratum < 16 ? "secondary reference" : stratum == 16 ? "unsynchronized" : "reserved"
                    fields.add(Field("ntp.stratum", "Peer Clock Stratum", .uintShown(UInt64(stratum), shown: d.describes ? fields.text("\(name) (\(stratum))") : ""),
                                     range: range, explain: "How far from a reference clock: 1 is attached to one, 2 learns from a 1, 16 is unsynchronised."))
                case O.poll:
                    let poll = b[start + offset]
                    let text = poll >= 4 && poll <= 17 ? "\(poll) (\(1 << poll) seconds)" : "invalid (\(poll))"
                    fields.add(Field("ntp.ppoll", "Peer Polling Interval", .uintShown(UInt64(poll), shown: d.describes ? fields.text(text) : ""),
                                     range: range, explain: "The longest interval between messages, as a power of two seconds."))
                case O.precision:
                    let p = Int8(bitPattern: b[start + offset])
                    let seconds = p >= 0 ? Double(UInt64(1) << UInt64(min(Int(p), 63))) : 1 / Double(UInt64(1) << UInt64(-Int(p)))
                    fields.add(Field("ntp.precision", "Peer Clock Precision", .uintShown(UInt64(b[start + offset]), shown: d.describes ? fields.text("\(NTP.sixDecimals(seconds)) seconds") : ""),
                                     range: range, explain: "The clock's precision, as a power of two seconds (-20 is about a microsecond)."))
                case O.rootDelay, O.rootDispersion:
                    let v = b.be32(start + offset)
                    let seconds = Double(Int16(bitPattern: UInt16(v >> 16))) + Double(v & 0xffff) / 65536
                    let text: FieldText = d.describes ? fields.text("\(NTP.sixDecimals(seconds)) seconds") : ""
                    if offset == O.rootDelay {
                        fields.add(Field("ntp.rootdelay", "Root Delay", .uintShown(UInt64(v), shown: text), range: range,
                                         explain: "Round-trip time to the reference clock, in seconds."))
                    } else {
                        fields.add(Field("ntp.rootdispersion", "Root Dispersion", .uintShown(UInt64(v), shown: text), range: range,
                                         explain: "How far off the clock may be from the reference clock, in seconds."))
                    }
                case O.referenceID:
                    let v = b.be32(start + offset)
                    var shown = "NULL"
                    if v != 0 && stratum <= 1 {
                        shown = String(decoding: b[range].prefix { $0 != 0 }.map { $0 >= 0x20 && $0 < 0x7f ? $0 : 0x2e }, as: UTF8.self)
                    } else if v != 0 {
                        shown = IPv4Address(v).description
                    }
                    var hexText = TextWriter(capacity: 12)
                    hexText.write(hexBytes: b, range, separator: 58)
                    fields.add(Field("ntp.refid", "Reference ID", .textShown(fields.text(hexText.string), shown: d.describes ? fields.text(shown) : ""),
                                     range: range, explain: "The reference clock: a four-letter source (GPS, PPS) at stratum 1, else the server's address."))
                default:
                    let t = b.be64(start + offset)
                    let text = fields.text(NTP.timestampText(t))
                    switch offset {
                    case O.referenceTime:
                        fields.add(Field("ntp.reftime", "Reference Timestamp", .text(text), range: range,
                                         explain: "When the clock was last set or corrected."))
                    case O.originTime:
                        fields.add(Field("ntp.org", "Origin Timestamp", .text(text), range: range,
                                         explain: "The client's transmit time, copied back by the server, to match the reply."))
                    case O.receiveTime:
                        fields.add(Field("ntp.rec", "Receive Timestamp", .text(text), range: range,
                                         explain: "When the request reached the server."))
                    default:
                        fields.add(Field("ntp.xmt", "Transmit Timestamp", .text(text), range: range,
                                         explain: "When this packet left its sender."))
                    }
                }
            }
            // A key ID and a message digest (MD5, 16 bytes, or SHA-1, 20) after the time packet.
            let rest = end - (start + NTP.length)
            if problem == nil && (rest == 20 || rest == 24) {
                fields.add(Field("ntp.keyid", "Key ID", .bytes, range: r(O.keyID, 4),
                                 explain: "Which shared key authenticates this packet."))
                fields.add(Field("ntp.mac", "Message Authentication Code", .bytes, range: r(O.digest, rest - 4),
                                 explain: "A digest of the packet under the key, proving who sent it."))
                stop = end
            }
        }
        d.add("ntp", title: "Network Time Protocol (\(versionName), \(NTP.titleModes[mode]))",
              range: start..<max(stop, end), fields: fields)
        if let problem { d.fail(problem, at: stop..<end) }
    }

    /// A control message's header (RFC 9327 2): flags, sequence, status, association, offset, count.
    private static func dissectNTPControl(_ b: Bytes, at start: Int, end: Int, into fields: inout FieldList, stop: inout Int,
                                          problem: inout String?, describes: Bool) {
        let O = NTP.Offset.self
        guard start + NTP.controlHeaderLength <= end else {
            problem = "NTP control message header needs 12 bytes, \(end - start) left"
            return
        }
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        let control = b[start + O.control]
        let opcode = Int(control & 0x1f)
        let opName = opcode < NTP.controlOpcodes.count ? "\(NTP.controlOpcodes[opcode])" : "Unknown"
        let response = control & 0x80 != 0
        let flagsText: FieldText = describes
            ? fields.text("0x\(hex(UInt16(control), 2)), Response bit: \(response ? "Response" : "Request"), Opcode: \(opName)") : ""
        fields.add(Field("ntp.ctrl.flags2", "Flags 2", .uintShown(UInt64(control), shown: flagsText), range: r(O.control, 1),
                         explain: "Request or response, error, more to come, and the operation.")) {
            $0.add(Field("ntp.ctrl.flags2.r", "Response bit", .uintShown(response ? 1 : 0, shown: response ? "Response (1)" : "Request (0)"),
                         mask: 0x80, range: r(O.control, 1), explain: "0 for a request, 1 for a response."))
            $0.add(Field("ntp.ctrl.flags2.error", "Error bit", .uint(UInt64(control >> 6 & 1)), mask: 0x40, range: r(O.control, 1),
                         explain: "The response reports an error."))
            $0.add(Field("ntp.ctrl.flags2.more", "More bit", .uint(UInt64(control >> 5 & 1)), mask: 0x20, range: r(O.control, 1),
                         explain: "More fragments of this response follow."))
            $0.add(Field("ntp.ctrl.flags2.opcode", "Opcode", .uintShown(UInt64(opcode), shown: describes ? $0.text("\(opName) (\(opcode))") : ""),
                         mask: 0x1f, range: r(O.control, 1), explain: "The operation: 1 read status, 2 read variables, ..."))
        }
        fields.add(Field("ntp.ctrl.sequence", "Sequence", .uint(UInt64(b.be16(start + O.sequence))), range: r(O.sequence, 2),
                         explain: "Matches a response to its request."))
        fields.add(Field("ntp.ctrl.status", "Status", .uint(UInt64(b.be16(start + O.status))), base: .hex(digits: 4), range: r(O.status, 2),
                         explain: "The system, peer or clock status word, or an error code."))
        fields.add(Field("ntp.ctrl.associd", "AssociationID", .uint(UInt64(b.be16(start + O.associationID))), range: r(O.associationID, 2),
                         explain: "Which peer association this is about; 0 for the server itself."))
        fields.add(Field("ntp.ctrl.offset", "Offset", .uint(UInt64(b.be16(start + O.offset))), range: r(O.offset, 2),
                         explain: "Where this fragment's data starts in the whole response."))
        fields.add(Field("ntp.ctrl.count", "Count", .uint(UInt64(b.be16(start + O.count))), range: r(O.count, 2),
                         explain: "Bytes of data that follow."))
        stop = start + NTP.controlHeaderLength
    }
}

extension Summary {
    /// tcpdump's `ntp_print` at default verbosity: "NTPv4, Client, length 48". `length` is the
    /// UDP payload's length; only the first byte is read.
    static func writeNTP(_ b: Bytes, at start: Int, end: Int, length: Int, into w: inout TextWriter) {
        guard start < end else {
            w.write(" [|ntp]")
            return
        }
        let flags = b[start]
        w.write("NTPv")
        w.write(decimal: flags >> 3 & 7)
        w.write(", ")
        w.write(NTP.tcpdumpModes[Int(flags & 7)])
        w.write(", length ")
        w.write(decimal: length)
    }
}
