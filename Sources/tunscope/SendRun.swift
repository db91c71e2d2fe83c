import App
import Probe
import Wire

/// The loop of `tunscope send`: starts probes on schedule, lets the live host run them, prints
/// each event as a line once the store has confirmed it, each connection's outcome once it
/// ends, and a summary. Ctrl-C resets what is still open, so no peer keeps half-open state.
struct SendRun {
    let host: LiveHost
    /// After the probes are idle, keep listening this long (a resend's answers); 0: stop at once.
    let stopAfterIdle: Double
    private var starts: [(at: Microseconds, start: (LiveHost) -> Void)] = []
    private var printed = 0
    private var reported = Set<Int>()
    private var out = StandardOutput()

    init(host: LiveHost, stopAfterIdle: Double) {
        self.host = host
        self.stopAfterIdle = stopAfterIdle
    }

    mutating func schedule(count: Int, interval: Double, _ start: @escaping (LiveHost) -> Void) {
        let now = LiveHost.now()
        for k in 0..<count { starts.append((now + Microseconds(Double(k) * interval * 1_000_000), start)) }
    }

    /// Runs until every probe is done (or a stop signal, or the device going away); whether all succeeded.
    mutating func untilDone() throws -> Bool {
        var idleSince: Microseconds?
        var aborted = false
        while true {
            let now = LiveHost.now()
            while let first = starts.first, first.at <= now, !aborted {
                starts.removeFirst()
                first.start(host)
            }
            if Signals.stopSignal != 0 && !aborted {
                aborted = true
                starts.removeAll()
                host.abortAll()
            }
            let untilNextStart = starts.first.map { Int32(clamping: max(0, ($0.at - now) / 1_000)) } ?? 100
            host.step(maxWait: min(100, untilNextStart))
            printNew()
            guard host.capture.isRunning else {
                throw RuntimeError(host.capture.failure?.description ?? "capture stopped")
            }
            try stopOnWriteFailure()
            let idle = starts.isEmpty && host.snapshot.isIdle
            if idle && idleSince == nil { idleSince = LiveHost.now() }
            if !idle { idleSince = nil }
            let lingered = idleSince.map { LiveHost.now() - $0 >= Microseconds(stopAfterIdle * 1_000_000) } ?? false
            // Done once idle, everything sent is confirmed (so printed), and the linger is over;
            // the confirmations of the last packets take at most a moment.
            if lingered && (host.snapshot.allSendsConfirmed || LiveHost.now() - idleSince! > 1_000_000) { break }
        }
        try stopOnWriteFailure()
        printNew(final: true)
        return summarize(aborted: aborted)
    }

    /// A packet the device refused (it is down, or the kernel found it invalid) ends the run as
    /// "could not run" (2): it was not sent, so it is never shown as SENT, and the probes that
    /// depend on it could only time out.
    private func stopOnWriteFailure() throws {
        let failures = host.takeSendErrors()
        guard !failures.isEmpty else { return }
        throw RuntimeError(failures.map { "could not write a packet: \($0)" }.joined(separator: "\n"))
    }

    /// Prints the log up to the first sent packet the store has not confirmed yet (its time
    /// and number are not final), then the outcome of each connection whose events are all out.
    private mutating func printNew(final: Bool = false) {
        let prober = host.snapshot
        while printed < prober.log.count {
            let entry = prober.log[printed]
            let e = prober.event(entry)
            if e.way == .sent && e.packetNumber == nil && !final { break }
            out.write(prober.line(for: entry) + "\n")
            printed += 1
        }
        if printed == prober.log.count {
            for (i, c) in prober.connections.enumerated() where c.isFinished && !reported.contains(i) {
                reported.insert(i)
                out.write(Self.outcomeLine(c) + "\n")
            }
        }
        out.flush()
    }

    static func outcomeLine(_ c: TCPProbe) -> String {
        let word = c.outcome?.description ?? c.state.rawValue
        var line = "\(word) \(endpoint(c.config.source, c.config.sourcePort)) > \(endpoint(c.config.destination, c.config.destinationPort))"
        if let rtt = c.rtt { line += " rtt=\(formatDuration(rtt))" }
        if let outcome = c.outcome, case let .unreachable(code) = outcome { line += " code=\(code)" }
        if c.state.rawValue != word && c.state != .established { line += " (then \(c.state.rawValue))" }
        if !c.response.isEmpty {
            line += ", response \(c.response.count) bytes:\n" + Self.printable(c.response)
        }
        return line
    }

    /// The response as text, one indented line per line; bytes that are not printable as `\xNN`.
    static func printable(_ bytes: Bytes) -> String {
        var text = "    "
        for b in bytes.prefix(4096) {
            switch b {
            case 0x0a: text += "\n    "
            case 0x0d: break
            case 0x20..<0x7f, 0x09: text.unicodeScalars.append(Unicode.Scalar(b))
            default: text += "\\x" + String(b, radix: 16)
            }
        }
        if bytes.count > 4096 { text += "\n    ... (\(bytes.count - 4096) more bytes)" }
        return text
    }

    private mutating func summarize(aborted: Bool) -> Bool {
        let prober = host.snapshot
        var lines: [String] = []
        var ok = !aborted
        if !prober.connections.isEmpty {
            var counts: [String: Int] = [:]
            for c in prober.connections { counts[c.outcome?.description ?? "STOPPED", default: 0] += 1 }
            let words = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            let n = prober.connections.count
            lines.append("\(n) connection\(n == 1 ? "" : "s"): \(words)")
            let rtts = prober.connections.compactMap(\.rtt)
            if !rtts.isEmpty { lines.append("rtt (SYN to SYN-ACK) min/avg/max = \(Self.minAvgMax(rtts))") }
            let latencies = prober.connections.compactMap(\.commandToWire)
            if !latencies.isEmpty { lines.append("command to SYN written min/avg/max = \(Self.minAvgMax(latencies))") }
            ok = ok && prober.connections.allSatisfy { $0.outcome?.isSuccess ?? false }
        }
        for p in prober.pings {
            lines.append("ping \(p.config.destination): \(p.sent) sent, \(p.received) received")
            if !p.rtts.isEmpty { lines.append("rtt min/avg/max = \(Self.minAvgMax(p.rtts))") }
            ok = ok && p.isSuccess
        }
        if host.missed > 0 { lines.append("\(host.missed) packets were evicted from the store before they were looked at") }
        for line in lines { out.write(line + "\n") }
        out.flush()
        return ok
    }

    static func minAvgMax(_ values: [Microseconds]) -> String {
        let avg = values.reduce(0, +) / Microseconds(values.count)
        return [values.min()!, avg, values.max()!].map { formatFixed($0, divisor: 1_000) }.joined(separator: "/") + " ms"
    }
}
