import Foundation
import Testing

/// `tunscope send` against the real kernel TCP stack, inside namespaces each test makes: the
/// kernel at 192.0.2.1 is the server, tunscope the host at 192.0.2.2, and tcpdump on the tun
/// checks that what tunscope says it sent is what crossed the device.
@Suite(.enabled(if: Root.available, Root.missingMessage))
struct SendTests {
    /// A namespace with tun0 and a small HTTP server on 192.0.2.1:8080 that serves `page`.
    struct Server {
        let ns: Namespace
        let http: Background
        static let page = "hello from the kernel in a namespace\n"

        init() throws {
            ns = try Namespace(withTun: "tun0")
            let dir = Root.temporary("www")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Self.page.write(toFile: dir + "/index.html", atomically: true, encoding: .utf8)
            http = try Background(["/usr/bin/python3", "-m", "http.server", "--bind", "192.0.2.1", "--directory", dir, "8080"],
                                  in: ns.name)
            let up = Root.eventually(timeout: 10) {
                (try? ns.run(["ss", "-ltn"]).contains("192.0.2.1:8080")) ?? false
            }
            if !up { throw Tools.Failed(description: "the test's HTTP server did not start: \(http.standardError)") }
        }

        func send(_ args: [String]) throws -> (Int32, String, String) {
            try ns.runStatus([Tools.tunscope, "send", "-i", "tun0"] + args)
        }

        /// tcpdump on the tun while `body` runs: the lines it printed (-nn -S, as tunscope's summary).
        func watched(_ body: () throws -> Void) throws -> [Substring] {
            let file = Root.temporary("tun.pcap")
            let dump = try Background(["tcpdump", "-nn", "-U", "--immediate-mode", "-i", "tun0", "-w", file], in: ns.name)
            try dump.waitFor("listening on", timeout: 10, onStandardError: true)
            try body()
            usleep(300_000)
            // SIGKILL: the test runner starts children with SIGINT and SIGTERM blocked; -U has
            // written every packet already.
            _ = dump.stop(signal: SIGKILL)
            return try Tools.run(["tcpdump", "-nn", "-S", "-r", file]).split(separator: "\n")
        }

        /// Connections the kernel still holds with tunscope's address, other than TIME-WAIT.
        func leftovers() throws -> [Substring] {
            try ns.run(["ss", "-tan"]).split(separator: "\n").filter { $0.contains("192.0.2.2") && !$0.hasPrefix("TIME-WAIT") }
        }

        func remove() {
            _ = http.stop(signal: SIGKILL)
            ns.remove()
        }
    }

    /// A capture file of scapy's `packets` (a Python list: `[IP(...)/TCP(...)]`).
    static func capture(_ packets: String) throws -> String {
        let file = Root.temporary("resend.pcap")
        _ = try Root.run(["/usr/bin/python3", "-c", "from scapy.all import *; wrpcap('\(file)', \(packets))"])
        return file
    }

    static let syn = "IP(src='192.0.2.2', dst='192.0.2.1')/TCP(sport=40000, dport=8080, flags='S')"

    /// The flags of tunscope's SENT lines as tcpdump prints them: "SYN" is "S", "FIN-ACK" is "F.".
    static func sentFlags(_ out: String) -> [String] {
        let letters = ["SYN": "S", "FIN": "F", "RST": "R", "PSH": "P", "ACK": "."]
        return out.split(separator: "\n").filter { $0.contains(" SENT ") }.map { line in
            let what = line.components(separatedBy: " SENT ")[1].split(separator: " ")[0]
            return what.split(separator: "-").map { letters[String($0)] ?? "?" }.joined()
        }
    }

    @Test func anOpenPortIsEstablishedTheRequestAnsweredAndTcpdumpSawExactlyWhatTunscopeSent() throws {
        let server = try Server()
        defer { server.remove() }
        var result: (Int32, String, String) = (0, "", "")
        let dump = try server.watched { result = try server.send(["--syn", "192.0.2.1:8080", "--http"]) }
        let (status, out, err) = result
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("RCVD SYN-ACK") && out.contains("rtt="))
        #expect(out.contains("ESTABLISHED 192.0.2.2:"))
        #expect(out.contains(Server.page.trimmingCharacters(in: .newlines)), "the page is shown: \(out)")
        #expect(out.contains("1 connection: 1 ESTABLISHED"))
        let sentByTunscope = out.split(separator: "\n").filter { $0.contains(" SENT ") }
        let fromTunscope = dump.filter { $0.contains(" IP 192.0.2.2.") }
        #expect(sentByTunscope.count == fromTunscope.count, "tunscope:\n\(sentByTunscope.joined(separator: "\n"))\ntcpdump:\n\(fromTunscope.joined(separator: "\n"))")
        let dumpFlags = fromTunscope.map { $0.components(separatedBy: "Flags [")[1].prefix { $0 != "]" } }
        #expect(Self.sentFlags(out) == dumpFlags.map(String.init))
        // The round trip tunscope reports is tcpdump's own, to within 10 microseconds.
        func seconds(_ line: Substring) -> Double {
            let t = line.split(separator: " ")[0].split(separator: ":")
            return Double(t[2])! + Double(t[1])! * 60
        }
        let syn = try #require(dump.first { $0.contains("Flags [S],") }), synAck = try #require(dump.first { $0.contains("Flags [S.],") })
        let tcpdumpRTT = (seconds(synAck) - seconds(syn)) * 1_000_000
        let reported = try #require(out.components(separatedBy: "rtt=").dropFirst().first.flatMap { Double($0.prefix { $0 != " " }) }) * 1_000
        #expect(abs(reported - tcpdumpRTT) <= 10, "tunscope \(reported) us, tcpdump \(tcpdumpRTT) us")
        let left = try server.leftovers()
        #expect(left.isEmpty, "the kernel keeps state: \(left)")
    }

    @Test func aClosedPortIsRefused() throws {
        let server = try Server()
        defer { server.remove() }
        let (status, out, _) = try server.send(["--syn", "192.0.2.1:8081"])
        #expect(status == 1)
        #expect(out.contains("RCVD RST-ACK"))
        #expect(out.contains("REFUSED 192.0.2.2:"))
    }

    @Test func aDroppedSYNIsRetriedWithBackoffThenTimesOut() throws {
        let server = try Server()
        defer { server.remove() }
        try server.ns.run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "8080", "-j", "DROP"])
        var result: (Int32, String, String) = (0, "", "")
        let dump = try server.watched {
            result = try server.send(["--syn", "192.0.2.1:8080", "--syn-retries", "2", "--syn-timeout", "0.2"])
        }
        let (status, out, _) = result
        #expect(status == 1)
        #expect(out.contains("retransmission #1") && out.contains("retransmission #2"))
        #expect(out.contains("TIMEOUT 192.0.2.2:"))
        #expect(dump.filter { $0.contains("Flags [S]") }.count == 3, "\(dump)")
        // The gaps tcpdump saw: 0.2 s, then 0.4 s, the timeout doubling. Each timer waits from when
        // tunscope queued the send before it, and a loaded machine may put that on the wire (or
        // wake the timer) some tens of milliseconds late, shortening or stretching a gap.
        let times = dump.filter { $0.contains("Flags [S]") }.map { line -> Double in
            let t = line.split(separator: " ")[0].split(separator: ":")
            return Double(t[2])! + Double(t[1])! * 60
        }
        let gaps = [times[1] - times[0], times[2] - times[1]]
        #expect(gaps[0] > 0.14 && gaps[0] < 0.35 && gaps[1] > 0.34 && gaps[1] < 0.55 && gaps[1] > gaps[0] * 1.4, "\(times)")
    }

    @Test func noAckShowsTheServersSynAckRetransmissionsAndLeavesNothingHalfOpen() throws {
        let server = try Server()
        defer { server.remove() }
        try server.ns.run(["sysctl", "-qw", "net.ipv4.tcp_synack_retries=2"])
        let (status, out, _) = try server.send(["--syn", "192.0.2.1:8080", "--no-ack", "--watch", "3.6"])
        #expect(status == 0)
        #expect(out.contains("the server's retransmission #1") && out.contains("the server's retransmission #2"), "\(out)")
        #expect(out.contains("ANSWERED 192.0.2.2:"))
        #expect(try server.leftovers().isEmpty)
    }

    @Test func pingGetsRepliesFromTheKernelAndTunscopeAnswersTheKernelsPings() throws {
        let server = try Server()
        defer { server.remove() }
        let send = try Background([Tools.tunscope, "send", "-i", "tun0", "--ping", "192.0.2.1", "-c", "8", "--interval", "0.2"],
                                  in: server.ns.name)
        try send.waitFor("RCVD echo reply", timeout: 5)
        let kernelPing = try server.ns.runStatus(["ping", "-c", "2", "-i", "0.2", "-W", "1", "192.0.2.2"])
        #expect(kernelPing.0 == 0, "tunscope answers echo requests to its address: \(kernelPing.1)")
        let (status, out, _) = send.wait(timeout: 10)
        #expect(status == 0, "\(out)")
        #expect(out.contains("ping 192.0.2.1: 8 sent, 8 received"))
        #expect(out.split(separator: "\n").filter { $0.contains("RCVD echo reply") && $0.contains("rtt=") }.count == 8)
        #expect(out.contains("answered, as a host does"))
    }

    @Test func aResentSYNIsAnsweredButWithAWrongChecksumTheKernelSaysNothing() throws {
        let server = try Server()
        defer { server.remove() }
        // A capture holding a SYN that tunscope sent (the pcap tcpdump wrote on the tun).
        let file = Root.temporary("syn.pcap")
        let dump = try Background(["tcpdump", "-nn", "-U", "--immediate-mode", "-c", "1", "-i", "tun0", "-w", file, "tcp[tcpflags] == tcp-syn"], in: server.ns.name)
        try dump.waitFor("listening on", timeout: 10, onStandardError: true)
        _ = try server.send(["--syn", "192.0.2.1:8080"])
        _ = dump.wait(timeout: 5)

        let broken = try server.watched {
            let (status, out, err) = try server.send(["--resend", "1", "-r", file, "--bad-checksum", "--wait", "0.5"])
            #expect(status == 0, "\(err)")
            #expect(out.contains("SENT edited"))
            #expect(!out.contains("RCVD"), "\(out)")
        }
        #expect(broken.count == 1 && broken[0].contains("Flags [S]"), "only our SYN crossed: \(broken)")

        let (status, out, _) = try server.send(["--resend", "1", "-r", file, "--wait", "0.5"])
        #expect(status == 0)
        #expect(out.contains("SENT resent") && out.contains("RCVD SYN-ACK"), "\(out)")
        #expect(out.contains("reset, as a host does"), "a SYN-ACK for no connection of tunscope's is reset")
    }

    /// Each packet of a capture resent to the kernel with `ip.dst=192.0.2.1`: every answer
    /// tcpdump sees on the tun is a RCVD line, and the echo's data is replaced, not appended to.
    @Test func aResendShowsEveryAnswerTheKernelSends() throws {
        let server = try Server()
        defer { server.remove() }
        let file = try Self.capture("""
            [IP(src='192.0.2.2', dst='198.51.100.80')/TCP(sport=40000, dport=81, flags='S', seq=1000), \
            IP(src='192.0.2.2', dst='198.51.100.80')/ICMP(id=77, seq=5)/Raw(b'hello'), \
            IP(src='192.0.2.2', dst='198.51.100.80')/UDP(sport=40001, dport=9999)/Raw(b'x')]
            """)
        // The packet, its edits, tunscope's word for the answer, and tcpdump's.
        let cases: [(String, [String], String, String)] = [
            ("1", [], "RCVD RST-ACK", "Flags [R.], seq 0, ack 1001,"),
            ("2", ["--set", "data.text=HI"], "RCVD echo reply", "ICMP echo reply, id 77, seq 5, length 10"),
            ("3", [], "RCVD ICMP port unreachable", "udp port 9999 unreachable"),
        ]
        for (n, edits, answer, tcpdumpSays) in cases {
            var result: (Int32, String, String) = (0, "", "")
            let dump = try server.watched {
                result = try server.send(["--resend", n, "-r", file, "--set", "ip.dst=192.0.2.1"] + edits + ["--wait", "0.5"])
            }
            let (status, out, err) = result
            #expect(status == 0, "\(out)\(err)")
            let rcvd = out.split(separator: "\n").filter { $0.contains(" RCVD ") }
            let fromKernel = dump.filter { $0.contains(" IP 192.0.2.1") }
            #expect(rcvd.count == 1 && fromKernel.count == 1, "tunscope:\n\(out)tcpdump:\n\(dump.joined(separator: "\n"))")
            #expect(rcvd.first?.contains(answer) == true && rcvd.first?.contains("answers the ") == true, "\(out)")
            #expect(fromKernel.first?.contains(tcpdumpSays) == true, "\(dump)")
            if n == "2" {
                // The edited echo went out with HI alone as its data (8 + 2 bytes).
                #expect(dump.contains { $0.contains("ICMP echo request, id 77, seq 5, length 10") }, "\(dump)")
            }
        }
    }

    /// The lab's router between tunscope and the server: a closed port's reset, and the
    /// router's time exceeded for a packet sent with a TTL of 1.
    @Test func aResendInTheLabShowsTheResetAndTheRoutersTimeExceeded() throws {
        let file = try Self.capture("[IP(src='192.0.2.2', dst='198.51.100.80')/TCP(sport=40000, dport=80, flags='S', seq=1000)]")
        let closed = try Root.runStatus([Tools.tunscope, "send", "--lab", "--resend", "1", "-r", file, "--set", "tcp.dstport=81", "--wait", "1"])
        #expect(closed.0 == 0 && closed.1.contains("RCVD RST-ACK       198.51.100.80:81 > 192.0.2.2:40000"), "\(closed)")
        let ttl = try Root.runStatus([Tools.tunscope, "send", "--lab", "--resend", "1", "-r", file, "--set", "ip.ttl=1", "--wait", "1"])
        #expect(ttl.0 == 0 && ttl.1.contains("RCVD ICMP time exceeded  192.0.2.1 > 192.0.2.2"), "\(ttl)")
    }

    @Test func anEditTooBigForAnIPPacketIsRefusedBeforeAnythingIsSent() throws {
        let server = try Server()
        defer { server.remove() }
        let file = try Self.capture("[\(Self.syn)]")
        // 20 + 20 header bytes + 65,500: 5 more than an IPv4 total length can say.
        let data = String(repeating: "ab", count: 65_500)
        let dump = try server.watched {
            let (status, out, err) = try server.send(["--resend", "1", "-r", file, "--set", "data.data=" + data, "--wait", "0.2"])
            #expect(status == 2, "\(out)\(err)")
            #expect(err.contains("65540 bytes") && err.contains("at most 65535"), "\(err.prefix(300))")
            #expect(!out.contains("SENT"), "\(out)")
        }
        #expect(!dump.contains { $0.contains(" IP 192.0.2.2.") }, "nothing crossed: \(dump)")
    }

    @Test func whatATunCannotCarryIsOneErrorNeverSENT() throws {
        let server = try Server()
        defer { server.remove() }
        let file = try Self.capture("[Ether()/ARP(psrc='192.0.2.2', pdst='192.0.2.1'), Ether()/\(Self.syn)]")
        let dump = try server.watched {
            let (status, out, err) = try server.send(["--resend", "1", "-r", file, "--wait", "0.2"])
            #expect(status == 2, "\(out)\(err)")
            #expect(err.contains("packet 1 of \(file) is an ARP frame") && err.contains("only IP packets"), "\(err)")
            #expect(err.split(separator: "\n").filter { !$0.contains("tunscope is ") }.count == 1, "one error: \(err)")
            #expect(!out.contains("SENT"), "\(out)")
        }
        #expect(dump.allSatisfy { $0.contains("router solicitation") }, "only the kernel's own packets crossed: \(dump)")
        // The IP packet in an Ethernet frame goes in without its Ethernet header.
        let (status, out, err) = try server.send(["--resend", "2", "-r", file, "--wait", "0.5"])
        #expect(status == 0 && out.contains("SENT resent") && out.contains("RCVD SYN-ACK"), "\(out)\(err)")
        // A write the kernel refuses (the device is down) is an error, and not SENT.
        try server.ns.run(["ip", "link", "set", "tun0", "down"])
        let down = try server.send(["--resend", "2", "-r", file, "--wait", "0.2"])
        #expect(down.0 == 2 && down.2.contains("could not write"), "\(down)")
        #expect(!down.1.contains("SENT"), "\(down.1)")
    }

    @Test func ipv6HandshakesAndPingsWorkAgainstTheKernel() throws {
        let server = try Server()
        defer { server.remove() }
        try server.ns.run(["ip", "addr", "add", "2001:db8::1", "peer", "2001:db8::2", "dev", "tun0", "nodad"])
        let listener = try Background(["/usr/bin/python3", "-c", """
            import socket, time
            s = socket.socket(socket.AF_INET6); s.bind(('2001:db8::1', 8086)); s.listen(8); time.sleep(60)
            """], in: server.ns.name)
        defer { _ = listener.stop(signal: SIGKILL) }
        #expect(Root.eventually(timeout: 10) { (try? server.ns.run(["ss", "-ltn"]).contains("8086")) ?? false })
        let syn = try server.send(["--source", "2001:db8::2", "--syn", "[2001:db8::1]:8086"])
        #expect(syn.0 == 0, "\(syn.1)\(syn.2)")
        #expect(syn.1.contains("ESTABLISHED [2001:db8::2]:"), "\(syn.1)")
        let ping = try server.send(["--source", "2001:db8::2", "--ping", "2001:db8::1", "-c", "2", "--interval", "0.1"])
        #expect(ping.0 == 0 && ping.1.contains("2 sent, 2 received"), "\(ping.1)")
    }

    @Test func theLabIsTheDefaultTarget() throws {
        let (status, out, err) = try Root.runStatus([Tools.tunscope, "send", "--lab", "--http"])
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("ESTABLISHED 192.0.2.2:") && out.contains("> 198.51.100.80:80"))
        #expect(out.contains("Hello from the tunscope lab"))
        let closed = try Root.runStatus([Tools.tunscope, "send", "--lab", "--syn", "example.test:81"])
        #expect(closed.0 == 1 && closed.1.contains("REFUSED"), "\(closed)")
    }

    @Test func mistakesAreOneClearLine() throws {
        let cases: [([String], Int32, String)] = [
            (["--syn", "192.0.2.1", "-i", "tun0"], 64, "give the port too"),
            (["--syn", "192.0.2.1:70000", "-i", "tun0"], 64, "from 1 to 65535"),
            (["--syn", "192.0.2.1:0", "-i", "tun0"], 64, "from 1 to 65535"),
            (["--syn", "192.0.2.1:80"], 64, "give either -i DEV or --lab"),
            (["--ping", "192.0.2.1", "--syn", "192.0.2.1:80", "-i", "tun0"], 64, "exactly one of"),
            (["--resend", "1", "-i", "tun0"], 64, "needs the capture file"),
            (["--syn", "192.0.2.1:80", "--close", "maybe", "-i", "tun0"], 64, "fin or rst"),
            (["--syn", "192.0.2.1:80", "--interval", "-1", "-i", "tun0"], 64, "--interval must be from 0.001"),
            (["--ping", "192.0.2.1", "--count", "-3", "-i", "tun0"], 64, "--count must be from 1"),
            (["--lab", "--syn", "example.com:80"], 64, "in the lab, example.test is the server"),
        ]
        for (args, code, message) in cases {
            let (status, _, err) = try Root.runStatus([Tools.tunscope, "send"] + args)
            #expect(status == code, "\(args): \(err)")
            #expect(err.contains(message), "\(args): \(err)")
        }
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let (status, _, err) = try ns.runStatus([Tools.tunscope, "send", "-i", "tun0", "--syn", "example.test:80"])
        #expect(status == 64 && err.contains("tunscope does not look names up"), "\(err)")
        // A name is refused before any device is touched (nosuch9 is not made), and nothing is looked up.
        let name = try ns.runStatus([Tools.tunscope, "send", "-i", "nosuch9", "--syn", "example.com:80"])
        #expect(name.0 == 64 && name.2.contains("'example.com' is not an IP address"), "\(name.2)")
        let six = try ns.runStatus([Tools.tunscope, "send", "-i", "nosuch9", "--syn", "[2001:db8::1]:80"])
        #expect(six.0 == 64 && six.2.contains("with --source"), "\(six.2)")
        // send does not make a device: it says there is none and leaves none behind.
        let missing = try ns.runStatus([Tools.tunscope, "send", "-i", "nosuch9", "--syn", "192.0.2.1:80"])
        #expect(missing.0 == 2 && missing.2.contains("no such device nosuch9"), "\(missing.2)")
        #expect(try ns.runStatus(["ip", "link", "show", "nosuch9"]).0 != 0, "nosuch9 was left behind")
        // A negative number after an option is its value: -1 is --wscale's "none".
        let noScale = try ns.runStatus([Tools.tunscope, "send", "-i", "tun0", "--syn", "192.0.2.1:80", "--wscale", "-1"])
        #expect(noScale.0 == 1 && noScale.1.contains("REFUSED"), "\(noScale)")
        try ns.run(["ip", "tuntap", "add", "name", "bare0", "mode", "tun"])
        let bare = try ns.runStatus([Tools.tunscope, "send", "-i", "bare0", "--syn", "192.0.2.1:80"])
        #expect(bare.0 == 2 && bare.2.contains("give --source"), "\(bare.2)")
    }
}
