import Wire

/// A ping: ICMP (or ICMPv6) echo requests to a target, one every `interval`, each answered or
/// not within `timeout` of the last one. A pure state machine like TCPProbe.
public struct EchoProbe: Sendable {
    public struct Config: Sendable, Equatable {
        public var source: IPAddress
        public var destination: IPAddress
        public var identifier: UInt16
        public var count = 3
        public var interval: Microseconds = 1_000_000
        /// How long to wait for a reply after the last request.
        public var timeout: Microseconds = 1_000_000
        /// Echo data bytes (ping's default 56).
        public var dataLength = 56

        public init(source: IPAddress, destination: IPAddress, identifier: UInt16) {
            self.source = source
            self.destination = destination
            self.identifier = identifier
        }
    }

    public let config: Config
    public private(set) var timeline: [TimelineEvent] = []
    public private(set) var sent = 0
    /// Round-trip times of the replies, in the order they came.
    public private(set) var rtts: [Microseconds] = []
    public private(set) var deadline: Microseconds?
    public private(set) var isFinished = false
    private var answered = Set<UInt16>()
    private var unreachable = false

    public init(_ config: Config) {
        self.config = config
    }

    public var received: Int { answered.count }
    /// Every request answered.
    public var isSuccess: Bool { sent > 0 && answered.count == config.count }

    public mutating func start(now: Microseconds) -> [Bytes] {
        guard sent == 0, !isFinished else { return [] }
        return [sendRequest(now: now)]
    }

    public mutating func tick(now: Microseconds) -> [Bytes] {
        guard let due = deadline, now >= due, !isFinished else { return [] }
        if sent < config.count && !unreachable { return [sendRequest(now: now)] }
        let missing = (1...UInt16(max(1, sent))).filter { !answered.contains($0) }
        isFinished = true
        deadline = nil
        let lost = missing.isEmpty ? "" : ", no reply to seq \(missing.map(String.init).joined(separator: ", "))"
        timeline.append(TimelineEvent(way: .note, time: now, what: "done",
                                      note: "\(sent) sent, \(answered.count) received\(lost)"))
        return []
    }

    /// An echo reply with this probe's identifier.
    public mutating func receiveReply(sequence: UInt16, packet: Bytes, time: Microseconds, number: Int?) {
        var event = TimelineEvent(way: .received, time: time, what: "echo reply", packet: packet)
        event.packetNumber = number
        event.seq = UInt32(sequence)
        event.payloadLength = max(0, packet.count - 28)
        if let request = timeline.last(where: { $0.way == .sent && $0.seq == UInt32(sequence) }) {
            if answered.insert(sequence).inserted {
                rtts.append(time - request.time)
                event.note = "rtt=\(formatDuration(time - request.time))"
            } else {
                event.note = "a duplicate (DUP!)"
            }
        } else {
            event.note = "this seq was never sent: ignored"
        }
        timeline.append(event)
        if answered.count == config.count {
            isFinished = true
            deadline = nil
        }
    }

    /// A destination unreachable quoting one of this probe's requests.
    public mutating func receiveUnreachable(description: String, packet: Bytes, time: Microseconds, number: Int?) {
        var event = TimelineEvent(way: .received, time: time, what: description, packet: packet)
        event.packetNumber = number
        timeline.append(event)
        unreachable = true
    }

    public mutating func abort(now: Microseconds) {
        guard !isFinished else { return }
        deadline = now
        unreachable = true
        _ = tick(now: now)
    }

    mutating func confirmSent(index: Int, time: Microseconds, number: Int) {
        timeline[index].time = time
        timeline[index].packetNumber = number
    }

    private mutating func sendRequest(now: Microseconds) -> Bytes {
        sent += 1
        let seq = UInt16(truncatingIfNeeded: sent)
        // As ping fills its data: counting bytes after the first eight.
        let data = (0..<config.dataLength).map { UInt8(truncatingIfNeeded: $0 < 8 ? 0 : $0) }
        let packet = Self.echo(request: true, from: config.source, to: config.destination, identifier: config.identifier,
                               sequence: seq, data: data)
        var event = TimelineEvent(way: .sent, time: now, what: "echo request", packet: packet)
        event.seq = UInt32(seq)
        event.payloadLength = data.count
        timeline.append(event)
        deadline = now + (sent < config.count ? config.interval : config.timeout)
        return packet
    }

    /// An echo request or reply, ICMPv4 or ICMPv6 by the addresses' family.
    static func echo(request: Bool, from source: IPAddress, to destination: IPAddress, identifier: UInt16,
                     sequence: UInt16, data: Bytes) -> Bytes {
        switch (source, destination) {
        case let (.v4(s), .v4(d)):
            let message: ICMPv4Repr.Message = request
                ? .echoRequest(identifier: identifier, sequence: sequence, data: data)
                : .echoReply(identifier: identifier, sequence: sequence, data: data)
            return PacketBuilder.build(ip: .v4(IPv4Repr(source: s, destination: d, proto: .icmp)), transport: ICMPv4Repr(message))
        case let (.v6(s), .v6(d)):
            let icmp = request ? ICMPv6Repr.echoRequest(identifier: identifier, sequence: sequence)
                               : ICMPv6Repr.echoReply(identifier: identifier, sequence: sequence)
            return PacketBuilder.build(ip: .v6(IPv6Repr(source: s, destination: d, nextHeader: .icmpv6)), transport: icmp,
                                       payload: data)
        default:
            return []
        }
    }
}
