/// ICMPv6 message types tunscope names (RFC 4443, RFC 4861).
public enum ICMPv6Type {
    public static let destinationUnreachable: UInt8 = 1, packetTooBig: UInt8 = 2, timeExceeded: UInt8 = 3, parameterProblem: UInt8 = 4
    public static let echoRequest: UInt8 = 128, echoReply: UInt8 = 129
    static let routerSolicitation: UInt8 = 133, routerAdvertisement: UInt8 = 134
    static let neighborSolicitation: UInt8 = 135, neighborAdvertisement: UInt8 = 136, redirect: UInt8 = 137
    static let listenerQuery: UInt8 = 130, listenerReport: UInt8 = 131, listenerDone: UInt8 = 132, listenerReportV2: UInt8 = 143

    /// tcpdump's name for the type.
    static func name(_ t: UInt8) -> String? {
        switch t {
        case destinationUnreachable: return "destination unreachable"
        case packetTooBig: return "packet too big"
        case timeExceeded: return "time exceeded in-transit"
        case parameterProblem: return "parameter problem"
        case echoRequest: return "echo request"
        case echoReply: return "echo reply"
        case listenerQuery: return "multicast listener query"
        case listenerReport: return "multicast listener report"
        case listenerDone: return "multicast listener done"
        case routerSolicitation: return "router solicitation"
        case routerAdvertisement: return "router advertisement"
        case neighborSolicitation: return "neighbor solicitation"
        case neighborAdvertisement: return "neighbor advertisement"
        case redirect: return "redirect"
        case listenerReportV2: return "multicast listener report v2"
        default: return nil
        }
    }

    /// The types whose message quotes the packet that caused them.
    static func isError(_ t: UInt8) -> Bool { t < 128 }
}

/// An ICMPv6 echo request or reply, or any message given as type, code and body, to build.
public struct ICMPv6Repr: TransportRepr, Sendable, Equatable {
    public var type: UInt8
    public var code: UInt8
    /// The four bytes after the checksum (identifier and sequence for an echo).
    public var rest: UInt32

    public init(type: UInt8, code: UInt8 = 0, rest: UInt32 = 0) {
        self.type = type
        self.code = code
        self.rest = rest
    }

    public static func echoRequest(identifier: UInt16, sequence: UInt16) -> ICMPv6Repr {
        ICMPv6Repr(type: ICMPv6Type.echoRequest, rest: UInt32(identifier) << 16 | UInt32(sequence))
    }

    public static func echoReply(identifier: UInt16, sequence: UInt16) -> ICMPv6Repr {
        ICMPv6Repr(type: ICMPv6Type.echoReply, rest: UInt32(identifier) << 16 | UInt32(sequence))
    }

    public var proto: IPProtocol { .icmpv6 }
    public var headerLength: Int { 8 }

    public func emit(into b: inout Bytes, at start: Int, payloadLength: Int, pseudo: PseudoHeader, checksum: ChecksumMode) {
        b[start] = type
        b[start + 1] = code
        b.setBE16(start + 2, 0)
        b.setBE32(start + 4, rest)
        switch checksum {
        case .correct:
            var c = pseudo.start(protocol: IPProtocol.icmpv6.rawValue, length: 8 + payloadLength)
            c.add(b, start..<(start + 8 + payloadLength))
            b.setBE16(start + 2, c.value)
        case let .value(v):
            b.setBE16(start + 2, v)
        }
    }
}

extension Dissector {
    static func dissectICMPv6(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into d: inout Dissection) {
        guard start + 4 <= end else {
            d.fail("ICMPv6 header needs 4 bytes, \(end - start) left", at: start..<end)
            return
        }
        let type = b[start], code = b[start + 1], checksum = b.be16(start + 2)
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        var fields = FieldList()
        fields.add(Field("icmpv6.type", "Type", .uint(UInt64(type)), note: d.describes ? ICMPv6Type.name(type).map { fields.text("(\($0))") } : nil, range: r(0, 1),
                         explain: "What kind of message: errors below 128 (unreachable, too big, time exceeded), echo, neighbour discovery."))
        fields.add(Field("icmpv6.code", "Code", .uint(UInt64(code)), range: r(1, 1), explain: "Detail within the type (why it was unreachable)."))
        var checksumField = Field("icmpv6.checksum", "Checksum", .uint(UInt64(checksum)), base: .hex(digits: 4), range: r(2, 2),
                                  explain: "Covers the addresses (a pseudo-header) and the whole message.")
        let messageEnd = start + ip.length
        if messageEnd <= end && !ip.quoted && !ip.fragment {
            var c = ip.pseudo.start(protocol: IPProtocol.icmpv6.rawValue, length: ip.length)
            c.add(b, start..<messageEnd)
            let ok = c.value == 0
            let expected = ok ? checksum : InternetChecksum.expected(received: checksum, verifyResult: c.value)
            checksumField.note = ok ? "[correct]" : fields.text("[incorrect, should be 0x\(hex(expected, 4))]")
            fields.add(checksumField)
            fields.add(Field("icmpv6.checksum.status", "Checksum Status", .uint(ok ? 1 : 0), note: ok ? "(Good)" : "(Bad)",
                             range: r(2, 2), explain: "Whether the checksum is right: 1 good, 0 bad."))
        } else {
            fields.add(checksumField)
        }
        let bodyEnd = min(end, messageEnd)
        var quotedStart: Int?
        switch type {
        case ICMPv6Type.echoRequest where start + 8 <= bodyEnd, ICMPv6Type.echoReply where start + 8 <= bodyEnd:
            fields.add(Field("icmpv6.echo.identifier", "Identifier", .uint(UInt64(b.be16(start + 4))), base: .hex(digits: 4),
                             range: r(4, 2), explain: "Chosen by the pinger to match replies to its requests."))
            fields.add(Field("icmpv6.echo.sequence_number", "Sequence", .uint(UInt64(b.be16(start + 6))), range: r(6, 2),
                             explain: "Counts the requests, so lost or reordered replies show."))
        case ICMPv6Type.packetTooBig where start + 8 <= bodyEnd:
            fields.add(Field("icmpv6.mtu", "MTU", .uint(UInt64(b.be32(start + 4))), range: r(4, 4),
                             explain: "The largest packet the next link takes: the sender should send smaller ones."))
            quotedStart = start + 8
        case ICMPv6Type.neighborSolicitation where start + 24 <= bodyEnd:
            fields.add(Field("icmpv6.nd.ns.target_address", "Target Address", .ipv6(IPv6Address(b, at: start + 8)), range: r(8, 16),
                             explain: "The address whose link-layer address is asked for."))
        case ICMPv6Type.neighborAdvertisement where start + 24 <= bodyEnd:
            let flags = b[start + 4]
            fields.add(Field("icmpv6.nd.na.flag.r", "Router", .bool(flags & 0x80 != 0), mask: 0x80, range: r(4, 1),
                             explain: "The sender is a router."))
            fields.add(Field("icmpv6.nd.na.flag.s", "Solicited", .bool(flags & 0x40 != 0), mask: 0x40, range: r(4, 1),
                             explain: "This answers a neighbour solicitation."))
            fields.add(Field("icmpv6.nd.na.flag.o", "Override", .bool(flags & 0x20 != 0), mask: 0x20, range: r(4, 1),
                             explain: "Replace any cached link-layer address."))
            fields.add(Field("icmpv6.nd.na.target_address", "Target Address", .ipv6(IPv6Address(b, at: start + 8)), range: r(8, 16),
                             explain: "The address this advertisement is about."))
        case ICMPv6Type.destinationUnreachable, ICMPv6Type.timeExceeded, ICMPv6Type.parameterProblem:
            quotedStart = start + 8
        default:
            break
        }
        d.add("icmpv6", title: "Internet Control Message Protocol v6", range: start..<min(bodyEnd, start + 8),
                              payload: min(bodyEnd, start + 8)..<bodyEnd, fields: fields)
        if messageEnd > end && !ip.quoted {
            d.fail("ICMPv6 message says \(ip.length) bytes, \(end - start) left", at: start..<end)
        }
        if let q = quotedStart, q < bodyEnd {
            dissectIP(b, at: q, end: bodyEnd, quoted: true, into: &d)
        }
        if (type == ICMPv6Type.echoRequest || type == ICMPv6Type.echoReply) && start + 8 < bodyEnd {
            d.addData((start + 8)..<bodyEnd, explain: "The echo's payload; the reply carries the same bytes back.")
        }
    }
}

extension Summary {
    /// tcpdump's `icmp6_print` at default verbosity. The IPv6 printer has written "a > b: ".
    static func writeICMPv6(_ b: Bytes, at start: Int, end: Int, ip: IPContext, into w: inout TextWriter) {
        if ip.length == 0 {
            w.write("ICMP6, length 0 (invalid)")
            return
        }
        guard start + 1 <= end else {
            w.write(" [|icmp6]")
            return
        }
        let type = b[start]
        w.write("ICMP6, ")
        if let name = ICMPv6Type.name(type) {
            w.write(name)
        } else {
            w.write("unknown icmp6 type (")
            w.write(decimal: type)
            w.write(")")
        }
        guard start + 2 <= end else {
            w.write(" [|icmp6]")
            return
        }
        let code = b[start + 1]
        let quoted = start + 8
        switch type {
        case ICMPv6Type.destinationUnreachable:
            let names = [0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope", 3: "unreachable address", 4: "unreachable port"]
            w.write(", ")
            w.write(names[Int(code)] ?? "unknown unreach code (\(code))")
            guard quoted + 40 <= end else {
                w.write(" [|icmp6]")
                return
            }
            let destination = IPv6Address(b, at: quoted + 24)
            switch code {
            case 0, 1, 3:
                w.write(byte: 32)
                w.write(ipv6: destination)
            case 2:
                w.write(byte: 32)
                w.write(ipv6: destination)
                w.write(", source address ")
                w.write(ipv6: IPv6Address(b, at: quoted + 8))
            case 4:
                // The quoted packet's port, when its next header is TCP or UDP right after the fixed header.
                let proto = b[quoted + 6]
                guard quoted + 44 <= end else {
                    w.write(" [|icmp6]")
                    return
                }
                let port = b.be16(quoted + 42)
                w.write(", ")
                w.write(ipv6: destination)
                if proto == IPProtocol.tcp.rawValue || proto == IPProtocol.udp.rawValue {
                    w.write(proto == IPProtocol.tcp.rawValue ? " tcp port " : " udp port ")
                    w.write(decimal: port)
                } else {
                    w.write(" protocol ")
                    w.write(decimal: proto)
                    w.write(" port ")
                    w.write(decimal: port)
                    w.write(" unreachable")
                }
            default:
                return
            }
        case ICMPv6Type.packetTooBig:
            guard start + 8 <= end else {
                w.write(" [|icmp6]")
                return
            }
            w.write(", mtu ")
            w.write(unsigned: UInt64(b.be32(start + 4)))
        case ICMPv6Type.timeExceeded:
            switch code {
            case 0:
                guard quoted + 40 <= end else {
                    w.write(" [|icmp6]")
                    return
                }
                w.write(" for ")
                w.write(ipv6: IPv6Address(b, at: quoted + 24))
            case 1: w.write(" (reassembly)")
            default:
                w.write(", unknown code (")
                w.write(decimal: code)
                w.write(")")
            }
        case ICMPv6Type.echoRequest, ICMPv6Type.echoReply:
            guard start + 8 <= end else {
                w.write(" [|icmp6]")
                return
            }
            w.write(", id ")
            w.write(decimal: b.be16(start + 4))
            w.write(", seq ")
            w.write(decimal: b.be16(start + 6))
        case ICMPv6Type.routerSolicitation, ICMPv6Type.routerAdvertisement:
            break
        case ICMPv6Type.neighborSolicitation, ICMPv6Type.neighborAdvertisement:
            guard start + 24 <= end else {
                w.write(" [|icmp6]")
                return
            }
            w.write(type == ICMPv6Type.neighborSolicitation ? ", who has " : ", tgt is ")
            w.write(ipv6: IPv6Address(b, at: start + 8))
        case ICMPv6Type.redirect:
            // The destination that is better reached through the target (RFC 4861 4.5).
            guard start + 40 <= end else {
                w.write(" [|icmp6]")
                return
            }
            w.write(", ")
            w.write(ipv6: IPv6Address(b, at: start + 24))
            w.write(" to ")
            w.write(ipv6: IPv6Address(b, at: start + 8))
        case ICMPv6Type.listenerQuery where ip.length >= 28:
            // MLDv2 (RFC 3810 5.1): the group asked about, and how many sources.
            w.write(" v2")
            // tcpdump prints the group once its 16 bytes are there, then reads the source count.
            guard start + 24 <= end else {
                w.write(" [|icmp6]")
                return
            }
            w.write(" [gaddr ")
            w.write(ipv6: IPv6Address(b, at: start + 8))
            guard start + 28 <= end else {
                w.write(" [|icmp6]")
                return
            }
            let sources = Int(b.be16(start + 26))
            if sources > 0 {
                if ip.length < 28 + sources * 16 {
                    w.write(" [invalid number of sources]")
                } else {
                    w.write(", ")
                    w.write(decimal: sources)
                    w.write(" source(s)")
                }
            }
            w.write("]")
        case ICMPv6Type.listenerQuery where ip.length != 24:
            w.write(" unknown-version (len ")
            w.write(decimal: ip.length)
            w.write(") ")
        case ICMPv6Type.listenerQuery, ICMPv6Type.listenerReport, ICMPv6Type.listenerDone:
            // MLDv1 (RFC 2710 3): tcpdump prints these run on after the name, and nothing when cut short.
            if start + 24 <= end {
                w.write("max resp delay: ")
                w.write(decimal: b.be16(start + 4))
                w.write(" addr: ")
                w.write(ipv6: IPv6Address(b, at: start + 8))
            }
        case ICMPv6Type.listenerReportV2:
            guard ip.length >= 8 else {
                w.write(" [invalid len ")
                w.write(decimal: ip.length)
                w.write("]")
                break
            }
            guard start + 8 <= end else {
                w.write(" [|icmp6]")
                return
            }
            w.write(", ")
            w.write(decimal: b.be16(start + 6))
            w.write(" group record(s)")
        default:
            // Other types: tcpdump adds a hex dump of the message on lines of their own.
            w.write(", length ")
            w.write(decimal: ip.length)
            return
        }
        w.write(", length ")
        w.write(decimal: ip.length)
    }
}
