import Testing
@testable import Wire

@Suite struct DNSTests {
    /// A UDP/IPv4 packet from 198.51.100.53:53 to 192.0.2.2:40002 carrying `dns`.
    static func packet(_ dns: Bytes) -> Bytes {
        let ip = IPv4Repr(source: IPv4Address(198, 51, 100, 53), destination: IPv4Address(192, 0, 2, 2), proto: .udp)
        return PacketBuilder.build(ip: .v4(ip), transport: UDPRepr(sourcePort: 53, destinationPort: 40002), payload: dns)
    }

    /// www.example.test CNAME example.test, example.test A 198.51.100.80, the names compressed.
    /// tcpdump -nn: IP 198.51.100.53.53 > 192.0.2.2.40002: 4098 2/0/0 CNAME example.test., A 198.51.100.80 (64)
    static let cnameChain: Bytes = [0x10, 0x02, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
                                    3] + Array("www".utf8) + [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1,
                                    0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 2, 0xc0, 0x10,
                                    0xc0, 0x10, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 51, 100, 80]

    @Test func responseDecodesAndPrintsAsTcpdump() {
        let p = Self.packet(Self.cnameChain)
        #expect(Summary.string(p, linkType: .raw)
                == "IP 198.51.100.53.53 > 192.0.2.2.40002: 4098 2/0/0 CNAME example.test., A 198.51.100.80 (\(Self.cnameChain.count))")
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.strings(of: "dns.qry.name")?.text == "www.example.test")
        #expect(d.strings(of: "dns.cname")?.text == "example.test")
        #expect(d.field("dns.a")?.value == .ipv4(IPv4Address(198, 51, 100, 80)))
        #expect(d.field("dns.flags.rcode")?.value == .uint(0))
    }

    /// example.test TXT "hello" "world", then a string with a control character, a byte above 0x7f
    /// and an empty string. tcpdump -nn prints each string quoted (fn_print_char for the odd bytes).
    @Test func txtAnswerPrintsEveryString() {
        let question: Bytes = [0, 0, 16, 0, 1]
        let header: Bytes = [0x00, 0x05, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, 7] + Array("example".utf8) + [4] + Array("test".utf8) + question
        let first: Bytes = [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 12, 5] + Array("hello".utf8) + [5] + Array("world".utf8)
        let second: Bytes = [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 4, 0x61, 0x01, 0xc3, 0x7f, 0]
        let dns = header + first + second
        let p = Self.packet(dns)
        #expect(Summary.string(p, linkType: .raw)
                == "IP 198.51.100.53.53 > 192.0.2.2.40002: 5 2/0/0 TXT \"hello\" \"world\", TXT \"a^AM-C^?\" \"\" (\(dns.count))")
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(d.malformed == nil)
        let dnsLayer = d.layer("dns")
        let texts = dnsLayer?.fields.filter { $0.isNamed("dns.txt") }.map { dnsLayer!.strings(of: $0).text }
        #expect(texts == ["hello", "world", "a\u{01}\u{FFFD}\u{7f}", ""])
        // tshark reads TXT as ASCII (as UTF-8 in mDNS only): every byte past 0x7f is U+FFFD, even
        // where they make UTF-8.
        let ascii = DNS.asciiText([0x61, 0xc3, 0xa9, 0x0b])
        #expect(ascii.value == "a\u{FFFD}\u{FFFD}\u{0b}" && ascii.shown == "a\u{FFFD}\u{FFFD}\\v")
        #expect(d.field("dns.txt.length")?.value == .uint(5))
        // A string longer than its record runs on into what follows; past the message's end it
        // is cut short: what was there, then the truncation mark.
        var oneAnswer = header + [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 5, 0x61, 0x62]
        oneAnswer[7] = 1
        #expect(Summary.string(Self.packet(oneAnswer), linkType: .raw).hasSuffix(" 5 1/0/0 TXT \"ab [|domain]"))
    }

    /// A name server record naming the root: tshark's "<Root>", as for a question's name.
    @Test func rootAsRecordDataIsNamedRoot() {
        let dns: Bytes = [0, 9, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + Self.exampleQuestion + [0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 60, 0, 1, 0]
        #expect(Dissector.dissect(Self.packet(dns), linkType: .raw).strings(of: "dns.ns")?.text == "<Root>")
    }

    @Test func queryPrintsAsTcpdump() {
        let query: Bytes = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                            7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 28, 0, 1]
        #expect(Summary.string(Self.packet(query), linkType: .raw) == "IP 198.51.100.53.53 > 192.0.2.2.40002: 4660+ AAAA? example.test. (30)")
    }

    @Test func aCompressionLoopIsMalformedNotAHang() {
        // The question's name is a pointer to itself.
        let loop: Bytes = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]
        let d = Dissector.dissect(Self.packet(loop), linkType: .raw)
        #expect(d.malformed?.message == "DNS question name has a compression pointer that does not point backwards (a loop)")
        #expect(d.layer("dns") != nil)
    }

    @Test func everyTruncatedPrefixDecodesWithoutTrapping() {
        let p = Self.packet(Self.cnameChain)
        for n in 0..<p.count {
            _ = Dissector.dissect(Array(p[0..<n]), linkType: .raw)
            _ = Summary.string(Array(p[0..<n]), linkType: .raw)
        }
        // Cut inside the answers: everything before is kept, and the problem is named.
        let cut = Dissector.dissect(Array(p[0..<(p.count - 6)]), linkType: .raw)
        #expect(cut.strings(of: "dns.cname")?.text == "example.test")
        #expect(cut.malformed != nil)
    }

    /// A DNS message alone through the summary printer: the line and the passes its loops made.
    static func steps(_ dns: Bytes, overTCP: Bool = false, mdns: Bool = false) -> (line: String, steps: Int) {
        var w = TextWriter()
        var steps = 0
        Summary.writeDNS(dns, at: 0, end: dns.count, length: dns.count, overTCP: overTCP, mdns: mdns, steps: &steps, into: &w)
        return (w.string, steps)
    }

    static let exampleQuestion: Bytes = [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1]

    /// A one-question query and a response whose other counts are 65,535 with no records behind
    /// them: the work is a handful of passes, not 196,605 (the 130 us a packet).
    /// tcpdump -nn: 4660+ [65535a] [65535n] [65535au] A? example.test. (30)
    ///              4660 65535/65535/65535 [|domain]
    @Test func countsOf65535CostWhatTheBytesAllow() {
        let query: Bytes = [0x12, 0x34, 0x01, 0x00, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + Self.exampleQuestion
        let q = Self.steps(query)
        #expect(q.line == "4660+ [65535a] [65535n] [65535au] A? example.test. (30)")
        #expect(q.steps < 20)
        var response = query
        response[2] = 0x81; response[3] = 0x80
        let r = Self.steps(response)
        #expect(r.line == "4660 65535/65535/65535 [|domain]")
        #expect(r.steps < 20)
        // 65,535 questions: the response skips what is there, then stops.
        response[4] = 0xff; response[5] = 0xff
        let all = Self.steps(response)
        #expect(all.line == "4660 [65535q], [|domain]")
        #expect(all.steps < 20)
        // Through the dissector too: the sections end where the bytes do.
        let d = Dissector.dissect(Self.packet(response), linkType: .raw)
        #expect(d.malformed != nil)
        #expect(d.strings(of: "dns.qry.name")?.text == "example.test")
    }

    /// A chain of 40 pointers, each to the one before, ending at "foo": followed to the end,
    /// one pass per pointer; a pointer to itself is "<BAD PTR>".
    /// tcpdump -nn: 16+ A? foo. (…) and 7+ A? <BAD PTR> [|domain]
    @Test func pointerChainsAndLoopsAreBounded() {
        var chain: Bytes = [3] + Array("foo".utf8) + [0]
        chain += [0xc0, 12]
        for k in 1..<40 { chain += [0xc0, UInt8(12 + 5 + 2 * (k - 1))] }
        let query: Bytes = [0, 16, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + chain + [0, 1, 0, 1]
        let c = Self.steps(query)
        // The question's name is the last pointer; its type and class follow it.
        #expect(c.line == "16+ Type49152 (Class 109)? foo. (\(query.count))" || c.line.hasSuffix("(\(query.count))"))
        #expect(c.steps < 3 * query.count)
        let loop: Bytes = [0, 7, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]
        #expect(Self.steps(loop).line == "7+ A? <BAD PTR> [|domain]")
        // A pointer forwards is as bad as one to itself.
        let forwards: Bytes = [0, 7, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x12, 0, 1, 0, 1, 0]
        #expect(Self.steps(forwards).line == "7+ A? <BAD PTR> [|domain]")
    }

    /// Names as tcpdump's fqdn_print writes them: bytes above 0x7f as "M-", control bytes as "^",
    /// an extended label type as "<ELT n>", a reserved one as "<BAD LABEL TYPE>", a bit label in
    /// hex, and a name cut by the capture as far as it goes.
    @Test func brokenNamesPrintAsTcpdump() {
        let header: Bytes = [0, 12, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let type: Bytes = [0, 1, 0, 1]
        // tcpdump -nn: 12+ A? a^AM-^\M-^?^?. (23)
        #expect(Self.steps(header + [5, 0x61, 0x01, 0x9c, 0xff, 0x7f, 0] + type).line == "12+ A? a^AM-^\\M-^?^?. (23)")
        // tcpdump -nn: 12+ A? <ELT 4>[|domain]  (the ELT label is read before the question is)
        #expect(Self.steps(header + [0x44, 0x61, 0x62, 0x63, 0] + type).line == "12+ [|domain]")
        #expect(Self.steps(header + [3, 0x61, 0x62, 0x63, 0x44, 0] + type).line.hasPrefix("12+ [|domain]"))
        // tcpdump -nn: 12+ A? \[xabc/12].foo. (25)
        #expect(Self.steps(header + [0x41, 0x0c, 0xab, 0xcd, 3] + Array("foo".utf8) + [0] + type).line == "12+ A? \\[xabc/12].foo. (25)")
        // tcpdump -nn: 12+ A? aM-^@b. (21): 0x80 inside a label is just a byte.
        #expect(Self.steps(header + [3, 0x61, 0x80, 0x62, 0] + type).line == "12+ A? aM-^@b. (21)")
        // A reserved label type in a CNAME's target: tcpdump names it. (In a question of a
        // response it only stops the skip: "12 [|domain]".)
        let reserved: Bytes = [0, 12, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + Self.exampleQuestion +
                              [0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 0x80, 0]
        #expect(Self.steps(reserved).line == "12 1/0/0 CNAME <BAD LABEL TYPE> [|domain]")
        // Five labels of 63 bytes: what fits in 255 characters, then tcpdump's mark.
        var long: Bytes = []
        for letter in Array("abcde".utf8) { long += [63] + Bytes(repeating: letter, count: 63) }
        let line = Self.steps(header + long + [0] + type).line
        #expect(line.hasSuffix("<DOMAIN NAME TOO LONG> (\(12 + long.count + 5))"))
        // Four labels make 256 characters with their dots: the fifth is not printed at all.
        #expect(line.contains(String(repeating: "d", count: 63) + ".<DOMAIN NAME TOO LONG>"))
    }

    /// An OPT record's options, each value as eopt_print prints it: ECS, COOKIE, KEEPALIVE,
    /// EXPIRE, KEY-TAG, the algorithm lists, CHAIN (whose pointers count from the option's end),
    /// and values of the wrong size.
    @Test func optOptionValuesPrintAsTcpdump() {
        func option(_ code: UInt16, _ data: Bytes) -> Bytes { [UInt8(code >> 8), UInt8(code & 0xff), 0, UInt8(data.count)] + data }
        let options = option(8, [0, 1, 24, 0, 198, 51, 100]) + option(8, [0, 2]) + option(10, Array(1...8)) + option(10, Bytes(repeating: 0, count: 10))
            + option(11, [0x04, 0xd2]) + option(9, [0, 0, 0x0e, 0x10]) + option(14, [0x4f, 0x66, 0x4a, 0x5c])
            + option(5, [8, 13, 99]) + option(6, [1, 2, 9]) + option(7, [1]) + option(13, [0xc0, 0x00])
            + option(13, [7] + Array("example".utf8) + [0])
        let record: Bytes = [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, UInt8(options.count)] + options
        let dns: Bytes = [0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + Self.exampleQuestion + record
        // tcpdump -nn (one line):
        #expect(Self.steps(dns).line == "7 1/0/0 OPT UDPsize=1232 DO [ECS 198.51.100.0/24/0,ECS  (invalid),"
                + "COOKIE 0102030405060708,COOKIE  (invalid),KEEPALIVE 123.4 sec,EXPIRE 3600 sec,KEY-TAG 20326 19036,"
                + "DAU RSASHA256 ECDSAP256SHA256 Alg_99,DHU SHA-1 SHA-256 Alg_9,N3U SHA-1,CHAIN ,CHAIN example.] (144)")
        // A CHAIN pointer past the message ends its name, not the options; one into the next option reads it.
        let chains = option(13, [0xc0, 0xff]) + option(3, Array("ab".utf8)) + option(13, [3] + Array("abc".utf8) + [0xc0, 0x02])
            + option(3, [0, 3, 0x78, 0x79, 0x7a])
        let second: Bytes = [0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + Self.exampleQuestion
            + [0, 0, 41, 0x02, 0, 0, 0, 0, 0, 0, UInt8(chains.count)] + chains
        // tcpdump -nn:
        #expect(Self.steps(second).line == "7 1/0/0 OPT UDPsize=512 [CHAIN ,NSID 6162,CHAIN abc.,NSID 000378797a] (72)")
    }

    /// DNS over TCP: the two-byte length prefix, checked against the segment as tcpdump does.
    @Test func overTCPChecksTheLengthPrefix() {
        let message: Bytes = [0, 30, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + Self.exampleQuestion
        // tcpdump -nn: ..., length 32 30+ A? example.test. (30)
        #expect(Self.steps([0, 30] + message, overTCP: true).line == " 30+ A? example.test. (30)")
        // tcpdump -nn: ..., length 32 [prefix length(999) != length(30)] (invalid)
        #expect(Self.steps([0x03, 0xe7] + message, overTCP: true).line == " [prefix length(999) != length(30)] (invalid)")
        #expect(Self.steps([0], overTCP: true).line == " [DNS over TCP: length 1 < 2] (invalid)")
        #expect(Self.steps([0, 3, 1, 2, 3], overTCP: true).line == " domain [length 3 < 12] (invalid)")
        // The whole line, through the TCP printer.
        let ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(198, 51, 100, 53), proto: .tcp)
        let p = PacketBuilder.build(ip: .v4(ip), transport: TCPRepr(sourcePort: 40000, destinationPort: 53, sequenceNumber: 1, acknowledgmentNumber: 1,
                                                                   flags: [.psh, .ack], window: 8192), payload: [0, 30] + message)
        #expect(Summary.string(p, linkType: .raw).hasSuffix(", length 32 30+ A? example.test. (30)"))
    }

    /// mDNS on 5353: the top bit of a question's class is QU, of a record's class cache-flush.
    /// tcpdump -nn: 0 [2q] PTR (QU)? example.test. TXT (QM)? example.test. (36)
    @Test func multicastDNSMarksQUAndCacheFlush() {
        let query: Bytes = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 12, 0x80, 1, 0xc0, 0x0c, 0, 16, 0, 1]
        #expect(Self.steps(query, mdns: true).line == "0 [2q] PTR (QU)? example.test. TXT (QM)? example.test. (36)")
        let answer: Bytes = [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0] + Self.exampleQuestion.dropLast(4) + [0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 0, 0, 1]
        #expect(Self.steps(answer, mdns: true).line == "0*- [0q] 1/0/0 (Cache flush) A 10.0.0.1 (\(answer.count))")
        let ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(224, 0, 0, 251), proto: .udp)
        let p = PacketBuilder.build(ip: .v4(ip), transport: UDPRepr(sourcePort: 5353, destinationPort: 5353), payload: query)
        #expect(Summary.string(p, linkType: .raw) == "IP 192.0.2.2.5353 > 224.0.0.251.5353: 0 [2q] PTR (QU)? example.test. TXT (QM)? example.test. (36)")
    }

    /// Every prefix of odd messages prints and dissects without trapping, in a bounded number of
    /// passes.
    @Test func everyPrefixOfOddMessagesIsBounded() {
        var chain: Bytes = [3] + Array("foo".utf8) + [0, 0xc0, 12]
        for k in 1..<20 { chain += [0xc0, UInt8(12 + 5 + 2 * (k - 1))] }
        let messages: [Bytes] = [
            [0, 1, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + Self.exampleQuestion + [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 1, 0, 3, 5, 0x61, 0x62],
            [0, 2, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + chain + [0, 1, 0, 1],
            [0, 3, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + Self.exampleQuestion + [0xc0, 0x0c, 0, 38, 0, 1, 0, 0, 0, 1, 0, 11, 64, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0xc0, 0x0c],
            [0, 4, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + Self.exampleQuestion + [0xc0, 0x0c, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 8, 0, 3, 0, 1, 0x61, 0xff, 1, 0],
            Self.cnameChain,
        ]
        for m in messages {
            for n in 0...m.count {
                let prefix = Array(m[0..<n])
                for (tcp, mdns) in [(false, false), (false, true), (true, false)] {
                    let r = Self.steps(prefix, overTCP: tcp, mdns: mdns)
                    #expect(r.steps <= 4 * m.count + 8)
                }
                _ = Dissector.dissect(Self.packet(prefix), linkType: .raw)
            }
        }
    }

    /// 100 questions made of nothing but pointers (name, type and class each a pointer to the
    /// two bytes before, the first to "foo"): question k's name goes back through 3k pointers,
    /// 15,000 passes in all if each chain were walked anew (tcpdump does), a cost growing with the
    /// square of the bytes. The line remembers where each chain ends, so it is tcpdump's line
    /// (`9+ [101q] A? foo. Type49173 (Class 49175)? foo. ...`) for a few passes a byte. The
    /// dissection, which walks names anew, stops at its budget of four passes a byte.
    @Test func namesShareABudgetOfPassesPerMessage() {
        var body: Bytes = [3] + Array("foo".utf8) + [0, 0, 1, 0, 1]
        for k in 0..<300 {
            let target = k == 0 ? 12 : 21 + 2 * (k - 1)
            body += [0xc0 | UInt8(target >> 8), UInt8(target & 0xff)]
        }
        let query: Bytes = [0, 9, 0x01, 0x00, 0, 101, 0, 0, 0, 0, 0, 0] + body
        let r = Self.steps(query)
        #expect(r.line.hasPrefix("9+ [101q] A? foo. Type49173 (Class 49175)? foo. Type49179 (Class 49181)? foo. "))
        #expect(r.line.hasSuffix("Type49767 (Class 49769)? foo. (\(query.count))"))
        #expect(r.line.split(separator: "?").count == 102)
        #expect(r.steps <= 4 * query.count)
        let d = Dissector.dissect(Self.packet(query), linkType: .raw)
        #expect(d.malformed?.message == "DNS question names take more labels and compression pointers than four a byte of the message")
    }
}
