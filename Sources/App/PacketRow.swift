import Capture
import Screen
import Wire

/// One line of the packet list, derived from the stored bytes when the row is on screen:
/// Wireshark's columns, tcpdump's summary as the Info, and the colouring rule it matches.
struct PacketRow {
    var number: Int
    var direction: Direction
    var source: String
    var destination: String
    var proto: String
    var length: Int
    var info: String
    var role: Role
    /// The interface an SLL2 packet crossed (several devices watched, `any`, a cooked file).
    var interface: String?

    /// `watching`: the packet crossed a device tunscope does not hold, so none of them is tunscope's.
    /// `marks`: what stream analysis found in the packet (a retransmission, ...), for its colour.
    init(_ p: StoredPacket, linkType: LinkType, watching: Bool = false, interfaceNames: InterfaceNames = [:],
         marks: StreamIndex.Marks = [], tcpdumpOffsets: TCPNumberOffsets? = nil) {
        number = p.number
        direction = p.direction
        length = p.packet.originalLength
        let bytes = p.packet.bytes
        let d = Dissector.dissect(bytes, linkType: linkType, wireLength: p.packet.originalLength, describing: false)
        var summary = TextWriter()
        summary.tcpdumpOffsets = tcpdumpOffsets
        Summary.write(bytes, linkType: linkType, wireLength: p.packet.originalLength, interfaceNames: interfaceNames, into: &summary)
        var line = summary.string
        if linkType == .linuxSLL2, let origin = LinuxCooked.origin(ofSLL2: bytes) {
            // The columns say where and which way: the header's word, not the store's, in a file.
            interface = interfaceNames[origin.interfaceIndex] ?? "#\(origin.interfaceIndex)"
            direction = origin.packetType.isOutgoing ? .received : .sent
            line = Self.droppingInterfaceAndDirection(line)
        }
        info = Self.info(fromSummary: line)
        source = Self.address(d, "src") ?? ""
        destination = Self.address(d, "dst") ?? ""
        let top = Self.innermost(d)
        proto = top.column
        role = Self.rule(d, innermost: top.layer, direction: watching ? .received : p.direction, marks: marks)
    }

    /// tcpdump's SLL2 line without its first two words, the interface and the direction ("tun0  In  ").
    static func droppingInterfaceAndDirection(_ line: String) -> String {
        var rest = Substring(line)
        for _ in 0..<2 {
            rest = rest.drop { $0 != " " }.drop { $0 == " " }
        }
        return String(rest)
    }

    /// tcpdump's line without what the columns already say ("IP 192.0.2.2.80 > 192.0.2.1.40000: ").
    /// The ": " looked for is the one after " > ": a source of "::" ends in a colon too.
    static func info(fromSummary line: String) -> String {
        var text = Substring(line)
        if text.hasSuffix("\n") { text = text.dropLast() }
        if text.hasPrefix("IP ") || text.hasPrefix("IP6 "), let arrow = text.firstRange(of: " > "),
           let colon = text[arrow.upperBound...].firstRange(of: ": ") {
            return String(text[colon.upperBound...])
        }
        return String(text)
    }

    static func address(_ d: Dissection, _ which: String) -> String? {
        for name in ["ip.\(which)", "ipv6.\(which)", "arp.\(which).proto_ipv4", "eth.\(which)"] {
            guard let f = d.field(name) else { continue }
            switch f.value {
            case let .ipv4(a): return a.description
            case let .ipv6(a): return a.description
            case let .mac(m): return m.description
            default: continue
            }
        }
        return nil
    }

    /// The innermost protocol, as Wireshark's Protocol column names it.
    static func protocolName(_ d: Dissection) -> String { innermost(d).column }

    /// The innermost layer a row is about: the Protocol column's name for it and the layer's
    /// name (nil when none decoded). One walk over the layers serves the column and the
    /// colouring rule. An ICMP error quotes the packet it is about, and the row is about the
    /// ICMP message, not the quoted one.
    static func innermost(_ d: Dissection) -> (column: String, layer: String?) {
        let names = ["ip": "IPv4", "ipv6": "IPv6", "tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6",
                     "dns": "DNS", "arp": "ARP", "eth": "Ethernet", "vlan": "802.1Q", "http": "HTTP", "quic": "QUIC",
                     "ntp": "NTP", "dhcp": "DHCP"]
        var innermost: String?
        for layer in d.layers where layer.name != "data" {
            // A TLS layer without a record (one continuing in a later segment) leaves the column TCP's.
            if layer.name == "tls" {
                if let version = TLS.columnName(layer) { return (version, "tls") }
                continue
            }
            innermost = layer.name
            if layer.name == "icmp" || layer.name == "icmpv6" { break }
        }
        guard let innermost else { return (d.malformed != nil ? "Malformed" : "?", nil) }
        return (names[innermost] ?? innermost.uppercased(), innermost)
    }

    /// The first colouring rule the packet matches, as Wireshark's coloring rules go in order;
    /// `innermost` is the layer the Protocol column names.
    static func rule(_ d: Dissection, innermost: String?, direction: Direction, marks: StreamIndex.Marks = []) -> Role {
        let bad = ["ip.checksum.status", "tcp.checksum.status", "udp.checksum.status", "icmp.checksum.status",
                   "icmpv6.checksum.status"].contains { d.field($0)?.value == .uint(0) }
        if bad || d.malformed != nil { return .ruleBadChecksum }
        if direction == .sent { return .ruleSent }
        // Wireshark's "Bad TCP" comes before its protocol rules.
        if marks.contains(.retransmission) { return .ruleRetransmission }
        if marks.contains(.zeroWindow) { return .ruleZeroWindow }
        if marks.contains(.duplicateAck) { return .ruleDuplicateAck }
        // Before TCP's rules: the TCP an ICMP error quotes is not this packet's (Wireshark's
        // ICMP errors rule comes before its TCP ones too).
        if innermost == "icmp" || innermost == "icmpv6" { return .ruleICMP }
        if let flags = d.field("tcp.flags"), case let .uint(v) = flags.value {
            if v & 0x004 != 0 { return .ruleRST }
            if v & 0x003 != 0 { return .ruleSYNFIN }
        }
        switch innermost {
        case "dns", "mdns", "llmnr": return .ruleDNS
        case "ntp": return .ruleNTP
        case "dhcp": return .ruleDHCP
        case "quic": return .ruleQUIC
        case "tls": return .ruleTLS
        case "http": return .ruleHTTP
        default: return d.layer("udp") != nil ? .ruleUDP : .normal
        }
    }
}

extension Monitor {
    /// Time column text for a packet, in the chosen format.
    func timeText(_ p: StoredPacket, previous: StoredPacket?, first: StoredPacket?) -> String {
        let t = Double(p.packet.seconds) + Double(p.packet.microseconds) / 1e6
        switch timeFormat {
        case .absolute:
            return TimeText.ofDay(seconds: p.packet.seconds, microseconds: p.packet.microseconds)
        case .relative:
            let t0 = first.map { Double($0.packet.seconds) + Double($0.packet.microseconds) / 1e6 } ?? t
            return TimeText.seconds(t - t0)
        case .delta:
            let tp = previous.map { Double($0.packet.seconds) + Double($0.packet.microseconds) / 1e6 } ?? t
            return TimeText.seconds(t - tp)
        }
    }

    func drawList(into b: inout Buffer, area: Rect) {
        let header = theme[.listHeader]
        let wide = area.width >= 100
        // Column widths: No., Time, dir, Source, Destination, Protocol, Length, then Info.
        // Room for IPv6 addresses when the terminal is wide enough.
        let addressWidth = area.width >= 170 ? 26 : (wide ? 17 : 15)
        // Time of day needs 15 characters and a space; seconds since the first packet fewer.
        let timeWidth = timeFormat == .absolute ? 16 : (wide ? 15 : 11)
        // Numbers take as many digits as the newest has, and a space.
        let numberWidth = max(7, String(store.newestNumber).count + 1)
        // Watching, or a cooked capture: tcpdump's In and Out (the kernel's view), and for a
        // cooked one the interface; else an arrow: to or from tunscope.
        let watching = watched != nil
        let cooked = linkType == .linuxSLL2
        let held = (capture as? LiveCapture).flatMap { $0.watched.isEmpty ? nil : $0 }
        var columns: [(String, Int)] = [("No.", numberWidth), ("Time", timeWidth), ("", watching || cooked ? 4 : 2)]
        if cooked { columns.append(("Interface", 10)) }
        columns += [("Source", addressWidth), ("Destination", addressWidth), ("Protocol", 9), ("Length", 7)]
        b.fill(area.row(0), style: header)
        var x = area.x
        for (title, width) in columns {
            b.write(title, x: x, y: area.y, style: header, limit: min(width, area.maxX - x))
            x += width
        }
        b.write("Info", x: x, y: area.y, style: header, limit: max(0, area.maxX - x))
        let rows = area.height - 1
        guard rows > 0 else { return }
        keepSelectionVisible(rows: rows)
        let count = shownCount
        guard count > 0 else {
            let empty = loading ? "reading the capture..." : (host != nil || stream == .pipe || stream == .follow ? "waiting for packets..." : "no packets")
            b.write(empty, x: area.x + 1, y: area.y + 1, style: theme[.normal], limit: area.width - 1)
            return
        }
        // Relative times count from the first packet of the capture, filtered or not, as Wireshark's.
        if timeReference == nil { timeReference = store.packet(number: oldest) }
        let first = timeReference
        let end = min(count, listTop + rows)
        var previous = listTop > 0 ? store.packet(number: shownNumber(at: listTop - 1)) : nil
        for i in listTop..<end {
            let number = shownNumber(at: i)
            guard let p = store.packet(number: number) else { continue }
            // A copy from a device watched beside the tun (the lab's outside interface) is nobody's send.
            let notTunscopes = watching || (held.map { !$0.crossedTun(p.packet.bytes) } ?? false)
            let row = PacketRow(p, linkType: linkType, watching: notTunscopes, interfaceNames: interfaceNames,
                                marks: streams.marks(ofPacket: number),
                                tcpdumpOffsets: relativeNumbers ? streams.tcpdumpOffsets(ofPacket: number) : nil)
            let y = area.y + 1 + i - listTop
            let drop = kernelVerdicts?.verdict(ofPacket: number)
            let style: Style
            if number == selected {
                style = theme[focus == .list ? .selectedFocused : .selectedUnfocused]
            } else {
                style = theme[drop != nil ? .ruleKernelDrop : row.role]
            }
            b.fill(Rect(x: area.x, y: y, width: area.width, height: 1), style: style)
            let way = watching || cooked ? (row.direction == .sent ? "In" : "Out")
                : (row.direction == .sent ? lines.arrowRight : lines.arrowLeft)
            let values = [String(number), timeText(p, previous: previous, first: first), way] + (cooked ? [row.interface ?? ""] : [])
                + [row.source, row.destination, row.proto, String(row.length)]
            var x = area.x
            for (value, (_, width)) in zip(values, columns) {
                b.write(value, x: x, y: y, style: style, limit: min(width - 1, area.maxX - x))
                x += width
            }
            // The kernel's verdict leads the Info column: why this packet got no answer.
            let info = drop.map { "[kernel dropped: \($0.reason) in \($0.location)] " + row.info } ?? row.info
            b.write(info, x: x, y: y, style: style, limit: max(0, area.maxX - x))
            previous = p
        }
    }

    func keepSelectionVisible(rows: Int) {
        let count = shownCount
        guard let s = selected, let i = shownIndex(of: s) else {
            listTop = max(0, min(listTop, count - rows))
            return
        }
        if i < listTop { listTop = i }
        if i >= listTop + rows { listTop = i - rows + 1 }
        listTop = max(0, min(listTop, max(0, count - rows)))
    }
}

/// Times as the list shows them.
enum TimeText {
    static func seconds(_ s: Double) -> String {
        let us = Int64((s * 1e6).rounded())
        let sign = us < 0 ? "-" : ""
        let v = abs(us)
        let fraction = String(v % 1_000_000)
        return "\(sign)\(v / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }

    static func ofDay(seconds: Int, microseconds: Int) -> String {
        var w = TextWriter()
        var clock = TimeOfDay()
        clock.write(seconds: seconds, microseconds: microseconds, into: &w)
        return w.string
    }
}
