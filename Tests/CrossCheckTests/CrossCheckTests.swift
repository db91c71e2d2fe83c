import Foundation
import Testing

/// Runs the built `tunscope` on a scapy-made capture and checks its output against tcpdump's and
/// tshark's for every packet. Needs tcpdump, tshark and python3-scapy (`.ci/install-deps`).
@Suite(.serialized, .enabled(if: Tools.available, Tools.missingMessage))
struct CrossCheckTests {
    /// Also on copies cut at snapshot lengths (editcap -s), where every protocol's printer meets
    /// headers that end mid-field while the packet's length on the wire says more.
    /// sll and sll2 are the Ethernet mix in Linux cooked headers, plus what only those have.
    @Test(arguments: ["raw", "ethernet", "sll", "sll2"], [0, 40, 54, 64, 90])
    func textLinesEqualTcpdumps(linkType: String, snapLength: Int) throws {
        var capture = try Tools.capture(linkType: linkType)
        if snapLength > 0 {
            let cut = capture + ".s\(snapLength)"
            _ = try Tools.run(["editcap", "-s", String(snapLength), capture, cut])
            capture = cut
        }
        let tcpdump = try Tools.run(["tcpdump", "-nn", "-S", "-r", capture])
        let ours = try Tools.run([Tools.tunscope, "print", "-r", capture])
        // tcpdump's hex lines under a payload it cannot name: tunscope prints the first line only.
        let expected = tcpdump.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("\t0x") }
        let actual = ours.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(expected.count >= 300, "the capture should hold at least 300 packets")
        #expect(actual.count == expected.count, "tunscope printed \(actual.count) lines, tcpdump \(expected.count)")
        var differences: [String] = []
        for (n, (a, b)) in zip(actual, expected).enumerated() where a != b {
            differences.append("packet \(n + 1):\n  tcpdump:  \(b)\n  tunscope: \(a)")
        }
        #expect(differences.isEmpty, "\(differences.count) lines differ:\n\(differences.prefix(40).joined(separator: "\n"))")
    }

    @Test(arguments: ["raw", "ethernet", "sll", "sll2"])
    func jsonValuesEqualTsharks(linkType: String) throws {
        let capture = try Tools.capture(linkType: linkType)
        let dir = URL(fileURLWithPath: capture).deletingLastPathComponent()
        let ours = dir.appendingPathComponent("tunscope-\(linkType).jsonl").path
        let theirs = dir.appendingPathComponent("tshark-\(linkType).json").path
        try Tools.run([Tools.tunscope, "print", "--format", "json", "-r", capture]).write(toFile: ours, atomically: true, encoding: .utf8)
        // tshark's default sequence analysis: relative numbers, tcp.stream and tcp.analysis, which
        // tunscope computes too, so they are compared with the rest.
        try Tools.run(["tshark", "-T", "json", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                       "-o", "udp.check_checksum:TRUE", "-r", capture]).write(toFile: theirs, atomically: true, encoding: .utf8)
        // In a cooked capture every packet must have had its header's fields compared.
        let require = linkType.hasPrefix("sll") ? ["--require", "sll.pkttype"] : []
        let (status, report) = try Tools.runStatus(["/usr/bin/python3", Tools.repo + "/Tests/CrossCheckTests/compare_json.py", ours, theirs] + require)
        #expect(status == 0, "\(report)")
        #expect(report.contains(" field values compared"), "\(report)")
    }

    @Test(arguments: ["ethernet", "sll2"])
    func treeAndHexPrintEveryPacketWithoutFailing(linkType: String) throws {
        let capture = try Tools.capture(linkType: linkType)
        let tree = try Tools.run([Tools.tunscope, "print", "--format", "tree", "-x", "-r", capture])
        let frames = tree.components(separatedBy: "\nFrame ").count
        let tcpdump = try Tools.run(["tcpdump", "-nn", "-r", capture]).split(separator: "\n").filter { !$0.hasPrefix("\t") }.count
        #expect(frames == tcpdump)
        #expect(tree.contains("[correct]") && tree.contains("[incorrect, should be 0x"))
        #expect(tree.contains("[Malformed Packet: "))
    }

    @Test func hexDumpEqualsTcpdumpX() throws {
        let capture = try Tools.capture(linkType: "ethernet")
        let tcpdump = try Tools.run(["tcpdump", "-nn", "-S", "-X", "-r", capture])
        let ours = try Tools.run([Tools.tunscope, "print", "-x", "-r", capture])
        let expected = tcpdump.split(separator: "\n").filter { $0.hasPrefix("\t0x") }
        let actual = ours.split(separator: "\n").filter { $0.hasPrefix("\t0x") }
        #expect(expected.count == actual.count)
        let firstDifference = zip(expected, actual).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil, "hex line \(firstDifference?.offset ?? 0) differs:\n  tcpdump:  \(firstDifference?.element.0 ?? "")\n  tunscope: \(firstDifference?.element.1 ?? "")")
    }
}

enum Tools {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// The tunscope built by `swift test`, beside the test bundle.
    static let tunscope = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("tunscope").path
    static let needed = ["/usr/bin/python3", "/usr/bin/tcpdump", "/usr/bin/tshark", "/usr/bin/editcap"]
    static let available = needed.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        && FileManager.default.isExecutableFile(atPath: tunscope)
    static let missingMessage: Comment =
        "needs tcpdump, tshark, python3-scapy (run .ci/install-deps) and the tunscope binary built by swift test"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String: String] = [:]

    /// The scapy-made capture for a link type, generated once per test run.
    static func capture(linkType: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = made[linkType] { return path }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-crosscheck-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("\(linkType).pcap").path
        _ = try run(["/usr/bin/python3", repo + "/Tests/CrossCheckTests/make_capture.py", path, "--linktype", linkType])
        made[linkType] = path
        return path
    }

    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func run(_ argv: [String]) throws -> String {
        let (status, out) = try runStatus(argv)
        guard status == 0 else { throw Failed(description: "\(argv.joined(separator: " ")) exited \(status): \(out.suffix(2000))") }
        return out
    }

    /// Runs a program with TZ=UTC; returns its exit status and standard output (standard error
    /// is kept only when it fails, for the message).
    static func runStatus(_ argv: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/" + argv[0])
        p.arguments = Array(argv.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Standard output can be megabytes, so it is read while the program runs; what these
        // programs print on standard error is a line or two, well within a pipe's buffer.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        if p.terminationStatus != 0 {
            return (p.terminationStatus, text + String(decoding: errData, as: UTF8.self))
        }
        return (0, text)
    }
}
