import Wire

/// Follows every TCP connection in a packet sequence, whoever opened it: which connection each
/// segment belongs to (by its addresses and ports, either direction), and each connection's
/// handshake timeline and state. Pure: it is given packets in order and never reads a clock,
/// a store or a terminal.
///
/// Built incrementally, one packet at a time as packets arrive, rather than on demand around
/// the selected packet: each packet is read once (a few header fields), so keeping up costs
/// the same whatever the store holds, and a handshake whose retransmissions are seconds and
/// thousands of packets apart is still whole (a window around the selection would cut it, and
/// would be scanned again at every selection). Memory is bounded instead: at most
/// `maximumConnections` connections (the least recently active are dropped first, an eighth at
/// a time) and at most `eventsPerConnection` segments listed in each (later ones are counted).
/// Looking up a packet's connection needs only that packet's headers, never a scan.
public struct TCPConnectionTracker: Sendable {
    public let linkType: LinkType
    public let maximumConnections: Int
    public let eventsPerConnection: Int

    /// Connections by id.
    private var connections: [Int: TCPConnection] = [:]
    /// The connections on each pair of endpoints, oldest first (ports reused make several).
    private var byEndpoints: [EndpointPair: [Int]] = [:]
    private var nextID = 1
    /// The newest packet observed: packets must come in order.
    public private(set) var lastNumber = 0
    /// The connection of the newest TCP segment.
    public private(set) var mostRecentID: Int?
    /// Connections dropped to stay within `maximumConnections`.
    public private(set) var droppedConnections = 0

    public init(linkType: LinkType, maximumConnections: Int = 4096, eventsPerConnection: Int = 256) {
        self.linkType = linkType
        self.maximumConnections = max(1, maximumConnections)
        self.eventsPerConnection = max(1, eventsPerConnection)
    }

    /// Takes in the packet numbered `number` (numbers only grow; an older one is ignored), with
    /// its time in microseconds since the epoch. `bytes` may be only the packet's first bytes, as
    /// long as they hold its headers. Anything not TCP is passed over.
    public mutating func observe(_ bytes: Bytes, number: Int, time: Int64) {
        guard number > lastNumber else { return }
        lastNumber = number
        guard let segment = ObservedSegment(bytes, linkType: linkType) else { return }
        let key = EndpointPair(segment.source, segment.destination)
        var id = byEndpoints[key]?.last
        if let current = id, let c = connections[current], c.isNewConnection(segment) { id = nil }
        if id == nil {
            let c = TCPConnection(id: nextID, first: segment, number: number, time: time)
            id = nextID
            nextID += 1
            connections[c.id] = c
            byEndpoints[key, default: []].append(c.id)
            // A few generations per pair of ports are enough to find a recent packet's.
            if byEndpoints[key]!.count > Self.generationsKept {
                connections[byEndpoints[key]!.removeFirst()] = nil
            }
        }
        connections[id!]!.add(segment, number: number, time: time, maximumEvents: eventsPerConnection)
        mostRecentID = id
        if connections.count > maximumConnections { dropLeastRecent() }
    }

    static let generationsKept = 8

    /// The connection the packet with these bytes and this number belongs to: the newest on its
    /// endpoints that began at or before it. Nil when it is not TCP, or its connection is not
    /// tracked (dropped, or the packet not observed yet).
    public func connection(of bytes: Bytes, number: Int) -> TCPConnection? {
        guard number <= lastNumber, let segment = ObservedSegment(bytes, linkType: linkType),
              let ids = byEndpoints[EndpointPair(segment.source, segment.destination)]
        else { return nil }
        for id in ids.reversed() {
            if let c = connections[id], c.firstNumber <= number { return c }
        }
        return nil
    }

    public func connection(id: Int) -> TCPConnection? { connections[id] }

    /// The connection with the newest segment.
    public var mostRecent: TCPConnection? { mostRecentID.flatMap { connections[$0] } }

    /// The connection most recently active at packet `number`: the one whose newest segment up to
    /// there is the latest (approximated by the connections' first and last packets). For a
    /// packet that is not TCP, the connection it sits among. A scan of the tracked connections.
    public func latest(atOrBefore number: Int, from oldest: Int = 1) -> TCPConnection? {
        var best: TCPConnection?
        for c in connections.values where c.firstNumber <= number && c.lastNumber >= oldest {
            let key = min(c.lastNumber, number)
            if best.map({ key > min($0.lastNumber, number) || (key == min($0.lastNumber, number) && c.id > $0.id) }) ?? true {
                best = c
            }
        }
        return best
    }

    public var count: Int { connections.count }

    /// Drops the least recently active eighth of the connections.
    private mutating func dropLeastRecent() {
        let drop = max(1, connections.count / 8)
        let victims = connections.values.map { ($0.lastNumber, $0.id) }.sorted { $0 < $1 }.prefix(drop)
        for (_, id) in victims {
            guard let c = connections.removeValue(forKey: id) else { continue }
            let key = EndpointPair(c.client, c.server)
            byEndpoints[key]?.removeAll { $0 == id }
            if byEndpoints[key]?.isEmpty == true { byEndpoints[key] = nil }
            if mostRecentID == id { mostRecentID = nil }
            droppedConnections += 1
        }
    }
}

/// Both ends of a connection, in an order that does not depend on the direction.
struct EndpointPair: Hashable, Sendable {
    let low: TCPEndpoint
    let high: TCPEndpoint
    init(_ a: TCPEndpoint, _ b: TCPEndpoint) {
        (low, high) = a.precedes(b) ? (a, b) : (b, a)
    }

    /// A few words rather than each enum and its payload: the tables hash a key per packet.
    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(low.port) << 16 | UInt64(high.port))
        Self.combine(low.address, into: &hasher)
        Self.combine(high.address, into: &hasher)
    }

    private static func combine(_ address: IPAddress, into hasher: inout Hasher) {
        switch address {
        case let .v4(a): hasher.combine(UInt64(a.value))
        case let .v6(a):
            hasher.combine(a.high)
            hasher.combine(a.low)
        }
    }
}
