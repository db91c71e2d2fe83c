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
    case text(String)
}

/// How an unsigned value is printed: Wireshark's BASE_DEC, BASE_HEX with a width, and so on.
public enum ValueBase: Sendable, Equatable {
    case decimal
    case hex(digits: Int)
}

/// Wireshark's checksum status values (`ip.checksum.status`): 0 bad, 1 good, 2 unverified.
public enum ChecksumStatus: UInt64, Sendable {
    case bad = 0
    case good = 1
    case unverified = 2
}

/// One decoded field: where its bytes are, its Wireshark display-filter name, what a person
/// calls it, its value, and a one-line explanation of what it is for.
public struct Field: Sendable {
    public var name: String
    public var label: String
    public var value: FieldValue
    public var base: ValueBase
    /// Text shown after the value in the tree, e.g. "(SYN)" or "bytes" ("Header Length: 20 bytes").
    public var note: String?
    /// For a bit field, which bits of its bytes it is (0: a whole-byte field). The tree shows
    /// them as tshark does ("0100 .... = Version: 4").
    public var mask: UInt64
    public var range: Range<Int>
    public var explanation: String
    public var children: [Field]

    public init(
        _ name: String, _ label: String, _ value: FieldValue, base: ValueBase = .decimal, note: String? = nil,
        mask: UInt64 = 0, range: Range<Int>, explain: String, children: [Field] = []
    ) {
        self.name = name
        self.label = label
        self.value = value
        self.base = base
        self.note = note
        self.mask = mask
        self.range = range
        self.explanation = explain
        self.children = children
    }
}

/// One protocol layer: its own bytes and its payload's (gopacket's Contents/Payload), so the hex
/// pane can mark a layer, and its fields in packet order.
public struct Layer: Sendable {
    /// Wireshark's protocol name: "ip", "tcp", "icmpv6", "dns", "eth".
    public var name: String
    /// The tree heading, as tshark words it ("Internet Protocol Version 4, Src: …, Dst: …").
    public var title: String
    public var range: Range<Int>
    public var payload: Range<Int>
    public var fields: [Field]

    public init(_ name: String, title: String, range: Range<Int>, payload: Range<Int>? = nil, fields: [Field] = []) {
        self.name = name
        self.title = title
        self.range = range
        self.payload = payload ?? range.upperBound..<range.upperBound
        self.fields = fields
    }
}

extension Layer {
    /// Bytes tunscope decodes no further, as Wireshark's "data" layer (`data.data`, `data.len`).
    public static func data(_ range: Range<Int>, title: String = "Data", explain: String) -> Layer {
        Layer("data", title: "\(title) (\(range.count) bytes)", range: range, fields: [
            Field("data.data", title, .bytes, range: range, explain: explain),
            Field("data.len", "Length", .uint(UInt64(range.count)), range: range, explain: "How many bytes there are."),
        ])
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

    public init() {}

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

    /// The first field with this display-filter name, searched depth first.
    public func field(_ name: String) -> Field? {
        func find(_ fields: [Field]) -> Field? {
            for f in fields {
                if f.name == name { return f }
                if let c = find(f.children) { return c }
            }
            return nil
        }
        for layer in layers {
            if let f = find(layer.fields) { return f }
        }
        return nil
    }

    public func layer(_ name: String) -> Layer? { layers.first { $0.name == name } }
}
