import Wire

/// One packet as the NAT matcher sees it: its number in the capture, its bytes as stored, their
/// link type and its time (microseconds). Only Linux cooked v2 packets say which interface they
/// crossed, so only they can be matched: NAT shows as one packet on two interfaces.
public struct NATCandidate: Sendable {
    public var number: Int
    public var bytes: Bytes
    public var linkType: LinkType
    public var time: Int64

    public init(number: Int, bytes: Bytes, linkType: LinkType, time: Int64) {
        self.number = number
        self.bytes = bytes
        self.linkType = linkType
        self.time = time
    }
}

/// A field NAT (or the router forwarding the packet) changed, with its value before and after
/// and where it lies in the packet the rewrite is shown on.
public struct NATFieldChange: Sendable, Equatable, CustomStringConvertible {
    /// Wireshark's name for the field: `ip.src`, `tcp.srcport`, `icmp.ident`, `ip.checksum`.
    public var name: String
    public var before: String
    public var after: String
    /// The field's bytes in the packet this change is shown on.
    public var range: Range<Int>

    /// "ip.src 192.0.2.2 → 198.51.100.1".
    public var description: String { "\(name) \(before) → \(after)" }
}

/// The same packet seen on two interfaces, once before NAT and once after: which copy the
/// shown packet is, where the other one is, and what changed between them.
public struct NATRewrite: Sendable, Equatable {
    /// The other copy's number and interface index.
    public var counterpart: Int
    public var counterpartInterface: UInt32
    /// Whether the shown packet is the rewritten copy (the later one); else it is the original,
    /// and the counterpart is what NAT made of it.
    public var isRewritten: Bool
    /// Source rewritten (outbound, MASQUERADE/SNAT) or destination (an answer coming back).
    public var rewroteSource: Bool
    /// Every changed field, NAT's first (addresses and ports), then the TTL and checksums.
    public var changes: [NATFieldChange]
}

/// Finds NAT at work in a capture of several interfaces (Linux cooked v2): the copy of a packet
/// on the inside interface and the copy on the outside one. Copies are matched by what NAT
/// keeps, never by position: the IP protocol, the IPv4 identification, the payload length and
/// bytes, TCP's sequence and acknowledgment numbers and flags, ICMP echo's sequence number, one
/// endpoint (address and port) unchanged, and times close together; and they differ in the
/// other endpoint. A packet forwarded unchanged (but for its TTL) is no rewrite. IPv4 only:
/// the kernel's IPv4 NAT is what the lab and the exercise use.
public struct NATMatcher: Sendable {
    /// How far apart in time two copies may be (microseconds).
    public var window: Int64
    /// How many earlier packets `add` compares a new one with.
    public var depth: Int
    private var recent: [Parsed] = []

    public init(window: Int64 = 1_000_000, depth: Int = 256) {
        self.window = window
        self.depth = depth
    }

    /// Takes the next packet of a capture in order and says whether it is an earlier packet
    /// rewritten by NAT (only looking back: the rewritten copy comes second).
    public mutating func add(_ packet: NATCandidate) -> NATRewrite? {
        guard let p = Parsed(packet) else { return nil }
        defer {
            recent.append(p)
            if recent.count > depth { recent.removeFirst(recent.count - depth) }
        }
        return Self.best(for: p, among: recent, window: window)
    }

    /// The rewrite `packet` takes part in, looking both ways among `candidates` (its neighbours
    /// in the capture, which may include itself): the closest copy in time that matches.
    public static func rewrite(of packet: NATCandidate, among candidates: [NATCandidate], window: Int64 = 1_000_000) -> NATRewrite? {
        guard let p = Parsed(packet) else { return nil }
        return best(for: p, among: candidates.lazy.filter { $0.number != packet.number }.compactMap(Parsed.init), window: window)
    }

    private static func best<S: Sequence>(for p: Parsed, among others: S, window: Int64) -> NATRewrite? where S.Element == Parsed {
        var found: (distance: Int64, rewrite: NATRewrite)?
        for o in others {
            let distance = abs(o.time - p.time)
            guard distance <= window, distance < (found?.distance ?? .max), let r = compare(p, o) else { continue }
            found = (distance, r)
        }
        return found?.rewrite
    }

    /// The rewrite between `shown` and `other` when they are one packet before and after NAT.
    private static func compare(_ shown: Parsed, _ other: Parsed) -> NATRewrite? {
        guard shown.interface != other.interface, shown.proto == other.proto, shown.identification == other.identification,
              shown.kept == other.kept, shown.payload == other.payload
        else { return nil }
        let sameSource = shown.source == other.source && shown.sourcePort == other.sourcePort
        let sameDestination = shown.destination == other.destination && shown.destinationPort == other.destinationPort
        // One end must be as it was (NAT rewrites one side), and the other must differ.
        guard sameSource != sameDestination else { return nil }
        let isRewritten = (other.time, other.number) < (shown.time, shown.number)
        let (before, after) = isRewritten ? (other, shown) : (shown, other)
        var changes: [NATFieldChange] = []
        func change(_ name: String, _ b: String, _ a: String, _ range: Range<Int>) {
            if b != a { changes.append(NATFieldChange(name: name, before: b, after: a, range: range)) }
        }
        let ip = shown.ipStart
        change("ip.src", "\(before.source)", "\(after.source)", ip + 12..<ip + 16)
        change("ip.dst", "\(before.destination)", "\(after.destination)", ip + 16..<ip + 20)
        let t = shown.transportStart
        switch shown.proto {
        case 6, 17:
            let prefix = shown.proto == 6 ? "tcp" : "udp"
            change("\(prefix).srcport", "\(before.sourcePort)", "\(after.sourcePort)", t..<t + 2)
            change("\(prefix).dstport", "\(before.destinationPort)", "\(after.destinationPort)", t + 2..<t + 4)
        case 1 where shown.isEcho:
            // The echo's identifier plays the port's part (the kernel's NAT may change it).
            change("icmp.ident", "\(before.identifier)", "\(after.identifier)", t + 4..<t + 6)
        default:
            break
        }
        change("ip.ttl", "\(before.ttl)", "\(after.ttl)", ip + 8..<ip + 9)
        change("ip.checksum", hex(before.ipChecksum), hex(after.ipChecksum), ip + 10..<ip + 12)
        if let offset = shown.checksumOffset, let b = before.transportChecksum, let a = after.transportChecksum {
            let name = shown.proto == 6 ? "tcp.checksum" : shown.proto == 17 ? "udp.checksum" : "icmp.checksum"
            change(name, hex(b), hex(a), t + offset..<t + offset + 2)
        }
        return NATRewrite(counterpart: other.number, counterpartInterface: other.interface, isRewritten: isRewritten,
                          rewroteSource: !sameSource, changes: changes)
    }

    private static func hex(_ v: UInt16) -> String {
        let digits = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// What the matcher reads of an IPv4 packet under an SLL2 header.
    private struct Parsed: Sendable {
        var number: Int
        var time: Int64
        var interface: UInt32
        var ipStart: Int
        var transportStart: Int
        var proto: UInt8
        var identification: UInt16
        var ttl: UInt8
        var ipChecksum: UInt16
        var source: IPv4Address
        var destination: IPv4Address
        /// Ports (0 for ICMP), and an ICMP echo's identifier.
        var sourcePort: UInt16 = 0
        var destinationPort: UInt16 = 0
        var identifier: UInt16 = 0
        var isEcho = false
        /// What NAT leaves alone in the transport header: TCP's numbers and flags, UDP's length,
        /// ICMP's type, code and echo sequence number, and the IP payload's length.
        var kept: [UInt32] = []
        var transportChecksum: UInt16?
        var checksumOffset: Int?
        /// The transport payload (everything after the transport header in the capture).
        var payload: ArraySlice<UInt8> = []

        init?(_ c: NATCandidate) {
            let b = c.bytes
            guard c.linkType == .linuxSLL2, let origin = LinuxCooked.origin(ofSLL2: b), b.be16(0) == EtherType.ipv4 else { return nil }
            let ip = 20
            guard b.count >= ip + 20, b[ip] >> 4 == 4 else { return nil }
            let headerLength = Int(b[ip] & 0x0f) * 4
            let totalLength = Int(b.be16(ip + 2))
            // Fragments after the first carry no transport header to compare.
            guard headerLength >= 20, totalLength >= headerLength, b.count >= ip + headerLength, b.be16(ip + 6) & 0x1fff == 0
            else { return nil }
            number = c.number
            time = c.time
            interface = origin.interfaceIndex
            ipStart = ip
            transportStart = ip + headerLength
            proto = b[ip + 9]
            identification = b.be16(ip + 4)
            ttl = b[ip + 8]
            ipChecksum = b.be16(ip + 10)
            source = IPv4Address(b.be32(ip + 12))
            destination = IPv4Address(b.be32(ip + 16))
            let end = min(b.count, ip + totalLength)
            let t = transportStart
            kept = [UInt32(totalLength - headerLength)]
            var payloadStart = t
            switch proto {
            case 6 where end >= t + 20:
                sourcePort = b.be16(t)
                destinationPort = b.be16(t + 2)
                kept += [b.be32(t + 4), b.be32(t + 8), UInt32(b.be16(t + 12))]
                transportChecksum = b.be16(t + 16)
                checksumOffset = 16
                payloadStart = min(end, t + Int(b[t + 12] >> 4) * 4)
            case 17 where end >= t + 8:
                sourcePort = b.be16(t)
                destinationPort = b.be16(t + 2)
                kept.append(UInt32(b.be16(t + 4)))
                transportChecksum = b.be16(t + 6)
                checksumOffset = 6
                payloadStart = t + 8
            case 1 where end >= t + 8:
                let type = b[t], code = b[t + 1]
                kept.append(UInt32(type) << 8 | UInt32(code))
                transportChecksum = b.be16(t + 2)
                checksumOffset = 2
                if type == 0 || type == 8 {
                    isEcho = true
                    identifier = b.be16(t + 4)
                    kept.append(UInt32(b.be16(t + 6)))
                    payloadStart = t + 8
                } else {
                    // An error quotes the packet it is about, which NAT rewrites too: its length only.
                    payloadStart = end
                }
            default:
                break
            }
            payload = b[min(payloadStart, end)..<end]
        }
    }
}
