/// Reads a display filter's tokens into `Syntax` by recursive descent. Precedence, lowest
/// first: or (`||`), xor (`^^`), and (`&&`), not (`!`); then a relation.
struct Parser {
    private let tokens: [Token]
    private let expression: String
    private var at = 0

    init(_ expression: String) throws {
        self.expression = expression
        tokens = try Lexer.tokens(expression)
    }

    static func parse(_ expression: String) throws -> Syntax {
        var p = try Parser(expression)
        if p.peek.kind == .end { throw FilterError("The filter is empty.", at: 0..<0, in: expression) }
        let syntax = try p.orTerm()
        guard p.peek.kind == .end else { throw p.unexpected(p.peek) }
        return syntax
    }

    private var peek: Token { tokens[at] }

    private mutating func take() -> Token {
        defer { at += 1 }
        return tokens[at]
    }

    private func error(_ message: String, _ range: Range<Int>) -> FilterError {
        FilterError(message, at: range, in: expression)
    }

    /// tshark's words for a token out of place.
    private func unexpected(_ t: Token) -> FilterError {
        switch t.kind {
        case .end: return error("Unexpected end of filter expression.", t.range)
        case let .word(w): return error("\"\(w)\" was unexpected in this context.", t.range)
        case let .symbol(s): return error("\"\(s)\" was unexpected in this context.", t.range)
        case .string, .character, .slice:
            return error("\"\(String(expression.utf8.dropFirst(t.range.lowerBound).prefix(t.range.count))!)\" was unexpected in this context.", t.range)
        }
    }

    /// Whether the next token is one of these keywords or symbols (keywords in any case: "AND").
    private func isOperator(_ names: Set<String>) -> Bool {
        switch peek.kind {
        case let .word(w): return names.contains(w.lowercased())
        case let .symbol(s): return names.contains(s)
        default: return false
        }
    }

    private mutating func orTerm() throws -> Syntax {
        var left = try xorTerm()
        while isOperator(["or", "||"]) {
            _ = take()
            left = .or(left, try xorTerm())
        }
        return left
    }

    private mutating func xorTerm() throws -> Syntax {
        var left = try andTerm()
        while isOperator(["xor", "^^"]) {
            _ = take()
            left = .xor(left, try andTerm())
        }
        return left
    }

    private mutating func andTerm() throws -> Syntax {
        var left = try unary()
        while isOperator(["and", "&&"]) {
            _ = take()
            left = .and(left, try unary())
        }
        return left
    }

    private mutating func unary() throws -> Syntax {
        if isOperator(["not", "!"]) {
            _ = take()
            return .not(try unary())
        }
        if peek.kind == .symbol("(") {
            let open = take()
            let inner = try orTerm()
            guard peek.kind == .symbol(")") else {
                if peek.kind == .end { throw error("Unexpected end of filter expression.", open.range) }
                throw unexpected(peek)
            }
            _ = take()
            return inner
        }
        return try relation()
    }

    private static let comparisons: [String: Comparison] = [
        "==": .equal, "eq": .equal, "any_eq": .equal, "!=": .notEqual, "ne": .notEqual, "all_ne": .notEqual,
        "===": .allEqual, "all_eq": .allEqual, "!==": .anyNotEqual, "any_ne": .anyNotEqual,
        "<": .less, "lt": .less, "<=": .lessOrEqual, "le": .lessOrEqual, ">": .greater, "gt": .greater,
        ">=": .greaterOrEqual, "ge": .greaterOrEqual, "contains": .contains, "matches": .matches, "~": .matches,
    ]

    private mutating func relation() throws -> Syntax {
        var quantifier: Quantifier?
        if case let .word(w) = peek.kind, w == "any" || w == "all", case .word = tokens[at + 1].kind {
            quantifier = w == "any" ? .any : .all
            _ = take()
        }
        let left = try operand()
        let op: Comparison?
        switch peek.kind {
        case let .word(w): op = Parser.comparisons[w.lowercased()]
        case let .symbol(s): op = Parser.comparisons[s]
        default: op = nil
        }
        if let op {
            _ = take()
            let right = try operand()
            return .relation(Relation(quantifier: quantifier, left: left, right: .operand(op, right)))
        }
        if isOperator(["in"]) {
            _ = take()
            return .relation(Relation(quantifier: quantifier, left: left, right: .set(try set())))
        }
        if let quantifier {
            throw error("\(quantifier == .any ? "any" : "all") needs a comparison after its field.", left.range)
        }
        return .exists(left)
    }

    /// `{a, b..c}`: at least one element, commas between.
    private mutating func set() throws -> [SetElement] {
        guard peek.kind == .symbol("{") else { throw unexpected(peek) }
        _ = take()
        var elements: [SetElement] = []
        while true {
            let low = try operand(allowMask: false)
            var high: Operand?
            if peek.kind == .symbol("..") {
                _ = take()
                high = try operand(allowMask: false)
            }
            elements.append(SetElement(low: low, high: high))
            if peek.kind == .symbol(",") {
                _ = take()
                continue
            }
            if peek.kind == .symbol("}") {
                _ = take()
                return elements
            }
            throw unexpected(peek)
        }
    }

    private mutating func operand(allowMask: Bool = true) throws -> Operand {
        let t = take()
        var o: Operand
        switch t.kind {
        case let .word(w): o = Operand(kind: .word(w), range: t.range)
        case let .string(s): o = Operand(kind: .string(s), range: t.range)
        case let .character(c): o = Operand(kind: .character(c), range: t.range)
        default:
            at -= 1
            throw unexpected(t)
        }
        if case let .slice(text) = peek.kind {
            let s = take()
            o.slice = try slice(text, range: s.range)
            o.range = o.range.lowerBound..<s.range.upperBound
        }
        if allowMask && isOperator(["&", "bitwise_and"]) {
            _ = take()
            o.mask = Operand.Box(try operand(allowMask: false))
        }
        return o
    }

    /// "0:3", "1-2", "4", ":3", "-4:", "1,3-5,9:".
    private func slice(_ text: String, range: Range<Int>) throws -> SliceSpec {
        var parts: [SliceSpec.Part] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let s = piece.trimmingCharacters(in: " ")
            func number(_ t: Substring) -> Int? { t.isEmpty ? nil : Int(t) }
            if let colon = s.firstIndex(of: ":") {
                let a = s[..<colon], b = s[s.index(after: colon)...]
                guard a.isEmpty || number(a) != nil, b.isEmpty || (number(b).map { $0 >= 0 } ?? false) else { break }
                parts.append(.init(start: number(a) ?? 0, length: number(b)))
            } else if let dash = s.dropFirst().firstIndex(of: "-") {
                guard let a = number(s[..<dash]), let b = number(s[s.index(after: dash)...]) else { break }
                parts.append(.init(start: a, end: b))
            } else if let a = number(s[...]) {
                parts.append(.init(start: a, length: 1))
            } else {
                break
            }
        }
        guard parts.count == text.split(separator: ",", omittingEmptySubsequences: false).count else {
            throw error("\"[\(text)]\" is not a valid slice.", range)
        }
        return SliceSpec(parts: parts, range: range)
    }
}

extension String {
    func trimmingCharacters(in c: Character) -> Substring {
        var s = Substring(self)
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return s
    }
}

extension Substring {
    func trimmingCharacters(in c: Character) -> Substring {
        var s = self
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return s
    }
}
