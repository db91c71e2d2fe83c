import Synchronization
import Wire

/// Which way a stored packet went.
public enum Direction: Sendable {
    /// Read from the device: the kernel sent it towards tunscope's side of the link.
    case received
    /// Written into the device by tunscope (such packets never come back out, so they are
    /// recorded here when written).
    case sent
}

/// A packet as the store keeps it: its bytes once, plus what only the capture knows.
public struct StoredPacket: Sendable {
    /// 1-based, counting every packet ever stored, evicted ones included.
    public var number: Int
    public var packet: CapturedPacket
    public var direction: Direction
}

/// The bounded store between capture and everything that shows or writes packets. When full it
/// evicts the oldest packets (and counts them), so memory stays bounded under a flood. Capture
/// appends from its own thread; readers take what they need under a short lock.
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
        /// Packets ever appended (the next packet's number minus one).
        public var total: Int
        public var evicted: Int
        public var bytes: Int
    }

    private struct State {
        var ring: [StoredPacket?] = []
        var head = 0  // index in ring of the oldest packet
        var count = 0
        var total = 0
        var evicted = 0
        var bytes = 0
    }

    public let limits: Limits
    private let state = Mutex(State())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Stores a packet and returns its number.
    @discardableResult
    public func append(_ packet: CapturedPacket, direction: Direction = .received) -> Int {
        state.withLock { s in
            let size = packet.bytes.count
            while s.count > 0 && (s.count >= limits.packets || s.bytes + size > limits.bytes) {
                s.bytes -= s.ring[s.head]!.packet.bytes.count
                s.ring[s.head] = nil
                s.head = (s.head + 1) % s.ring.count
                s.count -= 1
                s.evicted += 1
            }
            s.total += 1
            let stored = StoredPacket(number: s.total, packet: packet, direction: direction)
            if s.count == s.ring.count {
                // Grow (only until the packet limit): unroll the ring so the oldest is first.
                var grown = [StoredPacket?]()
                grown.reserveCapacity(min(limits.packets, max(16, s.ring.count * 2)))
                for i in 0..<s.count { grown.append(s.ring[(s.head + i) % s.ring.count]) }
                grown.append(contentsOf: repeatElement(nil, count: grown.capacity - grown.count))
                s.ring = grown
                s.head = 0
            }
            s.ring[(s.head + s.count) % s.ring.count] = stored
            s.count += 1
            s.bytes += size
            return s.total
        }
    }

    public var counts: Counts {
        state.withLock { Counts(stored: $0.count, total: $0.total, evicted: $0.evicted, bytes: $0.bytes) }
    }

    /// The packet with this number, if it is still stored.
    public func packet(number: Int) -> StoredPacket? {
        state.withLock { s in
            let oldest = s.total - s.count + 1
            guard number >= oldest, number <= s.total else { return nil }
            return s.ring[(s.head + number - oldest) % s.ring.count]
        }
    }

    /// Stored packets with numbers in `range` (those still stored), oldest first.
    public func packets(numbered range: ClosedRange<Int>) -> [StoredPacket] {
        state.withLock { s in
            let oldest = s.total - s.count + 1
            let lo = max(range.lowerBound, oldest), hi = min(range.upperBound, s.total)
            guard lo <= hi else { return [] }
            return (lo...hi).map { s.ring[(s.head + $0 - oldest) % s.ring.count]! }
        }
    }

    /// Every stored packet, oldest first (for writing a capture file).
    public func all() -> [StoredPacket] {
        let c = counts
        guard c.stored > 0 else { return [] }
        return packets(numbered: (c.total - c.stored + 1)...c.total)
    }

    public func removeAll() {
        state.withLock { s in
            s.ring = []
            s.head = 0
            s.count = 0
            s.bytes = 0
        }
    }
}
