#if canImport(Glibc)
import Glibc
#endif
import Analysis
import Capture
import Screen
import Wire

/// Follow stream (`f`), as Wireshark's Follow TCP/UDP Stream: one conversation's payload in
/// order, each direction in its colour, ASCII or hex, retransmitted bytes once, holes marked.
/// Made when opened, from the packets stored then.
struct FollowView {
    enum Shown: CaseIterable {
        case both, fromA, fromB
    }

    let conversation: StreamIndex.Conversation
    let payload: StreamPayload
    var hex = false
    var shown = Shown.both
    var top = 0
    /// Lines made for a width and mode, kept until either changes.
    private var cached: (width: Int, hex: Bool, shown: Shown, lines: [(String, Role)])?

    init(conversation: StreamIndex.Conversation, payload: StreamPayload) {
        self.conversation = conversation
        self.payload = payload
    }

    var title: String {
        let c = conversation
        let kind = c.isTCP ? "TCP" : "UDP"
        let ways: String = switch shown {
        case .both: "both ways"
        case .fromA: "A to B only"
        case .fromB: "B to A only"
        }
        return "Follow \(kind) stream \(c.stream): A \(c.a) ⇄ B \(c.b), \(payload.byteCount.fromFirst) bytes A→B, "
            + "\(payload.byteCount.toFirst) bytes B→A (\(ways))"
    }

    static let keys = "x hex/ASCII  Tab both/A→B/B→A  w save  j k PgUp PgDn g G scroll  Esc back"

    func includes(_ d: StreamPayload.Direction) -> Bool {
        switch shown {
        case .both: return true
        case .fromA: return d == .fromFirst
        case .fromB: return d == .toFirst
        }
    }

    /// The bytes shown, in the order they came (what `w` saves).
    var shownBytes: Bytes {
        payload.chunks.filter { includes($0.direction) }.flatMap(\.bytes)
    }

    mutating func lines(width: Int) -> [(String, Role)] {
        if let c = cached, c.width == width, c.hex == hex, c.shown == shown { return c.lines }
        var out: [(String, Role)] = []
        var offsets = (a: 0, b: 0)
        for chunk in payload.chunks where includes(chunk.direction) {
            let role: Role = chunk.direction == .fromFirst ? .ladderSent : .ladderReceived
            if chunk.missing > 0 {
                out.append(("[\(chunk.missing) bytes missing in capture]", .stateFailed))
                continue
            }
            if hex {
                let start = chunk.direction == .fromFirst ? offsets.a : offsets.b
                out += Self.hexLines(chunk.bytes, from: start, indented: chunk.direction == .toFirst).map { ($0, role) }
                if chunk.direction == .fromFirst { offsets.a += chunk.bytes.count } else { offsets.b += chunk.bytes.count }
            } else {
                out += Self.textLines(chunk.bytes, width: max(1, width)).map { ($0, role) }
            }
        }
        cached = (width, hex, shown, out)
        return out
    }

    /// Bytes as text: a line per line of the payload (CR LF or LF), wrapped at the width;
    /// what is not printable ASCII shows as '.', as Wireshark's ASCII view does.
    static func textLines(_ bytes: Bytes, width: Int) -> [String] {
        var lines: [String] = []
        var line: [UInt8] = []
        func flush() {
            var rest = line[...]
            repeat {
                lines.append(String(decoding: rest.prefix(width), as: UTF8.self))
                rest = rest.dropFirst(width)
            } while !rest.isEmpty
            line.removeAll(keepingCapacity: true)
        }
        for (i, byte) in bytes.enumerated() {
            switch byte {
            case 10: flush()
            case 13 where i + 1 < bytes.count && bytes[i + 1] == 10: break
            case 9: line.append(32)
            case 32...126: line.append(byte)
            default: line.append(46)
            }
        }
        if !line.isEmpty { flush() }
        return lines
    }

    /// Bytes as hex rows of 16 with their offset in the direction's bytes and the ASCII beside;
    /// B's rows indented, as Wireshark's hex view sets the two sides apart.
    static func hexLines(_ bytes: Bytes, from start: Int, indented: Bool) -> [String] {
        var lines: [String] = []
        var at = 0
        while at < bytes.count {
            let row = bytes[at..<min(bytes.count, at + 16)]
            var text = indented ? "    " : ""
            let offset = String(start + at, radix: 16)
            text += String(repeating: "0", count: max(0, 8 - offset.count)) + offset + "  "
            for (k, byte) in row.enumerated() {
                let h = String(byte, radix: 16)
                text += (h.count == 1 ? "0" : "") + h + (k == 7 ? "  " : " ")
            }
            text += String(repeating: "   ", count: 16 - row.count) + (row.count <= 8 ? " " : "") + " "
            text += String(decoding: row.map { (32...126).contains($0) ? $0 : 46 }, as: UTF8.self)
            lines.append(text)
            at += 16
        }
        return lines
    }
}

extension Monitor {
    /// `f`: follows the selected packet's conversation.
    func openFollow() {
        guard let n = selected else { return say("select a TCP or UDP packet to follow its stream", error: true) }
        streams.catchUp(store, oldest: oldest, budget: nil)
        guard let c = streams.conversation(ofPacket: n) else {
            return say("packet \(n) is not TCP or UDP: there is no stream to follow", error: true)
        }
        openFollow(conversation: c)
    }

    func openFollow(conversation c: Int) {
        var payload = StreamPayload()
        let numbers = streams.packetNumbers(of: c, oldest: oldest)
        if let first = numbers.first, let last = numbers.last {
            var batch = PacketStore.Batch()
            var wanted = numbers[...]
            // The conversation's span read in batches; only its own packets are taken apart.
            var at = first
            while at <= last {
                let end = min(last, at + 4095)
                store.copy(numbered: at...end, into: &batch)
                var number = batch.firstNumber
                batch.forEach { bytes, _, _, _ in
                    if number == wanted.first {
                        payload.add(Array(bytes), linkType: linkType, number: number)
                        wanted.removeFirst()
                    }
                    number += 1
                }
                at = end + 1
            }
        }
        payload.finish()
        following = FollowView(conversation: streams.conversations[c], payload: payload)
    }

    func handleFollowKey(_ key: Key) {
        guard var view = following else { return }
        let page = max(1, (lastPaneAreas[.list]?.height ?? 20) - 2)
        switch key {
        case .escape, .character("q"), .character("f"):
            following = nil
            return
        case .character("x"): view.hex.toggle(); view.top = 0
        case .tab:
            let all = FollowView.Shown.allCases
            view.shown = all[(all.firstIndex(of: view.shown)! + 1) % all.count]
            view.top = 0
        case .character("w"): prompt = Prompt(kind: .savePayload, text: "stream.bin")
        case .character("j"), .down: view.top += 1
        case .character("k"), .up: view.top = max(0, view.top - 1)
        case .pageDown, .character(" "): view.top += page
        case .pageUp: view.top = max(0, view.top - page)
        case .character("g"), .home: view.top = 0
        case .character("G"), .end: view.top = Int.max / 2
        default: break
        }
        following = view
    }

    /// Writes the bytes the Follow view shows to `path`, raw, as Wireshark's "Save as… Raw".
    func savePayload(to path: String) {
        guard let view = following else { return }
        if let refusal = writeRefusal(path) { return say(refusal, error: true) }
        let bytes = view.shownBytes
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return say("\(path): \(String(cString: strerror(errno)))", error: true) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written == bytes.count {
            say("wrote \(bytes.count) bytes of the stream to \(path)")
        } else {
            say("\(path): only \(max(0, written)) of \(bytes.count) bytes written", error: true)
        }
    }

    func drawFollow(into b: inout Buffer, area: Rect) {
        guard var view = following else { return }
        b.fill(area, style: theme[.normal])
        b.box(area, title: view.title, style: theme[.borderFocused], titleStyle: theme[.paneTitleFocused], lines: lines)
        let inside = area.inset(1)
        guard inside.height > 1 else { return }
        let text = view.lines(width: inside.width)
        let rows = inside.height - 1
        view.top = max(0, min(view.top, text.count - rows))
        if text.isEmpty {
            b.write("no payload in this conversation (yet)", x: inside.x, y: inside.y, style: theme[.explanation], limit: inside.width)
        }
        for (i, (line, role)) in text.dropFirst(view.top).prefix(rows).enumerated() {
            b.write(line, x: inside.x, y: inside.y + i, style: theme[role], limit: inside.width)
        }
        b.write(FollowView.keys, x: inside.x, y: inside.maxY - 1, style: theme[.footer], limit: inside.width)
        following = view
    }
}
