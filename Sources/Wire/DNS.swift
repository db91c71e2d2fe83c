/// DNS messages (RFC 1035 4.1) over UDP port 53: header, questions and resource records, with
/// name compression followed only backwards, so a pointer loop ends as malformed, never a hang.
enum DNS {
    static let headerLength = 12
    static let port: UInt16 = 53
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

    enum NameError: Error {
        case truncated, badPointer, tooLong, badLabelType
    }

    /// Reads the name at `i` of the message starting at `message`: its text ("example.test.", or
    /// "." for the root) and where the name ends in place (after the first pointer, if any).
    static func readName(_ b: Bytes, message: Int, at i: Int, end: Int) throws -> (text: String, next: Int) {
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
                if next == nil { next = cursor + 2 }
                limit = offset
                cursor = message + offset
            case 0:
                if length == 0 {
                    return (text.isEmpty ? "." : text, next ?? cursor + 1)
                }
                guard cursor + 1 + length <= end else { throw NameError.truncated }
                text += label(b[(cursor + 1)...(cursor + length)]) + "."
                guard text.utf8.count <= maxNameLength else { throw NameError.tooLong }
                cursor += 1 + length
            default:
                throw NameError.badLabelType
            }
        }
    }

    /// A label's bytes as text, control characters escaped as Wireshark shows them ("\\f", "\\000").
    static func label(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        for c in bytes {
            let escapes: [UInt8: UInt8] = [7: 97, 8: 98, 9: 116, 10: 110, 11: 118, 12: 102, 13: 114]
            if let e = escapes[c] {
                out += [92, e]
            } else if c < 0x20 || c == 0x7f {
                out += [92, 48 + c >> 6, 48 + (c >> 3) & 7, 48 + c & 7]
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Where the name at `i` ends in place, without reading it (tcpdump's ns_nskip).
    static func skipName(_ b: Bytes, at i: Int, end: Int) -> Int? {
        var cursor = i
        while cursor < end {
            let length = Int(b[cursor])
            if length & 0xc0 == 0xc0 { return cursor + 2 }
            if length & 0xc0 != 0 { return nil }
            if length == 0 { return cursor + 1 }
            cursor += 1 + length
        }
        return nil
    }
}

extension Dissector {
    static func dissectDNS(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
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
        for _ in 0..<Int(b.be16(start + O.questions)) {
            do {
                let (name, next) = try DNS.readName(b, message: start, at: i, end: end)
                guard next + 4 <= end else { throw DNS.NameError.truncated }
                let type = b.be16(next), cls = b.be16(next + 2)
                fields.add(Field("dns.qry.name", "Name", .text(fields.text(name == "." ? "<Root>" : String(name.dropLast()))), range: i..<next,
                                 explain: "The name asked about."))
                fields.add(Field("dns.qry.type", "Type", .uint(UInt64(type)), note: d.describes ? DNS.typeName(type).map { fields.text("(\($0))") } : nil,
                                 range: next..<(next + 2), explain: "The kind of record asked for: 1 A, 28 AAAA, 5 CNAME, 15 MX."))
                fields.add(Field("dns.qry.class", "Class", .uint(UInt64(cls)), base: .hex(digits: 4), range: (next + 2)..<(next + 4),
                                 explain: "The namespace; 1 is IN, the Internet."))
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
                let (name, next) = try DNS.readName(b, message: start, at: i, end: end)
                guard next + 10 <= end else { throw DNS.NameError.truncated }
                let type = b.be16(next), cls = b.be16(next + 2), ttl = b.be32(next + 4), length = Int(b.be16(next + 8))
                let data = next + 10
                guard data + length <= end else { throw DNS.NameError.truncated }
                fields.add(Field("dns.resp.name", "Name", .text(fields.text(name == "." ? "<Root>" : String(name.dropLast()))), range: i..<next,
                                 explain: "The name this record is about."))
                fields.add(Field("dns.resp.type", "Type", .uint(UInt64(type)), note: d.describes ? DNS.typeName(type).map { fields.text("(\($0))") } : nil,
                                 range: next..<(next + 2), explain: "The kind of record."))
                if type != 41 {
                    fields.add(Field("dns.resp.class", "Class", .uint(UInt64(cls)), base: .hex(digits: 4), range: (next + 2)..<(next + 4),
                                     explain: "The namespace; 1 is IN, the Internet."))
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
                    let target = try DNS.readName(b, message: start, at: data, end: data + length).text
                    let name: StaticString = type == 5 ? "dns.cname" : type == 2 ? "dns.ns" : "dns.ptr.domain_name"
                    fields.add(Field(name, type == 5 ? "CNAME" : type == 2 ? "Name Server" : "Domain Name",
                                     .text(fields.text(String(target.dropLast()))), range: data..<(data + length),
                                     explain: type == 5 ? "The canonical name: look this name up instead." : "The name this record points to."))
                case 16:
                    // TXT (RFC 1035 3.3.14): one or more character-strings, each a length byte and text.
                    var c = data
                    while c < data + length, c + 1 + Int(b[c]) <= data + length {
                        let n = Int(b[c])
                        fields.add(Field("dns.txt.length", "TXT Length", .uint(UInt64(n)), range: c..<(c + 1),
                                         explain: "Bytes in the string that follows."))
                        fields.add(Field("dns.txt", "TXT", .text(fields.text(String(decoding: b[(c + 1)..<(c + 1 + n)], as: UTF8.self))),
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
        d.add("dns", title: "Domain Name System (\(flags & 0x8000 != 0 ? "response" : "query"))",
                              range: start..<max(i, start + DNS.headerLength), fields: fields)
        if let problem { d.fail(problem, at: i..<end) }
    }

    private static func describe(_ error: Error) -> String {
        switch error as? DNS.NameError {
        case .badPointer: return "name has a compression pointer that does not point backwards (a loop)"
        case .tooLong: return "name is longer than 255 bytes"
        case .badLabelType: return "name has a label type that does not exist"
        default: return "runs past the end of the packet"
        }
    }
}

extension Summary {
    /// tcpdump's `domain_print` for UDP at default verbosity. `length` is the UDP payload length.
    static func writeDNS(_ b: Bytes, at start: Int, end: Int, length: Int, into w: inout TextWriter) {
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
        let O = DNS.Offset.self
        let flags = b.be16(start + O.flags)
        let questions = Int(b.be16(start + O.questions)), answers = Int(b.be16(start + O.answers))
        let authority = Int(b.be16(start + O.authority)), additional = Int(b.be16(start + O.additional))
        var rcode = Int(flags & 0xf)
        // As tcpdump does: skip to the additional section for an EDNS OPT record's upper rcode bits.
        var cursor: Int? = start + DNS.headerLength
        for _ in 0..<questions { cursor = cursor.flatMap { DNS.skipName(b, at: $0, end: end) }.map { $0 + 4 }; if cursor.map({ $0 >= end }) ?? true { cursor = nil; break } }
        for _ in 0..<(answers + authority) where cursor != nil {
            guard let c = cursor.flatMap({ DNS.skipName(b, at: $0, end: end) }), c + 10 <= end else { cursor = nil; break }
            cursor = c + 10 + Int(b.be16(c + 8))
            if cursor! >= end { cursor = nil }
        }
        for _ in 0..<additional where cursor != nil {
            guard let c = cursor.flatMap({ DNS.skipName(b, at: $0, end: end) }), c + 5 <= end else { break }
            if b.be16(c) == 41 {
                rcode |= Int(b[c + 4]) << 4
                break
            }
            guard c + 10 <= end else { break }
            cursor = c + 10 + Int(b.be16(c + 8))
            if cursor! >= end { break }
        }

        w.write(decimal: b.be16(start))
        w.write(DNS.opcodes[Int(flags >> 11 & 0xf)])
        var i = start + DNS.headerLength
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
            for _ in 0..<questions {
                guard let next = DNS.skipName(b, at: i, end: end) else {
                    w.write(" [|domain]")
                    return
                }
                i = next + 4
            }
            w.write(byte: 32)
            w.write(decimal: answers)
            w.write(byte: 47)
            w.write(decimal: authority)
            w.write(byte: 47)
            w.write(decimal: additional)
            // As ns_rprint: a record whose header cannot be read ends the list quietly; one whose
            // data runs past the end is a truncation.
            var remaining = answers
            if remaining > 0 {
                guard let next = writeRecord(b, message: start, at: i, end: end, into: &w) else {
                    w.write(" [|domain]")
                    return
                }
                i = next
                remaining -= 1
                while i < end && remaining > 0 {
                    w.write(",")
                    guard let next = writeRecord(b, message: start, at: i, end: end, into: &w) else {
                        w.write(" [|domain]")
                        return
                    }
                    i = next
                    remaining -= 1
                }
            }
            if remaining > 0 {
                w.write(" [|domain]")
                return
            }
        } else {
            if flags & 0x0100 != 0 { w.write("+") }
            if flags & 0x0010 != 0 { w.write("%") }
            if flags & 0x6cf != 0 {
                w.write(" [b2&3=0x")
                w.write(hex: UInt64(flags))
                w.write("]")
            }
            if answers > 0 { w.write(" ["); w.write(decimal: answers); w.write("a]") }
            if questions != 1 { w.write(" ["); w.write(decimal: questions); w.write("q]") }
            if authority > 0 { w.write(" ["); w.write(decimal: authority); w.write("n]") }
            if additional > 0 { w.write(" ["); w.write(decimal: additional); w.write("au]") }
            for n in 0..<questions {
                if n > 0 && i >= end { break }
                guard let next = DNS.skipName(b, at: i, end: end), next + 4 <= end,
                      let (name, _) = try? DNS.readName(b, message: start, at: i, end: end) else {
                    w.write(" [|domain]")
                    return
                }
                let type = b.be16(next), cls = b.be16(next + 2)
                w.write(byte: 32)
                w.write(DNS.typeName(type) ?? "Type\(type)")
                if cls != 1 {
                    w.write(byte: 32)
                    w.write(DNS.className(cls))
                }
                w.write("? ")
                w.write(name)
                i = next + 4
            }
        }
        w.write(" (")
        w.write(decimal: length)
        w.write(")")
    }

    /// One resource record as tcpdump's `ns_rprint` prints it without -v: where it ends (`end`
    /// when its header is not all there), or nil when its data is cut short.
    private static func writeRecord(_ b: Bytes, message: Int, at i: Int, end: Int, into w: inout TextWriter) -> Int? {
        guard let next = DNS.skipName(b, at: i, end: end), next + 10 <= end else { return end }
        let type = b.be16(next), cls = b.be16(next + 2), length = Int(b.be16(next + 8))
        let data = next + 10
        if cls != 1 && type != 41 {
            w.write(byte: 32)
            w.write(DNS.className(cls))
        }
        w.write(byte: 32)
        w.write(DNS.typeName(type) ?? "Type\(type)")
        guard data + length <= end else { return nil }
        switch type {
        case 1:
            guard length >= 4 else { return nil }
            w.write(byte: 32)
            w.write(ipv4: b.be32(data))
        case 28:
            guard length >= 16 else { return nil }
            w.write(byte: 32)
            w.write(ipv6: IPv6Address(b, at: data))
        case 2, 5, 12, 39:
            w.write(byte: 32)
            guard let (name, _) = try? DNS.readName(b, message: message, at: data, end: end) else { return nil }
            w.write(name)
        case 15:
            guard length >= 3, let (name, _) = try? DNS.readName(b, message: message, at: data + 2, end: end) else { return nil }
            w.write(byte: 32)
            w.write(name)
            w.write(byte: 32)
            w.write(decimal: b.be16(data))
        case 16:
            // Each character-string quoted, as ns_cprint: a string may run past the record (into
            // what the capture holds), and one cut short by the capture ends the line.
            var c = data
            while c < data + length {
                w.write(" \"")
                let n = Int(b[c])
                let stop = min(c + 1 + n, end)
                for ch in b[(c + 1)..<max(c + 1, stop)] { w.write(printable: ch) }
                if c + 1 + n > end { return nil }
                w.write(byte: 34)
                c += 1 + n
            }
        default:
            break
        }
        return data + length
    }
}
