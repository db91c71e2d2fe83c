import Wire

/// Microseconds since the Unix epoch: the clock of packet timestamps, so a probe's times can be
/// set against tcpdump's. Probes never read a clock: every call is given `now`, so tests drive
/// them through seconds of retransmissions without waiting.
public typealias Microseconds = Int64

/// One step of a probe, as the screen's ladder and `tunscope send` show it.
public struct TimelineEvent: Sendable, Equatable {
    public enum Way: Sendable, Equatable {
        /// tunscope wrote it into the device.
        case sent
        /// tunscope read it from the device.
        case received
        /// Nothing crossed the wire: a timer ran out, a state changed.
        case note
    }

    public var way: Way
    /// When: for a packet, when it was written or read; once the store has the packet, its timestamp.
    public var time: Microseconds
    /// What it was: "SYN", "SYN-ACK", "ACK", "RST-ACK", "FIN-ACK", "echo request", "TIMEOUT".
    public var what: String
    /// Sequence and acknowledgment numbers as on the wire (TCP only; ack only when ACK is set).
    public var seq: UInt32?
    public var ack: UInt32?
    /// The same, counted from each side's initial sequence number, as Wireshark shows them.
    public var relativeSeq: UInt32?
    public var relativeAck: UInt32?
    /// Payload bytes (TCP data, echo data).
    public var payloadLength = 0
    /// Why it matters, in words: "retransmission #1", "rtt 0.052 ms", "ack 7 is not ours".
    public var note: String?
    /// The packet's bytes (empty for a note).
    public var packet: Bytes = []
    /// Its number in the packet store, once the store has it.
    public var packetNumber: Int?

    public init(way: Way, time: Microseconds, what: String, note: String? = nil, packet: Bytes = []) {
        self.way = way
        self.time = time
        self.what = what
        self.note = note
        self.packet = packet
    }

    mutating func addNote(_ text: String) {
        note = note.map { "\($0); \(text)" } ?? text
    }
}

/// A duration as people read it: "0.052 ms", "1.004 s".
public func formatDuration(_ us: Microseconds) -> String {
    if abs(us) < 1_000_000 {
        return formatFixed(us, divisor: 1_000) + " ms"
    }
    return formatFixed(us / 1_000, divisor: 1_000) + " s"
}

/// `value / divisor` with three decimals, without Foundation.
public func formatFixed(_ value: Int64, divisor: Int64) -> String {
    let sign = value < 0 ? "-" : ""
    let v = abs(value)
    let fraction = String(v % divisor * 1_000 / divisor)
    return "\(sign)\(v / divisor).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}

/// A small, seedable random source (SplitMix64): initial sequence numbers, ports and echo
/// identifiers, reproducible in tests.
public struct ProbeRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
