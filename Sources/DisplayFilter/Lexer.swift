/// One word of a display filter, with where it is (byte offsets into the expression).
struct Token: Equatable {
    enum Kind: Equatable {
        /// An unquoted word: a field name, a number, an address, a byte string, a keyword.
        case word(String)
        /// A double-quoted string, escapes resolved (raw: r"…", backslashes kept).
        case string([UInt8])
        /// A character constant ('a', '\x0a'): a number.
        case character(UInt64)
        /// The text between `[` and `]` after a field: the slice's ranges.
        case slice(String)
        /// Punctuation and symbolic operators: "(", ")", "{", "}", ",", "..", "==", "&&", "!", "~", "&"…
        case symbol(String)
        case end
    }
    var kind: Kind
    var range: Range<Int>
}

/// Splits a display filter into tokens as Wireshark's scanner does: a run of the characters
/// that make names, numbers and addresses is one word, whatever it turns out to mean.
struct Lexer {
    private let text: [UInt8]
    private let expression: String
    private var i = 0

    init(_ expression: String) {
        self.expression = expression
        text = Array(expression.utf8)
    }

    static func tokens(_ expression: String) throws -> [Token] {
        var lexer = Lexer(expression)
        var out: [Token] = []
        while true {
            let t = try lexer.next()
            out.append(t)
            if t.kind == .end { return out }
        }
    }

    /// Longest first, so "===" is not read as "==" and "=".
    private static let symbols = ["===", "!==", "==", "!=", "<=", ">=", "&&", "||", "^^", "..", "<", ">", "!", "~", "&",
                                  "(", ")", "{", "}", ","]

    static func isWordByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private func error(_ message: String, _ range: Range<Int>) -> FilterError {
        FilterError(message, at: range, in: expression)
    }

    mutating func next() throws -> Token {
        while i < text.count, text[i] == 32 || text[i] == 9 || text[i] == 10 || text[i] == 13 { i += 1 }
        let start = i
        guard i < text.count else { return Token(kind: .end, range: i..<i) }
        let c = text[i]
        if c == UInt8(ascii: "\"") || (c == UInt8(ascii: "r") && i + 1 < text.count && text[i + 1] == UInt8(ascii: "\"")) {
            return try string(raw: c == UInt8(ascii: "r"))
        }
        if c == UInt8(ascii: "'") { return try character() }
        if c == UInt8(ascii: "[") {
            guard let close = text[i...].firstIndex(of: UInt8(ascii: "]")) else {
                throw error("Unexpected end of filter expression.", start..<text.count)
            }
            i = close + 1
            return Token(kind: .slice(String(decoding: text[(start + 1)..<close], as: UTF8.self)), range: start..<i)
        }
        // A word stops before "..", so a set's range "8000..8080" is three tokens.
        if Lexer.isWordByte(c) && !startsRange(at: i) {
            while i < text.count, Lexer.isWordByte(text[i]), !startsRange(at: i) { i += 1 }
            return Token(kind: .word(String(decoding: text[start..<i], as: UTF8.self)), range: start..<i)
        }
        for s in Lexer.symbols where text[i...].starts(with: s.utf8) {
            i += s.utf8.count
            return Token(kind: .symbol(s), range: start..<i)
        }
        let scalar = String(decoding: text[i...].prefix(1), as: UTF8.self)
        throw error("\"\(scalar)\" was unexpected in this context.", i..<(i + 1))
    }

    private func startsRange(at j: Int) -> Bool {
        j + 1 < text.count && text[j] == UInt8(ascii: ".") && text[j + 1] == UInt8(ascii: ".")
    }

    /// "…" with C escapes (\" \\ \n \t \xNN \NNN …), or r"…" whose backslashes stay.
    private mutating func string(raw: Bool) throws -> Token {
        let start = i
        i += raw ? 2 : 1
        var bytes: [UInt8] = []
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return Token(kind: .string(bytes), range: start..<i)
            }
            if c == UInt8(ascii: "\\") && i + 1 < text.count {
                if raw {
                    bytes.append(c)
                    bytes.append(text[i + 1])
                    i += 2
                    continue
                }
                i += 1
                bytes += try escape(from: start)
                continue
            }
            bytes.append(c)
            i += 1
        }
        throw error("The final quote was missing from a quoted string.", start..<text.count)
    }

    /// The escape after a backslash (`i` at the letter), as bytes; moves past it.
    private mutating func escape(from start: Int) throws -> [UInt8] {
        let c = text[i]
        i += 1
        switch c {
        case UInt8(ascii: "a"): return [7]
        case UInt8(ascii: "b"): return [8]
        case UInt8(ascii: "f"): return [12]
        case UInt8(ascii: "n"): return [10]
        case UInt8(ascii: "r"): return [13]
        case UInt8(ascii: "t"): return [9]
        case UInt8(ascii: "v"): return [11]
        case UInt8(ascii: "x"):
            let digits = text[i...].prefix(2).prefix { hexValue($0) != nil }
            guard !digits.isEmpty else { throw error("\\x has no hex digits after it.", (i - 2)..<i) }
            i += digits.count
            return [UInt8(digits.reduce(0) { $0 * 16 + Int(hexValue($1)!) })]
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            var value = Int(c - UInt8(ascii: "0"))
            var n = 1
            while n < 3, i < text.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(text[i]) {
                value = value * 8 + Int(text[i] - UInt8(ascii: "0"))
                i += 1
                n += 1
            }
            guard value <= 255 else { throw error("Octal escape out of range.", (i - n - 1)..<i) }
            return [UInt8(value)]
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = c == UInt8(ascii: "u") ? 4 : 8
            let digits = text[i...].prefix(count)
            guard digits.count == count, digits.allSatisfy({ hexValue($0) != nil }),
                  let scalar = Unicode.Scalar(UInt32(digits.reduce(0) { $0 * 16 + UInt32(hexValue($1)!) }))
            else { throw error("Invalid \\\(Character(Unicode.Scalar(c))) escape.", (i - 2)..<min(text.count, i + count)) }
            i += count
            return Array(String(Character(scalar)).utf8)
        default:
            return [c]  // \" \\ \' and any other character stand for themselves
        }
    }

    /// 'a', '\n', '\x41', '\101': the character's value, a number.
    private mutating func character() throws -> Token {
        let start = i
        i += 1
        var bytes: [UInt8] = []
        while i < text.count, text[i] != UInt8(ascii: "'") {
            if text[i] == UInt8(ascii: "\\") && i + 1 < text.count {
                i += 1
                bytes += try escape(from: start)
            } else {
                bytes.append(text[i])
                i += 1
            }
        }
        guard i < text.count else { throw error("The final quote was missing from a character constant.", start..<text.count) }
        i += 1
        guard bytes.count == 1 else {
            throw error("\(String(decoding: text[start..<i], as: UTF8.self)) is not a valid character constant.", start..<i)
        }
        return Token(kind: .character(UInt64(bytes[0])), range: start..<i)
    }
}

func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
