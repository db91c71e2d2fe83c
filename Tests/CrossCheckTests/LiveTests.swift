import Foundation
import Testing

/// Live capture, setup/teardown and the lab, against the real kernel, inside network namespaces
/// each test makes and removes itself. They need root and /dev/net/tun; CI runs as root.
@Suite(.enabled(if: Root.available, Root.missingMessage))
struct LiveTests {
    @Test func capturesWhatTheKernelSendsIntoTheTunAndWritesItToAFileTsharkReads() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let file = Root.temporary("live.pcap")
        let capture = try Background([Tools.tunscope, "print", "-i", "tun0", "-w", file], in: ns.name)
        try capture.waitFor("", timeout: 0.5)
        try ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "1", "192.0.2.2"], allowFailure: true)
        try ns.run(["bash", "-c", "echo hello > /dev/udp/192.0.2.2/40000"])
        try capture.waitFor("UDP, length 6", timeout: 5)
        let (status, out, err) = capture.stop(signal: SIGINT)
        #expect(status == 0, "\(err)")
        #expect(out.contains("IP 192.0.2.1 > 192.0.2.2: ICMP echo request"))
        let summary = try #require(err.split(separator: "\n").last { $0.contains("packets captured") })
        let captured = try #require(Int(summary.split(separator: " ")[1]))
        #expect(captured >= 4)
        let tshark = try Tools.run(["tshark", "-r", file]).split(separator: "\n").count
        #expect(tshark == captured, "tshark read \(tshark) packets, tunscope said \(captured)")
    }

    /// -Y live: only the packets it keeps are printed and recorded, and -c counts them.
    @Test func aDisplayFilterLiveKeepsPrintsAndRecordsOnlyItsPackets() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let file = Root.temporary("live-y.pcap")
        let capture = try Background([Tools.tunscope, "print", "-i", "tun0", "-Y", "udp.dstport == 40001", "-c", "2", "-w", file],
                                     in: ns.name)
        try capture.waitFor("", timeout: 0.5)
        try ns.run(["ping", "-c", "2", "-i", "0.2", "-W", "1", "192.0.2.2"], allowFailure: true)
        for port in [40000, 40001, 40002, 40001, 40001] {
            try ns.run(["bash", "-c", "echo hello > /dev/udp/192.0.2.2/\(port)"])
        }
        let (status, out, err) = capture.wait(timeout: 10)
        #expect(status == 0, "\(err)")
        let lines = out.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains(".40001: UDP, length 6") }, "\(out)")
        #expect(err.contains("2 kept by -Y"), "\(err)")
        let recorded = try Tools.run(["tshark", "-r", file, "-T", "fields", "-e", "udp.dstport"]).split(separator: "\n")
        #expect(recorded == ["40001", "40001"], "\(recorded)")
    }

    @Test func deviceDeletedMidCaptureIsAClearMessageAndTheFileKeepsWhatWasCaptured() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let file = Root.temporary("gone.pcap")
        let capture = try Background([Tools.tunscope, "print", "-i", "tun0", "-w", file], in: ns.name)
        try capture.waitFor("", timeout: 0.5)
        try ns.run(["bash", "-c", "echo one > /dev/udp/192.0.2.2/40000"])
        try capture.waitFor("UDP", timeout: 5)
        try ns.run(["ip", "link", "delete", "tun0"])
        let (status, _, err) = capture.wait(timeout: 5)
        #expect(status == 1)
        #expect(err.contains("tun0 went away"), "\(err)")
        #expect(err.contains("what was captured (") && err.contains(") is in \(file)"), "\(err)")
        #expect(try Tools.run(["tshark", "-r", file]).contains("UDP"))
    }

    @Test func startedWithSudoItGivesUpRootAndTheFileIsTheUsers() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let file = Root.temporary("mine.pcap")
        // nobody must be able to create the file there.
        try FileManager.default.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: URL(fileURLWithPath: file).deletingLastPathComponent().path)
        // What sudo leaves in the environment of the command it runs for user nobody.
        let capture = try Background(["env", "SUDO_UID=65534", "SUDO_GID=65534", "SUDO_USER=nobody",
                                      Tools.tunscope, "print", "-i", "tun0", "-w", file], in: ns.name)
        try capture.waitFor("", timeout: 0.5)
        let status = (try? String(contentsOfFile: "/proc/\(capture.pid)/status", encoding: .utf8)) ?? "gone: \(capture.standardError)"
        let uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        #expect(uids.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().allSatisfy { $0 == "65534" }, "\(uids)")
        _ = capture.stop(signal: SIGTERM)
        let owner = try FileManager.default.attributesOfItem(atPath: file)[.ownerAccountID] as? NSNumber
        #expect(owner?.intValue == 65534)
    }

    @Test func tapModeShowsTheKernelsARP() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "tuntap", "add", "name", "tap0", "mode", "tap"])
        try ns.run(["ip", "addr", "add", "192.0.2.1/24", "dev", "tap0"])
        try ns.run(["ip", "link", "set", "tap0", "up"])
        let capture = try Background([Tools.tunscope, "print", "--tap", "-i", "tap0"], in: ns.name)
        try capture.waitFor("", timeout: 0.5)
        try ns.run(["ping", "-c", "1", "-W", "1", "192.0.2.2"], allowFailure: true)
        try capture.waitFor("ARP, Request who-has 192.0.2.2 tell 192.0.2.1, length 28", timeout: 5)
        _ = capture.stop(signal: SIGTERM)
    }

    @Test func aBusyDeviceIsWatchedAndTheWrongKindOfDeviceSaysWhatIsWrong() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let first = try Background([Tools.tunscope, "print", "-q", "-i", "tun0"], in: ns.name)
        defer { _ = first.stop(signal: SIGTERM) }
        try first.waitFor("listening on tun0", timeout: 5, onStandardError: true)
        // Held by the first: the second watches it, and names who holds it.
        let second = try Background([Tools.tunscope, "print", "-q", "-i", "tun0"], in: ns.name)
        try second.waitFor("watching tun0 (held by tunscope, pid \(first.pid)), link-type RAW (Raw IP)", timeout: 5,
                           onStandardError: true)
        #expect(second.stop(signal: SIGTERM).0 == 0)
        let (tap, _, tapMessage) = try ns.runStatus([Tools.tunscope, "print", "-q", "--tap", "-i", "tun0"])
        #expect(tap == 1)
        #expect(tapMessage.contains("tun0 is a tun device, not a tap: try without --tap"), "\(tapMessage)")
    }

    @Test func aDeviceThatIsNotATunIsWatchedAndATapNeedsItsFlag() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "tuntap", "add", "name", "tap0", "mode", "tap"])
        try ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        try ns.run(["ip", "link", "set", "veth0", "up"])
        for (args, headline) in [(["-i", "lo"], "watching lo, link-type EN10MB"), (["-i", "veth0"], "watching veth0, link-type EN10MB")] {
            let watching = try Background([Tools.tunscope, "print", "-q"] + args, in: ns.name)
            try watching.waitFor(headline, timeout: 5, onStandardError: true)
            #expect(watching.stop(signal: SIGTERM).0 == 0)
        }
        let print = try ns.runStatus([Tools.tunscope, "print", "-q", "-i", "tap0"])
        #expect(print.0 == 1 && print.2.contains("tap0 is a tap device, not a tun") && print.2.contains("with --tap"), "\(print.2)")
        // send has no --tap: it must not be told to try one.
        let send = try ns.runStatus([Tools.tunscope, "send", "-i", "tap0", "--syn", "192.0.2.1:80"])
        #expect(send.0 == 2 && send.2.contains("tap0 is a tap device, not a tun"), "\(send.2)")
        #expect(!send.2.contains("try with --tap"), "\(send.2)")
        // Nor to watch: send needs the far end.
        let veth = try ns.runStatus([Tools.tunscope, "send", "-i", "veth0", "--syn", "192.0.2.1:80"])
        #expect(veth.0 != 0 && veth.2.contains("veth0 is an Ethernet device, not a tun or tap device"), "\(veth.2)")
    }

    @Test func missingDeviceNamesTheFix() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        // As an ordinary user (nobody), so the device cannot simply be created.
        let (status, _, err) = try ns.runStatus(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                                 Tools.tunscope, "print", "-i", "tun9"])
        #expect(status == 1)
        // Where /dev/net/tun is open to everyone (the usual mode, 0666) the device is what is
        // missing; where only root may open it, that is what the message must say.
        var info = stat()
        stat("/dev/net/tun", &info)
        if info.st_mode & 0o006 == 0o006 {
            #expect(err.contains("tun9 does not exist and creating it needs root: run 'sudo tunscope setup"), "\(err)")
        } else {
            #expect(err.contains("cannot open /dev/net/tun: permission denied") && err.contains("sudo"), "\(err)")
        }
    }

    @Test func setupIsRepeatableAndTeardownRemovesExactlyWhatItAdded() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        func rules() throws -> [Substring] { try ns.run(["iptables-save"]).split(separator: "\n").filter { $0.hasPrefix("-A") } }
        let rulesBefore = try rules()
        let dry = try ns.run([Tools.tunscope, "setup", "--nat", "--user", "nobody", "--dry-run"])
        #expect(dry.contains("ip tuntap add name tun0 mode tun user nobody"))
        #expect(try ns.run(["ip", "link"]).contains("tun0") == false, "--dry-run must change nothing")

        for _ in 0..<2 { try ns.run([Tools.tunscope, "setup", "--nat", "--user", "nobody"]) }
        let addr = try ns.run(["ip", "addr", "show", "dev", "tun0"])
        #expect(addr.contains("inet 192.0.2.1 peer 192.0.2.2/32"))
        let nat = try ns.run(["iptables", "-t", "nat", "-S", "POSTROUTING"])
        #expect(nat.components(separatedBy: "MASQUERADE").count == 2, "one MASQUERADE rule after two setups:\n\(nat)")
        #expect(try ns.run(["sysctl", "-n", "net.ipv4.ip_forward"]).hasPrefix("1"))

        try ns.run([Tools.tunscope, "teardown", "--nat"])
        #expect(try ns.run(["ip", "link"]).contains("tun0") == false)
        #expect(try rules() == rulesBefore)
        // Again: nothing is left, and it says so instead of printing nothing.
        let (again, out, err) = try ns.runStatus([Tools.tunscope, "teardown", "--nat"])
        #expect(again == 0, "\(err)")
        #expect(out == "# nothing to remove: tun0 does not exist and none of its NAT rules is in place\n")
    }

    /// A tun that was there before setup is not setup's to delete; one that belongs to someone
    /// else cannot be given to --user in place, and setup says so instead of "already done".
    @Test func setupLeavesATunItDidNotMakeAndSaysWhoOwnsIt() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "tuntap", "add", "name", "tun0", "mode", "tun"])
        let (refused, out, err) = try ns.runStatus([Tools.tunscope, "setup", "--user", "nobody"])
        #expect(refused == 1 && out.isEmpty, "\(out)")
        #expect(err.contains("tun0 exists and belongs to no user (only root can open it), not nobody"), "\(err)")
        #expect(err.contains("sudo tunscope teardown --name tun0"))

        try ns.run([Tools.tunscope, "setup"])
        #expect(try ns.run(["ip", "addr", "show", "dev", "tun0"]).contains("inet 192.0.2.1 peer 192.0.2.2/32"))
        let (status, said, _) = try ns.runStatus([Tools.tunscope, "teardown"])
        #expect(status == 0 && said.contains("# left alone: tun0 was there before setup"), "\(said)")
        #expect(try ns.run(["ip", "link"]).contains("tun0"), "a tun setup did not make is not deleted")

        // One setup made is marked, and teardown deletes it.
        try ns.run(["ip", "link", "delete", "tun0"])
        try ns.run([Tools.tunscope, "setup", "--user", "nobody"])
        #expect(try ns.run(["ip", "link", "show", "tun0"]).contains("alias made by tunscope setup"))
        try ns.run([Tools.tunscope, "setup", "--user", "nobody"])  // again: its owner is nobody, so already done
        try ns.run([Tools.tunscope, "teardown"])
        #expect(try ns.run(["ip", "link"]).contains("tun0") == false)
    }

    @Test func setupAndTeardownLeaveADeviceThatIsNotATunAlone() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "tuntap", "add", "name", "tap0", "mode", "tap"])
        try ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        // Addresses and firewall rules (iptables-save's comments carry the time).
        func state() throws -> [Substring] {
            try (ns.run(["ip", "addr"]) + ns.run(["iptables-save"])).split(separator: "\n").filter { !$0.hasPrefix("#") }
        }
        let before = try state()
        let refused = [("setup", "lo", "the loopback device"), ("setup", "veth0", "an Ethernet device"),
                       ("setup", "tap0", "a tap device"), ("teardown", "veth0", "an Ethernet device"),
                       ("teardown", "tap0", "a tap device")]
        for (command, name, what) in refused {
            let (status, out, err) = try ns.runStatus([Tools.tunscope, command, "--name", name, "--nat"])
            #expect(status == 1, "\(command) \(name): \(err)")
            #expect(err.contains("\(name) is \(what), not a tun device") && err.contains("leaves it alone"), "\(command) \(name): \(err)")
            #expect(out.isEmpty, "\(command) \(name) ran something:\n\(out)")
        }
        #expect(try state() == before, "a refused setup or teardown changed something")
        // The script --dry-run prints refuses too, when someone runs it.
        let script = try ns.run([Tools.tunscope, "setup", "--name", "lo", "--nat", "--dry-run"])
        let (status, _, err) = try ns.runStatus(["sh", "-c", script])
        #expect(status == 1 && err.contains("lo is not a tun device: left alone"), "\(err)")
        #expect(try state() == before, "the dry-run script changed something")
    }

    @Test func setupRefusesTheSameAddressAtBothEnds() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        for peer in ["192.0.2.1", "192.0.2.01"] {
            let (status, _, err) = try ns.runStatus([Tools.tunscope, "setup", "--address", "192.0.2.1", "--peer", peer])
            #expect(status == 64 && err.contains("--address and --peer are both 192.0.2.1"), "\(peer): \(err)")
        }
        #expect(try ns.run(["ip", "link"]).contains("tun0") == false)
    }

    @Test func setupPrintsEachCommandBeforeTheErrorItCausedInOnePipe() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        // Standard output and standard error into one pipe; the first command fails.
        let (status, out, _) = try ns.runStatus(["sh", "-c", "\"$0\" setup --user no-such-user-tunscope 2>&1", Tools.tunscope])
        let lines = out.split(separator: "\n")
        #expect(status == 1)
        #expect(lines.count == 2 && lines[0].hasPrefix("+ ip tuntap add name tun0") && lines[1].hasPrefix("tunscope: 'ip tuntap add"), "\(out)")
    }

    @Test(arguments: ["normal", "SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"])
    func labLeavesNothingBehind(exit: String) throws {
        let lab = try Background([Tools.tunscope, "lab", "-c", "1", "-f", "udp"], in: nil)
        defer { _ = lab.stop(signal: SIGKILL) }
        try lab.waitFor("lab is up", timeout: 20, onStandardError: true)
        let router = try #require(Root.labNamespaces(of: lab).first { $0.hasSuffix("-router") })
        let signals = ["SIGINT": SIGINT, "SIGTERM": SIGTERM, "SIGHUP": SIGHUP, "SIGKILL": SIGKILL]
        if let s = signals[exit] {
            _ = lab.stop(signal: s)
        } else {
            // One packet into the tun ends `-c 1` the ordinary way.
            _ = try Root.runStatus(["ip", "netns", "exec", router, "bash", "-c", "echo x > /dev/udp/192.0.2.2/40000"])
            let (status, out, _) = lab.wait(timeout: 10)
            #expect(status == 0)
            #expect(out.contains("192.0.2.1") && out.contains("UDP"))
        }
        #expect(Root.eventually(timeout: 10) { Root.labNamespaces(of: lab).isEmpty }, "lab namespaces remain after \(exit)")
        #expect(Root.eventually(timeout: 10) { Root.labProcesses(of: lab).isEmpty }, "lab processes remain after \(exit)")
    }

    @Test func twoLabsRunAtOnceAndTheLabServesHTTPDNSPingAndAClosedPort() throws {
        let a = try Background([Tools.tunscope, "lab", "-q"], in: nil)
        let b = try Background([Tools.tunscope, "lab", "-q"], in: nil)
        defer {
            _ = a.stop(signal: SIGTERM)
            _ = b.stop(signal: SIGTERM)
        }
        try a.waitFor("lab is up", timeout: 20, onStandardError: true)
        try b.waitFor("lab is up", timeout: 20, onStandardError: true)
        let routers = (Root.labNamespaces(of: a) + Root.labNamespaces(of: b)).filter { $0.hasSuffix("-router") }
        #expect(Set(routers).count == 2)
        let router = routers[0]
        let http = try Root.run(["ip", "netns", "exec", router, "bash", "-c",
                                 "exec 3<>/dev/tcp/198.51.100.80/80; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3"])
        #expect(http.hasPrefix("HTTP/1.1 200 OK") && http.contains("Hello from the tunscope lab"))
        let closed = try Root.runStatus(["ip", "netns", "exec", router, "bash", "-c", "exec 3<>/dev/tcp/198.51.100.80/81"])
        #expect(closed.0 != 0 && closed.2.contains("Connection refused"))
        #expect(try Root.runStatus(["ip", "netns", "exec", router, "ping", "-c", "1", "-W", "2", "198.51.100.80"]).0 == 0)
        let dns = try Root.run(["ip", "netns", "exec", router, "/usr/bin/python3", "-c", Root.dnsQuery])
        #expect(dns.trimmingCharacters(in: .whitespacesAndNewlines) == "198.51.100.80")
    }

    @Test func labWithoutRootSaysWhy() throws {
        let (status, _, err) = try Root.runStatus(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Tools.tunscope, "lab"])
        #expect(status == 1)
        #expect(err.contains("tunscope lab needs root"), "\(err)")
    }
}

/// What the live tests need, and small tools for them.
enum Root {
    static let available = geteuid() == 0 && FileManager.default.fileExists(atPath: "/dev/net/tun")
        && FileManager.default.isExecutableFile(atPath: Tools.tunscope)
    static let missingMessage: Comment = "needs root and /dev/net/tun (it makes network namespaces and tun devices); CI runs it as root"

    static func temporary(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-live-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("\(UUID().uuidString.prefix(8))-\(name)").path
    }

    /// A small DNS query for example.test with scapy's packet classes over a plain UDP socket.
    static let dnsQuery = """
        import socket
        from scapy.all import DNS, DNSQR
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
        s.sendto(bytes(DNS(rd=1, qd=DNSQR(qname='example.test'))), ('198.51.100.80', 53))
        print(DNS(s.recv(512)).an.rdata)
        """

    static func run(_ argv: [String]) throws -> String {
        let (status, out, err) = try runStatus(argv)
        guard status == 0 else { throw Tools.Failed(description: "\(argv.joined(separator: " ")) exited \(status): \(err)") }
        return out
    }

    static func runStatus(_ argv: [String]) throws -> (Int32, String, String) {
        let p = Background.process(argv, in: nil)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The lab's namespaces are named after its keeper, a child of the tunscope process.
    static func labNamespaces(of lab: Background) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        let prefixes = descendants(of: lab).map { "tunscope-lab\($0)-" }
        return names.filter { n in prefixes.contains { n.hasPrefix($0) } }
    }

    /// The lab's keeper and services processes that are still alive.
    static func labProcesses(of lab: Background) -> [Int32] {
        descendants(of: lab).filter { kill($0, 0) == 0 }
    }

    /// Processes started by the tunscope process and by them (the keeper, the services), remembered
    /// once seen so they can be checked after tunscope itself is gone.
    @discardableResult
    static func descendants(of lab: Background) -> Set<Int32> {
        var parents: [Int32: Int32] = [:]
        for e in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(e), let stat = try? String(contentsOfFile: "/proc/\(e)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parents[pid] = ppid }
        }
        for _ in 0..<3 {
            for (pid, ppid) in parents where ppid == lab.pid || lab.descendants.contains(ppid) {
                lab.remember(descendant: pid)
            }
        }
        return lab.descendants
    }

    static func eventually(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }
}

/// A network namespace made for one test, with (optionally) a tun device addressed as in the
/// exercise: 192.0.2.1 here, 192.0.2.2 the far side. Removed by `remove()`.
struct Namespace {
    let name = "tunscope-test-\(getpid())-\(UUID().uuidString.prefix(6))"

    init(withTun tun: String? = nil) throws {
        _ = try Root.run(["ip", "netns", "add", name])
        try run(["ip", "link", "set", "lo", "up"])
        if let tun {
            try run(["ip", "tuntap", "add", "name", tun, "mode", "tun"])
            try run(["ip", "addr", "add", "192.0.2.1", "peer", "192.0.2.2", "dev", tun])
            try run(["ip", "link", "set", tun, "up"])
        }
    }

    @discardableResult
    func run(_ argv: [String], allowFailure: Bool = false) throws -> String {
        let (status, out, err) = try runStatus(argv)
        if status != 0 && !allowFailure {
            throw Tools.Failed(description: "in \(name): \(argv.joined(separator: " ")) exited \(status): \(err)")
        }
        return out
    }

    func runStatus(_ argv: [String]) throws -> (Int32, String, String) {
        try Root.runStatus(["ip", "netns", "exec", name] + argv)
    }

    func remove() {
        _ = try? Root.runStatus(["ip", "netns", "delete", name])
    }
}

/// A program running while the test goes on, its output collected as it comes.
final class Background: @unchecked Sendable {
    let process: Process
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private var seen = Set<Int32>()
    var pid: Int32 { process.processIdentifier }

    var descendants: Set<Int32> { lock.withLock { seen } }
    func remember(descendant: Int32) { lock.withLock { _ = seen.insert(descendant) } }

    static func process(_ argv: [String], in namespace: String?) -> Process {
        let p = Process()
        let full = namespace.map { ["ip", "netns", "exec", $0] + argv } ?? argv
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = full
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        return p
    }

    init(_ argv: [String], in namespace: String?) throws {
        process = Self.process(argv, in: namespace)
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        o.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.out.append(d) }
        }
        e.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.err.append(d) }
        }
        try process.run()
    }

    var standardOutput: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var standardError: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Waits until `text` appears (an empty text: just waits `timeout` for start-up).
    func waitFor(_ text: String, timeout: Double, onStandardError: Bool = false) throws {
        if text.isEmpty {
            usleep(UInt32(timeout * 1_000_000))
            return
        }
        let found = Root.eventually(timeout: timeout) {
            Root.descendants(of: self)
            return (onStandardError ? standardError : standardOutput).contains(text)
        }
        if !found {
            throw Tools.Failed(description: "'\(text)' did not appear in \(timeout) s; output:\n\(standardOutput)\nerrors:\n\(standardError)")
        }
    }

    func stop(signal: Int32) -> (Int32, String, String) {
        Root.descendants(of: self)
        if process.isRunning { kill(pid, signal) }
        return wait(timeout: 10)
    }

    func wait(timeout: Double) -> (Int32, String, String) {
        if !Root.eventually(timeout: timeout, { !process.isRunning }) {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
        process.waitUntilExit()
        usleep(100_000)  // let the last output arrive
        return (process.terminationStatus, standardOutput, standardError)
    }
}
