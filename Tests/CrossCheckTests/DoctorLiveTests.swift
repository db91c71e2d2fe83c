import Foundation
import Testing

/// `tunscope doctor` against a real set-up, inside namespaces each test makes and removes: a
/// router with the exercise's tun, forwarding and NAT, FORWARD's policy DROP as Docker sets it,
/// and behind it an outside host with a listening socket.
@Suite(.enabled(if: Root.available, Root.missingMessage))
struct DoctorLiveTests {
    ///     tunscope (192.0.2.2) ══ tun0 ══ [router: 192.0.2.1, NAT] ── veth-out ── [outside: 198.51.100.80]
    struct Router {
        let name = "tsd-\(getpid())-\(UUID().uuidString.prefix(6))-router"
        let outside: String
        static let server = "198.51.100.80"

        init() throws {
            outside = name.replacingOccurrences(of: "-router", with: "-outside")
            _ = try Root.run(["ip", "netns", "add", name])
            do {
                _ = try Root.run(["ip", "netns", "add", outside])
                for command in [
                    ["ip", "-n", name, "link", "set", "lo", "up"],
                    ["ip", "-n", outside, "link", "set", "lo", "up"],
                    ["ip", "-n", name, "tuntap", "add", "name", "tun0", "mode", "tun"],
                    ["ip", "-n", name, "addr", "add", "192.0.2.1", "peer", "192.0.2.2", "dev", "tun0"],
                    ["ip", "-n", name, "link", "set", "tun0", "up"],
                    ["ip", "-n", name, "link", "add", "veth-out", "type", "veth", "peer", "name", "veth-in", "netns", outside],
                    ["ip", "-n", name, "addr", "add", "198.51.100.1/24", "dev", "veth-out"],
                    ["ip", "-n", name, "link", "set", "veth-out", "up"],
                    ["ip", "-n", outside, "addr", "add", "\(Self.server)/24", "dev", "veth-in"],
                    ["ip", "-n", outside, "link", "set", "veth-in", "up"],
                    ["ip", "-n", name, "route", "add", "default", "via", Self.server],
                ] { _ = try Root.run(command) }
                try run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
                try run(["iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.2/32", "!", "-o", "tun0", "-j", "MASQUERADE"])
                try run(["iptables", "-P", "FORWARD", "DROP"])
            } catch {
                remove()
                throw error
            }
        }

        @discardableResult
        func run(_ argv: [String]) throws -> String { try Root.run(["ip", "netns", "exec", name] + argv) }

        func doctor(_ args: [String] = ["tun0"]) throws -> (status: Int32, out: String) {
            let (status, out, err) = try Root.runStatus(["ip", "netns", "exec", name, Tools.tunscope, "doctor"] + args)
            return (status, out + err)
        }

        /// Runs the commands doctor printed under its `fix` lines, in the router (without sudo).
        func applyFixes(_ report: String) throws {
            var underFix = false
            for line in report.split(separator: "\n") {
                if !line.hasPrefix(" ") { underFix = line.hasPrefix("fix ") }
                guard underFix, line.hasPrefix("      sudo ") else { continue }
                try run(["sh", "-c", String(line.dropFirst("      sudo ".count))])
            }
        }

        func remove() {
            for ns in [name, outside] { _ = try? Root.runStatus(["ip", "netns", "delete", ns]) }
        }
    }

    @Test func theMissingForwardRulesAreNamedAndOnceAddedAllIsOkAndTheHandshakeCompletes() throws {
        let router = try Router()
        defer { router.remove() }
        let listener = try Background(["/usr/bin/python3", "-c", """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('\(Router.server)', 8080)); s.listen(); print('listening', flush=True); time.sleep(60)
            """], in: router.outside)
        defer { _ = listener.stop(signal: SIGKILL) }
        try listener.waitFor("listening", timeout: 10)
        let send = [Tools.tunscope, "send", "-i", "tun0", "--syn", "\(Router.server):8080", "--syn-retries", "0", "--syn-timeout", "1", "--close", "rst"]

        let before = try router.doctor(["tun0", "--target", Router.server])
        #expect(before.status == 1, "\(before.out)")
        #expect(before.out.contains("fix   FORWARD drops what tun0 sends (iptables-nft filter FORWARD: policy DROP)\n      sudo iptables -I FORWARD -i tun0 -s 192.0.2.2/32 -j ACCEPT\n"), "\(before.out)")
        #expect(before.out.contains("fix   FORWARD drops replies to tun0 (iptables-nft filter FORWARD: policy DROP)\n"))
        #expect(before.out.contains("ok    ip_forward is 1\n") && before.out.contains("ok    MASQUERADE for 192.0.2.2 out of veth-out"))
        let (dropped, droppedOut, _) = try Root.runStatus(["ip", "netns", "exec", router.name] + send)
        #expect(dropped != 0 && !droppedOut.contains("ESTABLISHED 192.0.2.2:"), "\(droppedOut)")

        try router.applyFixes(before.out)
        let after = try router.doctor(["tun0", "--target", Router.server])
        #expect(after.status == 0, "\(after.out)")
        #expect(after.out.split(separator: "\n").allSatisfy { $0.hasPrefix("ok    ") || $0.hasPrefix("note  ") || $0.hasPrefix("      ") }, "\(after.out)")
        #expect(after.out.contains("ok    FORWARD lets what tun0 sends through (iptables-nft filter FORWARD: -A FORWARD -s 192.0.2.2/32 -i tun0 -j ACCEPT)"))
        #expect(after.out.contains("ok    the route to \(Router.server) goes out veth-out\n"))
        let (status, out, err) = try Root.runStatus(["ip", "netns", "exec", router.name] + send)
        #expect(status == 0 && out.contains("ESTABLISHED 192.0.2.2:"), "\(out)\(err)")
        // setup --check is the same report.
        let (checkStatus, checkOut, _) = try Root.runStatus(["ip", "netns", "exec", router.name, Tools.tunscope, "setup", "--check", "--name", "tun0"])
        #expect(checkStatus == 0 && checkOut.contains("ok    FORWARD lets replies to tun0 through"), "\(checkOut)")
    }

    @Test func forwardingOffIsNamedWithTheSysctlThatFixesIt() throws {
        let router = try Router()
        defer { router.remove() }
        try router.run(["iptables", "-P", "FORWARD", "ACCEPT"])
        try router.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"])
        let off = try router.doctor()
        #expect(off.status == 1)
        #expect(off.out.contains("fix   ip_forward is 0: the kernel does not forward what the far side sends\n      sudo sysctl -w net.ipv4.ip_forward=1\n"), "\(off.out)")
        try router.applyFixes(off.out)
        #expect(try router.doctor().status == 0)
        #expect(try router.run(["sysctl", "-n", "net.ipv4.ip_forward"]) == "1\n")
    }

    @Test func noMasqueradeIsNamed() throws {
        let router = try Router()
        defer { router.remove() }
        try router.run(["iptables", "-P", "FORWARD", "ACCEPT"])
        try router.run(["iptables", "-t", "nat", "-F", "POSTROUTING"])
        let report = try router.doctor()
        #expect(report.status == 1)
        #expect(report.out.contains("fix   no MASQUERADE for 192.0.2.2: replies from outside cannot come back\n      sudo iptables -t nat -A POSTROUTING -s 192.0.2.2/32 ! -o tun0 -j MASQUERADE\n"), "\(report.out)")
        try router.applyFixes(report.out)
        #expect(try router.doctor().status == 0)
    }

    @Test func aDeviceThatDoesNotExistOrIsNoTun() throws {
        let router = try Router()
        defer { router.remove() }
        let missing = try router.doctor(["tun9"])
        #expect(missing.status == 1 && missing.out == "fix   tun9 does not exist\n      sudo tunscope setup --name tun9 --user $USER --nat\n", "\(missing.out)")
        let veth = try router.doctor(["veth-out"])
        #expect(veth.status == 1 && veth.out.hasPrefix("fix   veth-out is an Ethernet device, not a tun or tap"), "\(veth.out)")
        let path = try router.doctor(["../../etc"])
        #expect(path.status == 64 && path.out.contains("'../../etc' is not a valid interface name"), "\(path.out)")
    }

    /// The holder is found by its descriptor's fdinfo, with its pid.
    @Test func theProgramHoldingTheTunIsNamed() throws {
        let router = try Router()
        defer { router.remove() }
        let idle = try router.doctor()
        #expect(idle.out.contains("note  no program holds tun0 now (so it has no carrier): tunscope -i tun0 will\n"), "\(idle.out)")
        let holder = try Background([Tools.tunscope, "print", "-i", "tun0"], in: router.name)
        defer { _ = holder.stop(signal: SIGKILL) }
        let named = Root.eventually(timeout: 5) {
            (try? router.doctor().out.contains("note  tun0 is held by tunscope (pid \(holder.pid))")) ?? false
        }
        #expect(named, "\((try? router.doctor().out) ?? "")")
    }

    /// The monitor, holding the tun, says the doctor's first finding in its status bar, and
    /// nothing of the kind once the set-up is complete.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux"))
    func theMonitorSaysWhatTheSetUpLacksInItsStatusBar() throws {
        let router = try Router()
        defer { router.remove() }
        try router.run(["iptables", "-P", "FORWARD", "ACCEPT"])
        try router.run(["iptables", "-t", "nat", "-F", "POSTROUTING"])
        let lacking = try ScreenEndToEndTests.Window("ip netns exec \(router.name) \(Tools.tunscope) -i tun0", width: 160, height: 30)
        defer { lacking.close() }
        try lacking.waitFor("no MASQUERADE for 192.0.2.2: replies from outside cannot come back (tunscope doctor tun0 says how to fix it)")
        // After a key the bottom line moves on; the status bar keeps it.
        try lacking.keys("j")
        try lacking.waitFor("set-up: no MASQUERADE for 192.0.2.2")
        try lacking.keys("q")
        #expect(lacking.ended(), "\(lacking.screen)")

        try router.run(["iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.2/32", "!", "-o", "tun0", "-j", "MASQUERADE"])
        let complete = try ScreenEndToEndTests.Window("ip netns exec \(router.name) \(Tools.tunscope) -i tun0", width: 160, height: 30)
        defer { complete.close() }
        try complete.waitFor("LIVE")
        usleep(500_000)
        #expect(!complete.screen.contains("tunscope doctor") && !complete.screen.contains("set-up:"), "\(complete.screen)")
        try complete.keys("q")
        #expect(complete.ended())
    }
}
