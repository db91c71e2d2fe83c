/// A line typed for the wire, with C's escapes for what a keyboard cannot type: `\r`, `\n`, `\t`,
/// `\0`, `\\` and `\xNN` (two hex digits). Anything else after a backslash is an error, not a
/// guess, so what is sent is what was meant.
enum EscapedText {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    static func bytes(_ text: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            i += 1
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                continue
            }
            guard i < utf8.count else { throw Problem(description: "a lone \\ at the end: \\\\ sends a backslash") }
            let e = utf8[i]
            i += 1
            switch e {
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "0"): out.append(0)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "x"):
                guard i + 2 <= utf8.count, let high = hexValue(utf8[i]), let low = hexValue(utf8[i + 1]) else {
                    throw Problem(description: "\\x takes two hex digits, as \\x0d")
                }
                out.append(high << 4 | low)
                i += 2
            default:
                throw Problem(description: "\\\(Character(Unicode.Scalar(e))) is not an escape: \\r \\n \\t \\0 \\\\ \\xNN are")
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
