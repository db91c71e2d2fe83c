import Foundation
import Testing

/// IP reassembly against the real tshark and tcpdump, on a capture made by make_fragments.py
/// (IPv4 and IPv6 datagrams of UDP, DNS, ICMP, ICMPv6 and TCP fragmented in and out of order,
/// duplicated, overlapping, with two tails, past the end, never completed, among ordinary packets).
@Suite(.serialized, .enabled(if: Tools.available, Tools.missingMessage))
struct FragmentTests {
    /// The fields reassembly must produce somewhere in the capture, or agreeing would say little.
    static let mustAppear = [
        "ip.fragments", "ip.fragment", "ip.fragment.error", "ip.fragment.overlap", "ip.fragment.overlap.conflict",
        "ip.fragment.multipletails", "ip.fragment.toolongfragment", "ip.reassembled.data", "ipv6.fragment",
        "ipv6.fragment.error", "ipv6.fragment.overlap.conflict", "ipv6.fragment.multipletails", "ipv6.reassembled.length",
        "ipv6.dstopts.nxt", "dns.a", "icmp.seq", "icmpv6.echo.sequence_number", "tcp.analysis.acks_frame",
    ]

    /// Every field both print agrees, and the reassembly fields and the layers a datagram brings
    /// are printed by both or by neither, packet by packet.
    @Test(arguments: ["raw", "ethernet"])
    func jsonReassemblyEqualsTsharks(linkType: String) throws {
        let capture = try Tools.fragmentsCapture(linkType: linkType)
        let dir = URL(fileURLWithPath: capture).deletingLastPathComponent()
        let ours = dir.appendingPathComponent("fragments-\(linkType).jsonl").path
        let theirs = dir.appendingPathComponent("fragments-\(linkType)-tshark.json").path
        let json = try Tools.run([Tools.tunscope, "print", "--format", "json", "-r", capture])
        try json.write(toFile: ours, atomically: true, encoding: .utf8)
        try Tools.run(["tshark", "-T", "json", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                       "-o", "udp.check_checksum:TRUE", "-r", capture]).write(toFile: theirs, atomically: true, encoding: .utf8)
        let (status, report) = try Tools.runStatus(["/usr/bin/python3", Tools.repo + "/Tests/CrossCheckTests/compare_fragments.py", ours, theirs])
        #expect(status == 0, "\(report)")
        let reassembled = report.split(separator: "\n").last?.split(separator: ",").dropFirst().first?
            .split(separator: " ").first.flatMap { Int($0) } ?? 0
        #expect(reassembled >= 20, "\(report)")
        for name in Self.mustAppear {
            #expect(json.contains("\"\(name)\":"), "no packet has \(name)")
        }
    }

    /// tcpdump does not reassemble: the lines stay its own, fragment by fragment.
    @Test(arguments: ["raw", "ethernet"])
    func textLinesEqualTcpdumps(linkType: String) throws {
        let capture = try Tools.fragmentsCapture(linkType: linkType)
        let expected = try Tools.run(["tcpdump", "-nn", "-S", "-r", capture]).split(separator: "\n").filter { !$0.hasPrefix("\t0x") }
        let actual = try Tools.run([Tools.tunscope, "print", "-r", capture]).split(separator: "\n")
        #expect(actual.count == expected.count && expected.count > 90)
        let first = zip(actual, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(first == nil, "line \((first?.offset ?? 0) + 1):\n  tcpdump:  \(first?.element.1 ?? "")\n  tunscope: \(first?.element.0 ?? "")")
    }

    /// The tree's fragment lines, in order, as tshark -V prints them (the data itself, which
    /// tshark cuts short, left out).
    @Test func treeFragmentLinesEqualTsharks() throws {
        let capture = try Tools.fragmentsCapture(linkType: "raw")
        func fragmentLines(_ tree: String) -> [Substring] {
            tree.split(separator: "\n").map { $0.drop { $0 == " " } }.filter {
                ($0.hasPrefix("[") && $0.contains(" Fragments (") && $0.contains(" bytes): #")) || $0.hasPrefix("[Frame: ")
                    || $0.hasPrefix("[Fragment ") || $0.hasPrefix("[Conflicting data") || $0.hasPrefix("[Multiple tail")
                    || ($0.hasPrefix("[Reassembled IPv") && $0.contains(" length: "))
            }
        }
        let theirs = fragmentLines(try Tools.run(["tshark", "-V", "-o", "ip.check_checksum:TRUE", "-r", capture]))
        let ours = fragmentLines(try Tools.run([Tools.tunscope, "print", "--format", "tree", "-r", capture]))
        #expect(theirs.count > 100)
        let first = zip(theirs, ours).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(theirs.count == ours.count && first == nil,
                "\(theirs.count) and \(ours.count) lines; first difference at \(first?.offset ?? -1): tshark \(first?.element.0 ?? "") tunscope \(first?.element.1 ?? "")")
    }

    /// --no-analysis decodes each packet alone: no datagram is put back together.
    @Test func noAnalysisReassemblesNothing() throws {
        let json = try Tools.run([Tools.tunscope, "print", "--format", "json", "--no-analysis", "-r", try Tools.fragmentsCapture(linkType: "raw")])
        #expect(!json.contains("reassembled") && json.contains("\"ip.frag_offset\":"))
    }
}

extension Tools {
    private static let fragmentsLock = NSLock()
    nonisolated(unsafe) private static var fragments: [String: String] = [:]

    /// The capture make_fragments.py writes for a link type, once per test run.
    static func fragmentsCapture(linkType: String) throws -> String {
        fragmentsLock.lock()
        defer { fragmentsLock.unlock() }
        if let path = fragments[linkType] { return path }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-fragments-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("fragments-\(linkType).pcap").path
        try run(["/usr/bin/python3", repo + "/Tests/CrossCheckTests/make_fragments.py", path, "--linktype", linkType])
        fragments[linkType] = path
        return path
    }
}
