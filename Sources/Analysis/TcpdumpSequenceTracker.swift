import Wire

/// tcpdump's relative sequence numbers (`tcp_seq_hash` in tcpdump 4.99.3's print-tcp.c, as it
/// behaves, not its code): what `tcpdump -nn` without -S subtracts from each segment's numbers.
///
/// Only segments with ACK set take part. The two directions of a four-tuple share an entry
/// keyed in a fixed order (by port, then by address when the ports are equal). The first
/// segment of a four-tuple, and every SYN (so a SYN-ACK), records the entry and is printed raw:
/// the entry's base is the segment's sequence number and its acknowledgment number less one,
/// each filed under the side it belongs to; later segments print their numbers less those.
/// SACK edges are made relative to the entry even on the segment that records it. A bare SYN
/// has no ACK and so is printed raw and recorded nowhere. tcpdump uses the IP header's own
/// addresses, never a source route's last hop.
///
/// tcpdump never forgets an entry; this keeps at most `maximumEntries` (the least recently used
/// eighth is dropped past that, and a segment of a dropped four-tuple records it afresh, raw).
public struct TcpdumpSequenceTracker: Sendable {
    public let linkType: LinkType
    public let maximumEntries: Int
    private var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0

    public init(linkType: LinkType, maximumEntries: Int = 1 << 20) {
        self.linkType = linkType
        self.maximumEntries = max(8, maximumEntries)
    }

    /// What the next packet's TCP line subtracts; nil when it is not a TCP segment tcpdump
    /// would number (no ACK, a header too short to print, a fragment).
    public mutating func offsets(_ bytes: Bytes, wireLength: Int? = nil) -> TCPNumberOffsets? {
        guard let p = TransportPacket(bytes, linkType: linkType, wireLength: wireLength), p.kind == .tcp, !p.quoted,
              p.headerLength >= TCPHeader.minimumLength, p.flags.contains(.ack)
        else { return nil }
        let sport = p.source.port, dport = p.destination.port
        let source = p.source.address, destination = p.headerDestination
        let reversed = sport > dport || (sport == dport && Self.compare(source, destination) > 0)
        let key = reversed ? Key(low: destination, high: source, ports: UInt32(dport) << 16 | UInt32(sport))
                           : Key(low: source, high: destination, ports: UInt32(sport) << 16 | UInt32(dport))
        clock &+= 1
        if var entry = entries[key], !p.flags.contains(.syn) {
            entry.used = clock
            entries[key] = entry
            return reversed ? TCPNumberOffsets(seq: entry.ack, ack: entry.seq, sack: entry.seq)
                            : TCPNumberOffsets(seq: entry.seq, ack: entry.ack, sack: entry.ack)
        }
        let entry = reversed ? Entry(seq: p.ack &- 1, ack: p.seq, used: clock) : Entry(seq: p.seq, ack: p.ack &- 1, used: clock)
        entries[key] = entry
        if entries.count > maximumEntries {
            for (k, _) in entries.sorted(by: { $0.value.used < $1.value.used }).prefix(entries.count / 8) { entries[k] = nil }
        }
        return TCPNumberOffsets(seq: 0, ack: 0, sack: reversed ? entry.seq : entry.ack)
    }

    public var count: Int { entries.count }

    /// memcmp of the two addresses, as tcpdump breaks a tie between equal ports.
    private static func compare(_ a: IPAddress, _ b: IPAddress) -> Int {
        switch (a, b) {
        case let (.v4(x), .v4(y)): return x.value == y.value ? 0 : x.value < y.value ? -1 : 1
        case let (.v6(x), .v6(y)): return (x.high, x.low) == (y.high, y.low) ? 0 : (x.high, x.low) < (y.high, y.low) ? -1 : 1
        default: return 0
        }
    }

    private struct Key: Hashable, Sendable {
        var low: IPAddress
        var high: IPAddress
        var ports: UInt32
    }

    /// The sequence bases of the key's first side (`seq`) and second side (`ack`).
    private struct Entry: Sendable {
        var seq: UInt32
        var ack: UInt32
        var used: UInt64
    }
}
