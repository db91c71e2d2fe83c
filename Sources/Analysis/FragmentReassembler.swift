import Wire

/// IPv4 and IPv6 fragments put back together as Wireshark 4.0 does in one pass (reassemble.c,
/// read for behaviour, not copied): given packets in order, it returns for the packet that
/// completes a datagram the datagram itself, which that packet's dissection then shows (see
/// `Dissector.dissect(_:linkType:wireLength:describing:reassembled:)`); every other packet gets
/// nil, as `tshark -T json` (no -2) names no "reassembled in" frame before it gets there. Pure:
/// no clock but the packets' own times.
///
/// Wireshark's rules: fragments are grouped by `IPFragment.Key`; the first last fragment (More
/// Fragments clear) sets the datagram's length, and a later one ending elsewhere is flagged;
/// the datagram is complete once its fragments, in order of offset (ties in the order they
/// came), cover it from 0 without a gap. Then each byte is taken from the first fragment in
/// that order that has it: overlapping data is flagged, and flagged as conflicting where it
/// differs; data past the end is flagged and left out. The datagram leaves the table, so a
/// fragment that comes after it starts a new one.
///
/// Memory stays bounded whatever comes (Wireshark keeps every incomplete datagram forever):
/// at most `Limits.datagrams` incomplete datagrams holding `Limits.bytes` bytes of fragment
/// data, each of at most `Limits.fragments` fragments; past any of them the least recently
/// added-to datagram is forgotten first, and a datagram no fragment has come for in
/// `Limits.idle` of capture time is forgotten too. A flood of fragments that never complete
/// keeps the table at its bounds while it lasts and leaves it empty after.
public struct FragmentReassembler: Sendable {
    public struct Limits: Sendable {
        public var datagrams = 4096
        public var bytes = 16 << 20
        public var fragments = 256
        /// Microseconds of capture time (Linux waits 30 s, `ipfrag_time`; Wireshark forever).
        public var idle: Int64 = 60_000_000

        public init() {}
    }

    public let linkType: LinkType
    public let limits: Limits
    /// Incomplete datagrams given up on (to a bound or for want of fragments), so far.
    public private(set) var forgottenDatagrams = 0
    /// Fragment data held now, in bytes.
    public private(set) var bufferedBytes = 0

    private var table: [IPFragment.Key: Int] = [:]
    private var pending: [Pending] = []
    private var free: [Int] = []
    /// The least and the most recently added-to datagrams: the ends of a list through `Pending.older`/`newer`.
    private var oldest = -1, newest = -1
    /// The latest packet time seen (captures can step back; the idle bound goes by this).
    private var now: Int64 = .min

    public init(linkType: LinkType, limits: Limits = Limits()) {
        self.linkType = linkType
        self.limits = limits
    }

    /// Incomplete datagrams held now.
    public var incompleteDatagrams: Int { table.count }

    /// Takes the next packet (its bytes, its number in the capture from 1, its time in
    /// microseconds); returns the datagram it completed, if it is the fragment that did.
    public mutating func add(_ bytes: Bytes, number: Int, microseconds: Int64) -> ReassembledDatagram? {
        now = max(now, microseconds)
        forgetIdle()
        guard let start = ObservedSegment.networkStart(bytes, linkType: linkType),
              let fragment = IPFragment(bytes, at: start, end: bytes.count)
        else { return nil }
        let slot = table[fragment.key] ?? open(fragment.key)
        touch(slot)
        pending[slot].add(fragment, of: bytes, frame: UInt32(truncatingIfNeeded: number))
        bufferedBytes += fragment.data.count
        if let datagram = pending[slot].reassembled() {
            close(slot)
            return datagram
        }
        if pending[slot].pieces.count > limits.fragments { forget(slot) }
        while table.count > limits.datagrams || bufferedBytes > limits.bytes { forget(oldest) }
        return nil
    }

    private mutating func forgetIdle() {
        while oldest >= 0 && now - pending[oldest].lastTime > limits.idle { forget(oldest) }
    }

    private mutating func open(_ key: IPFragment.Key) -> Int {
        let slot: Int
        if let reusable = free.popLast() {
            slot = reusable
            pending[slot] = Pending(key: key)
        } else {
            slot = pending.count
            pending.append(Pending(key: key))
        }
        table[key] = slot
        return slot
    }

    /// Makes `slot` the most recently added-to.
    private mutating func touch(_ slot: Int) {
        pending[slot].lastTime = now
        guard newest != slot else { return }
        unlink(slot)
        pending[slot].older = newest
        pending[slot].newer = -1
        if newest >= 0 { pending[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let (older, newer) = (pending[slot].older, pending[slot].newer)
        if older >= 0 { pending[older].newer = newer } else if oldest == slot { oldest = newer }
        if newer >= 0 { pending[newer].older = older } else if newest == slot { newest = older }
        pending[slot].older = -1
        pending[slot].newer = -1
    }

    /// Removes a datagram from the table and gives its memory back.
    private mutating func close(_ slot: Int) {
        unlink(slot)
        table[pending[slot].key] = nil
        bufferedBytes -= pending[slot].data.count
        pending[slot] = Pending(key: pending[slot].key)
        free.append(slot)
    }

    private mutating func forget(_ slot: Int) {
        close(slot)
        forgottenDatagrams += 1
    }
}

/// An incomplete datagram: its fragments as they came, their data one after another.
private struct Pending: Sendable {
    struct Piece: Sendable {
        var frame: UInt32
        var offset: Int
        var length: Int
        /// Where its data is in `data`.
        var at: Int
        var flags: ReassembledDatagram.Flags = []
    }

    var key: IPFragment.Key
    /// In order of offset, equal offsets in the order they came (Wireshark's list).
    var pieces: [Piece] = []
    var data: Bytes = []
    /// Set by the first last fragment.
    var length: Int?
    var lastTime: Int64 = 0
    var older = -1, newer = -1

    init(key: IPFragment.Key) { self.key = key }

    mutating func add(_ f: IPFragment, of bytes: Bytes, frame: UInt32) {
        var piece = Piece(frame: frame, offset: f.offset, length: f.data.count, at: data.count)
        data.append(contentsOf: bytes[f.data])
        if !f.more {
            if let length, length != f.offset + f.data.count {
                piece.flags.insert(.multipleTails)
            } else {
                length = f.offset + f.data.count
            }
        }
        let place = pieces.firstIndex { $0.offset > f.offset } ?? pieces.count
        pieces.insert(piece, at: place)
    }

    /// The datagram, once the pieces cover it from 0 to its length; nil before.
    func reassembled() -> ReassembledDatagram? {
        guard let length else { return nil }
        var covered = 0
        for p in pieces where p.offset <= covered { covered = max(covered, p.offset + p.length) }
        guard covered >= length else { return nil }
        var payload = Bytes(repeating: 0, count: length)
        var filled = 0
        var fragments: [ReassembledDatagram.Fragment] = []
        fragments.reserveCapacity(pieces.count)
        for p in pieces {
            var flags = p.flags
            if p.offset >= length {
                flags.insert(.tooLong)
            } else {
                var usable = p.length
                if p.offset + usable > length {
                    flags.insert(.tooLong)
                    usable = length - p.offset
                }
                // Bytes before `filled` were placed by an earlier piece: compared, not replaced.
                let overlap = filled - p.offset
                if overlap > 0 {
                    flags.insert(.overlap)
                    let compared = min(p.length, overlap)
                    if !payload[p.offset..<(p.offset + compared)].elementsEqual(data[p.at..<(p.at + compared)]) {
                        flags.insert(.overlapConflict)
                    }
                }
                if usable > overlap {
                    let from = max(overlap, 0)
                    payload.replaceSubrange((p.offset + from)..<(p.offset + usable), with: data[(p.at + from)..<(p.at + usable)])
                    filled = p.offset + usable
                }
            }
            fragments.append(ReassembledDatagram.Fragment(frame: p.frame, offset: p.offset, length: p.length, flags: flags))
        }
        return ReassembledDatagram(payload: payload, fragments: fragments)
    }
}
