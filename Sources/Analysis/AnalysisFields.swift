import Wire

extension Dissection {
    /// Adds what stream analysis found to the packet's TCP or UDP layer, as fields among the
    /// others in the places tshark shows them (`tcp.stream` after the ports, `tcp.seq` beside
    /// `tcp.seq_raw`, the timestamps and `tcp.analysis` before the payload), so the tree and
    /// JSON writers show them like any field.
    public mutating func add(_ analysis: PacketAnalysis) {
        if let t = analysis.tcp, let i = layers.firstIndex(where: { $0.name == "tcp" }) {
            layers[i].addStreamFields(t, describing: describes)
        }
        if let u = analysis.udp, let i = layers.firstIndex(where: { $0.name == "udp" }) {
            layers[i].addStreamFields(u)
        }
    }
}

extension Layer {
    mutating func addStreamFields(_ u: UDPDatagramAnalysis) {
        let at = range.lowerBound..<range.lowerBound
        var added: [Field] = [Field("udp.stream", "Stream index", .uint(UInt64(u.stream)), range: at,
                                    explain: "Which UDP conversation this is, counted from 0 in order of first packet (Wireshark's numbering).",
                                    generated: true)]
        if let first = u.sinceFirst, let previous = u.sincePrevious {
            added += timestamps(first, previous, at: at, first: "udp.time_relative", "Time since first frame",
                                previous: "udp.time_delta", "Time since previous frame")
        }
        // After the checksum, before the payload.
        let end = fields.firstIndex { $0.level == 0 && $0.hasName("udp.payload") } ?? fields.count
        fields.insert(contentsOf: added, at: end)
    }

    mutating func addStreamFields(_ t: TCPSegmentAnalysis, describing: Bool) {
        let at = range.lowerBound..<range.lowerBound
        // Where each addition goes, found in one pass; then the additions are inserted from the
        // last place back, in the layer's own array (fields are large: a fresh array for each
        // packet would cost more than moving them).
        var afterPorts: Int?, beforeSeqRaw: Int?, beforeAckRaw: Int?, afterWindow: Int?, payload: Int?
        // Names compared only where the length fits (most fields have other lengths), and the
        // fields read in place rather than copied out.
        let short = StaticString("tcp.dstport").utf8CodeUnitCount
        let sack = StaticString("tcp.options.sack_le").utf8CodeUnitCount, dsack = StaticString("tcp.options.sack.dsack_le").utf8CodeUnitCount
        fields.withUnsafeMutableBufferPointer { fields in
            for i in fields.indices {
                let length = fields[i].name.utf8CodeUnitCount
                if fields[i].level > 0 {
                    // SACK edges (in the options) are relative to the other side.
                    guard length == sack || length == dsack else { continue }
                    if case let .uint(v) = fields[i].value, fields[i].hasName("tcp.options.sack_le") || fields[i].hasName("tcp.options.sack_re")
                        || fields[i].hasName("tcp.options.sack.dsack_le") || fields[i].hasName("tcp.options.sack.dsack_re") {
                        fields[i].value = .uint(UInt64(UInt32(truncatingIfNeeded: v) &- t.otherBase))
                    }
                    continue
                }
                if length == short {
                    if fields[i].hasName("tcp.dstport") { afterPorts = i + 1 }
                    else if fields[i].hasName("tcp.seq_raw") { beforeSeqRaw = i }
                    else if fields[i].hasName("tcp.ack_raw") { beforeAckRaw = i }
                    else if fields[i].hasName("tcp.payload") { payload = i }
                } else if fields[i].hasName("tcp.window_size_value") {
                    afterWindow = i + 1
                }
            }
        }
        // JSON reads names and values, not their order: there the additions go at the end,
        // which moves nothing.
        guard describing else {
            if let i = afterPorts {
                fields.append(Field("tcp.stream", "", .uint(UInt64(t.stream)), range: at, explain: ""))
                fields.append(Field("tcp.completeness", "", .uint(UInt64(t.completeness)), range: fields[i - 1].range, explain: ""))
            }
            if beforeSeqRaw != nil, let seq = t.seq {
                fields.append(Field("tcp.seq", "", .uint(UInt64(seq)), range: at, explain: ""))
                if let next = t.nextSeq { fields.append(Field("tcp.nxtseq", "", .uint(UInt64(next)), range: at, explain: "")) }
            }
            if beforeAckRaw != nil, let ack = t.ack { fields.append(Field("tcp.ack", "", .uint(UInt64(ack)), range: at, explain: "")) }
            if afterWindow != nil, let size = t.windowSize {
                fields.append(Field("tcp.window_size", "", .uint(UInt64(size)), range: at, explain: ""))
                if let factor = t.scaleFactor { fields.append(Field("tcp.window_size_scalefactor", "", .int(Int64(factor)), range: at, explain: "")) }
            }
            // Moved out and back, so appending copies nothing (the layer keeps its strings meanwhile).
            var list = fields
            fields = []
            appendTimesAndAnalysis(t, at: at, into: &list, describing: false)
            fields = list
            return
        }
        var tail: [Field] = []
        appendTimesAndAnalysis(t, at: at, into: &tail, describing: describing)
        fields.reserveCapacity(fields.count + tail.count + 8)
        fields.insert(contentsOf: tail, at: payload ?? fields.count)
        if let i = afterWindow, let size = fields[i - 1].hasName("tcp.window_size_value") ? t.windowSize : nil {
            let window = fields[i - 1].range
            var added = [Field("tcp.window_size", "Calculated window size", .uint(UInt64(size)), range: window,
                               explain: "The window with the scale factor the handshake agreed applied.", generated: true)]
            if let factor = t.scaleFactor {
                let note: FieldText? = factor == -1 ? "(unknown)" : factor == -2 ? "(no window scaling used)" : nil
                added.append(Field("tcp.window_size_scalefactor", "Window size scaling factor", .int(Int64(factor)), note: note,
                                   range: window, explain: "What the window is multiplied by: -1 when the handshake was not seen, -2 when it did not agree on scaling.",
                                   generated: true))
            }
            fields.insert(contentsOf: added, at: i)
        }
        if let i = beforeAckRaw, let ack = t.ack {
            fields.insert(Field("tcp.ack", "Acknowledgment Number", .uint(UInt64(ack)), note: t.ackIsRelative ? "   (relative ack number)" : nil,
                                range: fields[i].range, explain: "The acknowledgment number counted from the other direction's first sequence number."),
                          at: i)
        }
        if let i = beforeSeqRaw, let seq = t.seq {
            // tcp.seq before tcp.seq_raw, tcp.nxtseq after it.
            if let next = t.nextSeq {
                fields.insert(Field("tcp.nxtseq", "Next Sequence Number", .uint(UInt64(next)), note: "   (relative sequence number)", range: at,
                                    explain: "The sequence number the next segment from this side should have.", generated: true), at: i + 1)
            }
            fields.insert(Field("tcp.seq", "Sequence Number", .uint(UInt64(seq)), note: t.relative ? "   (relative sequence number)" : nil,
                                range: fields[i].range, explain: "The sequence number counted from this direction's first (its SYN's is 0), as Wireshark shows it."),
                          at: i)
        }
        if let i = afterPorts {
            let completeness: FieldValue = describing
                ? .uintShown(UInt64(t.completeness), shown: text("\(Self.completenessWords(t.completeness)) (\(t.completeness))"))
                : .uint(UInt64(t.completeness))
            fields.insert(contentsOf: [
                Field("tcp.stream", "Stream index", .uint(UInt64(t.stream)), range: at,
                      explain: "Which TCP conversation this is, counted from 0 in order of first packet (Wireshark's numbering).", generated: true),
                Field("tcp.completeness", "Conversation completeness", completeness, range: at,
                      explain: "What of the conversation was seen before this segment: 1 SYN, 2 SYN-ACK, 4 ACK, 8 data, 16 FIN, 32 RST.",
                      generated: true),
            ], at: i)
        }
        if describing, let seq = t.seq { retitle(seq: seq, ack: t.ack) }
    }

    /// The layer's title with the numbers tshark shows there (relative ones).
    private mutating func retitle(seq: UInt32, ack: UInt32?) {
        title = Self.replacingNumber(after: ", Seq: ", in: title, with: seq)
        if let ack { title = Self.replacingNumber(after: ", Ack: ", in: title, with: ack) }
    }

    /// `s` with the decimal number that follows `marker` replaced by `n` (unchanged without the marker).
    static func replacingNumber(after marker: String, in s: String, with n: UInt32) -> String {
        let text = Array(s.utf8), m = Array(marker.utf8)
        guard text.count >= m.count,
              let at = (0...(text.count - m.count)).first(where: { text[$0..<($0 + m.count)].elementsEqual(m) })
        else { return s }
        var end = at + m.count
        while end < text.count && text[end] >= 48 && text[end] <= 57 { end += 1 }
        return String(decoding: text[..<(at + m.count)], as: UTF8.self) + "\(n)" + String(decoding: text[end...], as: UTF8.self)
    }

    private mutating func appendTimesAndAnalysis(_ t: TCPSegmentAnalysis, at: Range<Int>, into out: inout [Field], describing: Bool) {
        guard t.showsTimes else { return }
        out += timestamps(t.sinceFirst, t.sincePrevious, at: at, first: "tcp.time_relative", "Time since first frame in this TCP stream",
                          previous: "tcp.time_delta", "Time since previous frame in this TCP stream")
        guard t.hasAnalysis else { return }
        func add(_ f: Field, level: UInt8) {
            var f = f
            f.level = level
            f.generated = true
            out.append(f)
        }
        add(Field("tcp.analysis", "SEQ/ACK analysis", .none, range: at, explain: "What Wireshark's sequence analysis says about this segment."), level: 0)
        if t.acksFrame != 0 {
            add(Field("tcp.analysis.acks_frame", "This is an ACK to the segment in frame", .uint(UInt64(t.acksFrame)), range: at,
                      explain: "The frame whose data (or SYN or FIN) this segment acknowledges exactly."), level: 1)
            if t.ackRTT != 0 {
                add(Field("tcp.analysis.ack_rtt", "The RTT to ACK the segment was", .seconds(nanoseconds: t.ackRTT), note: "seconds", range: at,
                          explain: "Time from that segment to this acknowledgment: a round trip seen from where the capture was taken."), level: 1)
            }
        }
        if t.initialRTT != 0 {
            add(Field("tcp.analysis.initial_rtt", "iRTT", .seconds(nanoseconds: t.initialRTT), note: "seconds", range: at,
                      explain: "The handshake's round trip: from the SYN to the ACK of the SYN-ACK."), level: 1)
        }
        if let b = t.bytesInFlight {
            add(Field("tcp.analysis.bytes_in_flight", "Bytes in flight", .uint(UInt64(b)), range: at,
                      explain: "Data this side has sent that the other has not acknowledged yet."), level: 1)
        }
        if let b = t.pushBytesSent {
            add(Field("tcp.analysis.push_bytes_sent", "Bytes sent since last PSH flag", .uint(UInt64(b)), range: at,
                      explain: "Data sent since the last segment with PSH set."), level: 1)
        }
        let flags = t.flags
        if !flags.isEmpty {
            add(Field("tcp.analysis.flags", "TCP Analysis Flags", .none, range: at, explain: "What the analysis suspects about this segment."), level: 1)
            func expert(_ e: Expert, message: FieldText? = nil) {
                let m = message ?? .literal(e.message)
                let heading: FieldText = describing ? text("Expert Info (\(e.severity.word)/Sequence): \(string(m))") : "Expert Info"
                add(Field("_ws.expert", heading, .none, range: at, explain: "A note from the analysis."), level: 2)
                add(Field(e.name, m, .present, range: at, explain: "A flag the analysis set."), level: 3)
                add(Field("_ws.expert.message", "", .text(m), range: at, explain: "The note's text."), level: 3)
                add(Field("_ws.expert.severity", "Severity level", .uintShown(e.severity.rawValue, shown: e.severity.label), range: at,
                          explain: "How much it matters: Chat, Note, Warning or Error."), level: 3)
                add(Field("_ws.expert.group", "Group", .uintShown(0x0200_0000, shown: "Sequence"), range: at,
                          explain: "What it is about: TCP sequence numbers."), level: 3)
            }
            if flags.contains(.reusedPorts) { expert(.reusedPorts) }
            if flags.contains(.retransmission) {
                expert(.retransmission)
                if t.rto != 0 {
                    add(Field("tcp.analysis.rto", "The RTO for this segment was", .seconds(nanoseconds: t.rto), note: "seconds", range: at,
                              explain: "Time since the segment this one repeats was first sent."), level: 2)
                    add(Field("tcp.analysis.rto_frame", "RTO based on delta from frame", .uint(UInt64(t.rtoFrame)), range: at,
                              explain: "The frame the RTO is measured from."), level: 2)
                }
            }
            if flags.contains(.fastRetransmission) {
                expert(.fastRetransmission)
                expert(.retransmission)
            }
            if flags.contains(.spuriousRetransmission) {
                expert(.spuriousRetransmission)
                expert(.retransmission)
            }
            if flags.contains(.outOfOrder) { expert(.outOfOrder) }
            if flags.contains(.lostSegment) { expert(.lostSegment) }
            if flags.contains(.ackLostSegment) { expert(.ackLostSegment) }
            if flags.contains(.windowUpdate) { expert(.windowUpdate) }
            if flags.contains(.windowFull) { expert(.windowFull) }
            if flags.contains(.keepAlive) { expert(.keepAlive) }
            if flags.contains(.keepAliveAck) { expert(.keepAliveAck) }
            if flags.contains(.duplicateAck) {
                add(Field("tcp.analysis.duplicate_ack", "This is a TCP duplicate ack", .present, range: at,
                          explain: "The same acknowledgment and window again, with no data."), level: 2)
            }
            if flags.contains(.zeroWindowProbe) { expert(.zeroWindowProbe) }
            if flags.contains(.zeroWindow) { expert(.zeroWindow) }
            if flags.contains(.zeroWindowProbeAck) { expert(.zeroWindowProbeAck) }
            if flags.contains(.duplicateAck) {
                add(Field("tcp.analysis.duplicate_ack_num", "Duplicate ACK #", .uint(UInt64(t.duplicateAckNumber)), range: at,
                          explain: "How many times in a row this acknowledgment has been repeated."), level: 1)
                add(Field("tcp.analysis.duplicate_ack_frame", "Duplicate to the ACK in frame", .uint(UInt64(t.duplicateAckFrame)), range: at,
                          explain: "The frame with the acknowledgment this one repeats."), level: 1)
                // One level deeper: under the frame it duplicates, as tshark puts it.
                let start = out.count
                expert(.duplicateAck, message: text("Duplicate ACK (#\(t.duplicateAckNumber))"))
                for i in start..<out.count { out[i].level -= 1 }
            }
        }
    }

    private func timestamps(_ sinceFirst: Int64, _ sincePrevious: Int64, at: Range<Int>, first: StaticString, _ firstLabel: FieldText,
                            previous: StaticString, _ previousLabel: FieldText) -> [Field] {
        var heading = Field("text", "Timestamps", .none, range: at, explain: "Times within this conversation.", generated: true)
        heading.level = 0
        var a = Field(first, firstLabel, .seconds(nanoseconds: sinceFirst), note: "seconds", range: at,
                      explain: "Time since the conversation's first packet.", generated: true)
        a.level = 1
        var b = Field(previous, previousLabel, .seconds(nanoseconds: sincePrevious), note: "seconds", range: at,
                      explain: "Time since the conversation's previous packet.", generated: true)
        b.level = 1
        return [heading, a, b]
    }

    /// Keeps a string for this packet and names it.
    private mutating func text(_ s: String) -> FieldText {
        strings.append(s)
        return .string(Int32(strings.count - 1))
    }

    /// Wireshark's words for a completeness value.
    static func completenessWords(_ c: UInt8) -> String {
        switch c {
        case 1: return "Incomplete, SYN_SENT"
        case 3: return "Incomplete, CLIENT_ESTABLISHED"
        case 7: return "Incomplete, ESTABLISHED"
        case 15: return "Incomplete, DATA"
        case 31, 47, 63: return "Complete, WITH_DATA"
        case 23, 39, 55: return "Complete, NO_DATA"
        default: return "Incomplete"
        }
    }
}

/// The expert notes of `tcp.analysis.flags`, with tshark's words and severities.
struct Expert {
    enum Severity: UInt64 {
        case chat = 0x0020_0000, note = 0x0040_0000, warning = 0x0060_0000

        var word: String {
            switch self {
            case .chat: return "Chat"
            case .note: return "Note"
            case .warning: return "Warning"
            }
        }

        var label: FieldText {
            switch self {
            case .chat: return "Chat"
            case .note: return "Note"
            case .warning: return "Warning"
            }
        }
    }

    let name: StaticString
    let message: StaticString
    let severity: Severity

    static let retransmission = Expert(name: "tcp.analysis.retransmission", message: "This frame is a (suspected) retransmission", severity: .note)
    static let fastRetransmission = Expert(name: "tcp.analysis.fast_retransmission", message: "This frame is a (suspected) fast retransmission", severity: .note)
    static let spuriousRetransmission = Expert(name: "tcp.analysis.spurious_retransmission", message: "This frame is a (suspected) spurious retransmission", severity: .note)
    static let outOfOrder = Expert(name: "tcp.analysis.out_of_order", message: "This frame is a (suspected) out-of-order segment", severity: .warning)
    static let reusedPorts = Expert(name: "tcp.analysis.reused_ports", message: "A new tcp session is started with the same ports as an earlier session in this trace", severity: .note)
    static let lostSegment = Expert(name: "tcp.analysis.lost_segment", message: "Previous segment(s) not captured (common at capture start)", severity: .warning)
    static let ackLostSegment = Expert(name: "tcp.analysis.ack_lost_segment", message: "ACKed segment that wasn't captured (common at capture start)", severity: .warning)
    static let windowUpdate = Expert(name: "tcp.analysis.window_update", message: "TCP window update", severity: .chat)
    static let windowFull = Expert(name: "tcp.analysis.window_full", message: "TCP window specified by the receiver is now completely full", severity: .warning)
    static let keepAlive = Expert(name: "tcp.analysis.keep_alive", message: "TCP keep-alive segment", severity: .note)
    static let keepAliveAck = Expert(name: "tcp.analysis.keep_alive_ack", message: "ACK to a TCP keep-alive segment", severity: .note)
    static let duplicateAck = Expert(name: "tcp.analysis.duplicate_ack", message: "Duplicate ACK", severity: .note)
    static let zeroWindowProbe = Expert(name: "tcp.analysis.zero_window_probe", message: "TCP Zero Window Probe", severity: .note)
    static let zeroWindow = Expert(name: "tcp.analysis.zero_window", message: "TCP Zero Window segment", severity: .warning)
    static let zeroWindowProbeAck = Expert(name: "tcp.analysis.zero_window_probe_ack", message: "ACK to a TCP Zero Window Probe", severity: .note)
}
