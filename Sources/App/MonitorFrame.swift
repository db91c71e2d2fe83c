import Probe
import Screen
import Wire

extension Monitor {
    /// The smallest terminal the layout fits.
    public static let minimumSize = (width: 60, height: 16)

    /// The whole screen for a terminal of `width` x `height` cells.
    public func render(width: Int, height: Int) -> Buffer {
        var b = Buffer(width: width, height: height, style: theme[.normal])
        guard width >= Self.minimumSize.width && height >= Self.minimumSize.height else {
            drawTooSmall(into: &b)
            return b
        }
        let parts = b.area.split(.vertical, [.length(1), .fill(1), .length(1), .length(1)])
        drawStatusBar(into: &b, area: parts[0])
        drawPanes(into: &b, area: parts[1])
        drawBottomLine(into: &b, area: parts[2])
        drawFooter(into: &b, area: parts[3])
        if let _ = following { drawFollow(into: &b, area: parts[1]) }
        if conversationsView != nil { drawConversations(into: &b, area: parts[1]) }
        if showHelp { drawHelp(into: &b, area: parts[1]) }
        return b
    }

    /// Where each pane goes: the list on top; the tree beside the bytes and the handshake below.
    func paneAreas(_ area: Rect) -> [Pane: Rect] {
        if zoomed { return [focus: area] }
        let rows = area.split(.vertical, [.fill(2), .fill(3)])
        let bottom = rows[1].split(.horizontal, [.fill(1), .fill(1)])
        let right = bottom[1].split(.vertical, [.fill(1), .fill(1)])
        return [.list: rows[0], .tree: bottom[0], .hex: right[0], .ladder: right[1]]
    }

    func drawPanes(into b: inout Buffer, area: Rect) {
        lastPaneAreas = paneAreas(area)
        for (pane, rect) in lastPaneAreas {
            let focused = pane == focus
            b.box(rect, title: pane.title + (focused && zoomed ? " (zoomed: z)" : ""),
                  style: theme[focused ? .borderFocused : .border], titleStyle: theme[focused ? .paneTitleFocused : .paneTitle],
                  lines: lines)
            let inside = rect.inset(1)
            guard !inside.isEmpty else { continue }
            switch pane {
            case .list: drawList(into: &b, area: inside)
            case .tree: drawTree(into: &b, area: inside)
            case .hex: drawHex(into: &b, area: inside)
            case .ladder: drawLadder(into: &b, area: inside)
            }
        }
    }

    func drawStatusBar(into b: inout Buffer, area: Rect) {
        let style = theme[.statusBar]
        b.fill(area, style: style)
        var parts = ["tunscope", watched?.title ?? sourceName]
        if let me = ownAddress, let kernel = kernelAddress { parts.append("\(me) \(lines.arrowLeft)\(lines.arrowRight) \(kernel)") }
        if let t = target { parts.append("target \(endpoint(t.address, t.port))") }
        let counts = store.counts
        parts.append("\(counts.stored) pkts")
        if host != nil || stream != nil { parts.append("\(Int(packetsPerSecond.rounded()))/s") }
        if counts.evicted > 0 { parts.append("evicted \(counts.evicted)") }
        if let dropped = kernelDropped, dropped > 0 { parts.append("dropped \(dropped)") }
        let live = capture.map { $0.isRunning ? "LIVE" : "STOPPED" } ?? stream?.label ?? "FILE"
        parts.append(loading ? "LOADING" : (pausedAt != nil ? "PAUSED" : live))
        if let f = filter {
            let done = newestShown - oldest + 1 > 0 ? (filteredUpTo - oldest + 1) * 100 / (newestShown - oldest + 1) : 100
            parts.append("filter: \(f.expression)" + (isFiltering ? " (applying: \(max(0, done))%)" : ""))
        }
        // Last, and only once there are some: the state (LIVE) and the filter matter more.
        if let v = kernelVerdicts, v.reported > 0 {
            // How many packets the kernel threw away, and drops it could not tell (ring full).
            let lost = v.undelivered.map { $0 > 0 ? ", \($0) untold" : "" } ?? ""
            parts.append("kernel drops \(v.reported)\(lost)" + (v.unmatched > 0 ? ", \(v.unmatched) unmatched" : ""))
        }
        if let problem = setUpProblem { parts.append("set-up: " + problem.prefix { $0 != ":" }) }
        b.write(parts.joined(separator: "  "), x: area.x + 1, y: area.y, style: style, limit: area.width - 1)
    }

    /// The prompt while one is open; else a message; else the explanation of what is selected.
    func drawBottomLine(into b: inout Buffer, area: Rect) {
        if let prompt {
            let check = promptCheck(prompt)
            let style = theme[check == nil ? .promptValid : .promptInvalid]
            b.fill(area, style: style)
            let head = "\(prompt.label): "
            var x = b.write(head, x: area.x, y: area.y, style: style, limit: area.width)
            // A text longer than the line shows its end, as a shell's line does, keeping room for
            // the cursor and (up to half the line) for what is wrong with it.
            let checkRoom = check.map { min(TextWidth.of($0) + 2, (area.maxX - x) / 2) } ?? 0
            let text = TextWidth.tail(of: prompt.text, fitting: max(0, area.maxX - x - 1 - checkRoom))
            x = b.write(String(text), x: x, y: area.y, style: style, limit: area.maxX - x)
            b.set(x, area.y, "_", style)
            if let check, checkRoom > 2 {
                b.write(check, x: x + 2, y: area.y, style: style, limit: area.maxX - x - 2)
            }
            return
        }
        if let message {
            b.write(message.text, x: area.x, y: area.y, style: theme[message.isError ? .promptInvalid : .explanation], limit: area.width)
            return
        }
        let text: String?
        switch focus {
        case .ladder: text = selectedLadderEvent.map { e in [e.what, e.note].compactMap { $0 }.joined(separator: ": ") }
        default: text = selectedTreeRow?.explanation
        }
        if let text { b.write(text, x: area.x, y: area.y, style: theme[.explanation], limit: area.width) }
    }

    func drawFooter(into b: inout Buffer, area: Rect) {
        b.fill(area, style: theme[.footer])
        let keys: [(String, String)] = [("s", "SYN"), ("t", "target"), ("p", "ping"), ("r", "resend"), ("e", "edit"),
                                        ("/", "filter"), ("w", "write"), ("space", "pause"), ("Tab", "pane"), ("z", "zoom"),
                                        ("?", "help"), ("q", "quit")]
        var x = area.x
        for (key, action) in keys {
            guard x + key.count + action.count + 2 <= area.maxX else { break }
            x = b.write(key, x: x, y: area.y, style: theme[.footerKey])
            x = b.write(" \(action)  ", x: x, y: area.y, style: theme[.footer])
        }
    }

    /// The keys, in pairs: two columns side by side when the terminal is wide enough, one after
    /// the other when it is not.
    static let helpKeys: [(String, String)] = [
        ("s", "send a SYN to the target"), ("t", "set the target (HOST:PORT)"),
        ("p", "ping the target"), ("r", "resend the selected packet"),
        ("d", "type data to send on the connection"), ("H", "send an HTTP GET on it"),
        ("F", "close it (FIN)"), ("R", "reset it"),
        ("f", "follow the packet's stream"), ("C", "conversations"),
        ("S", "TCP numbers relative / absolute"), ("x", "(Follow) hex or ASCII"),
        ("e", "edit fields, then send"), ("/", "filter: Wireshark's, or bpf: BPF"),
        ("w", "write the packets shown to a file"), ("W", "write every packet to a file"),
        ("space", "pause / resume the list"), ("c", "clear the list"),
        ("Tab S-Tab", "next / previous pane"), ("z", "zoom the pane"),
        ("j k", "down / up"), ("g G", "first / last (G follows)"),
        ("PgUp PgDn", "a page"), ("Home End", "first / last"),
        ("Enter", "fold/unfold (tree), go to the packet"), ("T", "time: relative, absolute, delta"),
        ("Ctrl-L", "redraw"), ("Ctrl-Z", "suspend (fg resumes)"),
        ("?", "this help"), ("q", "quit"),
    ]

    /// The help's lines for a box `width` cells wide inside.
    static func helpLines(width: Int) -> [String] {
        func entry(_ key: String, _ what: String) -> String {
            "  " + key + String(repeating: " ", count: max(1, 11 - key.count)) + what
        }
        let columnWidth = helpKeys.map { TextWidth.of(entry($0.0, $0.1)) }.max() ?? 0
        let pairs = stride(from: 0, to: helpKeys.count, by: 2).map { i in
            let left = entry(helpKeys[i].0, helpKeys[i].1)
            let right = i + 1 < helpKeys.count ? entry(helpKeys[i + 1].0, helpKeys[i + 1].1) : ""
            return left + String(repeating: " ", count: columnWidth + 2 - TextWidth.of(left)) + right
        }
        let keys = pairs.allSatisfy({ TextWidth.of($0) <= width }) ? pairs : helpKeys.map { entry($0.0, $0.1) }
        return ["Keys (vim keys and arrows both)", ""] + keys
            + ["", "Mouse: click selects a row and its pane; the wheel scrolls.",
               "j k PgUp PgDn scroll this help; any other key closes it."]
    }

    func drawHelp(into b: inout Buffer, area: Rect) {
        let widest = Self.helpLines(width: .max).map { TextWidth.of($0) }.max() ?? 0
        let width = min(area.width - 2, widest + 4)
        let text = Self.helpLines(width: width - 4)
        let height = min(area.height - 2, text.count + 2)
        let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width: width, height: height)
        b.fill(box, style: theme[.help])
        // What does not fit is scrolled to; the title says there is more.
        let rows = height - 2
        helpTop = max(0, min(helpTop, text.count - rows))
        let more = text.count > rows ? " (\(helpTop + rows < text.count ? "more below: j" : "k: back up"))" : ""
        b.box(box, title: "Help" + more, style: theme[.help], titleStyle: theme[.paneTitleFocused], lines: lines)
        for (i, line) in text.dropFirst(helpTop).prefix(rows).enumerated() {
            b.write(line, x: box.x + 2, y: box.y + 1 + i, style: theme[.help], limit: width - 4)
        }
    }

    func drawTooSmall(into b: inout Buffer) {
        let text = "tunscope needs at least \(Self.minimumSize.width)x\(Self.minimumSize.height) " +
            "(this is \(b.width)x\(b.height)): make it bigger, or q"
        // Wrapped at spaces, so a narrow terminal still gets every word.
        var lines: [String] = []
        for word in text.split(separator: " ") {
            if let last = lines.last, last.count + 1 + word.count <= b.width {
                lines[lines.count - 1] += " " + word
            } else {
                lines.append(String(word))
            }
        }
        for (i, line) in lines.enumerated() where i < b.height {
            b.write(line, x: 0, y: i, style: theme[.normal], limit: b.width)
        }
    }
}
