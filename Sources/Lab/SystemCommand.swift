import Foundation

/// A failure of a system tool, with what it said.
public struct LabError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs system tools (ip, iptables, sysctl) and reports their output. Every namespace, address,
/// route and rule tunscope makes goes through here, so a dry run can print exactly what would run.
public enum SystemCommand {
    /// Runs `argv` (looked up in the usual sbin/bin folders) and returns its standard output;
    /// throws with its standard error when it exits non-zero.
    @discardableResult
    public static func run(_ argv: [String]) throws -> String {
        let (status, out, err) = try runStatus(argv)
        guard status == 0 else {
            let said = err.trimmingCharacters(in: .whitespacesAndNewlines)
            throw LabError("'\(argv.joined(separator: " "))' failed: \(said.isEmpty ? "exit status \(status)" : said)")
        }
        return out
    }

    /// Runs `argv`; true when it exits 0 (for checks such as `iptables -C`).
    public static func succeeds(_ argv: [String]) -> Bool {
        (try? runStatus(argv).0) == 0
    }

    public static func runStatus(_ argv: [String]) throws -> (Int32, String, String) {
        guard let path = locate(argv[0]) else {
            throw LabError("\(argv[0]) is not installed (Debian: apt-get install \(package(for: argv[0])))")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = Array(argv.dropFirst())
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    public static func locate(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return tool }
        for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    private static func package(for tool: String) -> String {
        switch tool {
        case "ip": return "iproute2"
        case "iptables": return "iptables"
        case "sysctl": return "procps"
        default: return tool
        }
    }

    /// The command as a shell line, quoted where needed.
    public static func shellLine(_ argv: [String]) -> String {
        argv.map { arg in
            arg.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=,+%@".contains($0) }) && !arg.isEmpty
                ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
