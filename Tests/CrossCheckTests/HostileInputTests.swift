import Foundation
import Testing

/// Damaged capture files through `print` and the screen: a clear message, the good packets
/// before the damage shown, never a crash.
@Suite(.enabled(if: Tools.available, Tools.missingMessage))
struct HostileInputTests {
    /// A classic pcap: the global header (magic, version 2.4, snap length, link type) and records.
    static func pcap(magic: UInt32 = 0xa1b2_c3d4, snapLength: UInt32 = 65535, linkType: UInt32 = 101,
                     records: [(captured: UInt32, original: UInt32, bytes: [UInt8])]) -> Data {
        var d = Data()
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        put32(magic)
        put16(2)
        put16(4)
        put32(0)
        put32(0)
        put32(snapLength)
        put32(linkType)
        for (i, r) in records.enumerated() {
            put32(1_700_000_000 + UInt32(i))
            put32(0)
            put32(r.captured)
            put32(r.original)
            d.append(contentsOf: r.bytes)
        }
        return d
    }

    /// The reference SYN (DESIGN.md).
    static let syn: [UInt8] = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02, 0x22, 0xc2, 0x95, 0x43,
        0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00,
        0x02, 0x04, 0x05, 0xb4,
    ]
    static let good = (captured: UInt32(44), original: UInt32(44), bytes: syn)

    static func file(_ name: String, _ data: Data) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-hostile-\(getpid())-\(name)").path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func printed(_ path: String) throws -> (Int32, String, String) {
        try Root.runStatus(["env", "TZ=UTC", Tools.tunscope, "print", "-r", path])
    }

    @Test func everyKindOfDamageIsOneLineAfterTheGoodPackets() throws {
        let cases: [(String, Data, String)] = [
            ("cut-mid-record", Self.pcap(records: [Self.good, Self.good]).dropLast(10), "truncated"),
            ("absurd-length", Self.pcap(records: [Self.good, (captured: 0x7fff_ffff, original: 44, bytes: Self.syn)]), "bigger than"),
            ("huge-packet", Self.pcap(snapLength: 262_144, records: [Self.good, (captured: 300_000, original: 300_000, bytes: [UInt8](repeating: 0x45, count: 300_000))]), "bigger than"),
        ]
        for (name, data, reason) in cases {
            let (status, out, err) = try Self.printed(try Self.file(name, data))
            #expect(status == 1, "\(name): \(err)")
            #expect(out.split(separator: "\n").first?.hasSuffix("IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0") == true,
                    "\(name): the good packet first: \(out)")
            #expect(err.split(separator: "\n").count == 1 && err.contains(reason) && err.contains("(after packet 1, the last printed)"),
                    "\(name): \(err)")
        }
    }

    /// `print -r` formats packets in batches on every core: across many batches the records keep
    /// packet order and numbers, `-c` stops at its count, and damage deep in the file still comes
    /// after every good packet.
    @Test func packetsPastManyBatchesKeepTheirOrderAndDamageComesLast() throws {
        // The reference SYN with its IP identification set to the packet's number, so each line
        // says which packet it is.
        let count = 10_000
        let records = (0..<count).map { i -> (captured: UInt32, original: UInt32, bytes: [UInt8]) in
            var b = Self.syn
            b[4] = UInt8(truncatingIfNeeded: (i + 1) >> 8)
            b[5] = UInt8(truncatingIfNeeded: i + 1)
            return (44, 44, b)
        }
        let path = try Self.file("batches", Self.pcap(records: records).dropLast(10))
        let (status, out, err) = try Root.runStatus(["env", "TZ=UTC", Tools.tunscope, "print", "-r", path, "--format", "json"])
        #expect(status == 1 && err.contains("truncated"), "\(err)")
        let lines = out.split(separator: "\n")
        #expect(lines.count == count - 1, "every packet before the cut record")
        for (i, line) in lines.enumerated() where !line.contains("\"frame.number\":\(i + 1),\"frame.len\"")
            || !line.contains("\"ip.id\":\((i + 1) & 0xffff),") {
            Issue.record("record \(i + 1) out of place: \(line.prefix(160))")
            break
        }
        let (countStatus, counted, _) = try Root.runStatus([Tools.tunscope, "print", "-r", path, "-c", "5000", "--format", "tree"])
        #expect(countStatus == 0)
        #expect(counted.split(separator: "\n").filter { $0.hasPrefix("Frame ") }.count == 5000)
        #expect(counted.contains("Frame 5000: ") && !counted.contains("Frame 5001: "))
    }

    @Test func filesThatAreNotCapturesOrHoldUnknownLinkTypesSaySo() throws {
        let cases: [(String, Data, String)] = [
            ("wrong-magic", Self.pcap(magic: 0xdead_beef, records: [Self.good]), "not a pcap or pcapng capture file"),
            ("empty", Data(), "the file is empty: not a capture"),
            ("unknown-link", Self.pcap(linkType: 147, records: [Self.good]), "link type 147 is not one tunscope decodes"),
        ]
        for (name, data, reason) in cases {
            let (status, out, err) = try Self.printed(try Self.file(name, data))
            #expect(status == 1 && out.isEmpty, "\(name)")
            #expect(err.split(separator: "\n").count == 1 && err.contains(reason), "\(name): \(err)")
        }
        // A snap length of zero is libpcap's business: it reads the file as it is.
        let (status, out, _) = try Self.printed(try Self.file("zero-snap", Self.pcap(snapLength: 0, records: [Self.good])))
        #expect(status == 0 && out.contains("Flags [S]"))
    }

    @Test func mistakesOnTheMonitorsCommandLineAreOneLine() throws {
        let file = try Self.file("one", Self.pcap(records: [Self.good]))
        let cases: [([String], Int32, String)] = [
            (["--target", "192.0.2.1:70000"], 64, "the port must be a number from 1 to 65535"),
            (["--target", "example.test:80"], 64, "give an IP address and a port"),
            (["--target", "192.0.2.1"], 64, "give the port too"),
            (["-r", file, "-i", "tun0"], 64, "-r browses a file"),
            (["--source", "nowhere"], 64, "is not an IP address"),
            (["-r", file], 1, "the monitor needs a terminal"),
            (["print", "-r", file, "-c", "0"], 64, "(see 'tunscope print --help')"),
            (["print", "-r", file, "-c", "-1"], 64, "-c needs a positive number of packets, not -1"),
            (["--max-packets", "-5"], 64, "--max-packets needs a positive number, not -5"),
            (["print", "-r", file, "--format", "xml"], 64, "'xml'"),
            (["--bogus"], 64, "Unknown option '--bogus' (see 'tunscope --help')"),
            (["frobnicate"], 64, "Unexpected argument 'frobnicate'"),
        ]
        for (args, code, message) in cases {
            let (status, _, err) = try Root.runStatus([Tools.tunscope] + args)
            #expect(status == code, "\(args): \(err)")
            #expect(err.contains(message) && err.split(separator: "\n").count == 1 && err.hasPrefix("tunscope: "), "\(args): \(err)")
            #expect(!err.contains("Fatal error") && !err.contains("Stack dump"), "\(args): \(err)")
        }
    }

    /// A terminal type ncurses cannot draw on is one line and status 1, before ncurses starts
    /// (it would exit with its own message, or draw garbage).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux"),
          arguments: [("dumb", "TERM=dumb cannot move the cursor"), ("nosuchterm", "TERM=nosuchterm is a terminal type this system does not know")])
    func aTerminalTypeThatCannotShowTheScreenIsOneLine(term: String, message: String) throws {
        let capture = try Self.file("term-capture", Self.pcap(records: [Self.good]))
        let w = try ScreenEndToEndTests.Window("TERM=\(term) \(Tools.tunscope) -r \(capture)", width: 120, height: 30)
        defer { w.close() }
        #expect(w.ended())
        #expect(w.file("status")?.hasPrefix("1") == true)
        let err = w.file("stderr") ?? ""
        #expect(err.split(separator: "\n").count == 1 && err.hasPrefix("tunscope: ") && err.contains(message), "\(err)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux"))
    func aBrokenThemeFileIsNamedWithItsLineAndTheDefaultIsUsed() throws {
        let capture = try Self.file("theme-capture", Self.pcap(records: [Self.good]))
        let theme = try Self.file("bad.toml", Data("name = \"bad\"\n[roles]\nstatus_bar = [\"purpel\", \"black\"]\n".utf8))
        let w = try ScreenEndToEndTests.Window("\(Tools.tunscope) -r \(capture) --theme \(theme)", width: 160, height: 30)
        defer { w.close() }
        try w.waitFor("FILE")
        #expect(w.screen.contains("bad.toml:3: 'purpel' is not a colour"), "\(w.screen)")
        #expect(w.screen.contains("using the built-in dark theme"))
        try w.keys("q")
        #expect(w.ended())
        #expect(w.file("status")?.hasPrefix("0") == true && w.file("stderr")?.contains("bad.toml:3:") == true)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs tmux"))
    func theScreenShowsTheGoodPacketsAndSaysWhatIsWrongWithTheRest() throws {
        let path = try Self.file("screen-cut", Self.pcap(records: [Self.good, Self.good, Self.good]).dropLast(10))
        let w = try ScreenEndToEndTests.Window(Tools.tunscope + " -r " + path, width: 120, height: 30)
        defer { w.close() }
        try w.waitFor("truncated")
        #expect(w.screen.contains("2 pkts") && w.screen.contains("damaged after packet 2, which is all that is shown"))
        try w.keys("q")
        #expect(w.ended())
        #expect(w.file("status")?.hasPrefix("0") == true)
    }
}
