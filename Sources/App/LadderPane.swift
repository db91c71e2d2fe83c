import Probe
import Screen
import Wire

extension Monitor {
    /// The connection the ladder shows: the one the selected packet belongs to, else the newest.
    func ladderConnection(_ prober: Prober) -> Int? {
        guard !prober.connections.isEmpty else { return nil }
        if let s = selected, let i = prober.connections.lastIndex(where: { c in c.timeline.contains { $0.packetNumber == s } }) {
            return i
        }
        return prober.connections.count - 1
    }

    func stateRole(_ c: TCPProbe) -> Role {
        switch c.state {
        case .synSent, .halfOpen, .idle: return .statePending
        case .refused, .unreachable, .timeout: return .stateFailed
        default: return c.outcome?.isSuccess == true ? .stateOpen : .normal
        }
    }

    /// A ladder diagram of the connection: tunscope on the left, the peer on the right, one
    /// arrow per segment with its relative numbers and time since the first SYN.
    func drawLadder(into b: inout Buffer, area: Rect) {
        guard let prober, let index = ladderConnection(prober) else {
            let hint = whyNoSending ??
                (target.map { "press s to send a SYN to \(endpoint($0.address, $0.port))" } ?? "press t to set a target, then s")
            b.write(hint, x: area.x + 1, y: area.y, style: theme[.normal], limit: area.width - 1)
            return
        }
        let c = prober.connections[index]
        let config = c.config
        let right = endpoint(config.destination, config.destinationPort)
        // The peer keeps its place on the right; the left side gives way when both do not fit.
        let rightWidth = min(TextWidth.of(right), area.width)
        b.write("tunscope \(endpoint(config.source, config.sourcePort))", x: area.x, y: area.y, style: theme[.treeLayer],
                limit: max(0, area.width - rightWidth - 1))
        b.write(right, x: area.maxX - rightWidth, y: area.y, style: theme[.treeLayer], limit: rightWidth)
        var status = c.outcome.map { $0.description } ?? c.state.rawValue
        if c.state.rawValue != status { status += " (now \(c.state.rawValue))" }
        if let rtt = c.rtt { status += "  rtt \(formatDuration(rtt))" }
        if let wire = c.commandToWire { status += "  SYN out \(formatDuration(wire)) after the key" }
        b.write(status, x: area.x, y: area.y + 1, style: theme[stateRole(c)], limit: area.width)
        let events = c.timeline
        let rows = area.height - 2
        guard rows > 0, !events.isEmpty else { return }
        ladderRow = max(0, min(ladderRow, events.count - 1))
        let top = max(0, min(ladderRow - rows / 2, events.count - rows))
        let left = area.x + 11, rightLine = area.maxX - 2
        let start = events.first?.time ?? 0
        for (i, e) in events.enumerated().dropFirst(top).prefix(rows) {
            let y = area.y + 2 + i - top
            let selectedRow = focus == .ladder && i == ladderRow
            let base = selectedRow ? theme[.selectedFocused] : theme[.normal]
            if selectedRow { b.fill(Rect(x: area.x, y: y, width: area.width, height: 1), style: base) }
            b.write(formatFixed(e.time - start, divisor: 1_000), x: area.x, y: y, style: base, limit: 10)
            guard rightLine - left >= 6 else { continue }
            b.set(left, y, lines.vertical, base)
            b.set(rightLine, y, lines.vertical, base)
            var label = e.what
            if let s = e.relativeSeq { label += " seq=\(s)" }
            if let a = e.relativeAck { label += " ack=\(a)" }
            if e.payloadLength > 0 { label += " len=\(e.payloadLength)" }
            let span = rightLine - left - 1
            switch e.way {
            case .sent, .received:
                let style = selectedRow ? base : theme[e.way == .sent ? .ladderSent : .ladderReceived]
                for x in (left + 1)..<rightLine { b.set(x, y, lines.horizontal, style) }
                if e.way == .sent {
                    b.set(rightLine - 1, y, lines.arrowRight, style)
                    b.write(label, x: left + 2, y: y, style: style, limit: span - 3)
                } else {
                    b.set(left + 1, y, lines.arrowLeft, style)
                    let width = min(TextWidth.of(label), span - 3)
                    b.write(label, x: rightLine - 1 - width, y: y, style: style, limit: width)
                }
            case .note:
                b.write("\(e.what): \(e.note ?? "")", x: left + 2, y: y, style: selectedRow ? base : theme[stateRole(c)],
                        limit: span - 2)
            }
        }
    }

    /// The ladder event under the cursor, for Enter (jump to its packet) and the explanation line.
    var selectedLadderEvent: TimelineEvent? {
        guard let prober, let i = ladderConnection(prober) else { return nil }
        let events = prober.connections[i].timeline
        return events.isEmpty ? nil : events[max(0, min(ladderRow, events.count - 1))]
    }
}
