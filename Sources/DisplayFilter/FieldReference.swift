import Wire

/// A field or protocol a filter reads, resolved once (a class: a plan shares it, never copies
/// it per packet): the names to look for (two for an
/// either-end name such as `ip.addr`), its type, and the slice or mask applied to each value.
final class FieldReference: @unchecked Sendable {  // changed only while compiling, then shared
    let name: String
    let type: FieldType
    let isProtocol: Bool
    /// The names as UTF-8, compared with a field's StaticString name without making a String.
    private let names: [[UInt8]]
    var slice: SliceSpec?
    /// `& mask`: a number for numeric fields, bytes of the slice's length for a slice.
    var mask: Value?
    /// The field as `PlainHeaders` reads it, when it can.
    let plain: PlainHeaders.Name?

    init(name: String, type: FieldType) {
        self.name = name
        self.type = type
        isProtocol = FieldRegistry.protocols.contains(name)
        names = (FieldRegistry.eitherEnd[name] ?? [name]).map { Array($0.utf8) }
        plain = PlainHeaders.Name(rawValue: name)
    }

    /// Calls `body` with each occurrence's value as `PlainHeaders` reads it.
    func forEach(in headers: PlainHeaders, _ body: (Value) -> Bool) {
        guard let plain else { return }
        headers.forEach(plain) { visit($0, body) }
    }

    /// The type a comparison sees: a slice is bytes whatever it was cut from.
    var comparedType: FieldType { slice == nil ? type : .bytes }

    /// Calls `body` with each occurrence's value in tree order until it returns false.
    func forEach(in d: Dissection, bytes: Bytes, _ body: (Value) -> Bool) {
        if isProtocol && name == "_ws.malformed" {
            if let m = d.malformed { _ = visit(.bytes(Value.bytes(bytes, m.range)), body) }
            return
        }
        for layer in d.layers {
            if isProtocol {
                guard layer.name.utf8.elementsEqual(names[0]) else { continue }
                // A protocol's bytes are its header and the payload it carries, as Wireshark's item spans.
                let span = layer.range.lowerBound..<max(layer.range.upperBound, layer.payload.upperBound)
                if !visit(.bytes(Value.bytes(bytes, span)), body) { return }
                continue
            }
            for f in layer.fields where matches(f) {
                guard let v = Value(f, in: layer, bytes: bytes) else { continue }
                if !visit(v, body) { return }
            }
        }
    }

    /// Applies the slice and mask; a slice outside the value is no occurrence at all.
    func visit(_ value: Value, _ body: (Value) -> Bool) -> Bool {
        var v = value
        if let slice {
            guard let contents = v.byteContents, let cut = slice.apply(contents[...]) else { return true }
            v = .bytes(cut)
        }
        if let mask {
            switch (v, mask) {
            case let (.unsigned(x), .unsigned(m)): v = .unsigned(x & m)
            case let (.signed(x), .unsigned(m)): v = .signed(x & Int64(bitPattern: m))
            case let (.bytes(x), .bytes(m)):
                guard x.count == m.count else { return true }
                v = .bytes(zip(x, m).map { $0 & $1 })
            default: return true
            }
        }
        return body(v)
    }

    private func matches(_ f: Field) -> Bool {
        let count = f.name.utf8CodeUnitCount
        for n in names where n.count == count {
            if n.withUnsafeBytes({ memcmp($0.baseAddress!, f.name.utf8Start, count) }) == 0 { return true }
        }
        return false
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
