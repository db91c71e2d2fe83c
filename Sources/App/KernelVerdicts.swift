import Capture
import Verdicts
import Wire

/// The kernel's verdicts on the screen: the drops the tracer reports, tied to the stored packets
/// they belong to by their bytes (`DropMatcher`), as `print --drops` ties them. Brought up to
/// date once a frame: stored packets are offered to the matcher once their drop has had time to
/// come (`DropMatcher.hold`), a bounded number a frame.
public final class KernelVerdicts {
    /// Packets offered a frame at most: under a flood the walk catches up over frames.
    static let packetsPerFrame = 8192

    private let tracer: DropSource?
    private var matcher = DropMatcher()
    /// The verdict on each stored packet the kernel dropped, by number.
    private(set) var byPacket: [Int: DropEvent] = [:]
    /// The packets offered so far.
    private var offeredUpTo = 0
    private(set) var reported = 0
    /// Drops given up on unmatched because too many waited (the screen fell behind a storm).
    private(set) var unmatched = 0

    /// `tracer`: the running tracer; nil to be given drops by `add` (tests).
    public init(tracer: DropSource?) {
        self.tracer = tracer
    }

    public func stop() { tracer?.stop() }

    /// Drops the kernel did not deliver: the ring buffer was full.
    public var undelivered: UInt64? { tracer?.undelivered }

    func verdict(ofPacket number: Int) -> DropEvent? { byPacket[number] }

    /// Takes drops in (the tracer's, or a test's).
    func add(_ drops: [DropEvent]) {
        reported += drops.count
        for (drop, packet) in matcher.add(drops) {
            if packet == nil { unmatched += 1 } else { settle(drop, packet: packet) }
        }
    }

    /// Takes the tracer's new drops and offers the packets stored since the last call, up to
    /// `now` less the hold; returns the drops of packets not captured that this call settled.
    @discardableResult
    func update(store: PacketStore, linkType: LinkType, now: Int64 = DropMatcher.wallClock()) -> [DropEvent] {
        settledNow = []
        if let tracer { add(tracer.take()) }
        let counts = store.counts
        let oldest = counts.total - counts.stored + 1
        if offeredUpTo < oldest - 1 { offeredUpTo = oldest - 1 }  // evicted before they were offered
        var settledUpTo = now - DropMatcher.hold
        let last = min(store.newestNumber, offeredUpTo + Self.packetsPerFrame)
        if last > offeredUpTo {
            for p in store.packets(numbered: (offeredUpTo + 1)...last) {
                let time = Int64(p.packet.seconds) * 1_000_000 + Int64(p.packet.microseconds)
                if time > now - DropMatcher.hold { break }
                let start = Dissector.networkLayerStart(p.packet.bytes, linkType: linkType)
                if let drop = matcher.verdict(for: p.packet.bytes, at: start, number: p.number) { byPacket[p.number] = drop }
                offeredUpTo = p.number
            }
            if offeredUpTo < store.newestNumber, let next = store.packet(number: offeredUpTo + 1) {
                settledUpTo = min(settledUpTo, Int64(next.packet.seconds) * 1_000_000 + Int64(next.packet.microseconds))
            }
        }
        for (drop, packet) in matcher.expired(upTo: settledUpTo) { settle(drop, packet: packet) }
        forgetEvicted(before: oldest)
        return settledNow
    }

    /// The drops of packets tunscope did not capture (a forwarded copy, a reply dropped on its
    /// way) that the current `update` settled: the screen says them, keeps none.
    private var settledNow: [DropEvent] = []

    /// A drop no packet took as it was offered: of an earlier packet of the same bytes (dropped a
    /// while after it came), or of one not captured.
    private func settle(_ drop: DropEvent, packet: Int?) {
        if let packet {
            byPacket[packet] = drop
        } else {
            settledNow.append(drop)
        }
    }

    /// Verdicts on packets the store no longer holds, now and then.
    private func forgetEvicted(before oldest: Int) {
        guard byPacket.count > 4096, byPacket.keys.contains(where: { $0 < oldest }) else { return }
        byPacket = byPacket.filter { $0.key >= oldest }
    }
}

extension DropEvent {
    /// What the screen says of a drop of a packet not captured.
    var notCapturedLine: String {
        var headers = TextWriter(capacity: 128)
        writeHeaders(into: &headers)
        return "kernel dropped a packet not captured\(device.isEmpty ? "" : " on \(device)"): \(reason) in \(location): \(headers.string)"
    }
}
