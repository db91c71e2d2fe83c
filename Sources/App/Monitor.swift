import Capture
import DisplayFilter
import Probe
import Screen
import Verdicts
import Wire

/// The panes of the screen, in Tab order.
public enum Pane: Int, CaseIterable, Sendable {
    case list, tree, hex, ladder

    var title: String {
        switch self {
        case .list: return "Packets"
        case .tree: return "Header tree"
        case .hex: return "Bytes"
        case .ladder: return "Handshake"
        }
    }
}

/// How the packet list shows time, as Wireshark's View > Time Display Format.
public enum TimeFormat: CaseIterable, Sendable {
    /// Seconds since the first packet shown.
    case relative
    /// Time of day.
    case absolute
    /// Seconds since the packet before.
    case delta
}

/// The state of the full-screen monitor: what is shown, what is selected, which pane has the
/// keys. It renders itself into a Buffer (no terminal involved, so tests compare text) and
/// changes only through `handle(_:)` and `refresh()`. Capture and the live host run on threads
/// of their own; the monitor only reads the store and the host's snapshot.
public final class Monitor {
    public let store: PacketStore
    /// The live host (nil when browsing a capture file: nothing can be sent).
    public let host: LiveHost?
    public let linkType: LinkType
    /// What is being watched: "tun0", or a file's name.
    public let sourceName: String
    public var theme: Theme
    public var lines: BoxLines
    /// tunscope's address on the link and the kernel's (live only).
    public let ownAddress: IPAddress?
    public let kernelAddress: IPAddress?
    /// Where `s` sends a SYN and `p` an echo request.
    public internal(set) var target: (address: IPAddress, port: UInt16)?
    /// Whether a connection `s` opens stays open for d, H, F and R (else it closes at once, as
    /// `tunscope send` does).
    public var holdsConnections = true
    /// The live capture (nil when browsing a file): its kernel drops and whether it failed.
    public let capture: (any LiveSource)?
    /// The capture when tunscope watches devices it does not hold (nothing answers; r and e inject).
    var watched: WatchCapture? { capture as? WatchCapture }
    /// The interfaces an SLL2 packet's index names: the watched devices' namespace's, or a
    /// cooked file's, looked up here as tcpdump does.
    lazy var interfaceNames: InterfaceNames = capture?.interfaceNames
        ?? (linkType == .linuxSLL2 ? LocalInterfaces.names() : [:])
    /// Packets the kernel dropped at the device (nil when unknown).
    var kernelDropped: Int?
    private var reportedFailure = false
    /// Set by the loop while a capture file is still being read. Finishing can come after the
    /// last packet was drawn, so it asks for a frame of its own.
    public var loading = false {
        didSet { if loading != oldValue { statusChanged = true } }
    }

    /// A capture arriving over time (a pipe, a file followed as it grows; nil otherwise): the
    /// status bar says PIPE or FOLLOW while it comes, ENDED after.
    public var stream: StreamState? {
        didSet { if stream != oldValue { statusChanged = true } }
    }

    var focus = Pane.list
    var zoomed = false
    var showHelp = false
    /// The first line of the help shown, when it is taller than the screen.
    var helpTop = 0
    /// The list stops taking new packets (capture goes on); it shows packets up to this number.
    var pausedAt: Int?
    /// The first packet seen: relative times count from it.
    var timeReference: StoredPacket?
    /// The list keeps the newest packet selected, until the user moves up.
    var follow = true
    var selected: Int?
    var listTop = 0
    var timeFormat = TimeFormat.relative

    var filter: ListFilter?
    /// The kernel's verdicts on the packets it dropped, while capturing live with BPF allowed.
    public var kernelVerdicts: KernelVerdicts?
    /// What `tunscope doctor` found missing in the set-up when the screen started: kept in the
    /// status bar (the bottom line's message goes with the next key).
    public var setUpProblem: String?
    /// The filter's pass over the stored packets (and the analysis it carries along).
    private var filterPass: FilterPass?
    /// With a filter: the numbers of the matching packets, in order, and how far the filter has got.
    var matching: [Int] = []
    var filteredUpTo = 0

    var treeRow = 0
    var treeTop = 0
    /// Layers folded away and fields unfolded, by name (as Wireshark remembers them across packets).
    var foldedLayers: Set<String> = []
    var unfoldedFields: Set<String> = []
    var ladderRow = 0
    /// TCP connections seen in the packets, whoever opened them: the Handshake pane's when
    /// tunscope's own are not the ones to show.
    let observed: ObservedConnections
    /// Conversations and stream analysis, for Follow stream, Conversations and the list's colours.
    let streams: StreamIndex
    /// Follow stream or Conversations, when open over the panes.
    var following: FollowView?
    /// `S`: the Info column's TCP numbers relative, as tcpdump prints them without -S.
    var relativeNumbers = false
    var conversationsView: ConversationsView?
    var hexTop = 0
    var prompt: Prompt?
    /// A line for the user after an action ("wrote 12 packets to x.pcap"), until the next key.
    var message: (text: String, isError: Bool)?
    /// The status line changed outside a key (a message: capture failed, a file is damaged; or
    /// loading finished): draw it.
    var statusChanged = false
    public internal(set) var wantsQuit = false
    /// Where the panes were in the last frame: for the mouse, and a page's height.
    var lastPaneAreas: [Pane: Rect] = [:]

    private var decoded: (number: Int, packet: StoredPacket, dissection: Dissection)?
    var cachedTreeRows: (number: Int, horizon: Int, folded: Set<String>, unfolded: Set<String>, rows: [TreeRow])?
    private var rate: (count: Int, time: Double, perSecond: Double) = (0, 0, 0)
    private var lastSeen: (newest: Int, log: Int) = (0, 0)

    public init(store: PacketStore, host: LiveHost?, capture: (any LiveSource)? = nil, linkType: LinkType, sourceName: String,
                theme: Theme, lines: BoxLines, ownAddress: IPAddress? = nil, kernelAddress: IPAddress? = nil,
                target: (IPAddress, UInt16)? = nil) {
        self.store = store
        self.host = host
        self.capture = capture ?? host?.capture
        self.linkType = linkType
        self.sourceName = sourceName
        self.theme = theme
        self.lines = lines
        self.ownAddress = ownAddress
        self.kernelAddress = kernelAddress
        self.target = target.map { (address: $0.0, port: $0.1) }
        observed = ObservedConnections(linkType: linkType)
        streams = StreamIndex(linkType: linkType)
        probes = { [weak host] in host?.snapshot }
    }

    // MARK: What the list shows

    /// The oldest packet still stored.
    var oldest: Int {
        let c = store.counts
        return c.total - c.stored + 1
    }

    /// The newest packet the list shows (held while paused).
    var newestShown: Int { pausedAt.map { min($0, store.newestNumber) } ?? store.newestNumber }

    public var shownCount: Int {
        filter == nil ? max(0, newestShown - oldest + 1) : matching.count
    }

    func shownNumber(at index: Int) -> Int {
        filter == nil ? oldest + index : matching[index]
    }

    func shownIndex(of number: Int) -> Int? {
        guard filter != nil else {
            let i = number - oldest
            return i >= 0 && i < shownCount ? i : nil
        }
        var lo = 0, hi = matching.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if matching[mid] < number { lo = mid + 1 } else { hi = mid }
        }
        return lo < matching.count && matching[lo] == number ? lo : nil
    }

    /// The selected packet, decoded (kept until the selection changes).
    var selectedPacket: (packet: StoredPacket, dissection: Dissection)? {
        guard let n = selected else { return nil }
        if let d = decoded, d.number == n { return (d.packet, d.dissection) }
        guard let p = store.packet(number: n) else { return nil }
        var d = Dissector.dissect(p.packet.bytes, linkType: linkType, wireLength: p.packet.originalLength)
        // The tree shows what stream analysis found, as tshark -V does (IP reassembly is print's only).
        if let analysis = streams.analysis(ofPacket: n, store: store, oldest: oldest) { d.add(analysis) }
        decoded = (n, p, d)
        return (p, d)
    }

    /// The prober as it is now (nil when nothing can be sent). Frame tests give their own.
    public var probes: () -> Prober? = { nil }
    var prober: Prober? { probes() }

    // MARK: Keeping up with capture

    /// Takes in what changed since the last call (new packets, new probe events, the filter's
    /// progress, the rate); whether the screen needs drawing again. Cheap when nothing changed.
    public func refresh(now: Double) -> Bool {
        var changed = statusChanged
        statusChanged = false
        // Packets evicted from the store leave the filtered list too.
        let first = oldest
        if filter != nil, let head = matching.first, head < first {
            matching.removeFirst(matching.firstIndex { $0 >= first } ?? matching.count)
            changed = true
        }
        if filter != nil && filteredUpTo < newestShown {
            runFilter(budget: Self.filterBudget)
            changed = true
        }
        if let kernelVerdicts {
            let dropsBefore = kernelVerdicts.byPacket.count
            // Said only on a free bottom line: never over another message (the device went away,
            // what w wrote), which a drop arriving 50 ms late would otherwise hide.
            for drop in kernelVerdicts.update(store: store, linkType: linkType) where message == nil { say(drop.notCapturedLine) }
            if kernelVerdicts.byPacket.count != dropsBefore {
                cachedTreeRows = nil  // the selected packet's verdict may be among them
                changed = true
            }
        }
        if observed.catchUp(store, oldest: first) { changed = true }
        if streams.catchUp(store, oldest: first) && conversationsView != nil { changed = true }
        if relativeNumbers && streams.catchUpTcpdumpNumbers(store, oldest: first) { changed = true }
        let newest = store.newestNumber
        let log = host?.snapshot.log.count ?? 0
        if newest != lastSeen.newest || log != lastSeen.log {
            lastSeen = (newest, log)
            changed = true
        }
        // A packet the kernel refused (s, p, r and e only queue them): say so, or it seems sent.
        if let host, let failure = host.takeSendErrors().last {
            say("not sent: \(failure)", error: true)
            changed = true
        }
        if let capture {
            let dropped = capture.kernelDropped
            if dropped != kernelDropped {
                kernelDropped = dropped
                changed = true
            }
            if !reportedFailure, !capture.isRunning, let failure = capture.failure {
                reportedFailure = true
                say("\(failure.description); what was captured is kept: w writes it to a file", error: true)
                changed = true
            }
        }
        if now - rate.time >= 1 {
            let total = store.counts.total
            let perSecond = rate.time == 0 ? 0 : Double(total - rate.count) / (now - rate.time)
            if perSecond != rate.perSecond { changed = true }
            rate = (total, now, perSecond)
        }
        if follow {
            selectNewest()
        } else if selected == nil && shownCount > 0 {
            select(shownNumber(at: 0))
        }
        return changed
    }

    var packetsPerSecond: Double { rate.perSecond }

    /// Whether stream analysis has yet to reach the newest packet (it catches up a frame at a time).
    public var isIndexingStreams: Bool { streams.indexedUpTo < store.newestNumber }
    public var conversationCount: Int { streams.conversations.count }

    /// How long a frame may spend on the display filter: under a flood, or on a million stored
    /// packets, the filter catches up over several frames and keys never wait for it.
    static let filterBudget = 0.008

    /// Whether the display filter has not yet looked at every packet the list could show.
    public var isFiltering: Bool { filter != nil && filteredUpTo < newestShown }

    /// Runs the display filter over more packets, for at most `budget` seconds.
    private func runFilter(budget: Double) {
        guard filterPass != nil else { return }
        let started = MonitorLoop.seconds()
        var batch = PacketStore.Batch()
        var at = max(filteredUpTo + 1, oldest)
        let to = newestShown
        while at <= to && MonitorLoop.seconds() - started < budget {
            let end = min(to, at + 4095)
            store.copy(numbered: at...end, into: &batch)
            for (i, shows) in filterPass!.matches(batch).enumerated() where shows { matching.append(batch.firstNumber + i) }
            filteredUpTo = end
            at = end + 1
        }
    }

    /// Shows only the packets `filter` keeps, as if typed at `/` (`tunscope -Y`).
    public func showOnly(_ filter: DisplayFilter) { setFilter(.display(filter)) }

    /// Applies a display filter (nil: show everything) and keeps the selection if it still shows.
    func setFilter(_ newFilter: ListFilter?) {
        filter = newFilter
        filterPass = newFilter.map { FilterPass($0, linkType: linkType) }
        matching = []
        filteredUpTo = oldest - 1
        if newFilter != nil { runFilter(budget: Self.filterBudget) }
        if let s = selected, shownIndex(of: s) == nil { selected = nil }
        if selected == nil { selectNewest() }
        listTop = 0
    }

    /// Browsing a file starts at its first packet, as Wireshark does; live, the list follows the newest.
    public func startAtFirstPacket() { follow = false }

    func selectNewest() {
        guard shownCount > 0 else { return }
        let n = shownNumber(at: shownCount - 1)
        if selected != n { select(n) }
    }

    func select(_ number: Int) {
        guard selected != number else { return }
        selected = number
        treeRow = 0
        treeTop = 0
    }
}

/// Where a streamed capture stands.
public enum StreamState: Sendable {
    case pipe, follow, ended

    var label: String {
        switch self {
        case .pipe: return "PIPE"
        case .follow: return "FOLLOW"
        case .ended: return "ENDED"
        }
    }
}

/// A line of input the monitor asks for: its kind says what Enter does with it.
struct Prompt {
    enum Kind {
        /// `write` saves the packets shown (filtered), `writeAll` every stored packet.
        case filter, target, write, writeAll, edit
        /// Where Follow stream's `w` saves the payload shown.
        case savePayload
        /// A line of data for tunscope's open connection (`d`).
        case data
    }

    var kind: Kind
    var text: String

    var label: String {
        switch kind {
        case .filter: return "filter (display filter, or bpf: BPF)"
        case .target: return "target (HOST:PORT)"
        case .write: return "write the packets shown to file"
        case .writeAll: return "write every packet to file"
        case .edit: return "edit and send (FIELD=VALUE ...)"
        case .savePayload: return "save the payload shown (raw) to file"
        case .data: return "send on the connection (\\r \\n \\t \\\\ \\xNN)"
        }
    }
}
