import Capture
import Probe
import Screen
import Testing
import Wire
@testable import App

/// The Handshake pane on connections tunscope did not open (a file browsed, a device watched):
/// frames rendered into a buffer and compared as text, as in MonitorTests.
struct ObservedLadderTests {
    static let client = IPAddress("192.0.2.2")!
    static let server = IPAddress("34.194.149.67")!
    static let t0: Microseconds = 1_700_000_000_000_000
    static let clientISN: UInt32 = 4_101_019_787
    static let serverISN: UInt32 = 1_141_511_134

    static func segment(_ from: (IPAddress, UInt16), _ to: (IPAddress, UInt16), seq: UInt32, ack: UInt32 = 0,
                        _ flags: TCPFlags, payload: Bytes = []) -> Bytes {
        PacketBuilder.build(
            ip: IPRepr(source: from.0, destination: to.0, proto: .tcp)!,
            transport: TCPRepr(sourcePort: from.1, destinationPort: to.1, sequenceNumber: seq, acknowledgmentNumber: ack,
                               flags: flags, options: flags.contains(.syn) ? [.mss(1460)] : []),
            payload: payload)
    }

    static func add(_ store: PacketStore, _ bytes: Bytes, _ at: Microseconds) {
        store.append(CapturedPacket(bytes: bytes, seconds: Int(at / 1_000_000), microseconds: Int(at % 1_000_000)))
    }

    /// A capture of someone else's handshake left half open: a SYN, the server's SYN-ACK and its
    /// retransmissions after 1, 3 and 7 seconds, no ACK; an echo request in between, and a
    /// second connection (refused) on another port.
    static func halfOpenCapture() -> PacketStore {
        let store = PacketStore()
        let synAck = segment((server, 80), (client, 30732), seq: serverISN, ack: clientISN &+ 1, [.syn, .ack])
        add(store, segment((client, 30732), (server, 80), seq: clientISN, .syn), t0)  // 1
        add(store, synAck, t0 + 52)  // 2
        add(store, PacketBuilder.build(  // 3
            ip: .v4(IPv4Repr(source: IPv4Address("192.0.2.1")!, destination: IPv4Address("192.0.2.2")!, proto: .icmp)),
            transport: ICMPv4Repr(.echoRequest(identifier: 1, sequence: 1, data: []))), t0 + 500_000)
        add(store, synAck, t0 + 1_000_052)  // 4
        add(store, segment((client, 40000), (server, 81), seq: 7, .syn), t0 + 2_000_000)  // 5
        add(store, segment((server, 81), (client, 40000), seq: 0, ack: 8, [.rst, .ack]), t0 + 2_000_040)  // 6
        add(store, synAck, t0 + 3_000_052)  // 7
        add(store, synAck, t0 + 7_000_052)  // 8
        return store
    }

    /// A monitor browsing the store as `tunscope -r` does: no host, no addresses, the first packet selected.
    static func browsing(_ store: PacketStore) -> Monitor {
        let m = Monitor(store: store, host: nil, linkType: .raw, sourceName: "half-open.pcap", theme: .builtIn, lines: .unicode)
        m.startAtFirstPacket()
        _ = m.refresh(now: 1)
        return m
    }

    /// The Handshake pane's inside, line by line, with trailing blanks cut.
    static func ladder(_ m: Monitor, _ width: Int, _ height: Int) -> [String] {
        let lines = m.render(width: width, height: height).lines
        let area = m.lastPaneAreas[.ladder]!
        return lines[(area.y + 1)..<(area.maxY - 1)].map {
            var s = String($0.dropFirst(area.x + 1).prefix(area.width - 2))
            while s.last == " " { s.removeLast() }
            return s
        }
    }

    @Test func aBrowsedFileShowsTheSelectedPacketsHalfOpenHandshake() {
        let m = Self.browsing(Self.halfOpenCapture())
        #expect(m.selected == 1)
        #expect(Self.ladder(m, 120, 40) == [
            "client 192.0.2.2:30732             server 34.194.149.67:80",
            "half open: the client never sent its ACK",
            "0.000ms    │─SYN seq=0─────────────────────────────────▶│",
            "0.052ms    │◀───────────────────────SYN-ACK seq=0 ack=1─│",
            "1.000s     │◀───────────────────────SYN-ACK seq=0 ack=1─│",
            "3.000s     │◀───────────────────────SYN-ACK seq=0 ack=1─│",
            "7.000s     │◀───────────────────────SYN-ACK seq=0 ack=1─│",
            "",
            "",
            "",
        ])
    }

    @Test func theLadderFollowsTheSelectionAndEnterSelectsAnArrowsPacket() {
        let m = Self.browsing(Self.halfOpenCapture())
        // The refused connection's RST: its own ladder.
        m.select(6)
        var inside = Self.ladder(m, 120, 40)
        #expect(inside[0].hasPrefix("client 192.0.2.2:40000") && inside[0].hasSuffix("server 34.194.149.67:81"))
        #expect(inside[1] == "refused: the server answered RST")
        #expect(inside[2].hasPrefix("0.000ms    │─SYN seq=0─") && inside[3].hasSuffix("RST-ACK seq=1 ack=1─│"))
        // The echo request is no TCP: the ladder stays on the connection active around it.
        m.select(3)
        #expect(Self.ladder(m, 120, 40)[1].hasPrefix("half open"))

        // Down to the second retransmission; the line above the footer says what it is; Enter selects it.
        m.select(1)
        m.handle(.backTab)
        #expect(m.focus == .ladder)
        for _ in 0..<3 { m.handle(.character("j")) }
        let lines = m.render(width: 120, height: 40).lines
        #expect(lines[38].hasPrefix("SYN-ACK: retransmission #2, 3.000 s after the first"), "\(lines[38])")
        m.handle(.enter)
        #expect(m.focus == .list && m.selected == 7)
    }

    /// Live, with tunscope's own handshake in the store too: its packets show its ladder, another
    /// program's packets theirs.
    @Test func anObservedConnectionShowsBesideTunscopesOwn() {
        let (store, prober) = MonitorTests.scene()
        let other = Self.segment((MonitorTests.kernel, 22), (MonitorTests.me, 50000), seq: 10, ack: 20, [.psh, .ack], payload: [1, 2, 3])
        Self.add(store, other, MonitorTests.t0 + 3_000_000)  // 7
        let m = MonitorTests.monitor(store, prober: prober)
        #expect(m.selected == 7)
        var inside = Self.ladder(m, 120, 40)
        #expect(inside[0].hasPrefix("client 192.0.2.2:50000") && inside[0].hasSuffix("server 192.0.2.1:22"))
        #expect(inside[1] == "seen from the middle: no SYN; open")
        #expect(inside[2].hasPrefix("0.000ms    │◀") && inside[2].hasSuffix("PSH-ACK seq=1 ack=1 len=3─│"))
        m.select(2)
        inside = Self.ladder(m, 120, 40)
        #expect(inside[0].hasPrefix("tunscope 192.0.2.2:") && inside[1].hasPrefix("ESTABLISHED"))
        // An ICMP packet: tunscope's newest connection, as before.
        m.select(5)
        #expect(Self.ladder(m, 120, 40)[0].hasPrefix("tunscope 192.0.2.2:"))
    }

    @Test func aFileWithNoTCPSaysSo() {
        let store = PacketStore()
        Self.add(store, PacketBuilder.build(
            ip: .v4(IPv4Repr(source: IPv4Address("192.0.2.1")!, destination: IPv4Address("192.0.2.2")!, proto: .icmp)),
            transport: ICMPv4Repr(.echoRequest(identifier: 1, sequence: 1, data: []))), Self.t0)
        let m = Self.browsing(store)
        #expect(Self.ladder(m, 120, 40)[0] == " no TCP connection seen yet")
    }
}

/// The tree's NAT node in a cooked capture (the lab shows the tun and its outside interface).
struct NATNodeTests {
    /// A SYN as tunscope wrote it into tun0 (index 2), or as the router sent it out of its veth
    /// (index 3) after masquerading: source 198.51.100.1, port 40123, TTL one less.
    static func syn(outside: Bool) -> Bytes {
        var ip = IPv4Repr(source: IPv4Address(outside ? "198.51.100.1" : "192.0.2.2")!, destination: IPv4Address("198.51.100.80")!,
                          proto: .tcp, ttl: outside ? 63 : 64)
        ip.identification = 0x4242
        let packet = PacketBuilder.build(
            ip: .v4(ip), transport: TCPRepr(sourcePort: outside ? 40123 : 30732, destinationPort: 80, sequenceNumber: 4_101_019_787,
                                            acknowledgmentNumber: 0, flags: .syn, options: [.mss(1460)]))
        var header = Bytes(repeating: 0, count: 20)
        header[0] = 0x08
        header[7] = outside ? 3 : 2
        header[8] = outside ? 0x00 : 0xff
        header[9] = outside ? 0x01 : 0xfe
        header[10] = outside ? 4 : 0
        return header + packet
    }

    @Test func theNATNodeAppearsOnceTheOtherCopyArrivesWithTheSamePacketSelected() {
        let store = PacketStore()
        store.append(CapturedPacket(bytes: Self.syn(outside: false), seconds: 1_700_000_000, microseconds: 10))
        let m = Monitor(store: store, host: nil, linkType: .linuxSLL2, sourceName: "lab", theme: .builtIn, lines: .unicode)
        m.interfaceNames = [2: "tun0", 3: "veth-out"]
        _ = m.refresh(now: 1)
        #expect(m.selected == 1)
        #expect(!m.treeRows().contains { $0.text.hasPrefix("[NAT rewrote") })
        // The router's copy comes a few milliseconds later; the selection stays on the tun's.
        store.append(CapturedPacket(bytes: Self.syn(outside: true), seconds: 1_700_000_000, microseconds: 90))
        m.follow = false
        _ = m.refresh(now: 2)
        #expect(m.selected == 1)
        let rows = m.treeRows().map(\.text)
        #expect(rows.contains("[NAT rewrote this packet into packet 2 on veth-out]"), "\(rows)")
        #expect(rows.contains { $0.contains("192.0.2.2") && $0.contains("198.51.100.1") }, "\(rows)")
    }
}
