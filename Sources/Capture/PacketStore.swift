import Synchronization
import Wire

/// Which way a stored packet went.
public enum Direction: UInt8, Sendable {
    /// Read from the device: the kernel sent it towards tunscope's side of the link.
    case received
    /// Written into the device by tunscope (such packets never come back out, so they are
    /// recorded here when written).
    case sent
}

/// A packet as the store hands it out: its bytes, plus what only the capture knows.
public struct StoredPacket: Sendable {
    /// 1-based, counting every packet ever stored, evicted ones included.
    public var number: Int
    public var packet: CapturedPacket
    public var direction: Direction
}

/// The bounded store between capture and everything that shows or writes packets.
///
/// Each packet's bytes are copied once into large chunks, and a small fixed-size entry records
/// where they are: no allocation per packet, about 40 bytes of overhead each, so a million
/// packets fit in well under the memory tshark needs. When a limit is reached the oldest packets
/// are evicted (and counted), so memory stays bounded under a flood. Capture appends from its own
/// thread; readers copy out just the packets they need under a short lock.
public final class PacketStore: Sendable {
    public struct Limits: Sendable {
        public var packets: Int
        public var bytes: Int
        public init(packets: Int = 1_000_000, bytes: Int = 256 << 20) {
            self.packets = max(1, packets)
            self.bytes = max(1, bytes)
        }
    }

    public struct Counts: Sendable, Equatable {
        /// Packets stored now.
        public var stored: Int
        /// Packets ever appended (the newest packet's number).
        public var total: Int
        public var evicted: Int
        /// Bytes of packet data stored now.
        public var bytes: Int
    }

    /// Where one packet's bytes are, and what else is known about it.
    private struct Entry {
        var chunk: Int
        var offset: Int32
        var length: Int32
        var originalLength: Int32
        var microseconds: Int32
        var seconds: Int64
        var direction: Direction
    }

    private struct State {
        var entries: [Entry] = []  // a ring
        var head = 0  // index in entries of the oldest packet
        var count = 0
        var total = 0
        var evicted = 0
        var bytes = 0
        var chunks: [[UInt8]] = []
        var firstChunk = 0  // the id of chunks[0]
    }

    static let chunkSize = 1 << 20

    public let limits: Limits
    private let state = Mutex(State())
    /// The newest packet's number, readable without the lock: readers poll it to see whether
    /// there is anything new, and take the lock only to fetch what is (Linux mutexes are
    /// priority-inheriting futexes, slow when contended).
    private let newest = Atomic<Int>(0)

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Stores a packet and returns its number.
    @discardableResult
    public func append(_ packet: CapturedPacket, direction: Direction = .received) -> Int {
        append(contentsOf: [packet], direction: direction)
    }

    /// Stores packets under one lock (capture hands them over in batches); returns the last number.
    @discardableResult
    public func append(contentsOf packets: [CapturedPacket], direction: Direction = .received) -> Int {
        let number = state.withLock { s in
            for p in packets {
                p.bytes.withUnsafeBytes { bytes in
                    Self.append(bytes, seconds: p.seconds, microseconds: p.microseconds, originalLength: p.originalLength,
                                direction: direction, to: &s, limits: limits)
                }
            }
            return s.total
        }
        newest.store(number, ordering: .releasing)
        return number
    }

    /// A batch of packets gathered without allocating per packet: capture reads into it and
    /// hands it to the store in one call.
    /// Also what readers copy packets into (`copy(numbered:into:)`), so taking a packet out
    /// of the store costs a memcpy under the lock, not an allocation.
    public struct Batch {
        var bytes: [UInt8] = []
        var packets: [(offset: Int, length: Int, originalLength: Int, seconds: Int, microseconds: Int, direction: Direction)] = []
        /// The number of the first packet copied out by `copy(numbered:into:)`.
        public internal(set) var firstNumber = 0
        public init() {
            bytes.reserveCapacity(1 << 18)
            packets.reserveCapacity(512)
        }
        public var count: Int { packets.count }
        public var byteCount: Int { bytes.count }
        public mutating func add(_ data: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int? = nil,
                                 direction: Direction = .received) {
            packets.append((bytes.count, data.count, originalLength ?? data.count, seconds, microseconds, direction))
            bytes.append(contentsOf: data)
        }
        /// Which way each packet went, in order.
        public var directions: [Direction] { packets.map(\.direction) }
        /// Calls `body` with each packet's bytes, in order, without copying them.
        public func forEach(_ body: (_ bytes: UnsafeRawBufferPointer, _ seconds: Int, _ microseconds: Int, _ originalLength: Int) -> Void) {
            bytes.withUnsafeBytes { all in
                for p in packets {
                    body(UnsafeRawBufferPointer(rebasing: all[p.offset..<(p.offset + p.length)]), p.seconds, p.microseconds, p.originalLength)
                }
            }
        }
        public mutating func removeAll() {
            bytes.removeAll(keepingCapacity: true)
            packets.removeAll(keepingCapacity: true)
        }
    }

    /// Stores a batch under one lock; returns the newest number.
    @discardableResult
    public func append(_ batch: Batch) -> Int {
        guard batch.count > 0 else { return newestNumber }
        let number = state.withLock { s in
            batch.bytes.withUnsafeBytes { all in
                for p in batch.packets {
                    Self.append(UnsafeRawBufferPointer(rebasing: all[p.offset..<(p.offset + p.length)]), seconds: p.seconds,
                                microseconds: p.microseconds, originalLength: p.originalLength, direction: p.direction, to: &s,
                                limits: limits)
                }
            }
            return s.total
        }
        newest.store(number, ordering: .releasing)
        return number
    }

    private static func append(
        _ data: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int, direction: Direction,
        to s: inout State, limits: Limits
    ) {
        let size = data.count
        while s.count > 0 && (s.count >= limits.packets || s.bytes + size > limits.bytes) {
            evictOldest(&s)
        }
        // Bytes go at the end of the newest chunk, or in a new one when they do not fit.
        if s.chunks.isEmpty || s.chunks[s.chunks.count - 1].count + size > s.chunks[s.chunks.count - 1].capacity {
            var chunk = [UInt8]()
            chunk.reserveCapacity(max(chunkSize, size))
            s.chunks.append(chunk)
        }
        let last = s.chunks.count - 1
        let offset = s.chunks[last].count
        s.chunks[last].append(contentsOf: data)
        let entry = Entry(chunk: s.firstChunk + last, offset: Int32(offset), length: Int32(size),
                          originalLength: Int32(clamping: originalLength), microseconds: Int32(clamping: microseconds),
                          seconds: Int64(seconds), direction: direction)
        if s.count == s.entries.count {
            // Grow the ring (only until the packet limit), unrolled so the oldest comes first.
            let capacity = min(limits.packets, max(64, s.entries.count * 2))
            var grown = [Entry]()
            grown.reserveCapacity(capacity)
            for i in 0..<s.count { grown.append(s.entries[(s.head + i) % s.entries.count]) }
            grown.append(contentsOf: repeatElement(entry, count: capacity - grown.count))
            s.entries = grown
            s.head = 0
        }
        s.entries[(s.head + s.count) % s.entries.count] = entry
        s.count += 1
        s.total += 1
        s.bytes += size
    }

    private static func evictOldest(_ s: inout State) {
        let oldest = s.entries[s.head]
        s.bytes -= Int(oldest.length)
        s.head = (s.head + 1) % s.entries.count
        s.count -= 1
        s.evicted += 1
        // Free whole chunks once no stored packet is in them.
        let keepFrom = s.count > 0 ? s.entries[s.head].chunk : s.firstChunk + s.chunks.count
        let drop = min(keepFrom - s.firstChunk, s.chunks.count)
        if drop > 0 {
            s.chunks.removeFirst(drop)
            s.firstChunk += drop
        }
    }

    public var counts: Counts {
        state.withLock { Counts(stored: $0.count, total: $0.total, evicted: $0.evicted, bytes: $0.bytes) }
    }

    /// The newest packet's number (0 before the first), without taking the lock.
    public var newestNumber: Int { newest.load(ordering: .acquiring) }

    /// The packet with this number, if it is still stored.
    public func packet(number: Int) -> StoredPacket? {
        packets(numbered: number...number).first
    }

    /// Stored packets with numbers in `range` (those still stored), oldest first.
    public func packets(numbered range: ClosedRange<Int>) -> [StoredPacket] {
        state.withLock { s in
            let oldest = s.total - s.count + 1
            let lo = max(range.lowerBound, oldest), hi = min(range.upperBound, s.total)
            guard lo <= hi else { return [] }
            return (lo...hi).map { number in
                let e = s.entries[(s.head + number - oldest) % s.entries.count]
                let chunk = s.chunks[e.chunk - s.firstChunk]
                let bytes = Bytes(chunk[Int(e.offset)..<Int(e.offset + e.length)])
                return StoredPacket(number: number, packet: CapturedPacket(
                    bytes: bytes, seconds: Int(e.seconds), microseconds: Int(e.microseconds), originalLength: Int(e.originalLength)),
                    direction: e.direction)
            }
        }
    }

    /// Copies the stored packets numbered in `range` into `batch` (replacing what it held);
    /// `batch.firstNumber` is the first one's number (later than asked when older ones were evicted).
    public func copy(numbered range: ClosedRange<Int>, into batch: inout Batch) {
        batch.removeAll()
        state.withLock { s in
            let oldest = s.total - s.count + 1
            let lo = max(range.lowerBound, oldest), hi = min(range.upperBound, s.total)
            batch.firstNumber = lo
            guard lo <= hi else { return }
            for number in lo...hi {
                let e = s.entries[(s.head + number - oldest) % s.entries.count]
                s.chunks[e.chunk - s.firstChunk].withUnsafeBytes { chunk in
                    batch.add(UnsafeRawBufferPointer(rebasing: chunk[Int(e.offset)..<Int(e.offset + e.length)]),
                              seconds: Int(e.seconds), microseconds: Int(e.microseconds), originalLength: Int(e.originalLength),
                              direction: e.direction)
                }
            }
        }
    }

    /// Every stored packet, oldest first (for writing a capture file).
    public func all() -> [StoredPacket] {
        let c = counts
        guard c.stored > 0 else { return [] }
        return packets(numbered: (c.total - c.stored + 1)...c.total)
    }

    /// Forgets every stored packet (numbering goes on from where it was).
    public func removeAll() {
        state.withLock { s in
            s.firstChunk += s.chunks.count
            s.chunks = []
            s.entries = []
            s.head = 0
            s.count = 0
            s.bytes = 0
        }
    }
}
