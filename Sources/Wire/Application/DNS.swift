/// DNS messages (RFC 1035 4.1) over UDP port 53: header, questions and resource records, with
/// name compression followed only backwards, so a pointer loop ends as malformed, never a hang.
enum DNS {
    static let headerLength = 12
    static let port: UInt16 = 53
    /// Multicast DNS (RFC 6762), which tcpdump and Wireshark decode as DNS.
    static let multicastPort: UInt16 = 5353
    /// LLMNR (RFC 4795): Wireshark decodes it as DNS; tcpdump 4.99.3 does not.
    static let llmnrPort: UInt16 = 5355

    /// DNS and the two protocols that carry its messages elsewhere, with Wireshark's names.
    enum Flavour {
        case dns, mdns, llmnr

        var layer: String {
            switch self {
            case .dns: return "dns"
            case .mdns: return "mdns"
            case .llmnr: return "llmnr"
            }
        }

        var title: String {
            switch self {
            case .dns: return "Domain Name System"
            case .mdns: return "Multicast Domain Name System"
            case .llmnr: return "Link-local Multicast Name Resolution"
            }
        }

        /// The flavour a UDP datagram between these ports carries, as Wireshark picks it.
        static func forUDP(_ source: UInt16, _ destination: UInt16) -> Flavour? {
            if source == DNS.port || destination == DNS.port { return .dns }
            if source == DNS.multicastPort || destination == DNS.multicastPort { return .mdns }
            if source == DNS.llmnrPort || destination == DNS.llmnrPort { return .llmnr }
            return nil
        }
    }
    static let maxNameLength = 255

    enum Offset {
        static let id = 0, flags = 2, questions = 4, answers = 6, authority = 8, additional = 10
    }

    /// IANA's names for the record types tunscope and tcpdump name ("Type%u" otherwise).
    static func typeName(_ t: UInt16) -> String? {
        switch t {
        case 1: return "A"
        case 2: return "NS"
        case 5: return "CNAME"
        case 6: return "SOA"
        case 12: return "PTR"
        case 13: return "HINFO"
        case 15: return "MX"
        case 16: return "TXT"
        case 28: return "AAAA"
        case 33: return "SRV"
        case 35: return "NAPTR"
        case 39: return "DNAME"
        case 41: return "OPT"
        case 43: return "DS"
        case 46: return "RRSIG"
        case 47: return "NSEC"
        case 48: return "DNSKEY"
        case 252: return "AXFR"
        case 255: return "ANY"
        default: return nil
        }
    }

    static func className(_ c: UInt16) -> String {
        switch c {
        case 1: return "IN"
        case 3: return "CHAOS"
        case 4: return "HS"
        case 255: return "ANY"
        default: return "(Class \(c))"
        }
    }

    static let responseCodes = [
        "", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet",
        " NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange",
        " BadVers", "Resp17", " Resp18", " Resp19", " Resp20", "Resp21", " Resp22", " BadCookie",
    ]
    static let opcodes = [
        "", " inv_q", " stat", " op3", " notify", " update", " op6", " op7",
        " op8", " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef",
    ]

    /// tcpdump's names for the algorithms an EDNS DAU (5), DHU (6) or N3U (7) option lists
    /// (RFC 6975): DNSSEC signing, DS hash and NSEC3 hash algorithms.
    static func algorithmName(_ option: UInt16, _ number: UInt8) -> StaticString? {
        switch (option, number) {
        case (5, 0): return "DELETE"
        case (5, 1): return "RSAMD5"
        case (5, 2): return "DH"
        case (5, 3): return "DS"
        case (5, 5): return "RSASHA1"
        case (5, 6): return "DSA-NSEC3-SHA1"
        case (5, 7): return "RSASHA1-NSEC3-SHA1"
        case (5, 8): return "RSASHA256"
        case (5, 10): return "RSASHA512"
        case (5, 12): return "ECC-GOST"
        case (5, 13): return "ECDSAP256SHA256"
        case (5, 14): return "ECDSAP384SHA384"
        case (5, 15): return "ED25519"
        case (5, 16): return "ED448"
        case (5, 252): return "INDIRECT"
        case (5, 253): return "PRIVATEDNS"
        case (5, 254): return "PRIVATEOID"
        case (6, 1), (7, 1): return "SHA-1"
        case (6, 2): return "SHA-256"
        case (6, 3): return "GOST_R_34.11-94"
        case (6, 4): return "SHA-384"
        default: return nil
        }
    }

    enum NameError: Error {
        case truncated, badPointer, tooLong, badLabelType, tooManyPointers
    }

    /// Reads the name at `i` of the message starting at `message`: its text ("example.test.", or
    /// "." for the root) and where the name ends in place (after the first pointer, if any).
    static func readName(_ b: Bytes, message: Int, at i: Int, end: Int) throws -> (text: String, next: Int) {
        var budget = 4 * (end - message) + maxNameLength + 1
        return try readName(b, message: message, at: i, end: end, budget: &budget)
    }

    /// As above, each label read and pointer followed taking one pass of `budget`, which the
    /// names of one message share: a message whose names take more passes than four a byte
    /// (pointer chains walked by name after name) is malformed rather than a cost that grows
    /// with the square of its bytes.
    static func readName(_ b: Bytes, message: Int, at i: Int, end: Int, budget: inout Int) throws -> (text: String, next: Int) {
        var text = ""
        var cursor = i
        var next: Int?
        // Every pointer must go backwards (tcpdump's rule), so following them always ends.
        var limit = i - message
        while true {
            guard cursor < end else { throw NameError.truncated }
            let length = Int(b[cursor])
            switch length & 0xc0 {
            case 0xc0:
                guard cursor + 1 < end else { throw NameError.truncated }
                let offset = (length & 0x3f) << 8 | Int(b[cursor + 1])
                guard offset < limit else { throw NameError.badPointer }
                budget -= 1
                guard budget >= 0 else { throw NameError.tooManyPointers }
                if next == nil { next = cursor + 2 }
                limit = offset
                cursor = message + offset
            case 0:
                if length == 0 {
                    return (text.isEmpty ? "." : text, next ?? cursor + 1)
                }
                budget -= 1
                guard budget >= 0 else { throw NameError.tooManyPointers }
                guard cursor + 1 + length <= end else { throw NameError.truncated }
                text += label(b[(cursor + 1)...(cursor + length)]) + "."
                guard text.utf8.count <= maxNameLength else { throw NameError.tooLong }
                cursor += 1 + length
            default:
                throw NameError.badLabelType
            }
        }
    }

    /// Text Wireshark reads as ASCII (TXT strings outside mDNS, BOOTP's names, DHCP's text
    /// options): each byte past 0x7f is U+FFFD. The JSON holds that text as it is; the tree
    /// shows control characters escaped (`\001`), as it does a DNS label's.
    static func asciiText(_ bytes: ArraySlice<UInt8>) -> (value: String, shown: String) {
        var scalars = String.UnicodeScalarView()
        for c in bytes { scalars.append(c < 0x80 ? Unicode.Scalar(c) : "\u{FFFD}") }
        let value = String(scalars)
        return (value, DNS.label(ArraySlice(value.utf8)))
    }

    /// A label's bytes as text, control characters escaped as Wireshark shows them ("\\f", "\\000").
    static func label(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        for c in bytes {
            // "\a" to "\r" by their letters (a table, not a dictionary made for every byte).
            if c >= 7 && c <= 13 {
                out += [92, [97, 98, 116, 110, 118, 102, 114][Int(c) - 7]]
            } else if c < 0x20 || c == 0x7f {
                out += [92, 48 + c >> 6, 48 + (c >> 3) & 7, 48 + c & 7]
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Where the name at `i` ends in place, without reading it (tcpdump's ns_nskip: a pointer
    /// ends it, an EDNS0 bit label is skipped by its bit count, another label type fails). Each
    /// step moves forward, so the walk is bounded by the bytes.
    static func skipName(_ b: Bytes, at i: Int, end: Int) -> Int? {
        var cursor = i
        while cursor < end {
            let length = Int(b[cursor])
            switch length & 0xc0 {
            case 0xc0: return cursor + 2
            case 0x40:
                guard length & 0x3f == 1, cursor + 1 < end else { return nil }
                let bits = b[cursor + 1] == 0 ? 256 : Int(b[cursor + 1])
                cursor += 2 + (bits + 7) / 8
            case 0x80: return nil
            default:
                if length == 0 { return cursor + 1 }
                cursor += 1 + length
            }
        }
        return nil
    }

    /// tcpdump's names for record types (`ns_type2str`), which name more than IANA's short list
    /// above; "Type%u" for the rest.
    static func tcpdumpTypeName(_ t: UInt16) -> StaticString? {
        switch t {
        case 1: return "A"
        case 2: return "NS"
        case 3: return "MD"
        case 4: return "MF"
        case 5: return "CNAME"
        case 6: return "SOA"
        case 7: return "MB"
        case 8: return "MG"
        case 9: return "MR"
        case 10: return "NULL"
        case 11: return "WKS"
        case 12: return "PTR"
        case 13: return "HINFO"
        case 14: return "MINFO"
        case 15: return "MX"
        case 16: return "TXT"
        case 17: return "RP"
        case 18: return "AFSDB"
        case 19: return "X25"
        case 20: return "ISDN"
        case 21: return "RT"
        case 22: return "NSAP"
        case 23: return "NSAP_PTR"
        case 24: return "SIG"
        case 25: return "KEY"
        case 26: return "PX"
        case 27: return "GPOS"
        case 28: return "AAAA"
        case 29: return "LOC"
        case 30: return "NXT"
        case 31: return "EID"
        case 32: return "NIMLOC"
        case 33: return "SRV"
        case 34: return "ATMA"
        case 35: return "NAPTR"
        case 36: return "KX"
        case 37: return "CERT"
        case 38: return "A6"
        case 39: return "DNAME"
        case 40: return "SINK"
        case 41: return "OPT"
        case 42: return "APL"
        case 43: return "DS"
        case 44: return "SSHFP"
        case 45: return "IPSECKEY"
        case 46: return "RRSIG"
        case 47: return "NSEC"
        case 48: return "DNSKEY"
        case 99: return "SPF"
        case 100: return "UINFO"
        case 101: return "UID"
        case 102: return "GID"
        case 103: return "UNSPEC"
        case 104: return "UNSPECA"
        case 249: return "TKEY"
        case 250: return "TSIG"
        case 251: return "IXFR"
        case 252: return "AXFR"
        case 253: return "MAILB"
        case 254: return "MAILA"
        case 255: return "ANY"
        case 256: return "URI"
        default: return nil
        }
    }
}

extension Dissector {
    /// A DNS message as Wireshark's dns dissector shows it; `flavour` picks its mdns or llmnr
    /// variant (the same dns.* fields, mDNS's top class bit as QU or cache flush), and
    /// `overTCP` the two-byte length before the message (RFC 1035 4.2.2).
    static func dissectDNS(_ b: Bytes, at origin: Int, end: Int, flavour: DNS.Flavour = .dns, overTCP: Bool = false,
                           into d: inout Dissection) {
        let start = overTCP ? origin + 2 : origin
        let mdns = flavour == .mdns
        guard start + DNS.headerLength <= end else {
            d.fail("DNS header needs 12 bytes, \(end - start) left", at: start..<end)
            return
        }
        let O = DNS.Offset.self
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        let flags = b.be16(start + O.flags)
        let flag = { (name: StaticString, label: FieldText, bit: UInt16, explain: FieldText) in
            Field(name, label, .bool(flags & bit != 0), mask: UInt32(bit), range: r(O.flags, 2), explain: explain)
        }
        var fields = FieldList()
        if overTCP {
            fields.add(Field("dns.length", "Length", .uint(UInt64(b.be16(origin))), range: origin..<start,
                             explain: "Over TCP, the message's length in bytes comes first (RFC 1035 4.2.2)."))
        }
        fields.add(Field("dns.id", "Transaction ID", .uint(UInt64(b.be16(start))), base: .hex(digits: 4), range: r(O.id, 2),
                         explain: "Chosen by the asker; the answer carries the same ID so it can be matched."))
        fields.add(Field("dns.flags", "Flags", .uint(UInt64(flags)), base: .hex(digits: 4), range: r(O.flags, 2),
                         explain: "Query or response, the kind of query, and how it was answered.")) {
            $0.add(flag("dns.flags.response", "Response", 0x8000, "0 for a query, 1 for a response."))
            $0.add(Field("dns.flags.opcode", "Opcode", .uint(UInt64(flags >> 11 & 0xf)), mask: 0x7800, range: r(O.flags, 2),
                         explain: "The kind of query: 0 standard, 4 notify, 5 update."))
            $0.add(flag("dns.flags.authoritative", "Authoritative", 0x0400, "The answer comes from a server that owns the zone."))
            $0.add(flag("dns.flags.truncated", "Truncated", 0x0200, "The message was cut to fit; ask again over TCP."))
            $0.add(flag("dns.flags.recdesired", "Recursion desired", 0x0100, "The asker wants the server to chase the answer for it."))
            $0.add(flag("dns.flags.recavail", "Recursion available", 0x0080, "The server can chase answers for its clients."))
            $0.add(flag("dns.flags.z", "Z", 0x0040, "Reserved; must be zero."))
            $0.add(flag("dns.flags.authenticated", "Answer authenticated", 0x0020, "DNSSEC: the server validated the answer."))
            $0.add(flag("dns.flags.checkdisable", "Non-authenticated data", 0x0010, "DNSSEC: the asker does not want validation."))
            $0.add(Field("dns.flags.rcode", "Reply code", .uint(UInt64(flags & 0xf)), mask: 0x000f, range: r(O.flags, 2),
                         explain: "0 no error, 2 server failure, 3 no such name (NXDOMAIN), 5 refused."))
        }
        let counts: [(StaticString, FieldText, Int)] = [("dns.count.queries", "Questions", O.questions), ("dns.count.answers", "Answer RRs", O.answers),
                      ("dns.count.auth_rr", "Authority RRs", O.authority), ("dns.count.add_rr", "Additional RRs", O.additional)]
        for (name, label, offset) in counts {
            fields.add(Field(name, label, .uint(UInt64(b.be16(start + offset))), range: r(offset, 2),
                             explain: "How many records of this section follow."))
        }
        var i = start + DNS.headerLength
        var problem: String?
        var pointerBudget = 4 * (end - start) + DNS.maxNameLength + 1
        for _ in 0..<Int(b.be16(start + O.questions)) {
            do {
                let (name, next) = try DNS.readName(b, message: start, at: i, end: end, budget: &pointerBudget)
                guard next + 4 <= end else { throw DNS.NameError.truncated }
                let type = b.be16(next), rawClass = b.be16(next + 2)
                let cls = mdns ? rawClass & 0x7fff : rawClass
                fields.add(Field("dns.qry.name", "Name", .text(fields.text(name == "." ? "<Root>" : String(name.dropLast()))), range: i..<next,
                                 explain: "The name asked about."))
                fields.add(Field("dns.qry.type", "Type", .uint(UInt64(type)), note: d.describes ? DNS.typeName(type).map { fields.text("(\($0))") } : nil,
                                 range: next..<(next + 2), explain: "The kind of record asked for: 1 A, 28 AAAA, 5 CNAME, 15 MX."))
                fields.add(Field("dns.qry.class", "Class", .uint(UInt64(cls)), base: .hex(digits: 4), range: (next + 2)..<(next + 4),
                                 explain: "The namespace; 1 is IN, the Internet."))
                if mdns {
                    fields.add(Field("dns.qry.qu", "\"QU\" question", .bool(rawClass & 0x8000 != 0), mask: 0x8000, range: (next + 2)..<(next + 4),
                                     explain: "mDNS (RFC 6762 5.4): the asker would like a unicast answer."))
                }
                i = next + 4
            } catch {
                problem = "DNS question \(describe(error))"
                break
            }
        }
        let records = Int(b.be16(start + O.answers)) + Int(b.be16(start + O.authority)) + Int(b.be16(start + O.additional))
        var recordIndex = 0
        while problem == nil && recordIndex < records {
            recordIndex += 1
            do {
                let (name, next) = try DNS.readName(b, message: start, at: i, end: end, budget: &pointerBudget)
                guard next + 10 <= end else { throw DNS.NameError.truncated }
                let type = b.be16(next), rawClass = b.be16(next + 2), ttl = b.be32(next + 4), length = Int(b.be16(next + 8))
                let cls = mdns && type != 41 ? rawClass & 0x7fff : rawClass
                let data = next + 10
                guard data + length <= end else { throw DNS.NameError.truncated }
                fields.add(Field("dns.resp.name", "Name", .text(fields.text(name == "." ? "<Root>" : String(name.dropLast()))), range: i..<next,
                                 explain: "The name this record is about."))
                fields.add(Field("dns.resp.type", "Type", .uint(UInt64(type)), note: d.describes ? DNS.typeName(type).map { fields.text("(\($0))") } : nil,
                                 range: next..<(next + 2), explain: "The kind of record."))
                if type != 41 {
                    fields.add(Field("dns.resp.class", "Class", .uint(UInt64(cls)), base: .hex(digits: 4), range: (next + 2)..<(next + 4),
                                     explain: "The namespace; 1 is IN, the Internet."))
                    if mdns {
                        fields.add(Field("dns.resp.cache_flush", "Cache flush", .bool(rawClass & 0x8000 != 0), mask: 0x8000,
                                         range: (next + 2)..<(next + 4),
                                         explain: "mDNS (RFC 6762 10.2): this record replaces what caches hold for the name and type."))
                    }
                    fields.add(Field("dns.resp.ttl", "Time to live", .uint(UInt64(ttl)), range: (next + 4)..<(next + 8),
                                     explain: "How many seconds the answer may be cached."))
                }
                fields.add(Field("dns.resp.len", "Data length", .uint(UInt64(length)), range: (next + 8)..<(next + 10),
                                 explain: "Bytes of record data that follow."))
                switch type {
                case 1 where length == 4:
                    fields.add(Field("dns.a", "Address", .ipv4(IPv4Address(b.be32(data))), range: data..<(data + 4),
                                     explain: "An IPv4 address of the name."))
                case 28 where length == 16:
                    fields.add(Field("dns.aaaa", "AAAA Address", .ipv6(IPv6Address(b, at: data)), range: data..<(data + 16),
                                     explain: "An IPv6 address of the name."))
                case 5, 2, 12:
                    let target = try DNS.readName(b, message: start, at: data, end: data + length, budget: &pointerBudget).text
                    let name: StaticString = type == 5 ? "dns.cname" : type == 2 ? "dns.ns" : "dns.ptr.domain_name"
                    fields.add(Field(name, type == 5 ? "CNAME" : type == 2 ? "Name Server" : "Domain Name",
                                     .text(fields.text(target == "." ? "<Root>" : String(target.dropLast()))), range: data..<(data + length),
                                     explain: type == 5 ? "The canonical name: look this name up instead." : "The name this record points to."))
                case 16:
                    // TXT (RFC 1035 3.3.14): one or more character-strings, each a length byte and text.
                    var c = data
                    while c < data + length, c + 1 + Int(b[c]) <= data + length {
                        let n = Int(b[c])
                        fields.add(Field("dns.txt.length", "TXT Length", .uint(UInt64(n)), range: c..<(c + 1),
                                         explain: "Bytes in the string that follows."))
                        // Wireshark reads a TXT string as ASCII, or as UTF-8 in mDNS.
                        let bytes = b[(c + 1)..<(c + 1 + n)]
                        let text = mdns ? (String(decoding: bytes, as: UTF8.self), DNS.label(bytes)) : DNS.asciiText(bytes)
                        fields.add(Field("dns.txt", "TXT", .textShown(fields.text(text.0), shown: fields.text(text.1)),
                                         range: (c + 1)..<(c + 1 + n), explain: "Free-form text: SPF policies, domain ownership proofs."))
                        c += 1 + n
                    }
                default:
                    break
                }
                i = data + length
            } catch {
                problem = "DNS record \(describe(error))"
            }
        }
        d.add(flavour.layer, title: "\(flavour.title) (\(flags & 0x8000 != 0 ? "response" : "query"))",
                              range: start..<max(i, start + DNS.headerLength), fields: fields)
        if let problem { d.fail(problem, at: i..<end) }
    }

    private static func describe(_ error: Error) -> String {
        switch error as? DNS.NameError {
        case .badPointer: return "name has a compression pointer that does not point backwards (a loop)"
        case .tooLong: return "name is longer than 255 bytes"
        case .badLabelType: return "name has a label type that does not exist"
        case .tooManyPointers: return "names take more labels and compression pointers than four a byte of the message"
        default: return "runs past the end of the packet"
        }
    }
}

extension Summary {
    /// tcpdump's `domain_print` at default verbosity: DNS over UDP (53), mDNS (UDP 5353, `mdns`)
    /// and, with `overTCP`, DNS over TCP (53) behind its two-byte length prefix. `length` is the
    /// UDP or TCP payload length; `end` is where tcpdump's snapshot ends.
    static func writeDNS(_ b: Bytes, at start: Int, end: Int, length: Int, overTCP: Bool = false, mdns: Bool = false,
                         into w: inout TextWriter) {
        var steps = 0
        writeDNS(b, at: start, end: end, length: length, overTCP: overTCP, mdns: mdns, steps: &steps, into: &w)
    }

    /// As above, counting in `steps` every pass of every loop, so tests can see that the work
    /// is bounded by the bytes and not by the counts a header claims.
    static func writeDNS(_ b: Bytes, at start: Int, end: Int, length: Int, overTCP: Bool, mdns: Bool,
                         steps: inout Int, into w: inout TextWriter) {
        var start = start, length = length
        if overTCP {
            // RFC 1035 4.2.2: the message follows a two-byte length that counts only the message.
            if length < 2 {
                w.write(" [DNS over TCP: length ")
                w.write(decimal: length)
                w.write(" < 2] (invalid)")
                return
            }
            length -= 2
            guard start + 2 <= end else {
                w.write(" [|domain]")
                return
            }
            let prefix = Int(b.be16(start))
            if prefix != length {
                w.write(" [prefix length(")
                w.write(decimal: prefix)
                w.write(") != length(")
                w.write(decimal: length)
                w.write(")] (invalid)")
                return
            }
            start += 2
            w.write(byte: 32)
        }
        if length < DNS.headerLength {
            w.write("domain [length ")
            w.write(decimal: length)
            w.write(" < 12] (invalid)")
            return
        }
        guard start + DNS.headerLength <= end else {
            w.write(" [|domain]")
            return
        }
        var line = DNSLine(b: b, message: start, end: end, mdns: mdns)
        line.write(length: length, into: &w)
        steps += line.steps
    }
}

/// One DNS message printed as tcpdump's `domain_print` does without -v. Every loop either
/// moves forward through the bytes or, for a compression pointer, strictly backwards from the
/// last one (tcpdump's rule), so a message costs at most a few passes over its bytes whatever
/// its counts say; `steps` counts the passes.
private struct DNSLine {
    let b: Bytes
    let message: Int
    let end: Int
    let mdns: Bool
    var steps = 0
    /// Passes left for all the names of this message: four a byte and a name's worth more. An
    /// honest message needs far fewer (each name's labels are bytes of it, each pointer two);
    /// only pointer chains walked again and again by name after name reach it.
    var nameBudget: Int
    /// For an offset where a chain of pointers starts, where it ends (plus one), or -1 when it
    /// ends at a pointer that does not go backwards; 0 when not yet followed. Made for the
    /// first chain of pointers; a chain's end does not depend on how it was reached (arriving
    /// by a pointer at offset o, only pointers below o are allowed), so each chain is followed
    /// once however many names use it.
    var chainEnds: [Int32] = []

    init(b: Bytes, message: Int, end: Int, mdns: Bool) {
        self.b = b
        self.message = message
        self.end = end
        self.mdns = mdns
        nameBudget = 4 * (end - message) + DNS.maxNameLength + 1
    }

    mutating func write(length: Int, into w: inout TextWriter) {
        let O = DNS.Offset.self
        let flags = b.be16(message + O.flags)
        let questions = Int(b.be16(message + O.questions)), answers = Int(b.be16(message + O.answers))
        let authority = Int(b.be16(message + O.authority)), additional = Int(b.be16(message + O.additional))
        let rcode = extendedRcode(flags: flags, questions: questions, records: answers + authority, additional: additional)

        w.write(decimal: b.be16(message))
        w.write(DNS.opcodes[Int(flags >> 11 & 0xf)])
        var i = message + DNS.headerLength
        if flags & 0x8000 != 0 {
            w.write(rcode < DNS.responseCodes.count ? DNS.responseCodes[rcode] : " Resp\(rcode & 0xfff)")
            if flags & 0x0400 != 0 { w.write("*") }
            if flags & 0x0080 == 0 { w.write("-") }
            if flags & 0x0200 != 0 { w.write("|") }
            if flags & 0x0020 != 0 { w.write("$") }
            if questions != 1 {
                w.write(" [")
                w.write(decimal: questions)
                w.write("q]")
            }
            // Each skipped question moves at least five bytes on, and a skip past the end fails.
            // tcpdump writes the comma between questions it does not print, too.
            for n in 0..<questions {
                steps += 1
                if n != 0 { w.write(",") }
                guard let next = DNS.skipName(b, at: i, end: end) else { return truncated(&w) }
                i = next + 4
            }
            w.write(byte: 32)
            w.write(decimal: answers)
            w.write(byte: 47)
            w.write(decimal: authority)
            w.write(byte: 47)
            w.write(decimal: additional)
            var remaining = answers
            var first = true
            // ns_rprint's loop: the first record always, the others while bytes remain.
            while remaining > 0 && (first || i < end) {
                steps += 1
                if !first { w.write(",") }
                first = false
                guard let next = writeRecord(at: i, into: &w) else { return truncated(&w) }
                i = next
                remaining -= 1
            }
            if remaining > 0 { return truncated(&w) }
        } else {
            if flags & 0x0100 != 0 { w.write("+") }
            if flags & 0x0010 != 0 { w.write("%") }
            if flags & 0x6cf != 0 {
                w.write(" [b2&3=0x")
                w.write(hex: UInt64(flags))
                w.write("]")
            }
            if flags >> 11 & 0xf == 1 {
                // An inverse query: the answer section is the question.
                if questions > 0 { w.write(" ["); w.write(decimal: questions); w.write("q]") }
                if answers != 1 { w.write(" ["); w.write(decimal: answers); w.write("a]") }
            } else {
                if answers > 0 { w.write(" ["); w.write(decimal: answers); w.write("a]") }
                if questions != 1 { w.write(" ["); w.write(decimal: questions); w.write("q]") }
            }
            if authority > 0 { w.write(" ["); w.write(decimal: authority); w.write("n]") }
            if additional > 0 { w.write(" ["); w.write(decimal: additional); w.write("au]") }
            var remaining = questions
            var first = true
            while remaining > 0 && (first || i < end) {
                steps += 1
                first = false
                guard let next = writeQuestion(at: i, into: &w) else { return truncated(&w) }
                i = next
                remaining -= 1
            }
            if remaining > 0 { return truncated(&w) }
        }
        w.write(" (")
        w.write(decimal: length)
        w.write(")")
    }

    private func truncated(_ w: inout TextWriter) {
        w.write(" [|domain]")
    }

    /// The response code, its upper bits taken from an EDNS OPT record in the additional section
    /// as tcpdump does. The walk stops where the bytes end, whatever the counts.
    private mutating func extendedRcode(flags: UInt16, questions: Int, records: Int, additional: Int) -> Int {
        let rcode = Int(flags & 0xf)
        var c = message + DNS.headerLength
        for _ in 0..<questions {
            steps += 1
            guard let next = DNS.skipName(b, at: c, end: end), next + 4 < end else { return rcode }
            c = next + 4
        }
        for _ in 0..<records {
            steps += 1
            guard let next = DNS.skipName(b, at: c, end: end), next + 10 <= end else { return rcode }
            c = next + 10 + Int(b.be16(next + 8))
            if c >= end { return rcode }
        }
        for _ in 0..<additional {
            steps += 1
            guard let next = DNS.skipName(b, at: c, end: end), next + 5 <= end else { return rcode }
            if b.be16(next) == 41 {
                return rcode | Int(b[next + 4]) << 4
            }
            guard next + 10 <= end else { return rcode }
            c = next + 10 + Int(b.be16(next + 8))
            if c >= end { return rcode }
        }
        return rcode
    }

    /// tcpdump's `ns_qprint`: type, class, "?" and the name; where the next question starts.
    private mutating func writeQuestion(at i: Int, into w: inout TextWriter) -> Int? {
        guard let next = DNS.skipName(b, at: i, end: end), next + 4 <= end else { return nil }
        let type = b.be16(next), rawClass = b.be16(next + 2)
        let cls = mdns ? rawClass & 0x7fff : rawClass
        w.write(byte: 32)
        writeType(type, into: &w)
        if cls != 1 {
            w.write(byte: 32)
            writeClass(cls, into: &w)
        }
        if mdns { w.write(rawClass & 0x8000 != 0 ? " (QU)" : " (QM)") }
        w.write("? ")
        return writeName(at: i, into: &w).map { $0 + 4 }
    }

    /// The class as tcpdump names it ("(Class N)" otherwise), written without making a String.
    private func writeClass(_ cls: UInt16, into w: inout TextWriter) {
        switch cls {
        case 1: w.write("IN")
        case 3: w.write("CHAOS")
        case 4: w.write("HS")
        case 255: w.write("ANY")
        default:
            w.write("(Class ")
            w.write(decimal: cls)
            w.write(")")
        }
    }

    private func writeType(_ type: UInt16, into w: inout TextWriter) {
        if let name = DNS.tcpdumpTypeName(type) {
            w.write(name)
        } else {
            w.write("Type")
            w.write(decimal: type)
        }
    }

    /// One resource record as tcpdump's `ns_rprint` prints it without -v: where it ends (`end`
    /// when its header is not all there), or nil where tcpdump stops with "[|domain]".
    private mutating func writeRecord(at i: Int, into w: inout TextWriter) -> Int? {
        guard let next = DNS.skipName(b, at: i, end: end), next + 10 <= end else { return end }
        let type = b.be16(next), rawClass = b.be16(next + 2), length = Int(b.be16(next + 8))
        let cls = mdns ? rawClass & 0x7fff : rawClass
        let data = next + 10
        if cls != 1 && type != 41 {
            w.write(byte: 32)
            writeClass(cls, into: &w)
        }
        if mdns && rawClass & 0x8000 != 0 { w.write(" (Cache flush)") }
        w.write(byte: 32)
        writeType(type, into: &w)
        guard data + length <= end else { return nil }
        switch type {
        case 1:
            guard data + 4 <= end else { return nil }
            w.write(byte: 32)
            w.write(ipv4: b.be32(data))
        case 28:
            guard data + 16 <= end else { return nil }
            w.write(byte: 32)
            w.write(ipv6: IPv6Address(b, at: data))
        case 2, 5, 12, 39:
            w.write(byte: 32)
            guard writeName(at: data, into: &w) != nil else { return nil }
        case 15:
            w.write(byte: 32)
            guard data + 2 <= end, writeName(at: data + 2, into: &w) != nil else { return nil }
            w.write(byte: 32)
            w.write(decimal: b.be16(data))
        case 33:
            w.write(byte: 32)
            guard data + 6 <= end, writeName(at: data + 6, into: &w) != nil else { return nil }
            w.write(byte: 58)
            w.write(decimal: b.be16(data + 4))
            w.write(byte: 32)
            w.write(decimal: b.be16(data))
            w.write(byte: 32)
            w.write(decimal: b.be16(data + 2))
        case 16:
            // Each character-string quoted, as ns_cprint: a string may run past the record (into
            // what the capture holds), and one cut short by the capture ends the line.
            var c = data
            while c < data + length {
                steps += 1
                w.write(" \"")
                let n = Int(b[c])
                guard writeBytes(c + 1, count: n, into: &w) else { return nil }
                w.write(byte: 34)
                c += 1 + n
            }
        case 38:
            guard writeA6(at: data, into: &w) else { return nil }
        case 41:
            w.write(" UDPsize=")
            w.write(decimal: cls)
            if b.be16(next + 6) & 0x8000 != 0 { w.write(" DO") }
            guard writeOptions(data, data + length, into: &w) else { return nil }
        case 104:
            guard writeBytes(data, count: length, into: &w) else { return nil }
        case 256:
            guard data + 4 <= end else { return nil }
            w.write(byte: 32)
            w.write(decimal: b.be16(data))
            w.write(byte: 32)
            w.write(decimal: b.be16(data + 2))
            w.write(byte: 32)
            // A length below 4 wraps in tcpdump: it prints to the end of the capture and stops.
            guard length >= 4, writeBytes(data + 4, count: length - 4, into: &w) else {
                _ = writeBytes(data + 4, count: end, into: &w)
                return nil
            }
        default:
            break
        }
        return data + length
    }

    /// tcpdump's `nd_printn`: `count` bytes as fn_print_char shows them; false when the capture
    /// ends first (what was there is printed).
    private mutating func writeBytes(_ at: Int, count: Int, into w: inout TextWriter) -> Bool {
        let stop = min(end, at + count)
        var c = at
        while c < stop {
            w.write(printable: b[c])
            c += 1
        }
        steps += 1
        return at + count <= end
    }

    /// A6 (RFC 2874): prefix length, the address bits present, then the prefix's name.
    private mutating func writeA6(at data: Int, into w: inout TextWriter) -> Bool {
        guard data < end else { return false }
        let bits = Int(b[data])
        let skipped = (bits & ~7) / 8
        if bits > 128 {
            w.write(byte: 32)
            w.write(decimal: bits)
            w.write("(bad plen)")
            return true
        }
        if bits < 128 {
            guard data + 1 + 16 - skipped <= end else { return false }
            var address = Bytes(repeating: 0, count: 16)
            for k in skipped..<16 { address[k] = b[data + 1 + k - skipped] }
            w.write(byte: 32)
            w.write(decimal: bits)
            w.write(byte: 32)
            w.write(ipv6: IPv6Address(address, at: 0))
        }
        if bits > 0 {
            w.write(byte: 32)
            return writeName(at: data + 1 + 16 - skipped, into: &w) != nil
        }
        return true
    }

    /// The options of an OPT record as eopt_print prints them: " [NSID 6162,Opt65001]".
    private mutating func writeOptions(_ from: Int, _ to: Int, into w: inout TextWriter) -> Bool {
        guard from < to else { return true }
        w.write(" [")
        var c = from
        while c < to {
            steps += 1
            guard c + 4 <= end else { return false }
            let option = b.be16(c), length = Int(b.be16(c + 2))
            switch option {
            case 1: w.write("LLQ")
            case 2: w.write("UL")
            case 3: w.write("NSID")
            case 5: w.write("DAU")
            case 6: w.write("DHU")
            case 7: w.write("N3U")
            case 8: w.write("ECS")
            case 9: w.write("EXPIRE")
            case 10: w.write("COOKIE")
            case 11: w.write("KEEPALIVE")
            case 12: w.write("PADDING")
            case 13: w.write("CHAIN")
            case 14: w.write("KEY-TAG")
            case 16: w.write("CLIENT-TAG")
            case 17: w.write("SERVER-TAG")
            default: w.write("Opt"); w.write(decimal: option)
            }
            guard c + 4 + length <= end else { return false }
            if length > 0 {
                w.write(byte: 32)
                writeOptionValue(option, at: c + 4, length: length, into: &w)
            }
            c += 4 + length
            if c < to { w.write(",") }
        }
        w.write("]")
        return true
    }

    /// One option's value as eopt_print prints it at default verbosity; the whole value has been
    /// captured. A value of the wrong size for its option is " (invalid)".
    private mutating func writeOptionValue(_ option: UInt16, at v: Int, length: Int, into w: inout TextWriter) {
        func invalid() { w.write(" (invalid)") }
        switch option {
        case 8:  // ECS (RFC 7871): family, source and scope prefix lengths, the address cut to its prefix.
            guard length >= 4 else { return invalid() }
            let family = b.be16(v), source = Int(b[v + 2]), scope = Int(b[v + 3])
            guard family == 1 || family == 2 else { return invalid() }
            let bits = family == 1 ? 32 : 128
            guard length - 4 <= bits / 8, source <= bits, scope <= bits, (source + 7) / 8 == length - 4 else {
                return invalid()
            }
            var address = Bytes(repeating: 0, count: 16)
            for k in 0..<(length - 4) { address[k] = b[v + 4 + k] }
            if family == 1 {
                w.write(ipv4: address.be32(0))
            } else {
                w.write(ipv6: IPv6Address(address, at: 0))
            }
            w.write(byte: 47)
            w.write(decimal: source)
            w.write(byte: 47)
            w.write(decimal: scope)
        case 10:  // COOKIE (RFC 7873): a client cookie of 8 bytes, then a server cookie of 8 to 32.
            guard length == 8 || (16...40).contains(length) else { return invalid() }
            for k in 0..<length {
                if k == 8 { w.write(byte: 32) }
                w.write(hex: UInt64(b[v + k]), digits: 2)
            }
        case 11:  // KEEPALIVE (RFC 7828): units of 100 ms, printed as seconds.
            guard length == 2 else { return invalid() }
            let units = b.be16(v)
            w.write(decimal: units / 10)
            w.write(byte: 46)
            w.write(decimal: units % 10)
            w.write(" sec")
        case 9:  // EXPIRE (RFC 7314): seconds.
            guard length == 4 else { return invalid() }
            w.write(unsigned: UInt64(b.be32(v)))
            w.write(" sec")
        case 12:  // PADDING: only its length.
            w.write(byte: 40)
            w.write(decimal: length)
            w.write(byte: 41)
        case 14:  // KEY-TAG (RFC 8145): two-byte key tags.
            guard length % 2 == 0 else { return invalid() }
            for k in stride(from: 0, to: length, by: 2) {
                if k > 0 { w.write(byte: 32) }
                w.write(decimal: b.be16(v + k))
            }
        case 5, 6, 7:  // DAU, DHU, N3U (RFC 6975): one algorithm number a byte.
            for k in 0..<length {
                if k > 0 { w.write(byte: 32) }
                let number = b[v + k]
                if let name = DNS.algorithmName(option, number) { w.write(name) } else {
                    w.write("Alg_")
                    w.write(decimal: number)
                }
            }
        case 13:  // CHAIN (RFC 7901): a name. tcpdump reads its pointers from the option's end, not
                  // the message's start, and goes on with the next option whatever the name did.
            _ = writeName(at: v, base: v + length, into: &w)
        default:  // NSID and options without a printer of their own: hex.
            for k in 0..<length { w.write(hex: UInt64(b[v + k]), digits: 2) }
        }
    }

    /// tcpdump's `labellen`: the bytes a label takes after its first byte, or nil (after
    /// printing what tcpdump prints) for a label type it cannot read.
    private func labelLength(at c: Int, into w: inout TextWriter) -> Int? {
        guard c < end else { return nil }
        let v = Int(b[c])
        switch v & 0xc0 {
        case 0x40:
            guard v & 0x3f == 1 else {
                w.write("<ELT ")
                w.write(decimal: v & 0x3f)
                w.write(">")
                return nil
            }
            guard c + 1 < end else { return nil }
            let bits = b[c + 1] == 0 ? 256 : Int(b[c + 1])
            return (bits + 7) / 8 + 1
        case 0x80:
            w.write("<BAD LABEL TYPE>")
            return nil
        default:
            return v
        }
    }

    /// tcpdump's `fqdn_print`: the name at `i` as text, bytes escaped as fn_print_char does,
    /// at most 255 characters of it, "<BAD PTR>" for a pointer that does not go backwards;
    /// returns where the name ends in place, or nil where the line stops. Pointers must go
    /// strictly backwards, so a name follows at most one pointer per byte of the message, and
    /// each label moves the walk on; all the names of a message share `nameBudget` passes, past
    /// which the name is called too long and the line ends.
    /// `base` is where pointer offsets count from: the message, except for an EDNS CHAIN
    /// option's name, where tcpdump counts them from the option's end (a name before its base
    /// may point anywhere at first, as tcpdump's unsigned offset does).
    private mutating func writeName(at i: Int, base: Int? = nil, into w: inout TextWriter) -> Int? {
        let base = base ?? message
        guard var l = labelLength(at: i, into: &w) else { return nil }
        var maxOffset = i >= base ? i - base : Int.max
        var v = Int(b[i])
        var c = i + 1
        var rest: Int? = v & 0xc0 != 0xc0 ? c + l : nil
        var compressed = false
        if v == 0 {
            w.write(byte: 46)
            return rest
        }
        var characters = 0
        while v != 0 && c < end {
            steps += 1
            nameBudget -= 1
            if nameBudget < 0 {
                // Where tcpdump would walk on (its cost growing with the square of the bytes),
                // the line ends: the one place tunscope's line may differ from tcpdump's.
                w.write("<DOMAIN NAME TOO LONG>")
                return nil
            }
            switch v & 0xc0 {
            case 0xc0:
                if !compressed {
                    rest = c + 1
                    compressed = true
                }
                let offset = (v << 8 | Int(b[c])) & 0x3fff
                guard offset < maxOffset else {
                    w.write("<BAD PTR>")
                    return nil
                }
                var target = offset
                guard base + offset < end else { return nil }
                if base == message && b[message + offset] & 0xc0 == 0xc0 {
                    guard let last = chainEnd(from: offset) else {
                        w.write("<BAD PTR>")
                        return nil
                    }
                    target = last
                }
                maxOffset = target
                c = base + target
                v = Int(b[c])
                guard let next = labelLength(at: c, into: &w) else { return nil }
                l = next
                c += 1
                continue
            case 0x40:
                guard writeBitLabel(at: c, into: &w) else { return nil }
            default:
                if characters + l <= DNS.maxNameLength {
                    guard writeBytes(c, count: l, into: &w) else { return nil }
                } else if characters < DNS.maxNameLength {
                    guard writeBytes(c, count: DNS.maxNameLength - characters, into: &w) else { return nil }
                }
                characters += l
            }
            c += l
            if characters <= DNS.maxNameLength { w.write(byte: 46) }
            characters += 1
            guard c < end else { return nil }
            v = Int(b[c])
            guard let next = labelLength(at: c, into: &w) else { return nil }
            l = next
            c += 1
            if !compressed { rest = rest.map { $0 + l + 1 } }
        }
        if characters > DNS.maxNameLength { w.write("<DOMAIN NAME TOO LONG>") }
        return rest
    }

    /// Follows the pointers that start at `offset` (each must go backwards) to the first byte
    /// that is not one: its offset, or nil for a pointer that does not go backwards. Every offset
    /// on the way is remembered, so all the chains of a message cost one pass over its bytes.
    private mutating func chainEnd(from offset: Int) -> Int? {
        if chainEnds.isEmpty { chainEnds = [Int32](repeating: 0, count: end - message) }
        var o = offset
        var result: Int32 = 0
        while true {
            steps += 1
            if chainEnds[o] != 0 { result = chainEnds[o]; break }
            let at = message + o
            if b[at] & 0xc0 != 0xc0 || at + 1 >= end { result = Int32(o + 1); break }
            let next = (Int(b[at]) << 8 | Int(b[at + 1])) & 0x3fff
            if next >= o { result = -1; break }
            o = next
        }
        o = offset
        while chainEnds[o] == 0 {
            steps += 1
            chainEnds[o] = result
            let at = message + o
            if b[at] & 0xc0 != 0xc0 || at + 1 >= end { break }
            let next = (Int(b[at]) << 8 | Int(b[at + 1])) & 0x3fff
            if next >= o { break }
            o = next
        }
        return result < 0 ? nil : Int(result) - 1
    }

    /// tcpdump's `blabel_print`: an EDNS0 bit label (RFC 2673) as "\[x<hex>/<bits>]".
    private mutating func writeBitLabel(at c: Int, into w: inout TextWriter) -> Bool {
        guard c < end else { return false }
        let bits = b[c] == 0 ? 256 : Int(b[c])
        w.write("\\[x")
        var p = c + 1, left = bits
        while left > 7 {
            steps += 1
            guard p < end else { return false }
            w.write(hex: UInt64(b[p]), digits: 2)
            left -= 8
            p += 1
        }
        if left > 4 {
            guard p < end else { return false }
            w.write(hex: UInt64(Int(b[p]) & (0xff << (8 - left)) & 0xff), digits: 2)
        } else if left > 0 {
            guard p < end else { return false }
            w.write(hex: UInt64((Int(b[p]) >> 4) & 0x0f & (0x0f << (4 - left))), digits: 1)
        }
        w.write("/")
        w.write(decimal: bits)
        w.write("]")
        return true
    }
}
