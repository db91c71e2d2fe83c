import Capture
import Wire

/// Walks stored packets in order a batch at a time, handing on each one's first bytes (its
/// link, IP and transport headers with room for options: what the trackers read, lengths coming
/// from the IP header) in an array reused from packet to packet, within a time budget: how the
/// screen's trackers catch up with the store a frame at a time, however much it holds.
struct HeaderWalk {
    static let headerBytes = 256

    private var batch = PacketStore.Batch()
    private var headers: Bytes = []

    /// Packets `first` through `last` (fewer when `budget` seconds run out; nil: no limit), each
    /// handed to `body` with its number, time in microseconds since the epoch and length on the
    /// wire. Returns the number of the last packet walked (`first - 1` when none).
    mutating func walk(_ store: PacketStore, from first: Int, through last: Int, budget: Double?,
                       _ body: (_ headers: Bytes, _ number: Int, _ microseconds: Int64, _ originalLength: Int) -> Void) -> Int {
        let started = MonitorLoop.seconds()
        var at = first
        // The array is taken out while the batch is read, so the two are never borrowed together.
        var headers = self.headers
        defer { self.headers = headers }
        while at <= last && (budget.map { MonitorLoop.seconds() - started < $0 } ?? true) {
            let end = min(last, at + 4095)
            store.copy(numbered: at...end, into: &batch)
            var number = batch.firstNumber
            batch.forEach { bytes, seconds, microseconds, originalLength in
                headers.removeAll(keepingCapacity: true)
                headers.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes.prefix(Self.headerBytes)))
                body(headers, number, Int64(seconds) * 1_000_000 + Int64(microseconds), originalLength)
                number += 1
            }
            at = end + 1
        }
        return at - 1
    }
}
