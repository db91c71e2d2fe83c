#if canImport(Glibc)
import Glibc
#endif
import Capture
import Probe
import Wire

/// tunscope as the host at the far end of a live tun: a capture, a Prober, and the loop that
/// hands the prober every packet the store gets (in the store's order: each sent packet before
/// any answer to it) and writes what the prober answers. Used by `tunscope send` and the screen.
public final class LiveHost {
    public let capture: LiveCapture
    public private(set) var prober: Prober
    /// The number of the next stored packet to hand to the prober.
    private var next: Int
    /// Stored packets evicted before the prober saw them.
    public private(set) var missed = 0

    public init(capture: LiveCapture, ownAddresses: Set<IPAddress>, seed: UInt64 = LiveHost.randomSeed()) {
        self.capture = capture
        prober = Prober(ownAddresses: ownAddresses, seed: seed)
        next = capture.store.newestNumber + 1
    }

    /// Whether tunscope answers echo requests and resets segments for no connection, as a host does.
    public var actsAsHost: Bool {
        get { prober.actsAsHost }
        set { prober.actsAsHost = newValue }
    }

    /// Now, on the clock of packet timestamps (CLOCK_REALTIME, microseconds).
    public static func now() -> Microseconds {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Microseconds(t.tv_sec) * 1_000_000 + Microseconds(t.tv_nsec / 1_000)
    }

    /// From the system's random source: initial sequence numbers must not be guessable.
    public static func randomSeed() -> UInt64 { UInt64.random(in: 0...UInt64.max) }

    @discardableResult
    public func connect(_ config: TCPProbeConfig) -> Int {
        let (index, packets) = prober.connect(config, now: Self.now())
        write(packets)
        return index
    }

    /// A TCP probe with Linux's defaults and a random port and initial sequence number.
    public func tcpConfig(from source: IPAddress, to destination: IPAddress, port: UInt16) -> TCPProbeConfig {
        prober.tcpConfig(from: source, to: destination, port: port)
    }

    public func pingConfig(from source: IPAddress, to destination: IPAddress) -> EchoProbe.Config {
        prober.pingConfig(from: source, to: destination)
    }

    @discardableResult
    public func ping(_ config: EchoProbe.Config) -> Int {
        let (index, packets) = prober.ping(config, now: Self.now())
        write(packets)
        return index
    }

    /// Writes a packet by hand (a resend or an edited packet).
    public func sendByHand(_ packet: Bytes, what: String, note: String?) {
        write(prober.sendByHand(packet, what: what, note: note, now: Self.now()))
    }

    public func abortAll() {
        write(prober.abortAll(now: Self.now()))
    }

    /// Waits at most `maxWait` milliseconds (less when a probe's timer is due sooner) for packets,
    /// hands what the store got to the prober, runs due timers, and writes the answers.
    public func step(maxWait: Int32) {
        var wait = maxWait
        if let due = prober.nextDeadline {
            wait = Int32(clamping: min(Int64(maxWait), max(0, (due - Self.now() + 999) / 1_000)))
        }
        if wait > 0 { capture.waitForPackets(after: next - 1, timeoutMilliseconds: wait) }
        takeStored()
        write(prober.tick(now: Self.now()))
    }

    /// Why writes failed since the last call.
    public func takeSendErrors() -> [String] { capture.takeSendErrors() }

    private func takeStored() {
        let store = capture.store
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
            for p in packets {
                let time = Microseconds(p.packet.seconds) * 1_000_000 + Microseconds(p.packet.microseconds)
                switch p.direction {
                case .sent: prober.confirmSent(p.packet.bytes, time: time, number: p.number)
                case .received: write(prober.received(p.packet.bytes, time: time, number: p.number))
                }
            }
            next = last.number + 1
        }
    }

    private func write(_ packets: [Bytes]) {
        for p in packets { capture.send(p) }
    }
}
