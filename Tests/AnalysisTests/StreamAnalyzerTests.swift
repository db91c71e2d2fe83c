import Testing
import Wire
@testable import Analysis

/// The stream analyzer on built sequences: numbering, relative numbers, the analysis flags a
/// handful of segments must raise, packets that are not TCP or UDP, headers cut short, IPv6,
/// fields added to the dissection, and the bound on what it keeps.
struct StreamAnalyzerTests {
    typealias T = TCPConnectionTrackerTests
    static let client = T.client, server = T.server

    static func udp(_ from: (IPAddress, UInt16), _ to: (IPAddress, UInt16), _ payload: Bytes = [1, 2, 3]) -> Bytes {
        PacketBuilder.build(ip: IPRepr(source: from.0, destination: to.0, proto: .udp)!,
                            transport: UDPRepr(sourcePort: from.1, destinationPort: to.1), payload: payload)
    }

    /// Analyses packets numbered from 1, a millisecond apart.
    static func analyse(_ packets: [Bytes], linkType: LinkType = .raw, into a: inout StreamAnalyzer) -> [PacketAnalysis] {
        var out: [PacketAnalysis] = []
        for p in packets { out.append(a.analyze(p, number: out.count + 1, microseconds: T.t0 + Int64(out.count) * 1000)) }
        return out
    }

    static func analyse(_ packets: [Bytes], linkType: LinkType = .raw) -> [PacketAnalysis] {
        var a = StreamAnalyzer(linkType: linkType)
        return analyse(packets, linkType: linkType, into: &a)
    }

    static let c = T.clientISN, s = T.serverISN

    @Test func handshakeDataAndAcknowledgment() {
        let r = Self.analyse([
            T.c2s(Self.c, 0, .syn), T.s2c(Self.s, Self.c &+ 1, [.syn, .ack]), T.c2s(Self.c &+ 1, Self.s &+ 1, .ack),
            T.c2s(Self.c &+ 1, Self.s &+ 1, [.psh, .ack], payload: Bytes(repeating: 7, count: 100)),
            T.s2c(Self.s &+ 1, Self.c &+ 101, .ack),
        ]).map { $0.tcp! }
        #expect(r.map(\.stream) == [0, 0, 0, 0, 0])
        #expect(r.map(\.seq) == [0, 0, 1, 1, 1])
        #expect(r.map(\.ack) == [0, 1, 1, 1, 101])
        #expect(r.map(\.nextSeq) == [1, 1, 1, 101, 1])
        #expect(r.map(\.completeness) == [0, 1, 3, 7, 15])
        #expect(r[1].acksFrame == 1 && r[1].ackRTT == 1_000_000)
        #expect(r[2].initialRTT == 2_000_000)
        #expect(r[3].bytesInFlight == 100 && r[3].pushBytesSent == 100)
        #expect(r[4].acksFrame == 4 && r[4].flags.isEmpty)
        #expect(r.map(\.sincePrevious) == [0, 1_000_000, 1_000_000, 1_000_000, 1_000_000])
    }

    @Test func retransmissionDuplicateAcksAndFastRetransmission() {
        let data = Bytes(repeating: 1, count: 10)
        let r = Self.analyse([
            T.c2s(Self.c, 0, .syn), T.s2c(Self.s, Self.c &+ 1, [.syn, .ack]), T.c2s(Self.c &+ 1, Self.s &+ 1, .ack),
            T.c2s(Self.c &+ 1, Self.s &+ 1, .ack, payload: data),
            T.c2s(Self.c &+ 21, Self.s &+ 1, .ack, payload: data),  // 11 to 21 never seen
            T.s2c(Self.s &+ 1, Self.c &+ 11, .ack), T.s2c(Self.s &+ 1, Self.c &+ 11, .ack), T.s2c(Self.s &+ 1, Self.c &+ 11, .ack),
            T.c2s(Self.c &+ 11, Self.s &+ 1, .ack, payload: data),
        ]).map { $0.tcp! }
        #expect(r[4].flags == .lostSegment)
        #expect(r[6].flags == .duplicateAck && r[6].duplicateAckNumber == 1 && r[6].duplicateAckFrame == 6)
        #expect(r[7].duplicateAckNumber == 2)
        #expect(r[8].flags == .fastRetransmission)
    }

    @Test func portsReusedStartANewStream() {
        let r = Self.analyse([
            T.c2s(Self.c, 0, .syn), T.s2c(Self.s, Self.c &+ 1, [.syn, .ack]), T.c2s(Self.c &+ 1, Self.s &+ 1, .rst),
            T.c2s(Self.c, 0, .syn),  // the same ISN: a retransmission in the same stream
            T.c2s(Self.c &+ 5000, 0, .syn),  // another: a new stream
            Self.udp((Self.client, 5000), (Self.server, 53)), Self.udp((Self.server, 53), (Self.client, 5000)),
        ])
        #expect(r.compactMap { $0.tcp?.stream } == [0, 0, 0, 0, 1])
        #expect(r[3].tcp!.flags.contains(.retransmission))
        #expect(r[4].tcp!.flags == .reusedPorts && r[4].tcp!.completeness == 1)
        #expect(r.compactMap { $0.udp?.stream } == [0, 0])
    }

    @Test func notTCPOrUDPAndShortHeadersAreLeftAlone() {
        let syn = T.referenceSYN
        var a = StreamAnalyzer(linkType: .raw)
        #expect(a.analyze([], number: 1, microseconds: 0) == .none)
        #expect(a.analyze([0x45, 0, 0], number: 2, microseconds: 0) == .none)
        // Every prefix of a SYN too short for its first 16 TCP bytes is nothing; from there it is TCP.
        for n in 0..<syn.count {
            var b = StreamAnalyzer(linkType: .raw)
            let r = b.analyze(Bytes(syn[..<n]), number: 1, microseconds: 0, wireLength: syn.count)
            #expect((r.tcp != nil) == (n >= 36), "prefix \(n)")
        }
        // An ICMP echo, an ARP frame on Ethernet.
        let echo = PacketBuilder.build(ip: IPRepr(source: Self.client, destination: Self.server, proto: .icmp)!,
                                       transport: ICMPv4Repr(.echoRequest(identifier: 1, sequence: 1, data: [])))
        #expect(a.analyze(echo, number: 3, microseconds: 0) == .none)
        #expect(a.conversationCount == 0)
    }

    @Test func ipv6AndEthernet() {
        let c6 = IPAddress("2001:db8::1")!, s6 = IPAddress("2001:db8::2")!
        let syn = T.segment((c6, 1000), (s6, 80), seq: 7, .syn)
        let synAck = T.segment((s6, 80), (c6, 1000), seq: 70, ack: 8, [.syn, .ack])
        let r = Self.analyse([syn, synAck])
        #expect(r.map { $0.tcp?.seq } == [0, 0] && r[1].tcp?.acksFrame == 1)
        let frame: Bytes = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd] + syn
        #expect(Self.analyse([frame], linkType: .ethernet)[0].tcp?.stream == 0)
    }

    @Test func fieldsGoIntoTheTCPLayer() {
        let packets = [T.c2s(Self.c, 0, .syn), T.s2c(Self.s, Self.c &+ 1, [.syn, .ack])]
        let r = Self.analyse(packets)
        var d = Dissector.dissect(packets[1], linkType: .raw, wireLength: packets[1].count, describing: false)
        d.add(r[1])
        #expect(d.field("tcp.stream")?.value == .uint(0))
        #expect(d.field("tcp.seq")?.value == .uint(0) && d.field("tcp.ack")?.value == .uint(1))
        #expect(d.field("tcp.analysis.acks_frame")?.value == .uint(1))
        #expect(d.field("tcp.analysis.ack_rtt")?.value == .seconds(nanoseconds: 1_000_000))
        // The tree has them in tshark's order (JSON, which does not care, at the layer's end).
        var tree = Dissector.dissect(packets[1], linkType: .raw, wireLength: packets[1].count)
        tree.add(r[1])
        let names = tree.layer("tcp")!.fields.map { $0.name.description }
        #expect(names.firstIndex(of: "tcp.stream")! < names.firstIndex(of: "tcp.seq")!)
        #expect(names.firstIndex(of: "tcp.seq")! < names.firstIndex(of: "tcp.seq_raw")!)
        #expect(tree.layer("tcp")!.title.hasSuffix("Seq: 0, Ack: 1, Len: 0"))
    }

    /// Past the bound the least recently active conversations are forgotten, and counted.
    @Test func stateIsBounded() {
        var a = StreamAnalyzer(linkType: .raw, maximumConversations: 64)
        for i in 0..<1000 {
            _ = a.analyze(Self.udp((Self.client, UInt16(1000 + i)), (Self.server, 53)), number: i + 1, microseconds: Int64(i))
        }
        #expect(a.conversationCount <= 64)
        #expect(a.forgottenConversations >= 1000 - 64)
        // A forgotten conversation comes back under a new number.
        let again = a.analyze(Self.udp((Self.client, 1000), (Self.server, 53)), number: 1001, microseconds: 1001)
        #expect(again.udp?.stream == 1000)
    }

    @Test func tcpdumpRelativeNumbers() {
        var t = TcpdumpSequenceTracker(linkType: .raw)
        #expect(t.offsets(T.c2s(Self.c, 0, .syn)) == nil)  // no ACK: raw, recorded nowhere
        #expect(t.offsets(T.s2c(Self.s, Self.c &+ 1, [.syn, .ack])) == TCPNumberOffsets(seq: 0, ack: 0, sack: Self.c))
        #expect(t.offsets(T.c2s(Self.c &+ 1, Self.s &+ 1, .ack)) == TCPNumberOffsets(seq: Self.c, ack: Self.s, sack: Self.s))
        #expect(t.offsets(T.s2c(Self.s &+ 1, Self.c &+ 1, .ack)) == TCPNumberOffsets(seq: Self.s, ack: Self.c, sack: Self.c))
    }
}

/// `PacketAnalysis.providesField` is what lets `print -Y` skip stream analysis for a filter that
/// reads none of its fields: every field the analysis adds or changes must be named by it.
struct AnalysisFieldNamesTests {
    typealias T = TCPConnectionTrackerTests

    static func fields(_ d: Dissection) -> [String] {
        d.layers.flatMap { layer in layer.fields.map { "\($0.name)=\($0.value)" } }
    }

    @Test func everyFieldTheAnalysisAddsOrChangesIsNamed() {
        let c = T.clientISN, s = T.serverISN, data = Bytes(repeating: 1, count: 10)
        let synOptions: [TCPOption] = [.mss(1460), .windowScale(7), .sackPermitted]
        func tcp(_ from: (IPAddress, UInt16), _ to: (IPAddress, UInt16), _ seq: UInt32, _ ack: UInt32, _ flags: TCPFlags,
                 options: [TCPOption] = [], payload: Bytes = []) -> Bytes {
            PacketBuilder.build(ip: IPRepr(source: from.0, destination: to.0, proto: .tcp)!,
                                transport: TCPRepr(sourcePort: from.1, destinationPort: to.1, sequenceNumber: seq, acknowledgmentNumber: ack,
                                                   flags: flags, window: 0, options: options), payload: payload)
        }
        let a = (T.client, UInt16(30732)), b = (T.server, UInt16(80))
        let packets = [
            tcp(a, b, c, 0, .syn, options: synOptions), tcp(b, a, s, c &+ 1, [.syn, .ack], options: synOptions),
            tcp(a, b, c &+ 1, s &+ 1, .ack, payload: data), tcp(a, b, c &+ 1, s &+ 1, .ack, payload: data),
            tcp(b, a, s &+ 1, c &+ 1, .ack, options: [.sack([TCPSACKBlock(left: c &+ 11, right: c &+ 21)])]),
            tcp(b, a, s &+ 1, c &+ 11, .ack), tcp(b, a, s &+ 1, c &+ 11, .ack),
            StreamAnalyzerTests.udp((T.client, 5353), (T.server, 53)), StreamAnalyzerTests.udp((T.server, 53), (T.client, 5353)),
        ]
        var analyzer = StreamAnalyzer(linkType: .raw)
        var checked = 0
        for (i, p) in packets.enumerated() {
            let plain = Dissector.dissect(p, linkType: .raw, describing: false)
            var analysed = plain
            analysed.add(analyzer.analyze(p, number: i + 1, microseconds: T.t0 + Int64(i) * 1000))
            // What the analysis added or changed, as name=value, less what the plain decode had.
            var before = Self.fields(plain)
            for f in Self.fields(analysed) {
                if let at = before.firstIndex(of: f) { before.remove(at: at); continue }
                let name = String(f.prefix { $0 != "=" })
                // A tree heading ("text": [Timestamps]) is no field a filter can name.
                guard FieldRegistry.type(of: name) != nil else { continue }
                #expect(PacketAnalysis.providesField(name), "packet \(i + 1): \(name) comes from the analysis but is not named")
                checked += 1
            }
        }
        #expect(checked > 40, "the analysis changed too few fields for the check to mean much")
    }
}
