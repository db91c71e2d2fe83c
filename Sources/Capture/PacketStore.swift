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
/// where they are: no allocation per packet, 32 bytes of overhead each, so a million
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

    /// Where one packet's bytes are, and what else is known about it (32 bytes).
    private struct Entry {
        var seconds: Int64
        /// The chunk's id, compared with wrapping arithmetic (ids only grow).
        var chunk: UInt32
        var offset: Int32
        var length: Int32
        var originalLength: Int32
        var microseconds: Int32
        var direction: Direction
    }

    /// Packet bytes, back to back, in memory of the store's own (freed when evicted or with the store).
    private struct Chunk {
        let base: UnsafeMutableRawPointer
        let capacity: Int
        var used = 0
    }

    /// Entries live in fixed blocks, oldest first: storing a packet never moves the others (a
    /// growing ring would copy them all, under the lock, and touch twice the memory), and
    /// evicting frees a block once every entry in it is gone. The memory it points to is the
    /// store's own and touched only under the lock, hence `@unchecked`.
    private struct State: @unchecked Sendable {
        var blocks: [UnsafeMutablePointer<Entry>] = []
        var head = 0  // index in blocks[0] of the oldest packet
        var count = 0
        var total = 0
        var evicted = 0
        var bytes = 0
        var chunks: [Chunk] = []
        var firstChunk = 0  // the id of chunks[0]
        /// Memory `prepareSpace()` got ready for the packets to come.
        var spareChunks: [Chunk] = []
        var spareBlocks: [UnsafeMutablePointer<Entry>] = []

        /// The entry `i` places after the oldest.
        func entry(_ i: Int) -> UnsafeMutablePointer<Entry> {
            let j = head + i
            return blocks[j >> blockShift] + (j & (blockSize - 1))
        }
    }

    static let chunkSize = 1 << 20
    private static let blockShift = 12
    private static let blockSize = 1 << blockShift

    public let limits: Limits
    private let state = Mutex(State())
    /// The newest packet's number, readable without the lock: readers poll it to see whether
    /// there is anything new, and take the lock only to fetch what is (Linux mutexes are
    /// priority-inheriting futexes, slow when contended).
    private let newest = Atomic<Int>(0)

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    deinit {
        state.withLock { Self.free(&$0) }
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
    public struct Batch: Sendable {
        /// Room for packets; the first `byteCount` bytes hold them, back to back.
        var bytes: [UInt8] = []
        public internal(set) var byteCount = 0
        var packets: [(offset: Int, length: Int, originalLength: Int, seconds: Int, microseconds: Int, direction: Direction)] = []
        /// The number of the first packet copied out by `copy(numbered:into:)`.
        public internal(set) var firstNumber = 0
        public init() {
            packets.reserveCapacity(512)
        }
        public var count: Int { packets.count }
        public mutating func add(_ data: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int? = nil,
                                 direction: Direction = .received) {
            add(upTo: data.count, direction: direction) { space in
                if data.count > 0 { space.baseAddress!.copyMemory(from: data.baseAddress!, byteCount: data.count) }
                return (data.count, seconds, microseconds, originalLength ?? data.count)
            }
        }
        /// Lets `fill` write a packet of up to `maximum` bytes straight into the batch (capture's
        /// read(2) does, saving a copy). `fill` returns the packet's length, time and length on the
        /// wire, or nil to add nothing. Returns whether a packet was added.
        @discardableResult
        public mutating func add(
            upTo maximum: Int, direction: Direction = .received,
            _ fill: (UnsafeMutableRawBufferPointer) throws -> (length: Int, seconds: Int, microseconds: Int, originalLength: Int)?
        ) rethrows -> Bool {
            if bytes.count - byteCount < maximum {
                bytes.append(contentsOf: repeatElement(0, count: max(maximum - (bytes.count - byteCount), bytes.count)))
            }
            let start = byteCount
            let added = try bytes.withUnsafeMutableBytes { all in
                try fill(UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + maximum)]))
            }
            guard let added else { return false }
            precondition(added.length >= 0 && added.length <= maximum, "a packet longer than the room given for it")
            packets.append((start, added.length, added.originalLength, added.seconds, added.microseconds, direction))
            byteCount += added.length
            return true
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
        /// Calls `body` with the bytes, time and length on the wire of packet `i` of the batch.
        public func withPacket<R>(_ i: Int, _ body: (_ bytes: UnsafeRawBufferPointer, _ seconds: Int, _ microseconds: Int,
                                                     _ originalLength: Int) -> R) -> R {
            let p = packets[i]
            return bytes.withUnsafeBytes { all in
                body(UnsafeRawBufferPointer(rebasing: all[p.offset..<(p.offset + p.length)]), p.seconds, p.microseconds, p.originalLength)
            }
        }
        public mutating func removeAll() {
            byteCount = 0
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
        if s.chunks.isEmpty || s.chunks[s.chunks.count - 1].used + size > s.chunks[s.chunks.count - 1].capacity {
            if size <= chunkSize, let spare = s.spareChunks.popLast() {
                s.chunks.append(spare)
            } else {
                let capacity = max(chunkSize, size)
                s.chunks.append(Chunk(base: .allocate(byteCount: capacity, alignment: 16), capacity: capacity))
            }
        }
        let last = s.chunks.count - 1
        let offset = s.chunks[last].used
        if size > 0 { (s.chunks[last].base + offset).copyMemory(from: data.baseAddress!, byteCount: size) }
        s.chunks[last].used += size
        if s.head + s.count == s.blocks.count * blockSize {
            s.blocks.append(s.spareBlocks.popLast() ?? .allocate(capacity: blockSize))
        }
        s.entry(s.count).initialize(to: Entry(
            seconds: Int64(seconds), chunk: UInt32(truncatingIfNeeded: s.firstChunk + last), offset: Int32(offset),
            length: Int32(size), originalLength: Int32(clamping: originalLength), microseconds: Int32(clamping: microseconds),
            direction: direction))
        s.count += 1
        s.total += 1
        s.bytes += size
    }

    private static func evictOldest(_ s: inout State) {
        s.bytes -= Int(s.entry(0).pointee.length)
        s.head += 1
        s.count -= 1
        s.evicted += 1
        if s.head == blockSize {
            s.blocks.removeFirst().deallocate()
            s.head = 0
        }
        // Free whole chunks once no stored packet is in them.
        let keepFrom = s.count > 0 ? chunkIndex(s.entry(0).pointee, s) : s.chunks.count
        for chunk in s.chunks[..<keepFrom] { chunk.base.deallocate() }
        if keepFrom > 0 {
            s.chunks.removeFirst(keepFrom)
            s.firstChunk += keepFrom
        }
    }

    /// The index in `s.chunks` of the chunk holding `e`'s bytes.
    private static func chunkIndex(_ e: Entry, _ s: State) -> Int {
        Int(e.chunk &- UInt32(truncatingIfNeeded: s.firstChunk))
    }

    /// Gets memory ready for the packets to come, on the calling thread: a few chunks and entry
    /// blocks, written once so that the kernel has handed over their pages. Whoever reads the
    /// store calls this now and then; storing then takes them, and capture, racing the kernel's
    /// queue on a core of its own, does not stop for a page fault every 50 packets.
    public func prepareSpace() {
        let (chunks, blocks) = state.withLock { ($0.spareChunks.count, $0.spareBlocks.count) }
        guard chunks < Self.spareChunks || blocks < Self.spareBlocks else { return }
        let newChunks = (chunks..<Self.spareChunks).map { _ in
            let base = UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: Self.chunkSize)
            return Chunk(base: base, capacity: Self.chunkSize)
        }
        let newBlocks = (blocks..<Self.spareBlocks).map { _ in
            let block = UnsafeMutablePointer<Entry>.allocate(capacity: Self.blockSize)
            UnsafeMutableRawPointer(block).initializeMemory(as: UInt8.self, repeating: 0, count: Self.blockSize * MemoryLayout<Entry>.stride)
            return block
        }
        state.withLock {
            $0.spareChunks += newChunks
            $0.spareBlocks += newBlocks
        }
    }

    /// How much `prepareSpace()` keeps ready: about 30 ms of small packets at full speed.
    private static let spareChunks = 2
    private static let spareBlocks = 4

    private static func free(_ s: inout State) {
        for block in s.blocks + s.spareBlocks { block.deallocate() }
        for chunk in s.chunks + s.spareChunks { chunk.base.deallocate() }
        s.spareBlocks = []
        s.spareChunks = []
        s.firstChunk += s.chunks.count
        s.blocks = []
        s.chunks = []
        s.head = 0
        s.count = 0
        s.bytes = 0
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
                let e = s.entry(number - oldest).pointee
                let bytes = Bytes(UnsafeRawBufferPointer(start: s.chunks[Self.chunkIndex(e, s)].base + Int(e.offset), count: Int(e.length)))
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
                let e = s.entry(number - oldest).pointee
                batch.add(UnsafeRawBufferPointer(start: s.chunks[Self.chunkIndex(e, s)].base + Int(e.offset), count: Int(e.length)),
                          seconds: Int(e.seconds), microseconds: Int(e.microseconds), originalLength: Int(e.originalLength),
                          direction: e.direction)
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
        state.withLock { Self.free(&$0) }
    }
}
