import Wire

/// A stored packet taken apart into values, changed field by field (named as Wireshark names
/// them: `ip.ttl`, `tcp.flags`, ...) and built again with lengths and checksums recomputed, or
/// with a checksum kept wrong on purpose to show that the kernel drops such a packet silently.
public struct EditablePacket: Sendable {
    public enum Transport: Sendable {
        case tcp(TCPRepr)
        case udp(UDPRepr)
        case icmp(ICMPv4Repr)
        case icmpv6(ICMPv6Repr)
        /// A protocol tunscope does not edit: its bytes are the payload, left as they are.
        case other(IPProtocol)
    }

    public var ip: IPRepr
    public var transport: Transport
    public var payload: Bytes
    public var ipChecksum = ChecksumMode.correct
    public var checksum = ChecksumMode.correct

    /// The fields `set` understands, for messages and help.
    public static let fieldNames = [
        "ip.src", "ip.dst", "ip.ttl", "ip.id", "ip.checksum", "ipv6.src", "ipv6.dst", "ipv6.hlim",
        "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.flags", "tcp.window_size_value", "tcp.checksum",
        "udp.srcport", "udp.dstport", "udp.checksum", "icmp.checksum", "icmpv6.checksum", "data.data", "data.text",
    ]

    /// Takes a raw IP packet apart; throws when it is not a whole IPv4 or IPv6 packet.
    public init(parsing bytes: Bytes) throws(EditError) {
        guard let first = bytes.first else { throw EditError("the packet is empty") }
        let start: Int, end: Int, proto: IPProtocol
        switch first >> 4 {
        case 4:
            guard let h = IPv4Header(bytes, at: 0), let r = IPv4Repr(parsing: h), h.totalLength >= h.headerLength,
                  h.totalLength <= bytes.count
            else { throw EditError("not a whole IPv4 packet (it may be cut short or damaged)") }
            guard h.fragmentOffset == 0 && !h.moreFragments else { throw EditError("a fragment cannot be edited") }
            ip = .v4(r)
            (start, end, proto) = (h.headerLength, h.totalLength, h.proto)
        case 6:
            guard let h = IPv6Header(bytes, at: 0), IPv6Header.length + h.payloadLength <= bytes.count else {
                throw EditError("not a whole IPv6 packet (it may be cut short or damaged)")
            }
            ip = .v6(IPv6Repr(parsing: h))
            (start, end, proto) = (IPv6Header.length, IPv6Header.length + h.payloadLength, h.nextHeader)
        default:
            throw EditError("not an IP packet (version \(first >> 4))")
        }
        var payloadStart = start
        switch proto {
        case .tcp:
            guard let h = TCPHeader(bytes, at: start, end: end), let r = TCPRepr(parsing: h) else {
                throw EditError("its TCP header is damaged")
            }
            transport = .tcp(r)
            payloadStart = start + h.headerLength
        case .udp where end - start >= UDPHeader.length:
            transport = .udp(UDPRepr(sourcePort: bytes.be16(start), destinationPort: bytes.be16(start + 2)))
            payloadStart = start + UDPHeader.length
        case .icmp:
            guard let h = ICMPv4Header(bytes, at: start, end: end), let r = ICMPv4Repr(parsing: h) else {
                throw EditError("its ICMP header is damaged")
            }
            // An echo's data is the payload, so data.text replaces it (as for ICMPv6); any other
            // message keeps its body (the quoted datagram) in the header.
            switch r.message {
            case let .echoRequest(id, seq, _):
                transport = .icmp(ICMPv4Repr(.echoRequest(identifier: id, sequence: seq, data: [])))
                payloadStart = start + ICMPv4Header.headerLength
            case let .echoReply(id, seq, _):
                transport = .icmp(ICMPv4Repr(.echoReply(identifier: id, sequence: seq, data: [])))
                payloadStart = start + ICMPv4Header.headerLength
            default:
                transport = .icmp(r)
                payloadStart = end
            }
        case .icmpv6 where end - start >= 8:
            transport = .icmpv6(ICMPv6Repr(type: bytes[start], code: bytes[start + 1], rest: bytes.be32(start + 4)))
            payloadStart = start + 8
        default:
            transport = .other(proto)
        }
        payload = Array(bytes[payloadStart..<end])
    }

    /// The packet as bytes: lengths filled in, checksums right unless set on purpose.
    public func build() -> Bytes {
        switch transport {
        case let .tcp(t): return PacketBuilder.build(ip: ip, transport: t, payload: payload, ipChecksum: ipChecksum, checksum: checksum)
        case let .udp(t): return PacketBuilder.build(ip: ip, transport: t, payload: payload, ipChecksum: ipChecksum, checksum: checksum)
        case let .icmp(t): return PacketBuilder.build(ip: ip, transport: t, payload: payload, ipChecksum: ipChecksum, checksum: checksum)
        case let .icmpv6(t): return PacketBuilder.build(ip: ip, transport: t, payload: payload, ipChecksum: ipChecksum, checksum: checksum)
        case let .other(p): return PacketBuilder.build(ip: ip, transport: OpaqueTransport(proto: p), payload: payload, ipChecksum: ipChecksum)
        }
    }

    /// Makes the transport checksum wrong: the right one plus one (never zero, which UDP reads
    /// as "no checksum"). A transport tunscope does not take apart has none to break.
    public mutating func breakChecksum() throws(EditError) {
        guard let offset = checksumOffset else {
            throw EditError("bad-checksum: the packet's transport (protocol \(ip.proto.rawValue)) has no checksum tunscope writes")
        }
        checksum = .correct
        let good = build().be16(ip.headerLength + offset)
        let bad = good &+ 1
        checksum = .value(bad == 0 ? 1 : bad)
    }

    /// Where the transport checksum is, from the transport header's start; nil when there is none.
    var checksumOffset: Int? {
        switch transport {
        case .tcp: return 16
        case .udp: return 6
        case .icmp, .icmpv6: return 2
        case .other: return nil
        }
    }

    /// Sets one field from text: `set("ip.ttl", "3")`, `set("tcp.flags", "SA")`, `set("data.text", "GET /")`.
    public mutating func set(_ field: String, to text: String) throws(EditError) {
        switch field {
        case "ip.src", "ipv6.src", "ip.dst", "ipv6.dst":
            guard let address = IPAddress(text) else { throw EditError("\(field): '\(text)' is not an IP address") }
            let isSource = field.hasSuffix("src")
            switch (ip, address) {
            case (var .v4(r), let .v4(a)):
                if isSource { r.source = a } else { r.destination = a }
                ip = .v4(r)
            case (var .v6(r), let .v6(a)):
                if isSource { r.source = a } else { r.destination = a }
                ip = .v6(r)
            default:
                throw EditError("\(field): '\(text)' is not an \(ip.isIPv6 ? "IPv6" : "IPv4") address like the packet's")
            }
        case "ip.ttl", "ipv6.hlim":
            ip = ip.with(ttl: try Self.number(text, field))
        case "ip.id":
            guard case var .v4(r) = ip else { throw EditError("ip.id: the packet is IPv6") }
            r.identification = try Self.number(text, field)
            ip = .v4(r)
        case "ip.checksum":
            guard !ip.isIPv6 else { throw EditError("ip.checksum: IPv6 has no header checksum") }
            ipChecksum = .value(try Self.number(text, field))
        case "tcp.checksum", "udp.checksum", "icmp.checksum", "icmpv6.checksum":
            checksum = .value(try Self.number(text, field))
        case "data.data", "data.text":
            let data = field == "data.data" ? try Self.hex(text, field) : Array(text.utf8)
            try checkFits(payloadLength: data.count, field)
            payload = data
        default:
            try setTransportField(field, to: text)
        }
    }

    /// Refuses a payload the IP length field could not count: it would wrap, and the packet go
    /// out with a length that lies. IPv4's total length counts the whole packet; IPv6's payload
    /// length what follows its header (RFC 8200; more only as a jumbogram, RFC 2675).
    private func checkFits(payloadLength: Int, _ field: String) throws(EditError) {
        let transportLength: Int
        switch transport {
        case let .tcp(t): transportLength = t.headerLength
        case let .udp(u): transportLength = u.headerLength
        case let .icmp(i): transportLength = i.headerLength
        case let .icmpv6(i): transportLength = i.headerLength
        case .other: transportLength = 0
        }
        let afterIP = transportLength + payloadLength
        switch ip {
        case .v4:
            let total = ip.headerLength + afterIP
            guard total <= 65_535 else {
                throw EditError("\(field): the packet would be \(total) bytes; an IPv4 packet is at most 65535 (its total length)")
            }
        case .v6:
            guard afterIP <= 65_535 else {
                throw EditError("\(field): the packet would carry \(afterIP) bytes after its IPv6 header; IPv6 allows at most 65535 (its payload length, without a jumbogram)")
            }
        }
    }

    private mutating func setTransportField(_ field: String, to text: String) throws(EditError) {
        switch (transport, field) {
        case (var .tcp(t), "tcp.srcport"): t.sourcePort = try Self.number(text, field); transport = .tcp(t)
        case (var .tcp(t), "tcp.dstport"): t.destinationPort = try Self.number(text, field); transport = .tcp(t)
        case (var .tcp(t), "tcp.seq"): t.sequenceNumber = try Self.number(text, field); transport = .tcp(t)
        case (var .tcp(t), "tcp.ack"): t.acknowledgmentNumber = try Self.number(text, field); transport = .tcp(t)
        case (var .tcp(t), "tcp.window_size_value"): t.window = try Self.number(text, field); transport = .tcp(t)
        case (var .tcp(t), "tcp.flags"): t.flags = try Self.flags(text); transport = .tcp(t)
        case (var .udp(u), "udp.srcport"): u.sourcePort = try Self.number(text, field); transport = .udp(u)
        case (var .udp(u), "udp.dstport"): u.destinationPort = try Self.number(text, field); transport = .udp(u)
        default:
            guard Self.fieldNames.contains(field) else {
                throw EditError("'\(field)' is not a field tunscope edits; these are: \(Self.fieldNames.joined(separator: ", "))")
            }
            throw EditError("\(field): the packet has no such header")
        }
    }

    /// A number in decimal or 0x hex that fits the field.
    static func number<T: FixedWidthInteger & UnsignedInteger>(_ text: String, _ field: String) throws(EditError) -> T {
        let value = text.hasPrefix("0x") ? T(text.dropFirst(2), radix: 16) : T(text)
        guard let value else { throw EditError("\(field): '\(text)' is not a number from 0 to \(T.max)") }
        return value
    }

    static func hex(_ text: String, _ field: String) throws(EditError) -> Bytes {
        let digits = Array(text.filter { $0 != ":" && $0 != " " }.utf8)
        guard digits.count % 2 == 0 else { throw EditError("\(field): '\(text)' is not whole bytes of hex") }
        var out: Bytes = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let b = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else {
                throw EditError("\(field): '\(text)' is not hex")
            }
            out.append(b)
        }
        return out
    }

    /// tcpdump's flag letters ("S", "S.", "FP.", "R") or a number ("0x012").
    static func flags(_ text: String) throws(EditError) -> TCPFlags {
        if text.hasPrefix("0x") || text.allSatisfy(\.isNumber) {
            return TCPFlags(rawValue: try number(text, "tcp.flags"))
        }
        var f: TCPFlags = []
        for c in text {
            switch c {
            case "S": f.insert(.syn)
            case "F": f.insert(.fin)
            case "R": f.insert(.rst)
            case "P": f.insert(.psh)
            case ".", "A": f.insert(.ack)
            case "U": f.insert(.urg)
            case "E": f.insert(.ece)
            case "W": f.insert(.cwr)
            default: throw EditError("tcp.flags: '\(c)' is not a flag letter (S F R P . U E W, as tcpdump prints them)")
            }
        }
        return f
    }
}

public struct EditError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A transport tunscope does not take apart: nothing of its own to write.
private struct OpaqueTransport: TransportRepr {
    let proto: IPProtocol
    var headerLength: Int { 0 }
    func emit(into b: inout Bytes, at start: Int, payloadLength: Int, pseudo: PseudoHeader, checksum: ChecksumMode) {}
}

extension IPRepr {
    var source: IPAddress {
        switch self {
        case let .v4(r): return .v4(r.source)
        case let .v6(r): return .v6(r.source)
        }
    }

    var destination: IPAddress {
        switch self {
        case let .v4(r): return .v4(r.destination)
        case let .v6(r): return .v6(r.destination)
        }
    }

    var proto: IPProtocol {
        switch self {
        case let .v4(r): return r.proto
        case let .v6(r): return r.nextHeader
        }
    }

    var ttl: UInt8 {
        switch self {
        case let .v4(r): return r.ttl
        case let .v6(r): return r.hopLimit
        }
    }

    var isIPv6: Bool {
        if case .v6 = self { return true }
        return false
    }

    func with(ttl: UInt8) -> IPRepr {
        switch self {
        case var .v4(r): r.ttl = ttl; return .v4(r)
        case var .v6(r): r.hopLimit = ttl; return .v6(r)
        }
    }
}
