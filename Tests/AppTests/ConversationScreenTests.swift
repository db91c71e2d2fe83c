import Capture
import Foundation
import Screen
import Testing
import Wire
@testable import App

/// Follow stream (`f`) and Conversations (`C`) on frames rendered into a buffer.
struct ConversationScreenTests {
    static let client = IPv4Address(10, 0, 0, 1), server = IPv4Address(10, 0, 0, 2)

    static func tcp(_ fromClient: Bool, seq: UInt32, _ flags: TCPFlags, _ text: String = "") -> Bytes {
        PacketBuilder.build(
            ip: .v4(IPv4Repr(source: fromClient ? client : server, destination: fromClient ? server : client, proto: .tcp)),
            transport: TCPRepr(sourcePort: fromClient ? 40000 : 80, destinationPort: fromClient ? 80 : 40000, sequenceNumber: seq,
                               acknowledgmentNumber: 1, flags: flags, window: 65535),
            payload: Array(text.utf8))
    }

    /// An HTTP exchange whose request is retransmitted, a DNS query and answer, and a reset connection.
    static func monitor() -> Monitor {
        let store = PacketStore()
        let dns = { (fromClient: Bool, text: String) in
            PacketBuilder.build(ip: .v4(IPv4Repr(source: fromClient ? client : server, destination: fromClient ? server : client, proto: .udp)),
                                transport: UDPRepr(sourcePort: fromClient ? 5000 : 53, destinationPort: fromClient ? 53 : 5000),
                                payload: Array(text.utf8))
        }
        let reset = PacketBuilder.build(ip: .v4(IPv4Repr(source: client, destination: server, proto: .tcp)),
                                        transport: TCPRepr(sourcePort: 40001, destinationPort: 81, sequenceNumber: 5, acknowledgmentNumber: 0,
                                                           flags: .syn, window: 65535))
        let refused = PacketBuilder.build(ip: .v4(IPv4Repr(source: server, destination: client, proto: .tcp)),
                                          transport: TCPRepr(sourcePort: 81, destinationPort: 40001, sequenceNumber: 0, acknowledgmentNumber: 6,
                                                             flags: [.rst, .ack], window: 0))
        let packets = [
            tcp(true, seq: 99, .syn), tcp(false, seq: 499, [.syn, .ack]), tcp(true, seq: 100, .ack),
            tcp(true, seq: 100, [.psh, .ack], "GET / HTTP/1.1\r\n\r\n"), tcp(true, seq: 100, [.psh, .ack], "GET / HTTP/1.1\r\n\r\n"),
            dns(true, "query"), tcp(false, seq: 500, [.psh, .ack], "HTTP/1.1 200 OK\r\n\r\nhi\u{1}"), dns(false, "answer"),
            tcp(true, seq: 118, [.fin, .ack]), tcp(false, seq: 523, [.fin, .ack]), reset, refused,
        ]
        for (i, p) in packets.enumerated() {
            store.append(CapturedPacket(bytes: p, seconds: 1_700_000_000 + i, microseconds: 0), direction: .received)
        }
        let m = Monitor(store: store, host: nil, linkType: .raw, sourceName: "test.pcap", theme: .builtIn, lines: .unicode)
        m.startAtFirstPacket()
        _ = m.refresh(now: 1)
        return m
    }

    @Test func followShowsEachDirectionOnceInOrderAsTextOrHexAndSavesIt() throws {
        let m = Self.monitor()
        m.select(4)
        m.handle(.character("f"))
        var lines = m.render(width: 100, height: 30).lines
        #expect(lines[1].contains("Follow TCP stream 0: A 10.0.0.1:40000 ⇄ B 10.0.0.2:80, 18 bytes A→B, 22 bytes B→A"), "\(lines[1])")
        #expect(lines[2].hasPrefix("│GET / HTTP/1.1 ") && lines[3].hasPrefix("│ ") && lines[4].hasPrefix("│HTTP/1.1 200 OK"),
                "the retransmitted request once: \(lines[1...8])")
        #expect(lines[6].hasPrefix("│hi. "), "what is not printable is a dot: \(lines[6])")
        #expect(lines.contains { $0.contains(FollowView.keys) })

        m.handle(.character("x"))
        lines = m.render(width: 100, height: 30).lines
        #expect(lines[2].hasPrefix("│00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1.."), "\(lines[2])")
        #expect(lines[4].hasPrefix("│    00000000  48 54 54 50"), "B's rows indented: \(lines[4])")

        m.handle(.tab)
        lines = m.render(width: 100, height: 30).lines
        #expect(lines[1].contains("(A to B only)") && !lines.contains { $0.contains("48 54 54 50") })

        let path = "/tmp/tunscope-follow-test-\(getpid()).bin"
        defer { unlink(path) }
        m.handle(.tab)
        m.handle(.character("w"))
        m.handle(.control("u"))
        for c in path { m.handle(.character(c)) }
        m.handle(.enter)
        #expect(m.message?.text == "wrote 22 bytes of the stream to \(path)")
        #expect(FileManager.default.contents(atPath: path) == Data("HTTP/1.1 200 OK\r\n\r\nhi\u{1}".utf8))

        m.handle(.escape)
        #expect(m.following == nil)
        m.select(6)
        m.handle(.character("f"))
        #expect(m.render(width: 100, height: 30).lines[1].contains("Follow UDP stream 0: A 10.0.0.1:5000 ⇄ B 10.0.0.2:53, 5 bytes A→B, 6 bytes B→A"))
    }

    @Test func conversationsListEachWithCountsAndStateSortAndFilterTheListToOne() throws {
        let m = Self.monitor()
        m.handle(.character("C"))
        var lines = m.render(width: 160, height: 30).lines
        #expect(lines[1].contains("Conversations: 3"))
        #expect(lines[2].contains("Stream Proto A") && lines[2].contains("Start▲") && lines[2].contains("State"), "in the order they began")
        let rows = lines[3...5].map { $0.split(separator: " ").map(String.init) }
        // Stream, proto, A, B, packets, bytes, A→B packets and bytes, B→A packets and bytes, start, duration, state.
        #expect(rows[0].dropFirst().prefix(11) == ["0", "TCP", "10.0.0.1:40000", "10.0.0.2:80", "8", "378", "5", "236", "3", "142", "0.000000"],
                "\(rows[0])")
        #expect(lines[3].contains("closed by FIN") && lines[5].contains("reset"))
        #expect(rows[1].dropFirst().prefix(4) == ["0", "UDP", "10.0.0.1:5000", "10.0.0.2:53"], "\(rows[1])")

        // Sort by packets, most first; the selection stays on its conversation.
        for _ in 0..<6 { m.handle(.character("<")) }
        m.handle(.character("r"))
        lines = m.render(width: 160, height: 30).lines
        #expect(lines[2].contains("Packets▼"))
        #expect(lines[3].contains("10.0.0.1:40000") && lines[5].contains("10.0.0.1:40001"), "\(lines[3...5])")

        // Enter: only that conversation's packets in the list.
        m.handle(.character("G"))
        m.handle(.enter)
        #expect(m.conversationsView == nil)
        #expect(m.shownCount == 2 && m.message?.text.contains("showing conversation 1 only") == true, "\(m.message?.text ?? "")")
        m.handle(.character("C"))
        m.handle(.character("g"))
        m.handle(.character("f"))
        #expect(m.following != nil && m.conversationsView == nil)
    }

    /// Wireshark's "Bad TCP" rows: a retransmission, duplicate ACKs and a zero window each take
    /// their theme rule (a retransmission before its protocol's, as Wireshark orders them).
    @Test func theListColoursWhatStreamAnalysisFound() {
        let store = PacketStore()
        func ack(_ fromClient: Bool, seq: UInt32, ack: UInt32, window: UInt16 = 65535, _ text: String = "") -> Bytes {
            PacketBuilder.build(
                ip: .v4(IPv4Repr(source: fromClient ? Self.client : Self.server, destination: fromClient ? Self.server : Self.client, proto: .tcp)),
                transport: TCPRepr(sourcePort: fromClient ? 40000 : 80, destinationPort: fromClient ? 80 : 40000, sequenceNumber: seq,
                                   acknowledgmentNumber: ack, flags: text.isEmpty ? .ack : [.psh, .ack], window: window),
                payload: Array(text.utf8))
        }
        let packets = [
            Self.tcp(true, seq: 99, .syn), Self.tcp(false, seq: 499, [.syn, .ack]),
            ack(true, seq: 100, ack: 500, "GET / HTTP/1.1\r\n\r\n"),
            ack(false, seq: 500, ack: 100), ack(false, seq: 500, ack: 100), ack(false, seq: 500, ack: 100),
            ack(true, seq: 100, ack: 500, "GET / HTTP/1.1\r\n\r\n"),
            ack(false, seq: 500, ack: 118, window: 0),
        ]
        for (i, p) in packets.enumerated() {
            store.append(CapturedPacket(bytes: p, seconds: 1_700_000_000 + i, microseconds: 0), direction: .received)
        }
        let m = Monitor(store: store, host: nil, linkType: .raw, sourceName: "x", theme: .builtIn, lines: .unicode)
        _ = m.refresh(now: 1)
        let roles = (1...8).map { PacketRow(store.packet(number: $0)!, linkType: .raw, marks: m.streams.marks(ofPacket: $0)).role }
        #expect(roles == [.ruleSYNFIN, .ruleSYNFIN, .ruleHTTP, .normal, .ruleDuplicateAck, .ruleDuplicateAck, .ruleRetransmission, .ruleZeroWindow],
                "\(roles)")
        // The selected packet's tree has the analysis, as tshark -V shows it; moving back re-reads.
        for n in [7, 8, 3] {
            m.select(n)
            let d = m.selectedPacket!.dissection
            #expect(d.field("tcp.stream")?.value == .uint(0) && d.field("tcp.seq")?.value == .uint(1), "packet \(n)")
            #expect((d.field("tcp.analysis.retransmission") != nil) == (n == 7) && (d.field("tcp.analysis.zero_window") != nil) == (n == 8))
        }
        // A theme that predates these rules draws them as its retransmission rule, or normal.
        var old = Theme.builtIn
        old.styles[.ruleDuplicateAck] = nil
        #expect(old[.ruleDuplicateAck] == old[.ruleRetransmission])
    }

    /// `S`: the Info column's TCP numbers as tcpdump -nn prints them without -S, checked against
    /// the real tcpdump on the same packets.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump"), "needs tcpdump"))
    func relativeNumbersAreTcpdumpsWithoutDashS() throws {
        let m = Self.monitor()
        let path = "/tmp/tunscope-relative-test-\(getpid()).pcap"
        defer { unlink(path) }
        let writer = try CaptureFileWriter(path: path, linkType: .raw)
        for p in m.store.packets(numbered: 1...m.store.newestNumber) { writer.write(p.packet) }
        try writer.close()
        let tcpdump = Process()
        tcpdump.executableURL = URL(fileURLWithPath: "/usr/bin/tcpdump")
        tcpdump.arguments = ["-nn", "-t", "-r", path]
        let out = Pipe()
        tcpdump.standardOutput = out
        tcpdump.standardError = FileHandle.nullDevice
        try tcpdump.run()
        let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        tcpdump.waitUntilExit()
        m.handle(.character("S"))
        #expect(m.relativeNumbers && m.message?.text.hasPrefix("TCP numbers relative") == true)
        let rows = (1...m.store.newestNumber).map { n in
            PacketRow(m.store.packet(number: n)!, linkType: .raw, tcpdumpOffsets: m.streams.tcpdumpOffsets(ofPacket: n)).info
        }
        #expect(rows == expected.map { PacketRow.info(fromSummary: $0) }, "\(rows)\n\(expected)")
        #expect(rows.contains { $0.contains("seq 1:23") }, "the response numbered from the SYN-ACK, not raw: \(rows)")
    }

    @Test func followOnAPacketWithNoStreamSaysSo() {
        let store = PacketStore()
        let ping = PacketBuilder.build(ip: .v4(IPv4Repr(source: Self.client, destination: Self.server, proto: .icmp)),
                                       transport: ICMPv4Repr(.echoRequest(identifier: 1, sequence: 1, data: [])))
        store.append(CapturedPacket(bytes: ping, seconds: 1, microseconds: 0), direction: .received)
        let m = Monitor(store: store, host: nil, linkType: .raw, sourceName: "x", theme: .builtIn, lines: .unicode)
        _ = m.refresh(now: 1)
        m.handle(.character("f"))
        #expect(m.message?.text == "packet 1 is not TCP or UDP: there is no stream to follow" && m.following == nil)
    }
}
