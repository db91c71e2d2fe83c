import Wire

/// Where a plan reads fields: a packet's dissection, or the headers of a plain packet.
protocol FieldSource {
    /// Calls `body` with each occurrence's value in tree order until it returns false.
    func forEach(_ field: FieldReference, _ body: (Value) -> Bool)
}

struct DissectedFields: FieldSource {
    let dissection: Dissection
    let bytes: Bytes
    func forEach(_ field: FieldReference, _ body: (Value) -> Bool) { field.forEach(in: dissection, bytes: bytes, body) }
}

extension PlainHeaders: FieldSource {
    func forEach(_ field: FieldReference, _ body: (Value) -> Bool) { field.forEach(in: self, body) }
}

/// A compiled display filter: names looked up, values read against their fields' types and
/// regular expressions compiled, so evaluating it on a packet only reads the dissection.
indirect enum Plan {
    case everything
    case and(Plan, Plan)
    case or(Plan, Plan)
    case xor(Plan, Plan)
    case not(Plan)
    /// The field occurs; masked, with some bit set.
    case exists(FieldReference)
    case compare(FieldReference, Test, all: Bool)

    /// What each occurrence of the left field is checked for.
    enum Test {
        case order(Comparison, Constant)
        /// Equal to (or, with `negated`, different from every) value of another field.
        case field(Comparison, FieldReference)
        case member([(low: Constant, high: Constant?)])
        /// A set of unsigned numbers and ranges (`tcp.port in {80, 443, 8000..8080}`), compared as integers.
        case unsignedMember([ClosedRange<UInt64>])
        case contains([UInt8])
        case matches(PCRERegex)
    }

    func matches<Source: FieldSource>(_ source: Source) -> Bool {
        switch self {
        case .everything: return true
        case let .and(a, b): return a.matches(source) && b.matches(source)
        case let .or(a, b): return a.matches(source) || b.matches(source)
        case let .xor(a, b): return a.matches(source) != b.matches(source)
        case let .not(a): return !a.matches(source)
        case let .exists(field):
            var found = false
            source.forEach(field) { v in
                if field.mask != nil {
                    switch v {
                    case let .unsigned(x): found = x != 0
                    case let .signed(x): found = x != 0
                    case let .bytes(b): found = b.contains { $0 != 0 }
                    default: found = false
                    }
                } else {
                    found = true
                }
                return !found
            }
            return found
        case let .compare(field, test, all):
            // "any": some occurrence passes; "all": there is one and every one passes.
            var seen = false, result = all
            let others = test.otherValues(source)
            source.forEach(field) { v in
                seen = true
                let pass = test.passes(v, others: others)
                if all && !pass { result = false; return false }
                if !all && pass { result = true; return false }
                return true
            }
            return seen && result
        }
    }
}

extension Plan.Test {
    /// The right field's values, read once per packet for a field-to-field comparison.
    func otherValues<Source: FieldSource>(_ source: Source) -> [Value] {
        guard case let .field(_, other) = self else { return [] }
        var values: [Value] = []
        source.forEach(other) { values.append($0); return true }
        return values
    }

    func passes(_ v: Value, others: [Value]) -> Bool {
        switch self {
        case let .order(op, c):
            guard let o = ordering(v, c) else { return op == .notEqual || op == .anyNotEqual }
            return op.holds(o)
        case let .field(op, _):
            // Not equal: differs from every value of the other field; otherwise some pair holds.
            if op == .notEqual || op == .anyNotEqual { return !others.contains { ordering(v, $0) == 0 } }
            return others.contains { ordering(v, $0).map(op.holds) ?? false }
        case let .unsignedMember(ranges):
            guard case let .unsigned(x) = v else { return false }
            return ranges.contains { $0.contains(x) }
        case let .member(elements):
            return elements.contains { e in
                guard let low = ordering(v, e.low) else { return false }
                guard let high = e.high else { return low == 0 }
                return low >= 0 && (ordering(v, high).map { $0 <= 0 } ?? false)
            }
        case let .contains(needle):
            guard let hay = v.byteContents else { return false }
            return needle.isEmpty || hay.count >= needle.count && (0...(hay.count - needle.count)).contains { i in
                hay[i..<(i + needle.count)].elementsEqual(needle)
            }
        case let .matches(regex):
            guard let subject = v.byteContents else { return false }
            return regex.matches(subject)
        }
    }
}

extension Comparison {
    /// Whether an ordering (-1, 0, 1) satisfies this comparison.
    func holds(_ o: Int) -> Bool {
        switch self {
        case .equal, .allEqual: o == 0
        case .notEqual, .anyNotEqual: o != 0
        case .less: o < 0
        case .lessOrEqual: o <= 0
        case .greater: o > 0
        case .greaterOrEqual: o >= 0
        case .contains, .matches: false
        }
    }
}
