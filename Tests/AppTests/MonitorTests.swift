import Capture
import Foundation
import Probe
import Screen
import Testing
import Wire
@testable import App

/// The monitor rendered into a buffer, no terminal: frames compared as text, keys as state
/// changes. The packets are built with Wire's builders; the handshake comes from a Prober
/// driven on an injected clock, as in ProbeTests.
struct MonitorTests {
    static let me = IPAddress("192.0.2.2")!
    static let kernel = IPAddress("192.0.2.1")!
    static let t0: Microseconds = 1_700_000_000_000_000

    /// A store holding a handshake tunscope made with the kernel, an echo, a DNS query and a
    /// packet with a bad checksum; and the prober that made the handshake.
    static func scene() -> (PacketStore, Prober) {
        let store = PacketStore()
        var prober = Prober(ownAddresses: [me], seed: 11)
        var config = prober.tcpConfig(from: me, to: kernel, port: 80)
        config.ending = .rst
        let (_, syn) = prober.connect(config, now: t0)
        func add(_ bytes: Bytes, _ at: Microseconds, _ direction: Direction) -> Int {
            store.append(CapturedPacket(bytes: bytes, seconds: Int(at / 1_000_000), microseconds: Int(at % 1_000_000)),
                         direction: direction)
        }
        prober.confirmSent(syn[0], time: t0, number: add(syn[0], t0, .sent))
        let synAck = PacketBuilder.build(
            ip: .v4(IPv4Repr(source: IPv4Address("192.0.2.1")!, destination: IPv4Address("192.0.2.2")!, proto: .tcp)),
            transport: TCPRepr(sourcePort: 80, destinationPort: config.sourcePort, sequenceNumber: 7000,
                               acknowledgmentNumber: config.initialSequence &+ 1, flags: [.syn, .ack], window: 65160,
                               options: [.mss(1460)]))
        let n = add(synAck, t0 + 52, .received)
        let answers = prober.received(synAck, time: t0 + 52, number: n)
        for (k, a) in answers.enumerated() {
            prober.confirmSent(a, time: t0 + 60 + Microseconds(k), number: add(a, t0 + 60 + Microseconds(k), .sent))
        }
        let ping = PacketBuilder.build(
            ip: .v4(IPv4Repr(source: IPv4Address("192.0.2.1")!, destination: IPv4Address("192.0.2.2")!, proto: .icmp)),
            transport: ICMPv4Repr(.echoRequest(identifier: 1, sequence: 1, data: Array(repeating: 0x61, count: 8))))
        _ = add(ping, t0 + 1_000_000, .received)
        var bad = synAck
        bad[36] ^= 0xff
        _ = add(bad, t0 + 2_000_000, .received)
        return (store, prober)
    }

    static func monitor(_ store: PacketStore, prober: Prober? = nil) -> Monitor {
        let m = Monitor(store: store, host: nil, linkType: .raw, sourceName: "tun0", theme: .builtIn, lines: .unicode,
                        ownAddress: me, kernelAddress: kernel, target: (kernel, 80))
        if let prober { m.probes = { prober } }
        _ = m.refresh(now: 1)
        return m
    }

    static func text(_ m: Monitor, _ width: Int, _ height: Int) -> [String] {
        m.render(width: width, height: height).lines
    }

    @Test func an80x24FrameHasEveryPaneAndFollowsTheNewestPacket() {
        let (store, prober) = Self.scene()
        let m = Self.monitor(store, prober: prober)
        let lines = Self.text(m, 80, 24)
        #expect(lines.count == 24 && lines.allSatisfy { TextWidth.of($0) == 80 })
        #expect(lines[0].hasPrefix(" tunscope  tun0  192.0.2.2 ◀▶ 192.0.2.1  target 192.0.2.1:80  6 pkts  FILE"))
        #expect(lines[1].hasPrefix("┌ Packets "))
        #expect(lines[2].hasPrefix("│No.    Time       ") && lines[2].contains("Source") && lines[2].contains("Info"))
        // Five rows fit; the list follows the newest packet, so it starts at packet 2.
        #expect(lines[3].hasPrefix("│2      0.000052   ◀ 192.0.2.1      192.0.2.2      TCP      44     Flags [S.], │"))
        #expect(lines[4].hasPrefix("│3      0.000060   ▶ 192.0.2.2      192.0.2.1      TCP      40     Flags [.], a│"))
        #expect(lines[6].hasPrefix("│5      1.000000   ◀ 192.0.2.1      192.0.2.2      ICMP     36     ICMP echo re│"))
        #expect(m.selected == 6)
        #expect(lines.contains { $0.contains("┌ Header tree ") })
        #expect(lines.contains { $0.contains("┌ Bytes ") })
        #expect(lines.contains { $0.contains("┌ Handshake ") })
        #expect(lines[23].hasPrefix("s SYN  t target  p ping  r resend  e edit  / filter  w write"))
        let wide = Self.text(m, 120, 40)
        #expect(wide[3].hasPrefix("│1      0.000000       ▶ 192.0.2.2        192.0.2.1        TCP      60     Flags [S], seq "))
        #expect(wide.contains { $0.contains("│- Transmission Control Protocol, Src Port: 80") })
    }

    @Test func theSelectedFieldsBytesAreMarkedInTheHexPane() {
        let (store, prober) = Self.scene()
        let m = Self.monitor(store, prober: prober)
        m.handle(.character("g"))  // the SYN
        m.handle(.tab)  // the tree
        // Down to the IPv4 layer's Time to Live field.
        for _ in 0..<12 {
            if m.selectedTreeRow?.key == "ip.ttl" { break }
            m.handle(.character("j"))
        }
        #expect(m.selectedTreeRow?.key == "ip.ttl")
        let frame = m.render(width: 120, height: 40)
        let lines = frame.lines
        #expect(lines.contains { $0.contains("Time to Live: 64") })
        // The explanation line says what the field is for.
        #expect(lines[38].hasPrefix("ip.ttl: "))
        // In the hex pane, byte 8 (the TTL, 0x40) has the field style; byte 0 the layer's.
        let hexArea = m.lastPaneAreas[.hex]!.inset(1)
        let perRow = hexArea.width >= 71 ? 16 : 8
        let (row, column) = (hexArea.y + 8 / perRow, hexArea.x + 6 + 8 % perRow * 3)
        #expect(frame[column, row].symbol == "4" && frame[column + 1, row].symbol == "0")
        #expect(frame[column, row].style == Theme.builtIn[.hexField])
        #expect(frame[hexArea.x + 6, hexArea.y].style == Theme.builtIn[.hexLayer], "byte 0: the IPv4 layer")
    }

    @Test func theLadderDrawsTheHandshakeAndEnterJumpsToAPacket() {
        let (store, prober) = Self.scene()
        let m = Self.monitor(store, prober: prober)
        var lines = Self.text(m, 120, 40)
        let ladder = m.lastPaneAreas[.ladder]!
        let inside = lines[(ladder.y + 1)..<(ladder.maxY - 1)].map { String($0.dropFirst(ladder.x + 1).prefix(ladder.width - 2)) }
        #expect(inside[0].hasPrefix("tunscope 192.0.2.2:") && inside[0].hasSuffix("192.0.2.1:80"))
        #expect(inside[1].hasPrefix("ESTABLISHED (now CLOSED)  rtt 0.052 ms"))
        #expect(inside[2].contains("│─SYN seq=0──") && inside[2].contains("▶│"))
        #expect(inside[3].contains("│◀") && inside[3].contains("SYN-ACK seq=0 ack=1─│"))
        #expect(inside[4].contains("ACK seq=1 ack=1"))
        m.handle(.backTab)  // to the ladder
        #expect(m.focus == .ladder)
        m.handle(.character("j"))
        m.handle(.enter)
        #expect(m.focus == .list && m.selected == 2, "the SYN-ACK is packet 2")
        lines = Self.text(m, 120, 40)
        #expect(lines.contains { $0.contains("Flags [S.]") })

        // Narrow: the peer keeps its place, and the two ends do not run together.
        lines = Self.text(m, 62, 18)
        let narrow = m.lastPaneAreas[.ladder]!
        let top = String(lines[narrow.y + 1].dropFirst(narrow.x + 1).prefix(narrow.width - 2))
        #expect(top.hasSuffix(" 192.0.2.1:80") && top.hasPrefix("tunscope"), "\(top)")
    }

    /// Every key is in the help at any size: two columns when they fit, else one, scrolled.
    @Test func theHelpShowsEveryKeyAtTheSmallestSize() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("?"))
        #expect(Self.text(m, 120, 40).contains { $0.contains("s          send a SYN to the target") && $0.contains("t          set the target") })
        var seen = Set<String>()
        var frame = Self.text(m, 60, 16)
        #expect(frame.joined().contains("Help (more below: j)"))
        for _ in 0..<30 {
            frame.forEach { seen.insert($0) }
            m.handle(.character("j"))
            frame = Self.text(m, 60, 16)
        }
        #expect(m.showHelp, "j scrolls, it does not close")
        for (key, what) in Monitor.helpKeys {
            #expect(seen.contains { $0.contains(key) && $0.contains(what) }, "\(key) \(what) is never shown at 60x16")
        }
        #expect(frame.joined().contains("Help (k: back up)"))
        m.handle(.character("x"))
        #expect(!m.showHelp)
    }

    @Test func aResizeLeavesTheHelpOpen() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("?"))
        m.handle(.resize)
        #expect(m.showHelp, "a resize is not a key pressed")
        m.handle(.character("x"))
        #expect(!m.showHelp)
    }

    @Test func framesFitEverySizeAndATinyTerminalSaysHowBigItMustBe() {
        let (store, prober) = Self.scene()
        let m = Self.monitor(store, prober: prober)
        for (w, h) in [(80, 24), (120, 40), (200, 60), (60, 16)] {
            let lines = Self.text(m, w, h)
            #expect(lines.count == h && lines.allSatisfy { TextWidth.of($0) == w }, "\(w)x\(h)")
            #expect(lines[h - 1].hasPrefix("s SYN"), "\(w)x\(h)")
        }
        let small = Self.text(m, 40, 10)
        #expect(small[0].hasPrefix("tunscope needs at least 60x16 (this is"))
        #expect(small[1].hasPrefix("40x10): make it bigger, or q"))
        let tiny = Self.text(m, 12, 8).map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(tiny.joined(separator: " ").hasPrefix("tunscope needs at least 60x16 (this is 12x8): make it bigger, or q"),
                "every word, wrapped: \(tiny)")
    }

    @Test func aDisplayFilterNarrowsTheListAndShowsLibpcapsMessageWhileWrong() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("/"))
        for c in "bpf:icmp or" { m.handle(.character(c)) }
        var lines = Self.text(m, 100, 30)
        #expect(lines[28].hasPrefix("filter (display filter, or bpf: BPF): bpf:icmp or_") && lines[28].contains("syntax error"), "\(lines[28])")
        m.handle(.backspace)
        m.handle(.backspace)
        m.handle(.backspace)
        lines = Self.text(m, 100, 30)
        #expect(!lines[28].contains("error"))
        m.handle(.enter)
        #expect(m.shownCount == 1)
        lines = Self.text(m, 100, 30)
        #expect(lines[0].contains("filter: bpf: icmp"))
        #expect(lines[3].contains("ICMP echo request") && !lines[4].contains("TCP"))
        #expect(lines[3].contains(" 1.000000 "), "relative time counts from the capture's first packet, not the first shown: \(lines[3])")
        m.handle(.character("/"))
        m.handle(.control("u"))
        m.handle(.enter)
        #expect(m.shownCount == 6)
    }

    /// Wireshark's display filters by default: checked as you type with its message, a field of
    /// the tree compared; BPF when the text is BPF and no display filter (a tcpdump habit).
    @Test func theFilterIsWiresharksDisplayFilterAndTcpdumpsBPFStillWorks() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("/"))
        for c in "tcp.flgs == 2" { m.handle(.character(c)) }
        #expect(Self.text(m, 100, 30)[28].contains("tcp.flgs is neither a field nor a protocol name"), "\(Self.text(m, 100, 30)[28])")
        m.handle(.control("u"))
        for c in "tcp.flags.syn == 1 && tcp.flags.ack == 0" { m.handle(.character(c)) }
        #expect(!Self.text(m, 100, 30)[28].contains("neither"))
        m.handle(.enter)
        #expect(m.shownCount == 1 && Self.text(m, 160, 30)[0].contains("filter: tcp.flags.syn == 1 && tcp.flags.ack == 0"))
        m.handle(.character("/"))
        m.handle(.control("u"))
        for c in "tcp port 80" { m.handle(.character(c)) }
        m.handle(.enter)
        let bpf = try! PacketFilter("tcp port 80", linkType: .raw)
        let expected = store.packets(numbered: 1...store.newestNumber).filter { bpf.matches($0.packet.bytes) }.count
        #expect(Self.text(m, 160, 30)[0].contains("filter: bpf: tcp port 80") && m.shownCount == expected && expected > 1, "\(m.shownCount)")
    }

    /// The screen's filter reads what print -Y reads: stream analysis worked out over the stored
    /// packets in order, and the frame layer.
    @Test func theFilterReadsStreamAnalysisAndTheFrame() throws {
        let store = PacketStore(limits: .init(packets: 100, bytes: 1 << 20))
        let a = IPAddress.v4(IPv4Address(192, 0, 2, 2)), b = IPAddress.v4(IPv4Address(192, 0, 2, 1))
        func segment(_ from: IPAddress, _ to: IPAddress, _ sport: UInt16, _ dport: UInt16, seq: UInt32, ack: UInt32, _ flags: TCPFlags,
                     _ payload: Bytes = []) -> Bytes {
            PacketBuilder.build(ip: IPRepr(source: from, destination: to, proto: .tcp)!,
                                transport: TCPRepr(sourcePort: sport, destinationPort: dport, sequenceNumber: seq, acknowledgmentNumber: ack,
                                                   flags: flags), payload: payload)
        }
        let data = Bytes(repeating: 0x41, count: 100)
        let packets = [
            segment(a, b, 40000, 80, seq: 100, ack: 0, .syn), segment(b, a, 80, 40000, seq: 900, ack: 101, [.syn, .ack]),
            segment(a, b, 40000, 80, seq: 101, ack: 901, .ack), segment(a, b, 40000, 80, seq: 101, ack: 901, [.psh, .ack], data),
            segment(a, b, 40001, 80, seq: 5, ack: 0, .syn),  // a second conversation
            segment(a, b, 40000, 80, seq: 101, ack: 901, [.psh, .ack], data),  // the retransmission
        ]
        for (i, p) in packets.enumerated() {
            store.append(CapturedPacket(bytes: p, seconds: 1_700_000_000, microseconds: i * 300_000), direction: .received)
        }
        let m = Self.monitor(store)
        func shown(_ filter: String) throws -> [Int] {
            m.setFilter(try ListFilter(filter, linkType: .raw))
            _ = m.refresh(now: 2)
            return (0..<m.shownCount).map { m.shownNumber(at: $0) }
        }
        #expect(try shown("tcp.analysis.retransmission") == [6])
        #expect(try shown("tcp.stream == 1") == [5])
        #expect(try shown("tcp.seq == 1 && tcp.len > 0") == [4, 6], "relative sequence numbers, as Wireshark's")
        #expect(try shown("frame.len > 100") == [4, 6])
        #expect(try shown("frame.number in {2, 3}") == [2, 3])
    }

    /// Past a million packets the number still fits its column whole.
    @Test func packetNumbersOfSevenDigitsAndMoreAreWhole() {
        let store = PacketStore(limits: .init(packets: 100, bytes: 1 << 20))
        var batch = PacketStore.Batch()
        let packet = MonitorTests.scene().0.packet(number: 1)!.packet.bytes
        packet.withUnsafeBytes { for _ in 0..<4096 { batch.add($0, seconds: 0, microseconds: 0) } }
        for _ in 0..<245 { store.append(batch) }
        let m = Self.monitor(store)
        _ = m.refresh(now: 2)
        let lines = Self.text(m, 120, 40)
        #expect(lines.contains { $0.contains("│1003520 ") }, "\(lines.joined(separator: "\n"))")
    }

    /// A row is about the ICMP error, not the packet it quotes: Protocol ICMP, ICMP's colour.
    @Test func anICMPErrorsRowIsICMPNotWhatItQuotes() {
        let (store, _) = Self.scene()
        let syn = store.packet(number: 1)!.packet.bytes
        let unreachable = PacketBuilder.build(
            ip: .v4(IPv4Repr(source: IPv4Address("192.0.2.1")!, destination: IPv4Address("192.0.2.2")!, proto: .icmp)),
            transport: ICMPv4Repr(.destinationUnreachable(code: 3, nextHopMTU: 0, datagram: Array(syn.prefix(28)))))
        let n = store.append(CapturedPacket(bytes: unreachable, seconds: 0, microseconds: 0), direction: .received)
        let row = PacketRow(store.packet(number: n)!, linkType: .raw)
        #expect(row.proto == "ICMP" && row.role == .ruleICMP, "\(row.proto) \(row.role)")
        #expect(row.source == "192.0.2.1")
    }

    /// The colouring rules in Wireshark's order: a bad checksum (or a malformed packet) first,
    /// then what tunscope sent, then ICMP, RST, SYN or FIN, the applications (DNS with mDNS and
    /// LLMNR, NTP, DHCP, QUIC, TLS, HTTP), UDP; anything else is normal.
    /// The scene's six packets and one of each other kind, with the role each must get.
    static let rowRoles: [Role] = [.normal, .ruleBadChecksum, .ruleRST, .ruleSYNFIN, .ruleICMP, .ruleDNS, .ruleNTP, .ruleDHCP,
                                   .ruleQUIC, .ruleTLS, .ruleHTTP, .ruleUDP, .ruleSent]

    static func everyKindOfRow() -> (PacketStore, [Int: Role]) {
        let (store, _) = scene()
        let kernel4 = IPv4Address("192.0.2.1")!, me4 = IPv4Address("192.0.2.2")!
        func add(_ bytes: Bytes, _ direction: Direction) -> Int {
            store.append(CapturedPacket(bytes: bytes, seconds: 1_700_000_003, microseconds: 0), direction: direction)
        }
        func tcp(_ flags: TCPFlags) -> Bytes {
            PacketBuilder.build(ip: .v4(IPv4Repr(source: kernel4, destination: me4, proto: .tcp)),
                                transport: TCPRepr(sourcePort: 80, destinationPort: 40000, sequenceNumber: 7001,
                                                   acknowledgmentNumber: 1, flags: flags, window: 65160))
        }
        func udp(_ from: UInt16, _ to: UInt16, _ payload: Bytes) -> Bytes {
            PacketBuilder.build(ip: .v4(IPv4Repr(source: kernel4, destination: me4, proto: .udp)),
                                transport: UDPRepr(sourcePort: from, destinationPort: to), payload: payload)
        }
        func tcp(_ from: UInt16, _ payload: Bytes) -> Bytes {
            PacketBuilder.build(ip: .v4(IPv4Repr(source: kernel4, destination: me4, proto: .tcp)),
                                transport: TCPRepr(sourcePort: from, destinationPort: 40000, sequenceNumber: 7001,
                                                   acknowledgmentNumber: 1, flags: [.psh, .ack], window: 65160),
                                payload: payload)
        }
        let reply = PacketBuilder.build(
            ip: .v4(IPv4Repr(source: me4, destination: kernel4, proto: .icmp)),
            transport: ICMPv4Repr(.echoReply(identifier: 1, sequence: 1, data: Array(repeating: 0x61, count: 8))))
        var badReply = reply
        badReply[22] ^= 0xff  // the ICMP checksum
        let query: Bytes = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                            7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1]
        var roles: [Int: Role] = [1: .ruleSent, 2: .ruleSYNFIN, 3: .ruleSent, 4: .ruleSent, 5: .ruleICMP, 6: .ruleBadChecksum]
        roles[add(tcp([.rst, .ack]), .received)] = .ruleRST
        roles[add(tcp([.fin, .ack]), .received)] = .ruleSYNFIN
        roles[add(udp(40002, 53, query), .received)] = .ruleDNS
        roles[add(udp(5353, 5353, query), .received)] = .ruleDNS  // mDNS
        roles[add(udp(40002, 5355, query), .received)] = .ruleDNS  // LLMNR
        roles[add(tcp(53, [0, UInt8(query.count)] + query), .received)] = .ruleDNS  // DNS over TCP
        var ntp = Bytes(repeating: 0, count: NTPRepr().bufferLength)
        NTPRepr().emit(into: &ntp, at: 0)
        roles[add(udp(40000, 123, ntp), .received)] = .ruleNTP
        var dhcp = DHCPRepr()
        dhcp.options = [DHCPOption(code: 53, data: [1])]
        var dhcpBytes = Bytes(repeating: 0, count: dhcp.bufferLength)
        dhcp.emit(into: &dhcpBytes, at: 0)
        roles[add(udp(68, 67, dhcpBytes), .received)] = .ruleDHCP
        // A QUIC Initial: long header, version 1, an 8-byte destination connection ID, no source
        // connection ID, no token, and a length of 4 for the (protected) rest.
        let quic: Bytes = [0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 4, 9, 9, 9, 9]
        roles[add(udp(443, 40000, quic), .received)] = .ruleQUIC
        roles[add(tcp(443, [20, 3, 3, 0, 1, 1]), .received)] = .ruleTLS  // a change cipher spec record
        roles[add(tcp(443, [1, 2, 3, 4]), .received)] = .normal  // a record continued: TCP's, as the column says
        roles[add(tcp(80, Array("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n".utf8)), .received)] = .ruleHTTP
        roles[add(udp(40000, 40001, Array("hello".utf8)), .received)] = .ruleUDP
        roles[add(tcp(.ack), .received)] = .normal
        roles[add(reply, .sent)] = .ruleSent
        roles[add(badReply, .sent)] = .ruleBadChecksum  // a bad checksum counts before who sent it
        roles[add(Array(tcp(.syn).prefix(30)), .received)] = .ruleBadChecksum  // malformed: cut inside TCP
        return (store, roles)
    }

    @Test func eachKindOfPacketGetsItsColouringRule() {
        let (store, roles) = Self.everyKindOfRow()
        #expect(Set(roles.values) == Set(Self.rowRoles), "every rule is exercised")
        for (number, role) in roles.sorted(by: { $0.key < $1.key }) {
            let row = PacketRow(store.packet(number: number)!, linkType: .raw)
            #expect(row.role == role, "packet \(number) (\(row.proto) \(row.info))")
        }
    }

    /// The list draws each row, every cell of it, in its rule's style from the monitor's theme;
    /// the selected row in the selection's.
    @Test func listRowsAreDrawnInTheirRulesStyleFromTheTheme() throws {
        let (store, roles) = Self.everyKindOfRow()
        // A theme of its own, each row style unlike the built-in one and unlike the others.
        var theme = Theme.builtIn
        for (k, role) in Self.rowRoles.enumerated() {
            theme.styles[role] = Style(.indexed(UInt8(16 + k)), .indexed(UInt8(100 + k)), k % 2 == 0 ? .bold : [])
        }
        #expect(Set(Self.rowRoles.map { theme[$0] }).count == Self.rowRoles.count)
        let rows = try Self.drawnRows(store, theme: theme)
        for (number, styles) in rows {
            let expected = number == 1 ? theme[.selectedFocused] : theme[try #require(roles[number])]
            #expect(styles == [expected], "row of packet \(number): cells in \(styles), not \(expected)")
        }
        #expect(rows.map(\.number) == Array(1...roles.count), "every packet has its row: \(rows.map(\.number))")
    }

    /// A theme file written before the application rules (rule_ntp, rule_tls, ...) still loads,
    /// and those rows take their transport's style: UDP's rule, or normal for TCP's.
    @Test func anOldThemeColoursApplicationsAsTheirTransport() throws {
        let (store, roles) = Self.everyKindOfRow()
        let theme = try ThemeFile.parse("""
            [roles]
            normal = [252, 16]
            selected_focused = [231, 25]
            rule_bad_checksum = [231, 124]
            rule_rst = [202, 16]
            rule_syn_fin = [71, 16]
            rule_icmp = [170, 16]
            rule_dns = [63, 16]
            rule_udp = [80, 16]
            rule_sent = [221, 16]
            """, path: "old.toml")
        let transport: [Role: Role] = [.ruleNTP: .ruleUDP, .ruleDHCP: .ruleUDP, .ruleQUIC: .ruleUDP, .ruleTLS: .normal, .ruleHTTP: .normal]
        var checked: Set<Role> = []
        for (number, styles) in try Self.drawnRows(store, theme: theme) where number != 1 {
            let role = try #require(roles[number])
            #expect(styles == [theme[transport[role] ?? role]], "packet \(number), \(role.rawValue): \(styles)")
            checked.insert(role)
        }
        #expect(Set(transport.keys).isSubset(of: checked))
    }

    /// Each row of the list, by its packet's number, and the styles its cells are drawn in: the
    /// list alone, so every packet has a row, and packet 1 selected.
    static func drawnRows(_ store: PacketStore, theme: Theme) throws -> [(number: Int, styles: Set<Style>)] {
        let m = Monitor(store: store, host: nil, linkType: .raw, sourceName: "tun0", theme: theme, lines: .unicode,
                        ownAddress: Self.me, kernelAddress: Self.kernel, target: (Self.kernel, 80))
        _ = m.refresh(now: 1)
        m.handle(.character("z"))
        m.handle(.character("g"))
        #expect(m.selected == 1)
        let frame = m.render(width: 140, height: 40)
        let inner = try #require(m.lastPaneAreas[.list]).inset(1)
        var rows: [(number: Int, styles: Set<Style>)] = []
        for y in (inner.y + 1)..<inner.maxY {
            let text = (inner.x..<inner.maxX).map { frame[$0, y].symbol }.joined()
            guard let number = Int(text.prefix { $0 != " " }) else { continue }
            rows.append((number, Set((inner.x..<inner.maxX).map { frame[$0, y].style })))
        }
        return rows
    }

    /// A prompt's text longer than the line shows its end, and what is wrong with it still shows.
    @Test func aLongPromptShowsItsEndAndItsCheck() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("/"))
        for c in "tcp port 80 and " + String(repeating: "host 192.0.2.1 and ", count: 10) + "bogus" { m.handle(.character(c)) }
        let line = Self.text(m, 100, 30)[28]
        #expect(line.hasPrefix("filter (display filter, or bpf: BPF): ") && line.contains("and bogus_"), "the text's end and the cursor: \(line)")
        #expect(line.contains("'bogus' is a host name"), "the check, with no DNS query: \(line)")
    }

    @Test func keysMoveFocusZoomPauseAndQuit() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        #expect(m.focus == .list)
        m.handle(.tab)
        #expect(m.focus == .tree)
        m.handle(.tab)
        m.handle(.tab)
        m.handle(.tab)
        #expect(m.focus == .list)
        m.handle(.character("z"))
        _ = Self.text(m, 80, 24)
        #expect(m.lastPaneAreas.count == 1)
        m.handle(.character("z"))
        m.handle(.character("k"))
        #expect(m.selected == 5 && !m.follow, "moving up stops following")
        m.handle(.character("G"))
        #expect(m.selected == 6 && m.follow)
        m.handle(.character(" "))
        store.append(CapturedPacket(bytes: Array(store.packet(number: 4)!.packet.bytes), seconds: 0, microseconds: 0))
        _ = m.refresh(now: 2)
        #expect(m.shownCount == 6, "paused: the new packet is stored, not shown")
        m.handle(.character(" "))
        _ = m.refresh(now: 3)
        #expect(m.shownCount == 7 && m.selected == 7)
        m.handle(.character("c"))
        #expect(m.shownCount == 7 && m.message?.text.contains("a file's packets stay") == true, "a file is never cleared away")
        m.handle(.character("?"))
        #expect(Self.text(m, 100, 30).contains { $0.contains("Keys (vim keys and arrows both)") })
        m.handle(.character("x"))
        #expect(!m.showHelp)
        m.handle(.character("s"))
        #expect(m.message?.text.contains("sending needs a live tun device") == true, "a file cannot send")
        m.handle(.character("q"))
        #expect(m.wantsQuit)
    }

    /// The loader can store its last packet, be drawn LOADING, and only then finish: finishing
    /// with no new packet must still ask for a frame, or the screen says LOADING for ever.
    @Test func finishingLoadingAsksForAFrameWithoutNewPackets() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.loading = true
        _ = m.refresh(now: 2)
        #expect(Self.text(m, 100, 30)[0].contains("LOADING"))
        #expect(!m.refresh(now: 2.1), "nothing changed")
        m.loading = false
        #expect(m.refresh(now: 2.2), "loading finished: the status line must be drawn again")
        #expect(Self.text(m, 100, 30)[0].contains("FILE"))
        #expect(!m.refresh(now: 2.3))
    }

    @Test func aClickSelectsARowAndItsPaneAndTheWheelScrolls() {
        let (store, prober) = Self.scene()
        let m = Self.monitor(store, prober: prober)
        _ = Self.text(m, 120, 40)
        let list = m.lastPaneAreas[.list]!
        m.handle(.click(x: list.x + 5, y: list.y + 3))  // border, header, then packets 1 and 2
        #expect(m.selected == 2 && !m.follow && m.focus == .list)
        let tree = m.lastPaneAreas[.tree]!
        m.handle(.click(x: tree.x + 3, y: tree.y + 2))
        #expect(m.focus == .tree && m.treeRow == 1)
        m.handle(.wheelDown(x: list.x + 5, y: list.y + 3))
        #expect(m.focus == .list && m.selected == 5)
        m.handle(.wheelUp(x: list.x + 5, y: list.y + 3))
        #expect(m.selected == 2)
    }

    @Test func theEditPromptChecksFieldsAsYouTypeAndTimeFormatsCycle() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("g"))
        m.handle(.character("e"))
        for c in "ip.ttl=300" { m.handle(.character(c)) }
        #expect(Self.text(m, 160, 30)[28].contains("ip.ttl: '300' is not a number from 0 to 255"))
        m.handle(.control("u"))
        for c in "ip.ttl=3 tcp.flags=S. bad-checksum" { m.handle(.character(c)) }
        #expect(m.prompt.map { m.promptCheck($0) } == .some(nil), "a valid edit")
        let edited = try? m.editedSelection("ip.ttl=3 tcp.flags=S. bad-checksum")
        #expect(edited?[8] == 3 && edited?[33] == 0x12)
        m.handle(.enter)
        #expect(m.message?.text.contains("sending needs a live tun device") == true, "a file cannot send")
        // T: relative, then time of day, then delta.
        m.handle(.character("T"))
        let clock = Self.text(m, 120, 40)[3]
        #expect(clock.contains(":") && clock.contains(".000000"), "\(clock)")
        m.handle(.character("T"))
        #expect(Self.text(m, 120, 40)[4].contains("0.000052"), "delta: 52 us after the SYN")
    }

    @Test func theEditPromptRefusesAPacketTooBigForIP() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("g"))
        m.handle(.character("e"))
        m.prompt?.text = "data.text=" + String(repeating: "x", count: 65_500)
        // What the prompt line shows beside the text (when the line has room) and Enter reports.
        let check = m.prompt.flatMap { m.promptCheck($0) }
        #expect(check?.contains("an IPv4 packet is at most 65535") == true, "\(check ?? "accepted")")
    }

    @Test func aTargetPromptChecksAsYouType() {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        m.handle(.character("t"))
        m.handle(.control("u"))
        for c in "198.51.100.80:70000" { m.handle(.character(c)) }
        #expect(Self.text(m, 160, 30)[28].contains("the port must be a number from 1 to 65535"))
        m.handle(.escape)
        #expect(m.target?.port == 80, "Escape keeps the old target")
        m.handle(.character("t"))
        m.handle(.control("u"))
        for c in "198.51.100.80:81" { m.handle(.character(c)) }
        m.handle(.enter)
        #expect(m.target.map { endpoint($0.address, $0.port) } == "198.51.100.80:81")
    }

    @Test func writingSavesWhatTheListShowsAsAPcap() throws {
        let (store, _) = Self.scene()
        let m = Self.monitor(store)
        let path = "/tmp/tunscope-monitor-test-\(getpid()).pcap"
        m.write(to: path)
        #expect(m.message?.text == "wrote 6 packets to \(path)")
        let reader = try CaptureFileReader(path: path)
        var count = 0
        while try reader.next() != nil { count += 1 }
        #expect(count == 6)

        // Shown (filtered) or all; an existing file is warned of as the name is typed.
        m.setFilter(.bpf(try PacketFilter("icmp", linkType: .raw)))
        m.handle(.character("w"))
        m.handle(.control("u"))
        for c in path { m.handle(.character(c)) }
        #expect(m.prompt.map { m.promptCheck($0) } == "\(path) exists: Enter overwrites it")
        m.handle(.enter)
        #expect(m.message?.text == "wrote 1 packet to \(path)")
        m.handle(.character("W"))
        m.handle(.control("u"))
        for c in path { m.handle(.character(c)) }
        m.handle(.enter)
        #expect(m.message?.text == "wrote 6 packets to \(path)", "W writes every packet, filter or not")
        m.handle(.character("w"))
        m.handle(.control("u"))
        m.handle(.enter)
        #expect(m.message?.text == "give a file name")
        m.handle(.character("w"))
        m.handle(.control("u"))
        for c in "/tmp" { m.handle(.character(c)) }
        m.handle(.enter)
        #expect(m.message?.text == "/tmp is a directory: give a file name in it")
        let home = String(cString: getpwuid(getuid())!.pointee.pw_dir)
        #expect(Monitor.expandingHome("~/x.pcap") == home + "/x.pcap" && Monitor.expandingHome("~other/x") == "~other/x")

        // The capture being shown is never written over, whatever name leads to it.
        let shown = Monitor(store: store, host: nil, linkType: .raw, sourceName: path, theme: .builtIn, lines: .unicode)
        shown.handle(.character("W"))
        shown.handle(.control("u"))
        for c in "/tmp/../\(path)" { shown.handle(.character(c)) }
        shown.handle(.enter)
        #expect(shown.message?.text.contains("is the capture being shown: write to another file") == true)
        let reader2 = try CaptureFileReader(path: path)
        count = 0
        while try reader2.next() != nil { count += 1 }
        #expect(count == 6, "the file is as it was")
    }
}

/// The monitor's -w recording, fed while capture goes on storing: every packet reaches the file,
/// in order, none twice.
struct RecordingTests {
    @Test func recordingWhileCaptureStoresKeepsEveryPacket() throws {
        let store = PacketStore()
        let path = "/tmp/tunscope-recording-test-\(getpid()).pcap"
        defer { unlink(path) }
        let writer = try CaptureFileWriter(path: path, linkType: .raw)
        let total = 60_000
        let storing = Thread {
            for i in 0..<total {
                // The packet's number in its bytes, to check the order in the file.
                var bytes = Bytes(repeating: 0, count: 24)
                withUnsafeBytes(of: UInt32(i + 1).bigEndian) { bytes.replaceSubrange(20..<24, with: $0) }
                store.append(CapturedPacket(bytes: bytes, seconds: 0, microseconds: 0))
            }
        }
        storing.start()
        var batch = PacketStore.Batch()
        var recorded = 0
        while store.newestNumber < total {
            recorded = MonitorLoop.recordNew(store, from: recorded, into: writer, batch: &batch)
        }
        recorded = MonitorLoop.recordNew(store, from: recorded, into: writer, batch: &batch)
        try writer.close()
        #expect(recorded == total)
        let reader = try CaptureFileReader(path: path)
        var expected: UInt32 = 1
        while let p = try reader.next() {
            let number = p.bytes[20..<24].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if number != expected { break }
            expected += 1
        }
        #expect(expected == UInt32(total) + 1, "the file stops being whole at packet \(expected)")
    }

    /// The Info column is tcpdump's line after "src > dst: "; a source of "::" (an unspecified
    /// address, as in duplicate address detection) ends in a colon and must not end the prefix.
    @Test func infoDropsTheAddressesWhenTheSourceIsUnspecified() {
        #expect(PacketRow.info(fromSummary: "IP6 :: > ff02::1:ff00:1: ICMP6, neighbor solicitation, who has 2001:db8::1, length 24")
                == "ICMP6, neighbor solicitation, who has 2001:db8::1, length 24")
        #expect(PacketRow.info(fromSummary: "IP6 fe80::1 > ::: ICMP6, echo reply, id 1, seq 1, length 8") == "ICMP6, echo reply, id 1, seq 1, length 8")
        #expect(PacketRow.info(fromSummary: "IP 192.0.2.2.80 > 192.0.2.1.40000: Flags [S], length 0") == "Flags [S], length 0")
    }
}
