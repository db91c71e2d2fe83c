import Analysis
import Capture
import Probe
import Screen

/// Conversations (`C`), as Wireshark's Statistics > Conversations: one row per TCP or UDP
/// conversation with its packets and bytes each way, start, duration and state; sorted by any
/// column; Enter shows only its packets, `f` follows it.
struct ConversationsView {
    struct Column: Sendable {
        let title: String
        let width: Int
        let rightAligned: Bool
        let text: @Sendable (StreamIndex.Conversation, Int64) -> String
        /// What the column sorts by: a number for most (sorted as plain integers, fast for a
        /// million rows), else the text.
        let key: (@Sendable (StreamIndex.Conversation) -> Int64)?
    }

    /// Start (first packet) ascending: the order conversations are found in, nothing to sort.
    var sortColumn = 10
    var descending = false
    var row = 0
    var top = 0
    /// Conversation indices in the order shown, made again when the sort or the count changes,
    /// and at most once a second otherwise (counts change with every packet).
    var order: [Int] = []
    var sortedAt = (count: -1, time: 0.0)

    static func number(_ title: String, _ width: Int, _ value: @escaping @Sendable (StreamIndex.Conversation) -> Int) -> Column {
        Column(title: title, width: width, rightAligned: true, text: { c, _ in "\(value(c))" }, key: { Int64(value($0)) })
    }

    static let columns: [Column] = [
        Column(title: "Stream", width: 7, rightAligned: true, text: { c, _ in "\(c.stream)" },
               key: { Int64($0.isTCP ? 0 : 1) << 32 | Int64($0.stream) }),
        Column(title: "Proto", width: 5, rightAligned: false, text: { c, _ in c.isTCP ? "TCP" : "UDP" }, key: { $0.isTCP ? 0 : 1 }),
        Column(title: "A", width: 22, rightAligned: false, text: { c, _ in c.a.description }, key: nil),
        Column(title: "B", width: 22, rightAligned: false, text: { c, _ in c.b.description }, key: nil),
        number("Packets", 8) { $0.packets },
        number("Bytes", 9) { $0.bytes },
        number("Pkts A→B", 9) { $0.packetsAB },
        number("Bytes A→B", 10) { $0.bytesAB },
        number("Pkts B→A", 9) { $0.packetsBA },
        number("Bytes B→A", 10) { $0.bytesBA },
        Column(title: "Start", width: 11, rightAligned: true, text: { c, t0 in seconds(c.start - t0) }, key: { $0.start }),
        Column(title: "Duration", width: 10, rightAligned: true, text: { c, _ in seconds(c.end - c.start) }, key: { $0.end - $0.start }),
        Column(title: "State", width: 24, rightAligned: false, text: { c, _ in c.state }, key: nil),
    ]

    static let keys = "< > sort column  r reverse  Enter show only it  f follow it  j k PgUp PgDn g G move  Esc back"

    /// Seconds with six decimals, as Wireshark's Rel Start and Duration.
    static func seconds(_ microseconds: Int64) -> String {
        let us = max(0, microseconds)
        let fraction = String(us % 1_000_000)
        return "\(us / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    mutating func sort(_ conversations: [StreamIndex.Conversation], now: Double, force: Bool = false) {
        guard force || sortedAt.count != conversations.count || now - sortedAt.time >= 1 else { return }
        let selected = order.indices.contains(row) ? order[row] : nil
        let column = Self.columns[sortColumn]
        // Ties keep the order the conversations were found in (the sort is by key, then index).
        if let key = column.key {
            var keyed = conversations.indices.map { (key(conversations[$0]), $0) }
            keyed.sort { descending ? ($0.0, $1.1) > ($1.0, $0.1) : $0 < $1 }
            order = keyed.map(\.1)
        } else {
            let texts = conversations.map { column.text($0, 0) }
            order = conversations.indices.sorted { descending ? (texts[$0], $1) > (texts[$1], $0) : (texts[$0], $0) < (texts[$1], $1) }
        }
        sortedAt = (conversations.count, now)
        // The selected conversation stays selected wherever the sort put it.
        if let selected, let at = order.firstIndex(of: selected) { row = at }
    }
}

extension Monitor {
    /// `C`: the conversations seen so far.
    func openConversations() {
        streams.catchUp(store, oldest: oldest, budget: nil)
        var view = ConversationsView()
        view.sort(streams.conversations, now: MonitorLoop.seconds(), force: true)
        if let n = selected, let c = streams.conversation(ofPacket: n), let at = view.order.firstIndex(of: c) { view.row = at }
        conversationsView = view
    }

    func handleConversationsKey(_ key: Key) {
        guard var view = conversationsView else { return }
        let page = max(1, (lastPaneAreas[.list]?.height ?? 20) - 3)
        let count = view.order.count
        switch key {
        case .escape, .character("q"), .character("C"):
            conversationsView = nil
            return
        case .character("<"): view.sortColumn = max(0, view.sortColumn - 1)
        case .character(">"): view.sortColumn = min(ConversationsView.columns.count - 1, view.sortColumn + 1)
        case .character("r"): view.descending.toggle()
        case .character("j"), .down: view.row = min(count - 1, view.row + 1)
        case .character("k"), .up: view.row = max(0, view.row - 1)
        case .pageDown: view.row = min(count - 1, view.row + page)
        case .pageUp: view.row = max(0, view.row - page)
        case .character("g"), .home: view.row = 0
        case .character("G"), .end: view.row = count - 1
        case .enter, .character("f"):
            guard view.order.indices.contains(view.row) else { return }
            let c = view.order[view.row]
            conversationsView = nil
            if key == .enter {
                let expression = streams.conversations[c].filter
                if let f = try? PacketFilter(expression, linkType: linkType) {
                    setFilter(.bpf(f))
                    say("showing conversation \(streams.conversations[c].stream) only (/ changes the filter)")
                } else {
                    say("cannot filter to it: \(expression)", error: true)
                }
            } else {
                openFollow(conversation: c)
            }
            return
        default: break
        }
        if case .character(let ch) = key, "<>r".contains(ch) {
            view.sort(streams.conversations, now: MonitorLoop.seconds(), force: true)
        }
        view.row = max(0, view.row)
        conversationsView = view
    }

    func drawConversations(into b: inout Buffer, area: Rect) {
        guard var view = conversationsView else { return }
        let conversations = streams.conversations
        view.sort(conversations, now: MonitorLoop.seconds())
        b.fill(area, style: theme[.normal])
        let indexing = streams.indexedUpTo < store.newestNumber ? " (still reading packets)" : ""
        b.box(area, title: "Conversations: \(conversations.count)\(indexing)", style: theme[.borderFocused],
              titleStyle: theme[.paneTitleFocused], lines: lines)
        let inside = area.inset(1)
        guard inside.height > 2 else { return }
        // Conversations are kept in the order their first packets came.
        let t0 = conversations.first?.start ?? 0
        func rowText(_ cells: [String]) -> String {
            zip(ConversationsView.columns, cells).map { column, cell in
                let fitted = cell.count > column.width ? String(cell.prefix(column.width - 1)) + "…" : cell
                let pad = String(repeating: " ", count: max(0, column.width - fitted.count))
                return column.rightAligned ? pad + fitted : fitted + pad
            }.joined(separator: " ")
        }
        let titles = ConversationsView.columns.enumerated().map { i, c in
            i == view.sortColumn ? c.title + (view.descending ? "▼" : "▲") : c.title
        }
        b.write(rowText(titles), x: inside.x, y: inside.y, style: theme[.listHeader], limit: inside.width)
        let rows = inside.height - 2
        view.row = max(0, min(view.row, view.order.count - 1))
        if view.row < view.top { view.top = view.row }
        if view.row >= view.top + rows { view.top = view.row - rows + 1 }
        for (i, c) in view.order.dropFirst(view.top).prefix(rows).enumerated() {
            let conversation = conversations[c]
            let text = rowText(ConversationsView.columns.map { $0.text(conversation, t0) })
            let role: Role = view.top + i == view.row ? .selectedFocused : .normal
            if role != .normal { b.fill(Rect(x: inside.x, y: inside.y + 1 + i, width: inside.width, height: 1), style: theme[role]) }
            b.write(text, x: inside.x, y: inside.y + 1 + i, style: theme[role], limit: inside.width)
        }
        b.write(ConversationsView.keys, x: inside.x, y: inside.maxY - 1, style: theme[.footer], limit: inside.width)
        conversationsView = view
    }
}
