import Testing
import Wire
@testable import Probe

struct EchoProbeTests {
    static let me = IPAddress("192.0.2.2")!
    static let server = IPAddress("192.0.2.1")!
    static let t0: Microseconds = 1_700_000_000_000_000

    static func reply(to request: Bytes) -> Bytes {
        let ip = IPPacket(request)!
        let b = request, at = ip.payload.lowerBound
        return EchoProbe.echo(request: false, from: ip.destination, to: ip.source, identifier: b.be16(at + 4),
                              sequence: b.be16(at + 6), data: Array(b[(at + 8)...]))
    }

    @Test func pingsAreSentOnScheduleAndRepliesTimed() {
        var p = Prober(ownAddresses: [Self.me], seed: 5)
        var config = p.pingConfig(from: Self.me, to: Self.server)
        config.count = 3
        config.interval = 200_000
        let (_, first) = p.ping(config, now: Self.t0)
        #expect(Dissector.dissect(first[0], linkType: .raw).field("icmp.checksum.status")?.value == .uint(1))
        _ = p.received(Self.reply(to: first[0]), time: Self.t0 + 60, number: 2)
        let second = p.tick(now: Self.t0 + 200_000)
        #expect(second.count == 1)
        // The second goes unanswered; the third is answered twice.
        let third = p.tick(now: Self.t0 + 400_000)
        _ = p.received(Self.reply(to: third[0]), time: Self.t0 + 400_070, number: 5)
        _ = p.received(Self.reply(to: third[0]), time: Self.t0 + 400_080, number: 6)
        #expect(p.pings[0].rtts == [60, 70])
        #expect(p.pings[0].timeline.last?.note == "a duplicate (DUP!)")
        #expect(!p.isIdle)
        _ = p.tick(now: Self.t0 + 1_400_000)
        #expect(p.isIdle)
        #expect(!p.pings[0].isSuccess)
        #expect(p.pings[0].timeline.last?.note == "3 sent, 2 received, no reply to seq 2")
    }

    @Test func icmpv6EchoWorksToo() {
        let me6 = IPAddress("2001:db8::2")!, server6 = IPAddress("2001:db8::1")!
        var p = Prober(ownAddresses: [me6], seed: 5)
        var config = p.pingConfig(from: me6, to: server6)
        config.count = 1
        let (_, out) = p.ping(config, now: Self.t0)
        #expect(Dissector.dissect(out[0], linkType: .raw).field("icmpv6.checksum.status")?.value == .uint(1))
        _ = p.received(Self.reply(to: out[0]), time: Self.t0 + 30, number: 2)
        #expect(p.pings[0].isSuccess)
        #expect(p.isIdle)
    }

    @Test func echoRequestsToOurAddressAreAnsweredAsAHostDoes() {
        var p = Prober(ownAddresses: [Self.me], seed: 5)
        let request = EchoProbe.echo(request: true, from: Self.server, to: Self.me, identifier: 9, sequence: 4, data: [1, 2, 3])
        let out = p.received(request, time: Self.t0, number: 1)
        #expect(out == [EchoProbe.echo(request: false, from: Self.me, to: Self.server, identifier: 9, sequence: 4, data: [1, 2, 3])])
        p.actsAsHost = false
        #expect(p.received(request, time: Self.t0, number: 2).isEmpty, "switched off")
        p.actsAsHost = true
        let other = EchoProbe.echo(request: true, from: Self.server, to: IPAddress("192.0.2.7")!, identifier: 9, sequence: 4, data: [])
        #expect(p.received(other, time: Self.t0, number: 3).isEmpty, "not our address")
    }
}

struct PacketEditorTests {
    /// The reference SYN of DESIGN.md:
    /// IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0
    static let referenceSYN: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00,
        0x02, 0x04, 0x05, 0xb4,
    ]

    static func status(_ packet: Bytes, _ name: String) -> FieldValue? {
        Dissector.dissect(packet, linkType: .raw).field(name)?.value
    }

    @Test func unchangedPacketsBuildBackToTheSameBytes() throws {
        #expect(try EditablePacket(parsing: Self.referenceSYN).build() == Self.referenceSYN)
        let udp = PacketBuilder.build(ip: .v4(IPv4Repr(source: IPv4Address("10.0.0.1")!, destination: IPv4Address("10.0.0.2")!, proto: .udp)),
                                      transport: UDPRepr(sourcePort: 53, destinationPort: 4000), payload: [1, 2, 3])
        #expect(try EditablePacket(parsing: udp).build() == udp)
        let echo = EchoProbe.echo(request: true, from: IPAddress("2001:db8::1")!, to: IPAddress("2001:db8::2")!, identifier: 1,
                                  sequence: 2, data: [9, 9])
        #expect(try EditablePacket(parsing: echo).build() == echo)
    }

    @Test func editedFieldsComeOutWithLengthsAndChecksumsRecomputed() throws {
        var p = try EditablePacket(parsing: Self.referenceSYN)
        try p.set("ip.ttl", to: "3")
        try p.set("ip.dst", to: "192.0.2.1")
        try p.set("tcp.dstport", to: "8080")
        try p.set("tcp.flags", to: "S.")
        try p.set("tcp.seq", to: "0x10")
        try p.set("tcp.ack", to: "77")
        try p.set("tcp.window_size_value", to: "1000")
        try p.set("data.text", to: "hello")
        let b = p.build()
        let d = Dissector.dissect(b, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.field("ip.ttl")?.value == .uint(3))
        #expect(d.field("ip.len")?.value == .uint(49))
        #expect(d.field("ip.checksum.status")?.value == .uint(1))
        #expect(d.field("tcp.checksum.status")?.value == .uint(1))
        #expect(d.field("tcp.flags")?.value == .uint(0x012))
        #expect(d.field("tcp.seq_raw")?.value == .uint(16))
        #expect(d.field("tcp.ack_raw")?.value == .uint(77))
        #expect(d.field("tcp.dstport")?.value == .uint(8080))
        #expect(Array(b.suffix(5)) == Array("hello".utf8))
    }

    @Test func echoDataIsReplacedNotAppended() throws {
        let me = IPAddress("192.0.2.2")!, server = IPAddress("192.0.2.1")!
        let echo = EchoProbe.echo(request: true, from: me, to: server, identifier: 7, sequence: 3, data: Array("hello".utf8))
        #expect(try EditablePacket(parsing: echo).build() == echo)
        var p = try EditablePacket(parsing: echo)
        try p.set("data.text", to: "HI")
        #expect(p.build() == EchoProbe.echo(request: true, from: me, to: server, identifier: 7, sequence: 3, data: Array("HI".utf8)))
        #expect(Self.status(p.build(), "icmp.checksum.status") == .uint(1))
        // A reply too; ICMPv6 already kept its data as the payload.
        let reply = EchoProbe.echo(request: false, from: server, to: me, identifier: 7, sequence: 3, data: Array("hello".utf8))
        var r = try EditablePacket(parsing: reply)
        try r.set("data.data", to: "0102")
        #expect(r.build() == EchoProbe.echo(request: false, from: server, to: me, identifier: 7, sequence: 3, data: [1, 2]))
        let six = EchoProbe.echo(request: true, from: IPAddress("2001:db8::2")!, to: IPAddress("2001:db8::1")!, identifier: 7,
                                 sequence: 3, data: Array("hello".utf8))
        var s = try EditablePacket(parsing: six)
        try s.set("data.text", to: "HI")
        #expect(s.build() == EchoProbe.echo(request: true, from: IPAddress("2001:db8::2")!, to: IPAddress("2001:db8::1")!,
                                            identifier: 7, sequence: 3, data: Array("HI".utf8)))
    }

    @Test func aChecksumCanBeKeptWrongOnPurpose() throws {
        var p = try EditablePacket(parsing: Self.referenceSYN)
        try p.breakChecksum()
        #expect(Self.status(p.build(), "tcp.checksum.status") == .uint(0))
        #expect(Self.status(p.build(), "ip.checksum.status") == .uint(1))
        try p.set("tcp.checksum", to: "0x1234")
        try p.set("ip.checksum", to: "0")
        let b = p.build()
        #expect(b.be16(36) == 0x1234)
        #expect(Self.status(b, "ip.checksum.status") == .uint(0))
    }

    @Test func anEditCannotMakeAPacketBiggerThanIPCanSay() throws {
        // IPv4's total length counts the whole packet: with this SYN's 44 header bytes, 65,491 of data fit.
        var p = try EditablePacket(parsing: Self.referenceSYN)
        try p.set("data.text", to: String(repeating: "x", count: 65_491))
        #expect(p.build().count == 65_535)
        #expect(throws: EditError("data.data: the packet would be 65536 bytes; an IPv4 packet is at most 65535 (its total length)")) {
            try p.set("data.data", to: String(repeating: "ab", count: 65_492))
        }
        #expect(p.payload.count == 65_491, "a refused edit changes nothing")
        // IPv6's payload length counts what follows its 40-byte header: at most 65,535 without a jumbogram.
        let echo = EchoProbe.echo(request: true, from: IPAddress("2001:db8::1")!, to: IPAddress("2001:db8::2")!, identifier: 1,
                                  sequence: 2, data: [])
        var six = try EditablePacket(parsing: echo)
        try six.set("data.text", to: String(repeating: "x", count: 65_535 - 8))
        #expect(six.build().count == 40 + 65_535)
        #expect(throws: EditError("data.text: the packet would carry 65536 bytes after its IPv6 header; IPv6 allows at most 65535 (its payload length, without a jumbogram)")) {
            try six.set("data.text", to: String(repeating: "x", count: 65_535 - 7))
        }
    }

    @Test func mistakesSayWhatIsWrong() throws {
        var p = try EditablePacket(parsing: Self.referenceSYN)
        #expect(throws: EditError.self) { try p.set("ip.ttl", to: "300") }
        #expect(throws: EditError.self) { try p.set("tcp.flags", to: "SZ") }
        #expect(throws: EditError.self) { try p.set("ip.src", to: "2001:db8::1") }
        #expect(throws: EditError.self) { try p.set("udp.srcport", to: "1") }
        do {
            try p.set("tcp.bogus", to: "1")
            Issue.record("an unknown field was accepted")
        } catch {
            #expect(error.description.contains("is not a field tunscope edits"))
        }
        #expect(throws: EditError.self) { try EditablePacket(parsing: Array(Self.referenceSYN.prefix(30))) }
        #expect(throws: EditError.self) { try EditablePacket(parsing: []) }
        // Found by the fuzzer: a protocol tunscope does not take apart has no checksum to break.
        var gre = try EditablePacket(parsing: [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])
        #expect(throws: EditError.self) { try gre.breakChecksum() }
    }
}
