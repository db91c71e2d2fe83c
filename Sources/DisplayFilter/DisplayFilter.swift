import Wire

/// A Wireshark display filter (`man wireshark-filter`), compiled once and evaluated against
/// each packet's dissection: `tcp.flags.syn == 1 && !tcp.flags.ack`, `ip.addr == 10.0.0.0/8`,
/// `dns.qry.name contains "example"`. Names are checked against `FieldRegistry`; values are
/// read as their fields' types, so a mistake is an error before any packet is read.
public struct DisplayFilter: @unchecked Sendable {
    public let expression: String
    let plan: Plan
    /// Every field and protocol name the filter reads, so a caller can leave out work whose
    /// fields it never reads (stream analysis, the frame layer).
    public let names: Set<String>
    /// Whether the filter reads the frame layer (`frame.len`, `frame contains`), which a caller
    /// then puts first in the dissection it gives (`FrameInfo.layer`).
    public var readsFrame: Bool { names.contains { $0 == "frame" || $0.hasPrefix("frame.") } }
    /// Whether every name is one `PlainHeaders` reads, so a plain packet needs no dissection.
    let readsPlainHeaders: Bool

    public init(_ expression: String) throws(FilterError) {
        self.expression = expression
        do {
            var compiler = Compiler(expression: expression)
            // An empty filter keeps everything, as tshark's -Y "" does.
            plan = expression.allSatisfy(\.isWhitespace) ? .everything : try compiler.compile(try Parser.parse(expression))
            names = compiler.names
            readsPlainHeaders = compiler.names.allSatisfy { PlainHeaders.Name(rawValue: $0) != nil }
        } catch let e as FilterError {
            throw e
        } catch {
            throw FilterError("\(error)", at: 0..<expression.utf8.count, in: expression)
        }
    }

    /// Whether the packet passes. The dissection should hold the frame layer (`frame.number`,
    /// `frame.len`) and any analysis fields the filter may name; `bytes` are the ones its
    /// ranges index (`Dissection.bytes(frame:)`).
    public func matches(_ d: Dissection, bytes: Bytes) -> Bool {
        plan.matches(DissectedFields(dissection: d, bytes: d.bytes(frame: bytes)))
    }

    /// Whether the packet passes, read from its bytes as BPF would when the filter reads only
    /// header fields and the packet is plain (`PlainHeaders`); otherwise from `dissection`,
    /// made only then, which should be as `matches(_:bytes:)` takes it.
    public func matches(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, wireLength: Int,
                        dissection: () -> (Dissection, Bytes)) -> Bool {
        if readsPlainHeaders, let headers = PlainHeaders(bytes, linkType: linkType, wireLength: wireLength) {
            return plan.matches(headers)
        }
        let (d, packet) = dissection()
        return matches(d, bytes: packet)
    }
}

/// Turns syntax into a plan: looks each name up, reads each value as its field's type, and
/// refuses what tshark refuses, with its words where it has them.
struct Compiler {
    let expression: String
    private(set) var names: Set<String> = []

    func error(_ message: String, _ range: Range<Int>) -> FilterError {
        FilterError(message, at: range, in: expression)
    }

    mutating func compile(_ s: Syntax) throws -> Plan {
        switch s {
        case let .and(a, b): return .and(try compile(a), try compile(b))
        case let .or(a, b): return .or(try compile(a), try compile(b))
        case let .xor(a, b): return .xor(try compile(a), try compile(b))
        case let .not(a): return .not(try compile(a))
        case let .exists(o): return .exists(try field(o, required: true)!)
        case let .relation(r): return try relation(r)
        }
    }

    /// The field an operand names, nil when it names none (a value) unless `required`.
    mutating func field(_ o: Operand, required: Bool) throws -> FieldReference? {
        guard case let .word(name) = o.kind, let type = FieldRegistry.type(of: name) else {
            guard required else { return nil }
            if case let .word(w) = o.kind, w.contains(where: { $0.isLetter }) {
                let nameRange = o.range.lowerBound..<(o.range.lowerBound + w.utf8.count)
                throw error("\(w) is neither a field nor a protocol name.\(suggestion(for: w))", nameRange)
            }
            throw error("\(o.text) is not a field or protocol: a value cannot stand alone.", o.range)
        }
        let f = FieldReference(name: name, type: type)
        names.insert(name)
        if let slice = o.slice {
            switch type {
            case .bytes, .ether, .string, .protocol, .none, .ipv4, .ipv6: f.slice = slice
            default: throw error("\"\(name)\" (type=\(typeName(type))) cannot be sliced.", o.range)
            }
        }
        if let mask = o.mask?.operand {
            switch f.comparedType {
            case .unsigned, .signed, .boolean:
                guard case let .value(.unsigned(m)) = try constant(mask, for: .unsigned(bytes: 8), field: name) else {
                    throw error("\(mask.text) is not a valid bit mask.", mask.range)
                }
                f.mask = .unsigned(m)
            case .bytes:
                guard case let .value(.bytes(m)) = try constant(mask, for: .bytes, field: name) else {
                    throw error("\(mask.text) is not a valid byte mask.", mask.range)
                }
                f.mask = .bytes(m)
            default:
                throw error("\(name) (type=\(typeName(type))) cannot participate in bitwise and.", o.range)
            }
        }
        return f
    }

    mutating func relation(_ r: Relation) throws -> Plan {
        let left = try field(r.left, required: true)!
        let type = left.comparedType
        switch r.right {
        case let .set(elements):
            try comparable(left, .equal, r.left.range)
            let members = try elements.map { e in
                (low: try constant(e.low, for: type, field: left.name), high: try e.high.map { try constant($0, for: type, field: left.name) })
            }
            // Numbers only (the usual case): ranges of integers, no constants to order per packet.
            let ranges = members.compactMap { m -> ClosedRange<UInt64>? in
                guard case let .value(.unsigned(low)) = m.low else { return nil }
                guard let high = m.high else { return low...low }
                guard case let .value(.unsigned(h)) = high else { return nil }
                return low <= h ? low...h : nil
            }
            var unsignedField = false
            if case .unsigned = type, left.mask == nil { unsignedField = true }
            let test: Plan.Test = unsignedField && ranges.count == members.count ? .unsignedMember(ranges) : .member(members)
            return .compare(left, test, all: r.quantifier == .all)
        case let .operand(op, right):
            try comparable(left, op, r.left.range)
            let all = r.quantifier.map { $0 == .all } ?? (op == .notEqual || op == .allEqual)
            switch op {
            case .contains:
                guard case let .value(v) = try constant(right, for: type == .string ? .string : .bytes, field: left.name),
                      let needle = v.byteContents else { throw error("\(right.text) cannot be searched for.", right.range) }
                return .compare(left, .contains(needle), all: all)
            case .matches:
                guard case let .string(pattern) = right.kind else {
                    throw error("A regular expression must be a double-quoted string, not \(right.text).", right.range)
                }
                do {
                    return .compare(left, .matches(try PCRERegex(pattern)), all: all)
                } catch {
                    throw self.error("\"\(String(decoding: pattern, as: UTF8.self))\" is not a valid regular expression: \(error.message) (at offset \(error.offset)).", right.range)
                }
            default:
                if right.slice == nil, right.mask == nil, let other = try field(right, required: false) {
                    guard compatible(type, other.comparedType) else {
                        throw error("\(left.name) and \(other.name) are not of compatible types.", right.range)
                    }
                    return .compare(left, .field(op, other), all: all)
                }
                return .compare(left, .order(op, try constant(right, for: type, field: left.name)), all: all)
            }
        }
    }

    /// tshark refuses comparisons a type has no meaning for: `contains` on a number,
    /// `matches` on a boolean, anything but presence on a label.
    func comparable(_ f: FieldReference, _ op: Comparison, _ range: Range<Int>) throws {
        let type = f.comparedType
        let ok: Bool
        switch op {
        case .contains: ok = [.bytes, .string, .protocol, .ether].contains(type)
        case .matches: ok = [.bytes, .string, .protocol].contains(type)
        default: ok = type != .none && (type != .protocol || op == .equal || op == .notEqual || op == .allEqual || op == .anyNotEqual)
        }
        guard ok else {
            let nameRange = range.lowerBound..<(range.lowerBound + f.name.utf8.count)
            throw error("\(f.name) (type=\(typeName(f.type))) cannot participate in '\(op.symbol)' comparison.", nameRange)
        }
    }

    func compatible(_ a: FieldType, _ b: FieldType) -> Bool {
        func family(_ t: FieldType) -> Int {
            switch t {
            case .unsigned, .signed, .boolean: 0
            case .bytes, .ether, .protocol, .none, .string: 1
            case .ipv4: 2
            case .ipv6: 3
            case .absoluteTime, .relativeTime: 4
            }
        }
        return family(a) == family(b)
    }

    /// Reads a value as `type`, as Wireshark writes values of it.
    func constant(_ o: Operand, for type: FieldType, field name: String) throws -> Constant {
        if o.slice != nil || o.mask != nil { throw error("\(o.text) is not a value.", o.range) }
        switch o.kind {
        case let .character(c):
            switch type {
            case .unsigned, .signed, .boolean: return .value(.unsigned(c))
            case .bytes, .ether, .protocol, .none: return .value(.bytes([UInt8(truncatingIfNeeded: c)]))
            default: throw error("\(typeName(type)) cannot be converted from a character constant.", o.range)
            }
        case let .string(s):
            switch type {
            case .string, .bytes, .protocol, .none: return .value(.bytes(s))
            default: throw error("\(typeName(type)) cannot be converted from a string (\"\(String(decoding: s, as: UTF8.self))\").", o.range)
            }
        case let .word(w):
            return try word(w, o.range, for: type, field: name)
        }
    }

    private func word(_ w: String, _ range: Range<Int>, for type: FieldType, field name: String) throws -> Constant {
        switch type {
        case let .unsigned(width):
            guard let n = integer(w) else { throw error("\"\(w)\" is not a valid number.", range) }
            if case let .unsigned(x) = n, (width < 8), (x > (UInt64(1) << (8 * width)) - 1) {
                throw error("\"\(w)\" too big for this field, maximum \((UInt64(1) << (8 * width)) - 1).", range)
            }
            return .value(n)
        case .signed:
            guard let n = integer(w) else { throw error("\"\(w)\" is not a valid number.", range) }
            return .value(n)
        case .boolean:
            switch w {
            case "True", "TRUE": return .value(.unsigned(1))
            case "False", "FALSE": return .value(.unsigned(0))
            default:
                guard let n = integer(w) else { throw error("\"\(w)\" cannot be found among the possible values for \(name).", range) }
                if case let .unsigned(x) = n { return .value(.unsigned(x == 0 ? 0 : 1)) }
                return .value(.unsigned(1))
            }
        case .ipv4:
            let (address, bits) = cidr(w)
            guard let a = IPv4Address(String(address)) else { throw error("\"\(w)\" is not a valid hostname or IPv4 address.", range) }
            guard let bits else { return .value(.ipv4(a.value)) }
            guard let b = Int(bits), b >= 0 else { throw error("\"\(w)\" is not a valid hostname or IPv4 address.", range) }
            guard b <= 32 else { throw error("Netmask bits in a CIDR IPv4 address should be <= 32, not \(b)", range) }
            return .ipv4Block(a.value, mask: b == 0 ? 0 : ~UInt32(0) << (32 - b))
        case .ipv6:
            let (address, bits) = cidr(w)
            guard let a = IPv6Address(String(address)) else { throw error("\"\(w)\" is not a valid hostname or IPv6 address.", range) }
            guard let bits else { return .value(.ipv6(a.high, a.low)) }
            guard let b = Int(bits), b >= 0 else { throw error("\"\(w)\" is not a valid hostname or IPv6 address.", range) }
            guard b <= 128 else { throw error("Prefix in a CIDR IPv6 address should be <= 128, not \(b)", range) }
            return .ipv6Block(a.high, a.low, bits: b)
        case .ether:
            guard let b = byteString(w) else { throw error("\"\(w)\" is not a valid Ethernet address.", range) }
            guard b.count >= 6 else { throw error("\"\(w)\" contains too few bytes to be a valid Ethernet address.", range) }
            guard b.count == 6 else { throw error("\"\(w)\" contains too many bytes to be a valid Ethernet address.", range) }
            return .value(.bytes(b))
        case .bytes, .protocol, .none:
            if let b = byteString(w) { return .value(.bytes(b)) }
            // A hex number of one byte reads as that byte (`frame[4] == 0xff`).
            if w.hasPrefix("0x"), case let .unsigned(x)? = integer(w), x <= 0xff { return .value(.bytes([UInt8(x)])) }
            throw error("\"\(w)\" is not a valid byte string.", range)
        case .string:
            return .value(.bytes(Array(w.utf8)))  // an unquoted word, as Wireshark still allows
        case .relativeTime:
            guard let ns = seconds(w) else { throw error("\"\(w)\" is not a valid time offset.", range) }
            return .value(.time(nanoseconds: ns))
        case .absoluteTime:
            throw error("tunscope does not compare absolute times yet: write frame.time_epoch as a number of seconds.", range)
        }
    }

    /// "10.0.0.0/8" → ("10.0.0.0", "8").
    private func cidr(_ w: String) -> (Substring, Substring?) {
        guard let slash = w.firstIndex(of: "/") else { return (w[...], nil) }
        return (w[..<slash], w[w.index(after: slash)...])
    }
}

/// Decimal, 0x hex, 0b binary or 0-led octal, perhaps negative: Wireshark's integer literals.
func integer(_ w: String) -> Value? {
    var s = Substring(w)
    let negative = s.first == "-"
    if negative { s = s.dropFirst() }
    var radix = 10
    if s.hasPrefix("0x") || s.hasPrefix("0X") {
        radix = 16
        s = s.dropFirst(2)
    } else if s.hasPrefix("0b") || s.hasPrefix("0B") {
        radix = 2
        s = s.dropFirst(2)
    } else if s.count > 1 && s.hasPrefix("0") {
        radix = 8
        s = s.dropFirst()
    }
    guard !s.isEmpty, let magnitude = UInt64(s, radix: radix) else { return nil }
    if !negative { return .unsigned(magnitude) }
    guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
    return .signed(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
}

/// "aa:bb:cc", "aa-bb-cc", "aa.bb.cc", or one byte "7a": hex pairs with one kind of separator.
func byteString(_ w: String) -> [UInt8]? {
    let chars = Array(w.utf8)
    if chars.count == 2, let h = hexValue(chars[0]), let l = hexValue(chars[1]) { return [h << 4 | l] }
    guard let separator = chars.first(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else {
        return nil
    }
    var out: [UInt8] = []
    for part in chars.split(separator: separator, omittingEmptySubsequences: false) {
        let p = Array(part)
        switch p.count {
        case 1:
            guard let v = hexValue(p[0]) else { return nil }
            out.append(v)
        case 2:
            guard let h = hexValue(p[0]), let l = hexValue(p[1]) else { return nil }
            out.append(h << 4 | l)
        default: return nil
        }
    }
    return out
}

/// "1.5", "0.000500", "2" seconds as nanoseconds.
func seconds(_ w: String) -> Int64? {
    let parts = w.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count <= 2, let whole = Int64(parts[0].isEmpty ? "0" : parts[0]) else { return nil }
    // Past Int64's nanoseconds (292 years) no time offset is meant: not a valid one.
    let (wholeNanoseconds, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
    guard !overflow else { return nil }
    var ns = wholeNanoseconds
    if parts.count == 2 {
        let digits = parts[1].prefix(9)
        guard digits.allSatisfy({ $0.isNumber }), let frac = Int64(digits.isEmpty ? "0" : digits) else { return nil }
        var scaled = frac
        for _ in digits.count..<9 { scaled *= 10 }
        let (sum, overflow) = ns.addingReportingOverflow(whole < 0 ? -scaled : scaled)
        guard !overflow else { return nil }
        ns = sum
    }
    return ns
}

/// tshark's words for a type, in its messages.
func typeName(_ t: FieldType) -> String {
    switch t {
    case let .unsigned(bytes): "Unsigned integer (\(bytes) byte\(bytes == 1 ? "" : "s"))"
    case .signed: "Signed integer (4 bytes)"
    case .boolean: "Boolean"
    case .ipv4: "IPv4 address"
    case .ipv6: "IPv6 address"
    case .ether: "Ethernet or other MAC address"
    case .bytes: "Byte sequence"
    case .string: "Character string"
    case .absoluteTime: "Date and time"
    case .relativeTime: "Time offset"
    case .none: "Label"
    case .protocol: "Protocol"
    }
}

/// " Did you mean tcp.flags?" when a known name is close (a typo or two away), else "".
func suggestion(for name: String) -> String {
    let limit = max(2, name.count / 4)
    let typed = Array(name.utf8)
    var best: (name: String, distance: Int)?
    var rows = EditDistanceRows()
    for candidate in FieldRegistry.allNames where abs(candidate.utf8.count - typed.count) <= limit {
        guard let d = rows.distance(typed, candidate, atMost: best.map { min(limit, $0.distance) } ?? limit) else { continue }
        if best == nil || d < best!.distance || (d == best!.distance && candidate < best!.name) { best = (candidate, d) }
    }
    return best.map { " Did you mean \($0.name)?" } ?? ""
}

/// Levenshtein distance over UTF-8 bytes, in two rows kept from call to call (the suggestion
/// compares a name with every registered one, on every key typed at the screen's `/`).
struct EditDistanceRows {
    private var previous: [Int] = [], current: [Int] = []

    /// The distance, or nil once it must exceed `limit` (every entry of a row above it).
    mutating func distance(_ x: [UInt8], _ b: String, atMost limit: Int) -> Int? {
        let y = Array(b.utf8)
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) <= limit ? max(x.count, y.count) : nil }
        previous.removeAll(keepingCapacity: true)
        previous.append(contentsOf: 0...y.count)
        current = previous
        for i in 1...x.count {
            current[0] = i
            var rowMinimum = i
            for j in 1...y.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                rowMinimum = Swift.min(rowMinimum, current[j])
            }
            if rowMinimum > limit { return nil }
            swap(&previous, &current)
        }
        return previous[y.count] <= limit ? previous[y.count] : nil
    }
}
