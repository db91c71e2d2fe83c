/// A parsed display filter, before names are looked up and values read against field types.
indirect enum Syntax: Equatable {
    case and(Syntax, Syntax)
    case or(Syntax, Syntax)
    case xor(Syntax, Syntax)
    case not(Syntax)
    /// A field or value alone (`tcp`, `tcp.flags & 0x02`): the field is there (and the bits set).
    case exists(Operand)
    case relation(Relation)
}

/// Wireshark's comparison operators, in its "any"/"all" terms: `==` is any_eq (some occurrence
/// equals), `!=` all_ne (none equals), `===` all_eq, `!==` any_ne.
enum Comparison: Equatable {
    case equal, notEqual, allEqual, anyNotEqual, less, lessOrEqual, greater, greaterOrEqual
    case contains, matches

    var symbol: String {
        switch self {
        case .equal: "=="
        case .notEqual: "!="
        case .allEqual: "==="
        case .anyNotEqual: "!=="
        case .less: "<"
        case .lessOrEqual: "<="
        case .greater: ">"
        case .greaterOrEqual: ">="
        case .contains: "contains"
        case .matches: "matches"
        }
    }
}

enum Quantifier: Equatable { case any, all }

struct Relation: Equatable {
    var quantifier: Quantifier?
    var left: Operand
    enum Right: Equatable {
        case operand(Comparison, Operand)
        /// `in {80, 443, 8000..8080}`: single values and inclusive ranges.
        case set([SetElement])
    }
    var right: Right
}

struct SetElement: Equatable {
    var low: Operand
    var high: Operand?
}

/// One side of a relation: an unquoted word (a name or a value, decided once names are looked
/// up), a quoted string, a character constant; perhaps sliced, perhaps masked with `&`.
struct Operand: Equatable {
    enum Kind: Equatable {
        case word(String)
        /// The bytes of a quoted string: escapes can make any byte, UTF-8 or not.
        case string([UInt8])
        case character(UInt64)
    }
    var kind: Kind
    var range: Range<Int>
    var slice: SliceSpec?
    /// `& mask`: the bitwise and of the operand with a value.
    var mask: Box?

    /// Lets an operand hold an operand (the mask) without an indirect enum.
    final class Box: Equatable {
        let operand: Operand
        init(_ operand: Operand) { self.operand = operand }
        static func == (a: Box, b: Box) -> Bool { a.operand == b.operand }
    }

    var text: String {
        switch kind {
        case let .word(w): w
        case let .string(s): "\"\(String(decoding: s, as: UTF8.self))\""
        case let .character(c): "'\(Character(Unicode.Scalar(UInt8(truncatingIfNeeded: c))))'"
        }
    }
}

/// `[i:j]`, `[i-j]`, `[i]`, `[:j]`, `[i:]`, joined with commas: byte ranges of a field's value.
struct SliceSpec: Equatable {
    struct Part: Equatable {
        /// From the start; negative from the end (-1 the last byte).
        var start: Int
        /// Bytes taken; nil to the end.
        var length: Int?
        /// `[i-j]`: an inclusive end offset rather than a length.
        var end: Int?
    }
    var parts: [Part]
    var range: Range<Int>

    /// The bytes the slice takes, or nil when a part reaches outside the value (no match).
    func apply(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        let count = bytes.count
        for p in parts {
            var from = p.start < 0 ? count + p.start : p.start
            var to: Int
            if let end = p.end {
                let e = end < 0 ? count + end : end
                to = e + 1
            } else if let length = p.length {
                to = from + length
            } else {
                to = count
            }
            if from < 0 { from = 0 }
            guard from <= to, to <= count, from < count || from == to else { return nil }
            if from == to && p.length != 0 { return nil }
            out += bytes[(bytes.startIndex + from)..<(bytes.startIndex + to)]
        }
        return out
    }
}
