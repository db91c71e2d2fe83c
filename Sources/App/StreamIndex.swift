import Analysis
import Capture
import Wire

/// The screen's conversations: Wireshark's stream analysis fed from the store as packets
/// arrive, a frame's worth at a time (as `ObservedConnections`), giving each packet its
/// conversation and the analysis flags the list colours by, and each conversation the counts
/// the Conversations view lists. Follow stream reads a conversation's packets through it.
final class StreamIndex {
    /// One TCP or UDP conversation, as a row of Wireshark's Conversations window.
    struct Conversation: Sendable {
        var isTCP: Bool
        var stream: UInt32
        /// A sent the conversation's first packet.
        var a: TCPEndpoint
        var b: TCPEndpoint
        var packetsAB = 0, bytesAB = 0, packetsBA = 0, bytesBA = 0
        var firstNumber: Int, lastNumber: Int
        /// Microseconds since the epoch.
        var start: Int64, end: Int64
        var syn = false, synAck = false, handshakeAcked = false, finAB = false, finBA = false, reset = false

        var packets: Int { packetsAB + packetsBA }
        var bytes: Int { bytesAB + bytesBA }

        /// Where the connection got to, in words (UDP has no state).
        var state: String {
            guard isTCP else { return "" }
            if reset { return "reset" }
            if finAB && finBA { return "closed by FIN" }
            if finAB || finBA { return "closing (FIN from \(finAB ? "A" : "B"))" }
            if syn && !synAck { return "no answer" }
            if synAck && !handshakeAcked { return "half open" }
            return syn ? "open" : "open (seen from the middle)"
        }

        /// A BPF filter for just this conversation's packets, both ways.
        var filter: String {
            let p = isTCP ? "tcp" : "udp"
            func way(_ from: TCPEndpoint, _ to: TCPEndpoint) -> String {
                "src host \(from.address) and src port \(from.port) and dst host \(to.address) and dst port \(to.port)"
            }
            return "\(p) and ((\(way(a, b))) or (\(way(b, a))))"
        }
    }

    /// What the list colours a packet by, from the analysis (Wireshark's "Bad TCP" family).
    struct Marks: OptionSet {
        let rawValue: UInt8
        static let retransmission = Marks(rawValue: 1)
        static let duplicateAck = Marks(rawValue: 2)
        static let zeroWindow = Marks(rawValue: 4)
    }

    let linkType: LinkType
    private var analyzer: StreamAnalyzer
    /// tcpdump's relative numbers (`S` on the screen: the lines tcpdump -nn prints without -S),
    /// made only once asked for: their table costs memory for every four-tuple. Each packet's
    /// offsets from `base` on.
    private var tcpdump: (tracker: TcpdumpSequenceTracker, base: Int, offsets: [TCPNumberOffsets?])?
    private(set) var indexedUpTo = 0
    /// For each packet from `base` on: its conversation's index in `conversations` plus one (0:
    /// none), and its marks.
    private var conversationOf: [Int32] = []
    private var marksOf: [Marks] = []
    private var base = 1
    private(set) var conversations: [Conversation] = []
    /// Each TCP and UDP stream number's conversation in `conversations` (-1: none yet). The
    /// analysis numbers streams from 0 as it finds them, so an array serves.
    private var tcpConversation: [Int32] = [], udpConversation: [Int32] = []
    private var walk = HeaderWalk()

    /// The conversations analysis keeps state for (as tshark keeps all of them, a capture with
    /// more at once than this numbers the forgotten ones' later packets anew): the screen's
    /// memory stays bounded under a flood of new conversations.
    static let maximumConversations = 1 << 16

    init(linkType: LinkType) {
        self.linkType = linkType
        analyzer = StreamAnalyzer(linkType: linkType, maximumConversations: Self.maximumConversations)
    }

    /// Takes in the packets stored since the last call, for at most `budget` seconds (nil: all
    /// of them); whether it took any.
    @discardableResult
    func catchUp(_ store: PacketStore, oldest: Int, budget: Double? = ObservedConnections.budget) -> Bool {
        let newest = store.newestNumber
        guard indexedUpTo < newest else { return false }
        let at = max(indexedUpTo + 1, oldest)
        if conversationOf.isEmpty { base = at }
        forget(before: oldest)
        // Evicted before they were reached: nothing is known of them.
        while base + conversationOf.count < at {
            conversationOf.append(0)
            marksOf.append([])
        }
        indexedUpTo = walk.walk(store, from: at, through: newest, budget: budget) { headers, number, time, originalLength in
            let analysis = analyzer.analyze(headers, number: number, microseconds: time, wireLength: originalLength)
            record(analysis, headers: headers, number: number, time: time, length: originalLength)
        }
        return true
    }

    /// The conversation of a packet, if it has one and was indexed.
    func conversation(ofPacket number: Int) -> Int? {
        let i = number - base
        guard i >= 0, i < conversationOf.count, conversationOf[i] > 0 else { return nil }
        return Int(conversationOf[i]) - 1
    }

    func marks(ofPacket number: Int) -> Marks {
        let i = number - base
        return i >= 0 && i < marksOf.count ? marksOf[i] : []
    }

    /// What the packet's TCP line subtracts to print tcpdump's relative numbers (nil: nothing,
    /// or not worked out yet).
    func tcpdumpOffsets(ofPacket number: Int) -> TCPNumberOffsets? {
        guard let t = tcpdump else { return nil }
        let i = number - t.base
        return i >= 0 && i < t.offsets.count ? t.offsets[i] : nil
    }

    /// Works out tcpdump's numbers for the packets stored since the last call (the first call
    /// starts them from the oldest packet), for at most `budget` seconds; whether it did any.
    @discardableResult
    func catchUpTcpdumpNumbers(_ store: PacketStore, oldest: Int, budget: Double? = ObservedConnections.budget) -> Bool {
        if tcpdump == nil { tcpdump = (TcpdumpSequenceTracker(linkType: linkType, maximumEntries: Self.maximumConversations), oldest, []) }
        let newest = store.newestNumber
        var at = tcpdump!.base + tcpdump!.offsets.count
        guard at <= newest else { return false }
        if at < oldest {
            // Evicted before they were reached: start again from what is stored.
            tcpdump!.base = oldest
            tcpdump!.offsets = []
            at = oldest
        } else if at - tcpdump!.base > 2 * (newest - oldest + 1) {
            let gone = oldest - tcpdump!.base
            tcpdump!.offsets.removeFirst(gone)
            tcpdump!.base = oldest
        }
        _ = walk.walk(store, from: at, through: newest, budget: budget) { headers, _, _, originalLength in
            tcpdump!.offsets.append(tcpdump!.tracker.offsets(headers, wireLength: originalLength))
        }
        return true
    }

    /// How many of a conversation's packets the tree's analysis reads at most: past that, the
    /// selected packet's tree shows no stream fields rather than keeping a key waiting.
    static let analysisReach = 100_000

    /// What stream analysis says of one packet, for the selected packet's tree: its
    /// conversation's packets from the first up to it, analysed afresh (kept, so moving on
    /// through the same conversation costs only the packets in between), its stream number
    /// the index's. Nil when the packet has no conversation or is too far into a long one.
    func analysis(ofPacket number: Int, store: PacketStore, oldest: Int) -> PacketAnalysis? {
        guard let c = conversation(ofPacket: number) else { return nil }
        if replay?.conversation != c || (replay?.upTo ?? .max) >= number {
            replay = (c, StreamAnalyzer(linkType: linkType), conversations[c].firstNumber - 1, nil)
        }
        let numbers = packetNumbers(of: c, oldest: oldest).filter { $0 > replay!.upTo && $0 <= number }
        guard numbers.count <= Self.analysisReach, conversations[c].firstNumber >= oldest else { return nil }
        for n in numbers {
            guard let p = store.packet(number: n) else { continue }
            let time = Int64(p.packet.seconds) * 1_000_000 + Int64(p.packet.microseconds)
            replay!.last = replay!.analyzer.analyze(p.packet.bytes, number: n, microseconds: time, wireLength: p.packet.originalLength)
            replay!.upTo = n
        }
        guard replay!.upTo == number, var analysis = replay!.last else { return nil }
        let stream = conversations[c].stream
        if analysis.tcp != nil { analysis.tcp!.stream = stream }
        if analysis.udp != nil { analysis.udp!.stream = stream }
        return analysis
    }

    private var replay: (conversation: Int, analyzer: StreamAnalyzer, upTo: Int, last: PacketAnalysis?)?

    /// The numbers of a conversation's packets still stored, oldest first.
    func packetNumbers(of conversation: Int, oldest: Int) -> [Int] {
        let c = conversations[conversation]
        let tag = Int32(conversation + 1)
        var numbers: [Int] = []
        for n in max(c.firstNumber, oldest, base)...max(c.lastNumber, base) where conversationOf.indices.contains(n - base) {
            if conversationOf[n - base] == tag { numbers.append(n) }
        }
        return numbers
    }

    private func record(_ analysis: PacketAnalysis, headers: Bytes, number: Int, time: Int64, length: Int) {
        var marks: Marks = []
        var slot: Int32 = 0
        if let t = analysis.tcp {
            if !t.flags.isDisjoint(with: [.retransmission, .fastRetransmission, .spuriousRetransmission]) { marks.insert(.retransmission) }
            if t.flags.contains(.duplicateAck) { marks.insert(.duplicateAck) }
            if t.flags.contains(.zeroWindow) { marks.insert(.zeroWindow) }
            slot = update(isTCP: true, stream: t.stream, headers: headers, number: number, time: time, length: length).map { Int32($0 + 1) } ?? 0
        } else if let u = analysis.udp {
            slot = update(isTCP: false, stream: u.stream, headers: headers, number: number, time: time, length: length).map { Int32($0 + 1) } ?? 0
        }
        conversationOf.append(slot)
        marksOf.append(marks)
    }

    /// Counts the packet in its conversation (made on its first packet); the conversation's
    /// index, nil when the headers do not read.
    private func update(isTCP: Bool, stream: UInt32, headers: Bytes, number: Int, time: Int64, length: Int) -> Int? {
        // The headers again, for the endpoints and flags (the analysis keeps them to itself).
        guard let p = TransportPacket(headers, linkType: linkType, wireLength: length) else { return nil }
        let s = Int(stream)
        func slot(_ table: inout [Int32]) -> Int32 {
            if s >= table.count { table += [Int32](repeating: -1, count: s + 1 - table.count) }
            return table[s]
        }
        let found = isTCP ? slot(&tcpConversation) : slot(&udpConversation)
        let i: Int
        if found >= 0 {
            i = Int(found)
        } else {
            i = conversations.count
            if isTCP { tcpConversation[s] = Int32(i) } else { udpConversation[s] = Int32(i) }
            conversations.append(Conversation(isTCP: isTCP, stream: stream, a: p.source, b: p.destination,
                                              firstNumber: number, lastNumber: number, start: time, end: time))
        }
        var c = conversations[i]
        let fromA = p.source == c.a
        if fromA {
            c.packetsAB += 1
            c.bytesAB += length
        } else {
            c.packetsBA += 1
            c.bytesBA += length
        }
        c.lastNumber = number
        c.end = time
        if isTCP && !p.quoted {
            let f = p.flags
            if f.contains(.syn) { if f.contains(.ack) { c.synAck = true } else { c.syn = true } }
            else if f.contains(.ack) && c.synAck && fromA { c.handshakeAcked = true }
            if f.contains(.fin) { if fromA { c.finAB = true } else { c.finBA = true } }
            if f.contains(.rst) { c.reset = true }
        }
        conversations[i] = c
        return i
    }

    /// Drops what is known of packets the store no longer holds (in large steps: the arrays are
    /// copied down only when more than half of them is gone).
    private func forget(before oldest: Int) {
        let gone = min(oldest - base, conversationOf.count)
        guard gone > 0, gone * 2 > conversationOf.count else { return }
        conversationOf.removeFirst(gone)
        marksOf.removeFirst(gone)
        base += gone
    }
}
