import Analysis
import Capture
import Screen
import Wire

/// The Handshake pane's knowledge of connections tunscope did not open: a TCP connection
/// tracker fed from the store as packets arrive, a frame's worth at a time. A view component
/// of its own (STYLE.md, "Screens that grow views"): the monitor asks it to catch up once per
/// frame and for the connection of the selected packet; it owns its state.
final class ObservedConnections {
    private(set) var tracker: TCPConnectionTracker
    /// The newest packet handed to the tracker.
    private(set) var indexedUpTo = 0
    private var walk = HeaderWalk()
    /// The ladder of the connection last drawn, kept until the connection changes.
    private var cached: (id: Int, last: Int, unlisted: Int, ladder: Ladder)?

    /// How long a frame may spend indexing: a file of a million packets is taken in over a few
    /// dozen frames, and keys never wait for it.
    static let budget = 0.004

    init(linkType: LinkType) {
        tracker = TCPConnectionTracker(linkType: linkType)
    }

    /// Hands the tracker the packets stored since the last call (for at most `budget` seconds);
    /// whether it took any. Packets evicted before it got to them are skipped.
    func catchUp(_ store: PacketStore, oldest: Int, budget: Double = ObservedConnections.budget) -> Bool {
        let newest = store.newestNumber
        guard indexedUpTo < newest else { return false }
        indexedUpTo = walk.walk(store, from: max(indexedUpTo + 1, oldest), through: newest, budget: budget) { headers, number, time, _ in
            tracker.observe(headers, number: number, time: time)
        }
        return true
    }

    /// The connection to draw for the selected packet: its own, when it is TCP and tracked; else
    /// the one most recently active at it (nil when none still has packets stored).
    func connection(selected: StoredPacket?, oldest: Int) -> (connection: TCPConnection, isSelected: Bool)? {
        if let p = selected, let c = tracker.connection(of: p.packet.bytes, number: p.number) { return (c, true) }
        guard let c = tracker.latest(atOrBefore: selected?.number ?? indexedUpTo, from: oldest) ?? tracker.mostRecent,
              c.lastNumber >= oldest
        else { return nil }
        return (c, false)
    }

    /// The ladder of `c`, built once per change of the connection.
    func ladder(_ c: TCPConnection, role: (TCPConnectionState) -> Role) -> Ladder {
        if let cached, cached.id == c.id, cached.last == c.lastNumber, cached.unlisted == c.unlistedSegments {
            return cached.ladder
        }
        let ladder = Ladder(observed: c, role: role(c.state))
        cached = (c.id, c.lastNumber, c.unlistedSegments, ladder)
        return ladder
    }
}
