import Testing
import Wire
@testable import Probe

/// The handshake engine driven with an injected clock: every transition, no waiting, no device.
/// The "server" is a few lines that build the segments a Linux peer would send.
struct TCPProbeTests {
    static let me = IPAddress("192.0.2.2")!
    static let server = IPAddress("192.0.2.1")!
    static let t0: Microseconds = 1_700_000_000_000_000

    /// A prober with one connection to server:80 started at t0; the SYN it wrote.
    static func started(_ change: (inout TCPProbeConfig) -> Void = { _ in }) -> (Prober, Bytes) {
        var p = Prober(ownAddresses: [me], seed: 42)
        var config = p.tcpConfig(from: me, to: server, port: 80)
        change(&config)
        let (_, out) = p.connect(config, now: t0)
        #expect(out.count == 1)
        return (p, out[0])
    }

    /// What the server sends: a segment to the probe's port.
    static func segment(_ p: Prober, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, payload: Bytes = [],
                        options: [TCPOption] = [], from: IPAddress = server) -> Bytes {
        let c = p.connections[0].config
        let tcp = TCPRepr(sourcePort: c.destinationPort, destinationPort: c.sourcePort, sequenceNumber: seq,
                          acknowledgmentNumber: ack, flags: flags, window: 65160, options: options)
        return PacketBuilder.build(ip: IPRepr(source: from, destination: c.source, proto: .tcp)!, transport: tcp, payload: payload)
    }

    static func tcp(_ packet: Bytes) -> TCPRepr {
        let ip = IPPacket(packet)!
        return TCPSegment(ip)!.header
    }

    static let serverISN: UInt32 = 1_000_000

    /// A probe that has finished the handshake (the SYN-ACK came 52 us after the SYN).
    static func established(_ change: (inout TCPProbeConfig) -> Void = { _ in }) -> (Prober, [Bytes]) {
        var (p, _) = started(change)
        let iss = p.connections[0].config.initialSequence
        let out = p.received(segment(p, [.syn, .ack], seq: serverISN, ack: iss &+ 1,
                                     options: [.mss(1460), .sackPermitted, .timestamps(value: 99, echoReply: 1), .nop, .windowScale(7)]),
                             time: t0 + 52, number: 2)
        return (p, out)
    }

    @Test func theSYNCarriesLinuxsOptionsInLinuxsOrderWithGoodChecksums() {
        let (p, syn) = Self.started()
        let d = Dissector.dissect(syn, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.field("ip.checksum.status")?.value == .uint(1))
        #expect(d.field("tcp.checksum.status")?.value == .uint(1))
        let h = Self.tcp(syn)
        #expect(h.flags == .syn)
        #expect(h.window == 64240)
        #expect(h.sequenceNumber == p.connections[0].config.initialSequence)
        let kinds = h.options.map(\.kind)
        #expect(kinds == [2, 4, 8, 1, 3], "MSS, SACK permitted, timestamps, NOP, window scale")
        #expect(h.options.first == .mss(1460))
        #expect(p.connections[0].state == .synSent)
        #expect(p.connections[0].deadline == Self.t0 + 1_000_000)
    }

    @Test func optionsAreConfigurable() {
        let (_, syn) = Self.started {
            $0.mss = 536
            $0.sackPermitted = false
            $0.timestamps = false
            $0.windowScale = nil
        }
        #expect(Self.tcp(syn).options == [.mss(536)])
    }

    @Test func theRightSynAckIsAcknowledgedAndTheRoundTripRecorded() {
        let (p, out) = Self.established()
        let c = p.connections[0]
        #expect(c.state == .finWait1, "with nothing to send it closes at once")
        #expect(c.outcome == .established)
        #expect(c.rtt == 52)
        #expect(out.count == 2)
        let ack = Self.tcp(out[0]), fin = Self.tcp(out[1])
        #expect(ack.flags == .ack)
        #expect(ack.sequenceNumber == c.config.initialSequence &+ 1)
        #expect(ack.acknowledgmentNumber == Self.serverISN &+ 1)
        #expect(ack.window == 501, "64240 scaled by 7")
        #expect(ack.options == [.nop, .nop, .timestamps(value: c.config.timestampOffset &+ UInt32(truncatingIfNeeded: (Self.t0 + 52) / 1000), echoReply: 99)])
        #expect(fin.flags == [.fin, .ack])
        let received = c.timeline[1]
        #expect(received.what == "SYN-ACK")
        #expect(received.relativeSeq == 0 && received.relativeAck == 1)
        #expect(received.note?.contains("rtt=0.052 ms") == true)
        #expect(c.timeline[2].relativeSeq == 1 && c.timeline[2].relativeAck == 1)
    }

    @Test func anUnansweredSYNIsRetriedWithExponentialBackoffThenTimesOut() {
        var (p, _) = Self.started()
        #expect(p.tick(now: Self.t0 + 999_999).isEmpty, "nothing before the timeout")
        var at = Self.t0
        var gaps: [Microseconds] = []
        for _ in 0..<6 {
            let due = p.nextDeadline!
            gaps.append(due - at)
            at = due
            let out = p.tick(now: at)
            #expect(out.count == 1)
            #expect(Self.tcp(out[0]).flags == .syn)
            #expect(Self.tcp(out[0]).sequenceNumber == p.connections[0].config.initialSequence)
        }
        #expect(gaps == [1, 2, 4, 8, 16, 32].map { $0 * 1_000_000 }, "Linux: 1 s, doubled each time")
        let last = p.nextDeadline!
        #expect(last - at == 64_000_000)
        #expect(p.tick(now: last).isEmpty)
        #expect(p.connections[0].state == .timeout)
        #expect(p.connections[0].outcome == .timeout)
        #expect(p.isIdle)
        #expect(p.connections[0].timeline.filter { $0.note?.hasPrefix("retransmission #") == true }.count == 6)
    }

    @Test func retriesAndTheFirstTimeoutAreSettable() {
        var (p, _) = Self.started {
            $0.synRetries = 1
            $0.firstTimeout = 200_000
        }
        #expect(p.tick(now: Self.t0 + 200_000).count == 1)
        #expect(p.tick(now: Self.t0 + 599_999).isEmpty)
        #expect(p.tick(now: Self.t0 + 600_000).isEmpty)
        #expect(p.connections[0].outcome == .timeout)
    }

    @Test func aResetAcknowledgingTheSYNMeansRefused() {
        var (p, _) = Self.started()
        let iss = p.connections[0].config.initialSequence
        let out = p.received(Self.segment(p, [.rst, .ack], seq: 0, ack: iss &+ 1), time: Self.t0 + 40, number: 2)
        #expect(out.isEmpty)
        #expect(p.connections[0].state == .refused)
        #expect(p.connections[0].outcome == .refused)
        #expect(p.connections[0].deadline == nil)
    }

    @Test func aResetWithoutACKOrWithAnotherAckIsIgnoredInSynSent() {
        var (p, _) = Self.started()
        let iss = p.connections[0].config.initialSequence
        _ = p.received(Self.segment(p, .rst, seq: 0), time: Self.t0 + 40, number: 2)
        _ = p.received(Self.segment(p, [.rst, .ack], seq: 0, ack: iss &+ 7), time: Self.t0 + 50, number: 3)
        #expect(p.connections[0].state == .synSent)
        #expect(p.connections[0].timeline.last?.note?.contains("ignored") == true)
    }

    @Test func aSynAckWithTheWrongAckIsAnsweredWithAResetAndTheSYNRetried() {
        var (p, _) = Self.started()
        let iss = p.connections[0].config.initialSequence
        let out = p.received(Self.segment(p, [.syn, .ack], seq: Self.serverISN, ack: iss &+ 5000), time: Self.t0 + 40, number: 2)
        #expect(out.count == 1)
        let rst = Self.tcp(out[0])
        #expect(rst.flags == .rst, "RFC 9293: <SEQ=SEG.ACK><CTL=RST>")
        #expect(rst.sequenceNumber == iss &+ 5000)
        #expect(p.connections[0].state == .synSent)
        #expect(p.tick(now: Self.t0 + 1_000_000).count == 1, "the SYN is retried")
        _ = p.received(Self.segment(p, [.syn, .ack], seq: Self.serverISN, ack: iss &+ 1), time: Self.t0 + 1_000_060, number: 5)
        #expect(p.connections[0].outcome == .established)
        #expect(p.connections[0].rtt == 60, "measured from the SYN it answers, the retransmission")
    }

    @Test func aDuplicateSynAckIsAcknowledgedAgain() {
        var (p, _) = Self.established { $0.request = Array("GET /".utf8) }
        let iss = p.connections[0].config.initialSequence
        let out = p.received(Self.segment(p, [.syn, .ack], seq: Self.serverISN, ack: iss &+ 1), time: Self.t0 + 1_000, number: 5)
        #expect(out.count == 1)
        #expect(Self.tcp(out[0]).flags == .ack)
        #expect(Self.tcp(out[0]).acknowledgmentNumber == Self.serverISN &+ 1)
        #expect(p.connections[0].state == .established)
    }

    @Test func anICMPUnreachableQuotingTheSYNMeansUnreachable() {
        var (p, syn) = Self.started()
        let router = IPv4Address("192.0.2.1")!
        let icmp = ICMPv4Repr(.destinationUnreachable(code: 1, nextHopMTU: 0, datagram: Array(syn.prefix(28))))
        let packet = PacketBuilder.build(ip: .v4(IPv4Repr(source: router, destination: IPv4Address("192.0.2.2")!, proto: .icmp)),
                                         transport: icmp)
        _ = p.received(packet, time: Self.t0 + 300, number: 2)
        #expect(p.connections[0].state == .unreachable)
        #expect(p.connections[0].outcome == .unreachable(code: 1))
        #expect(p.connections[0].timeline.last?.what == "ICMP host unreachable")
        #expect(p.connections[0].timeline.last?.note?.hasPrefix("UNREACHABLE") == true)
    }

    @Test func anICMPv6UnreachableQuotingTheSYNMeansUnreachable() {
        let me6 = IPAddress("2001:db8::2")!, server6 = IPAddress("2001:db8::1")!
        var p = Prober(ownAddresses: [me6], seed: 1)
        let (_, out) = p.connect(p.tcpConfig(from: me6, to: server6, port: 80), now: Self.t0)
        #expect(Dissector.dissect(out[0], linkType: .raw).field("tcp.checksum.status")?.value == .uint(1))
        let error = PacketBuilder.build(ip: IPRepr(source: server6, destination: me6, proto: .icmpv6)!,
                                        transport: ICMPv6Repr(type: 1, code: 4), payload: Array(out[0].prefix(48)))
        _ = p.received(error, time: Self.t0 + 10, number: 2)
        #expect(p.connections[0].outcome == .unreachable(code: 4))
    }

    @Test func noAckModeRecordsTheServersRetransmissionsThenResets() {
        var (p, _) = Self.started { $0.watchWithoutAck = 4_000_000 }
        let iss = p.connections[0].config.initialSequence
        let synAck = Self.segment(p, [.syn, .ack], seq: Self.serverISN, ack: iss &+ 1)
        #expect(p.received(synAck, time: Self.t0 + 50, number: 2).isEmpty, "no ACK")
        #expect(p.connections[0].state == .halfOpen)
        #expect(p.received(synAck, time: Self.t0 + 1_000_050, number: 3).isEmpty)
        #expect(p.received(synAck, time: Self.t0 + 3_000_050, number: 4).isEmpty)
        #expect(p.connections[0].timeline.last?.note == "the server's retransmission #2, 3.000 s after the first")
        let out = p.tick(now: Self.t0 + 4_000_050)
        #expect(out.count == 1)
        #expect(Self.tcp(out[0]).flags == .rst)
        #expect(Self.tcp(out[0]).sequenceNumber == iss &+ 1)
        #expect(p.connections[0].outcome == .answered)
        #expect(p.isIdle)
    }

    @Test func aRequestIsSentTheResponseAcknowledgedAndBothSidesClose() {
        let request = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        var (p, out) = Self.established { $0.request = request }
        let iss = p.connections[0].config.initialSequence
        #expect(out.count == 2)
        let data = Self.tcp(out[1])
        #expect(data.flags == [.psh, .ack])
        #expect(IPPacket(out[1])!.payload.count - 32 == request.count)
        // The server acknowledges the request, sends the page, then closes.
        var s = Self.serverISN &+ 1
        _ = p.received(Self.segment(p, .ack, seq: s, ack: iss &+ 1 &+ UInt32(request.count)), time: Self.t0 + 100, number: 5)
        let page = Array("HTTP/1.1 200 OK\r\n\r\nhello".utf8)
        out = p.received(Self.segment(p, [.psh, .ack], seq: s, ack: iss &+ 1 &+ UInt32(request.count), payload: page),
                         time: Self.t0 + 200, number: 6)
        s &+= UInt32(page.count)
        #expect(out.count == 1 && Self.tcp(out[0]).acknowledgmentNumber == s)
        out = p.received(Self.segment(p, [.fin, .ack], seq: s, ack: iss &+ 1 &+ UInt32(request.count)), time: Self.t0 + 300, number: 7)
        #expect(out.count == 1, "our FIN acknowledges theirs")
        #expect(Self.tcp(out[0]).flags == [.fin, .ack])
        #expect(Self.tcp(out[0]).acknowledgmentNumber == s &+ 1)
        #expect(p.connections[0].state == .lastAck)
        _ = p.received(Self.segment(p, .ack, seq: s &+ 1, ack: iss &+ 2 &+ UInt32(request.count)), time: Self.t0 + 400, number: 9)
        #expect(p.connections[0].state == .closed)
        #expect(p.connections[0].response == page)
        #expect(p.isIdle)
    }

    @Test func outOfOrderDataIsNotKeptAndTheAckRepeated() {
        var (p, _) = Self.established { $0.request = [1] }
        let iss = p.connections[0].config.initialSequence
        let out = p.received(Self.segment(p, .ack, seq: Self.serverISN &+ 100, ack: iss &+ 2, payload: [7, 7]),
                             time: Self.t0 + 100, number: 5)
        #expect(out.count == 1 && Self.tcp(out[0]).acknowledgmentNumber == Self.serverISN &+ 1)
        #expect(p.connections[0].response.isEmpty)
    }

    @Test func unacknowledgedDataIsRetransmittedThenTheConnectionReset() {
        var (p, _) = Self.established {
            $0.request = [1, 2, 3]
            $0.dataRetries = 2
        }
        var at = Self.t0
        var kinds: [TCPFlags] = []
        while let due = p.nextDeadline, due < Self.t0 + 60_000_000 {
            at = due
            kinds += p.tick(now: at).map { Self.tcp($0).flags }
        }
        #expect(kinds == [[.psh, .ack], [.psh, .ack], [.rst, .ack]])
        #expect(p.connections[0].state == .closed)
    }

    @Test func resetsInEveryState() {
        // Established: the exact next sequence number closes it; in the window: a challenge ACK; outside: ignored.
        var (p, _) = Self.established { $0.request = [1] }
        let next = Self.serverISN &+ 1
        #expect(p.received(Self.segment(p, .rst, seq: next &+ 1_000_000_000), time: Self.t0 + 90, number: 4).isEmpty)
        let challenge = p.received(Self.segment(p, .rst, seq: next &+ 10), time: Self.t0 + 100, number: 5)
        #expect(challenge.count == 1 && Self.tcp(challenge[0]).flags == .ack)
        #expect(p.connections[0].state == .established)
        #expect(p.received(Self.segment(p, .rst, seq: next), time: Self.t0 + 200, number: 6).isEmpty)
        #expect(p.connections[0].state == .closed)
        #expect(p.connections[0].outcome == .established, "the handshake's outcome stays")

        // FIN-WAIT-1 (closing at once after the handshake).
        var (q, _) = Self.established()
        #expect(q.connections[0].state == .finWait1)
        _ = q.received(Self.segment(q, [.rst, .ack], seq: next), time: Self.t0 + 100, number: 5)
        #expect(q.connections[0].state == .closed)

        // Half-open (--no-ack): the server giving up.
        var (h, _) = Self.started { $0.watchWithoutAck = 10_000_000 }
        let iss = h.connections[0].config.initialSequence
        _ = h.received(Self.segment(h, [.syn, .ack], seq: Self.serverISN, ack: iss &+ 1), time: Self.t0 + 50, number: 2)
        _ = h.received(Self.segment(h, .rst, seq: next), time: Self.t0 + 60, number: 3)
        #expect(h.connections[0].state == .closed)
        #expect(h.connections[0].outcome == .answered)

        // After the end: noted, nothing sent.
        var (r, _) = Self.started()
        _ = r.received(Self.segment(r, [.rst, .ack], seq: 0, ack: iss), time: Self.t0 + 1, number: 2)
        _ = r.received(Self.segment(r, [.rst, .ack], seq: 0, ack: r.connections[0].config.initialSequence &+ 1), time: Self.t0 + 2, number: 3)
        #expect(r.connections[0].state == .refused)
        #expect(r.received(Self.segment(r, .rst, seq: 0), time: Self.t0 + 3, number: 4).isEmpty)
        #expect(r.connections[0].timeline.last?.note?.contains("after the connection ended") == true)
    }

    /// A RST in each closing state (RFC 9293 3.10.7.4, RFC 5961 3.2): exactly the next sequence
    /// number closes the connection and nothing is sent; inside the window but not exact, a
    /// challenge ACK and the state stays; outside the window, ignored.
    @Test(arguments: [TCPProbeState.finWait2, .closing, .lastAck, .timeWait])
    func resetsInTheClosingStates(state: TCPProbeState) {
        var (p, _) = Self.established { if state == .lastAck { $0.request = [1] } }
        let iss = p.connections[0].config.initialSequence
        var next = Self.serverISN &+ 1
        switch state {
        case .finWait2:
            // The server acknowledges our FIN and keeps its side open.
            _ = p.received(Self.segment(p, .ack, seq: next, ack: iss &+ 2), time: Self.t0 + 100, number: 5)
        case .closing:
            // Both FINs cross: the server's does not acknowledge ours.
            _ = p.received(Self.segment(p, [.fin, .ack], seq: next, ack: iss &+ 1), time: Self.t0 + 100, number: 5)
            next &+= 1
        case .lastAck:
            // The server acknowledges the request and closes; our FIN answers its FIN.
            let out = p.received(Self.segment(p, [.fin, .ack], seq: next, ack: iss &+ 2), time: Self.t0 + 100, number: 5)
            #expect(out.count == 1 && Self.tcp(out[0]).flags == [.fin, .ack])
            next &+= 1
        default:
            // The server acknowledges our FIN, then closes its side.
            _ = p.received(Self.segment(p, .ack, seq: next, ack: iss &+ 2), time: Self.t0 + 100, number: 5)
            let out = p.received(Self.segment(p, [.fin, .ack], seq: next, ack: iss &+ 2), time: Self.t0 + 150, number: 6)
            #expect(out.count == 1 && Self.tcp(out[0]).acknowledgmentNumber == next &+ 1, "the FIN is acknowledged")
            next &+= 1
        }
        #expect(p.connections[0].state == state)
        #expect(p.received(Self.segment(p, .rst, seq: next &+ 1_000_000_000), time: Self.t0 + 200, number: 7).isEmpty)
        #expect(p.connections[0].timeline.last?.note?.contains("outside the window: ignored") == true)
        #expect(p.connections[0].state == state)
        let challenge = p.received(Self.segment(p, .rst, seq: next &+ 10), time: Self.t0 + 300, number: 8)
        #expect(challenge.count == 1 && Self.tcp(challenge[0]).flags == .ack && Self.tcp(challenge[0]).acknowledgmentNumber == next,
                "challenge ACK (RFC 5961)")
        #expect(p.connections[0].state == state)
        #expect(p.received(Self.segment(p, [.rst, .ack], seq: next, ack: iss &+ 2), time: Self.t0 + 400, number: 9).isEmpty,
                "nothing answers a reset")
        #expect(p.connections[0].state == .closed, "\(state)")
        #expect(p.connections[0].timeline.last?.note?.contains("reset by the peer") == true)
        #expect(p.connections[0].outcome == .established, "the handshake's outcome stays")
        #expect(p.nextDeadline == nil && p.isIdle, "no timer left: nothing is sent later")
        #expect(p.tick(now: Self.t0 + 600_000_000).isEmpty)
    }

    @Test func aPeerThatNeverClosesIsResetAfterTheWait() {
        var (p, _) = Self.established { $0.responseWait = 2_000_000 }
        let iss = p.connections[0].config.initialSequence
        _ = p.received(Self.segment(p, .ack, seq: Self.serverISN &+ 1, ack: iss &+ 2), time: Self.t0 + 100, number: 5)
        #expect(p.connections[0].state == .finWait2)
        let out = p.tick(now: Self.t0 + 2_000_100)
        #expect(out.count == 1 && Self.tcp(out[0]).flags == [.rst, .ack])
        #expect(p.isIdle)
    }

    @Test func abortingResetsOpenConnections() {
        var (p, _) = Self.established { $0.request = [1] }
        let out = p.abortAll(now: Self.t0 + 500)
        #expect(out.count == 1 && Self.tcp(out[0]).flags == [.rst, .ack])
        #expect(p.isIdle)
    }

    @Test func connectionsAreToldApartByPorts() {
        var p = Prober(ownAddresses: [Self.me], seed: 7)
        let a = p.tcpConfig(from: Self.me, to: Self.server, port: 80)
        _ = p.connect(a, now: Self.t0)
        let b = p.tcpConfig(from: Self.me, to: Self.server, port: 80)
        _ = p.connect(b, now: Self.t0)
        #expect(a.sourcePort != b.sourcePort)
        let synAck = PacketBuilder.build(
            ip: IPRepr(source: Self.server, destination: Self.me, proto: .tcp)!,
            transport: TCPRepr(sourcePort: 80, destinationPort: b.sourcePort, sequenceNumber: 5,
                               acknowledgmentNumber: b.initialSequence &+ 1, flags: [.syn, .ack]))
        _ = p.received(synAck, time: Self.t0 + 10, number: 3)
        #expect(p.connections[0].state == .synSent)
        #expect(p.connections[1].outcome == .established)
    }

    @Test func aSegmentWithABadChecksumIsDropped() {
        var (p, _) = Self.started()
        var synAck = Self.segment(p, [.syn, .ack], seq: Self.serverISN, ack: p.connections[0].config.initialSequence &+ 1)
        synAck[36] ^= 0xff  // the TCP checksum
        #expect(p.received(synAck, time: Self.t0 + 10, number: 2).isEmpty)
        #expect(p.connections[0].state == .synSent)
        #expect(p.hostTimeline.last?.note?.contains("bad TCP checksum") == true)
    }

    @Test func aSegmentForNoConnectionIsReset() {
        var p = Prober(ownAddresses: [Self.me], seed: 3)
        let syn = PacketBuilder.build(ip: IPRepr(source: Self.server, destination: Self.me, proto: .tcp)!,
                                      transport: TCPRepr(sourcePort: 5555, destinationPort: 22, sequenceNumber: 100, flags: .syn))
        let out = p.received(syn, time: Self.t0, number: 1)
        #expect(out.count == 1)
        let rst = Self.tcp(out[0])
        #expect(rst.flags == [.rst, .ack])
        #expect(rst.acknowledgmentNumber == 101)
        // Not for addresses that are not ours, and never for a reset.
        let other = PacketBuilder.build(ip: IPRepr(source: Self.server, destination: IPAddress("192.0.2.9")!, proto: .tcp)!,
                                        transport: TCPRepr(sourcePort: 5555, destinationPort: 22, sequenceNumber: 100, flags: .syn))
        #expect(p.received(other, time: Self.t0, number: 2).isEmpty)
    }

    /// What answers a packet sent by hand is shown, once, whatever it is; what does not is not.
    @Test func theAnswersToAResendAreShown() {
        var p = Prober(ownAddresses: [Self.me], seed: 3)
        func ip(_ proto: IPProtocol, from: IPAddress = Self.me, to: IPAddress = Self.server) -> IPRepr {
            IPRepr(source: from, destination: to, proto: proto)!
        }
        let syn = PacketBuilder.build(ip: ip(.tcp), transport: TCPRepr(sourcePort: 40000, destinationPort: 81, sequenceNumber: 7, flags: .syn))
        let udp = PacketBuilder.build(ip: ip(.udp), transport: UDPRepr(sourcePort: 40001, destinationPort: 9999), payload: [1])
        let echo = EchoProbe.echo(request: true, from: Self.me, to: Self.server, identifier: 77, sequence: 5, data: [1, 2])
        for packet in [syn, udp, echo] { _ = p.sendByHand(packet, what: "resent", note: nil, now: Self.t0) }
        func error(_ type: ICMPv4Repr.Message) -> Bytes { PacketBuilder.build(ip: ip(.icmp, from: Self.server, to: Self.me), transport: ICMPv4Repr(type)) }
        let answers: [(Bytes, String)] = [
            (PacketBuilder.build(ip: ip(.tcp, from: Self.server, to: Self.me),
                                 transport: TCPRepr(sourcePort: 81, destinationPort: 40000, sequenceNumber: 0, acknowledgmentNumber: 8,
                                                    flags: [.rst, .ack], window: 0)), "RST-ACK"),
            (PacketBuilder.build(ip: ip(.udp, from: Self.server, to: Self.me), transport: UDPRepr(sourcePort: 9999, destinationPort: 40001)), "UDP"),
            (EchoProbe.echo(request: false, from: Self.server, to: Self.me, identifier: 77, sequence: 5, data: [1, 2]), "echo reply"),
            (error(.destinationUnreachable(code: 3, nextHopMTU: 0, datagram: udp)), "ICMP port unreachable"),
            (error(.timeExceeded(code: 0, datagram: Array(syn.prefix(28)))), "ICMP time exceeded"),
        ]
        for (n, (answer, what)) in answers.enumerated() {
            #expect(p.received(answer, time: Self.t0 + 10, number: n + 4).isEmpty, "an answer to a resend is not answered")
            #expect(p.hostTimeline.last?.what == what && p.hostTimeline.last?.way == .received, "\(p.hostTimeline.last as Any)")
            #expect(p.hostTimeline.last?.note == "answers the resent packet")
        }
        #expect(p.log.count == 3 + answers.count)
        // Not answers: another port, another echo sequence, an error quoting another packet.
        let strangers = [
            PacketBuilder.build(ip: ip(.udp, from: Self.server, to: Self.me), transport: UDPRepr(sourcePort: 9998, destinationPort: 40001)),
            EchoProbe.echo(request: false, from: Self.server, to: Self.me, identifier: 77, sequence: 6, data: [1, 2]),
            error(.destinationUnreachable(code: 3, nextHopMTU: 0, datagram: Array(echo.prefix(24)) + [0, 0, 0, 0])),
        ]
        for s in strangers { _ = p.received(s, time: Self.t0 + 20, number: nil) }
        #expect(p.log.count == 3 + answers.count)
    }

    @Test func theStoreConfirmsSentPacketsInWireOrder() {
        var (p, syn) = Self.started()
        #expect(!p.allSendsConfirmed)
        let confirmed = p.confirmSent(syn, time: Self.t0 + 7, number: 1)
        #expect(confirmed)
        #expect(p.allSendsConfirmed)
        #expect(p.connections[0].timeline[0].time == Self.t0 + 7)
        #expect(p.connections[0].timeline[0].packetNumber == 1)
        #expect(p.connections[0].commandToWire == 7)
        let stranger = p.confirmSent([0x45], time: 0, number: 9)
        #expect(!stranger, "not ours")
        // An answer written while another packet was being read goes after it in the log.
        let iss = p.connections[0].config.initialSequence
        let out = p.received(Self.segment(p, [.syn, .ack], seq: Self.serverISN, ack: iss &+ 1), time: Self.t0 + 30, number: 2)
        _ = p.received(Self.segment(p, .ack, seq: Self.serverISN &+ 1, ack: iss &+ 1), time: Self.t0 + 35, number: 3)
        p.confirmSent(out[0], time: Self.t0 + 40, number: 4)
        p.confirmSent(out[1], time: Self.t0 + 41, number: 5)
        #expect(p.log.map { p.event($0).packetNumber } == [1, 2, 3, 4, 5])
    }
}

/// A held connection (the screen's default): open until the user writes, closes or resets it.
struct HeldConnectionTests {
    typealias T = TCPProbeTests

    static func held() -> (Prober, UInt32) {
        let (p, out) = T.established { $0.hold = true }
        #expect(out.count == 1 && T.tcp(out[0]).flags == .ack, "only the handshake's ACK: no FIN")
        return (p, p.connections[0].config.initialSequence)
    }

    static func payload(_ packet: Bytes) -> Int { TCPSegment(IPPacket(packet)!)!.payload.count }

    @Test func itStaysOpenWithNoTimerUntilTold() {
        var (p, _) = Self.held()
        #expect(p.connections[0].state == .established)
        #expect(p.nextDeadline == nil, "nothing is due: no close after a wait")
        #expect(p.tick(now: T.t0 + 600_000_000).isEmpty)
        #expect(p.connections[0].state == .established)
    }

    @Test func typedDataIsSentInOrderRetransmittedUntilAcknowledgedAndThePeersDataAcknowledged() {
        var (p, iss) = Self.held()
        var out = p.write(Array("hello\r\n".utf8), connection: 0, note: "typed", now: T.t0 + 1_000)
        #expect(out.count == 1)
        var h = T.tcp(out[0])
        #expect(h.flags == [.psh, .ack] && h.sequenceNumber == iss &+ 1 && h.acknowledgmentNumber == T.serverISN &+ 1)
        #expect(Self.payload(out[0]) == 7)
        // A second line before the first is acknowledged follows it; both are retransmitted.
        out = p.write([0x41], connection: 0, note: "typed", now: T.t0 + 2_000)
        h = T.tcp(out[0])
        #expect(out.count == 1 && h.sequenceNumber == iss &+ 8)
        let resent = p.tick(now: p.nextDeadline!)
        #expect(resent.count == 1 && T.tcp(resent[0]).sequenceNumber == iss &+ 1, "one segment with both lines")
        #expect(Self.payload(resent[0]) == 8)
        // Acknowledged: no timer; the peer's answer is acknowledged and kept.
        _ = p.received(T.segment(p, .ack, seq: T.serverISN &+ 1, ack: iss &+ 9), time: T.t0 + 3_000_000, number: 8)
        #expect(p.nextDeadline == nil)
        out = p.received(T.segment(p, [.psh, .ack], seq: T.serverISN &+ 1, ack: iss &+ 9, payload: Array("hi".utf8)),
                         time: T.t0 + 3_000_100, number: 9)
        #expect(out.count == 1 && T.tcp(out[0]).acknowledgmentNumber == T.serverISN &+ 3)
        #expect(p.connections[0].response == Array("hi".utf8))
        #expect(p.connections[0].state == .established && p.nextDeadline == nil)
    }

    @Test func theUserClosesWithFINAndThePeerClosesToo() {
        var (p, iss) = Self.held()
        var out = p.close(connection: 0, now: T.t0 + 1_000)
        #expect(out.count == 1 && T.tcp(out[0]).flags == [.fin, .ack] && T.tcp(out[0]).sequenceNumber == iss &+ 1)
        #expect(p.connections[0].state == .finWait1)
        _ = p.received(T.segment(p, .ack, seq: T.serverISN &+ 1, ack: iss &+ 2), time: T.t0 + 2_000, number: 6)
        #expect(p.connections[0].state == .finWait2)
        out = p.received(T.segment(p, [.fin, .ack], seq: T.serverISN &+ 1, ack: iss &+ 2), time: T.t0 + 3_000, number: 7)
        #expect(out.count == 1 && T.tcp(out[0]).flags == .ack && T.tcp(out[0]).acknowledgmentNumber == T.serverISN &+ 2)
        #expect(p.connections[0].state == .timeWait)
        #expect(p.write([1], connection: 0, note: "typed", now: T.t0 + 4_000).isEmpty, "nothing is sent once closed")
    }

    @Test func whenThePeerClosesFirstOurSideWaitsForTheUser() {
        var (p, iss) = Self.held()
        var out = p.received(T.segment(p, [.fin, .ack], seq: T.serverISN &+ 1, ack: iss &+ 1), time: T.t0 + 1_000, number: 5)
        #expect(out.count == 1 && T.tcp(out[0]).flags == .ack, "the FIN is acknowledged, ours not sent")
        #expect(p.connections[0].state == .closeWait)
        #expect(p.nextDeadline == nil)
        // Still allowed to send (a half-closed connection), then the user closes.
        out = p.write([0x42], connection: 0, note: "typed", now: T.t0 + 2_000)
        #expect(out.count == 1 && T.tcp(out[0]).acknowledgmentNumber == T.serverISN &+ 2)
        _ = p.received(T.segment(p, .ack, seq: T.serverISN &+ 2, ack: iss &+ 2), time: T.t0 + 3_000, number: 7)
        out = p.close(connection: 0, now: T.t0 + 4_000)
        #expect(out.count == 1 && T.tcp(out[0]).flags == [.fin, .ack] && p.connections[0].state == .lastAck)
        _ = p.received(T.segment(p, .ack, seq: T.serverISN &+ 2, ack: iss &+ 3), time: T.t0 + 5_000, number: 9)
        #expect(p.connections[0].state == .closed && p.isIdle)
    }

    @Test func theUserResets() {
        var (p, _) = Self.held()
        let out = p.reset(connection: 0, now: T.t0 + 1_000)
        #expect(out.count == 1 && T.tcp(out[0]).flags == [.rst, .ack])
        #expect(p.connections[0].state == .closed)
        #expect(p.reset(connection: 0, now: T.t0 + 2_000).isEmpty && p.close(connection: 0, now: T.t0 + 2_000).isEmpty)
        #expect(p.reset(connection: 7, now: T.t0).isEmpty, "no such connection: nothing")
    }

    @Test func withoutHoldNothingChanges() {
        // The old way (send, --close-at-once): a connection with nothing to send closes at once.
        let (p, out) = T.established()
        #expect(out.count == 2 && T.tcp(out[1]).flags == [.fin, .ack])
        #expect(p.connections[0].state == .finWait1)
    }
}
