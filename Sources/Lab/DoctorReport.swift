/// What `tunscope doctor` found: one finding a line, each `ok`, a `fix` with the command that
/// makes it right, a `note` that needs nothing, or `?` where doctor could not look.
public struct DoctorReport: Sendable, Equatable {
    public var findings: [Finding]

    public struct Finding: Sendable, Equatable {
        public enum Status: String, Sendable {
            case ok, fix, note
            case unknown = "?"
        }

        public var status: Status
        public var text: String
        /// Commands to type, one a line, under the finding.
        public var commands: [String]

        public init(_ status: Status, _ text: String, commands: [String] = []) {
            self.status = status
            self.text = text
            self.commands = commands
        }
    }

    public init(findings: [Finding]) { self.findings = findings }

    /// Everything the exercise needs is there: nothing to fix and nothing doctor could not read.
    public var isHealthy: Bool { !findings.contains { $0.status == .fix || $0.status == .unknown } }

    /// The finding a one-line status bar shows: the first thing to fix, nil when there is none.
    /// What doctor could not read (the firewall, without root) is left to `tunscope doctor`.
    public var headline: String? {
        findings.first { $0.status == .fix }?.text
    }

    /// The report as doctor prints it: the status in a column of its own, commands indented under it.
    public var text: String {
        var lines: [String] = []
        for finding in findings {
            let label = finding.status.rawValue
            lines.append(label + String(repeating: " ", count: max(1, 6 - label.count)) + finding.text)
            lines += finding.commands.map { "      " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
