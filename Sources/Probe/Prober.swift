import Wire

/// The host at tunscope's end of the tun: it runs TCP probes and pings side by side, hands each
/// packet read from the device to the probe it belongs to, answers echo requests and resets
/// stray segments addressed to it, as a host's stack would. Pure: packets and times in,
/// packets to write out; the caller owns the device and the clock.
public struct Prober: Sendable {
    /// Whose timeline an event is in.
    public enum Source: Sendable, Hashable {
        case connection(Int)
        case ping(Int)
        /// What the host did on its own: echo replies, resets, resent and edited packets.
        case host
    }

    /// One event in the order things happened across all probes.
    public struct LogEntry: Sendable, Hashable {
        public var source: Source
        public var index: Int
    }

    /// The addresses that are tunscope's own (the tun's peer address): what it answers for.
    public var ownAddresses: Set<IPAddress>
    /// Answer echo requests and reset segments for no connection, as a host does.
    public var actsAsHost = true
    public private(set) var connections: [TCPProbe] = []
    public private(set) var pings: [EchoProbe] = []
    public private(set) var hostTimeline: [TimelineEvent] = []
    /// Every event of every probe, in order.
    public private(set) var log: [LogEntry] = []
    /// Where the packets sent by hand are in the host's timeline: what arrives is checked against them.
    private var handSent: [Int] = []
    /// Sent packets the store has not confirmed yet (their time and number are provisional).
    private var unconfirmed: [LogEntry] = []
    private var random: ProbeRandom

    public init(ownAddresses: Set<IPAddress>, seed: UInt64) {
        self.ownAddresses = ownAddresses
        random = ProbeRandom(seed: seed)
    }

    public func event(_ entry: LogEntry) -> TimelineEvent {
        timeline(of: entry.source)[entry.index]
    }

    public func timeline(of source: Source) -> [TimelineEvent] {
        switch source {
        case let .connection(i): return connections[i].timeline
        case let .ping(i): return pings[i].timeline
        case .host: return hostTimeline
        }
    }

    /// Whether the store has confirmed every packet sent so far (so `log` holds final times).
    public var allSendsConfirmed: Bool { unconfirmed.isEmpty }

    /// Whether every probe has finished.
    public var isIdle: Bool {
        connections.allSatisfy(\.isFinished) && pings.allSatisfy(\.isFinished)
    }

    /// The earliest time a probe wants `tick`.
    public var nextDeadline: Microseconds? {
        (connections.compactMap(\.deadline) + pings.compactMap(\.deadline)).min()
    }

    // MARK: Starting probes

    /// A TCP probe with Linux's defaults, a random initial sequence number and timestamp offset,
    /// and a free ephemeral port (Linux's range, 32768 to 60999).
    public mutating func tcpConfig(from source: IPAddress, to destination: IPAddress, port: UInt16) -> TCPProbeConfig {
        var sourcePort: UInt16
        repeat {
            sourcePort = UInt16.random(in: 32768...60999, using: &random)
        } while connections.contains { $0.config.sourcePort == sourcePort && $0.config.destination == destination }
        var config = TCPProbeConfig(source: source, destination: destination, sourcePort: sourcePort, destinationPort: port,
                                    initialSequence: UInt32.random(in: 0...UInt32.max, using: &random))
        config.timestampOffset = UInt32.random(in: 0...UInt32.max, using: &random)
        return config
    }

    public mutating func pingConfig(from source: IPAddress, to destination: IPAddress) -> EchoProbe.Config {
        EchoProbe.Config(source: source, destination: destination, identifier: UInt16.random(in: 1...UInt16.max, using: &random))
    }

    /// Starts a connection: its index and the SYN to write.
    public mutating func connect(_ config: TCPProbeConfig, now: Microseconds) -> (index: Int, packets: [Bytes]) {
        precondition(IPRepr(source: config.source, destination: config.destination, proto: .tcp) != nil,
                     "source and destination must both be IPv4 or both IPv6")
        connections.append(TCPProbe(config))
        let i = connections.count - 1
        let packets = track(.connection(i)) { $0.connections[i].start(now: now) }
        return (i, packets)
    }

    public mutating func ping(_ config: EchoProbe.Config, now: Microseconds) -> (index: Int, packets: [Bytes]) {
        pings.append(EchoProbe(config))
        let i = pings.count - 1
        return (i, track(.ping(i)) { $0.pings[i].start(now: now) })
    }

    /// A packet written by hand (a resend, an edited packet), kept in the host's timeline.
    public mutating func sendByHand(_ packet: Bytes, what: String, note: String?, now: Microseconds) -> [Bytes] {
        handSent.append(hostTimeline.count)
        // Every arriving packet is checked against these: the newest few are what answers come to.
        if handSent.count > 32 { handSent.removeFirst() }
        track(.host) { $0.hostTimeline.append(TimelineEvent(way: .sent, time: now, what: what, note: note, packet: packet)) }
        return [packet]
    }

    // MARK: Events in

    /// Lets time pass for every probe.
    public mutating func tick(now: Microseconds) -> [Bytes] {
        var out: [Bytes] = []
        for i in connections.indices where connections[i].deadline.map({ $0 <= now }) ?? false {
            out += track(.connection(i)) { $0.connections[i].tick(now: now) }
        }
        for i in pings.indices where pings[i].deadline.map({ $0 <= now }) ?? false {
            out += track(.ping(i)) { $0.pings[i].tick(now: now) }
        }
        return out
    }

    /// Sends data the user gave on connection `i` (nothing if it is not open).
    public mutating func write(_ data: Bytes, connection i: Int, note: String, now: Microseconds) -> [Bytes] {
        guard connections.indices.contains(i) else { return [] }
        return track(.connection(i)) { $0.connections[i].write(data, now: now, note: note) }
    }

    /// Closes connection `i` with a FIN, as the user asked.
    public mutating func close(connection i: Int, now: Microseconds) -> [Bytes] {
        guard connections.indices.contains(i) else { return [] }
        return track(.connection(i)) { $0.connections[i].close(now: now) }
    }

    /// Resets connection `i`, as the user asked.
    public mutating func reset(connection i: Int, now: Microseconds) -> [Bytes] {
        guard connections.indices.contains(i), !connections[i].isFinished else { return [] }
        return track(.connection(i)) { $0.connections[i].abort(now: now) }
    }

    /// Ends every probe now (the user quit): resets for open connections.
    public mutating func abortAll(now: Microseconds) -> [Bytes] {
        var out: [Bytes] = []
        for i in connections.indices where !connections[i].isFinished {
            out += track(.connection(i)) { $0.connections[i].abort(now: now) }
        }
        for i in pings.indices where !pings[i].isFinished {
            track(.ping(i)) { $0.pings[i].abort(now: now) }
        }
        return out
    }

    /// The store now holds a packet tunscope wrote: the matching sent event takes its time and number.
    /// Returns false when no probe sent it (written by someone else's hand).
    @discardableResult
    public mutating func confirmSent(_ packet: Bytes, time: Microseconds, number: Int) -> Bool {
        guard let k = unconfirmed.firstIndex(where: { event($0).packet == packet }) else { return false }
        let entry = unconfirmed.remove(at: k)
        // The store's order is the wire's: a packet written after others were read goes after them.
        if let at = log.lastIndex(of: entry) {
            log.remove(at: at)
            log.append(entry)
        }
        switch entry.source {
        case let .connection(i): connections[i].confirmSent(index: entry.index, time: time, number: number)
        case let .ping(i): pings[i].confirmSent(index: entry.index, time: time, number: number)
        case .host:
            hostTimeline[entry.index].time = time
            hostTimeline[entry.index].packetNumber = number
        }
        return true
    }

    /// A packet read from the device at `time`: what to write in answer.
    public mutating func received(_ packet: Bytes, time: Microseconds, number: Int?) -> [Bytes] {
        guard let ip = IPPacket(packet) else { return [] }
        let logged = log.count
        let out: [Bytes]
        switch ip.proto {
        case .tcp:
            out = receivedTCP(ip, time: time, number: number)
        case .icmp, .icmpv6:
            out = receivedICMP(ip, time: time, number: number)
        default:
            out = []
        }
        // An answer to a packet sent by hand is shown even when nothing above had a reason to
        // (a RST, a UDP datagram, an echo reply or ICMP error for no probe): seeing the answers
        // is the point of a resend.
        if log.count == logged, let k = handSent.last(where: { Self.answers(ip, to: hostTimeline[$0].packet) }) {
            let sent = hostTimeline[k]
            track(.host) {
                var e = TimelineEvent(way: .received, time: time, what: Self.answerName(ip),
                                      note: "answers the \(sent.what) packet" + (sent.packetNumber.map { " #\($0)" } ?? ""),
                                      packet: packet)
                if let segment = TCPSegment(ip) {
                    e.seq = segment.seq
                    if segment.flags.contains(.ack) { e.ack = segment.ack }
                    e.payloadLength = segment.payload.count
                }
                e.packetNumber = number
                $0.hostTimeline.append(e)
            }
        }
        return out
    }

    /// Whether `ip` answers `sentBytes`: the same flow reversed (TCP and UDP ports swapped), an
    /// echo reply with the request's identifier and sequence number, or an ICMP or ICMPv6 error
    /// quoting it (RFC 792, RFC 4443: its addresses, protocol and first transport bytes).
    static func answers(_ ip: IPPacket, to sentBytes: Bytes) -> Bool {
        guard let sent = IPPacket(sentBytes) else { return false }
        let b = ip.bytes, at = ip.payload.lowerBound, s = sent.bytes, sat = sent.payload.lowerBound
        let v6 = ip.proto == .icmpv6
        if ip.proto == sent.proto && ip.source == sent.destination && ip.destination == sent.source {
            switch ip.proto {
            case .tcp, .udp:
                if ip.payload.count >= 4 && sent.payload.count >= 4 && b.be16(at) == s.be16(sat + 2) && b.be16(at + 2) == s.be16(sat) {
                    return true
                }
            case .icmp, .icmpv6:
                let request = v6 ? ICMPv6Type.echoRequest : ICMPv4Type.echoRequest.rawValue
                let reply = v6 ? ICMPv6Type.echoReply : ICMPv4Type.echoReply.rawValue
                if ip.payload.count >= 8 && sent.payload.count >= 8 && s[sat] == request && b[at] == reply
                    && b.be32(at + 4) == s.be32(sat + 4) {
                    return true
                }
            default:
                break
            }
        }
        guard (ip.proto == .icmp || v6) && ip.payload.count >= 8 else { return false }
        let type = b[at]
        let isError = v6 ? type < 128 : [3, 4, 5, 11, 12].contains(type)
        guard isError, let quoted = IPPacket(Array(b[(at + 8)..<ip.payload.upperBound]), quoted: true),
              quoted.source == sent.source, quoted.destination == sent.destination, quoted.proto == sent.proto
        else { return false }
        let n = min(8, quoted.payload.count, sent.payload.count)
        return quoted.bytes[quoted.payload.lowerBound..<(quoted.payload.lowerBound + n)] == s[sat..<(sat + n)]
    }

    /// What an answer is, in the words of the other events: "RST-ACK", "echo reply", "ICMP port unreachable".
    static func answerName(_ ip: IPPacket) -> String {
        switch ip.proto {
        case .tcp:
            return TCPSegment(ip)?.flags.segmentName ?? "TCP"
        case .udp:
            return "UDP"
        case .icmp, .icmpv6:
            let v6 = ip.proto == .icmpv6, name = v6 ? "ICMPv6" : "ICMP"
            guard ip.payload.count >= 2 else { return name }
            let type = ip.bytes[ip.payload.lowerBound], code = ip.bytes[ip.payload.lowerBound + 1]
            switch (v6, type) {
            case (false, ICMPv4Type.echoReply.rawValue), (true, ICMPv6Type.echoReply): return "echo reply"
            case (false, ICMPv4Type.destinationUnreachable.rawValue), (true, ICMPv6Type.destinationUnreachable):
                return unreachableDescription(v6: v6, code: code)
            case (false, ICMPv4Type.timeExceeded.rawValue), (true, ICMPv6Type.timeExceeded): return "\(name) time exceeded"
            default: return "\(name) type \(type)"
            }
        default:
            return "protocol \(ip.proto.rawValue)"
        }
    }

    private mutating func receivedTCP(_ ip: IPPacket, time: Microseconds, number: Int?) -> [Bytes] {
        guard let segment = TCPSegment(ip) else { return [] }
        let mine = { (c: TCPProbe) in
            c.config.source == segment.destination && c.config.destination == segment.source
                && c.config.sourcePort == segment.header.destinationPort && c.config.destinationPort == segment.header.sourcePort
        }
        guard let i = connections.lastIndex(where: { mine($0) && !$0.isFinished }) ?? connections.lastIndex(where: mine) else {
            return resetStray(segment, ip: ip, time: time, number: number)
        }
        guard ip.transportChecksumIsValid else {
            track(.host) {
                var e = TimelineEvent(way: .received, time: time, what: segment.flags.segmentName,
                                      note: "bad TCP checksum: dropped, as the kernel would", packet: ip.bytes)
                e.packetNumber = number
                $0.hostTimeline.append(e)
            }
            return []
        }
        return track(.connection(i)) { $0.connections[i].receive(segment, packet: ip.bytes, time: time, number: number) }
    }

    /// RFC 9293 3.10.7.1: a segment for no connection gets a reset (unless it is one).
    private mutating func resetStray(_ s: TCPSegment, ip: IPPacket, time: Microseconds, number: Int?) -> [Bytes] {
        guard actsAsHost, ownAddresses.contains(s.destination), !s.flags.contains(.rst), ip.transportChecksumIsValid,
              let ipRepr = IPRepr(source: s.destination, destination: s.source, proto: .tcp)
        else { return [] }
        let reply = s.flags.contains(.ack)
            ? TCPRepr(sourcePort: s.header.destinationPort, destinationPort: s.header.sourcePort, sequenceNumber: s.ack,
                      flags: .rst, window: 0)
            : TCPRepr(sourcePort: s.header.destinationPort, destinationPort: s.header.sourcePort, sequenceNumber: 0,
                      acknowledgmentNumber: s.seq &+ s.length, flags: [.rst, .ack], window: 0)
        let packet = PacketBuilder.build(ip: ipRepr, transport: reply)
        track(.host) {
            var got = TimelineEvent(way: .received, time: time, what: s.flags.segmentName, packet: ip.bytes)
            got.packetNumber = number
            $0.hostTimeline.append(got)
            $0.hostTimeline.append(TimelineEvent(way: .sent, time: time, what: reply.flags.segmentName,
                                                 note: "nothing of tunscope's on port \(s.header.destinationPort): reset, as a host does",
                                                 packet: packet))
        }
        return [packet]
    }

    private mutating func receivedICMP(_ ip: IPPacket, time: Microseconds, number: Int?) -> [Bytes] {
        let b = ip.bytes, at = ip.payload.lowerBound
        guard ip.payload.count >= 8, ip.transportChecksumIsValid else { return [] }
        let v6 = ip.proto == .icmpv6
        let type = b[at], code = b[at + 1]
        let identifier = b.be16(at + 4), sequence = b.be16(at + 6)
        switch (v6, type) {
        case (false, ICMPv4Type.echoReply.rawValue), (true, ICMPv6Type.echoReply):
            if let i = pings.lastIndex(where: { $0.config.identifier == identifier && $0.config.destination == ip.source }) {
                track(.ping(i)) { $0.pings[i].receiveReply(sequence: sequence, packet: b, time: time, number: number) }
            }
            return []
        case (false, ICMPv4Type.echoRequest.rawValue), (true, ICMPv6Type.echoRequest):
            guard actsAsHost, ownAddresses.contains(ip.destination) else { return [] }
            let reply = EchoProbe.echo(request: false, from: ip.destination, to: ip.source, identifier: identifier,
                                       sequence: sequence, data: Array(b[(at + 8)..<ip.payload.upperBound]))
            track(.host) {
                var got = TimelineEvent(way: .received, time: time, what: "echo request", note: "from \(ip.source), seq \(sequence)", packet: b)
                got.packetNumber = number
                $0.hostTimeline.append(got)
                $0.hostTimeline.append(TimelineEvent(way: .sent, time: time, what: "echo reply",
                                                     note: "answered, as a host does", packet: reply))
            }
            return [reply]
        case (false, ICMPv4Type.destinationUnreachable.rawValue), (true, ICMPv6Type.destinationUnreachable):
            receivedUnreachable(ip, description: Self.unreachableDescription(v6: v6, code: code), code: code, time: time, number: number)
            return []
        default:
            return []
        }
    }

    /// Hands a destination unreachable to the probe whose packet it quotes.
    private mutating func receivedUnreachable(_ ip: IPPacket, description: String, code: UInt8, time: Microseconds, number: Int?) {
        let quotedBytes = Array(ip.bytes[(ip.payload.lowerBound + 8)..<ip.payload.upperBound])
        guard let quoted = IPPacket(quotedBytes, quoted: true), quoted.payload.count >= 8 else { return }
        let q = quoted.payload.lowerBound
        switch quoted.proto {
        case .tcp:
            let sourcePort = quotedBytes.be16(q), destinationPort = quotedBytes.be16(q + 2)
            if let i = connections.lastIndex(where: {
                $0.config.source == quoted.source && $0.config.destination == quoted.destination
                    && $0.config.sourcePort == sourcePort && $0.config.destinationPort == destinationPort
            }) {
                track(.connection(i)) {
                    $0.connections[i].receiveUnreachable(code: code, description: description, packet: ip.bytes, time: time, number: number)
                }
            }
        case .icmp, .icmpv6:
            let identifier = quotedBytes.be16(q + 4)
            if let i = pings.lastIndex(where: { $0.config.identifier == identifier && $0.config.destination == quoted.destination }) {
                track(.ping(i)) { $0.pings[i].receiveUnreachable(description: description, packet: ip.bytes, time: time, number: number) }
            }
        default:
            break
        }
    }

    static func unreachableDescription(v6: Bool, code: UInt8) -> String {
        let reason: String
        switch (v6, code) {
        case (false, 0): reason = "network"
        case (false, 1), (true, 3): reason = "host"
        case (false, 2): reason = "protocol"
        case (false, 3), (true, 4): reason = "port"
        case (false, 9), (false, 10), (false, 13), (true, 1): reason = "administratively prohibited"
        case (true, 0): reason = "no route"
        default: reason = "code \(code)"
        }
        return "\(v6 ? "ICMPv6" : "ICMP") \(reason) unreachable"
    }

    // MARK: The log

    /// Runs `body` and logs the events it added to `source`'s timeline.
    @discardableResult
    private mutating func track<T>(_ source: Source, _ body: (inout Prober) -> T) -> T {
        let before = timeline(of: source).count
        let result = body(&self)
        let events = timeline(of: source)
        for index in before..<events.count {
            let entry = LogEntry(source: source, index: index)
            log.append(entry)
            if events[index].way == .sent { unconfirmed.append(entry) }
        }
        return result
    }
}
