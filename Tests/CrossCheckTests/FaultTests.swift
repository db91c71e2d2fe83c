import Foundation
import Testing

/// Faults and hostile packets while tunscope runs, in namespaces the tests make: a full disk, a
/// planted symlink, the device deleted under the screen, lying packets on the live device, the
/// terminal closed, and root given up after start. Needs root and tmux; CI runs them as root.
@Suite(.enabled(if: Root.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"),
                "needs root (namespaces, tun devices, mounts) and tmux; CI runs it as root"))
struct FaultTests {
    @Test func aFullDiskEndsTheRecordingWithAClearMessageAndKeepsWhatFit() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let dir = Root.temporary("tiny")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A 16 KiB tmpfs in a mount namespace of the test's own: the host's mounts stay as they are.
        let script = """
            mount -t tmpfs -o size=16k tmpfs \(dir) || exit 99
            ip netns exec \(ns.name) \(Tools.tunscope) print -q -i tun0 -w \(dir)/f.pcap 2> \(dir)/../tiny.err &
            sleep 0.5
            ip netns exec \(ns.name) ping -c 300 -i 0.002 -s 200 -q 192.0.2.2 > /dev/null
            wait $!; echo $? > \(dir)/../tiny.status
            cp \(dir)/f.pcap \(dir)/../tiny.pcap
            """
        let (status, _, err) = try Root.runStatus(["unshare", "-m", "sh", "-c", script])
        #expect(status == 0, "\(err)")
        let base = URL(fileURLWithPath: dir).deletingLastPathComponent().path
        #expect((try? String(contentsOfFile: base + "/tiny.status", encoding: .utf8))?.hasPrefix("1") == true)
        let message = (try? String(contentsOfFile: base + "/tiny.err", encoding: .utf8)) ?? ""
        #expect(message.contains("writing failed: No space left on device; the packets before that are in the file"), "\(message)")
        let read = try Root.runStatus(["tshark", "-r", base + "/tiny.pcap"]).1.split(separator: "\n")
        #expect(read.count > 10, "tshark reads what fit")
    }

    @Test func aSymlinkPlantedWhereTheFileGoesIsNotFollowed() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let victim = Root.temporary("victim")
        try "keep me".write(toFile: victim, atomically: true, encoding: .utf8)
        let planted = Root.temporary("planted.pcap")
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim)
        let (status, _, err) = try ns.runStatus([Tools.tunscope, "print", "-q", "-i", "tun0", "-w", planted])
        #expect(status == 1 && err.contains("is a symbolic link: tunscope does not write through one"), "\(err)")
        #expect(!err.contains("listening on"), "it fails before it says it listens: \(err)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
    }

    /// A write the kernel refuses (the device is down) is said on the screen, not passed off as sent.
    @Test func aPacketTheKernelRefusesIsSaidNotSent() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let w = try Self.screenWithOnePacket(on: ns)
        defer { w.close() }
        try ns.run(["ip", "link", "set", "tun0", "down"])
        try w.keys("r")
        try w.waitFor("not sent: tun0: write failed")
        try w.keys("q")
        #expect(w.ended())
    }

    /// The monitor live on the namespace's tun0, once it shows a UDP packet sent to tunscope.
    static func screenWithOnePacket(on ns: Namespace) throws -> ScreenEndToEndTests.Window {
        let w = try ScreenEndToEndTests.Window("ip netns exec \(ns.name) \(Tools.tunscope) -i tun0", width: 120, height: 30)
        do {
            try w.waitFor("LIVE")
            try ns.run(["bash", "-c", "echo before > /dev/udp/192.0.2.2/40000"])
            try w.waitFor("UDP, length 7")
        } catch {
            w.close()
            throw error
        }
        return w
    }

    @Test func theScreenSaysWhenTheDeviceGoesAwayAndKeepsWhatItCaptured() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let w = try Self.screenWithOnePacket(on: ns)
        defer { w.close() }
        try ns.run(["ip", "link", "delete", "tun0"])
        try w.waitFor("STOPPED")
        #expect(w.screen.contains("tun0 went away") && w.screen.contains("UDP, length 7"))
        for key in ["s", "p", "r"] {
            try w.keys(key)
            try w.waitFor("tun0 is gone (capture stopped): nothing can be sent")
            try w.keys("j")
        }
        let file = Root.temporary("kept.pcap")
        try w.keys("w", "C-u", file, "Enter")
        try w.waitFor("wrote")
        #expect(try Tools.run(["tshark", "-r", file]).contains("UDP"))
        try w.keys("q")
        #expect(w.ended())
        #expect(w.file("status")?.hasPrefix("1") == true && w.file("stderr")?.contains("tun0 went away") == true)
        #expect(w.file("before") == w.file("after"))
    }

    /// Packets no stack would send, written out of the tun with a packet socket (so they reach
    /// tunscope as they are): a lying IPv4 length, a chain of 40 IPv6 hop-by-hop headers, a DNS
    /// name that points at itself, and a TCP header whose every option is broken.
    static let hostilePackets = """
        import socket
        from scapy.all import IP, IPv6, IPv6ExtHdrHopByHop, UDP, TCP, raw
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind(('tun0', 0))
        lying = bytearray(raw(IP(src='192.0.2.1', dst='192.0.2.2') / UDP(sport=1, dport=2) / (b'x' * 12))); lying[2:4] = (1000).to_bytes(2, 'big')
        chain = IPv6(src='2001:db8::1', dst='2001:db8::2')
        for _ in range(40): chain = chain / IPv6ExtHdrHopByHop()
        dns = bytes.fromhex('123401000001000000000000' 'c00c' '00010001')
        loop = raw(IP(src='192.0.2.1', dst='192.0.2.2') / UDP(sport=53, dport=5353) / dns)
        tcp = bytearray(raw(IP(src='192.0.2.1', dst='192.0.2.2') / TCP(sport=1, dport=2, flags='S', dataofs=15) / (b'\\x02\\x00\\x03\\x01\\x05\\x03\\x08\\xff' * 5)))
        for p in [bytes(lying), raw(chain / UDP()), loop, bytes(tcp)]: s.send(p)
        """

    @Test func lyingPacketsOnTheLiveDeviceShowAsMalformedAndCaptureGoesOn() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let w = try ScreenEndToEndTests.Window("ip netns exec \(ns.name) \(Tools.tunscope) -i tun0", width: 160, height: 40)
        defer { w.close() }
        try w.waitFor("LIVE")
        try ns.run(["/usr/bin/python3", "-c", Self.hostilePackets])
        try ns.run(["bash", "-c", "echo after > /dev/udp/192.0.2.2/40000"])
        try w.waitFor("UDP, length 6")
        let screen = w.screen
        #expect(screen.components(separatedBy: "\n").filter { $0.contains("192.0.2.1") || $0.contains("2001:db8::1") }.count >= 5, "\(screen)")
        // Walk every row with the tree shown: each lie ends in an error node, nothing brings the screen down.
        try w.keys("g")
        var errorNodes = 0
        for _ in 0..<8 {
            try w.keys("Tab", "G")  // the tree's last row: where an error node goes
            usleep(200_000)
            if w.screen.contains("[Malformed Packet:") { errorNodes += 1 }
            try w.keys("BTab", "j")
        }
        #expect(errorNodes >= 3, "the lying packets show what decoded and an error node")
        try w.keys("Tab")
        for _ in 0..<60 { try w.keys("j") }
        try w.waitFor("LIVE")
        try w.keys("q")
        #expect(w.ended())
        #expect(w.file("status")?.hasPrefix("0") == true, "\(w.file("stderr") ?? "")")
    }

    @Test func closingTheTerminalEndsTheLabScreenCleanly() throws {
        let w = try ScreenEndToEndTests.Window(Tools.tunscope + " lab", width: 120, height: 40)
        defer { w.close() }
        try w.waitFor("LIVE", timeout: 20)
        let program = try #require(w.program)
        let lab = w.labNamespaces(of: program)
        #expect(lab.count == 2)
        w.hangUp()  // the terminal goes
        #expect(Root.eventually(timeout: 10) { kill(program, 0) != 0 }, "tunscope goes on without its terminal")
        #expect(Root.eventually(timeout: 10) { Set(lab).isDisjoint(with: ScreenEndToEndTests.labNamespaces()) }, "the lab is left behind")
    }

    @Test func theLabRemovedFromOutsideEndsTunscopeAndNothingOfItStays() throws {
        let rootBefore = try Self.rootNamespaceState()
        let w = try ScreenEndToEndTests.Window(Tools.tunscope + " lab", width: 120, height: 40)
        defer { w.close() }
        try w.waitFor("LIVE", timeout: 20)
        let program = try #require(w.program)
        let lab = w.labNamespaces(of: program)
        let keeper = try #require(try Tools.run(["pgrep", "-P", "\(program)"]).split(separator: "\n").compactMap { Int32($0) }.first)
        #expect(lab.count == 2)
        for name in lab { _ = try Root.run(["ip", "netns", "delete", name]) }
        #expect(w.ended(), "tunscope goes on: \(w.screen)")
        #expect(w.file("status")?.hasPrefix("1") == true)
        #expect(w.file("stderr")?.contains("the lab's namespaces were removed from outside") == true)
        #expect(w.file("before") == w.file("after"))
        #expect(Root.eventually(timeout: 10) { kill(keeper, 0) != 0 }, "the lab's keeper stays")
        #expect(Set(lab).isDisjoint(with: ScreenEndToEndTests.labNamespaces()))
        #expect(try Self.rootNamespaceState() == rootBefore, "the lab changed the root namespace")
    }

    /// Two minutes of flood with a small store: once the store is full, memory stays flat
    /// (evicted packets' memory is reused), sampled every five seconds.
    @Test func memoryStaysFlatUnderALongFloodOnceTheStoreIsFull() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let capture = try Background([Tools.tunscope, "print", "-q", "-i", "tun0", "--max-packets", "20000"], in: ns.name)
        try capture.waitFor("listening on", timeout: 10, onStandardError: true)
        let flood = try Background(["/usr/bin/python3", "-c", """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            end = time.time() + 120
            sent = 0
            while time.time() < end and sent < 50_000_000:
                for _ in range(1000): s.sendto(b'x' * 64, ('192.0.2.2', 9))
                sent += 1000
            """], in: ns.name)
        func resident() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(capture.pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        sleep(15)  // the store fills (20,000 packets) well before this
        var samples: [Int] = []
        for _ in 0..<20 {
            samples.append(resident())
            sleep(5)
        }
        _ = flood.wait(timeout: 30)
        let (status, _, err) = capture.stop(signal: SIGINT)
        #expect(status == 0, "\(err)")
        let evicted = err.split(separator: "\n").last { $0.contains("evicted") } ?? ""
        #expect(!evicted.hasSuffix(" 0 evicted"), "the store must have filled: \(evicted)")
        #expect(samples.max()! - samples.min()! < 8 * 1024, "VmRSS in KiB, every 5 s: \(samples)")
    }

    /// What the lab must never change in the root namespace: addresses, routes, firewall rules.
    static func rootNamespaceState() throws -> [String] {
        try [["ip", "-o", "addr"], ["ip", "route"], ["ip", "-6", "route"], ["iptables-save"]].map { argv in
            // Counters and comments with times change by themselves; the rules do not.
            try Root.run(argv).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .map { $0.replacingOccurrences(of: #"\[\d+:\d+\]"#, with: "", options: .regularExpression) }.joined(separator: "\n")
        }
    }

    @Test func startedWithSudoTheScreenGivesUpRoot() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let w = try ScreenEndToEndTests.Window(
            "ip netns exec \(ns.name) env SUDO_UID=65534 SUDO_GID=65534 SUDO_USER=nobody \(Tools.tunscope) -i tun0",
            width: 120, height: 30)
        defer { w.close() }
        try w.waitFor("LIVE")
        let pid = try #require(w.program)
        // Its one raw socket (the timestamps') is bound to the device it was given, and no other.
        let packetSockets = try ns.run(["ss", "-0", "-n", "-p"]).split(separator: "\n").filter { $0.contains("pid=\(pid),") }
        #expect(packetSockets.count == 1 && packetSockets.allSatisfy { $0.contains("tun0") }, "\(packetSockets)")
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        #expect(uids.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().allSatisfy { $0 == "65534" }, "\(uids)")
        // Still the far end: a SYN from the screen gets its answer (a reset from the kernel: nothing listens).
        try w.keys("t", "C-u", "192.0.2.1:9", "Enter", "s")
        try w.waitFor("REFUSED")
        try w.keys("q")
    }
}
