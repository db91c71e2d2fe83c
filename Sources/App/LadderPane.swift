import Analysis
import Probe
import Screen
import Wire

/// What the Handshake pane draws, whoever made the connection: tunscope's prober, or the
/// connection tracker watching someone else's. Built from either, drawn by one function.
struct Ladder {
    /// One arrow (or a note between the two lines).
    struct Row {
        enum Way {
            /// From the left end to the right one, and back.
            case right, left
            /// Nothing crossed the wire: a timer ran out, segments not listed.
            case note
        }

        var way: Way
        /// Microseconds since the connection's first event.
        var time: Int64
        /// "SYN", "SYN-ACK", "TIMEOUT": with the note, the explanation line.
        var what: String
        /// On the arrow: "SYN-ACK seq=0 ack=1 len=5".
        var label: String
        var note: String?
        /// The packet Enter selects.
        var packetNumber: Int?
    }

    var left: String
    var right: String
    var status: String
    var statusRole: Role
    var rows: [Row]

    static func label(_ what: String, seq: UInt32?, ack: UInt32?, length: Int) -> String {
        var label = what
        if let s = seq { label += " seq=\(s)" }
        if let a = ack { label += " ack=\(a)" }
        if length > 0 { label += " len=\(length)" }
        return label
    }

    /// A connection tunscope made: tunscope on the left, the peer on the right.
    init(probe c: TCPProbe, role: Role) {
        left = "tunscope \(endpoint(c.config.source, c.config.sourcePort))"
        right = endpoint(c.config.destination, c.config.destinationPort)
        var status = c.outcome.map { $0.description } ?? c.state.rawValue
        if c.state.rawValue != status { status += " (now \(c.state.rawValue))" }
        if let rtt = c.rtt { status += "  rtt \(formatDuration(rtt))" }
        if let wire = c.commandToWire { status += "  SYN out \(formatDuration(wire)) after the key" }
        self.status = status
        statusRole = role
        let start = c.timeline.first?.time ?? 0
        rows = c.timeline.map { e in
            let way: Row.Way = switch e.way {
            case .sent: .right
            case .received: .left
            case .note: .note
            }
            return Row(way: way, time: e.time - start, what: e.what,
                       label: Self.label(e.what, seq: e.relativeSeq, ack: e.relativeAck, length: e.payloadLength),
                       note: e.note, packetNumber: e.packetNumber)
        }
    }

    /// A connection seen in the packets: the client on the left, the server on the right.
    init(observed c: TCPConnection, role: Role) {
        left = "client \(c.client)"
        right = "server \(c.server)"
        status = c.stateDescription
        statusRole = role
        rows = c.events.map { e in
            let what = e.flags.segmentName
            var note: String?
            if e.retransmission > 0 {
                note = "retransmission #\(e.retransmission)" + (e.sinceFirst.map { ", \(formatDuration($0)) after the first" } ?? "")
            }
            return Row(way: e.from == .client ? .right : .left, time: e.time - c.startTime, what: what,
                       label: Self.label(what, seq: e.relativeSeq, ack: e.relativeAck, length: e.payloadLength),
                       note: note, packetNumber: e.number)
        }
        if c.unlistedSegments > 0 {
            rows.append(Row(way: .note, time: (c.events.last?.time ?? c.startTime) - c.startTime, what: "not listed",
                            label: "", note: "\(counted(c.unlistedSegments, "more segment")), \(counted(c.unlistedBytes, "payload byte"))"))
        }
    }
}

extension Monitor {
    /// The connection the ladder shows. Tunscope's own when the selected packet is one of its;
    /// else the observed connection of the selected packet (one tunscope did not open); else
    /// tunscope's newest; else (watching, or browsing a file) the observed connection most
    /// recently active at the selected packet.
    var ladder: Ladder? {
        guard var ladder = connectionLadder else { return nil }
        // Where the conversation died: under each of its packets the kernel dropped, a note.
        if let kernelVerdicts {
            for i in ladder.rows.indices.reversed() {
                guard let n = ladder.rows[i].packetNumber, let drop = kernelVerdicts.verdict(ofPacket: n) else { continue }
                let what = ladder.rows[i].what
                ladder.rows.insert(Ladder.Row(way: .note, time: ladder.rows[i].time, what: "DROPPED",
                                              label: "", note: "\(what) by the kernel, \(drop.reason) in \(drop.location)",
                                              packetNumber: n), at: i + 1)
            }
        }
        return ladder
    }

    private var connectionLadder: Ladder? {
        let prober = self.prober
        if let prober, let s = selected,
           let c = prober.connections.last(where: { c in c.timeline.contains { $0.packetNumber == s } }) {
            return Ladder(probe: c, role: stateRole(c))
        }
        let seen = observed.connection(selected: selectedPacket?.packet, oldest: oldest)
        if let seen, seen.isSelected {
            // A packet of tunscope's connection that its timeline does not hold (a copy resent by
            // hand, a stray segment): still tunscope's ladder.
            let ends = [seen.connection.client, seen.connection.server]
            if let c = prober?.connections.last(where: { c in
                let config = c.config
                let mine = [TCPEndpoint(config.source, config.sourcePort), TCPEndpoint(config.destination, config.destinationPort)]
                return mine == ends || mine == ends.reversed()
            }) {
                return Ladder(probe: c, role: stateRole(c))
            }
            return observed.ladder(seen.connection, role: stateRole)
        }
        if let c = prober?.connections.last { return Ladder(probe: c, role: stateRole(c)) }
        return seen.map { observed.ladder($0.connection, role: stateRole) }
    }

    func stateRole(_ c: TCPProbe) -> Role {
        switch c.state {
        case .synSent, .halfOpen, .idle: return .statePending
        case .refused, .unreachable, .timeout: return .stateFailed
        default: return c.outcome?.isSuccess == true ? .stateOpen : .normal
        }
    }

    func stateRole(_ state: TCPConnectionState) -> Role {
        switch state {
        case .noAnswer, .halfOpen: return .statePending
        case .refused, .reset: return .stateFailed
        case .open: return .stateOpen
        case .closing, .closed: return .normal
        }
    }

    /// A ladder diagram of the connection: one end on the left, the other on the right, one
    /// arrow per segment with its relative numbers and time since the first SYN.
    func drawLadder(into b: inout Buffer, area: Rect) {
        guard let ladder else {
            let hint = whyNoSending.map { _ in "no TCP connection seen yet" } ??
                (target.map { "press s to send a SYN to \(endpoint($0.address, $0.port))" } ?? "press t to set a target, then s")
            b.write(hint, x: area.x + 1, y: area.y, style: theme[.normal], limit: area.width - 1)
            return
        }
        // The right end keeps its place; the left gives way when both do not fit.
        let rightWidth = min(TextWidth.of(ladder.right), area.width)
        b.write(ladder.left, x: area.x, y: area.y, style: theme[.treeLayer], limit: max(0, area.width - rightWidth - 1))
        b.write(ladder.right, x: area.maxX - rightWidth, y: area.y, style: theme[.treeLayer], limit: rightWidth)
        b.write(ladder.status, x: area.x, y: area.y + 1, style: theme[ladder.statusRole], limit: area.width)
        let events = ladder.rows
        let rows = area.height - 2
        guard rows > 0, !events.isEmpty else { return }
        ladderRow = max(0, min(ladderRow, events.count - 1))
        let top = max(0, min(ladderRow - rows / 2, events.count - rows))
        let left = area.x + 11, rightLine = area.maxX - 2
        for (i, e) in events.enumerated().dropFirst(top).prefix(rows) {
            let y = area.y + 2 + i - top
            let selectedRow = focus == .ladder && i == ladderRow
            let base = selectedRow ? theme[.selectedFocused] : theme[.normal]
            if selectedRow { b.fill(Rect(x: area.x, y: y, width: area.width, height: 1), style: base) }
            b.write(Self.sinceFirst(e.time), x: area.x, y: y, style: base, limit: 10)
            guard rightLine - left >= 6 else { continue }
            b.set(left, y, lines.vertical, base)
            b.set(rightLine, y, lines.vertical, base)
            let span = rightLine - left - 1
            switch e.way {
            case .right, .left:
                let style = selectedRow ? base : theme[e.way == .right ? .ladderSent : .ladderReceived]
                for x in (left + 1)..<rightLine { b.set(x, y, lines.horizontal, style) }
                if e.way == .right {
                    b.set(rightLine - 1, y, lines.arrowRight, style)
                    b.write(e.label, x: left + 2, y: y, style: style, limit: span - 3)
                } else {
                    b.set(left + 1, y, lines.arrowLeft, style)
                    let width = min(TextWidth.of(e.label), span - 3)
                    b.write(e.label, x: rightLine - 1 - width, y: y, style: style, limit: width)
                }
            case .note:
                b.write("\(e.what): \(e.note ?? "")", x: left + 2, y: y, style: selectedRow ? base : theme[ladder.statusRole],
                        limit: span - 2)
            }
        }
    }

    /// The ladder row under the cursor, for Enter (jump to its packet) and the explanation line.
    var selectedLadderEvent: Ladder.Row? {
        guard let rows = ladder?.rows, !rows.isEmpty else { return nil }
        return rows[max(0, min(ladderRow, rows.count - 1))]
    }
}

extension Monitor {
    /// A row's time since the connection's first packet: milliseconds under a second (a round
    /// trip), seconds after (retransmissions 1, 3, 7 s later read as such).
    static func sinceFirst(_ microseconds: Int64) -> String {
        abs(microseconds) < 1_000_000 ? formatFixed(microseconds, divisor: 1_000) + "ms"
            : formatFixed(microseconds, divisor: 1_000_000) + "s"
    }
}
