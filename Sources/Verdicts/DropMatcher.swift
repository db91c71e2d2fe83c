#if canImport(Glibc)
import Glibc
#endif
/// Ties the kernel's drops to the captured packets they belong to, by the packets' bytes
/// (`PacketKey`): a hash look-up per drop and per packet, in bounded tables.
///
/// A drop usually reaches tunscope just after its packet was captured, but the two come by
/// different roads, so either may be first: drops wait (`add`) until the packets captured up to
/// their time were offered (`verdict(for:)`); those no packet took are handed out by `expired`,
/// with the number of an earlier packet of the same bytes when there was one (a segment dropped
/// a while after it arrived), else as a drop of a packet tunscope did not capture.
public struct DropMatcher {
    private struct Waiting {
        var serial: Int
        var drop: DropEvent
    }

    /// Drops not yet tied to a packet, by key, oldest first; `order` holds them in arrival order.
    private var waiting: [PacketKey: [Waiting]] = [:]
    private var order: [(serial: Int, key: PacketKey?)] = []
    private var orderStart = 0
    private var nextSerial = 0
    private var waitingCount = 0
    /// Drops with no IP header to key (none copied, or not IP): they match nothing.
    private var unkeyed: [Int: DropEvent] = [:]

    /// The keys of the most recent packets offered, and their numbers, in a ring.
    private var recent: [PacketKey: Int] = [:]
    private var recentRing: [(key: PacketKey, number: Int)?]
    private var recentNext = 0

    /// At most this many drops wait: past it the oldest is given up on (as unmatched).
    public let waitingLimit: Int

    /// How long a packet waits for its drop before it is shown (printed, or its row settled):
    /// a drop and its packet reach tunscope by different roads, the drop usually just after.
    public static let hold: Int64 = 50_000

    /// Microseconds since the epoch, the clock packets and drops are stamped with.
    public static func wallClock() -> Int64 {
        var t = timeval()
        gettimeofday(&t, nil)
        return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_usec)
    }

    public init(recentPackets: Int = 131_072, waitingLimit: Int = 65_536) {
        recentRing = Array(repeating: nil, count: max(1, recentPackets))
        self.waitingLimit = waitingLimit
    }

    public var waitingDrops: Int { waitingCount }

    /// Takes drops in; returns those pushed out because too many were waiting.
    public mutating func add(_ drops: [DropEvent]) -> [(drop: DropEvent, packet: Int?)] {
        var pushedOut: [(drop: DropEvent, packet: Int?)] = []
        for drop in drops {
            let key = PacketKey(drop.header, at: 0)
            let serial = nextSerial
            nextSerial += 1
            if let key {
                waiting[key, default: []].append(Waiting(serial: serial, drop: drop))
            } else {
                unkeyed[serial] = drop
            }
            order.append((serial, key))
            waitingCount += 1
            while waitingCount > waitingLimit, let oldest = popOldest() { pushedOut.append(oldest) }
        }
        return pushedOut
    }

    /// The drop of this packet (its IP header at `start` of `bytes`), taken off the waiting list;
    /// the packet is remembered as `number` for drops that come later.
    public mutating func verdict(for bytes: [UInt8], at start: Int, number: Int) -> DropEvent? {
        guard let key = PacketKey(bytes, at: start) else { return nil }
        // The ring's oldest packet makes room, unless a later one of the same bytes holds its key.
        if let old = recentRing[recentNext], recent[old.key] == old.number { recent[old.key] = nil }
        recentRing[recentNext] = (key, number)
        recentNext = (recentNext + 1) % recentRing.count
        recent[key] = number
        guard var list = waiting[key] else { return nil }
        let first = list.removeFirst()
        waiting[key] = list.isEmpty ? nil : list
        waitingCount -= 1
        return first.drop
    }

    /// Drops that happened at or before `time` (microseconds since the epoch) and no packet
    /// took: every packet captured by then was offered, so none will.
    public mutating func expired(upTo time: Int64) -> [(drop: DropEvent, packet: Int?)] {
        var out: [(drop: DropEvent, packet: Int?)] = []
        while orderStart < order.count {
            let (serial, key) = order[orderStart]
            if let drop = drop(serial, key) {
                if drop.time > time { break }
                if let taken = popOldest() { out.append(taken) }
            } else {
                orderStart += 1  // matched already
            }
        }
        compact()
        return out
    }

    /// The drop `serial` if it still waits.
    private func drop(_ serial: Int, _ key: PacketKey?) -> DropEvent? {
        guard let key else { return unkeyed[serial] }
        guard let first = waiting[key]?.first, first.serial == serial else { return nil }
        return first.drop
    }

    private mutating func popOldest() -> (drop: DropEvent, packet: Int?)? {
        while orderStart < order.count {
            let (serial, key) = order[orderStart]
            orderStart += 1
            if let key {
                guard var list = waiting[key], list.first?.serial == serial else { continue }
                let first = list.removeFirst()
                waiting[key] = list.isEmpty ? nil : list
                waitingCount -= 1
                return (first.drop, recent[key])
            } else if let drop = unkeyed.removeValue(forKey: serial) {
                waitingCount -= 1
                return (drop, nil)
            }
        }
        return nil
    }

    /// Drops the handled front of `order` now and then, so it does not grow.
    private mutating func compact() {
        if orderStart > 4096 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
