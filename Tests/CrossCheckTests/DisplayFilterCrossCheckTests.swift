import Foundation
import Testing
import Wire

/// `tunscope print -Y` against `tshark -Y` on the scapy-made captures: the same frames kept, the
/// same expressions refused (exit status 1 and a message).
@Suite(.serialized, .enabled(if: Tools.available, Tools.missingMessage))
struct DisplayFilterCrossCheckTests {
    /// Every operator, value kind and decoded protocol, on make_capture.py's Ethernet capture.
    static let mixed = [
        // existence and protocols
        "tcp", "arp", "dns", "ntp", "http", "vlan", "llc",
        "tcp.options.sack_perm",
        // comparisons, symbols and words, any/all
        "tcp.port == 80", "tcp.port eq 443", "tcp.dstport != 80", "tcp.srcport ne 53", "ip.ttl < 64", "ip.ttl lt 64",
        "frame.len > 1000", "frame.len gt 100", "ip.ttl >= 128", "tcp.window_size_value ge 65535",
        "tcp.port === 80", "tcp.port !== 80", "all tcp.port > 1024", "any udp.port == 53", "ip.src != 192.0.2.2",
        // integers: decimal, hex, octal, binary, character constant
        "ip.hdr_len > 20", "frame.len > 'A'",
        // booleans
        "tcp.flags.syn == 1 && !tcp.flags.ack", "tcp.flags.reset == True", "tcp.flags.fin == FALSE and tcp.flags.push == 1",
        "dns.flags.response == 1",
        // addresses and blocks
        "ip.addr == 10.0.0.0/8", "ip.src == 198.51.100.0/24 or ip.dst == 203.0.113.0/24", "ip.addr > 200.0.0.0",
        "ipv6.addr == 2001:db8::/32", "ipv6.src == fe80::/10", "ipv6.dst == ff02::1", "eth.addr == ff:ff:ff:ff:ff:ff",
        "eth.src == 02-00-00-00-00-01", "eth.dst == 02.00.00.00.00.02", "arp.src.proto_ipv4 == 192.0.2.0/24",
        // either end, repeated fields
        "tcp.port == 53", "udp.port == 123", "dns.a == 93.184.216.34", "dns.resp.ttl > 100",
        "ip.src == ip.dst", "udp.srcport == udp.dstport",
        // sets and ranges
        "tcp.port in {80, 443, 8000..8080}", "udp.port in {53, 67..68, 123}", "ip.ttl in {1..10, 255}",
        // strings, contains, matches
        "dns.qry.name contains \"example\"", "dns.qry.name == \"www.example.test\"", "dns.qry.name matches \"^WWW\\\\.\"",
        "dns.qry.name matches \"(?-i)^WWW\"", "dns.qry.name ~ \"test$\"", "http.request.method == \"GET\"", "http.host contains \"example\"",
        "http.request.uri matches \"^/[a-z]+\"", "dhcp.option.hostname matches \"^h\"", "tls.handshake.extensions_server_name contains \"example\"",
        "tcp.payload contains \"GET\"", "tcp.payload contains 47:45:54", "http contains \"HTTP/1.1\"", "tcp contains \"x\"",
        "frame contains \"example\"", "udp contains 00:35", "tcp.flags.str matches \"A\"",
        // bitwise and
        "tcp.flags & 0x12 == 0x12", "tcp.flags & 0x04", "ip.dsfield & 0xfc",
        // slices
        "eth.src[0:3] == 02:00:00", "eth.dst[0] & 01", "frame[0:2] == ff:ff", "frame[-4:] == 00:00:00:00", "frame[54:4] == 47:45:54:20",
        "tcp[13] == 02", "tcp[2:2] == 00:50", "frame[0] == 0xff",
        "udp[0:2] == \"\\x005\"",
        // parentheses, precedence, logic
        "tcp and (ip.ttl < 64 or frame.len > 500)", "!(tcp.port == 80) && tcp", "not tcp.port == 80",
        "tcp || udp && ip.ttl == 64",
        // analysis fields print computes
        "tcp.stream == 3", "tcp.stream in {0..5}", "udp.stream > 2", "tcp.analysis.flags", "tcp.len > 0",
        "tcp.seq == 1", "tcp.ack > 0", "icmp.type == 8", "icmpv6.type == 128", "arp.opcode == 1", "tls.handshake.type == 1",
        "ntp.stratum > 1", "vlan.id == 100",
    ]

    /// Filters that differ from tshark's because the decode differs, not the filter: tshark
    /// makes an ip layer from a header cut short (frames 385, 399 of make_capture.py's capture),
    /// and its heuristics find TLS, QUIC, DHCP and DNS where tunscope's ports do not. Checked here
    /// only to be accepted: the decoders' differences, not the filter's.
    static let differByDecode = [
        "udp", "ip", "ipv6", "icmp", "icmpv6", "dhcp", "tls", "data", "not ip", "!tcp && !udp", "dns.qry.name", "ip.ttl <= 64", "ip.len le 60", "ip.proto == 0x11", "ip.proto == 021", "ip.proto == 0b110", "ip.flags.df == 0", "ip.dst == 192.0.2.1", "ip.addr == 192.0.2.2", "ip.dst in {192.0.2.1, 10.0.0.0/8}", "ip.flags & 0x40 == 0", "ip[0] == 45", "ip.src[0] == c0", "ip[12-15] == c0.00.02.02", "(tcp or udp) and not ip", "ip and not (tcp or udp or icmp)", "quic.version",
    ]

    /// Stream analysis: retransmissions, duplicate ACKs, windows, RTTs (make_streams.py).
    static let streams = [
        "tcp.analysis.retransmission", "tcp.analysis.duplicate_ack", "tcp.analysis.fast_retransmission", "tcp.analysis.out_of_order",
        "tcp.analysis.zero_window", "tcp.analysis.window_update", "tcp.analysis.keep_alive", "tcp.analysis.lost_segment",
        "tcp.analysis.flags && !tcp.analysis.window_update", "tcp.stream in {0, 2..4}", "tcp.analysis.bytes_in_flight > 1000",
        "tcp.analysis.ack_rtt < 0.01", "tcp.time_delta > 0.5", "udp.stream == 1", "tcp.len > 0 && tcp.stream == 1",
        "tcp.window_size_value < 1000", "tcp.nxtseq > 1000", "tcp.options.sack_le", "tcp.options.wscale.shift >= 7",
        "ipv6.src == 2001:db8::/32", "tcp.analysis.acks_frame < 100",
    ]

    /// What tshark 4.0 refuses and so must tunscope.
    static let refused = [
        "tcp.flgs", "tcp.flgs == 1", "tcp.port in {80 443}", "tcp.port == \"80\"", "ip.addr == foo", "tcp.port == 80 ==",
        "ip.src == 192.0.2.300", "tcp.flags.syn == true", "tcp.port == 80 and", "(tcp", "tcp)", "tcp.port == 1.2.3.4",
        "eth.src == 00:11", "tcp.port >", "ip.src == \"10.0.0.1\"", "tcp.flags.syn matches \"1\"", "tcp.port in {}",
        "tcp.port in {80..}", "ip.src == 10.0.0.0/33", "tcp.port == 70000", "tcp.port contains 80", "dns.qry.name matches \"(\"",
        "tcp.port ==", "== 80", "\"abc\"", "tcp.port == 80 80", "and", "tcp.analysis.flags == 1", "frame.len > 0x", "ip.ttl == 256",
        "dns.qry.name matches foo", "tcp &&& udp", "tcp.port in 80", "ip.src == 10.0.0.1/", "eth.src == 00:11:22:33:44:55:66",
    ]

    static func tsharkFrames(_ expression: String, _ capture: String) throws -> [String] {
        try Tools.run(["tshark", "-r", capture, "-Y", expression, "-T", "fields", "-e", "frame.number"])
            .split(separator: "\n").map(String.init)
    }

    /// The frame numbers tunscope's JSON records carry.
    static func tunscopeFrames(_ expression: String, _ capture: String, _ extra: [String] = []) throws -> [String] {
        let json = try Tools.run([Tools.tunscope, "print", "--format", "json", "-r", capture, "-Y", expression] + extra)
        return json.split(separator: "\n").compactMap { line in
            guard let r = line.range(of: "\"frame.number\":") else { return nil }
            return String(line[r.upperBound...].prefix { $0.isNumber })
        }
    }

    func compare(_ expressions: [String], on capture: String) throws {
        var differences: [String] = []
        for e in expressions {
            let theirs = try Self.tsharkFrames(e, capture), ours = try Self.tunscopeFrames(e, capture)
            if theirs != ours {
                differences.append("\(e)\n  tshark:   \(theirs.prefix(30).joined(separator: " "))\n  tunscope: \(ours.prefix(30).joined(separator: " "))")
            }
        }
        #expect(differences.isEmpty, "\(differences.count) of \(expressions.count) differ:\n\(differences.joined(separator: "\n"))")
    }

    @Test func mixedCaptureKeepsWhatTsharkKeeps() throws {
        #expect(Self.mixed.count >= 60)
        try compare(Self.mixed, on: try Tools.capture(linkType: "ethernet"))
    }

    @Test func rawCaptureKeepsWhatTsharkKeeps() throws {
        try compare(["ip.addr == 10.0.0.0/8", "tcp.port in {80, 443}", "dns.qry.name contains \"example\"", "udp.port == 53", ""], on: try Tools.capture(linkType: "raw"))
    }

    /// Header filters, which read plain packets' headers straight from their bytes, on traffic as
    /// it comes: arbitrary payloads on every decoded port, IPv4 and IPv6 (make_arbitrary_capture.py).
    @Test func headerFiltersOnArbitraryPayloadsKeepWhatTsharkKeeps() throws {
        try compare(["tcp.flags.syn == 1 && ip.ttl <= 64", "ip.addr == 192.0.2.0/24", "tcp.port in {53, 80, 443}", "udp.port == 53",
                     "tcp.len > 100", "ipv6.addr == 2001:db8::/32 && tcp", "tcp.flags & 0x18 == 0x18", "frame.len > 200 && udp",
                     "ip.id < 1000 || ipv6.hlim > 60", "!(tcp.srcport == 80) && tcp.window_size_value > 1000", "udp.length < 100"],
                    on: try ArbitraryPayloadTests.capture())
    }

    @Test func streamAnalysisFieldsKeepWhatTsharkKeeps() throws {
        try compare(Self.streams, on: try Tools.streamsCapture())
    }

    @Test func filtersOnDecodeDifferencesAreAccepted() throws {
        let capture = try Tools.capture(linkType: "ethernet")
        for e in Self.differByDecode {
            let (status, message) = try Tools.runStatus([Tools.tunscope, "print", "-q", "-r", capture, "-Y", e, "-c", "1"])
            #expect(status == 0, "\(e): \(message.prefix(200))")
        }
    }

    /// -f first, then -Y; -c counts the packets kept.
    @Test func withBPFAndCount() throws {
        let capture = try Tools.capture(linkType: "ethernet")
        let theirs = try Self.tsharkFrames("tcp.port == 80", capture).prefix(3)
        #expect(try Self.tunscopeFrames("tcp.port == 80", capture, ["-c", "3"]) == Array(theirs))
        // The BPF filter alone, then with -Y: the lines kept are some of those -f keeps.
        let bpf = try Tools.run([Tools.tunscope, "print", "-r", capture, "-f", "tcp port 80"]).split(separator: "\n")
        let both = try Tools.run([Tools.tunscope, "print", "-r", capture, "-f", "tcp port 80", "-Y", "ip.ttl == 64"]).split(separator: "\n")
        #expect(!both.isEmpty && both.count < bpf.count && both.allSatisfy { bpf.contains($0) })
    }

    @Test func refusesWhatTsharkRefuses() throws {
        let capture = try Tools.capture(linkType: "raw")
        var wrong: [String] = []
        for e in Self.refused {
            let (tshark, _) = try Tools.runStatus(["tshark", "-r", capture, "-Y", e, "-c", "1"])
            let (status, message) = try Tools.runStatus([Tools.tunscope, "print", "-r", capture, "-Y", e])
            if tshark == 0 || status != 1 || !message.contains("-Y: ") {
                wrong.append("\(e): tshark \(tshark), tunscope \(status) \(message.prefix(200))")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
    }

    /// Every name tunscope dissects on the captures is one a filter may use.
    @Test func everyDissectedNameIsRegistered() throws {
        var names = Set<String>()
        for capture in [try Tools.capture(linkType: "ethernet"), try Tools.capture(linkType: "sll2"), try Tools.streamsCapture()] {
            let json = try Tools.run([Tools.tunscope, "print", "--format", "json", "-r", capture])
            for line in json.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
                names.formUnion(object.keys)
            }
        }
        #expect(names.count > 200)
        let missing = names.filter { FieldRegistry.type(of: $0) == nil }.sorted()
        #expect(missing.isEmpty, "dissected but not in FieldRegistry: \(missing)")
    }
}
