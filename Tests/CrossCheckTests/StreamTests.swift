import Foundation
import Testing

/// Captures that arrive over time: `-r -` (a pipe), a FIFO by name, and `--follow` on a file
/// that is still being written; and tcpdump's command-line habits (`-c1`, `-nn`, `-D`).
@Suite(.enabled(if: Tools.available, Tools.missingMessage))
struct StreamTests {
    /// Writes a pcap capture record by record, to standard output ("-") or appended to a file:
    /// `writer.py SOURCE DEST DELAY plain|halves COUNT [QUIET]`. With `halves` the file header
    /// and every record go out in two parts with DELAY between them (a record cut inside its
    /// header, then one cut inside its data). QUIET: seconds to stay, silent, before closing.
    static let writer: String = {
        let path = Root.temporary("writer.py")
        try? """
            import sys, time
            src, dst, delay, halves, count = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == 'halves', int(sys.argv[5])
            data = open(src, 'rb').read()
            out = sys.stdout.buffer if dst == '-' else open(dst, 'ab', buffering=0)
            def put(b):
                out.write(b)
                out.flush()
            if halves:
                put(data[:10]); time.sleep(delay); put(data[10:24])
            else:
                put(data[:24])
            off, n = 24, 0
            while off < len(data) and n < count:
                caplen = int.from_bytes(data[off + 8:off + 12], 'little')
                rec = data[off:off + 16 + caplen]
                off += len(rec)
                n += 1
                if halves:
                    cut = 7 if n % 2 else 16 + caplen // 2
                    put(rec[:cut]); time.sleep(delay); put(rec[cut:])
                else:
                    put(rec)
                time.sleep(delay)
            if len(sys.argv) > 6:
                time.sleep(float(sys.argv[6]))
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    /// Runs a bash script with $T the tunscope binary; its status, standard output and error.
    static func bash(_ script: String) throws -> (Int32, String, String) {
        try Root.runStatus(["env", "TZ=UTC", "T=\(Tools.tunscope)", "W=\(writer)", "/bin/bash", "-c", script])
    }

    @Test(arguments: ["raw", "ethernet"], ["text", "json"])
    func aPipePrintsExactlyWhatTheFileDoes(linkType: String, format: String) throws {
        let capture = try Tools.capture(linkType: linkType)
        let fromFile = try Tools.run([Tools.tunscope, "print", "--format", format, "-r", capture])
        let (status, piped, err) = try Self.bash("cat '\(capture)' | \"$T\" print --format \(format) -r -")
        #expect(status == 0, "\(err)")
        #expect(!fromFile.isEmpty && piped == fromFile)
    }

    @Test func pcapngThroughAPipeAndAFIFOByName() throws {
        let capture = try Tools.capture(linkType: "ethernet")
        let ng = Root.temporary("capture.pcapng")
        try Tools.run(["editcap", "-F", "pcapng", capture, ng])
        #expect(try Tools.run(["/usr/bin/head", "-c", "4", ng]) == "\n\r\r\n", "editcap wrote pcapng")
        let expected = try Tools.run([Tools.tunscope, "print", "-r", capture])
        let (status, piped, err) = try Self.bash("cat '\(ng)' | \"$T\" print -r -")
        #expect(status == 0 && piped == expected, "\(err)")
        let fifo = Root.temporary("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let (fifoStatus, fromFIFO, fifoErr) = try Self.bash("cat '\(ng)' > '\(fifo)' & \"$T\" print -r '\(fifo)'")
        #expect(fifoStatus == 0 && fromFIFO == expected, "\(fifoErr)")
    }

    @Test func aDamagedStreamPrintsThePacketsBeforeTheDamageAndSaysWhy() throws {
        let capture = try Tools.capture(linkType: "raw")
        let lines = try Tools.run([Tools.tunscope, "print", "-r", capture]).split(separator: "\n")
        // Cut in the middle of a record a few packets in.
        let (status, out, err) = try Self.bash("head -c 1000 '\(capture)' | \"$T\" print -r -")
        let printed = out.split(separator: "\n")
        #expect(status == 1)
        #expect(!printed.isEmpty && printed == Array(lines.prefix(printed.count)), "\(out)")
        #expect(err.contains("stdin: truncated dump file") && err.contains("(after packet \(printed.count), the last printed)"), "\(err)")
        let (emptyStatus, _, emptyErr) = try Self.bash("\"$T\" print -r - < /dev/null")
        #expect(emptyStatus == 1 && emptyErr == "tunscope: stdin: the stream ended before a capture began (nothing was written to it)\n", "\(emptyErr)")
    }

    /// `-r -` with nothing piped in (standard input is a terminal) is one line, for print and the monitor.
    @Test func standardInputThatIsATerminalIsOneLine() throws {
        let onTerminal = """
            import os, pty, subprocess, sys
            master, slave = pty.openpty()
            r = subprocess.run(sys.argv[1:], stdin=slave, capture_output=True, timeout=10)
            sys.stdout.write('%d|%s' % (r.returncode, r.stderr.decode()))
            """
        for command in [["print", "-r", "-"], ["-r", "-"]] {
            let out = try Tools.run(["/usr/bin/python3", "-c", onTerminal, Tools.tunscope] + command)
            #expect(out == "1|tunscope: -r -: standard input is a terminal, not a capture: pipe one in (tcpdump -U -w - | tunscope -r -)\n",
                    "\(command): \(out)")
        }
    }

    @Test func followIsRefusedWhereAPipeAlreadyWaits() throws {
        let (status, _, err) = try Self.bash("cat /dev/null | \"$T\" print -r - --follow")
        #expect(status == 64 && err.contains("--follow is for a file that is still being written; standard input already waits"), "\(err)")
        let fifo = Root.temporary("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let (fifoStatus, _, fifoErr) = try Self.bash("\"$T\" print -r '\(fifo)' --follow")
        #expect(fifoStatus == 1 && fifoErr.contains("is a FIFO, which already waits"), "\(fifoErr)")
    }

    /// A writer that sends a packet every 300 ms: each is printed when it arrives, not when a
    /// batch fills or the pipe closes.
    @Test func aSlowPipeIsPrintedPacketByPacket() throws {
        let capture = try Tools.capture(linkType: "raw")
        let p = try Background(["/bin/bash", "-c", "/usr/bin/python3 \"$1\" \"$2\" - 0.3 plain 6 | \"$0\" print -r -",
                                Tools.tunscope, Self.writer, capture], in: nil)
        var seen: [Int] = []
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let n = p.standardOutput.split(separator: "\n").count
            if seen.last != n { seen.append(n) }
            if n == 6 { break }
            usleep(20_000)
        }
        let (status, out, err) = p.wait(timeout: 10)
        #expect(status == 0, "\(err)")
        #expect(out == (try Tools.run([Tools.tunscope, "print", "-c", "6", "-r", capture])))
        // 1, 2, ... 6 lines, one at a time (allowing a step missed by the polling).
        #expect(seen.first == 0 && seen.last == 6 && seen.count >= 6, "lines came as \(seen)")
    }

    /// `--follow` on a file appended to record by record, the header and each record in two
    /// halves with a pause between: every packet is printed, none lost, none called damage,
    /// and Ctrl-C (SIGINT) or SIGTERM end it with status 0.
    @Test(arguments: [SIGINT, SIGTERM])
    func followPrintsEveryPacketOfAFileStillBeingWritten(signal: Int32) throws {
        let capture = try Tools.capture(linkType: "raw")
        let growing = Root.temporary("growing.pcap")
        #expect(FileManager.default.createFile(atPath: growing, contents: nil))
        let follow = try Background([Tools.tunscope, "print", "-r", growing, "--follow"], in: nil)
        let count = 12
        _ = try Tools.run(["/usr/bin/python3", Self.writer, capture, growing, "0.05", "halves", "\(count)"])
        let expected = try Tools.run([Tools.tunscope, "print", "-r", growing])
        #expect(expected.split(separator: "\n").count == count)
        try follow.waitFor(String(expected.split(separator: "\n").last!), timeout: 5)
        let (status, out, err) = follow.stop(signal: signal)
        #expect(status == 0, "\(err)")
        #expect(out == expected, "\(out)")
        #expect(err.isEmpty, "\(err)")
    }

    /// The use the feature is for: a capture written into a pipe as it is made (`tcpdump -U -w -`,
    /// pcap; `dumpcap -w -`, pcapng: tcpdump 4.99 writes no pcapng), tunscope printing it; here on the loopback device of a namespace
    /// the test makes (a tun nobody holds has no carrier, so nothing would cross it).
    @Test(.enabled(if: Root.available, Root.missingMessage), arguments: [
        (["tcpdump", "-U", "-c", "3", "-i", "lo", "-w", "-", "udp"], "listening on lo"),
        (["dumpcap", "-q", "-c", "3", "-i", "lo", "-f", "udp", "-w", "-"], "Capturing on"),
    ])
    func aCaptureWrittenIntoAPipe(writer: [String], listening: String) throws {
        let ns = try Namespace()
        defer { ns.remove() }
        // The writer's PID is kept, to end it whatever happens (a pipe's reader ends with it).
        let dir = Root.temporary("capture-pipe")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = "{ \(writer.joined(separator: " ")) 2> '\(dir)/said' & echo $! > '\(dir)/writer.pid'; wait; } | \"$0\" print -r -"
        let pipe = try Background(["bash", "-c", script, Tools.tunscope], in: ns.name)
        defer {
            if let pid = (try? String(contentsOfFile: "\(dir)/writer.pid", encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                kill(pid, SIGKILL)
            }
            _ = pipe.stop(signal: SIGKILL)
        }
        // The writer says when it listens.
        let said = { (try? String(contentsOfFile: "\(dir)/said", encoding: .utf8)) ?? "" }
        #expect(Root.eventually(timeout: 10) { said().contains(listening) }, "\(said())")
        for port in 40001...40003 {
            try ns.run(["bash", "-c", "echo hello > /dev/udp/127.0.0.1/\(port)"])
            // Each line comes while the writer still runs: printed as captured, not at the end.
            try pipe.waitFor("127.0.0.1.\(port): UDP, length 6", timeout: 5)
        }
        let (status, out, err) = pipe.wait(timeout: 10)
        #expect(status == 0, "\(err)")
        #expect(out.split(separator: "\n").count == 3, "\(out)")
    }

    // MARK: tcpdump's habits

    @Test func singleLetterOptionsTakeAttachedValuesAsTcpdumpsDo() throws {
        let capture = try Tools.capture(linkType: "raw")
        let two = try Tools.run([Tools.tunscope, "print", "-c", "2", "-r", capture])
        #expect(two.split(separator: "\n").count == 2)
        for argv in [["print", "-r", capture, "-c2"], ["print", "-c2", "-r", capture], ["print", "-r\(capture)", "-c", "2"],
                     ["print", "-nn", "-S", "-c2", "-r", capture], ["print", "-nnSc2", "-r", capture], ["print", "-U", "-l", "-r", capture, "-c2"],
                     ["print", "-nnr", capture, "-c2"]] {
            let (status, out) = try Tools.runStatus([Tools.tunscope] + argv)
            #expect(status == 0 && out == two, "\(argv): \(out)")
        }
        // The filter's words stay as they were given, however they look.
        let udp = try Tools.run([Tools.tunscope, "print", "-f", "udp", "-r", capture])
        #expect(try Tools.run([Tools.tunscope, "print", "-nn", "-fudp", "-r", capture]) == udp)
        #expect(try Tools.run([Tools.tunscope, "print", "-nn", "-f", "udp and not port 53", "-r", capture])
                == (try Tools.run([Tools.tunscope, "print", "-f", "udp and not port 53", "-r", capture])))
        // A value that starts with a dash is a value: a file named -nn.pcap, attached or not.
        let dir = Root.temporary("dashes")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: capture, toPath: dir + "/-nn.pcap")
        let (s1, o1, e1) = try Root.runStatus(["/bin/bash", "-c", "cd '\(dir)' && \"$0\" print -c2 -r-nn.pcap && \"$0\" print -c 2 -r -nn.pcap",
                                                 Tools.tunscope])
        #expect(s1 == 0 && o1 == two + two, "\(e1)")
        // Unknown letters are left for ArgumentParser to name; --help still works.
        let (bad, said) = try Tools.runStatus([Tools.tunscope, "print", "-zz", "-r", capture])
        #expect(bad != 0 && said.contains("Unknown option '-zz'"), "\(said)")
        #expect(try Tools.run([Tools.tunscope, "print", "--help"]).contains("--follow"))
        #expect(try Tools.run([Tools.tunscope, "print", "-nn", "--help"]).contains("USAGE: tunscope print"))
    }

    /// -D against tcpdump -D in a namespace with a tun, a tap and a veth pair: the same
    /// interfaces with the same numbers, each up or not as tcpdump says, and what it is.
    @Test(.enabled(if: Root.available, Root.missingMessage))
    func listInterfacesNumbersThemAsTcpdumpDoes() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        try ns.run(["ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        try ns.run(["ip", "link", "set", "veth0", "up"])
        try ns.run(["ip", "tuntap", "add", "name", "tap0", "mode", "tap"])
        // name -> (number, up)
        func parse(_ text: String, up: (Substring) -> Bool) -> [String: (Int, Bool)] {
            var result: [String: (Int, Bool)] = [:]
            for line in text.split(separator: "\n") {
                guard let dot = line.firstIndex(of: "."), let n = Int(line[..<dot]) else { continue }
                let name = line[line.index(after: dot)...].split(separator: " ")[0]
                result[String(name)] = (n, up(line))
            }
            return result
        }
        let theirs = parse(try ns.run(["tcpdump", "-D"])) { $0.contains("[Up") }
        for command in [["-D"], ["print", "-D"]] {
            let text = try ns.run([Tools.tunscope] + command)
            let ours = parse(text) { $0.split(separator: " ", omittingEmptySubsequences: true)[1] == "up" }
            #expect(ours.mapValues { $0.0 } == theirs.mapValues { $0.0 }, "\(command):\n\(text)")
            #expect(ours.mapValues { $0.1 } == theirs.mapValues { $0.1 }, "\(command): up or not:\n\(text)")
            let lines = text.split(separator: "\n")
            func line(_ name: String) -> Substring { lines.first { $0.contains(".\(name) ") } ?? "" }
            #expect(line("tun0").contains("a tun device nobody holds: tunscope can (tunscope -i tun0)"), "\(text)")
            #expect(line("tap0").contains("a tap device nobody holds: tunscope can (tunscope --tap -i tap0)"), "\(text)")
            #expect(line("veth0").contains("an Ethernet device") && line("veth1").contains("an Ethernet device"), "\(text)")
            #expect(line("lo").contains("the loopback device") && line("any").contains("every interface"), "\(text)")
        }
        // Held by a program: its carrier is on, and -D names it.
        let holder = try Background([Tools.tunscope, "print", "-q", "-i", "tun0"], in: ns.name)
        defer { _ = holder.stop(signal: SIGTERM) }
        try holder.waitFor("listening on tun0", timeout: 5, onStandardError: true)
        #expect(try ns.run([Tools.tunscope, "-D"]).contains("a tun device held by tunscope, pid \(holder.pid): tunscope watches it (tunscope -i tun0)"))
    }

    /// -itun0, -c1 and -fudp on a live device, as tcpdump users type them (udp: the kernel's own
    /// IPv6 router solicitations may come first).
    @Test(.enabled(if: Root.available, Root.missingMessage))
    func attachedValuesOnALiveDevice() throws {
        let ns = try Namespace(withTun: "tun0")
        defer { ns.remove() }
        let capture = try Background([Tools.tunscope, "print", "-nn", "-itun0", "-c1", "-fudp"], in: ns.name)
        try capture.waitFor("listening on tun0", timeout: 5, onStandardError: true)
        try ns.run(["bash", "-c", "echo hello > /dev/udp/192.0.2.2/40000"])
        let (status, out, err) = capture.wait(timeout: 5)
        #expect(status == 0, "\(err)")
        #expect(out.split(separator: "\n").count == 1 && out.contains("192.0.2.1.") && out.contains("UDP, length 6"), "\(out)")
    }
}
