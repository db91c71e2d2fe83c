/// What a capture knows about a packet besides its bytes: Wireshark's "frame" layer.
public struct FrameInfo: Sendable {
    /// 1-based position in the capture (`frame.number`).
    public var number: Int
    public var seconds: Int
    public var microseconds: Int
    /// Length on the wire (`frame.len`); the captured length is the byte count.
    public var originalLength: Int

    public init(number: Int, seconds: Int, microseconds: Int, originalLength: Int) {
        self.number = number
        self.seconds = seconds
        self.microseconds = microseconds
        self.originalLength = originalLength
    }

    /// The frame layer as a tree layer, so tree and JSON output treat it like any other.
    public func layer(capturedLength: Int, describing: Bool = true) -> Layer {
        let all = 0..<capturedLength
        var fields = FieldList(capacity: 4)
        fields.add(Field("frame.time_epoch", "Epoch Time", .epochTime(seconds: seconds, microseconds: microseconds), note: "seconds", range: 0..<0,
                  explain: "When the packet was captured, in seconds since 1970-01-01 UTC."))
        fields.add(Field("frame.number", "Frame Number", .uint(UInt64(number)), range: 0..<0,
                  explain: "Position of this packet in the capture, from 1."))
        fields.add(Field("frame.len", "Frame Length", .uint(UInt64(originalLength)), note: "bytes", range: 0..<0,
                  explain: "Bytes the packet had on the wire."))
        fields.add(Field("frame.cap_len", "Capture Length", .uint(UInt64(capturedLength)), note: "bytes", range: 0..<0,
                  explain: "Bytes captured; fewer than the frame length when cut at the snapshot length."))
        guard describing else { return Layer("frame", title: "", range: all, payload: all, fields: fields) }
        var title = TextWriter(capacity: 96)
        writeTitle(capturedLength: capturedLength, into: &title)
        return Layer("frame", title: title.string, range: all, payload: all, fields: fields)
    }

    /// "Frame 1: 44 bytes on wire (352 bits), 44 bytes captured (352 bits)". The tree writes it
    /// straight out, a String fewer for every packet.
    public func writeTitle(capturedLength: Int, into w: inout TextWriter) {
        w.write("Frame ")
        w.write(decimal: number)
        w.write(": ")
        w.write(decimal: originalLength)
        w.write(" bytes on wire (")
        w.write(decimal: originalLength * 8)
        w.write(" bits), ")
        w.write(decimal: capturedLength)
        w.write(" bytes captured (")
        w.write(decimal: capturedLength * 8)
        w.write(" bits)")
    }
}
