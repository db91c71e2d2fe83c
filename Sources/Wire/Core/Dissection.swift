#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a field's value reads in the tree (`tshark -V`) and in JSON.
public enum FieldValue: Sendable, Equatable {
    /// A heading with children and no value of its own ("Options").
    case none
    case uint(UInt64)
    case int(Int64)
    case bool(Bool)
    case ipv4(IPv4Address)
    case ipv6(IPv6Address)
    case mac(MACAddress)
    /// Raw bytes of the packet, shown as hex; the range is the field's own.
    case bytes
    /// Text (a DNS name): a literal, or a string its layer keeps.
    case text(FieldText)
    /// Seconds since 1970 with six decimals (1700000000.000122): a number in JSON.
    case epochTime(seconds: Int, microseconds: Int)
    /// One letter per bit, highest first, the letter where the bit is set and "·" where it is
    /// clear (Wireshark's `tcp.flags.str`), as text.
    case bitLetters(UInt64, letters: StaticString)
    /// A number in JSON that the tree shows as text: tshark's "Root Delay: 0.012299 seconds",
    /// whose JSON value is the raw 806.
    case uintShown(UInt64, shown: FieldText)
    /// Bytes in JSON (the field's range) that the tree shows as text: tshark's `ip.fragments`,
    /// whose JSON value is the reassembled datagram and whose tree line lists the fragments.
    case bytesShown(shown: FieldText)
    /// Text in JSON that the tree shows otherwise: tshark's "Reference ID: 192.0.2.9", whose
    /// JSON value is "c0:00:02:09".
    case textShown(FieldText, shown: FieldText)
    /// A time difference, in nanoseconds, shown with nine decimals ("0.000500000"): Wireshark's
    /// relative times (`tcp.time_delta`, `tcp.analysis.ack_rtt`). A number in JSON.
    case seconds(nanoseconds: Int64)
    /// A field that is there or not and has no value (Wireshark's FT_NONE items such as
    /// `tcp.analysis.retransmission`): JSON writes it as "", the tree shows its label alone.
    case present

    public static func == (a: FieldValue, b: FieldValue) -> Bool {
        switch (a, b) {
        case (.none, .none), (.bytes, .bytes): return true
        case let (.uint(x), .uint(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case let (.ipv4(x), .ipv4(y)): return x == y
        case let (.ipv6(x), .ipv6(y)): return x == y
        case let (.mac(x), .mac(y)): return x == y
        case let (.text(x), .text(y)): return x == y
        case let (.epochTime(s, u), .epochTime(t, v)): return s == t && u == v
        case let (.bitLetters(x, l), .bitLetters(y, m)): return x == y && l.description == m.description
        case let (.uintShown(x, s), .uintShown(y, t)): return x == y && s == t
        case let (.bytesShown(s), .bytesShown(t)): return s == t
        case let (.textShown(x, s), .textShown(y, t)): return x == y && s == t
        case let (.seconds(x), .seconds(y)): return x == y
        case (.present, .present): return true
        default: return false
        }
    }
}

/// How an unsigned value is printed: Wireshark's BASE_DEC, BASE_HEX with a width, and so on.
public enum ValueBase: Sendable, Equatable {
    case decimal
    case hex(digits: UInt8)
}

/// Wireshark's checksum status values (`ip.checksum.status`): 0 bad, 1 good, 2 unverified.
public enum ChecksumStatus: UInt64, Sendable {
    case bad = 0
    case good = 1
    case unverified = 2
}

/// Text the tree shows: a literal from the source, or a string made for this packet ("bytes
/// (5)") that the field's layer keeps (`FieldList.text(_:)` makes one). Either way it is plain
/// data, and so is a field: a packet's fields are stored, copied and freed without counting
/// references, which is most of what decoding costs otherwise.
public enum FieldText: Sendable, Equatable, ExpressibleByStringLiteral {
    case literal(StaticString)
    /// The index of a string in the layer's `strings`.
    case string(Int32)

    public init(stringLiteral s: StaticString) { self = .literal(s) }

    public static func == (a: FieldText, b: FieldText) -> Bool {
        switch (a, b) {
        case let (.literal(x), .literal(y)): return x.withUTF8Buffer { x in y.withUTF8Buffer { x.elementsEqual($0) } }
        case let (.string(x), .string(y)): return x == y
        default: return false
        }
    }
}

/// One decoded field: where its bytes are, its Wireshark display-filter name, what a person
/// calls it, its value, and a one-line explanation of what it is for.
///
/// A layer keeps its fields in one flat array in tree order, each with its `level`, rather than
/// as nested arrays, and a field is plain data (see `FieldText`): decoding a packet allocates an
/// array per layer and nothing per field.
public struct Field: Sendable {
    // Declared in this order so the small members fill the padding after `name`.
    public var name: StaticString
    /// Depth in its layer's tree: 0 for the layer's own fields, 1 for their children, and so on.
    public var level: UInt8 = 0
    /// Made by tunscope rather than read from the bytes (Wireshark's generated items, which
    /// tshark's tree shows in brackets: "[Stream index: 0]").
    public var generated = false
    public var base: ValueBase
    /// For a bit field, which bits of its bytes it is (0: a whole-byte field). The tree shows
    /// them as tshark does ("0100 .... = Version: 4").
    public var mask: UInt32
    public var label: FieldText
    public var value: FieldValue
    /// Text shown after the value in the tree, e.g. "(SYN)" or "bytes" ("Header Length: 20 bytes").
    public var note: FieldText?
    public var range: Range<Int>
    public var explanation: FieldText

    public init(
        _ name: StaticString, _ label: FieldText, _ value: FieldValue, base: ValueBase = .decimal, note: FieldText? = nil,
        mask: UInt32 = 0, range: Range<Int>, explain: FieldText, generated: Bool = false
    ) {
        self.name = name
        self.generated = generated
        self.label = label
        self.value = value
        self.base = base
        self.note = note
        self.mask = mask
        self.range = range
        self.explanation = explain
    }

    /// False for a heading without a value of its own ("Options").
    public var hasValue: Bool {
        if case .none = value { return false }
        return true
    }

    /// A field Wireshark keeps out of the tree but prints in JSON (`ip.version` in IPv6's
    /// layer, `http.request.line`): one whose label is empty.
    public var isHidden: Bool {
        if case let .literal(s) = label { return s.utf8CodeUnitCount == 0 }
        return false
    }

    /// Whether this is the field named `name`, comparing the bytes (cheap: for code that looks
    /// at every field of every packet).
    @inline(__always)
    public func hasName(_ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard self.name.utf8CodeUnitCount == count else { return false }
        let a = UnsafeRawPointer(self.name.utf8Start), b = UnsafeRawPointer(name.utf8Start)
        guard count >= 8 else { return memcmp(a, b, count) == 0 }
        // Words from both ends first: names of one length mostly differ there.
        guard a.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self),
              a.loadUnaligned(as: UInt64.self) == b.loadUnaligned(as: UInt64.self)
        else { return false }
        return count <= 16 || memcmp(a, b, count) == 0
    }

    /// Whether this is the field with display-filter name `name`.
    public func isNamed(_ name: String) -> Bool {
        self.name.withUTF8Buffer { $0.elementsEqual(name.utf8) }
    }

    /// Whether any of its texts (or its value) is a string its layer keeps.
    var namesAString: Bool {
        func names(_ t: FieldText?) -> Bool {
            if case .string = t { return true }
            return false
        }
        if case let .text(t) = value, names(t) { return true }
        if case let .uintShown(_, t) = value, names(t) { return true }
        if case let .textShown(t, u) = value, names(t) || names(u) { return true }
        return names(label) || names(note) || names(explanation)
    }
}

/// Builds a layer's flat field list: `add` appends at the current depth, and `add(_:children:)`
/// appends a field and then, one level deeper, whatever the closure adds. `text(_:)` keeps a
/// string made for this packet and gives the `FieldText` for it.
public struct FieldList: Sendable {
    public internal(set) var fields: [Field] = []
    public internal(set) var strings: [String] = []
    private var level: UInt8 = 0

    public init(capacity: Int = 16) { fields.reserveCapacity(capacity) }

    public mutating func add(_ field: Field) {
        fields.append(field)
        fields[fields.count - 1].level = level
    }

    public mutating func add(_ field: Field, children: (inout FieldList) -> Void) {
        add(field)
        level += 1
        children(&self)
        level -= 1
    }

    /// Appends fields whose texts are all literals (made without a list) below the current depth.
    public mutating func add(contentsOf fields: [Field]) {
        for var f in fields {
            assert(!f.namesAString, "a field whose text another list keeps")
            f.level += level
            self.fields.append(f)
        }
    }

    /// Keeps `string` for the layer and names it.
    public mutating func text(_ string: String) -> FieldText {
        strings.append(string)
        return .string(Int32(strings.count - 1))
    }

    public var isEmpty: Bool { fields.isEmpty }
}

/// A field's texts as the tree shows them, for whoever reads one field rather than the tree.
public struct FieldStrings: Sendable, Equatable {
    public var label: String
    public var note: String?
    public var explanation: String
    /// A text value ("www.example.test"); nil for other values.
    public var text: String?
}

/// One protocol layer: its own bytes and its payload's (gopacket's Contents/Payload), so the hex
/// pane can mark a layer, its fields in tree order (see `Field.level`) and the strings they name.
public struct Layer: Sendable {
    /// Wireshark's protocol name: "ip", "tcp", "icmpv6", "dns", "eth".
    public var name: String
    /// The tree heading, as tshark words it ("Internet Protocol Version 4, Src: …, Dst: …").
    public var title: String
    public var range: Range<Int>
    public var payload: Range<Int>
    public var fields: [Field]
    /// The strings the fields' `.string` texts name.
    public var strings: [String]

    public init(_ name: String, title: String, range: Range<Int>, payload: Range<Int>? = nil, fields: FieldList = FieldList()) {
        self.name = name
        self.title = title
        self.range = range
        self.payload = payload ?? range.upperBound..<range.upperBound
        self.fields = fields.fields
        self.strings = fields.strings
    }

    /// A layer whose fields are all top-level (no children) and whose texts are literals.
    public init(_ name: String, title: String, range: Range<Int>, payload: Range<Int>? = nil, fields: [Field]) {
        var list = FieldList()
        for f in fields { list.add(f) }
        self.init(name, title: title, range: range, payload: payload, fields: list)
    }

    public func string(_ text: FieldText) -> String {
        switch text {
        case let .literal(s): return s.description
        case let .string(i): return strings[Int(i)]
        }
    }

    func write(_ text: FieldText, into w: inout TextWriter) {
        switch text {
        case let .literal(s): w.write(s)
        case let .string(i): w.write(strings[Int(i)])
        }
    }

    /// A field's texts, read through this layer.
    public func strings(of f: Field) -> FieldStrings {
        var text: String?
        if case let .text(t) = f.value { text = string(t) }
        if case let .textShown(t, _) = f.value { text = string(t) }
        return FieldStrings(label: string(f.label), note: f.note.map { string($0) }, explanation: string(f.explanation), text: text)
    }

    /// The fields one level below `fields[index]`.
    public func children(of index: Int) -> [Field] {
        let level = fields[index].level
        var children: [Field] = []
        for f in fields[(index + 1)...] {
            if f.level <= level { break }
            if f.level == level + 1 { children.append(f) }
        }
        return children
    }
}


/// A whole decoded packet: the layers that decoded, in order, and what went wrong after them.
/// A partial decode is a result, not a failure: the layers before the problem are kept.
public struct Dissection: Sendable {
    public var layers: [Layer] = []
    /// Why decoding stopped early ("TCP header says 60 bytes, 12 left"); nil when it did not.
    public var malformed: Malformed?
    /// The capture kept only the first bytes of the packet (a snapshot length), so decoding
    /// stopped where they end: not the packet's fault (Wireshark's "Packet size limited").
    public var cutByCapture = false
    /// Whether layer titles and the notes made per packet are wanted. JSON reads only names
    /// and values, so it decodes without them, which saves a string per title and note.
    public let describes: Bool
    /// When this packet completed a fragmented datagram: the frame's bytes followed by the
    /// datagram's (Wireshark's second data source, "Reassembled IPv4"). The layers dissected
    /// from the datagram, and the fields that show it, have ranges from the frame's end on, into
    /// these bytes; nil when every range is in the frame. See `bytes(frame:)`.
    public internal(set) var reassembledSource: Bytes?
    /// The datagram handed to `Dissector.dissect` for this packet, until the IP layer takes it.
    var pendingReassembly: ReassembledDatagram?

    public init(describing: Bool = true) {
        describes = describing
        layers.reserveCapacity(4)  // most packets have 2 to 4 layers: one allocation, not three
    }

    /// Appends a layer; its title is made only when the dissection describes.
    mutating func add(_ name: String, title: @autoclosure () -> String, range: Range<Int>, payload: Range<Int>? = nil,
                      fields: FieldList = FieldList()) {
        layers.append(Layer(name, title: describes ? title() : "", range: range, payload: payload, fields: fields))
    }

    /// Appends bytes tunscope decodes no further, as Wireshark's "data" layer (`data.data`, `data.len`).
    mutating func addData(_ range: Range<Int>, title: StaticString = "Data", explain: FieldText) {
        var fields = FieldList(capacity: 2)
        fields.add(Field("data.data", .literal(title), .bytes, range: range, explain: explain))
        fields.add(Field("data.len", "Length", .uint(UInt64(range.count)), range: range, explain: "How many bytes there are."))
        add("data", title: "\(title) (\(range.count) bytes)", range: range, fields: fields)
    }

    mutating func add(_ name: String, title: @autoclosure () -> String, range: Range<Int>, payload: Range<Int>? = nil,
                      fields: [Field]) {
        layers.append(Layer(name, title: describes ? title() : "", range: range, payload: payload, fields: fields))
    }

    /// The bytes the fields' ranges index: the frame's, or with a reassembled datagram after them.
    public func bytes(frame: Bytes) -> Bytes { reassembledSource ?? frame }

    /// Takes the reassembled datagram for the IP layer that shows it, and makes the bytes it is
    /// dissected from: the frame's followed by the datagram's. Nil when there is none (or it was taken).
    mutating func takeReassembly(frame: Bytes) -> (datagram: ReassembledDatagram, bytes: Bytes)? {
        guard let r = pendingReassembly else { return nil }
        pendingReassembly = nil
        let joined = frame + r.payload
        reassembledSource = joined
        return (r, joined)
    }

    public struct Malformed: Sendable, Equatable {
        public var message: String
        /// The bytes the complaint is about (may be empty at the end of the packet).
        public var range: Range<Int>
        public init(_ message: String, range: Range<Int>) {
            self.message = message
            self.range = range
        }
    }

    public mutating func fail(_ message: String, at range: Range<Int>) {
        if malformed == nil { malformed = Malformed(message, range: range) }
    }

    /// The first field with this display-filter name, in tree order.
    public func field(_ name: String) -> Field? {
        for layer in layers {
            if let f = layer.fields.first(where: { $0.isNamed(name) }) { return f }
        }
        return nil
    }

    /// The texts of the first field with this display-filter name.
    public func strings(of name: String) -> FieldStrings? {
        for layer in layers {
            if let f = layer.fields.first(where: { $0.isNamed(name) }) { return layer.strings(of: f) }
        }
        return nil
    }

    /// The fields one level below the first field named `name` (empty when there is none).
    public func children(of name: String) -> [Field] {
        for layer in layers {
            if let i = layer.fields.firstIndex(where: { $0.isNamed(name) }) { return layer.children(of: i) }
        }
        return []
    }

    public func layer(_ name: String) -> Layer? { layers.first { $0.name == name } }
}
