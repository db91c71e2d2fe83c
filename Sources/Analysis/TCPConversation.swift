import Wire

/// One TCP conversation (a Wireshark TCP stream) as sequence analysis follows it: its two
/// directions, its completeness and its clock. Wireshark's `tcp_analysis`, kept to what one
/// pass of `tshark -T json` needs.
///
/// Most conversations of a busy capture never see a second packet, so the state of the two
/// directions is made only when one comes: until then the conversation keeps its first segment,
/// and analyses it again then (the analysis is a pure function of the segments, so the state is
/// the same as if it had been kept all along).
struct TCPConversation: ActiveConversation {
    let stream: UInt32
    /// The source of the conversation's first packet: its direction is `flows[0]`, the other `flows[1]`.
    let firstSource: TCPEndpoint
    /// Both directions, from the second segment on; empty before.
    private var flows: [TCPFlow] = []
    /// The first segment, its frame, and whether it reused the ports of an earlier stream.
    private var opening = TCPSegmentHeader()
    private var openingFrame: UInt32 = 0
    private var openedByReuse = false
    var completeness: UInt8 = 0
    /// Times in nanoseconds: the conversation's first packet, its previous one, the most recent
    /// SYN, and the handshake's round trip once its ACK is seen (0 until then).
    let startTime: Int64
    var previousTime: Int64
    var lastSYNTime: Int64?
    var initialRTT: Int64 = 0
    var lastActive: UInt64 = 0

    init(stream: UInt32, first source: TCPEndpoint, time: Int64) {
        self.stream = stream
        firstSource = source
        startTime = time
        previousTime = time
    }

    static var empty: Self { TCPConversation(stream: 0, first: TCPEndpoint(.v4(IPv4Address(0)), 0), time: 0) }

    /// The base of relative sequence numbers in the direction `source` sends, once known.
    mutating func base(of source: TCPEndpoint) -> UInt32? {
        makeFlows()
        let flow = flows[source == firstSource ? 0 : 1]
        return flow.baseSet ? flow.base : nil
    }

    /// The directions' state after the first segment, made from it (once; the conversation's own
    /// fields already hold what that segment did to them).
    private mutating func makeFlows() {
        guard flows.isEmpty else { return }
        var again = TCPConversation(stream: stream, first: firstSource, time: startTime)
        if openedByReuse { again.completeness = Completeness.synSent }
        var fwd = TCPFlow(), rev = TCPFlow()
        _ = again.add(opening, frame: openingFrame, time: startTime, isNew: !openedByReuse, reused: openedByReuse,
                      fwd: &fwd, rev: &rev)
        flows = [fwd, rev]
    }

    /// Takes the conversation's next segment, sent by `source` (Wireshark's `dissect_tcp`, in its
    /// order). `isNew`: the first of a new conversation; `reused`: the first of one that took
    /// the ports of an earlier stream.
    mutating func add(_ p: TCPSegmentHeader, from source: TCPEndpoint, frame: UInt32, time: Int64,
                      isNew: Bool, reused: Bool) -> TCPSegmentAnalysis {
        var fwd = TCPFlow(), rev = TCPFlow()
        if isNew || reused {
            // The first segment: analysed on fresh directions, kept to make them again later.
            opening = p
            openingFrame = frame
            openedByReuse = reused
            return add(p, frame: frame, time: time, isNew: isNew, reused: reused, fwd: &fwd, rev: &rev)
        }
        makeFlows()
        // The directions are moved out while the segment is added (swapped, not copied, so their
        // segment lists are not copied either) and put back after.
        let (f, r) = source == firstSource ? (0, 1) : (1, 0)
        swap(&fwd, &flows[f])
        swap(&rev, &flows[r])
        let result = add(p, frame: frame, time: time, isNew: isNew, reused: reused, fwd: &fwd, rev: &rev)
        swap(&fwd, &flows[f])
        swap(&rev, &flows[r])
        return result
    }

    private mutating func add(_ p: TCPSegmentHeader, frame: UInt32, time: Int64, isNew: Bool, reused: Bool,
                              fwd: inout TCPFlow, rev: inout TCPFlow) -> TCPSegmentAnalysis {
        var r = TCPSegmentAnalysis(stream: stream, completeness: completeness)
        var ta = Acked()
        if reused { ta.flags.insert(.reusedPorts) }
        let flags = p.flags
        let synAck = flags.intersection([.syn, .ack])
        // A SYN-ACK with another ISN than its direction's: the ports are reused, and the base
        // moves to the new ISN (the conversation stays).
        if synAck == [.syn, .ack] && fwd.baseSet && p.seq != fwd.base {
            fwd.base = p.seq
            ta.flags.insert(.reusedPorts)
        }
        fwd.sackBytes = 0
        r.sinceFirst = time - startTime
        r.sincePrevious = time - previousTime
        previousTime = time

        var shift: UInt8?
        if let length = p.segmentLength {
            analyzeSequence(p, seglen: UInt32(truncatingIfNeeded: length), frame: frame, time: time, fwd: &fwd, rev: &rev, ta: &ta)
            if !flags.contains(.syn) && fwd.windowScale >= 0 { shift = UInt8(fwd.windowScale) }
        }
        // Relative numbers where the segment has a length, raw ones otherwise.
        let relative = p.segmentLength != nil
        r.relative = relative
        r.seq = relative ? p.seq &- fwd.base : p.seq
        r.otherBase = rev.base
        // A data offset below 20: Wireshark stops here, before the rest of the header.
        guard p.headerLength >= TCPHeader.minimumLength else { return r }
        r.ackIsRelative = relative && flags.contains(.ack)
        r.ack = r.ackIsRelative ? p.ack &- rev.base : p.ack
        if let length = p.segmentLength {
            r.nextSeq = r.seq! &+ UInt32(truncatingIfNeeded: length) &+ (flags.isDisjoint(with: [.syn, .fin]) ? 0 : 1)
        }
        r.windowSize = UInt32(p.window) << UInt32(shift ?? 0)
        if !flags.contains(.syn) {
            r.scaleFactor = fwd.windowScale >= 0 ? 1 << Int32(fwd.windowScale) : Int32(fwd.windowScale)
        }
        updateCompleteness(p, isNew: isNew)

        if flags.contains(.syn) {
            if !flags.contains(.ack) { lastSYNTime = time }
            fwd.isFirstAck = true
        }
        if synAck == .ack {
            if let syn = lastSYNTime, initialRTT == 0 { initialRTT = time - syn }
            fwd.isFirstAck = false
        }
        // The options, after the rest of the header: they change what later segments show.
        if let shift = p.windowScale { fwd.windowScale = Int8(shift) }
        if p.sackBlocks > 0 { fwd.sackBytes = p.sackBytes }
        if flags.contains(.syn) {
            // Scaling is used only when both SYNs ask for it.
            if fwd.windowScale == -1 {
                fwd.windowScale = -2
                rev.windowScale = -2
            } else if synAck == [.syn, .ack] && rev.windowScale == -2 {
                fwd.windowScale = -2
            }
        }
        r.showsTimes = p.wholeHeader
        if ta.exists && p.wholeHeader {
            r.hasAnalysis = true
            r.flags = ta.flags
            r.acksFrame = ta.acksFrame
            r.ackRTT = ta.ackRTT
            r.initialRTT = initialRTT
            r.bytesInFlight = ta.bytesInFlight == 0 ? nil : ta.bytesInFlight
            r.pushBytesSent = ta.pushBytesSent
            r.rto = ta.rto
            r.rtoFrame = ta.rtoFrame
            r.duplicateAckNumber = ta.duplicateAckNumber
            r.duplicateAckFrame = ta.duplicateAckFrame
        }
        return r
    }

    /// `tcp.completeness`: SYN only in a conversation this segment opened; then SYN-ACK, a pure
    /// ACK, data on an ACK, FIN with ACK, RST.
    private mutating func updateCompleteness(_ p: TCPSegmentHeader, isNew: Bool) {
        let synAck = p.flags.intersection([.syn, .ack])
        if isNew {
            if synAck == .syn {
                completeness |= Completeness.synSent
                if (p.segmentLength ?? 0) > 0 { completeness |= Completeness.data }
            }
            return
        }
        if synAck == [.syn, .ack] { completeness |= Completeness.synAck }
        if synAck == .ack { completeness |= (p.segmentLength ?? 0) > 0 ? Completeness.data : Completeness.ack }
        if p.flags.isSuperset(of: [.fin, .ack]) { completeness |= Completeness.fin }
        if p.flags.contains(.rst) { completeness |= Completeness.rst }
    }

    /// Wireshark's `tcp_analyze_sequence_number` for one segment (raw numbers, serial arithmetic).
    private func analyzeSequence(_ p: TCPSegmentHeader, seglen: UInt32, frame: UInt32, time: Int64,
                                 fwd: inout TCPFlow, rev: inout TCPFlow, ta: inout Acked) {
        let seq = p.seq, ack = p.ack, flags = p.flags, window = UInt32(p.window)
        let control = !flags.isDisjoint(with: [.syn, .fin, .rst])
        if !fwd.baseSet {
            fwd.base = flags.contains(.syn) ? seq : seq &- 1
            fwd.baseSet = true
        }
        if !rev.baseSet && flags.contains(.ack) {
            rev.base = ack &- 1
            rev.baseSet = true
        }
        if flags.contains(.ack) { rev.validBytesInFlight = true }

        checks: do {
            if seglen == 1 && seq == fwd.nextSeq && rev.window == 0 {
                ta.flags.insert(.zeroWindowProbe)
                break checks
            }
            if window == 0 && flags.isDisjoint(with: [.rst, .fin, .syn]) {
                ta.flags.insert(.zeroWindow)
            }
            if fwd.nextSeq != 0 && after(seq, fwd.nextSeq) && !flags.contains(.rst) {
                ta.flags.insert(.lostSegment)
                fwd.validBytesInFlight = false
            }
            if (seglen == 0 || seglen == 1) && seq == fwd.nextSeq &- 1 && !control {
                ta.flags.insert(.keepAlive)
            }
            let repeatsLast = seglen == 0 && seq == fwd.nextSeq && ack == fwd.lastAck && !control
            if repeatsLast && window != 0 && window != fwd.window {
                ta.flags.insert(.windowUpdate)
            }
            if seglen > 0 && rev.windowScale != -1 && !control {
                let shift = rev.isFirstAck || rev.windowScale == -2 ? 0 : UInt32(rev.windowScale)
                if seq &+ seglen == rev.lastAck &+ (rev.window << shift) { ta.flags.insert(.windowFull) }
            }
            if repeatsLast && window != 0 && window == fwd.window && rev.lastSegmentFlags.contains(.keepAlive) {
                ta.flags.insert(.keepAliveAck)
                break checks
            }
            if repeatsLast && window == 0 && fwd.window == 0 && rev.lastSegmentFlags.contains(.zeroWindowProbe) {
                ta.flags.insert(.zeroWindowProbeAck)
                break checks
            }
            if repeatsLast && window != 0 && window == fwd.window {
                fwd.duplicateAcks = fwd.duplicateAcks == -1 ? 1 : fwd.duplicateAcks + 1
                ta.flags.insert(.duplicateAck)
                ta.duplicateAckNumber = fwd.duplicateAcks
                ta.duplicateAckFrame = fwd.lastNonDuplicateAck
            }
        }
        if ack != fwd.lastAck {
            fwd.lastNonDuplicateAck = frame
            fwd.duplicateAcks = 0
        }

        // An ACK past what the other side was seen to send: a segment of theirs was not captured.
        // Said once per thing the other side did: after a gap in what it sent (the bound moves
        // up to its highest sequence number), or once after each new acknowledgment from it
        // (`duplicateAcks` -1 keeps the note from repeating meanwhile). Wireshark 4.0 compares
        // the bound with the highest sequence number as plain numbers.
        if rev.maxSeqToBeAcked != 0 && after(ack, rev.maxSeqToBeAcked) && flags.contains(.ack) {
            ta.touch()
            if rev.maxSeqToBeAcked < rev.nextSeq {
                rev.maxSeqToBeAcked = rev.nextSeq
                ta.flags.insert(.ackLostSegment)
            } else {
                if rev.duplicateAcks == 0 { ta.flags.insert(.ackLostSegment) }
                rev.duplicateAcks = -1
            }
        }

        if seglen > 0 || !flags.isDisjoint(with: [.syn, .fin]) {
            classifyRepeat(seq: seq, seglen: seglen, flags: flags, time: time, fwd: fwd, rev: rev, ta: &ta)
        }

        var nextSeq = seq &+ seglen
        if (seglen > 0 || !flags.isDisjoint(with: [.syn, .fin])) && fwd.segments.count < StreamAnalyzer.maximumUnackedSegments {
            if !flags.isDisjoint(with: [.syn, .fin]) { nextSeq &+= 1 }
            fwd.segments.append(Unacked(frame: frame, seq: seq, nextSeq: nextSeq, time: time))
        }
        let probe = ta.flags.contains(.zeroWindowProbe)
        if (after(nextSeq, fwd.nextSeq) || fwd.nextSeq == 0) && !probe {
            fwd.nextSeq = nextSeq
            fwd.nextSeqFrame = frame
            fwd.nextSeqTime = time
        }
        if (seq == fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked == 0) && !probe {
            fwd.maxSeqToBeAcked = fwd.nextSeq
        }
        fwd.window = window
        fwd.lastAck = ack
        fwd.lastAckTime = time
        fwd.lastSegmentFlags = ta.exists ? ta.flags : []

        // What this acknowledges of the other direction's segments, newest first as Wireshark's
        // list is: the oldest exact match names the frame acknowledged.
        var i = rev.segments.count - 1
        while i >= 0 {
            let u = rev.segments[i]
            if ack == u.nextSeq {
                ta.touch()
                ta.acksFrame = u.frame
                ta.ackRTT = time - u.time
            } else if after(ack, u.seq) && !after(ack, u.nextSeq) {
                rev.segments[i].seq = ack
                continue
            } else if after(u.nextSeq, ack) {
                i -= 1
                continue
            }
            rev.segments.remove(at: i)
            i -= 1
        }

        // Bytes in flight: the span of this direction's unacknowledged segments, less what the
        // other side's last SACK blocks covered.
        if seglen != 0, let newest = fwd.segments.last, fwd.validBytesInFlight {
            var firstSeq = newest.seq &- fwd.base, lastSeq = newest.nextSeq &- fwd.base
            for u in fwd.segments {
                lastSeq = max(lastSeq, u.nextSeq &- fwd.base)
                firstSeq = min(firstSeq, u.seq &- fwd.base)
            }
            let inFlight = (lastSeq &- firstSeq) &- rev.sackBytes
            // Bytes sent since the last PSH: a PSH segment counts itself after a run without one.
            let push = flags.contains(.psh)
            if push != fwd.pushSetLast && push || !push && !fwd.pushSetLast {
                fwd.pushBytesSent &+= seglen
            } else {
                fwd.pushBytesSent = seglen
            }
            fwd.pushSetLast = push
            ta.touch()
            if inFlight > 0 && inFlight < 2_000_000_000 {
                ta.bytesInFlight = inFlight &- (flags.isDisjoint(with: [.syn, .fin]) ? 0 : 1)
            }
            // Wireshark 4.0 shows this only beside a bytes in flight other than 0.
            if (ta.bytesInFlight ?? 0) != 0 { ta.pushBytesSent = fwd.pushBytesSent }
        }
    }

    /// Retransmission, spurious, fast retransmission or out of order, for a segment that takes
    /// sequence space (Wireshark's order, fast retransmission before out of order by default).
    private func classifyRepeat(seq: UInt32, seglen: UInt32, flags: TCPFlags, time: Int64,
                                fwd: TCPFlow, rev: TCPFlow, ta: inout Acked) {
        if ta.flags.contains(.keepAlive) { return }
        var notAdvanced = fwd.nextSeq != 0 && after(fwd.nextSeq, seq)
        // More than a byte right after a possible probe adds new data.
        if seglen > 1 && fwd.nextSeq &- 1 == seq { notAdvanced = false }
        if seglen > 0 && rev.lastAck != 0 && !after(seq &+ seglen, rev.lastAck) {
            ta.flags.insert(.spuriousRetransmission)
            return
        }
        // The count is unsigned in Wireshark: the -1 left by an ACKed-unseen note counts as many.
        if notAdvanced && UInt32(bitPattern: rev.duplicateAcks) >= 2 && rev.lastAck == seq
            && UInt64(bitPattern: time - rev.lastAckTime) < 20_000_000 {
            ta.flags.insert(.fastRetransmission)
            return
        }
        let threshold = initialRTT == 0 ? 3_000_000 : initialRTT
        let sinceHighest = time - fwd.nextSeqTime
        let control: UInt32 = flags.isDisjoint(with: [.syn, .fin]) ? 0 : 1
        if notAdvanced && UInt64(bitPattern: sinceHighest) < UInt64(bitPattern: threshold)
            && fwd.nextSeq != seq &+ seglen &+ control {
            ta.flags.insert(.outOfOrder)
            return
        }
        if notAdvanced {
            ta.flags.insert(.retransmission)
            // The RTO is measured from the oldest segment not yet acknowledged, if any.
            let reference = fwd.segments.first.map { ($0.time, $0.frame) } ?? (fwd.nextSeqTime, fwd.nextSeqFrame)
            ta.rto = time - reference.0
            ta.rtoFrame = reference.1
        }
    }
}

/// What sequence analysis reads of a TCP segment's header: the fields of `TransportPacket` it
/// uses, in 24 bytes (a conversation keeps its first one).
struct TCPSegmentHeader: Sendable {
    var seq: UInt32 = 0
    var ack: UInt32 = 0
    var sackBytes: UInt32 = 0
    /// The segment length; -1 where Wireshark has none.
    private var length: Int32 = -1
    var flags = TCPFlags()
    var window: UInt16 = 0
    private var headerLength8: UInt8 = 0
    /// The window scale option's shift; -1 without one.
    private var windowScale8: Int8 = -1
    private var sackBlocks8: UInt8 = 0
    var wholeHeader = false

    init() {}

    init(_ p: TransportPacket) {
        seq = p.seq
        ack = p.ack
        sackBytes = p.sackBytes
        // A segment is shorter than 2 GB, a data offset at most 60 bytes with at most 5 SACK
        // blocks in it, and the shift is capped at 14.
        length = p.segmentLength.map { Int32(truncatingIfNeeded: $0) } ?? -1
        flags = p.flags
        window = p.window
        headerLength8 = UInt8(truncatingIfNeeded: p.headerLength)
        windowScale8 = p.windowScale.map { Int8(truncatingIfNeeded: $0) } ?? -1
        sackBlocks8 = UInt8(truncatingIfNeeded: p.sackBlocks)
        wholeHeader = p.wholeHeader
    }

    var segmentLength: Int? { length < 0 ? nil : Int(length) }
    var headerLength: Int { Int(headerLength8) }
    var windowScale: UInt8? { windowScale8 < 0 ? nil : UInt8(windowScale8) }
    var sackBlocks: Int { Int(sackBlocks8) }
}

/// One direction of a TCP conversation (Wireshark's `tcp_flow_t` and its sequence info).
struct TCPFlow: Sendable {
    var baseSet = false
    var base: UInt32 = 0
    var nextSeq: UInt32 = 0
    var nextSeqFrame: UInt32 = 0
    var nextSeqTime: Int64 = 0
    var maxSeqToBeAcked: UInt32 = 0
    var lastAck: UInt32 = 0
    var lastAckTime: Int64 = 0
    /// The last window this direction advertised, unscaled.
    var window: UInt32 = 0
    /// -1 unknown, -2 no scaling, else the shift.
    var windowScale: Int8 = -1
    var isFirstAck = false
    var duplicateAcks: Int32 = 0
    var lastNonDuplicateAck: UInt32 = 0
    var lastSegmentFlags = TCPAnalysisFlags()
    var validBytesInFlight = true
    var pushBytesSent: UInt32 = 0
    var pushSetLast = false
    /// Bytes the SACK blocks of this direction's latest segment covered.
    var sackBytes: UInt32 = 0
    /// Segments sent and not yet acknowledged, oldest first.
    var segments: [Unacked] = []
}

struct Unacked: Sendable {
    var frame: UInt32
    var seq: UInt32
    var nextSeq: UInt32
    var time: Int64
}

/// Wireshark's `tcp_acked`: what the analysis found for the segment; `exists` once anything was.
struct Acked {
    var exists = false
    var flags = TCPAnalysisFlags() {
        didSet { exists = true }
    }
    var acksFrame: UInt32 = 0
    var ackRTT: Int64 = 0
    var bytesInFlight: UInt32?
    var pushBytesSent: UInt32?
    var rto: Int64 = 0
    var rtoFrame: UInt32 = 0
    var duplicateAckNumber: Int32 = 0
    var duplicateAckFrame: UInt32 = 0

    mutating func touch() { exists = true }
}

/// Whether sequence number `a` comes after `b` (serial arithmetic, RFC 1982).
@inline(__always)
func after(_ a: UInt32, _ b: UInt32) -> Bool {
    Int32(bitPattern: a &- b) > 0
}
