import Foundation
import Testing

/// `print --drops`: the kernel's verdict on the packets a program of the test's own writes into
/// the tun it holds (drop_tun.py), each SYN dropped for its own reason, in a namespace the test
/// makes and removes. Needs root (CI runs as root).
@Suite(.enabled(if: Root.available && Tools.available, Root.missingMessage),
       .enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux"),
                "needs a kernel with BTF (/sys/kernel/btf/vmlinux), which the BPF program is relocated against"))
struct DropVerdictTests {
    /// The SYNs: name, source, destination, port, IP id, what is broken; and the reason the
    /// kernel gives (measured on 6.18).
    static let cases: [(spec: String, reason: String)] = [
        ("tcpcsum:192.0.2.2:192.0.2.1:80:101:tcpcsum", "TCP_CSUM"),
        ("ipcsum:192.0.2.2:192.0.2.1:80:102:ipcsum", "IP_CSUM"),
        ("closed:192.0.2.2:192.0.2.1:80:103", "NO_SOCKET"),
        ("filtered:192.0.2.2:192.0.2.1:81:104", "NETFILTER_DROP"),
        ("rpfilter:198.51.100.7:192.0.2.1:80:105", "IP_RPFILTER"),
        ("noroute:192.0.2.2:203.0.113.9:80:106", "IP_INNOROUTES"),
        ("v6csum:2001_db8__2:2001_db8__1:80:107:tcpcsum", "TCP_CSUM"),
        ("forwarded:192.0.2.2:198.51.100.2:80:108", "NETFILTER_DROP"),
    ]

    /// tun0 (192.0.2.1 peer 192.0.2.2, 2001:db8::1 peer 2001:db8::2) held by drop_tun.py; veth0 with
    /// 198.51.100.1/24, so that a SYN from 198.51.100.7 on tun0 fails strict rp_filter; forwarding
    /// on, so that 203.0.113.9 has no route (with it off the kernel says IP_INADDRERRORS); port 81
    /// dropped by iptables in INPUT, and what would be forwarded (to 198.51.100.2) by FORWARD's policy.
    final class Lab {
        let ns: Namespace
        let program: Background
        let go = Root.temporary("go")

        init() throws {
            ns = try Namespace(withTun: "tun0")
            try ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
            try ns.run(["ip", "addr", "add", "198.51.100.1/24", "dev", "veth0"])
            try ns.run(["ip", "link", "set", "veth0", "up"])
            try ns.run(["ip", "link", "set", "veth1", "up"])
            try ns.run(["ip", "-6", "addr", "add", "2001:db8::1/128", "peer", "2001:db8::2/128", "dev", "tun0", "nodad"])
            try ns.run(["iptables", "-P", "FORWARD", "DROP"])
            try ns.run(["sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.tun0.rp_filter=1",
                        "net.ipv4.ip_forward=1"])
            try ns.run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "81", "-j", "DROP"])
            program = try Background(["python3", Tools.repo + "/Tests/CrossCheckTests/drop_tun.py", "tun0", go]
                                     + DropVerdictTests.cases.map(\.spec), in: ns.name)
            try program.waitFor("open", timeout: 5)
        }

        /// Lets the program write its SYNs, and waits until it has.
        func send() throws {
            _ = FileManager.default.createFile(atPath: go, contents: nil)
            try program.waitFor("sent forwarded", timeout: 10)
        }

        func remove() {
            _ = program.stop(signal: SIGKILL)
            ns.remove()
        }
    }

    @Test func printDropsNamesTheKernelsReasonUnderTheRightPacketInTextAndJSON() throws {
        let lab = try Lab()
        defer { lab.remove() }
        // Only IPv4 and IPv6's TCP: the kernel's IPv6 router solicitations on tun0 come when they come.
        let filter = "ip or (ip6 and tcp)"
        // Started as through sudo: the verdicts go on after root is given up.
        let text = try Background(["env", "SUDO_UID=65534", "SUDO_GID=65534", Tools.tunscope, "print", "-i", "tun0", "--drops", "-f", filter],
                                  in: lab.ns.name)
        let recording = Root.temporary("verdicts.pcapng")
        let json = try Background([Tools.tunscope, "print", "-i", "tun0", "--drops", "--format", "json", "-f", filter, "-w", recording],
                                  in: lab.ns.name)
        let uncaptured = try Background([Tools.tunscope, "print", "-i", "tun0", "--drops", "-x", "-f", "(\(filter)) and not port 81"], in: lab.ns.name)
        let uncapturedJSON = try Background([Tools.tunscope, "print", "-i", "tun0", "--drops", "--format", "json", "-f", "(\(filter)) and not port 81"],
                                            in: lab.ns.name)
        // -q prints nothing, yet offers every packet its drop: the count says so.
        let quiet = try Background([Tools.tunscope, "print", "-i", "tun0", "--drops", "-q", "-f", filter], in: lab.ns.name)
        let tcpdump = try Background(["tcpdump", "-l", "-nn", "-S", "-i", "tun0", filter], in: lab.ns.name)
        for watcher in [text, json, uncaptured, uncapturedJSON, quiet] {
            try watcher.waitFor("watching tun0 (held by python3", timeout: 10, onStandardError: true)
        }
        try tcpdump.waitFor("listening on tun0", timeout: 5, onStandardError: true)
        try lab.send()
        #expect(Root.eventually(timeout: 5) { text.standardOutput.contains("198.51.100.2.80") && json.standardOutput.contains("198.51.100.2") },
                "\(text.standardOutput)\n\(text.standardError)")
        usleep(300_000)
        let (status, out, err) = text.stop(signal: SIGINT)
        let (jsonStatus, jsonOut, jsonErr) = json.stop(signal: SIGINT)
        let (_, uncapturedOut, _) = uncaptured.stop(signal: SIGINT)
        let (_, uncapturedJSONOut, _) = uncapturedJSON.stop(signal: SIGINT)
        let (_, quietOut, quietErr) = quiet.stop(signal: SIGINT)
        let (_, expected, _) = tcpdump.stop(signal: SIGINT)
        #expect(quietOut.isEmpty && quietErr.contains("8 kernel drops reported (8 of captured packets), 0 undelivered"), "\(quietErr)")
        #expect(status == 0 && jsonStatus == 0, "\(err)\n\(jsonErr)")
        #expect(!err.contains("verdicts are off") && err.contains("8 kernel drops reported (8 of captured packets), 0 undelivered"), "\(err)")

        // Text: each SYN's line, then its verdict; the RST and ICMP the kernel answered with, none.
        let lines = out.split(separator: "\n")
        let verdicts = lines.indices.filter { lines[$0].hasPrefix("    kernel dropped it: ") }
        #expect(verdicts.map { lines[$0].dropFirst(23).prefix { $0 != " " } } == Self.cases.map { Substring($0.reason) }, "\(out)")
        #expect(verdicts.allSatisfy { $0 > 0 && lines[$0 - 1].contains("Flags [S], seq 4101019787") }, "\(out)")
        #expect(lines.contains("    kernel dropped it: TCP_CSUM (bad TCP checksum: the kernel drops the segment without an answer) in tcp_v4_rcv"), "\(out)")
        #expect(lines.contains { $0.hasPrefix("    kernel dropped it: NO_SOCKET (") && $0.hasSuffix(") in tcp_v4_rcv") }, "\(out)")
        #expect(lines[verdicts[3] - 1].contains(" > 192.0.2.1.81: ") && lines[verdicts[4] - 1].contains("IP 198.51.100.7.30732 > ")
                && lines[verdicts[5] - 1].contains(" > 203.0.113.9.80: ") && lines[verdicts[6] - 1].contains("IP6 2001:db8::2.30732 > ")
                && lines[verdicts[7] - 1].contains(" > 198.51.100.2.80: "), "\(out)")
        #expect(lines[verdicts[6]].hasSuffix(" in tcp_v6_rcv"), "\(out)")
        // Without the verdicts, the lines are tcpdump's.
        #expect(lines.filter { !$0.hasPrefix("    ") } == expected.split(separator: "\n"), "tunscope:\n\(out)\ntcpdump:\n\(expected)")

        // JSON: the reason on the object of the packet with that IP id; the others have none.
        var reasonByID: [Int: String] = [:]
        var located = 0
        for line in jsonOut.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            // IPv6 has no IP id: drop_tun.py puts it in the flow label.
            if let reason = object["kernel.drop_reason"] as? String, let id = (object["ip.id"] ?? object["ipv6.flow"]) as? Int {
                reasonByID[id] = reason
                if let location = object["kernel.drop_location"] as? String, !location.isEmpty { located += 1 }
            } else {
                #expect(object["kernel.drop_reason"] == nil, "\(line)")
            }
        }
        #expect(reasonByID == Dictionary(uniqueKeysWithValues: Self.cases.enumerated().map { (101 + $0.offset, $0.element.reason) }),
                "\(jsonOut)")
        #expect(located == Self.cases.count)
        // -w into pcapng: each verdict is its packet's comment, which tshark reads as frame.comment.
        let comments = try Tools.run(["tshark", "-r", recording, "-T", "fields", "-e", "ip.id", "-e", "ipv6.flow", "-e", "frame.comment"])
            .split(separator: "\n").compactMap { line -> (Int, String)? in
                let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                // tshark writes both as hex ("0x0065").
                let field = f.count == 3 ? (f[0].isEmpty ? f[1] : f[0]) : ""
                guard f.count == 3, f[2].hasPrefix("kernel dropped it: "),
                      let id = field.hasPrefix("0x") ? Int(field.dropFirst(2), radix: 16) : Int(field) else { return nil }
                return (id, String(f[2].dropFirst(19).prefix { $0 != " " }))
            }
        #expect(Dictionary(comments, uniquingKeysWith: { a, _ in a }) == reasonByID, "\(comments)")

        // With -x the verdict is still right under the packet's line, the hex after it.
        let hexLines = uncapturedOut.split(separator: "\n")
        #expect(hexLines.indices.filter { hexLines[$0].hasPrefix("    kernel dropped it: ") }
            .allSatisfy { hexLines[$0 - 1].contains("Flags [S]") && hexLines[$0 + 1].hasPrefix("\t0x0000:") }, "\(uncapturedOut)")
        // A SYN the capture filter kept out: its drop on a line of its own, headers decoded.
        #expect(uncapturedOut.contains(" kernel dropped, not captured, on tun0: NETFILTER_DROP (a firewall rule (iptables or nftables) dropped it) in ")
                && uncapturedOut.contains(": IP 192.0.2.2.30732 > 192.0.2.1.81: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0\n"),
                "\(uncapturedOut)")
        #expect(uncapturedOut.components(separatedBy: "kernel dropped it: ").count == Self.cases.count, "\(uncapturedOut)")
        // In JSON, an object of its own.
        let own = try uncapturedJSONOut.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["frame.number"] == nil }
        #expect(own.count == 1 && own[0]["kernel.drop_reason"] as? String == "NETFILTER_DROP" && own[0]["kernel.drop_device"] as? String == "tun0"
                && (own[0]["kernel.drop_summary"] as? String)?.hasPrefix("IP 192.0.2.2.30732 > 192.0.2.1.81: Flags [S]") == true
                && own[0]["kernel.drop_time"] is Double, "\(uncapturedJSONOut)")
    }

    /// A storm of 200,000 SYNs with broken checksums, each dropped by the kernel once: every drop
    /// is reported or counted as undelivered, exactly; capture goes on; memory stays
    /// bounded (the matcher's and the tracer's tables have fixed sizes).
    @Test func aDropStormIsCountedExactlyAndMemoryStaysBounded() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        try ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.tun0.disable_ipv6=1"])
        let count = 200_000
        let go = Root.temporary("storm-go")
        let program = try Background(["python3", Tools.repo + "/Tests/CrossCheckTests/drop_tun.py", "tun0", go,
                                      "storm:192.0.2.2:192.0.2.1:80:1:tcpcsum:\(count)"], in: ns.name)
        defer { _ = program.stop(signal: SIGKILL) }
        try program.waitFor("open", timeout: 5)
        let watcher = try Background([Tools.tunscope, "print", "-i", "tun0", "-q", "--drops"], in: ns.name)
        try watcher.waitFor("watching tun0 (held by python3", timeout: 10, onStandardError: true)
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        try program.waitFor("sent storm", timeout: 60)
        sleep(1)
        let status = (try? String(contentsOfFile: "/proc/\(watcher.pid)/status", encoding: .utf8)) ?? ""
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        let (exit, _, err) = watcher.stop(signal: SIGINT)
        #expect(exit == 0, "\(err)")
        let last = err.split(separator: "\n").last { $0.contains("kernel drops reported") }.map(String.init) ?? ""
        func number(before words: String) -> Int? {
            guard let r = last.range(of: words) else { return nil }
            return Int(last[..<r.lowerBound].split(separator: " ").last ?? "")
        }
        let captured = number(before: " packets captured"), buffer = number(before: " dropped by the kernel")
        let reported = number(before: " kernel drops reported"), undelivered = number(before: " undelivered")
        // Under the storm the capture's buffer may overflow (counted, as tcpdump's; Linux's count is
        // not exact enough to add up), but capture goes on.
        #expect((captured ?? 0) > count / 2 && buffer != nil, "\(last)")
        #expect(reported.map { $0 + (undelivered ?? -1) } == count, "every drop reported or counted as undelivered: \(last)")
        #expect(peak > 0 && peak < 400_000, "peak memory \(peak) kB")
    }

    @Test func dropsGoWithALiveCapture() throws {
        let (status, _, err) = try Root.runStatus([Tools.tunscope, "print", "-r", "/dev/null", "--drops"])
        #expect(status == 64 && err.contains("--drops goes with -i: the kernel's verdicts are on packets it handles now"), "\(err)")
    }

    /// Without the privileges BPF needs, one line says why and capture goes on: root without
    /// CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (it keeps CAP_NET_ADMIN, which holding a tun needs).
    @Test func withoutPrivilegesForBPFOneLineSaysWhyAndCaptureGoesOn() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "tuntap", "add", "name", "tun1", "mode", "tun"])
        try ns.run(["ip", "addr", "add", "192.0.2.5", "peer", "192.0.2.6", "dev", "tun1"])
        try ns.run(["ip", "link", "set", "tun1", "up"])
        let ours = try Background(["setpriv", "--bounding-set=-bpf,-perfmon,-sys_admin",
                                   Tools.tunscope, "print", "-i", "tun1", "--drops", "-f", "icmp"], in: ns.name)
        try ours.waitFor("listening on tun1", timeout: 10, onStandardError: true)
        try ns.run(["ping", "-c", "1", "-W", "1", "192.0.2.6"], allowFailure: true)
        try ours.waitFor("ICMP echo request", timeout: 5)
        let (status, _, err) = ours.stop(signal: SIGINT)
        #expect(status == 0)
        #expect(err.split(separator: "\n").first == "tunscope: kernel verdicts are off: loading BPF needs root (or CAP_BPF and CAP_PERFMON); capturing without them",
                "\(err)")
        #expect(err.components(separatedBy: "verdicts are off").count == 2, "once: \(err)")
    }
}
