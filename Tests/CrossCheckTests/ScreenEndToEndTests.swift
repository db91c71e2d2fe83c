import Foundation
import Testing

/// The real program on a real terminal: `tunscope lab` in a tmux window, driven with
/// send-keys and read with capture-pane, as a user would. Needs root (the lab) and tmux.
@Suite(.enabled(if: Root.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"),
                "needs root (the lab) and tmux; CI runs it as root"))
struct ScreenEndToEndTests {
    final class Window {
        let name = "tunscope-test-\(getpid())-\(UUID().uuidString.prefix(6))"
        let dir = Root.temporary("tmux")

        /// A window running `command`; the shell in it records the terminal's settings before and after.
        convenience init(_ command: String, width: Int, height: Int) throws {
            try self.init(script: "stty -g > DIR/before; \(command) 2> DIR/stderr; echo $? > DIR/status; stty -g > DIR/after",
                          width: width, height: height)
        }

        /// A window running a shell script; DIR in it is the test's directory.
        init(script template: String, width: Int, height: Int) throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let script = template.replacingOccurrences(of: "DIR", with: dir)
            try script.write(toFile: "\(dir)/run.sh", atomically: true, encoding: .utf8)
            // The tmux server this starts would keep open every descriptor it inherits, among them
            // the one Foundation watches to see the starter exit; python's subprocess closes them.
            try Tools.run(["/usr/bin/python3", "-c",
                           "import subprocess, sys; subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)",
                           "tmux", "-L", name, "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "sh", "\(dir)/run.sh"])
        }

        func keys(_ keys: String...) throws {
            try Tools.run(["tmux", "-L", name, "send-keys", "-t", name] + keys)
        }

        var screen: String { (try? Tools.run(["tmux", "-L", name, "capture-pane", "-p", "-t", name])) ?? "" }

        func waitFor(_ text: String, timeout: Double = 10) throws {
            if !Root.eventually(timeout: timeout, { screen.contains(text) }) {
                throw Tools.Failed(description: "'\(text)' did not appear; the screen:\n\(screen)")
            }
        }

        func resize(_ width: Int, _ height: Int) throws {
            try Tools.run(["tmux", "-L", name, "resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
            usleep(300_000)
        }

        /// The process running in the window's shell (tunscope), once it runs.
        var program: Int32? {
            let panes = ((try? Tools.run(["tmux", "-L", name, "list-panes", "-s", "-F", "#{pane_pid}"])) ?? "")
                .split(separator: "\n").compactMap { Int32($0) }
            guard let pane = panes.first else { return nil }
            return (try? Tools.run(["pgrep", "-P", "\(pane)"]))?.split(separator: "\n").compactMap { Int32($0) }.first
        }

        /// The namespaces of the lab this window's tunscope made (named after its keeper, a child).
        func labNamespaces(of program: Int32) -> [String] {
            let keepers = ((try? Tools.run(["pgrep", "-P", "\(program)"])) ?? "").split(separator: "\n")
            return ScreenEndToEndTests.labNamespaces().filter { n in keepers.contains { n.hasPrefix("tunscope-lab\($0)-") } }
        }

        /// Whether the command ended (within `timeout`) and the shell has recorded its status and
        /// then the terminal's settings: `after` is written last, so waiting for `status` alone
        /// races the comparison of `before` and `after`.
        func ended(timeout: Double = 10) -> Bool {
            Root.eventually(timeout: timeout) { file("after") != nil }
        }

        /// A file the window's shell wrote, once it is whole (it ends with a newline).
        func file(_ name: String) -> String? {
            guard let text = try? String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8), text.hasSuffix("\n") else { return nil }
            return text
        }

        /// The terminal goes away under the program, as when its emulator's window is closed: the
        /// tmux server (the emulator here) dies, so the terminal hangs up.
        func hangUp() {
            let server = (try? Tools.run(["tmux", "-L", name, "display-message", "-p", "#{pid}"]))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if let server { kill(server, SIGKILL) }
        }

        /// Closes the window and ends whatever still runs in it (the test runner starts children
        /// with SIGHUP blocked, so a hang-up alone may leave them).
        func close() {
            let panes = ((try? Tools.run(["tmux", "-L", name, "list-panes", "-s", "-F", "#{pane_pid}"])) ?? "")
                .split(separator: "\n").compactMap { Int32($0) }
            _ = try? Tools.run(["tmux", "-L", name, "kill-server"])
            for pid in panes { kill(-pid, SIGKILL) }
        }
    }

    static func labNamespaces() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix("tunscope-lab") })
    }

    @Test func theLabOnScreenHandshakesRefusesResendsFiltersWritesResizesAndQuitsCleanly() throws {
        let w = try Window(Tools.tunscope + " lab", width: 160, height: 48)
        defer { w.close() }
        try w.waitFor("LIVE", timeout: 20)
        let program = try #require(w.program)
        let lab = w.labNamespaces(of: program)
        #expect(lab.count == 2)
        try w.waitFor("press s to send a SYN to 198.51.100.80:80")

        try w.keys("s")
        try w.waitFor("ESTABLISHED")
        // The prober is ESTABLISHED when it hands its ACK to the capture thread; the ACK is in the
        // list once that thread has written and stored it, a frame or so later on a busy machine.
        try w.waitFor("Flags [.], ack")
        let afterSYN = w.screen
        #expect(afterSYN.contains("Flags [S],") && afterSYN.contains("Flags [S.],") && afterSYN.contains("Flags [.], ack"), "\(afterSYN)")
        #expect(afterSYN.contains("SYN-ACK seq=0 ack=1"))

        try w.keys("t", "C-u", "198.51.100.80:81", "Enter")
        try w.waitFor("target 198.51.100.80:81")
        try w.keys("s")
        try w.waitFor("REFUSED")

        // The list shows each packet on the tun and on the router's outside interface: the newest
        // row is the RST as tun0 gave it to tunscope, one up the same RST on veth-out, which
        // tunscope only watches: r says it cannot resend that one.
        try w.waitFor("Out tun0")
        try w.keys("k", "r")
        try w.waitFor("crossed veth-out, which tunscope only watches")

        try w.keys("/", "C-u", "tcp port 81", "Enter")
        try w.waitFor("filter: bpf: tcp port 81")
        let filtered = w.screen
        #expect(!filtered.contains("Flags [S.],") && filtered.contains("Flags [R.],"), "\(filtered)")
        #expect(filtered.components(separatedBy: "Flags [S],").count == 3, "the SYN on tun0 and on veth-out: \(filtered)")

        // The first row is the SYN to port 81 as tunscope wrote it into the tun: resend it.
        try w.keys("g", "r")
        try w.waitFor("resent packet")
        #expect(Root.eventually(timeout: 5) {
            w.screen.components(separatedBy: "Flags [S],").count == 5 && w.screen.components(separatedBy: "Flags [R.],").count == 5
        }, "\(w.screen)")

        let file = Root.temporary("screen.pcap")
        try w.keys("w", "C-u", file, "Enter")
        try w.waitFor("wrote 8 packets to \(file)")
        let read = try Tools.run(["tshark", "-r", file]).split(separator: "\n")
        #expect(read.count == 8 && read.allSatisfy { $0.contains("81") }, "\(read)")
        // Linux cooked v2: each packet with its interface and direction (0 to the host, 4 sent by it).
        let fields = try Tools.run(["tshark", "-r", file, "-T", "fields", "-E", "separator=,", "-e", "sll.pkttype", "-e", "ip.src"])
            .split(separator: "\n").map(String.init)
        #expect(fields == Array(repeating: ["0,192.0.2.2", "4,198.51.100.1", "0,198.51.100.80", "4,198.51.100.80"], count: 2).flatMap { $0 },
                "\(fields)")

        for (width, height) in [(70, 20), (40, 8), (200, 60), (81, 25), (160, 48)] {
            try w.resize(width, height)
        }
        try w.waitFor("filter: bpf: tcp port 81")
        try w.resize(40, 8)
        try w.waitFor("tunscope needs at least")
        try w.resize(160, 48)
        try w.waitFor("filter: bpf: tcp port 81")

        try w.keys("q")
        #expect(w.ended(), "tunscope did not quit: \(w.screen)")
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(w.file("stderr") ?? "")")
        #expect(w.file("before") == w.file("after"), "the terminal's settings changed")
        #expect(Root.eventually(timeout: 10) { Set(lab).isDisjoint(with: Self.labNamespaces()) }, "the lab is left behind")
    }

    /// The exercise's second tcpdump, in the monitor: the lab watches the router's outside
    /// interface beside the tun, so a SYN shows as tunscope wrote it (192.0.2.2, on tun0) and as
    /// it left the router after NAT (198.51.100.1, on veth-out), and the second's header tree
    /// says what NAT rewrote; the SYN-ACK coming back likewise, its destination rewritten.
    /// The kernel's verdict on screen: a SYN to a closed port of the lab router's own tun address
    /// is answered with a reset and dropped (NO_SOCKET, in tcp_v4_rcv); its row says so, its
    /// tree starts with it, the handshake pane notes it.
    @Test func theScreenMarksThePacketTheKernelDroppedWithItsReason() throws {
        let w = try Window(Tools.tunscope + " lab", width: 160, height: 48)
        defer { w.close() }
        try w.waitFor("LIVE", timeout: 20)
        try w.waitFor("kernel drops 0")
        try w.keys("t", "C-u", "192.0.2.1:9", "Enter")
        try w.waitFor("target 192.0.2.1:9")
        try w.keys("s")
        try w.waitFor("REFUSED")
        try w.waitFor("[kernel dropped: NO_SOCKET in tcp_v4_rcv] Flags [S]")
        try w.waitFor("DROPPED: SYN by the kernel, NO_SOCKET")
        let row = try #require(w.screen.split(separator: "\n").first { $0.contains("[kernel dropped: NO_SOCKET") })
        let number = try #require(row.dropFirst().split(separator: " ").first)
        try w.keys("g")
        for _ in 0..<30 where !w.screen.contains("Frame \(number):") {
            try w.keys("j")
            usleep(100_000)
        }
        try w.waitFor("Kernel verdict: dropped, NO_SOCKET")
        try w.keys("q")
        #expect(w.ended())
    }

    @Test func theLabShowsEachPacketBeforeAndAfterNATAndTheTreeNamesWhatNATRewrote() throws {
        let w = try Window(Tools.tunscope + " lab", width: 160, height: 60)
        defer { w.close() }
        try w.waitFor("press s to send a SYN to 198.51.100.80:80", timeout: 20)
        #expect(w.screen.split(separator: "\n").first?.contains("tun0 + veth-out (after NAT)") == true, "\(w.screen)")
        try w.keys("s")
        try w.waitFor("ESTABLISHED")

        try w.keys("/", "C-u", "tcp[tcpflags] == tcp-syn", "Enter")
        try w.waitFor("filter: bpf: tcp[tcpflags] == tcp-syn")
        func rows(_ screen: String) -> [[String]] {
            screen.split(separator: "\n").compactMap { line in
                let columns = line.dropFirst().split(separator: " ").map(String.init)
                return columns.count > 8 && Int(columns[0]) != nil && ["In", "Out"].contains(columns[2]) ? columns : nil
            }
        }
        // No., Time, direction, Interface, Source, Destination, Protocol, Length, Info.
        #expect(Root.eventually(timeout: 5) { rows(w.screen).count == 2 }, "\(w.screen)")
        let syns = rows(w.screen)
        try #require(syns.count == 2)
        #expect(syns[0][2...5] == ["In", "tun0", "192.0.2.2", "198.51.100.80"], "\(syns[0])")
        #expect(syns[1][2...5] == ["Out", "veth-out", "198.51.100.1", "198.51.100.80"], "\(syns[1])")
        #expect(syns.allSatisfy { $0.contains("[S],") })
        try w.keys("g", "j")
        try w.waitFor("[NAT rewrote this packet: it is packet \(syns[0][0]) on tun0]")
        let tree = w.screen
        #expect(tree.contains("ip.src 192.0.2.2 → 198.51.100.1") && tree.contains("ip.ttl 64 → 63")
                    && tree.contains("ip.checksum 0x") && tree.contains("tcp.checksum 0x"), "\(tree)")
        #expect(!tree.contains("ip.dst 198.51.100.80 →"), "the destination was not rewritten: \(tree)")
        // The tun's copy points the other way.
        try w.keys("k")
        try w.waitFor("[NAT rewrote this packet into packet \(syns[1][0]) on veth-out]")

        try w.keys("/", "C-u", "tcp[tcpflags] == tcp-syn|tcp-ack", "Enter")
        try w.waitFor("filter: bpf: tcp[tcpflags] == tcp-syn|tcp-ack")
        #expect(Root.eventually(timeout: 5) { rows(w.screen).count == 2 }, "\(w.screen)")
        let answers = rows(w.screen)
        try #require(answers.count == 2)
        #expect(answers[0][2...5] == ["In", "veth-out", "198.51.100.80", "198.51.100.1"], "\(answers[0])")
        #expect(answers[1][2...5] == ["Out", "tun0", "198.51.100.80", "192.0.2.2"], "\(answers[1])")
        try w.keys("G")
        try w.waitFor("[NAT rewrote this packet: it is packet \(answers[0][0]) on veth-out]")
        #expect(w.screen.contains("ip.dst 198.51.100.1 → 192.0.2.2"), "\(w.screen)")

        try w.keys("q")
        #expect(w.ended(), "tunscope did not quit: \(w.screen)")
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(w.file("stderr") ?? "")")
    }

    /// The exercise's next step, from the keyboard: `s` opens a connection that stays open, `H`
    /// sends a GET on it (`d` checks what is typed), the lab's server answers and closes its
    /// side, `f` follows the stream (request and page), `F` closes tunscope's side and `C` lists
    /// the conversation closed by FIN; tcpdump on the tun (in the lab's router namespace) sees
    /// every byte and a clean close, no reset.
    @Test func aConnectionStaysOpenForTheUserToTalkOnAndClose() throws {
        // Wide enough for the response's whole line in the Info column.
        let w = try Window(Tools.tunscope + " lab", width: 250, height: 48)
        defer { w.close() }
        try w.waitFor("press s to send a SYN to 198.51.100.80:80", timeout: 20)
        let program = try #require(w.program)
        // Only the tun's side: the newest row (selected) is then one of tunscope's own packets,
        // and the Handshake pane shows its connection's state.
        try w.keys("/", "C-u", "host 192.0.2.2", "Enter")
        try w.waitFor("filter: bpf: host 192.0.2.2")
        let router = try #require(w.labNamespaces(of: program).first { $0.hasSuffix("-router") })
        let file = Root.temporary("talk.pcap")
        let tcpdump = try Background(["tcpdump", "-i", "tun0", "-nn", "-U", "-w", file, "tcp port 80"], in: router)
        // Stopped before the lab goes: a tcpdump whose interface vanished under it may never end.
        defer { _ = tcpdump.stop(signal: SIGKILL) }
        try tcpdump.waitFor("listening on", timeout: 10, onStandardError: true)

        try w.keys("d")
        try w.waitFor("no connection of tunscope's yet: s opens one")
        try w.keys("s")
        try w.waitFor("ESTABLISHED", timeout: 20)
        usleep(300_000)
        #expect(!w.screen.contains("(now FIN-WAIT") && !w.screen.contains("Flags [F"), "it stays open: \(w.screen)")
        try w.keys("d", "C-u", "\\q")
        try w.waitFor("\\q is not an escape")
        try w.keys("Escape")
        try w.keys("H")
        try w.waitFor("GET / sent to 198.51.100.80:80", timeout: 20)
        try w.waitFor(": HTTP: HTTP/1.1 2", timeout: 20)
        // The lab's server says Connection: close and closes its side; tunscope's waits for F.
        try w.waitFor("(now CLOSE-WAIT)", timeout: 20)
        // Follow stream: the request and the page, each once.
        try w.keys("f")
        try w.waitFor("Follow TCP stream", timeout: 20)
        try w.waitFor("Hello from the tunscope lab", timeout: 20)
        let follow = w.screen
        #expect(follow.contains("GET / HTTP/1.1") && follow.contains("HTTP/1.1 200 OK"), "\(follow)")
        try w.keys("Escape")
        try w.keys("F")
        try w.waitFor("(now CLOSED)", timeout: 20)
        _ = tcpdump.stop(signal: SIGINT)
        // Conversations: tunscope's connection on the tun, and its copy after NAT, both closed by FIN.
        try w.keys("C")
        try w.waitFor("Conversations:", timeout: 20)
        #expect(Root.eventually(timeout: 15) {
            w.screen.split(separator: "\n").contains { $0.contains("192.0.2.2:") && $0.contains("198.51.100.80:80") && $0.contains("closed by FIN") }
        }, "\(w.screen)")
        try w.keys("Escape")

        try w.keys("q")
        #expect(w.ended(), "tunscope did not quit: \(w.screen)")
        let lines = try Tools.run(["tcpdump", "-nn", "-r", file]).split(separator: "\n").map(String.init)
        let fromTunscope = lines.filter { $0.contains("192.0.2.2.") && $0.contains("> 198.51.100.80.80:") }
        let fromServer = lines.filter { $0.contains("198.51.100.80.80 > 192.0.2.2.") }
        #expect(lines.allSatisfy { !$0.contains("Flags [R") }, "no reset: \(lines)")
        #expect(fromTunscope.filter { $0.contains("Flags [F") }.count == 1 && fromServer.filter { $0.contains("Flags [F") }.count == 1,
                "one FIN each way: \(lines)")
        #expect(fromTunscope.contains { $0.contains("HTTP: GET / HTTP/1.1") } && fromServer.contains { $0.contains("HTTP: HTTP/1.1 200 OK") },
                "\(lines)")
        // The last segment acknowledges tunscope's FIN: the close is complete on both sides.
        #expect(fromServer.last.map { $0.contains("Flags [.]") } == true && lines.last == fromServer.last, "\(lines)")
    }

    @Test func ctrlZSuspendsAndFgBringsTheScreenBack() throws {
        let file = try Tools.capture(linkType: "raw")
        // An interactive shell, for job control.
        let w = try Window(script: "exec bash --norc -i", width: 100, height: 30)
        defer { w.close() }
        try w.keys("\(Tools.tunscope) -r \(file)", "Enter")
        try w.waitFor("FILE")
        try w.keys("C-z")
        try w.waitFor("Stopped")
        #expect(!w.screen.contains("┌ Packets"), "the shell is back")
        usleep(300_000)
        try w.keys("fg", "Enter")
        try w.waitFor("┌ Packets")
        #expect(w.screen.contains("FILE") && w.screen.contains("s SYN"))
        try w.keys("q")
        #expect(Root.eventually(timeout: 5) { !w.screen.contains("┌ Packets") })
    }

    /// The store's limits are the user's: beyond them the oldest packets go, and are counted.
    @Test func storeLimitsAreSettableAndEvictionIsCounted() throws {
        let file = try Tools.capture(linkType: "raw")
        let total = try Tools.run(["tcpdump", "-nn", "-r", file]).split(separator: "\n").count
        let byCount = try Window(Tools.tunscope + " -r " + file + " --max-packets 100", width: 120, height: 30)
        defer { byCount.close() }
        try byCount.waitFor("100 pkts  evicted \(total - 100)  FILE")
        let byBytes = try Window(Tools.tunscope + " -r " + file + " --max-bytes 2K", width: 120, height: 30)
        defer { byBytes.close() }
        try byBytes.waitFor("FILE")
        let stored = byBytes.screen.split(separator: "\n").first.flatMap { line in
            line.components(separatedBy: "  ").first { $0.hasSuffix(" pkts") }.flatMap { Int($0.dropLast(5)) }
        }
        #expect(stored.map { $0 > 0 && $0 < 60 } == true && byBytes.screen.contains("evicted"), "2 KiB hold a few dozen packets: \(byBytes.screen)")
    }

    /// Shrinking the terminal leaves nothing of the bigger frame behind, not even in the one
    /// cell frames never write (the bottom-right).
    @Test func shrinkingLeavesNoStrayCharacters() throws {
        let file = try Tools.capture(linkType: "raw")
        let w = try Window(Tools.tunscope + " -r " + file, width: 60, height: 16)
        defer { w.close() }
        try w.waitFor("┌ Packets")
        for (width, height) in [(20, 5), (40, 10)] {
            try w.resize(60, 16)
            try w.waitFor("┌ Packets")
            try w.resize(width, height)
            try w.waitFor("make it")
            let last = w.screen.split(separator: "\n", omittingEmptySubsequences: false).prefix(height).last ?? ""
            #expect(last.trimmingCharacters(in: .whitespaces).isEmpty, "\(width)x\(height): the last row holds '\(last)'")
        }
    }

    /// `-w FILE` on the live screen: after q the file holds exactly the packets the status bar
    /// counted, the ones the list showed, in the same order (read back with tshark).
    @Test func theScreensRecordingHoldsExactlyThePacketsItCounted() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        // Only the test's packets: no router solicitations or MLD reports from the kernel.
        try ns.run(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                    "net.ipv6.conf.tun0.disable_ipv6=1"])
        let file = Root.temporary("recorded.pcap")
        let w = try Window("ip netns exec \(ns.name) \(Tools.tunscope) -i tun0 -w \(file)", width: 140, height: 40)
        defer { w.close() }
        try w.waitFor("LIVE")
        // Pings tunscope answers (a request and a reply each), then datagrams to three ports in turn.
        try ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.2"])
        for port in 40001...40003 {
            try ns.run(["bash", "-c", "echo p\(port) > /dev/udp/192.0.2.2/\(port)"])
        }
        #expect(Root.eventually(timeout: 10) { w.screen.components(separatedBy: "UDP, length 7").count == 4 }, "\(w.screen)")
        try w.keys("z")  // the list alone: every packet has a row
        #expect(Root.eventually(timeout: 5) { !w.screen.contains("┌ Header tree") }, "\(w.screen)")
        let screen = w.screen.split(separator: "\n").map(String.init)
        let counted = try #require(screen.first?.components(separatedBy: "  ").first { $0.hasSuffix(" pkts") }.flatMap { Int($0.dropLast(5)) })
        // The rows: number, time, direction, source, destination, protocol, length.
        let rows = screen.compactMap { line -> [String]? in
            let columns = line.dropFirst().split(separator: " ").map(String.init)
            guard columns.count > 7, Int(columns[0]) != nil else { return nil }
            return [columns[0], columns[3], columns[4], columns[6]]
        }
        #expect(rows.map { Int($0[0]) } == Array(1...counted), "the list shows every packet counted: \(screen)")
        try w.keys("q")
        #expect(w.ended(), "tunscope did not quit: \(w.screen)")
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(w.file("stderr") ?? "")")
        let read = try Tools.run(["tshark", "-r", file, "-T", "fields", "-E", "separator=,", "-e", "frame.number", "-e", "ip.src",
                                  "-e", "ip.dst", "-e", "frame.len", "-e", "icmp.type", "-e", "icmp.seq", "-e", "udp.dstport"])
            .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(read.count == counted, "the file holds \(read.count) packets, the status bar counted \(counted)")
        #expect(read.map { [$0[0], $0[1], $0[2], $0[3]] } == rows, "the file's packets are the list's, in order")
        // What was sent, in the order it was sent: request and reply for each ping, then the three datagrams.
        let kinds = read.map { $0[6].isEmpty ? "icmp \($0[4]) \($0[5])" : "udp \($0[6])" }
        #expect(kinds == ["icmp 8 1", "icmp 0 1", "icmp 8 2", "icmp 0 2", "icmp 8 3", "icmp 0 3", "udp 40001", "udp 40002", "udp 40003"],
                "\(kinds)")
    }

    /// A window as `Window(command, ...)` makes, whose shell outlives a Ctrl-C as a user's
    /// interactive shell does: Ctrl-C interrupts the whole foreground process group, and `sh`
    /// running a script would die of it before recording the status and the settings after.
    /// (The trap is the shell's own: the command starts with SIGINT's default action.)
    static func windowSurvivingCtrlC(_ command: String, width: Int, height: Int) throws -> Window {
        try Window(script: "trap : INT; stty -g > DIR/before; \(command) 2> DIR/stderr; echo $? > DIR/status; stty -g > DIR/after",
                   width: width, height: height)
    }

    /// Ends the program in the window as the user's Ctrl-C (the terminal's interrupt key) or
    /// as `kill -TERM` from elsewhere would.
    static func stop(_ w: Window, with how: String) throws {
        if how == "C-c" {
            try w.keys("C-c")
        } else {
            let program = try #require(w.program)
            kill(program, SIGTERM)
        }
    }

    @Test(arguments: ["C-c", "SIGTERM"])
    func ctrlCAndSIGTERMEndBrowsingAFileAndRestoreTheTerminal(how: String) throws {
        let file = try Tools.capture(linkType: "raw")
        let w = try Self.windowSurvivingCtrlC("setpriv --reuid=65534 --regid=65534 --clear-groups " + Tools.tunscope + " -r " + file,
                                              width: 120, height: 40)
        defer { w.close() }
        try w.waitFor("FILE")
        try Self.stop(w, with: how)
        #expect(w.ended(), "tunscope goes on after \(how): \(w.screen)")
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(how): \(w.file("stderr") ?? "")")
        #expect(w.file("before") != nil && w.file("before") == w.file("after"), "the terminal's settings changed after \(how)")
    }

    @Test(arguments: ["C-c", "SIGTERM"])
    func ctrlCAndSIGTERMEndTheLabScreenRestoreTheTerminalAndRemoveTheLab(how: String) throws {
        let w = try Self.windowSurvivingCtrlC(Tools.tunscope + " lab", width: 120, height: 40)
        defer { w.close() }
        try w.waitFor("LIVE", timeout: 20)
        let program = try #require(w.program)
        let lab = w.labNamespaces(of: program)
        #expect(lab.count == 2)
        try Self.stop(w, with: how)
        #expect(w.ended(), "tunscope goes on after \(how): \(w.screen)")
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(how): \(w.file("stderr") ?? "")")
        #expect(w.file("before") != nil && w.file("before") == w.file("after"), "the terminal's settings changed after \(how)")
        #expect(Root.eventually(timeout: 10) { Set(lab).isDisjoint(with: Self.labNamespaces()) }, "the lab is left behind after \(how)")
    }

    @Test func aCaptureFileIsBrowsedWithoutRootAndQuitRestoresTheTerminal() throws {
        let file = try Tools.capture(linkType: "raw")
        let w = try Window("setpriv --reuid=65534 --regid=65534 --clear-groups " + Tools.tunscope + " -r " + file, width: 120, height: 40)
        defer { w.close() }
        try w.waitFor("FILE")
        try w.keys("g")
        try w.waitFor("Frame 1:")
        try w.keys("Tab", "Enter", "j")
        try w.waitFor("frame.")
        try w.keys("?")
        try w.waitFor("Keys (vim keys and arrows both)")
        try w.keys("x", "q")
        #expect(w.ended())
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(w.file("stderr") ?? "")")
        #expect(w.file("before") == w.file("after"))
    }

    /// `tunscope -Y`: the list starts filtered, by the same rows tshark -Y keeps (analysis
    /// fields included); a mistake is said in the terminal before any screen, exit status 1.
    @Test func theMonitorStartsWithADisplayFilterAndRefusesAWrongOne() throws {
        let capture = try Tools.streamsCapture()
        let expected = try DisplayFilterCrossCheckTests.tsharkFrames("tcp.analysis.retransmission", capture)
        #expect(expected.count >= 3)
        let w = try Window(Tools.tunscope + " -r " + capture + " -Y tcp.analysis.retransmission", width: 140, height: 50)
        defer { w.close() }
        try w.waitFor("filter: tcp.analysis.retransmission")
        try w.waitFor("│\(expected[2]) ")
        let list = w.screen.split(separator: "\n").prefix { !$0.contains("Header tree") }
        let rows = list.compactMap { line -> String? in
            guard line.hasPrefix("│"), let n = line.dropFirst().split(separator: " ").first, Int(n) != nil else { return nil }
            return String(n)
        }
        #expect(Array(rows.prefix(expected.count)) == Array(expected.prefix(rows.count)), "\(rows) against tshark's \(expected)")
        try w.keys("q")
        #expect(w.ended())

        let wrong = try Window(Tools.tunscope + " -r " + capture + " -Y 'tcp.flgs == 1'", width: 100, height: 20)
        defer { wrong.close() }
        #expect(wrong.ended())
        #expect(wrong.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        #expect(wrong.file("stderr")?.contains("-Y: tcp.flgs is neither a field nor a protocol name. Did you mean tcp.flags?") == true,
                "\(wrong.file("stderr") ?? "")")
        #expect(wrong.file("before") == wrong.file("after"))
    }
}
