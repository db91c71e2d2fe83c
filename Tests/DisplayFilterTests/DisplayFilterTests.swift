import DisplayFilter
import Testing
import Wire

/// The parser's refusals and the evaluator's answers on the reference SYN (DESIGN.md):
/// 192.0.2.2:30732 > 34.194.149.67:80, Flags [S], seq 4101019787, win 65535, options [mss 1460].
struct DisplayFilterTests {
    static let syn: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00,
        0x02, 0x04, 0x05, 0xb4,
    ]

    func matches(_ expression: String) throws -> Bool {
        let d = Dissector.dissect(Self.syn, linkType: .raw, describing: false)
        return try DisplayFilter(expression).matches(d, bytes: Self.syn)
    }

    @Test(arguments: [
        "tcp", "ip", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "", "  ", "tcp.flags.syn eq True", "ip.addr == 34.194.149.67",
        "ip.addr == 192.0.2.0/24", "ip.src != 10.0.0.0/8", "tcp.port in {80, 443}", "tcp.port in {1..100}", "tcp.dstport == 0x50",
        "tcp.dstport == 0120", "tcp.dstport == 0b1010000", "ip.ttl >= 64 and ip.ttl le 64", "tcp.flags & 0x02", "tcp.flags & 0x12 == 0x02",
        "tcp.options.mss_val == 1460", "tcp[0:2] == 78:0c", "ip[16:4] == 22.c2.95.43", "ip[-4:] == 02.04.05.b4", "ip[12-15] == c0-00-02-02", "ip.dst[0] == 0x22",
        "tcp contains 05:b4", "ip.src == 192.0.2.2 or udp", "not udp", "!(udp || icmp)", "tcp xor udp", "tcp ^^ udp",
        "all tcp.port < 40000", "any tcp.port == 80", "tcp.port !== 80", "tcp.srcport > tcp.dstport", "ip.src != ip.dst",
        "tcp.flags.str matches \"S\"", "tcp.flags.str ~ \"(?-i)S\"", "ip.proto == 6", "tcp.seq_raw == 4101019787",
        "tcp.port == 80 OR tcp", "tcp.window_size_value == 65535 AND ip",
    ])
    func keeps(_ expression: String) throws {
        #expect(try matches(expression), "\(expression)")
    }

    @Test(arguments: [
        "udp", "tcp.flags.ack == 1", "ip.addr == 10.0.0.0/8", "tcp.port in {443, 8000..8080}", "tcp.port != 80",
        "tcp.port === 80", "all tcp.port == 80", "tcp.flags & 0x10", "tcp[0:2] == 00:50", "tcp.flags.str matches \"(?-i)s\"",
        "tcp xor ip", "ip.src == ip.dst", "ip[100] == 00", "!tcp.flags.ack", "_ws.malformed", "dns.qry.name contains \"x\"", "tcp.port == -1",
    ])
    func refuses(_ expression: String) throws {
        #expect(try !matches(expression), "\(expression)")
    }

    @Test func unknownNameIsAnErrorWithTheNearestName() {
        #expect(throws: FilterError.self) { try DisplayFilter("tcp.flgs == 1") }
        do {
            _ = try DisplayFilter("ip and tcp.flgs")
        } catch {
            #expect(error.message == "tcp.flgs is neither a field nor a protocol name. Did you mean tcp.flags?")
            #expect(error.range == 7..<15)
            #expect(error.description == """
                tcp.flgs is neither a field nor a protocol name. Did you mean tcp.flags?
                    ip and tcp.flgs
                           ^~~~~~~~
                """)
        }
    }

    @Test(arguments: [
        ("tcp.port == 70000", "\"70000\" too big for this field, maximum 65535."),
        ("tcp.port == \"80\"", "Unsigned integer (2 bytes) cannot be converted from a string (\"80\")."),
        ("ip.src == 10.0.0.0/33", "Netmask bits in a CIDR IPv4 address should be <= 32, not 33"),
        ("eth.src == 00:11", "\"00:11\" contains too few bytes to be a valid Ethernet address."),
        ("tcp.port in {80 443}", "\"443\" was unexpected in this context."),
        ("tcp.port == 80 and", "Unexpected end of filter expression."),
        ("tcp)", "\")\" was unexpected in this context."),
        ("tcp.flags.syn == true", "\"true\" cannot be found among the possible values for tcp.flags.syn."),
        ("tcp.port contains 80", "tcp.port (type=Unsigned integer (2 bytes)) cannot participate in 'contains' comparison."),
        ("dns.qry.name matches foo", "A regular expression must be a double-quoted string, not foo."),
        ("http.host == \"a", "The final quote was missing from a quoted string."),
        // Found by the fuzzer: nanoseconds past Int64 trapped.
        ("tcp.time_delta > 06666666666666.66666666667", "\"06666666666666.66666666667\" is not a valid time offset."),
    ])
    func errorMessages(_ expression: String, _ message: String) {
        do {
            _ = try DisplayFilter(expression)
            Issue.record("\(expression) was accepted")
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func stringsTakeEscapesAndRawStrings() throws {
        #expect(try matches(#"tcp contains "\x05\xb4""#))
        #expect(try matches(#"tcp contains "\005\264""#))
        #expect(try !matches(#"tcp contains r"\x05""#))
    }
}
