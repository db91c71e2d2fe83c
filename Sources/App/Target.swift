import Probe
import Wire

/// What to send to, as people write it: HOST:PORT, [IPv6]:PORT, or HOST (a ping's).
public struct Target: Sendable, Equatable {
    public var host: String
    public var port: UInt16?

    /// Reads `text`; the error says what is wrong with it in one line.
    public static func parse(_ text: String, needsPort: Bool) throws(TargetError) -> Target {
        var host = text, portText: Substring?
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { portText = rest.dropFirst() } else if !rest.isEmpty {
                throw TargetError("'\(text)': write [IPv6]:PORT")
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        var port: UInt16?
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw TargetError("'\(text)': the port must be a number from 1 to 65535")
            }
            port = UInt16(p)
        } else if needsPort && IPAddress(host) != nil {
            throw TargetError("'\(text)': give the port too, as HOST:PORT (or [IPv6]:PORT)")
        }
        if !needsPort && port != nil { throw TargetError("'\(text)': a ping target has no port") }
        return Target(host: host, port: port)
    }

    /// The Host header of an HTTP request to it.
    public static func hostHeader(_ address: IPAddress, port: UInt16) -> String {
        port == 80 ? (address.isIPv6 ? "[\(address)]" : "\(address)") : endpoint(address, port)
    }
}

public struct TargetError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
