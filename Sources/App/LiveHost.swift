#if canImport(Glibc)
import Glibc
#endif
import Capture
import Probe
import Synchronization
import Wire

/// tunscope as the host at the far end of a live tun: a capture, a Prober, and the loop that
/// hands the prober every packet the store gets (in the store's order: each sent packet before
/// any answer to it) and writes what the prober answers. `tunscope send` runs the loop itself
/// (`step`); the screen runs it on a thread of its own (`start`), so answers never wait for a
/// frame, and reads the prober through `snapshot`.
public final class LiveHost: Sendable {
    public let capture: LiveCapture
    private let prober: Mutex<Prober>
    /// What only the loop's thread touches: the next stored packet to hand over, and how many
    /// were evicted before it got to them.
    private let progress: Mutex<(next: Int, missed: Int)>
    private let stopped = Atomic<Bool>(false)

    public init(capture: LiveCapture, ownAddresses: Set<IPAddress>, seed: UInt64 = LiveHost.randomSeed()) {
        self.capture = capture
        prober = Mutex(Prober(ownAddresses: ownAddresses, seed: seed))
        progress = Mutex((capture.store.newestNumber + 1, 0))
    }

    /// The probes and their timelines as they are now (a copy: the loop goes on).
    public var snapshot: Prober { prober.withLock { $0 } }

    /// Stored packets evicted before the prober saw them.
    public var missed: Int { progress.withLock { $0.missed } }

    /// Whether tunscope answers echo requests and resets segments for no connection, as a host does.
    public var actsAsHost: Bool {
        get { prober.withLock { $0.actsAsHost } }
        set { prober.withLock { $0.actsAsHost = newValue } }
    }

    /// Now, on the clock of packet timestamps (CLOCK_REALTIME, microseconds).
    public static func now() -> Microseconds {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Microseconds(t.tv_sec) * 1_000_000 + Microseconds(t.tv_nsec / 1_000)
    }

    /// From the system's random source: initial sequence numbers must not be guessable.
    public static func randomSeed() -> UInt64 { UInt64.random(in: 0...UInt64.max) }

    /// Starts a connection; its index among the prober's connections.
    @discardableResult
    public func connect(_ config: TCPProbeConfig) -> Int {
        let (index, packets) = prober.withLock { $0.connect(config, now: Self.now()) }
        write(packets)
        return index
    }

    /// A TCP probe with Linux's defaults and a random port and initial sequence number.
    public func tcpConfig(from source: IPAddress, to destination: IPAddress, port: UInt16) -> TCPProbeConfig {
        prober.withLock { $0.tcpConfig(from: source, to: destination, port: port) }
    }

    public func pingConfig(from source: IPAddress, to destination: IPAddress) -> EchoProbe.Config {
        prober.withLock { $0.pingConfig(from: source, to: destination) }
    }

    @discardableResult
    public func ping(_ config: EchoProbe.Config) -> Int {
        let (index, packets) = prober.withLock { $0.ping(config, now: Self.now()) }
        write(packets)
        return index
    }

    /// Writes a packet by hand (a resend or an edited packet).
    public func sendByHand(_ packet: Bytes, what: String, note: String?) {
        write(prober.withLock { $0.sendByHand(packet, what: what, note: note, now: Self.now()) })
    }

    /// Sends data on tunscope's connection `index`; close with a FIN or a reset.
    public func write(_ data: Bytes, connection index: Int, note: String) {
        write(prober.withLock { $0.write(data, connection: index, note: note, now: Self.now()) })
    }

    public func close(connection index: Int) {
        write(prober.withLock { $0.close(connection: index, now: Self.now()) })
    }

    public func reset(connection index: Int) {
        write(prober.withLock { $0.reset(connection: index, now: Self.now()) })
    }

    public func abortAll() {
        write(prober.withLock { $0.abortAll(now: Self.now()) })
    }

    /// Waits at most `maxWait` milliseconds (less when a probe's timer is due sooner) for packets,
    /// hands what the store got to the prober, runs due timers, and writes the answers.
    public func step(maxWait: Int32) {
        var wait = maxWait
        if let due = prober.withLock({ $0.nextDeadline }) {
            wait = Int32(clamping: min(Int64(maxWait), max(0, (due - Self.now() + 999) / 1_000)))
        }
        let next = progress.withLock { $0.next }
        if wait > 0 { capture.waitForPackets(after: next - 1, timeoutMilliseconds: wait) }
        takeStored()
        write(prober.withLock { $0.tick(now: Self.now()) })
    }

    /// Runs `step` on a thread of its own until `stop()`.
    public func start() {
        startThread { [self] in
            while !stopped.load(ordering: .acquiring) && capture.isRunning { step(maxWait: 50) }
        }
    }

    public func stop() { stopped.store(true, ordering: .releasing) }

    /// Why writes failed since the last call.
    public func takeSendErrors() -> [String] { capture.takeSendErrors() }

    private func takeStored() {
        let store = capture.store
        var (next, missed) = progress.withLock { $0 }
        defer { progress.withLock { $0 = (next, missed) } }
        while next <= store.newestNumber {
            let packets = store.packets(numbered: next...min(store.newestNumber, next + 511))
            guard let last = packets.last else {
                // Everything asked for was evicted already.
                let newest = store.newestNumber
                missed += newest - next + 1
                next = newest + 1
                return
            }
            missed += packets[0].number - next
            var answers: [Bytes] = []
            prober.withLock { prober in
                for p in packets {
                    // The prober sees the tun's raw IP packets only, never the copies of devices
                    // watched beside it (the lab's outside interface).
                    guard let bytes = capture.farEndBytes(p.packet.bytes) else { continue }
                    let time = Microseconds(p.packet.seconds) * 1_000_000 + Microseconds(p.packet.microseconds)
                    switch p.direction {
                    case .sent: prober.confirmSent(bytes, time: time, number: p.number)
                    case .received: answers += prober.received(bytes, time: time, number: p.number)
                    }
                }
            }
            write(answers)
            next = last.number + 1
        }
    }

    private func write(_ packets: [Bytes]) {
        for p in packets { capture.send(p) }
    }
}
