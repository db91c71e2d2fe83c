import Testing
@testable import Wire

/// TCP segments (in IPv4) made with scapy, each with the line tcpdump 4.99.3 prints for it.
enum TCPVectors {
    /// tcpdump -nn -S: IP 34.194.149.67.80 > 192.0.2.2.30732: Flags [S.], seq 3735928559, ack 4101019788, win 65160, options [mss 1460,sackOK,TS val 2216103301 ecr 1,nop,wscale 7], length 0
    ///  0x0000:  4500 003c 0000 4000 3206 ceb4 22c2 9543  E..<..@.2..."..C
    ///  0x0010:  c000 0202 0050 780c dead beef f470 988c  .....Px......p..
    ///  0x0020:  a012 fe88 9aca 0000 0204 05b4 0402 080a  ................
    ///  0x0030:  8417 0d85 0000 0001 0103 0307            ............
    static let synAck: Bytes = [
        0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x32, 0x06, 0xce, 0xb4, 0x22, 0xc2, 0x95, 0x43,
        0xc0, 0x00, 0x02, 0x02, 0x00, 0x50, 0x78, 0x0c, 0xde, 0xad, 0xbe, 0xef, 0xf4, 0x70, 0x98, 0x8c,
        0xa0, 0x12, 0xfe, 0x88, 0x9a, 0xca, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
        0x84, 0x17, 0x0d, 0x85, 0x00, 0x00, 0x00, 0x01, 0x01, 0x03, 0x03, 0x07,
    ]
    static let synAckLine = "IP 34.194.149.67.80 > 192.0.2.2.30732: Flags [S.], seq 3735928559, ack 4101019788, win 65160, "
        + "options [mss 1460,sackOK,TS val 2216103301 ecr 1,nop,wscale 7], length 0"

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [P.], seq 4101019788:4101019815, ack 3735928560, win 502, options [nop,nop,TS val 2 ecr 2216103301], length 27: HTTP: GET / HTTP/1.1
    ///  0x0000:  4500 004f 0002 4000 4006 c09f c000 0202  E..O..@.@.......
    ///  0x0010:  22c2 9543 780c 0050 f470 988c dead bef0  "..Cx..P.p......
    ///  0x0020:  8018 01f6 7250 0000 0101 080a 0000 0002  ....rP..........
    ///  0x0030:  8417 0d85 4745 5420 2f20 4854 5450 2f31  ....GET./.HTTP/1
    ///  0x0040:  2e31 0d0a 486f 7374 3a20 780d 0a0d 0a    .1..Host:.x....
    static let httpGet: Bytes = [
        0x45, 0x00, 0x00, 0x4f, 0x00, 0x02, 0x40, 0x00, 0x40, 0x06, 0xc0, 0x9f, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8c, 0xde, 0xad, 0xbe, 0xf0,
        0x80, 0x18, 0x01, 0xf6, 0x72, 0x50, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x02,
        0x84, 0x17, 0x0d, 0x85, 0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31,
        0x2e, 0x31, 0x0d, 0x0a, 0x48, 0x6f, 0x73, 0x74, 0x3a, 0x20, 0x78, 0x0d, 0x0a, 0x0d, 0x0a,
    ]
    static let httpGetLine = "IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [P.], seq 4101019788:4101019815, ack 3735928560, "
        + "win 502, options [nop,nop,TS val 2 ecr 2216103301], length 27: HTTP: GET / HTTP/1.1"

    /// tcpdump -nn -S: IP 34.194.149.67.81 > 192.0.2.2.30733: Flags [R.], seq 0, ack 4101019788, win 0, length 0
    ///  0x0000:  4500 0028 0000 4000 4006 c0c8 22c2 9543  E..(..@.@..."..C
    ///  0x0010:  c000 0202 0051 780d 0000 0000 f470 988c  .....Qx......p..
    ///  0x0020:  5014 0000 306d 0000                      P...0m..
    static let rstAck: Bytes = [
        0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xc0, 0xc8, 0x22, 0xc2, 0x95, 0x43,
        0xc0, 0x00, 0x02, 0x02, 0x00, 0x51, 0x78, 0x0d, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x70, 0x98, 0x8c,
        0x50, 0x14, 0x00, 0x00, 0x30, 0x6d, 0x00, 0x00,
    ]

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [F.], seq 4101019815, ack 3735928900, win 501, length 0
    ///  0x0000:  4500 0028 0003 4000 4006 c0c5 c000 0202  E..(..@.@.......
    ///  0x0010:  22c2 9543 780c 0050 f470 98a7 dead c044  "..Cx..P.p.....D
    ///  0x0020:  5011 01f5 8f6f 0000                      P....o..
    static let finAck: Bytes = [
        0x45, 0x00, 0x00, 0x28, 0x00, 0x03, 0x40, 0x00, 0x40, 0x06, 0xc0, 0xc5, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0xa7, 0xde, 0xad, 0xc0, 0x44,
        0x50, 0x11, 0x01, 0xf5, 0x8f, 0x6f, 0x00, 0x00,
    ]

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [.U], seq 1:4, ack 2, win 1024, urg 3, length 3
    ///  0x0000:  4500 002b 0004 0000 4006 00c2 c000 0202  E..+....@.......
    ///  0x0010:  22c2 9543 780c 15b3 0000 0001 0000 0002  "..Cx...........
    ///  0x0020:  5030 0400 df81 0003 6162 63              P0......abc
    static let urgent: Bytes = [
        0x45, 0x00, 0x00, 0x2b, 0x00, 0x04, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc2, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x15, 0xb3, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
        0x50, 0x30, 0x04, 0x00, 0xdf, 0x81, 0x00, 0x03, 0x61, 0x62, 0x63,
    ]

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [.], ack 1000, win 1024, options [nop,nop,sack 2 {2000:3000}{4000:5000}], length 0
    ///  0x0000:  4500 003c 0005 0000 4006 00b0 c000 0202  E..<....@.......
    ///  0x0010:  22c2 9543 780c 15b3 0000 000a 0000 03e8  "..Cx...........
    ///  0x0020:  a010 0400 1344 0000 0101 0512 0000 07d0  .....D..........
    ///  0x0030:  0000 0bb8 0000 0fa0 0000 1388            ............
    static let sackAck: Bytes = [
        0x45, 0x00, 0x00, 0x3c, 0x00, 0x05, 0x00, 0x00, 0x40, 0x06, 0x00, 0xb0, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x15, 0xb3, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x03, 0xe8,
        0xa0, 0x10, 0x04, 0x00, 0x13, 0x44, 0x00, 0x00, 0x01, 0x01, 0x05, 0x12, 0x00, 0x00, 0x07, 0xd0,
        0x00, 0x00, 0x0b, 0xb8, 0x00, 0x00, 0x0f, 0xa0, 0x00, 0x00, 0x13, 0x88,
    ]

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [unknown-99 0xdead,eol], length 0
    ///  0x0000:  4500 0030 0006 0000 4006 00bb c000 0202  E..0....@.......
    ///  0x0010:  22c2 9543 780c 15b3 0000 0001 0000 0000  "..Cx...........
    ///  0x0020:  7002 0400 4260 0000 6304 dead 0000 0000  p...B`..c.......
    static let unknownOption: Bytes = [
        0x45, 0x00, 0x00, 0x30, 0x00, 0x06, 0x00, 0x00, 0x40, 0x06, 0x00, 0xbb, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x15, 0xb3, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x70, 0x02, 0x04, 0x00, 0x42, 0x60, 0x00, 0x00, 0x63, 0x04, 0xde, 0xad, 0x00, 0x00, 0x00, 0x00,
    ]

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [[bad opt]
    ///  0x0000:  4500 002c 0006 0000 4006 00bf c000 0202  E..,....@.......
    ///  0x0010:  22c2 9543 780c 15b3 0000 0001 0000 0000  "..Cx...........
    ///  0x0020:  6002 0400 8c62 0000 0200 05b4            `....b......
    static let zeroLengthOption: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x06, 0x00, 0x00, 0x40, 0x06, 0x00, 0xbf, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x15, 0xb3, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x60, 0x02, 0x04, 0x00, 0x8c, 0x62, 0x00, 0x00, 0x02, 0x00, 0x05, 0xb4,
    ]

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [nop,mss 1460,[bad opt]]
    ///  0x0000:  4500 0030 0006 0000 4006 00bb c000 0202  E..0....@.......
    ///  0x0010:  22c2 9543 780c 15b3 0000 0001 0000 0000  "..Cx...........
    ///  0x0020:  7002 0400 c102 0000 0102 0405 b408 0a00  p...............
    static let optionPastEnd: Bytes = [
        0x45, 0x00, 0x00, 0x30, 0x00, 0x06, 0x00, 0x00, 0x40, 0x06, 0x00, 0xbb, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x15, 0xb3, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x70, 0x02, 0x04, 0x00, 0xc1, 0x02, 0x00, 0x00, 0x01, 0x02, 0x04, 0x05, 0xb4, 0x08, 0x0a, 0x00,
    ]

    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [nop,eol], length 0
    ///  0x0000:  4500 002c 0006 0000 4006 00bf c000 0202  E..,....@.......
    ///  0x0010:  22c2 9543 780c 15b3 0000 0001 0000 0000  "..Cx...........
    ///  0x0020:  6002 0400 9215 0000 0100 0101            `...........
    static let nonZeroPadding: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x06, 0x00, 0x00, 0x40, 0x06, 0x00, 0xbf, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x15, 0xb3, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x60, 0x02, 0x04, 0x00, 0x92, 0x15, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01,
    ]

    /// A Linux-style SYN (what `TCPOption.linuxSYN` builds), 192.0.2.2:30732 to 34.194.149.67:80, DF.
    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 64240, options [mss 1460,sackOK,TS val 12345 ecr 0,nop,wscale 7], length 0
    ///  0x0000:  4500 003c 0000 4000 4006 c0b4 c000 0202  E..<..@.@.......
    ///  0x0010:  22c2 9543 780c 0050 f470 988b 0000 0000  "..Cx..P.p......
    ///  0x0020:  a002 faf0 9d75 0000 0204 05b4 0402 080a  .....u..........
    ///  0x0030:  0000 3039 0000 0000 0103 0307            ..09........
    static let linuxSYN: Bytes = [
        0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xc0, 0xb4, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00,
        0xa0, 0x02, 0xfa, 0xf0, 0x9d, 0x75, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
        0x00, 0x00, 0x30, 0x39, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    ]

    /// The reference SYN over IPv6, 2001:db8::2 to 2001:db8::1.
    /// tcpdump -nn -S: IP6 2001:db8::2.30732 > 2001:db8::1.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0
    ///  0x0000:  6000 0000 0018 0640 2001 0db8 0000 0000  `......@........
    ///  0x0010:  0000 0000 0000 0002 2001 0db8 0000 0000  ................
    ///  0x0020:  0000 0000 0000 0001 780c 0050 f470 988b  ........x..P.p..
    ///  0x0030:  0000 0000 6002 ffff 3759 0000 0204 05b4  ....`...7Y......
    static let ipv6SYN: Bytes = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b,
        0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff, 0x37, 0x59, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    ]

    /// Every vector with the line tcpdump printed for it.
    static let lines: [(Bytes, String)] = [
        (TestVectors.referenceSYN, TestVectors.referenceSYNLine),
        (synAck, synAckLine),
        (httpGet, httpGetLine),
        (rstAck, "IP 34.194.149.67.81 > 192.0.2.2.30733: Flags [R.], seq 0, ack 4101019788, win 0, length 0"),
        (finAck, "IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [F.], seq 4101019815, ack 3735928900, win 501, length 0"),
        (urgent, "IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [.U], seq 1:4, ack 2, win 1024, urg 3, length 3"),
        (sackAck, "IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [.], ack 1000, win 1024, "
            + "options [nop,nop,sack 2 {2000:3000}{4000:5000}], length 0"),
        (unknownOption, "IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [unknown-99 0xdead,eol], length 0"),
        (zeroLengthOption, "IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [[bad opt]"),
        (optionPastEnd, "IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [nop,mss 1460,[bad opt]]"),
        (nonZeroPadding, "IP 192.0.2.2.30732 > 34.194.149.67.5555: Flags [S], seq 1, win 1024, options [nop,eol], length 0"),
        (linuxSYN, "IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 64240, "
            + "options [mss 1460,sackOK,TS val 12345 ecr 0,nop,wscale 7], length 0"),
    ]

    /// The well-formed ones: they parse into a `TCPRepr` and emit the same bytes again.
    static let wellFormed: [Bytes] = [TestVectors.referenceSYN, synAck, httpGet, rstAck, finAck, urgent, sackAck, unknownOption, linuxSYN]
}

@Suite struct TCPTests {
    let syn = TestVectors.referenceSYN
    let client = IPv4Address(192, 0, 2, 2), server = IPv4Address(34, 194, 149, 67)

    /// The IP context the IPv4 header of a vector gives its segment.
    func context(_ b: Bytes) -> IPContext {
        IPContext(pseudo: .v4(source: IPv4Address(b.be32(12)), destination: IPv4Address(b.be32(16))),
                  length: Int(b.be16(2)) - 20)
    }

    @Test func parsesEveryFieldOfTheReferenceSYN() throws {
        let h = try #require(TCPHeader(syn, at: 20))
        #expect(h.sourcePort == 30732)
        #expect(h.destinationPort == 80)
        #expect(h.sequenceNumber == 4_101_019_787)
        #expect(h.acknowledgmentNumber == 0)
        #expect(h.dataOffset == 6 && h.headerLength == 24)
        #expect(h.flags == .syn)
        #expect(h.syn && !h.ack && !h.fin && !h.rst && !h.psh && !h.urg && !h.ece && !h.cwr && !h.ae)
        #expect(h.window == 65535)
        #expect(h.checksum == 0x18c6)
        #expect(h.urgentPointer == 0)
        #expect(h.isComplete)
        #expect(Array(h.options) == [.option(.mss(1460), range: 40..<44)])
    }

    @Test func readsEveryFlagBitIncludingAEAndTheReservedBits() throws {
        var b = TCPVectors.rstAck
        b[32] = 0x5f  // data offset 5, reserved bits 111, AE 1
        b[33] = 0xff
        let h = try #require(TCPHeader(b, at: 20))
        #expect(h.flags.rawValue == 0x0fff)
        #expect(h.flags.contains([.fin, .syn, .rst, .psh, .ack, .urg, .ece, .cwr, .ae, .reserved]))
        #expect(h.headerLength == 20)
        let d = Dissector.dissect(b, linkType: .raw)
        #expect(d.field("tcp.flags")?.value == .uint(0xfff))
        #expect(d.field("tcp.flags.ae")?.value == .bool(true))
        #expect(d.field("tcp.flags.res")?.value == .bool(true))
        let letters = try #require(d.field("tcp.flags.str"))
        #expect(TreeFormatter.fieldText(letters, in: try #require(d.layer("tcp")), bytes: b) == "TCP Flags: RRRACEUAPRSF")
        var syn = b
        syn[32] = 0x50
        syn[33] = 0x02
        let synTCP = try #require(Dissector.dissect(syn, linkType: .raw).layer("tcp"))
        let synLetters = try #require(synTCP.fields.first { $0.isNamed("tcp.flags.str") })
        #expect(TreeFormatter.fieldText(synLetters, in: synTCP, bytes: syn) == "TCP Flags: \u{b7}\u{b7}\u{b7}\u{b7}\u{b7}\u{b7}\u{b7}\u{b7}\u{b7}\u{b7}S\u{b7}")
        #expect(d.strings(of: "tcp.flags")?.note == "(FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE, Reserved)")
        // tcpdump shows only the low eight bits.
        #expect(Summary.string(b, linkType: .raw)
            == "IP 34.194.149.67.81 > 192.0.2.2.30733: Flags [FSRP.UEW], seq 0, ack 4101019788, win 0, urg 0, length 0")
    }

    @Test func referenceSYNSummaryIsTcpdumps() {
        #expect(Summary.string(syn, linkType: .raw) == TestVectors.referenceSYNLine)
    }

    @Test(arguments: TCPVectors.lines.indices)
    func summaryEqualsTcpdumps(index: Int) {
        let (bytes, line) = TCPVectors.lines[index]
        #expect(Summary.string(bytes, linkType: .raw) == line)
    }

    @Test func dissectsWithWiresharkNamesValuesAndRanges() throws {
        let d = Dissector.dissect(TCPVectors.synAck, linkType: .raw)
        let tcp = try #require(d.layer("tcp"))
        #expect(tcp.range == 20..<60)
        #expect(tcp.title == "Transmission Control Protocol, Src Port: 80, Dst Port: 30732, Seq: 3735928559, Ack: 4101019788, Len: 0")
        #expect(d.malformed == nil)
        let expected: [(String, FieldValue, Range<Int>)] = [
            ("tcp.srcport", .uint(80), 20..<22), ("tcp.dstport", .uint(30732), 22..<24),
            ("tcp.seq_raw", .uint(3_735_928_559), 24..<28), ("tcp.ack_raw", .uint(4_101_019_788), 28..<32),
            ("tcp.hdr_len", .uint(40), 32..<33), ("tcp.flags", .uint(0x012), 32..<34),
            ("tcp.flags.syn", .bool(true), 32..<34), ("tcp.flags.ack", .bool(true), 32..<34),
            ("tcp.flags.fin", .bool(false), 32..<34), ("tcp.window_size_value", .uint(65160), 34..<36),
            ("tcp.checksum", .uint(0x9aca), 36..<38), ("tcp.checksum.status", .uint(ChecksumStatus.good.rawValue), 36..<38),
            ("tcp.checksum_calculated", .uint(0x9aca), 36..<38), ("tcp.urgent_pointer", .uint(0), 38..<40),
            ("tcp.options.mss_val", .uint(1460), 42..<44), ("tcp.options.timestamp.tsval", .uint(2_216_103_301), 48..<52),
            ("tcp.options.timestamp.tsecr", .uint(1), 52..<56), ("tcp.options.wscale.shift", .uint(7), 59..<60),
            ("tcp.options.wscale.multiplier", .uint(128), 59..<60), ("tcp.len", .uint(0), 60..<60),
        ]
        for (name, value, range) in expected {
            let f = try #require(d.field(name), "\(name) missing")
            #expect(f.value == value, "\(name)")
            #expect(f.range == range, "\(name)")
            #expect(d.strings(of: name)?.explanation.isEmpty == false, "\(name)")
        }
        #expect(d.field("tcp.seq") == nil && d.field("tcp.stream") == nil && d.field("tcp.nxtseq") == nil)
        let options = try #require(d.field("tcp.options"))
        #expect(options.range == 40..<60)
        #expect(d.children(of: "tcp.options").map(\.name.description) == ["tcp.options.mss", "tcp.options.sack_perm",
                                                                         "tcp.options.timestamp", "tcp.options.nop", "tcp.options.wscale"])
        #expect(d.layer("tcp")?.fields.filter { $0.isNamed("tcp.option_kind") }.map(\.value)
            == [.uint(2), .uint(4), .uint(8), .uint(1), .uint(3)])
    }

    @Test func dataSegmentHasItsLengthPayloadAndHTTPLine() throws {
        let d = Dissector.dissect(TCPVectors.httpGet, linkType: .raw)
        let tcp = try #require(d.layer("tcp"))
        #expect(tcp.range == 20..<52)
        #expect(tcp.payload == 52..<79)
        #expect(d.field("tcp.len")?.value == .uint(27))
        #expect(d.field("tcp.payload")?.range == 52..<79)
        #expect(d.field("tcp.flags.push")?.value == .bool(true))
        #expect(d.field("tcp.checksum.status")?.value == .uint(ChecksumStatus.good.rawValue))
        #expect(Summary.string(TCPVectors.httpGet, linkType: .raw).hasSuffix(": HTTP: GET / HTTP/1.1"))
    }

    @Test func sackBlocksAndDSACKAreRawSequenceNumbers() throws {
        let h = try #require(TCPHeader(TCPVectors.sackAck, at: 20))
        let options = Array(h.options).compactMap { element -> TCPOption? in
            if case let .option(o, _) = element { return o }
            return nil
        }
        #expect(options == [.nop, .nop, .sack([TCPSACKBlock(left: 2000, right: 3000), TCPSACKBlock(left: 4000, right: 5000)])])
        let d = Dissector.dissect(TCPVectors.sackAck, linkType: .raw)
        #expect(d.field("tcp.options.sack_le")?.value == .uint(2000))
        #expect(d.field("tcp.options.sack.count")?.value == .uint(2))
        // Both blocks lie above the acknowledgment number 1000 and apart: no D-SACK.
        #expect(d.field("tcp.options.sack.dsack_le") == nil)
        var dsack = TCPVectors.sackAck
        dsack.setBE32(28, 3000)  // now the first block is at or below the acknowledgment number
        #expect(Dissector.dissect(dsack, linkType: .raw).field("tcp.options.sack.dsack_re")?.value == .uint(3000))
    }

    @Test func unknownOptionIsKeptRawAndReemitted() throws {
        let h = try #require(TCPHeader(TCPVectors.unknownOption, at: 20))
        let repr = try #require(TCPRepr(parsing: h))
        #expect(repr.options == [.unknown(kind: 99, data: [0xde, 0xad]), .eol, .eol, .eol, .eol])
        let d = Dissector.dissect(TCPVectors.unknownOption, linkType: .raw)
        let payload = try #require(d.field("tcp.options.unknown.payload"))
        #expect(payload.range == 42..<44)
        #expect(d.malformed == nil)
    }

    @Test func zeroLengthOptionIsMalformedNotATrap() throws {
        let h = try #require(TCPHeader(TCPVectors.zeroLengthOption, at: 20))
        #expect(Array(h.options) == [.malformed(.lengthTooShort(kind: 2, length: 0), range: 40..<44)])
        #expect(TCPRepr(parsing: h) == nil)
        let d = Dissector.dissect(TCPVectors.zeroLengthOption, linkType: .raw)
        #expect(d.layer("tcp") != nil)
        #expect(d.malformed?.message
            == "TCP option 2 (Maximum segment size) has length 0; it counts its kind and length bytes, so at least 2")
        #expect(d.strings(of: "tcp.option.len.invalid")?.label == "Maximum segment size (with too-short option length = 0 bytes)")
    }

    @Test func optionPastTheHeaderEndKeepsTheOptionsBeforeIt() throws {
        let h = try #require(TCPHeader(TCPVectors.optionPastEnd, at: 20))
        #expect(Array(h.options) == [
            .option(.nop, range: 40..<41), .option(.mss(1460), range: 41..<45),
            .malformed(.pastEnd(kind: 8, length: 10, available: 3), range: 45..<48),
        ])
        let d = Dissector.dissect(TCPVectors.optionPastEnd, linkType: .raw)
        #expect(d.field("tcp.options.mss_val")?.value == .uint(1460))
        #expect(d.malformed?.message == "TCP option 8 (Timestamps) says 10 bytes, 3 left in the header")
    }

    @Test func nonZeroPaddingAfterEndOfListIsReported() throws {
        let h = try #require(TCPHeader(TCPVectors.nonZeroPadding, at: 20))
        #expect(Array(h.options) == [
            .option(.nop, range: 40..<41), .option(.eol, range: 41..<42), .malformed(.nonZeroPadding, range: 42..<44),
        ])
        let d = Dissector.dissect(TCPVectors.nonZeroPadding, linkType: .raw)
        #expect(d.malformed?.message == "TCP header padding after End of Option List is not zero (byte 1)")
    }

    @Test func optionWalkNeverTrapsOnAnyShortInput() {
        // Every 1- and 2-byte option area, and 3-byte areas of interesting kinds and lengths.
        var areas: [Bytes] = (0...255).map { [UInt8($0)] }
        for a in 0...255 { for b in 0...255 { areas.append([UInt8(a), UInt8(b)]) } }
        for kind: UInt8 in [0, 1, 2, 3, 4, 5, 8, 30, 254] { for len in 0...5 { areas.append([kind, UInt8(len), 1]) } }
        for area in areas {
            var count = 0
            for element in TCPOptionIterator(area, 0..<area.count) {
                switch element {
                case let .option(_, range), let .malformed(_, range):
                    #expect(range.lowerBound >= 0 && range.upperBound <= area.count)
                }
                count += 1
            }
            #expect(count <= area.count)
        }
    }

    @Test func emitsTheReferenceSYNIntoAPrefilledBuffer() throws {
        let h = try #require(TCPHeader(syn, at: 20))
        let repr = try #require(TCPRepr(parsing: h))
        #expect(repr == TCPRepr(sourcePort: 30732, destinationPort: 80, sequenceNumber: 4_101_019_787,
                                flags: .syn, window: 65535, options: [.mss(1460)]))
        var b = Array(syn[0..<20]) + Bytes(repeating: 0xA5, count: 24)
        repr.emit(into: &b, at: 20, payloadLength: 0, pseudo: .v4(source: client, destination: server))
        #expect(b == syn)
    }

    @Test(arguments: TCPVectors.wellFormed.indices)
    func decodesAndReemitsTheSameBytes(index: Int) throws {
        let packet = TCPVectors.wellFormed[index]
        let h = try #require(TCPHeader(packet, at: 20))
        let repr = try #require(TCPRepr(parsing: h))
        #expect(repr.headerLength == h.headerLength)
        var b = packet
        for i in 20..<(20 + h.headerLength) { b[i] = 0xA5 }
        let ip = context(packet)
        repr.emit(into: &b, at: 20, payloadLength: ip.length - h.headerLength, pseudo: ip.pseudo)
        #expect(b == packet)
    }

    @Test func buildsALinuxSYNOverIPv4WithAGoodChecksum() throws {
        var ip = IPv4Repr(source: client, destination: server, proto: .tcp)
        ip.dontFragment = true
        let tcp = TCPRepr(sourcePort: 30732, destinationPort: 80, sequenceNumber: 4_101_019_787, flags: .syn, window: 64240,
                          options: TCPOption.linuxSYN(mss: 1460, tsVal: 12345, windowScale: 7))
        #expect(tcp.headerLength == 40)
        let packet = PacketBuilder.build(ip: .v4(ip), transport: tcp)
        #expect(packet == TCPVectors.linuxSYN)
        let d = Dissector.dissect(packet, linkType: .raw)
        #expect(d.field("tcp.checksum.status")?.value == .uint(ChecksumStatus.good.rawValue))
        #expect(d.malformed == nil)
    }

    @Test func buildsOverIPv6WithTheRightChecksum() throws {
        let source = try #require(IPv6Address("2001:db8::2")), destination = try #require(IPv6Address("2001:db8::1"))
        let tcp = TCPRepr(sourcePort: 30732, destinationPort: 80, sequenceNumber: 4_101_019_787, flags: .syn,
                          options: [.mss(1460)])
        let packet = PacketBuilder.build(ip: .v6(IPv6Repr(source: source, destination: destination, nextHeader: .tcp)),
                                         transport: tcp)
        #expect(packet == TCPVectors.ipv6SYN)
        // The sum over the RFC 8200 8.1 pseudo-header and the whole segment is zero when right.
        let length = packet.count - IPv6Header.length
        var c = PseudoHeader.v6(source: source, destination: destination).start(protocol: IPProtocol.tcp.rawValue, length: length)
        c.add(packet, IPv6Header.length..<packet.count)
        #expect(c.value == 0)
        let h = try #require(TCPHeader(packet, at: IPv6Header.length))
        #expect(h.checksum == 0x3759)
        var w = TextWriter()
        var ipContext = IPContext(pseudo: .v6(source: source, destination: destination), length: length)
        Summary.writeTCP(packet, at: IPv6Header.length, end: packet.count, ip: ipContext, into: &w)
        #expect(w.string == "2001:db8::2.30732 > 2001:db8::1.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0")
        // After IPv6 extension headers tcpdump has already written the addresses.
        ipContext.portsOnly = true
        w.removeAll()
        Summary.writeTCP(packet, at: IPv6Header.length, end: packet.count, ip: ipContext, into: &w)
        #expect(w.string == "30732 > 80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0")
        var d = Dissection()
        Dissector.dissectTCP(packet, at: IPv6Header.length, end: packet.count, ip: ipContext, into: &d)
        #expect(d.field("tcp.checksum.status")?.value == .uint(ChecksumStatus.good.rawValue))
        // Cut before the ports, tcpdump writes the addresses again even after extension headers.
        w.removeAll()
        Summary.writeTCP(packet, at: IPv6Header.length, end: IPv6Header.length + 3, ip: ipContext, into: &w)
        #expect(w.string == "2001:db8::2 > 2001:db8::1: [|tcp]")
    }

    /// tcpdump's MPTCP printer, for the MP_CAPABLE of a SYN (RFC 8684 3.1).
    @Test func multipathCapableIsTcpdumps() {
        let capable = TCPOption.unknown(kind: TCPOptionKind.multipath, data: [0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8])
        let tcp = TCPRepr(sourcePort: 40000, destinationPort: 5555, sequenceNumber: 1000, flags: .syn, window: 8192,
                          options: [capable])
        let packet = PacketBuilder.build(ip: .v4(IPv4Repr(source: client, destination: server, proto: .tcp)), transport: tcp)
        #expect(Summary.string(packet, linkType: .raw) == "IP 192.0.2.2.40000 > 34.194.149.67.5555: Flags [S], seq 1000, win 8192, "
            + "options [mptcp 12 capable v1 {0x102030405060708}], length 0")
    }

    @Test func aDeliberatelyWrongChecksumIsEmittedAndCaught() throws {
        let ip = IPRepr.v4(IPv4Repr(source: client, destination: server, proto: .tcp))
        let tcp = TCPRepr(sourcePort: 30732, destinationPort: 80, sequenceNumber: 1, flags: .syn)
        let right = PacketBuilder.build(ip: ip, transport: tcp)
        let wrong = PacketBuilder.build(ip: ip, transport: tcp, checksum: .value(0xbeef))
        #expect(wrong.be16(36) == 0xbeef)
        let d = Dissector.dissect(wrong, linkType: .raw)
        #expect(d.field("tcp.checksum.status")?.value == .uint(ChecksumStatus.bad.rawValue))
        #expect(d.field("tcp.checksum_calculated")?.value == .uint(UInt64(right.be16(36))))
        #expect(d.strings(of: "tcp.checksum")?.note == "[incorrect, should be 0x\(hex(right.be16(36), 4))]")
        #expect(Dissector.dissect(right, linkType: .raw).field("tcp.checksum.status")?.value == .uint(ChecksumStatus.good.rawValue))
    }

    @Test func checksumIsUnverifiedForAFragmentOrAShortCapture() {
        let b = TCPVectors.httpGet
        var d = Dissection()
        var ip = context(b)
        ip.fragment = true
        Dissector.dissectTCP(b, at: 20, end: b.count, ip: ip, into: &d)
        #expect(d.field("tcp.checksum.status")?.value == .uint(ChecksumStatus.unverified.rawValue))
        #expect(d.field("tcp.checksum_calculated") == nil)
        d = Dissection()
        Dissector.dissectTCP(b, at: 20, end: b.count - 1, ip: context(b), into: &d)
        #expect(d.field("tcp.checksum.status")?.value == .uint(ChecksumStatus.unverified.rawValue))
        #expect(d.field("tcp.len")?.value == .uint(27))
    }

    @Test(arguments: TCPVectors.wellFormed.indices)
    func everyTruncatedPrefixFailsCleanly(index: Int) {
        let packet = TCPVectors.wellFormed[index]
        let ip = context(packet)
        let headerLength = Int(packet[32] >> 4) * 4
        for n in 20..<packet.count {
            var d = Dissection()
            Dissector.dissectTCP(packet, at: 20, end: n, ip: ip, into: &d)
            _ = Summary.string(Array(packet[0..<n]), linkType: .raw)
            if n < 20 + headerLength {
                #expect(d.malformed != nil, "prefix of \(n) bytes should be malformed")
            }
            if n >= 24 { #expect(d.layer("tcp") != nil) }
            if n >= 40 && n < 20 + headerLength {
                #expect(d.malformed?.message == "TCP header says \(headerLength) bytes, \(n - 20) left")
            }
            if n < 40 { #expect(d.malformed?.message == "TCP header needs 20 bytes, \(n - 20) left") }
        }
    }

    /// Captures cut at a snapshot length: tcpdump prints what the bytes allow.
    @Test(arguments: [
        (22, "IP 34.194.149.67 > 192.0.2.2: [|tcp]"),
        (30, "IP 34.194.149.67.80 > 192.0.2.2.30732:  [|tcp]"),
        (44, "IP 34.194.149.67.80 > 192.0.2.2.30732: Flags [S.], seq 3735928559, ack 4101019788, win 65160, options [mss 1460, [|tcp]"),
        (50, "IP 34.194.149.67.80 > 192.0.2.2.30732: Flags [S.], seq 3735928559, ack 4101019788, win 65160, "
            + "options [mss 1460,sackOK,TS [|tcp]>"),
        (56, "IP 34.194.149.67.80 > 192.0.2.2.30732: Flags [S.], seq 3735928559, ack 4101019788, win 65160, "
            + "options [mss 1460,sackOK,TS val 2216103301 ecr 1, [|tcp]"),
    ])
    func truncatedCaptureSummaryIsTcpdumps(length: Int, line: String) {
        let packet = TCPVectors.synAck
        var w = TextWriter()
        Summary.write(Array(packet[0..<length]), linkType: .raw, wireLength: packet.count, into: &w)
        #expect(w.string == line)
    }

    @Test func httpLineCutByTheCaptureEndsWithTheTruncationMark() {
        let packet = TCPVectors.httpGet
        var w = TextWriter()
        Summary.write(Array(packet[0..<60]), linkType: .raw, wireLength: packet.count, into: &w)
        #expect(w.string.hasSuffix("length 27: HTTP [|http]"))
        w.removeAll()
        Summary.write(Array(packet[0..<70]), linkType: .raw, wireLength: packet.count, into: &w)
        #expect(w.string.hasSuffix("length 27: HTTP: GET / HTTP/1.1"))
    }

    @Test func badHeaderLengthsAreTcpdumps() {
        var short = TCPVectors.rstAck
        short[32] = 0x40
        #expect(Summary.string(short, linkType: .raw) == "IP 34.194.149.67.81 > 192.0.2.2.30733:  tcp 4 [bad hdr length 16 - too short, < 20]")
        let d = Dissector.dissect(short, linkType: .raw)
        #expect(d.malformed?.message == "TCP header length 16 is less than 20")
        #expect(d.field("tcp.hdr_len")?.value == .uint(16))
        var long = TCPVectors.rstAck
        long[32] = 0xf0
        #expect(Summary.string(long, linkType: .raw) == "IP 34.194.149.67.81 > 192.0.2.2.30733: Flags [R.] [bad hdr length 60 - too long, > 20]")
        #expect(Dissector.dissect(long, linkType: .raw).malformed?.message == "TCP header says 60 bytes, but the segment is only 20")
    }

    /// tcpdump's text-protocol printer on port 80, each payload with what tcpdump printed after "length N".
    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", ": HTTP: GET / HTTP/1.1"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ": HTTP: HTTP/1.1 200 OK"),
        ("some body text\r\n", ": HTTP"),
        ("get /lower HTTP/1.0\r\n", ": HTTP: get /lower HTTP/1.0"),
        ("GET / HTTP/1.1", ": HTTP: GET / HTTP/1.1 [|http]"),
        ("GET / HTTP/1.1\r", ": HTTP"),
        ("GET\t/\r\n", ": HTTP: GET\t/"),
        ("FOO 200 bar\r\n", ": HTTP: FOO 200 bar"),
        ("FOO 2000 bar\r\n", ": HTTP"),
        ("HTTP/1.1 404 Not Found\nX: y\n", ": HTTP: HTTP/1.1 404 Not Found"),
    ])
    func httpFirstLineIsTcpdumps(payload: String, printed: String) {
        let ip = IPRepr.v4(IPv4Repr(source: client, destination: server, proto: .tcp))
        let tcp = TCPRepr(sourcePort: 40000, destinationPort: 80, sequenceNumber: 1000, acknowledgmentNumber: 2000,
                          flags: [.psh, .ack], window: 8192)
        let packet = PacketBuilder.build(ip: ip, transport: tcp, payload: Array(payload.utf8))
        let n = payload.utf8.count
        #expect(Summary.string(packet, linkType: .raw)
            == "IP 192.0.2.2.40000 > 34.194.149.67.80: Flags [P.], seq 1000:\(1000 + n), ack 2000, win 8192, length \(n)\(printed)")
    }

    @Test func sshIdentificationLineIsPrinted() {
        let ip = IPRepr.v4(IPv4Repr(source: client, destination: server, proto: .tcp))
        let tcp = TCPRepr(sourcePort: 40000, destinationPort: 22, sequenceNumber: 1, acknowledgmentNumber: 2, flags: [.psh, .ack],
                          window: 8192)
        let packet = PacketBuilder.build(ip: ip, transport: tcp, payload: Array("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".utf8))
        #expect(Summary.string(packet, linkType: .raw)
            == "IP 192.0.2.2.40000 > 34.194.149.67.22: Flags [P.], seq 1:33, ack 2, win 8192, length 32: SSH: SSH-2.0-OpenSSH_9.2p1 Debian-2")
    }

    @Test func linuxSYNOptionsAreInLinuxOrder() {
        #expect(TCPOption.linuxSYN(mss: 1460, tsVal: 7, windowScale: 7)
            == [.mss(1460), .sackPermitted, .timestamps(value: 7, echoReply: 0), .nop, .windowScale(7)])
    }
}
