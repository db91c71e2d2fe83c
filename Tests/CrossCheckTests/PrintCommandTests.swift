import Foundation
import Testing

/// `tunscope print` as a user meets it: exit statuses, messages, and partial output on damage.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: Tools.tunscope), "needs the tunscope binary built by swift test"))
struct PrintCommandTests {
    static let syn: [UInt8] = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00,
        0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    ]

    /// A pcap file of `count` copies of the reference SYN, one second apart.
    static func capture(_ name: String, count: Int, cut: Int = 0) throws -> String {
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        var f = le32(0xa1b2_c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(101)
        for i in 0..<count {
            f += le32(1_700_000_000 + UInt32(i)) + le32(123_456) + le32(44) + le32(44) + syn
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-print-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(f.dropLast(cut)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func printsTheReferenceSYNAsTcpdumpDoes() throws {
        let (status, out) = try Tools.runStatus([Tools.tunscope, "print", "-r", try Self.capture("one.pcap", count: 1)])
        #expect(status == 0)
        #expect(out == "22:13:20.123456 IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0\n")
    }

    @Test func countStopsEarly() throws {
        let out = try Tools.run([Tools.tunscope, "print", "-c", "2", "-r", try Self.capture("five.pcap", count: 5)])
        #expect(out.split(separator: "\n").count == 2)
    }

    @Test func filterKeepsOnlyMatches() throws {
        let path = try Self.capture("filter.pcap", count: 3)
        #expect(try Tools.run([Tools.tunscope, "print", "-f", "tcp port 80", "-r", path]).split(separator: "\n").count == 3)
        #expect(try Tools.run([Tools.tunscope, "print", "-f", "udp", "-r", path]).isEmpty)
    }

    @Test func badFilterIsOneLineAndExitOne() throws {
        let (status, out) = try Tools.runStatus([Tools.tunscope, "print", "-f", "tcp prot 80", "-r", try Self.capture("bad.pcap", count: 1)])
        #expect(status == 1)
        #expect(out.hasPrefix("tunscope: filter 'tcp prot 80': "))
        #expect(out.split(separator: "\n").count == 1)
    }

    @Test func missingFileIsOneLineAndExitOne() throws {
        let (status, out) = try Tools.runStatus([Tools.tunscope, "print", "-r", "/nonexistent/x.pcap"])
        #expect(status == 1)
        #expect(out == "tunscope: /nonexistent/x.pcap: No such file or directory\n")
    }

    @Test func captureCutShortPrintsEveryPacketBeforeTheDamage() throws {
        let (status, out) = try Tools.runStatus([Tools.tunscope, "print", "-r", try Self.capture("cut.pcap", count: 3, cut: 5)])
        #expect(status == 1)
        let lines = out.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.prefix(2).allSatisfy { $0.contains("Flags [S]") })
        #expect(lines.last?.contains("truncated") == true)
    }

    @Test func closedPipeEndsQuietly() throws {
        let path = try Self.capture("many.pcap", count: 20000)
        let errors = path + ".stderr"
        let script = "'\(Tools.tunscope)' print -r '\(path)' 2>'\(errors)' | head -1; echo \"status ${PIPESTATUS[0]}\"; cat '\(errors)'"
        let (status, out) = try Tools.runStatus(["/bin/bash", "-c", script])
        #expect(status == 0)
        // One line through head, tunscope's own exit status 0, and nothing on its standard error.
        #expect(out.hasSuffix("length 0\nstatus 0\n"), "\(out)")
    }

    @Test func wrongFlagsSayWhatIsWrong() throws {
        let (status, out) = try Tools.runStatus([Tools.tunscope, "print", "-r", "x", "-c", "0"])
        #expect(status != 0)
        #expect(out.contains("-c needs a positive number of packets"))
        let (status2, out2) = try Tools.runStatus([Tools.tunscope, "print", "-r", "x", "--format", "xml"])
        #expect(status2 != 0)
        #expect(out2.contains("xml"))
    }

    @Test func treeShowsChecksumStatusAndExplanations() throws {
        let out = try Tools.run([Tools.tunscope, "print", "--format", "tree", "-r", try Self.capture("tree.pcap", count: 1)])
        #expect(out.contains("Internet Protocol Version 4, Src: 192.0.2.2, Dst: 34.194.149.67\n"))
        #expect(out.contains("    Time to Live: 64\n"))
        #expect(out.contains("Header Checksum: 0x00c4 [correct]"))
    }

    @Test func jsonIsOneObjectPerLineWithNumbersAndStrings() throws {
        let out = try Tools.run([Tools.tunscope, "print", "--format", "json", "-r", try Self.capture("json.pcap", count: 2)])
        let lines = out.split(separator: "\n")
        #expect(lines.count == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["frame.number"] as? Int == 1)
        #expect(object["ip.ttl"] as? Int == 64)
        #expect(object["ip.src"] as? String == "192.0.2.2")
        #expect(object["frame.time_epoch"] is NSNumber, "a number, not text: \(lines[0])")
    }
}
