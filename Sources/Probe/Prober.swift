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
        switch ip.proto {
        case .tcp:
            return receivedTCP(ip, time: time, number: number)
        case .icmp, .icmpv6:
            return receivedICMP(ip, time: time, number: number)
        default:
            return []
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
