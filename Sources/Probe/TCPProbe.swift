import Wire

/// How a TCP probe is made: endpoints, the SYN's options, timers, and what to do once connected.
public struct TCPProbeConfig: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var initialSequence: UInt32
    /// The window the SYN offers; later segments offer the same, scaled when both sides scale.
    public var window: UInt16 = 64240
    /// SYN options, as Linux sends them by default (nil or false: left out).
    public var mss: UInt16? = 1460
    public var sackPermitted = true
    public var timestamps = true
    public var windowScale: UInt8? = 7
    /// Added to the millisecond clock for the timestamp option (Linux randomises it per connection).
    public var timestampOffset: UInt32 = 0
    /// SYN retransmissions before TIMEOUT, and the first retransmission timeout (doubled each
    /// time): Linux's tcp_syn_retries (6) and its 1 s initial RTO.
    public var synRetries = 6
    public var firstTimeout: Microseconds = 1_000_000
    /// Send only the SYN and watch the server's SYN-ACK retransmissions for this long, then
    /// reset the half-open connection (the exercise's observation). Nil: finish the handshake.
    public var watchWithoutAck: Microseconds?
    /// Bytes to send once established (an HTTP GET); nil: close at once, unless held.
    public var request: Bytes?
    /// Once established, stay open until told (`write`, `close`, `abort`): the screen's way, so the
    /// user can talk on the connection. The peer closing leaves it in CLOSE-WAIT for the user's
    /// own close. Off: tunscope closes when it has nothing more to send and the peer is quiet.
    public var hold = false
    /// How long to wait for more of the response (or the peer's FIN) before closing ourselves.
    public var responseWait: Microseconds = 5_000_000
    public var ending: Ending = .fin
    /// Retransmissions of unacknowledged data or FIN before giving up with a reset.
    public var dataRetries = 5

    /// How the connection ends once tunscope is done with it: so the peer keeps no state.
    public enum Ending: String, Sendable, Equatable {
        /// An orderly close: FIN, and the peer's FIN acknowledged.
        case fin
        /// An abort: RST.
        case rst
    }

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16,
                initialSequence: UInt32) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.initialSequence = initialSequence
    }

    /// The options in the order Linux writes them (tcp_options_write).
    var synOptions: (Microseconds) -> [TCPOption] {
        { now in
            var o: [TCPOption] = []
            if let mss = self.mss { o.append(.mss(mss)) }
            let ts = TCPOption.timestamps(value: self.timestampOffset &+ UInt32(truncatingIfNeeded: now / 1_000), echoReply: 0)
            switch (self.sackPermitted, self.timestamps) {
            case (true, true): o += [.sackPermitted, ts]
            case (false, true): o += [.nop, .nop, ts]
            case (true, false): o += [.nop, .nop, .sackPermitted]
            case (false, false): break
            }
            if let scale = self.windowScale { o += [.nop, .windowScale(scale)] }
            return o
        }
    }
}

/// Where a probe's connection is, in the words of RFC 9293, plus how a handshake ended.
public enum TCPProbeState: String, Sendable, Equatable {
    case idle = "IDLE"
    case synSent = "SYN-SENT"
    /// `--no-ack`: the SYN-ACK came and was left unanswered on purpose.
    case halfOpen = "HALF-OPEN"
    case established = "ESTABLISHED"
    /// Held, and the peer closed its side: ours stays open until the user closes it.
    case closeWait = "CLOSE-WAIT"
    case finWait1 = "FIN-WAIT-1"
    case finWait2 = "FIN-WAIT-2"
    case closing = "CLOSING"
    case lastAck = "LAST-ACK"
    case timeWait = "TIME-WAIT"
    case closed = "CLOSED"
    case refused = "REFUSED"
    case unreachable = "UNREACHABLE"
    case timeout = "TIMEOUT"

    public var isFinished: Bool {
        switch self {
        case .timeWait, .closed, .refused, .unreachable, .timeout: return true
        default: return false
        }
    }
}

/// How the handshake ended: the word `tunscope send` prints for scripts to match.
public enum HandshakeOutcome: Sendable, Equatable, CustomStringConvertible {
    case established
    /// `--no-ack`: the server answered with a SYN-ACK that was deliberately not acknowledged.
    case answered
    case refused
    /// An ICMP or ICMPv6 destination unreachable quoting the SYN, with its code.
    case unreachable(code: UInt8)
    case timeout

    public var description: String {
        switch self {
        case .established: return "ESTABLISHED"
        case .answered: return "ANSWERED"
        case .refused: return "REFUSED"
        case .unreachable: return "UNREACHABLE"
        case .timeout: return "TIMEOUT"
        }
    }

    /// Whether the server answered the SYN as a listening port does.
    public var isSuccess: Bool { self == .established || self == .answered }
}

/// One TCP connection from tunscope's side of the tun, as a pure state machine: segments,
/// timer ticks and commands go in with the time; packets to write come out, and every step
/// is kept in a timeline. It never reads a clock and never touches a device.
public struct TCPProbe: Sendable {
    public let config: TCPProbeConfig
    public private(set) var state = TCPProbeState.idle
    public private(set) var outcome: HandshakeOutcome?
    public private(set) var timeline: [TimelineEvent] = []
    /// SYN to SYN-ACK (from the last SYN sent before it).
    public private(set) var rtt: Microseconds?
    /// What the peer sent after the handshake, in order.
    public private(set) var response: Bytes = []
    /// When the probe wants `tick` next (nil: it waits only for packets).
    public private(set) var deadline: Microseconds?
    /// When it was asked to start (the command's time), to measure command-to-wire latency.
    public private(set) var startedAt: Microseconds = 0

    private var iss: UInt32 { config.initialSequence }
    private var sndUna: UInt32 = 0
    private var sndNxt: UInt32 = 0
    private var irs: UInt32?
    private var rcvNxt: UInt32 = 0
    private var timeout: Microseconds = 0
    private var synRetransmissions = 0
    private var retries = 0
    private var synAcks = 0
    private var firstSynAckTime: Microseconds = 0
    private var peerMSS = 536
    private var useTimestamps = false
    private var tsRecent: UInt32 = 0
    private var scaleWindow = false
    /// Sent but not yet acknowledged data, starting at sndUna.
    private var unacknowledged: Bytes = []
    private var sentFIN = false
    private var peerFIN = false

    public init(_ config: TCPProbeConfig) {
        self.config = config
    }

    public var isFinished: Bool { state.isFinished }

    /// Time from the start command to the first SYN on the wire (known once the store has it).
    public var commandToWire: Microseconds? {
        timeline.first { $0.way == .sent && $0.packetNumber != nil }.map { $0.time - startedAt }
    }

    // MARK: Events in

    /// Sends the SYN.
    public mutating func start(now: Microseconds) -> [Bytes] {
        guard state == .idle else { return [] }
        startedAt = now
        state = .synSent
        sndUna = iss
        sndNxt = iss &+ 1
        timeout = config.firstTimeout
        deadline = now + timeout
        return [sendSYN(now: now, note: nil)]
    }

    /// A segment for this connection (addresses and ports already matched) read at `time`.
    mutating func receive(_ segment: TCPSegment, packet: Bytes, time: Microseconds, number: Int?) -> [Bytes] {
        var event = TimelineEvent(way: .received, time: time, what: segment.flags.segmentName, packet: packet)
        event.packetNumber = number
        event.seq = segment.seq
        event.ack = segment.flags.contains(.ack) ? segment.ack : nil
        event.payloadLength = segment.payload.count
        let index = timeline.count
        timeline.append(event)
        var out: [Bytes] = []
        switch state {
        case .idle:
            note(index, "before the SYN was sent: ignored")
        case .synSent:
            out = receiveInSynSent(segment, index: index, time: time)
        case .halfOpen:
            receiveWhileHalfOpen(segment, index: index, time: time)
        case .established, .closeWait, .finWait1, .finWait2, .closing, .lastAck, .timeWait, .closed:
            out = receiveSynchronized(segment, index: index, time: time)
        case .refused, .unreachable, .timeout:
            note(index, "after the connection ended: ignored")
        }
        if let irs { timeline[index].relativeSeq = segment.seq &- irs }
        if segment.flags.contains(.ack) { timeline[index].relativeAck = segment.ack &- iss }
        return out
    }

    /// An ICMP or ICMPv6 destination unreachable that quotes one of this connection's segments.
    public mutating func receiveUnreachable(code: UInt8, description: String, packet: Bytes, time: Microseconds,
                                            number: Int?) {
        var event = TimelineEvent(way: .received, time: time, what: description, packet: packet)
        event.packetNumber = number
        timeline.append(event)
        guard state == .synSent else {
            note(timeline.count - 1, "a soft error once the handshake is past: noted only")
            return
        }
        finish(.unreachable, outcome: .unreachable(code: code), time: time, why: "the network says the SYN cannot be delivered",
               at: timeline.count - 1)
    }

    /// Lets time pass: SYN and data retransmissions, the `--no-ack` watch, the response wait.
    public mutating func tick(now: Microseconds) -> [Bytes] {
        guard let due = deadline, now >= due else { return [] }
        deadline = nil
        switch state {
        case .synSent:
            guard synRetransmissions < config.synRetries else {
                finish(.timeout, outcome: .timeout, time: now,
                       why: "no answer to \(synRetransmissions + 1) SYNs in \(formatDuration(now - startedAt))")
                return []
            }
            synRetransmissions += 1
            timeout *= 2
            deadline = now + timeout
            return [sendSYN(now: now, note: "retransmission #\(synRetransmissions) (the timeout doubles: next in \(formatDuration(timeout)))")]
        case .halfOpen:
            state = .closed
            return [send(.rst, seq: sndNxt, ack: nil, now: now,
                         note: "watched for \(formatDuration(config.watchWithoutAck ?? 0)): reset, so the server forgets the half-open connection")]
        case .established where unacknowledged.isEmpty && !config.hold:
            return close(now: now, why: "no more data for \(formatDuration(config.responseWait))")
        case .established where unacknowledged.isEmpty, .closeWait where unacknowledged.isEmpty:
            return []
        case .established, .closeWait, .finWait1, .closing, .lastAck:
            return retransmit(now: now)
        case .finWait2:
            state = .closed
            return [send([.rst, .ack], seq: sndNxt, ack: rcvNxt, now: now,
                         note: "the peer did not close in \(formatDuration(config.responseWait)): reset, so it keeps no state")]
        case .timeWait:
            state = .closed
            return []
        default:
            return []
        }
    }

    /// Ends the connection now, as a user's abort or quit: a reset if it is open.
    public mutating func abort(now: Microseconds) -> [Bytes] {
        switch state {
        case .idle:
            state = .closed
            return []
        case .synSent:
            finish(.closed, outcome: nil, time: now, why: "stopped before an answer")
            return []
        case .halfOpen, .established, .closeWait, .finWait1, .finWait2, .closing, .lastAck:
            deadline = nil
            state = .closed
            return [send([.rst, .ack], seq: sndNxt, ack: rcvNxt, now: now, note: "aborted: reset, so the peer keeps no state")]
        default:
            return []
        }
    }

    /// Sends `data` on the open connection (the user typed it): after what is still unacknowledged,
    /// in segments of the peer's MSS, retransmitted until acknowledged. Nothing when our side is
    /// closed or the handshake is not done.
    public mutating func write(_ data: Bytes, now: Microseconds, note: String) -> [Bytes] {
        guard state == .established || state == .closeWait, !data.isEmpty else { return [] }
        let from = unacknowledged.count
        unacknowledged += data
        // The retransmission timer starts with the first byte in flight; later writes ride on it.
        if from == 0 {
            timeout = config.firstTimeout
            deadline = now + timeout
        }
        return sendData(from: from, now: now, note: note)
    }

    /// Closes our side now, as the user asked: FIN (the peer's FIN, if it came, already taken).
    public mutating func close(now: Microseconds) -> [Bytes] {
        guard state == .established || state == .closeWait else { return [] }
        return close(now: now, why: "closed by the user", ending: .fin)
    }

    /// The store has the packet at `index` of the timeline: its exact time and its number.
    mutating func confirmSent(index: Int, time: Microseconds, number: Int) {
        timeline[index].time = time
        timeline[index].packetNumber = number
    }

    // MARK: States

    private mutating func receiveInSynSent(_ s: TCPSegment, index: Int, time: Microseconds) -> [Bytes] {
        let f = s.flags
        if f.contains(.ack) && s.ack != iss &+ 1 {
            if f.contains(.rst) {
                note(index, "acknowledges \(s.ack), not our SYN (\(iss &+ 1)): ignored")
                return []
            }
            // RFC 9293 3.10.7.3: an unacceptable ACK in SYN-SENT is answered <SEQ=SEG.ACK><CTL=RST>.
            note(index, "acknowledges \(s.ack), but our SYN needs \(iss &+ 1)")
            return [send(.rst, seq: s.ack, ack: nil, now: time,
                         note: "RFC 9293: a wrong ACK in SYN-SENT is answered with a reset; the SYN will be retried")]
        }
        if f.contains(.rst) {
            guard f.contains(.ack) else {
                note(index, "a RST without ACK cannot be for our SYN (RFC 9293): ignored")
                return []
            }
            finish(.refused, outcome: .refused, time: time, why: "nothing listens on port \(config.destinationPort)", at: index)
            return []
        }
        guard f.contains(.syn) && f.contains(.ack) else {
            note(index, f.contains(.syn) ? "a SYN without ACK (simultaneous open) is not supported: ignored"
                                         : "not an answer to our SYN: ignored")
            return []
        }
        irs = s.seq
        rcvNxt = s.seq &+ 1
        sndUna = s.ack
        synAcks = 1
        firstSynAckTime = time
        let lastSYN = timeline.last { $0.way == .sent && $0.what == "SYN" }?.time ?? startedAt
        rtt = time - lastSYN
        readSynAckOptions(s.header.options)
        note(index, "rtt=\(formatDuration(time - lastSYN))")
        if let watch = config.watchWithoutAck {
            state = .halfOpen
            outcome = .answered
            deadline = time + watch
            note(index, "not acknowledged on purpose: the server will retransmit it")
            return []
        }
        state = .established
        outcome = .established
        timeout = config.firstTimeout
        var out = [send(.ack, seq: sndNxt, ack: rcvNxt, now: time, note: "ESTABLISHED (the kernel never saw this connection)")]
        if let request = config.request, !request.isEmpty {
            unacknowledged = request
            out += sendData(from: 0, now: time, note: "the request")
            deadline = time + timeout
        } else if config.hold {
            deadline = nil
        } else {
            out += close(now: time, why: "nothing to send")
        }
        return out
    }

    private mutating func receiveWhileHalfOpen(_ s: TCPSegment, index: Int, time: Microseconds) {
        if s.flags.contains(.rst) {
            finish(.closed, outcome: .answered, time: time, why: "the server gave up", at: index)
        } else if s.flags.contains([.syn, .ack]) && s.seq == irs {
            synAcks += 1
            note(index, "the server's retransmission #\(synAcks - 1), \(formatDuration(time - firstSynAckTime)) after the first")
        } else {
            note(index, "while half-open: ignored")
        }
    }

    private mutating func receiveSynchronized(_ s: TCPSegment, index: Int, time: Microseconds) -> [Bytes] {
        let f = s.flags
        if f.contains(.rst) {
            if s.seq == rcvNxt {
                finish(.closed, outcome: nil, time: time, why: "reset by the peer", at: index)
                return []
            }
            if inWindow(s.seq) {
                // RFC 5961 3.2: a reset inside the window but not exactly next may be forged.
                note(index, "RST at \(s.seq), expected \(rcvNxt)")
                return [send(.ack, seq: sndNxt, ack: rcvNxt, now: time, note: "challenge ACK (RFC 5961)")]
            }
            note(index, "RST outside the window: ignored")
            return []
        }
        if f.contains(.syn) {
            note(index, s.seq == irs ? "a duplicate SYN-ACK: our ACK was lost or late" : "an unexpected SYN")
            return [send(.ack, seq: sndNxt, ack: rcvNxt, now: time, note: "ACK again")]
        }
        if useTimestamps, let ts = timestampValue(s.header.options) { tsRecent = ts }
        if f.contains(.ack) { acknowledge(upTo: s.ack, time: time) }
        var out: [Bytes] = []
        if !s.payload.isEmpty || f.contains(.fin) {
            let offset = Int(Int32(bitPattern: rcvNxt &- s.seq))
            if offset < 0 || offset > s.payload.count || (offset == s.payload.count && !f.contains(.fin)) || peerFIN {
                note(index, offset < 0 ? "out of order (expected \(rcvNxt))" : "a duplicate")
                out.append(send(.ack, seq: sndNxt, ack: rcvNxt, now: time, note: "ACK what we have"))
            } else {
                response += s.payload[offset...]
                rcvNxt &+= UInt32(s.payload.count - offset)
                if f.contains(.fin) {
                    rcvNxt &+= 1
                    peerFIN = true
                }
                // A FIN that makes us close at once is acknowledged by our own FIN.
                let closesAtOnce = peerFIN && state == .established && !config.hold
                if !closesAtOnce { out.append(send(.ack, seq: sndNxt, ack: rcvNxt, now: time, note: nil)) }
                if peerFIN { out += peerClosed(time: time) }
                else if state == .established && unacknowledged.isEmpty && !config.hold { deadline = time + config.responseWait }
            }
        }
        return out
    }

    /// The peer's FIN arrived (and was acknowledged).
    private mutating func peerClosed(time: Microseconds) -> [Bytes] {
        switch state {
        case .established where config.hold:
            state = .closeWait
            note(timeline.count - 1, "the peer closed its side; ours stays open until closed (F)")
        case .established:
            return close(now: time, why: "the peer closed")
        case .finWait1:
            state = .closing
        case .finWait2:
            enterTimeWait(time: time)
        default:
            break
        }
        return []
    }

    private mutating func acknowledge(upTo ack: UInt32, time: Microseconds) {
        let acked = ack &- sndUna
        guard acked > 0, acked <= sndNxt &- sndUna else { return }
        sndUna = ack
        retries = 0
        timeout = config.firstTimeout
        unacknowledged.removeFirst(min(Int(acked), unacknowledged.count))
        let everything = sndUna == sndNxt
        if everything && sentFIN {
            switch state {
            case .finWait1: state = .finWait2
            case .closing: enterTimeWait(time: time)
            case .lastAck:
                state = .closed
                deadline = nil
            default: break
            }
        }
        if everything {
            switch state {
            case .established where config.hold, .closeWait: deadline = nil
            case .established, .finWait2: deadline = time + config.responseWait
            case .timeWait: break
            default: deadline = nil
            }
        }
    }

    private mutating func enterTimeWait(time: Microseconds) {
        state = .timeWait
        // A short TIME-WAIT: long enough to acknowledge a FIN again if our ACK is lost.
        deadline = time + config.firstTimeout
    }

    private mutating func close(now: Microseconds, why: String, ending: TCPProbeConfig.Ending? = nil) -> [Bytes] {
        switch ending ?? config.ending {
        case .rst:
            state = .closed
            deadline = nil
            return [send([.rst, .ack], seq: sndNxt, ack: rcvNxt, now: now, note: "\(why): reset")]
        case .fin:
            let packet = send([.fin, .ack], seq: sndNxt, ack: rcvNxt, now: now, note: "\(why): close")
            sndNxt &+= 1
            sentFIN = true
            state = peerFIN ? .lastAck : .finWait1
            deadline = now + timeout
            return [packet]
        }
    }

    private mutating func retransmit(now: Microseconds) -> [Bytes] {
        retries += 1
        guard retries <= config.dataRetries else {
            state = .closed
            return [send([.rst, .ack], seq: sndNxt, ack: rcvNxt, now: now,
                         note: "no ACK after \(config.dataRetries) retransmissions: reset")]
        }
        timeout *= 2
        deadline = now + timeout
        var out = sendData(from: 0, now: now, note: "retransmission #\(retries)")
        if sentFIN {
            out.append(send([.fin, .ack], seq: sndNxt &- 1, ack: rcvNxt, now: now, note: "retransmission #\(retries)"))
        }
        return out
    }

    private mutating func finish(_ final: TCPProbeState, outcome: HandshakeOutcome?, time: Microseconds, why: String,
                                 at index: Int? = nil) {
        state = final
        if let outcome { self.outcome = outcome }
        deadline = nil
        let text = "\(final.rawValue): \(why)"
        if let index { note(index, text) } else { timeline.append(TimelineEvent(way: .note, time: time, what: final.rawValue, note: why)) }
    }

    // MARK: Segments out

    private mutating func sendSYN(now: Microseconds, note: String?) -> Bytes {
        send(.syn, seq: iss, ack: nil, now: now, note: note, options: config.synOptions(now), window: config.window)
    }

    /// Unacknowledged data from `offset`, in segments of the peer's MSS.
    private mutating func sendData(from offset: Int, now: Microseconds, note: String) -> [Bytes] {
        var out: [Bytes] = []
        var at = offset
        while at < unacknowledged.count {
            let end = min(unacknowledged.count, at + peerMSS)
            let flags: TCPFlags = end == unacknowledged.count ? [.psh, .ack] : .ack
            out.append(send(flags, seq: sndUna &+ UInt32(at), ack: rcvNxt, now: now, note: note,
                            payload: Array(unacknowledged[at..<end])))
            at = end
        }
        if sndNxt &- sndUna < UInt32(unacknowledged.count) { sndNxt = sndUna &+ UInt32(unacknowledged.count) }
        return out
    }

    private mutating func send(_ flags: TCPFlags, seq: UInt32, ack: UInt32?, now: Microseconds, note: String?,
                               options: [TCPOption]? = nil, window: UInt16? = nil, payload: Bytes = []) -> Bytes {
        let tcp = TCPRepr(sourcePort: config.sourcePort, destinationPort: config.destinationPort, sequenceNumber: seq,
                          acknowledgmentNumber: ack ?? 0, flags: ack == nil ? flags : flags.union(.ack),
                          window: window ?? advertisedWindow,
                          options: options ?? (useTimestamps ? [.nop, .nop, .timestamps(value: tsValue(now), echoReply: tsRecent)] : []))
        // Source and destination were checked to be of one family when the probe was made.
        let ip = IPRepr(source: config.source, destination: config.destination, proto: .tcp)!
        let packet = PacketBuilder.build(ip: ip, transport: tcp, payload: payload)
        var event = TimelineEvent(way: .sent, time: now, what: tcp.flags.segmentName, note: note, packet: packet)
        event.seq = seq
        event.relativeSeq = seq &- iss
        if let ack {
            event.ack = ack
            event.relativeAck = irs.map { ack &- $0 }
        }
        event.payloadLength = payload.count
        timeline.append(event)
        return packet
    }

    private var advertisedWindow: UInt16 {
        scaleWindow ? UInt16(min(65535, Int(config.window) >> Int(config.windowScale ?? 0))) : config.window
    }

    private func tsValue(_ now: Microseconds) -> UInt32 {
        config.timestampOffset &+ UInt32(truncatingIfNeeded: now / 1_000)
    }

    private mutating func readSynAckOptions(_ options: [TCPOption]) {
        for option in options {
            switch option {
            case let .mss(v): peerMSS = max(1, Int(v))
            case let .timestamps(value, _) where config.timestamps:
                useTimestamps = true
                tsRecent = value
            case .windowScale where config.windowScale != nil: scaleWindow = true
            default: break
            }
        }
    }

    private func timestampValue(_ options: [TCPOption]) -> UInt32? {
        for case let .timestamps(value, _) in options { return value }
        return nil
    }

    private func inWindow(_ seq: UInt32) -> Bool {
        seq &- rcvNxt < UInt32(config.window) << UInt32(scaleWindow ? config.windowScale ?? 0 : 0)
    }

    private mutating func note(_ index: Int, _ text: String) {
        timeline[index].addNote(text)
    }
}
