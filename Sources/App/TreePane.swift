import Analysis
import Capture
import Screen
import Wire

/// One visible row of the header tree: a layer heading or a field, with its depth, whether it
/// can fold, and the byte ranges the hex pane marks when it is selected.
struct TreeRow {
    var text: String
    var depth: Int
    /// Layer name or field name: what folding remembers.
    var key: String
    var isLayer: Bool
    var canFold: Bool
    var isFolded: Bool
    var range: Range<Int>
    var layerRange: Range<Int>
    var explanation: String
    var isError = false
}

extension Monitor {
    /// The rows of the selected packet's tree as folding leaves them. The tree, the hex pane and
    /// the explanation line all ask each frame: they are made once per packet and folding.
    /// In a cooked capture, made again while packets that may be its other copy across NAT
    /// (`natRows`) still arrive: the lab's outside copy of a packet comes a few milliseconds
    /// after the tun's.
    func treeRows() -> [TreeRow] {
        guard let n = selected else { return [] }
        let horizon = linkType == .linuxSLL2 ? min(store.newestNumber, n + Self.natNeighbours) : 0
        if let cached = cachedTreeRows, cached.number == n, cached.horizon == horizon, cached.folded == foldedLayers,
           cached.unfolded == unfoldedFields {
            return cached.rows
        }
        let rows = makeTreeRows()
        cachedTreeRows = (n, horizon, foldedLayers, unfoldedFields, rows)
        return rows
    }

    private func makeTreeRows() -> [TreeRow] {
        guard let (p, d) = selectedPacket else { return [] }
        let bytes = p.packet.bytes
        var rows: [TreeRow] = []
        let frame = FrameInfo(number: p.number, seconds: p.packet.seconds, microseconds: p.packet.microseconds,
                              originalLength: p.packet.originalLength).layer(capturedLength: bytes.count)
        if let drop = kernelVerdicts?.verdict(ofPacket: p.number) {
            rows.append(TreeRow(text: "Kernel verdict: dropped, \(drop.verdict)", depth: 0, key: "_verdict", isLayer: true,
                                canFold: false, isFolded: false, range: 0..<0, layerRange: 0..<bytes.count,
                                explanation: "The kernel dropped this packet (eBPF on skb:kfree_skb)\(drop.device.isEmpty ? "" : " on \(drop.device)"): \(drop.explanation ?? drop.reason).",
                                isError: true))
        }
        for layer in [frame] + d.layers {
            let folded = foldedLayers.contains(layer.name) || (layer.name == "frame" && !unfoldedFields.contains("frame"))
            rows.append(TreeRow(text: layer.title, depth: 0, key: layer.name, isLayer: true, canFold: !layer.fields.isEmpty,
                                isFolded: folded, range: layer.range, layerRange: layer.range,
                                explanation: Self.layerExplanation(layer.name)))
            if layer.name == "frame" { rows += natRows(p) }
            guard !folded else { continue }
            // Fields come in tree order with their levels: a folded field hides those deeper than it after it.
            var hiddenBelow = Int.max
            for (i, f) in layer.fields.enumerated() {
                if Int(f.level) > hiddenBelow || f.isHidden { continue }
                hiddenBelow = Int.max
                let name = f.name.description
                let fieldFolded = !unfoldedFields.contains(name)
                let hasChildren = i + 1 < layer.fields.count && layer.fields[i + 1].level > f.level
                rows.append(TreeRow(text: TreeFormatter.fieldText(f, in: layer, bytes: bytes), depth: Int(f.level) + 1, key: name,
                                    isLayer: false, canFold: hasChildren, isFolded: fieldFolded, range: f.range,
                                    layerRange: layer.range, explanation: "\(name): \(layer.string(f.explanation))"))
                if fieldFolded && hasChildren { hiddenBelow = Int(f.level) }
            }
        }
        if d.cutByCapture {
            rows.append(TreeRow(text: "[Packet size limited during capture: \(bytes.count) of \(p.packet.originalLength) bytes kept]",
                                depth: 0, key: "_cut", isLayer: true, canFold: false, isFolded: false, range: bytes.count..<bytes.count,
                                layerRange: 0..<bytes.count, explanation: "The capture kept only the first bytes of this packet (a snap length)."))
        }
        if let m = d.malformed {
            rows.append(TreeRow(text: "[Malformed Packet: \(m.message)]", depth: 0, key: "_malformed", isLayer: true, canFold: false,
                                isFolded: false, range: m.range, layerRange: m.range,
                                explanation: "Decoding stopped here; everything above decoded.", isError: true))
        }
        return rows
    }

    /// How far around the selected packet the NAT node looks for its other copy, each way.
    static let natNeighbours = 64

    /// When the selected packet crossed NAT and its other copy was captured on another interface
    /// (the lab watches its outside interface beside the tun): a node naming that copy, and one
    /// row for each field that changed between the two, marking the field in this packet.
    func natRows(_ p: StoredPacket) -> [TreeRow] {
        guard linkType == .linuxSLL2 else { return [] }
        let near = store.packets(numbered: max(1, p.number - Self.natNeighbours)...(p.number + Self.natNeighbours))
        func candidate(_ q: StoredPacket) -> NATCandidate {
            NATCandidate(number: q.number, bytes: q.packet.bytes, linkType: linkType,
                         time: Int64(q.packet.seconds) * 1_000_000 + Int64(q.packet.microseconds))
        }
        guard let nat = NATMatcher.rewrite(of: candidate(p), among: near.map(candidate)), !nat.changes.isEmpty else { return [] }
        let name = interfaceNames[nat.counterpartInterface] ?? "#\(nat.counterpartInterface)"
        let title = nat.isRewritten ? "[NAT rewrote this packet: it is packet \(nat.counterpart) on \(name)]"
            : "[NAT rewrote this packet into packet \(nat.counterpart) on \(name)]"
        let which = nat.rewroteSource ? "source (masquerading on the way out)" : "destination (the answer coming back through NAT)"
        let span = nat.changes.map(\.range.lowerBound).min()!..<nat.changes.map(\.range.upperBound).max()!
        let folded = foldedLayers.contains("_nat")
        var rows = [TreeRow(text: title, depth: 0, key: "_nat", isLayer: true, canFold: true, isFolded: folded, range: span,
                            layerRange: span, explanation: """
                                The same packet was captured on \(name) \(nat.isRewritten ? "before" : "after") NAT, matched by what NAT \
                                keeps (IP ID, sequence numbers, payload, the other end): NAT rewrote its \(which).
                                """)]
        guard !folded else { return rows }
        for c in nat.changes {
            rows.append(TreeRow(text: c.description, depth: 1, key: "_nat." + c.name, isLayer: false, canFold: false, isFolded: false,
                                range: c.range, layerRange: span, explanation: "\(c.name): " + Self.natExplanation(c.name)))
        }
        return rows
    }

    static func natExplanation(_ name: String) -> String {
        switch name {
        case "ip.src", "ip.dst": return "NAT put another address here (MASQUERADE: the router's outside address), and back for answers."
        case "ip.ttl": return "Not NAT's doing: the router took one off as it forwarded the packet."
        case let n where n.hasSuffix("checksum"): return "Computed again, since fields it covers changed."
        default: return "NAT chose another port (or echo identifier) to keep this connection apart from others it maps."
        }
    }

    static func layerExplanation(_ name: String) -> String {
        switch name {
        case "frame": return "What the capture knows about the packet: when, how long, which link."
        case "eth": return "Ethernet II: which card on the local link sent it and which should take it."
        case "vlan": return "802.1Q tag: which virtual LAN the frame belongs to."
        case "arp": return "ARP: asking and telling which Ethernet address has an IPv4 address."
        case "ip": return "IPv4: carries the packet from its source host to its destination host."
        case "ipv6": return "IPv6: carries the packet from its source host to its destination host."
        case "tcp": return "TCP: a reliable, ordered byte stream between two ports; SYN, ACK and FIN set it up and close it."
        case "udp": return "UDP: single datagrams between two ports, no connection, no delivery guarantee."
        case "icmp": return "ICMP: the network's own messages: echo (ping), unreachable, time exceeded."
        case "icmpv6": return "ICMPv6: IPv6's messages: echo, errors, and neighbour discovery."
        case "dns": return "DNS: a question about a name, and the records that answer it."
        case "http": return "HTTP: a request or a response's first line."
        default: return "Bytes tunscope decodes no further."
        }
    }

    func drawTree(into b: inout Buffer, area: Rect) {
        let rows = treeRows()
        guard !rows.isEmpty else {
            b.write("no packet selected", x: area.x + 1, y: area.y, style: theme[.normal], limit: area.width - 1)
            return
        }
        treeRow = max(0, min(treeRow, rows.count - 1))
        if treeRow < treeTop { treeTop = treeRow }
        if treeRow >= treeTop + area.height { treeTop = treeRow - area.height + 1 }
        treeTop = max(0, min(treeTop, max(0, rows.count - area.height)))
        for (i, row) in rows.enumerated().dropFirst(treeTop).prefix(area.height) {
            let y = area.y + i - treeTop
            var style = theme[row.isError ? .treeError : (row.isLayer ? .treeLayer : .treeField)]
            if i == treeRow {
                style = theme[focus == .tree ? .selectedFocused : .selectedUnfocused]
                b.fill(area.row(i - treeTop), style: style)
            }
            let marker = row.canFold ? (row.isFolded ? "+ " : "- ") : "  "
            let indent = String(repeating: "  ", count: row.depth)
            b.write(indent + marker + row.text, x: area.x, y: y, style: style, limit: area.width)
        }
    }

    /// The tree row under the cursor (what the hex pane and the explanation line show).
    var selectedTreeRow: TreeRow? {
        let rows = treeRows()
        guard !rows.isEmpty else { return nil }
        return rows[max(0, min(treeRow, rows.count - 1))]
    }

    /// Enter on a tree row: fold or unfold it.
    func toggleTreeRow() {
        guard let row = selectedTreeRow, row.canFold else { return }
        if row.isLayer && row.key != "frame" {
            if foldedLayers.contains(row.key) { foldedLayers.remove(row.key) } else { foldedLayers.insert(row.key) }
        } else {
            if unfoldedFields.contains(row.key) { unfoldedFields.remove(row.key) } else { unfoldedFields.insert(row.key) }
        }
    }
}
