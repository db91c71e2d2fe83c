import Testing
import Wire
@testable import Analysis

/// The reassembler on built fragments: every order, duplicates, overlaps with the same and
/// other data, two last fragments, data past the end, fragments after completion, the key,
/// fragments Wireshark does not take, IPv6 fragment headers inside an extension chain, cut
/// and malformed bytes, and the bounds on what it keeps.
struct FragmentReassemblerTests {
    static let a4 = IPv4Address("192.0.2.2")!, b4 = IPv4Address("198.51.100.7")!
    static let a6 = IPv6Address("2001:db8::2")!, b6 = IPv6Address("2001:db8::7")!

    /// An IPv4 fragment: `offset` in bytes.
    static func v4(id: UInt16 = 1, proto: IPProtocol = .udp, offset: Int, _ data: Bytes, more: Bool,
                   source: IPv4Address = a4, checksum: ChecksumMode = .correct) -> Bytes {
        var r = IPv4Repr(source: source, destination: b4, proto: proto)
        r.identification = id
        r.fragmentOffset = offset
        r.moreFragments = more
        var b = Bytes(repeating: 0, count: r.headerLength) + data
        r.emit(into: &b, at: 0, payloadLength: data.count, checksum: checksum)
        return b
    }

    /// An IPv6 fragment after the extension headers `before` (each whole, its next header
    /// filled in here).
    static func v6(id: UInt32 = 1, next: IPProtocol = .udp, offset: Int, _ data: Bytes, more: Bool, before: [(IPProtocol, Bytes)] = []) -> Bytes {
        var chain: Bytes = []
        let kinds = before.map(\.0) + [.ipv6Fragment]
        for (i, (_, h)) in before.enumerated() {
            var h = h
            h[0] = kinds[i + 1].rawValue
            chain += h
        }
        var fragment = Bytes(repeating: 0, count: 8)
        fragment[0] = next.rawValue
        fragment.setBE16(2, UInt16(offset) | (more ? 1 : 0))
        fragment.setBE32(4, id)
        chain += fragment
        let r = IPv6Repr(source: a6, destination: b6, nextHeader: kinds[0])
        var b = Bytes(repeating: 0, count: IPv6Header.length) + chain + data
        r.emit(into: &b, at: 0, payloadLength: chain.count + data.count)
        return b
    }

    /// A UDP datagram's bytes (header and payload) as fragments carry them.
    static let datagram: Bytes = {
        let whole = PacketBuilder.build(ip: IPRepr(source: .v4(a4), destination: .v4(b4), proto: .udp)!,
                                        transport: UDPRepr(sourcePort: 40000, destinationPort: 9999),
                                        payload: (0..<64).map { UInt8($0) })
        return Array(whole[20...])
    }()

    /// The same over IPv6 (the checksum covers other addresses).
    static let datagram6: Bytes = {
        let whole = PacketBuilder.build(ip: IPRepr(source: .v6(a6), destination: .v6(b6), proto: .udp)!,
                                        transport: UDPRepr(sourcePort: 40000, destinationPort: 9999),
                                        payload: (0..<64).map { UInt8($0) })
        return Array(whole[IPv6Header.length...])
    }()

    /// Feeds packets numbered from 1, a millisecond apart; what each one completed.
    static func run(_ packets: [Bytes], linkType: LinkType = .raw, into r: inout FragmentReassembler) -> [ReassembledDatagram?] {
        var out: [ReassembledDatagram?] = []
        for p in packets { out.append(r.add(p, number: out.count + 1, microseconds: 1_000 * Int64(out.count))) }
        return out
    }

    static func run(_ packets: [Bytes], linkType: LinkType = .raw) -> [ReassembledDatagram?] {
        var r = FragmentReassembler(linkType: linkType)
        return run(packets, linkType: linkType, into: &r)
    }

    static let d = datagram
    static let pieces = [v4(offset: 0, Array(d[0..<24]), more: true), v4(offset: 24, Array(d[24..<48]), more: true),
                         v4(offset: 48, Array(d[48...]), more: false)]

    @Test(arguments: [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1], [0, 2, 1], [1, 0, 2]])
    func everyOrderGivesTheDatagramInTheLastPacket(order: [Int]) {
        let r = Self.run(order.map { Self.pieces[$0] })
        #expect(r[0] == nil && r[1] == nil)
        let datagram = r[2]
        #expect(datagram?.payload == Self.d)
        // Listed by offset, with the frame each came in.
        #expect(datagram?.fragments.map(\.offset) == [0, 24, 48])
        #expect(datagram?.fragments.map(\.frame) == [0, 1, 2].map { UInt32(order.firstIndex(of: $0)! + 1) })
        #expect(datagram?.fragments.allSatisfy { $0.flags.isEmpty } == true)
    }

    @Test func aDuplicateOverlapsWithoutConflict() {
        let r = Self.run([Self.pieces[0], Self.pieces[0], Self.pieces[1], Self.pieces[2]])
        let f = r[3]?.fragments
        #expect(f?.map(\.frame) == [1, 2, 3, 4])
        #expect(f?.map(\.flags) == [[], .overlap, [], []])
        #expect(r[3]?.payload == Self.d)
    }

    @Test func conflictingDataIsFlaggedAndTheFirstPlacedKept() {
        let other = Bytes(repeating: 0xee, count: 16)
        let r = Self.run([Self.pieces[0], Self.v4(offset: 16, other, more: true), Self.pieces[1], Self.pieces[2]])
        let datagram = r[3]
        // In offset order 0, 16, 24, 48: bytes 16..<24 come from the first, 24..<32 from the second.
        #expect(datagram?.fragments.map(\.flags) == [[], [.overlap, .overlapConflict], [.overlap, .overlapConflict], []])
        var expected = Self.d
        expected.replaceSubrange(24..<32, with: other[8...])
        #expect(datagram?.payload == expected)
    }

    @Test func aSecondTailEndingElsewhereAndDataPastTheEnd() {
        let tails = Self.run([Self.pieces[2], Self.v4(offset: 48, Array(Self.d[48..<56]), more: false), Self.pieces[0], Self.pieces[1]])
        #expect(tails[3]?.payload.count == Self.d.count)  // the first tail set the length
        #expect(tails[3]?.fragments.map(\.flags) == [[], [], [], [.overlap, .multipleTails]])
        // A tail at 48 sets the length to 72; a middle fragment from 40 runs 8 bytes past it.
        let long = Self.run([Self.pieces[2], Self.v4(offset: 40, Array(Self.d[40...]) + [1, 2, 3, 4, 5, 6, 7, 8], more: true),
                             Self.pieces[0], Self.pieces[1]])
        #expect(long[3]?.payload == Self.d)
        #expect(long[3]?.fragments.map(\.offset) == [0, 24, 40, 48])
        #expect(long[3]?.fragments[2].flags == [.overlap, .tooLong])
    }

    @Test func aFragmentAfterCompletionStartsADatagramThatNeverCompletes() {
        var r = FragmentReassembler(linkType: .raw)
        let out = Self.run(Self.pieces + [Self.pieces[0], Self.pieces[1]], into: &r)
        #expect(out[2] != nil && out[3] == nil && out[4] == nil)
        #expect(r.incompleteDatagrams == 1 && r.bufferedBytes == 48)
    }

    @Test func theKeyIsTheAddressesAndTheIdentificationWithTheProtocol() {
        // Another protocol, or another source, with the same identification: another datagram.
        let r = Self.run([Self.pieces[0], Self.pieces[1], Self.v4(proto: .tcp, offset: 48, Array(Self.d[48...]), more: false),
                          Self.v4(offset: 48, Array(Self.d[48...]), more: false, source: IPv4Address("10.0.0.1")!)])
        #expect(r.allSatisfy { $0 == nil })
        // Wireshark's id is the identification XORed with the protocol: 1^17 and 17^1 agree.
        let xor = Self.run([Self.v4(id: 1, proto: .udp, offset: 0, Array(Self.d[0..<48]), more: true),
                            Self.v4(id: 17, proto: IPProtocol(1), offset: 48, Array(Self.d[48...]), more: false)])
        #expect(xor[1]?.payload == Self.d)
    }

    @Test func packetsWiresharkDoesNotTake() {
        let notTaken: [Bytes] = [
            Self.v4(offset: 0, Array(Self.d[0..<24]), more: true, checksum: .value(0x1234)),  // bad header checksum
            Array(Self.pieces[0].prefix(30)),  // the data not all captured
            Self.v4(offset: 24, [], more: true),  // no data
            Self.v4(offset: 0, Self.d, more: false),  // no fragment
            Self.v6(offset: 0, Self.d, more: false),  // an atomic fragment
            Self.v6(offset: 8, [], more: true),  // no data
        ]
        var r = FragmentReassembler(linkType: .raw)
        #expect(Self.run(notTaken, into: &r).allSatisfy { $0 == nil })
        #expect(r.incompleteDatagrams == 0 && r.bufferedBytes == 0)
    }

    @Test func ipv6FragmentsBehindExtensionHeadersAndHeadersAfterThem() {
        let hopByHop: (IPProtocol, Bytes) = (.hopByHop, [0, 0, 1, 4, 0, 0, 0, 0])
        let routing: (IPProtocol, Bytes) = (.ipv6Route, [0, 0, 4, 0, 0, 0, 0, 0])
        let destination = Bytes([17, 0, 1, 4, 0, 0, 0, 0])  // after the fragment header: part of the datagram
        let whole = destination + Self.datagram6
        let r = Self.run([
            Self.v6(next: .ipv6DestinationOptions, offset: 40, Array(whole[40...]), more: false, before: [hopByHop, routing]),
            Self.v6(next: .ipv6DestinationOptions, offset: 0, Array(whole[0..<40]), more: true, before: [hopByHop, routing]),
        ])
        #expect(r[0] == nil)
        #expect(r[1]?.payload == whole)
        #expect(r[1]?.fragments.map(\.frame) == [2, 1])
        // The dissection lists the fragments, reads the destination options and UDP from the datagram.
        let p = Self.v6(next: .ipv6DestinationOptions, offset: 0, Array(whole[0..<40]), more: true, before: [hopByHop, routing])
        let dissection = Dissector.dissect(p, linkType: .raw, reassembled: r[1])
        #expect(dissection.layers.map(\.name) == ["ipv6", "udp", "data"])
        #expect(dissection.field("ipv6.dstopts.nxt")?.value == .uint(17))
        #expect(dissection.field("ipv6.fragment.count")?.value == .uint(2))
        #expect(dissection.field("udp.checksum.status")?.value == .uint(1))
    }

    @Test func theCompletingPacketsDissectionShowsTheDatagramPastTheFrame() throws {
        let r = Self.run(Self.pieces)
        let frame = Self.pieces[2]
        let d = Dissector.dissect(frame, linkType: .raw, describing: false, reassembled: r[2])
        #expect(d.layers.map(\.name) == ["ip", "udp", "data"])
        let udp = try #require(d.layer("udp"))
        // The datagram's bytes come after the frame's: the UDP header is at the frame's end.
        #expect(udp.range == frame.count..<(frame.count + 8))
        #expect(d.bytes(frame: frame) == frame + Self.d)
        #expect(d.field("udp.checksum.status")?.value == .uint(1))
        #expect(d.field("ip.reassembled.length")?.value == .uint(72))
        var w = TextWriter()
        JSONFormatter.write(d, frame: FrameInfo(number: 3, seconds: 0, microseconds: 0, originalLength: frame.count), bytes: frame, into: &w)
        #expect(w.string.contains("\"ip.fragment\":[1,2,3],\"ip.fragment.count\":3,\"ip.reassembled.length\":72"))
        #expect(w.string.contains("\"udp.srcport\":40000"))
        // Without the datagram the same packet is a piece of one.
        #expect(Dissector.dissect(frame, linkType: .raw).layers.map(\.name) == ["ip", "data"])
    }

    @Test func streamAnalysisReadsTheReassembledDatagram() {
        var fragments = FragmentReassembler(linkType: .raw)
        var streams = StreamAnalyzer(linkType: .raw)
        var out: [PacketAnalysis] = []
        for (i, p) in Self.pieces.enumerated() {
            let datagram = fragments.add(p, number: i + 1, microseconds: 0)
            out.append(streams.analyze(p, number: i + 1, microseconds: 0, reassembled: datagram))
        }
        #expect(out[0].udp == nil && out[1].udp == nil && out[2].udp?.stream == 0)
    }

    @Test func everyPrefixOfAFragmentIsTakenWholeOrNotAtAll() {
        for p in [Self.pieces[0], Self.v6(offset: 0, Array(Self.d[0..<24]), more: true, before: [(.hopByHop, [0, 0, 1, 4, 0, 0, 0, 0])])] {
            var r = FragmentReassembler(linkType: .raw)
            for n in 0..<p.count { _ = r.add(Array(p.prefix(n)), number: n + 1, microseconds: 0) }
            #expect(r.incompleteDatagrams == 0)
            // Garbage where the headers' lengths point past the bytes.
            var broken = p
            broken[0] = broken[0] >> 4 == 4 ? 0x4f : broken[0]
            _ = r.add(broken, number: p.count + 1, microseconds: 0)
        }
    }

    @Test func ethernetFramesToo() {
        let mac: Bytes = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        let r = Self.run(Self.pieces.map { mac + $0 }, linkType: .ethernet)
        #expect(r[2]?.payload == Self.d)
    }

    /// A flood of fragments that never complete keeps the table at its bounds, and leaves
    /// nothing once it has been idle long enough.
    @Test func aFloodCostsNothingLasting() {
        var r = FragmentReassembler(linkType: .raw)
        let limits = FragmentReassembler.Limits()
        var mostBytes = 0
        for i in 0..<100_000 {
            let p = Self.v4(id: UInt16(truncatingIfNeeded: i), offset: 8 * (i % 7), Bytes(repeating: 1, count: 1400), more: true,
                            source: IPv4Address(UInt32(0x0a00_0000) | UInt32(i >> 16)))
            #expect(r.add(p, number: i + 1, microseconds: Int64(i)) == nil)
            mostBytes = max(mostBytes, r.bufferedBytes)
        }
        #expect(r.incompleteDatagrams <= limits.datagrams)
        #expect(mostBytes <= limits.bytes)
        #expect(r.forgottenDatagrams >= 100_000 - limits.datagrams)
        // A minute of quiet, then any packet: everything is forgotten.
        _ = r.add(Self.pieces[0], number: 100_001, microseconds: 100_000 + limits.idle + 1)
        #expect(r.incompleteDatagrams == 1 && r.bufferedBytes == 24)
    }

    @Test func theBoundsForgetTheLeastRecentlyAddedTo() {
        var limits = FragmentReassembler.Limits()
        limits.datagrams = 2
        limits.fragments = 3
        var r = FragmentReassembler(linkType: .raw, limits: limits)
        // Three datagrams: the first, not added to since, goes; the second, added to again, stays.
        _ = Self.run([Self.v4(id: 1, offset: 0, Array(Self.d[0..<24]), more: true), Self.v4(id: 2, offset: 0, Array(Self.d[0..<24]), more: true),
                      Self.v4(id: 2, offset: 24, Array(Self.d[24..<48]), more: true), Self.v4(id: 3, offset: 0, Array(Self.d[0..<24]), more: true)],
                     into: &r)
        #expect(r.incompleteDatagrams == 2 && r.forgottenDatagrams == 1)
        #expect(r.add(Self.v4(id: 2, offset: 48, Array(Self.d[48...]), more: false), number: 5, microseconds: 5) != nil)
        #expect(r.add(Self.v4(id: 1, offset: 24, Array(Self.d[24...]), more: false), number: 6, microseconds: 6) == nil)
        // A datagram of more fragments than allowed is given up.
        let many = (0..<4).map { _ in Self.v4(id: 9, offset: 0, Array(Self.d[0..<8]), more: true) }
        _ = Self.run(many, into: &r)
        #expect(r.forgottenDatagrams == 3)
        // Bytes: a limit below two fragments keeps one datagram.
        limits = FragmentReassembler.Limits()
        limits.bytes = 40
        var small = FragmentReassembler(linkType: .raw, limits: limits)
        _ = Self.run([Self.v4(id: 1, offset: 0, Array(Self.d[0..<24]), more: true), Self.v4(id: 2, offset: 0, Array(Self.d[0..<24]), more: true)],
                     into: &small)
        #expect(small.incompleteDatagrams == 1 && small.bufferedBytes == 24)
    }
}
