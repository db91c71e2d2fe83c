import Foundation
import Testing

/// Traffic as it comes (issue 14): a seeded capture of arbitrary payloads on every port tunscope
/// decodes (`make_arbitrary_capture.py`). Every packet gets one line, one JSON object and a tree
/// without trouble, and nearly every line is tcpdump's.
@Suite(.serialized, .enabled(if: Tools.available, Tools.missingMessage))
struct ArbitraryPayloadTests {
    static let count = 4000
    /// The share of lines that must equal tcpdump's; README says what the rest are.
    static let agreement = 0.99

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: String?

    /// Generated once per test run.
    static func capture() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-arbitrary-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("arbitrary.pcap").path
        try Tools.run(["/usr/bin/python3", Tools.repo + "/Tests/CrossCheckTests/make_arbitrary_capture.py", path,
                       "--count", String(count)])
        made = path
        return path
    }

    /// One string a packet: a line that does not start with a time of day continues the packet
    /// before it (a printer that wrote more than one line stays one packet's output).
    static func packets(_ text: String) -> [String] {
        var out: [String] = []
        for line in text.split(separator: "\n") {
            let startsPacket = line.count > 16 && line.utf8.prefix(15).enumerated().allSatisfy { i, c in
                [2, 5].contains(i) ? c == UInt8(ascii: ":") : i == 8 ? c == UInt8(ascii: ".") : (48...57).contains(c)
            }
            if startsPacket || out.isEmpty { out.append(String(line)) } else { out[out.count - 1] += "\n" + line }
        }
        return out
    }

    @Test func linesEqualTcpdumpsForNearlyEveryPacket() throws {
        let capture = try Self.capture()
        let (status, ours) = try Tools.runStatus([Tools.tunscope, "print", "-r", capture])
        #expect(status == 0, "tunscope print exited \(status): \(ours.suffix(2000))")
        let tcpdump = Self.packets(try Tools.run(["tcpdump", "-nn", "-S", "-r", capture]))
        let lines = ours.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(tcpdump.count == Self.count, "tcpdump printed \(tcpdump.count) packets")
        #expect(lines.count == Self.count, "tunscope printed \(lines.count) lines for \(Self.count) packets")
        var differences: [String] = []
        for (n, (a, b)) in zip(lines, tcpdump).enumerated() where a != b {
            differences.append("packet \(n + 1):\n  tcpdump:  \(b)\n  tunscope: \(a)")
        }
        let equal = Double(min(lines.count, tcpdump.count) - differences.count) / Double(Self.count)
        #expect(equal >= Self.agreement,
                "\(String(format: "%.2f", equal * 100))% of lines equal tcpdump's; \(differences.count) differ:\n\(differences.prefix(40).joined(separator: "\n"))")
    }

    @Test func everyPacketGetsOneJSONObjectAndATree() throws {
        let capture = try Self.capture()
        let (status, json) = try Tools.runStatus([Tools.tunscope, "print", "--format", "json", "-r", capture])
        #expect(status == 0, "tunscope print --format json exited \(status): \(json.suffix(2000))")
        let records = json.split(separator: "\n")
        #expect(records.count == Self.count, "\(records.count) JSON lines for \(Self.count) packets")
        for (n, record) in records.enumerated() {
            let object = try? JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any]
            #expect(object?["frame.number"] as? Int == n + 1, "JSON line \(n + 1) is not packet \(n + 1)'s object: \(record.prefix(300))")
            if object == nil { break }
        }
        let (treeStatus, tree) = try Tools.runStatus([Tools.tunscope, "print", "--format", "tree", "-r", capture])
        #expect(treeStatus == 0, "tunscope print --format tree exited \(treeStatus): \(tree.suffix(2000))")
        let frames = tree.split(separator: "\n").filter { $0.hasPrefix("Frame ") }.count
        #expect(frames == Self.count, "the tree shows \(frames) frames for \(Self.count) packets")
    }
}
