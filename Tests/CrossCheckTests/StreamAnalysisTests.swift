import Foundation
import Testing

/// Stream analysis against the real tshark and tcpdump, on a capture made by make_streams.py
/// (interleaved conversations with every kind of trouble tcp.analysis names, four-tuple reuse,
/// UDP conversations, IPv4 and IPv6, and a soup of segments with random faults) and on the
/// cross-check captures of every link type.
@Suite(.serialized, .enabled(if: Tools.available, Tools.missingMessage))
struct StreamAnalysisTests {
    static let analysisFields = [
        "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
        "tcp.analysis.out_of_order", "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment",
        "tcp.analysis.duplicate_ack_num", "tcp.analysis.duplicate_ack_frame", "tcp.analysis.zero_window",
        "tcp.analysis.zero_window_probe", "tcp.analysis.zero_window_probe_ack", "tcp.analysis.window_full",
        "tcp.analysis.window_update", "tcp.analysis.keep_alive", "tcp.analysis.keep_alive_ack",
        "tcp.analysis.reused_ports", "tcp.analysis.ack_rtt", "tcp.analysis.acks_frame", "tcp.analysis.initial_rtt",
        "tcp.analysis.bytes_in_flight", "tcp.analysis.push_bytes_sent", "tcp.analysis.rto", "tcp.analysis.rto_frame",
        "tcp.stream", "udp.stream", "tcp.nxtseq", "tcp.time_delta", "udp.time_delta", "_ws.expert.message",
    ]

    /// tcp.stream, udp.stream, the relative numbers, the times and every tcp.analysis field and
    /// note, packet by packet: a field either side prints alone is a difference too.
    @Test func jsonStreamFieldsEqualTsharks() throws {
        let capture = try Tools.streamsCapture()
        let dir = URL(fileURLWithPath: capture).deletingLastPathComponent()
        let ours = dir.appendingPathComponent("streams.jsonl").path
        let theirs = dir.appendingPathComponent("streams-tshark.json").path
        let json = try Tools.run([Tools.tunscope, "print", "--format", "json", "-r", capture])
        try json.write(toFile: ours, atomically: true, encoding: .utf8)
        try Tools.run(["tshark", "-T", "json", "-r", capture]).write(toFile: theirs, atomically: true, encoding: .utf8)
        let (status, report) = try Tools.runStatus(["/usr/bin/python3", Tools.repo + "/Tests/CrossCheckTests/compare_streams.py", ours, theirs])
        #expect(status == 0, "\(report)")
        let compared = Int(report.split(separator: "\n").last?.split(separator: " ").first ?? "") ?? 0
        #expect(compared > 5000, "\(report)")
        // The capture must exercise every kind, or agreeing would say little.
        for name in Self.analysisFields {
            #expect(json.contains("\"\(name)\":"), "no packet has \(name)")
        }
    }

    /// Without the analysis the same capture has none of it (--no-analysis).
    @Test func noAnalysisLeavesPacketsAlone() throws {
        let json = try Tools.run([Tools.tunscope, "print", "--format", "json", "--no-analysis", "-r", try Tools.streamsCapture()])
        #expect(!json.contains("tcp.stream") && !json.contains("tcp.analysis") && json.contains("tcp.seq_raw"))
    }

    /// The tree's expert lines for tcp.analysis, in order, as tshark -V prints them.
    @Test func treeExpertLinesEqualTsharks() throws {
        let capture = try Tools.streamsCapture()
        func expertLines(_ tree: String) -> [Substring] {
            tree.split(separator: "\n").map { $0.drop { $0 == " " } }.filter {
                $0.hasPrefix("[Expert Info (") && $0.contains("/Sequence): ") && !$0.contains("Connection ")
                    && !$0.contains("connection closing") && !$0.contains("MSS option")
                    && (!$0.hasPrefix("[Expert Info (Chat/") || $0.contains("TCP window update"))
            }
        }
        let theirs = expertLines(try Tools.run(["tshark", "-V", "-r", capture]))
        let ours = expertLines(try Tools.run([Tools.tunscope, "print", "--format", "tree", "-r", capture]))
        #expect(theirs.count > 100)
        let first = zip(theirs, ours).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(theirs.count == ours.count && first == nil,
                "\(theirs.count) and \(ours.count) lines; first difference at \(first?.offset ?? -1): tshark \(first?.element.0 ?? "") tunscope \(first?.element.1 ?? "")")
    }

    /// `print --relative` prints what `tcpdump -nn` (without -S) prints.
    @Test(arguments: ["streams", "raw", "ethernet", "sll", "sll2"])
    func relativeLinesEqualTcpdumps(capture name: String) throws {
        let capture = name == "streams" ? try Tools.streamsCapture() : try Tools.capture(linkType: name)
        let expected = try Tools.run(["tcpdump", "-nn", "-r", capture]).split(separator: "\n").filter { !$0.hasPrefix("\t0x") }
        let actual = try Tools.run([Tools.tunscope, "print", "--relative", "-r", capture]).split(separator: "\n")
        let raw = try Tools.run([Tools.tunscope, "print", "-r", capture]).split(separator: "\n")
        #expect(actual.count == expected.count)
        let differences = zip(actual, expected).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(differences.isEmpty, "\(differences.count) lines differ, first:\n  tcpdump:  \(differences.first?.element.1 ?? "")\n  tunscope: \(differences.first?.element.0 ?? "")")
        // The numbers did change: otherwise the test would pass on raw lines.
        #expect(zip(actual, raw).contains { $0 != $1 })
    }
}

extension Tools {
    private static let streamsLock = NSLock()
    nonisolated(unsafe) private static var streams: String?

    /// The capture make_streams.py writes, once per test run.
    static func streamsCapture() throws -> String {
        streamsLock.lock()
        defer { streamsLock.unlock() }
        if let streams { return streams }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-streams-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("streams.pcap").path
        try run(["/usr/bin/python3", repo + "/Tests/CrossCheckTests/make_streams.py", path])
        streams = path
        return path
    }
}
