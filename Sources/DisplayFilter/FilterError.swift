/// Why a display filter was refused: what is wrong and where (byte offsets into the
/// expression), shown as tshark shows it, the expression with a caret under the place.
public struct FilterError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public var range: Range<Int>
    public var expression: String

    public init(_ message: String, at range: Range<Int>, in expression: String) {
        self.message = message
        self.range = range
        self.expression = expression
    }

    /// "tcp.flgs is neither a field nor a protocol name.", then the expression, then "^~~~~~~~".
    public var description: String {
        guard !expression.isEmpty else { return message }
        let start = min(range.lowerBound, expression.utf8.count)
        let caret = String(repeating: " ", count: start) + "^" + String(repeating: "~", count: max(0, range.count - 1))
        return "\(message)\n    \(expression)\n    \(caret)"
    }
}
