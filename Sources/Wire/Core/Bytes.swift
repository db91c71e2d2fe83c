/// Packet bytes as stored and dissected. One packet is one array; views index into it.
public typealias Bytes = [UInt8]

/// Big-endian reads. Callers check the length first (a header's fixed part, or a length field
/// already validated against what is left), so these never see an index past the end on bad input.
extension Array where Element == UInt8 {
    @inline(__always) public func be16(_ i: Int) -> UInt16 {
        UInt16(self[i]) << 8 | UInt16(self[i + 1])
    }

    @inline(__always) public func be32(_ i: Int) -> UInt32 {
        UInt32(self[i]) << 24 | UInt32(self[i + 1]) << 16 | UInt32(self[i + 2]) << 8 | UInt32(self[i + 3])
    }

    @inline(__always) public func be48(_ i: Int) -> UInt64 {
        UInt64(be16(i)) << 32 | UInt64(be32(i + 2))
    }

    @inline(__always) public func be64(_ i: Int) -> UInt64 {
        UInt64(be32(i)) << 32 | UInt64(be32(i + 4))
    }

    @inline(__always) public mutating func setBE16(_ i: Int, _ v: UInt16) {
        self[i] = UInt8(v >> 8)
        self[i + 1] = UInt8(v & 0xff)
    }

    @inline(__always) public mutating func setBE32(_ i: Int, _ v: UInt32) {
        self[i] = UInt8(v >> 24)
        self[i + 1] = UInt8((v >> 16) & 0xff)
        self[i + 2] = UInt8((v >> 8) & 0xff)
        self[i + 3] = UInt8(v & 0xff)
    }
}
