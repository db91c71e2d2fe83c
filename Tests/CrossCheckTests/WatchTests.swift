import Foundation
import Testing

/// Watching what tunscope does not hold, through libpcap: a tun the exercise's own program holds,
/// a veth, devices that go away. Against the real kernel and tcpdump, in namespaces each test
/// makes and removes. They need root (CI runs as root).
@Suite(.enabled(if: Root.available && Tools.available, Root.missingMessage))
struct WatchTests {
    /// A namespace whose tun0 (192.0.2.1 peer 192.0.2.2) the exercise's program holds, with the
    /// kernel listening on 192.0.2.1:80: the program's SYN gets a SYN-ACK, and, never ACKed, its
    /// retransmissions 1 and 3 seconds later.
    final class Exercise {
        let ns: Namespace
        let listener: Background
        let program: Background

        init(synAfter delay: Double) throws {
            ns = try Namespace(withTun: "tun0")
            listener = try Background(["/usr/bin/python3", "-c", """
                import socket, time
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("192.0.2.1", 80)); s.listen(); print("listening", flush=True); time.sleep(60)
                """], in: ns.name)
            try listener.waitFor("listening", timeout: 5)
            program = try Background(["/usr/bin/python3", Tools.repo + "/Tests/CrossCheckTests/exercise_tun.py",
                                      "tun0", "192.0.2.1", "80", "\(delay)"], in: ns.name)
            try program.waitFor("open", timeout: 5)
        }

        /// The packets the program read, as hex.
        var reads: [Substring] {
            program.standardOutput.split(separator: "\n").filter { $0.hasPrefix("read ") }.map { $0.dropFirst(5) }
        }

        func remove() {
            _ = program.stop(signal: SIGKILL)
            _ = listener.stop(signal: SIGKILL)
            ns.remove()
        }
    }

    @Test func printWatchesATunTheExercisesProgramHoldsAndPrintsTcpdumpsLines() throws {
        let lab = try Exercise(synAfter: 1.5)
        defer { lab.remove() }
        let file = Root.temporary("watched.pcap")
        let ours = try Background([Tools.tunscope, "print", "-i", "tun0", "-w", file], in: lab.ns.name)
        let tcpdump = try Background(["tcpdump", "-l", "-nn", "-S", "-i", "tun0"], in: lab.ns.name)
        try ours.waitFor("watching tun0 (held by python3, pid \(lab.program.pid)), link-type RAW (Raw IP)", timeout: 5,
                         onStandardError: true)
        try tcpdump.waitFor("listening on tun0", timeout: 5, onStandardError: true)
        // The SYN, the SYN-ACK, and its retransmissions about 1 s and 3 s later.
        #expect(Root.eventually(timeout: 8) { ours.standardOutput.components(separatedBy: "Flags [S.]").count == 4 },
                "\(ours.standardOutput)")
        usleep(200_000)
        let (status, out, err) = ours.stop(signal: SIGINT)
        let (_, expected, _) = tcpdump.stop(signal: SIGINT)
        #expect(status == 0, "\(err)")
        // Without the kernel's own IPv6 router solicitations, which come when they come.
        let lines = out.split(separator: "\n").filter { !$0.contains("ICMP6") }
        let tcpdumpLines = expected.split(separator: "\n").filter { !$0.contains("ICMP6") }
        #expect(lines.count == 4 && lines[0].hasSuffix("IP 192.0.2.2.30732 > 192.0.2.1.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0"),
                "\(out)")
        // The same lines, the kernel's timestamps included.
        #expect(lines == Array(tcpdumpLines.prefix(lines.count)), "tunscope:\n\(out)\ntcpdump:\n\(expected)")
        #expect(err.contains(" packets captured, 0 dropped by the kernel"), "\(err)")
        // What -w wrote reads as what was printed, and the program got every SYN-ACK.
        let written = try Tools.run(["tcpdump", "-nn", "-S", "-r", file]).split(separator: "\n")
        #expect(written == out.split(separator: "\n"), "\(written)")
        #expect(lab.reads.count >= 3)
    }

    @Test func theMonitorWatchesTheHeldTunAndInjectsAnEditedSYNACKThatTheProgramReads() throws {
        let lab = try Exercise(synAfter: 1.0)
        defer { lab.remove() }
        let w = try ScreenEndToEndTests.Window("ip netns exec \(lab.ns.name) \(Tools.tunscope) -i tun0", width: 160, height: 40)
        defer { w.close() }
        try w.waitFor("watching tun0 (held by python3, pid \(lab.program.pid))")
        try w.waitFor("Out 192.0.2.1")
        #expect(w.screen.contains("In  192.0.2.2        192.0.2.1        TCP"), "\(w.screen)")
        // r on the SYN-ACK (packet 2), well before the kernel sends it again (1 s later): the
        // program reads it twice.
        try w.keys("g", "j", "r")
        try w.waitFor("packet 2 resent injected into tun0")
        #expect(Root.eventually(timeout: 0.5) { lab.reads.count >= 2 }, "the program read: \(lab.reads)")
        // The handshake pane draws the program's connection: the SYN, the SYN-ACK and its first
        // retransmission about a second later, and what is wrong in words.
        try w.waitFor("client 192.0.2.2:30732")
        try w.waitFor("half open: the client never sent its ACK")
        #expect(Root.eventually(timeout: 4) { w.screen.contains("1.0") && w.screen.components(separatedBy: "SYN-ACK seq=0 ack=1").count >= 3 },
                "\(w.screen)")
        // s, p and t need the far end, and say so.
        try w.keys("s")
        try w.waitFor("s, p and t need tunscope as the far end of a tun; r and e inject")
        // The SYN-ACK (packet 2), edited to a TTL the kernel never sends, goes to the program.
        try w.keys("g", "j", "e")
        try w.keys("-l", "ip.ttl=7")
        try w.keys("Enter")
        try w.waitFor("packet 2 edited (ip.ttl=7) injected into tun0")
        #expect(Root.eventually(timeout: 5) { lab.reads.contains { $0.dropFirst(16).hasPrefix("07") } },
                "the program read: \(lab.reads)")
        try w.keys("q")
        #expect(w.ended() && w.file("status") == "0\n", "\(w.file("stderr") ?? "")")
    }

    /// Two devices on one screen: the Interface column, an edited SYN-ACK injected into the tun
    /// it came through (the program reads it), and a veth's cooked frame refused.
    @Test func theMonitorOnTwoDevicesInjectsIntoTheDeviceAPacketCameThrough() throws {
        let lab = try Exercise(synAfter: 1.0)
        defer { lab.remove() }
        try lab.ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        for veth in ["veth0", "veth1"] {
            try lab.ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.\(veth).disable_ipv6=1"])
            try lab.ns.run(["ip", "link", "set", veth, "up"])
        }
        let w = try ScreenEndToEndTests.Window("ip netns exec \(lab.ns.name) \(Tools.tunscope) -i tun0 -i veth0", width: 160, height: 40)
        defer { w.close() }
        try w.waitFor("watching tun0 (held by python3, pid \(lab.program.pid)), veth0")
        try w.waitFor("Out tun0")
        #expect(w.screen.contains("Interface") && w.screen.contains("In  tun0      192.0.2.2"), "\(w.screen)")
        // The second TCP packet is the SYN-ACK on tun0: edited, it goes back into tun0 and the
        // program reads it.
        try w.keys("/", "C-u", "tcp", "Enter")
        try w.waitFor("filter: tcp")
        try w.keys("g", "j", "e")
        try w.keys("-l", "ip.ttl=9")
        try w.keys("Enter")
        try w.waitFor("edited (ip.ttl=9) injected into tun0")
        #expect(Root.eventually(timeout: 5) { lab.reads.contains { $0.dropFirst(16).hasPrefix("09") } }, "\(lab.reads)")
        // An ARP frame on veth0, kept under a cooked header, cannot go back out.
        try lab.ns.run(["ip", "addr", "add", "198.51.100.1/24", "dev", "veth0"])
        try lab.ns.run(["ping", "-c", "1", "-W", "1", "-I", "veth0", "198.51.100.9"], allowFailure: true)
        try w.keys("/", "C-u", "arp", "Enter")
        try w.waitFor("filter: arp")
        try w.waitFor("Out veth0")
        try w.keys("G", "r")
        try w.waitFor("veth0's frames are kept without their Ethernet header when several devices are watched")
        try w.keys("q")
        #expect(w.ended() && w.file("status") == "0\n", "\(w.file("stderr") ?? "")")
    }

    @Test func aVethIsWatchedWithTcpdumpsLinesAndItsDeletionKeepsTheFile() throws {
        let a = try Namespace(), b = try Namespace()
        defer {
            a.remove()
            b.remove()
        }
        try a.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", b.name])
        try a.run(["ip", "addr", "add", "198.51.100.1/24", "dev", "veth0"])
        try b.run(["ip", "addr", "add", "198.51.100.2/24", "dev", "veth1"])
        // Only the test's traffic: no IPv6 router solicitations or listener reports.
        try a.run(["sysctl", "-q", "-w", "net.ipv6.conf.veth0.disable_ipv6=1"])
        try b.run(["sysctl", "-q", "-w", "net.ipv6.conf.veth1.disable_ipv6=1"])
        try a.run(["ip", "link", "set", "veth0", "up"])
        try b.run(["ip", "link", "set", "veth1", "up"])
        let file = Root.temporary("veth.pcap")
        let ours = try Background([Tools.tunscope, "print", "-i", "veth0", "-w", file], in: a.name)
        let tcpdump = try Background(["tcpdump", "-l", "-nn", "-S", "-i", "veth0"], in: a.name)
        try ours.waitFor("watching veth0, link-type EN10MB (Ethernet)", timeout: 5, onStandardError: true)
        try tcpdump.waitFor("listening on veth0", timeout: 5, onStandardError: true)
        // ARP, pings both ways, UDP of odd lengths to a closed port (port unreachable back).
        try a.run(["ping", "-c", "2", "-i", "0.2", "-s", "37", "198.51.100.2"])
        try b.run(["ping", "-c", "1", "198.51.100.1"])
        try a.run(["bash", "-c", "printf 'x%.0s' {1..1001} > /dev/udp/198.51.100.2/4000; printf abc > /dev/udp/198.51.100.2/53"])
        try tcpdump.waitFor("198.51.100.2.53: ", timeout: 5)
        try ours.waitFor("198.51.100.2.53: ", timeout: 5)
        usleep(300_000)
        let (_, expected, _) = tcpdump.stop(signal: SIGINT)
        try a.run(["ip", "link", "delete", "veth0"])
        let (status, out, err) = ours.wait(timeout: 5)
        #expect(status == 1 && err.contains("veth0 went away (the device was deleted)"), "\(err)")
        let lines = out.split(separator: "\n")
        #expect(lines.count >= 10)
        // The same lines with the same (the kernel's) timestamps. The order is the timestamps':
        // tcpdump's one buffer may hold a packet stamped a few microseconds before one it got
        // earlier (one arriving, one leaving), and tunscope merges its two directions by time.
        let (ourWindow, tcpdumpWindow) = Self.sameWindow(lines, expected.split(separator: "\n"))
        #expect(ourWindow.sorted() == tcpdumpWindow.sorted(), "tunscope:\n\(out)\ntcpdump:\n\(expected)")
        #expect(lines.map { $0.prefix(15) } == lines.map { $0.prefix(15) }.sorted(), "in timestamp order:\n\(out)")
        #expect(try Tools.run(["tcpdump", "-nn", "-S", "-r", file]).split(separator: "\n") == lines)
    }

    /// Two devices at once, and `any`: tcpdump -i any's lines (interface and direction words
    /// included), and -w writes Linux cooked v2 as tcpdump -i any -w does, interfaces and all.
    @Test func severalDevicesAndAnyPrintTcpdumpAnysLinesAndWriteCookedV2() throws {
        let lab = try Exercise(synAfter: 1.5)
        let peer = try Namespace()
        defer {
            lab.remove()
            peer.remove()
        }
        try lab.ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", peer.name])
        try lab.ns.run(["ip", "addr", "add", "198.51.100.1/24", "dev", "veth0"])
        try peer.run(["ip", "addr", "add", "198.51.100.2/24", "dev", "veth1"])
        try lab.ns.run(["ip", "link", "set", "veth0", "up"])
        try peer.run(["ip", "link", "set", "veth1", "up"])
        let file = Root.temporary("two.pcap"), anyFile = Root.temporary("any.pcap")
        // Only the test's own traffic: the kernel's IPv6 chatter on a new veth comes when it comes.
        let filter = "not ip6"
        let two = try Background([Tools.tunscope, "print", "-i", "tun0", "-i", "veth0", "-f", filter, "-w", file], in: lab.ns.name)
        let any = try Background([Tools.tunscope, "print", "-i", "any", "-f", filter, "-w", anyFile], in: lab.ns.name)
        let tcpdump = try Background(["tcpdump", "-l", "-nn", "-S", "-i", "any", filter], in: lab.ns.name)
        try two.waitFor("watching tun0 (held by python3, pid \(lab.program.pid)), veth0, link-type LINUX_SLL2 (Linux cooked v2)",
                        timeout: 5, onStandardError: true)
        try any.waitFor("watching any, link-type LINUX_SLL2", timeout: 5, onStandardError: true)
        try tcpdump.waitFor("listening on any", timeout: 5, onStandardError: true)
        try lab.ns.run(["ping", "-c", "2", "-i", "0.2", "-s", "101", "198.51.100.2"])
        try lab.ns.run(["bash", "-c", "printf 'odd-length' > /dev/udp/198.51.100.2/7777"])
        #expect(Root.eventually(timeout: 8) { tcpdump.standardOutput.components(separatedBy: "Flags [S.]").count == 3 })
        usleep(300_000)
        let (_, expected, _) = tcpdump.stop(signal: SIGINT)
        let (twoStatus, twoOut, twoErr) = two.stop(signal: SIGINT)
        let (anyStatus, anyOut, anyErr) = any.stop(signal: SIGINT)
        #expect(twoStatus == 0 && anyStatus == 0, "\(twoErr)\n\(anyErr)")
        let tcpdumpLines = expected.split(separator: "\n")
        #expect(tcpdumpLines.contains { $0.contains(" tun0  In  IP 192.0.2.2.30732 > 192.0.2.1.80: Flags [S]") }, "\(expected)")
        #expect(tcpdumpLines.contains { $0.contains(" veth0 Out IP 198.51.100.1 > 198.51.100.2: ICMP echo request") }, "\(expected)")
        for (name, out) in [("-i tun0 -i veth0", twoOut), ("-i any", anyOut)] {
            let lines = out.split(separator: "\n")
            #expect(lines.count >= 8)
            // The same lines and times; ordered by time (see the veth test on tcpdump's order).
            let (ourWindow, tcpdumpWindow) = Self.sameWindow(lines, tcpdumpLines)
            #expect(ourWindow.sorted() == tcpdumpWindow.sorted(), "\(name):\n\(out)\ntcpdump:\n\(expected)")
        }
        // The files: cooked v2 with each packet's interface index, read back by tshark.
        let indexes = try lab.ns.run(["cat", "/sys/class/net/tun0/ifindex", "/sys/class/net/veth0/ifindex"])
            .split(separator: "\n").map(String.init)
        for written in [file, anyFile] {
            let fields = try Tools.run(["tshark", "-r", written, "-T", "fields", "-e", "frame.encap_type", "-e", "sll.ifindex"])
                .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            #expect(fields.count >= 8 && fields.allSatisfy { $0.count == 2 && indexes.contains($0[1]) }, "\(written): \(fields)")
            #expect(Set(fields.map { $0[1] }) == Set(indexes), "\(written): \(fields)")
        }
        // What tunscope wrote for two devices is what it wrote for any, byte for byte, packet by
        // packet (in time order; see above on tcpdump's).
        func packets(_ path: String) throws -> [String] {
            try Tools.run(["tcpdump", "-nn", "-S", "-x", "-r", path]).components(separatedBy: "\n").reduce(into: []) { all, line in
                if line.hasPrefix("\t") { all[all.count - 1] += line } else if !line.isEmpty { all.append(line) }
            }.sorted()
        }
        #expect(try packets(file) == packets(anyFile))
    }

    @Test func aWatchedDeviceDeletedUnderTheMonitorLeavesItStoppedWithThePacketsWritable() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        try ns.run(["ip", "addr", "add", "198.51.100.1/24", "dev", "veth0"])
        try ns.run(["ip", "link", "set", "veth0", "up"])
        try ns.run(["ip", "link", "set", "veth1", "up"])
        let file = Root.temporary("kept.pcap")
        let w = try ScreenEndToEndTests.Window("ip netns exec \(ns.name) \(Tools.tunscope) -i veth0", width: 140, height: 30)
        defer { w.close() }
        try w.waitFor("watching veth0")
        try ns.run(["ping", "-c", "1", "-W", "1", "198.51.100.2"], allowFailure: true)
        try w.waitFor("ARP, Request who-has 198.51.100.2")
        try ns.run(["ip", "link", "delete", "veth0"])
        try w.waitFor("veth0 went away (the device was deleted); what was captured is kept")
        try w.waitFor("STOPPED")
        try w.keys("W")
        try w.keys("C-u", file, "Enter")
        try w.waitFor("wrote")
        #expect(try Tools.run(["tcpdump", "-nn", "-r", file]).contains("ARP, Request who-has 198.51.100.2"))
        try w.keys("q")
        #expect(w.ended() && w.file("status") == "1\n", "\(w.file("stderr") ?? "")")
    }

    /// The lines of two captures that both ran at their times: from the later first packet to
    /// the earlier last one (the two programs start and stop a moment apart).
    static func sameWindow(_ a: [Substring], _ b: [Substring]) -> ([Substring], [Substring]) {
        guard let aFirst = a.first?.prefix(15), let bFirst = b.first?.prefix(15), let aLast = a.last?.prefix(15),
              let bLast = b.last?.prefix(15) else { return (a, b) }
        let from = max(aFirst, bFirst), to = min(aLast, bLast)
        let inside = { (line: Substring) in line.prefix(15) >= from && line.prefix(15) <= to }
        return (a.filter(inside), b.filter(inside))
    }

    /// Root opens the capture, then is given up (as tcpdump -Z), and -w's file is the user's.
    @Test func watchingStartedWithSudoGivesUpRoot() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        try ns.run(["ip", "link", "set", "veth0", "up"])
        let file = Root.temporary("watched-mine.pcap")
        try FileManager.default.setAttributes([.posixPermissions: 0o1777],
                                              ofItemAtPath: URL(fileURLWithPath: file).deletingLastPathComponent().path)
        let capture = try Background(["env", "SUDO_UID=65534", "SUDO_GID=65534", "SUDO_USER=nobody",
                                      Tools.tunscope, "print", "-i", "veth0", "-w", file], in: ns.name)
        try capture.waitFor("watching veth0", timeout: 5, onStandardError: true)
        let status = (try? String(contentsOfFile: "/proc/\(capture.pid)/status", encoding: .utf8)) ?? "gone: \(capture.standardError)"
        let uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        #expect(uids.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().allSatisfy { $0 == "65534" }, "\(uids)")
        try ns.run(["ping", "-c", "1", "-W", "1", "-I", "veth0", "198.51.100.9"], allowFailure: true)
        #expect(capture.stop(signal: SIGTERM).0 == 0)
        let owner = try FileManager.default.attributesOfItem(atPath: file)[.ownerAccountID] as? NSNumber
        #expect(owner?.intValue == 65534)
    }

    @Test func whatCannotBeWatchedSaysWhyInOneLine() throws {
        let ns = try Namespace()
        defer { ns.remove() }
        try ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        try ns.run(["ip", "link", "set", "veth0", "up"])
        let missing = try ns.runStatus([Tools.tunscope, "print", "--watch", "-i", "nosuch0"])
        #expect(missing.0 == 1 && missing.2 == "tunscope: nosuch0: no such interface here ('tunscope -D' lists those there are)\n",
                "\(missing.2)")
        let nobody = try ns.runStatus(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                       Tools.tunscope, "print", "-i", "veth0"])
        #expect(nobody.0 == 1 && nobody.2.contains("veth0: watching needs the CAP_NET_RAW capability, as tcpdump does"),
                "\(nobody.2)")
        let filter = try ns.runStatus([Tools.tunscope, "print", "-i", "veth0", "-f", "tcp port 99999"])
        #expect(filter.0 == 1 && filter.2.hasPrefix("tunscope: filter 'tcp port 99999': ") && filter.2.split(separator: "\n").count == 1,
                "\(filter.2)")
        // A device that is down is not watched, as tcpdump does not.
        try ns.run(["ip", "link", "set", "veth0", "down"])
        let down = try ns.runStatus([Tools.tunscope, "print", "-i", "veth0"])
        #expect(down.0 == 1 && down.2 == "tunscope: veth0 is down: bring it up with 'ip link set veth0 up'\n", "\(down.2)")
    }
}
