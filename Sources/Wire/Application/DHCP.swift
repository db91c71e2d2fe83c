/// BOOTP (RFC 951) and DHCP (RFC 2131, options RFC 2132) over UDP ports 67 and 68: the fixed
/// 236-byte message, the magic cookie, and options, each read only as far as the bytes go.
public enum DHCP {
    public static let serverPort: UInt16 = 67
    public static let clientPort: UInt16 = 68
    /// The fixed part before the magic cookie.
    public static let fixedLength = 236
    public static let cookie: UInt32 = 0x6382_5363

    enum Offset {
        static let op = 0, htype = 1, hlen = 2, hops = 3, xid = 4, secs = 8, flags = 10
        static let ciaddr = 12, yiaddr = 16, siaddr = 20, giaddr = 24, chaddr = 28, sname = 44, file = 108
        static let cookie = 236, options = 240
    }

    static func isPort(_ a: UInt16, _ b: UInt16) -> Bool {
        a == serverPort || a == clientPort || b == serverPort || b == clientPort
    }

    /// Wireshark's names for DHCP message types (option 53).
    static func messageTypeName(_ t: UInt8) -> String? {
        let names = ["Discover", "Offer", "Request", "Decline", "ACK", "NAK", "Release", "Inform"]
        return t >= 1 && Int(t) <= names.count ? names[Int(t) - 1] : nil
    }

    /// Wireshark's names for the options tunscope names (the rest read "Unassigned" or "Private").
    static func optionName(_ code: UInt8) -> String {
        switch code {
        case 0: return "Padding"
        case 1: return "Subnet Mask"
        case 2: return "Time Offset"
        case 3: return "Router"
        case 4: return "Time Server"
        case 5: return "Name Server"
        case 6: return "Domain Name Server"
        case 7: return "Log Server"
        case 12: return "Host Name"
        case 15: return "Domain Name"
        case 26: return "Interface MTU"
        case 28: return "Broadcast Address"
        case 31: return "Perform Router Discover"
        case 33: return "Static Route"
        case 42: return "Network Time Protocol Servers"
        case 43: return "Vendor-Specific Information"
        case 44: return "NetBIOS over TCP/IP Name Server"
        case 46: return "NetBIOS over TCP/IP Node Type"
        case 47: return "NetBIOS over TCP/IP Scope"
        case 50: return "Requested IP Address"
        case 51: return "IP Address Lease Time"
        case 52: return "Option Overload"
        case 53: return "DHCP Message Type"
        case 54: return "DHCP Server Identifier"
        case 55: return "Parameter Request List"
        case 56: return "Message"
        case 57: return "Maximum DHCP Message Size"
        case 58: return "Renewal Time Value"
        case 59: return "Rebinding Time Value"
        case 60: return "Vendor class identifier"
        case 61: return "Client identifier"
        case 66: return "TFTP Server Name"
        case 67: return "Bootfile name"
        case 81: return "Client Fully Qualified Domain Name"
        case 119: return "Domain Search"
        case 121: return "Classless Static Route"
        case 252: return "Private/Proxy autodiscovery"
        case 255: return "End"
        case 224...254: return "Private"
        default: return "Unassigned"
        }
    }

    /// Wireshark's wording of a duration in seconds: "1 hour", "2 days, 3 minutes", "infinity".
    static func durationText(_ v: UInt32) -> String {
        if v == 0xffff_ffff { return "infinity" }
        if v == 0 { return "0 seconds" }
        var parts: [String] = []
        let units: [(UInt32, String)] = [(86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")]
        var rest = v
        for (size, name) in units where rest >= size {
            let n = rest / size
            rest %= size
            parts.append("\(n) \(name)\(n == 1 ? "" : "s")")
        }
        return parts.joined(separator: ", ")
    }
}

/// A read-only view of a BOOTP/DHCP message: `init` checks the fixed 236 bytes are there.
public struct DHCPHeader {
    public let bytes: Bytes
    public let start: Int
    public let end: Int

    public init?(_ bytes: Bytes, at start: Int, end: Int? = nil) {
        let end = end ?? bytes.count
        guard start >= 0, end <= bytes.count, start + DHCP.fixedLength <= end else { return nil }
        self.bytes = bytes
        self.start = start
        self.end = end
    }

    private typealias O = DHCP.Offset
    public var op: UInt8 { bytes[start + O.op] }
    public var hardwareType: UInt8 { bytes[start + O.htype] }
    public var hardwareLength: UInt8 { bytes[start + O.hlen] }
    public var hops: UInt8 { bytes[start + O.hops] }
    public var transactionID: UInt32 { bytes.be32(start + O.xid) }
    public var seconds: UInt16 { bytes.be16(start + O.secs) }
    public var flags: UInt16 { bytes.be16(start + O.flags) }
    public var clientAddress: IPv4Address { IPv4Address(bytes.be32(start + O.ciaddr)) }
    public var yourAddress: IPv4Address { IPv4Address(bytes.be32(start + O.yiaddr)) }
    public var serverAddress: IPv4Address { IPv4Address(bytes.be32(start + O.siaddr)) }
    public var relayAddress: IPv4Address { IPv4Address(bytes.be32(start + O.giaddr)) }
    /// The 16-byte client hardware address field.
    public var clientHardwareAddress: ArraySlice<UInt8> { bytes[(start + O.chaddr)..<(start + O.chaddr + 16)] }
    /// The server name and boot file fields up to their first zero byte.
    public var serverName: ArraySlice<UInt8> { Self.zeroTerminated(bytes[(start + O.sname)..<(start + O.sname + 64)]) }
    public var bootFile: ArraySlice<UInt8> { Self.zeroTerminated(bytes[(start + O.file)..<(start + O.file + 128)]) }
    /// The magic cookie, when its 4 bytes are there.
    public var cookie: UInt32? { start + O.options <= end ? bytes.be32(start + O.cookie) : nil }

    static func zeroTerminated(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        s.prefix { $0 != 0 }
    }

    /// The options after a DHCP cookie, in order, pads left out, up to the End option or the
    /// last whole one; `complete` is false when an option runs past the data.
    public var options: (options: [DHCPOption], complete: Bool) {
        guard cookie == DHCP.cookie else { return ([], true) }
        var out: [DHCPOption] = []
        var i = start + O.options
        while i < end {
            let code = bytes[i]
            if code == 0 { i += 1; continue }
            if code == 255 { return (out, true) }
            guard i + 2 <= end, i + 2 + Int(bytes[i + 1]) <= end else { return (out, false) }
            out.append(DHCPOption(code: code, data: Array(bytes[(i + 2)..<(i + 2 + Int(bytes[i + 1]))])))
            i += 2 + Int(bytes[i + 1])
        }
        return (out, true)
    }
}

/// One DHCP option: its code and its data (at most 255 bytes).
public struct DHCPOption: Sendable, Equatable {
    public var code: UInt8
    public var data: Bytes
    public init(code: UInt8, data: Bytes) {
        self.code = code
        self.data = data
    }
}

/// A BOOTP/DHCP message as values; `emit` writes the fixed part, the cookie, the options and End.
public struct DHCPRepr: Sendable, Equatable {
    public var op: UInt8 = 1
    public var hardwareType: UInt8 = 1
    public var hardwareLength: UInt8 = 6
    public var hops: UInt8 = 0
    public var transactionID: UInt32 = 0
    public var seconds: UInt16 = 0
    public var flags: UInt16 = 0
    public var clientAddress = IPv4Address(0)
    public var yourAddress = IPv4Address(0)
    public var serverAddress = IPv4Address(0)
    public var relayAddress = IPv4Address(0)
    /// Up to 16 bytes; emitted zero-padded.
    public var clientHardwareAddress: Bytes = []
    public var serverName: Bytes = []
    public var bootFile: Bytes = []
    public var options: [DHCPOption] = []

    public init() {}

    /// Parses a message with a DHCP cookie whose options all fit; nil otherwise.
    public static func parse(_ b: Bytes, at start: Int, end: Int? = nil) -> DHCPRepr? {
        guard let h = DHCPHeader(b, at: start, end: end), h.cookie == DHCP.cookie else { return nil }
        let (options, complete) = h.options
        guard complete else { return nil }
        var r = DHCPRepr()
        r.op = h.op
        r.hardwareType = h.hardwareType
        r.hardwareLength = h.hardwareLength
        r.hops = h.hops
        r.transactionID = h.transactionID
        r.seconds = h.seconds
        r.flags = h.flags
        r.clientAddress = h.clientAddress
        r.yourAddress = h.yourAddress
        r.serverAddress = h.serverAddress
        r.relayAddress = h.relayAddress
        let chaddr = Array(h.clientHardwareAddress)
        r.clientHardwareAddress = Array(chaddr.prefix(Int(min(h.hardwareLength, 16))))
        r.serverName = Array(h.serverName)
        r.bootFile = Array(h.bootFile)
        r.options = options
        return r
    }

    public var bufferLength: Int {
        DHCP.Offset.options + options.reduce(0) { $0 + 2 + min($1.data.count, 255) } + 1
    }

    public func emit(into b: inout Bytes, at start: Int) {
        typealias O = DHCP.Offset
        b[start + O.op] = op
        b[start + O.htype] = hardwareType
        b[start + O.hlen] = hardwareLength
        b[start + O.hops] = hops
        b.setBE32(start + O.xid, transactionID)
        b.setBE16(start + O.secs, seconds)
        b.setBE16(start + O.flags, flags)
        b.setBE32(start + O.ciaddr, clientAddress.value)
        b.setBE32(start + O.yiaddr, yourAddress.value)
        b.setBE32(start + O.siaddr, serverAddress.value)
        b.setBE32(start + O.giaddr, relayAddress.value)
        for (offset, length, value) in [(O.chaddr, 16, clientHardwareAddress), (O.sname, 64, serverName), (O.file, 128, bootFile)] {
            for i in 0..<length { b[start + offset + i] = i < value.count ? value[i] : 0 }
        }
        b.setBE32(start + O.cookie, DHCP.cookie)
        var i = start + O.options
        for option in options {
            let data = option.data.prefix(255)
            b[i] = option.code
            b[i + 1] = UInt8(data.count)
            b.replaceSubrange((i + 2)..<(i + 2 + data.count), with: data)
            i += 2 + data.count
        }
        b[i] = 255
    }
}

extension Dissector {
    /// Wireshark's DHCP/BOOTP dissection: the fixed fields the bytes hold, the cookie, then each
    /// option (a pad or End is one byte; the rest a code, a length and that many bytes).
    static func dissectDHCP(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        typealias O = DHCP.Offset
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        var fields = FieldList(capacity: 40)
        var stop = start
        var problem: String?
        var messageType: UInt8?
        let describes = d.describes
        func need(_ offset: Int, _ length: Int) -> Bool {
            if start + offset + length <= end {
                stop = start + offset + length
                return true
            }
            problem = "DHCP message needs \(offset + length) bytes, \(end - start) left"
            return false
        }
        func address(_ name: StaticString, _ label: FieldText, _ offset: Int, _ explain: FieldText) -> Bool {
            guard need(offset, 4) else { return false }
            fields.add(Field(name, label, .ipv4(IPv4Address(b.be32(start + offset))), range: r(offset, 4), explain: explain))
            return true
        }
        decode: do {
            guard need(O.op, 1) else { break decode }
            let op = b[start]
            let opText: FieldText = op == 1 ? "Boot Request (1)" : op == 2 ? "Boot Reply (2)" : describes ? fields.text("Unknown (\(op))") : ""
            fields.add(Field("dhcp.type", "Message type", .uintShown(UInt64(op), shown: opText), range: r(O.op, 1),
                             explain: "1 for a client's request, 2 for a server's reply."))
            guard need(O.htype, 1) else { break decode }
            let htype = b[start + O.htype]
            let htypeText: FieldText = !describes ? "" : htype == 1 ? "Ethernet (0x01)" : htype == 6 ? "IEEE 802 (0x06)"
                : fields.text("Unknown (0x\(hex(UInt16(htype), 2)))")
            fields.add(Field("dhcp.hw.type", "Hardware type", .uintShown(UInt64(htype), shown: htypeText), range: r(O.htype, 1),
                             explain: "The kind of link the client is on; 1 is Ethernet."))
            guard need(O.hlen, 1) else { break decode }
            let hlen = Int(b[start + O.hlen])
            fields.add(Field("dhcp.hw.len", "Hardware address length", .uint(UInt64(hlen)), range: r(O.hlen, 1),
                             explain: "Bytes in the client's hardware address; 6 for Ethernet."))
            guard need(O.hops, 1) else { break decode }
            fields.add(Field("dhcp.hops", "Hops", .uint(UInt64(b[start + O.hops])), range: r(O.hops, 1),
                             explain: "Relay agents the message has passed through."))
            guard need(O.xid, 4) else { break decode }
            fields.add(Field("dhcp.id", "Transaction ID", .uint(UInt64(b.be32(start + O.xid))), base: .hex(digits: 8), range: r(O.xid, 4),
                             explain: "Chosen by the client; replies carry the same one."))
            guard need(O.secs, 2) else { break decode }
            fields.add(Field("dhcp.secs", "Seconds elapsed", .uint(UInt64(b.be16(start + O.secs))), range: r(O.secs, 2),
                             explain: "Seconds since the client began asking."))
            guard need(O.flags, 2) else { break decode }
            let flags = b.be16(start + O.flags)
            let broadcast = flags & 0x8000 != 0
            let flagsText: FieldText = !describes ? "" : broadcast ? fields.text("0x\(hex(flags, 4)), Broadcast flag (Broadcast)")
                : fields.text("0x\(hex(flags, 4)) (Unicast)")
            fields.add(Field("dhcp.flags", "Bootp flags", .uintShown(UInt64(flags), shown: flagsText), range: r(O.flags, 2),
                             explain: "The broadcast flag: the client cannot take unicast replies before it has an address.")) {
                $0.add(Field("dhcp.flags.bc", "Broadcast flag", .uintShown(broadcast ? 1 : 0, shown: broadcast ? "Broadcast" : "Unicast"),
                             mask: 0x8000, range: r(O.flags, 2), explain: "Asks the server to broadcast its reply."))
                $0.add(Field("dhcp.flags.reserved", "Reserved flags", .uint(UInt64(flags & 0x7fff)), base: .hex(digits: 4), mask: 0x7fff,
                             range: r(O.flags, 2), explain: "Must be zero."))
            }
            guard address("dhcp.ip.client", "Client IP address", O.ciaddr, "The client's address, when it already has one."),
                  address("dhcp.ip.your", "Your (client) IP address", O.yiaddr, "The address the server gives the client."),
                  address("dhcp.ip.server", "Next server IP address", O.siaddr, "The server to boot from next (TFTP)."),
                  address("dhcp.ip.relay", "Relay agent IP address", O.giaddr, "The relay agent that forwarded the message, if any.")
            else { break decode }
            guard need(O.chaddr, 16) else { break decode }
            if hlen == 6 && (htype == 1 || htype == 6) {
                let mac = b.be48(start + O.chaddr)
                fields.add(Field("dhcp.hw.mac_addr", "Client MAC address", .mac(MACAddress(mac)),
                                 note: describes ? fields.text("(\(MACAddress(mac)))") : nil, range: r(O.chaddr, 6),
                                 explain: "The client's Ethernet address."))
                fields.add(Field("dhcp.hw.addr_padding", "Client hardware address padding", .bytes, range: r(O.chaddr + 6, 10),
                                 explain: "The rest of the 16-byte hardware address field."))
            } else {
                let n = min(max(hlen, 1), 16)
                fields.add(Field("dhcp.hw.addr", "Client hardware address", .bytes, range: r(O.chaddr, n),
                                 explain: "The client's hardware address."))
                if n < 16 {
                    fields.add(Field("dhcp.hw.addr_padding", "Client hardware address padding", .bytes, range: r(O.chaddr + n, 16 - n),
                                     explain: "The rest of the 16-byte hardware address field."))
                }
            }
            for (offset, length) in [(O.sname, 64), (O.file, 128)] {
                guard need(offset, length) else { break decode }
                let text = DHCPHeader.zeroTerminated(b[r(offset, length)])
                let isName = offset == O.sname
                if text.isEmpty {
                    fields.add(Field(isName ? "dhcp.server" : "dhcp.file", isName ? "Server host name not given" : "Boot file name not given",
                                     .none, range: r(offset, length), explain: "Empty."))
                } else {
                    fields.add(Field(isName ? "dhcp.server" : "dhcp.file", isName ? "Server host name" : "Boot file name",
                                     .text(fields.text(DNS.label(text))), range: r(offset, length),
                                     explain: isName ? "The server's name, when the client asked for one." : "The file to boot from."))
                }
            }
            guard need(O.cookie, 4) else { break decode }
            let cookie = b.be32(start + O.cookie)
            var dotted = TextWriter(capacity: 16)
            dotted.write(ipv4: cookie)
            let cookieText = fields.text(dotted.string)
            fields.add(Field("dhcp.cookie", "Magic cookie", .textShown(cookieText, shown: cookie == DHCP.cookie ? "DHCP" : cookieText),
                             range: r(O.cookie, 4), explain: "99.130.83.99: DHCP options follow."))
            guard cookie == DHCP.cookie else { break decode }
            messageType = dissectDHCPOptions(b, at: start + O.options, end: end, into: &fields, stop: &stop, problem: &problem, describes: describes)
        }
        let title = messageType.flatMap(DHCP.messageTypeName).map { "Dynamic Host Configuration Protocol (\($0))" }
            ?? "Dynamic Host Configuration Protocol"
        d.add("dhcp", title: title, range: start..<max(stop, start + 1), fields: fields)
        if let problem { d.fail(problem, at: stop..<end) }
    }

    /// The options from `i` on; returns the DHCP message type if option 53 was among them.
    private static func dissectDHCPOptions(_ b: Bytes, at first: Int, end: Int, into fields: inout FieldList, stop: inout Int,
                                           problem: inout String?, describes: Bool) -> UInt8? {
        var messageType: UInt8?
        var i = first
        while i < end {
            let code = b[i]
            if code == 255 {
                fields.add(Field("dhcp.option.type", "Option", .uintShown(0, shown: "(255) End"), range: i..<(i + 1),
                                 explain: "The end of the options.")) {
                    $0.add(Field("dhcp.option.end", "Option End", .uint(255), range: i..<(i + 1), explain: "The End option's code."))
                }
                i += 1
                if i < end {
                    fields.add(Field("dhcp.option.padding", "Padding", .bytes, range: i..<end, explain: "Bytes after the End option."))
                    i = end
                }
                break
            }
            if code == 0 {
                fields.add(Field("dhcp.option.type", "Option", .uintShown(0, shown: "(0) Padding"), range: i..<(i + 1),
                                 explain: "A pad byte, aligning the next option.")) {
                    $0.add(Field("dhcp.option.padding", "Padding", .bytes, range: i..<(i + 1), explain: "A pad byte."))
                }
                i += 1
                continue
            }
            let name = DHCP.optionName(code)
            guard i + 2 <= end, i + 2 + Int(b[i + 1]) <= end else {
                // As tshark: the option's code and length as far as they go, then the complaint.
                let typeText: FieldText = describes ? fields.text("(\(code)) \(name)") : ""
                let hasLength = i + 2 <= end
                fields.add(Field("dhcp.option.type", "Option", .uintShown(UInt64(code), shown: typeText), range: i..<end,
                                 explain: "An option: its code, its length and its value.")) {
                    if hasLength {
                        $0.add(Field("dhcp.option.length", "Length", .uint(UInt64(b[i + 1])), range: (i + 1)..<(i + 2),
                                     explain: "Bytes in the option's value."))
                    }
                }
                problem = hasLength ? "DHCP option \(code) says \(b[i + 1]) bytes, \(end - i - 2) left" : "DHCP option \(code) has no length byte"
                stop = end
                break
            }
            let length = Int(b[i + 1])
            let data = (i + 2)..<(i + 2 + length)
            var suffix = ""
            if describes {
                switch code {
                case 53 where length == 1: suffix = " (\(DHCP.messageTypeName(b[data.lowerBound]) ?? "Unknown"))"
                // Each pattern needs its own `where`: one after the list guards only the last.
                case 1 where length == 4, 50 where length == 4, 54 where length == 4:
                    suffix = " (\(IPv4Address(b.be32(data.lowerBound))))"
                default: break
                }
            }
            let typeText: FieldText = describes ? fields.text("(\(code)) \(name)\(suffix)") : ""
            fields.add(Field("dhcp.option.type", "Option", .uintShown(UInt64(code), shown: typeText), range: i..<data.upperBound,
                             explain: "An option: its code, its length and its value.")) {
                $0.add(Field("dhcp.option.length", "Length", .uint(UInt64(length)), range: (i + 1)..<(i + 2),
                             explain: "Bytes in the option's value."))
                // tshark's JSON has every option's value as bytes (its tree hides it where it decodes the value).
                if length > 0 {
                    $0.add(Field("dhcp.option.value", "Value", .bytes, range: data, explain: "The option's value as bytes."))
                }
                _ = dissectDHCPOptionValue(code, b, data, into: &$0, messageType: &messageType, describes: describes)
            }
            i = data.upperBound
        }
        stop = max(stop, min(i, end))
        return messageType
    }

    /// The value of an option tunscope decodes; false for the others.
    private static func dissectDHCPOptionValue(_ code: UInt8, _ b: Bytes, _ data: Range<Int>, into f: inout FieldList,
                                               messageType: inout UInt8?, describes: Bool) -> Bool {
        let length = data.count
        func addresses(_ name: StaticString, _ label: FieldText, _ explain: FieldText) -> Bool {
            guard length > 0 && length % 4 == 0 else { return false }
            for a in stride(from: data.lowerBound, to: data.upperBound, by: 4) {
                f.add(Field(name, label, .ipv4(IPv4Address(b.be32(a))), range: a..<(a + 4), explain: explain))
            }
            return true
        }
        func duration(_ name: StaticString, _ label: FieldText, _ explain: FieldText) -> Bool {
            guard length == 4 else { return false }
            let v = b.be32(data.lowerBound)
            f.add(Field(name, label, .uintShown(UInt64(v), shown: describes ? f.text("(\(v)s) \(DHCP.durationText(v))") : ""),
                        range: data, explain: explain))
            return true
        }
        func text(_ name: StaticString, _ label: FieldText, _ explain: FieldText) -> Bool {
            guard length > 0 else { return false }
            f.add(Field(name, label, .text(f.text(DNS.label(b[data]))), range: data, explain: explain))
            return true
        }
        switch code {
        case 53:
            guard length == 1 else { return false }
            let t = b[data.lowerBound]
            messageType = t
            f.add(Field("dhcp.option.dhcp", "DHCP", .uintShown(UInt64(t), shown: describes ? f.text("\(DHCP.messageTypeName(t) ?? "Unknown") (\(t))") : ""),
                        range: data, explain: "The DHCP message: 1 Discover, 2 Offer, 3 Request, 5 ACK, 6 NAK, 7 Release."))
        case 55:
            guard length > 0 else { return false }
            for a in data {
                f.add(Field("dhcp.option.request_list_item", "Parameter Request List Item",
                            .uintShown(UInt64(b[a]), shown: describes ? f.text("(\(b[a])) \(DHCP.optionName(b[a]))") : ""),
                            range: a..<(a + 1), explain: "An option the client asks the server to send."))
            }
        case 1: return addresses("dhcp.option.subnet_mask", "Subnet Mask", "The network mask of the address given.")
        case 3: return addresses("dhcp.option.router", "Router", "A default gateway.")
        case 6: return addresses("dhcp.option.domain_name_server", "Domain Name Server", "A DNS server to use.")
        case 28: return addresses("dhcp.option.broadcast_address", "Broadcast Address", "The subnet's broadcast address.")
        case 50: return addresses("dhcp.option.requested_ip_address", "Requested IP Address", "The address the client asks for.")
        case 54: return addresses("dhcp.option.dhcp_server_id", "DHCP Server Identifier", "The server that made the offer or answered.")
        case 12: return text("dhcp.option.hostname", "Host Name", "The client's name.")
        case 15: return text("dhcp.option.domain_name", "Domain Name", "The domain to search names in.")
        case 60: return text("dhcp.option.vendor_class_id", "Vendor class identifier", "The client's vendor and kind.")
        case 51: return duration("dhcp.option.ip_address_lease_time", "IP Address Lease Time", "How long the address may be used.")
        case 58: return duration("dhcp.option.renewal_time_value", "Renewal Time Value", "When the client should renew (T1).")
        case 59: return duration("dhcp.option.rebinding_time_value", "Rebinding Time Value", "When the client should ask any server (T2).")
        case 57:
            guard length == 2 else { return false }
            f.add(Field("dhcp.option.dhcp_max_message_size", "Maximum DHCP Message Size", .uint(UInt64(b.be16(data.lowerBound))),
                        range: data, explain: "The largest DHCP message the client accepts."))
        default:
            return false
        }
        return true
    }
}

extension Summary {
    /// tcpdump's `bootp_print` at default verbosity: "BOOTP/DHCP, Request from MAC, length N".
    /// `length` is the UDP payload's length.
    static func writeBOOTP(_ b: Bytes, at start: Int, end: Int, length: Int, into w: inout TextWriter) {
        typealias O = DHCP.Offset
        guard start < end else {
            w.write(" [|bootp]")
            return
        }
        let op = b[start]
        w.write("BOOTP/DHCP, ")
        switch op {
        case 1: w.write("Request")
        case 2: w.write("Reply")
        default:
            w.write("unknown (0x")
            w.write(hex: UInt64(op), digits: 2)
            w.write(")")
        }
        guard start + O.hlen < end else {
            w.write(" [|bootp]")
            return
        }
        if b[start + O.htype] == 1 && b[start + O.hlen] == 6 && op == 1 {
            guard start + O.chaddr + 6 <= end else {
                w.write(" [|bootp]")
                return
            }
            w.write(" from ")
            w.write(mac: b.be48(start + O.chaddr))
        }
        w.write(", length ")
        w.write(decimal: length)
    }
}

extension Summary {
    /// Whether the line just written ends where tcpdump's printer jumped out (its GET_ macros
    /// reading past the capture: BOOTP's and NTP's " [|bootp]" and " [|ntp]"); `tcpdump -X` then
    /// dumps the whole frame, link-layer header included, not from the network layer.
    public static func dumpsWholeFrame(_ w: borrowing TextWriter) -> Bool {
        w.withBytes { b in
            [" [|bootp]\n", " [|ntp]\n"].contains { mark in
                b.count >= mark.utf8.count && b.suffix(mark.utf8.count).elementsEqual(mark.utf8)
            }
        }
    }
}
