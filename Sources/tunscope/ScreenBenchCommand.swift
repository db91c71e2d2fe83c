#if canImport(Glibc)
import Glibc
#endif
import App
import ArgumentParser
import Capture
import Probe
import Screen
import Wire

/// `tunscope _bench-screen`: the screen's figures without a terminal in the way (used by
/// Benchmarks/screen.sh): the first frame and the frame cost with a capture file's packets,
/// memory once they are all stored, and from the key `s` to the SYN on the wire.
struct ScreenBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_bench-screen", shouldDisplay: false)

    @Option var file: String?
    @Option var device: String?
    @Option var target: String?
    @Option var frames = 200
    @Option var connections = 50
    @Option var floodDevice: String?
    @Option var seconds = 5.0

    func run() throws {
        try reportingFailures {
            if let file { try measureFile(file) }
            if let device, let target { try measureKeyToWire(device: device, target: target) }
            if let floodDevice { try measureKeysUnderFlood(device: floodDevice) }
        }
    }

    /// The monitor as `tunscope -r FILE` makes it, with a 160x48 frame.
    private func measureFile(_ path: String) throws {
        let start = MonitorLoop.seconds()
        let reader = try CaptureFileReader(path: path)
        let store = PacketStore(limits: .init(packets: 10_000_000, bytes: 2 << 30))
        let monitor = Monitor(store: store, host: nil, linkType: reader.linkType, sourceName: path, theme: .builtIn, lines: .unicode)
        let load = FileLoad(reader: reader, store: store)
        load.start()
        _ = monitor.refresh(now: 0)
        _ = monitor.render(width: 160, height: 48)
        let firstFrame = MonitorLoop.seconds() - start
        while !load.isDone { usleep(10_000) }
        let loaded = MonitorLoop.seconds() - start
        let count = store.counts.stored
        let all = frameCost(monitor)
        // The same frames with only the first 1,000 packets stored.
        let small = PacketStore()
        for p in store.packets(numbered: 1...1000) { small.append(p.packet) }
        let few = frameCost(Monitor(store: small, host: nil, linkType: reader.linkType, sourceName: path, theme: .builtIn,
                                    lines: .unicode))
        print("first frame:            \(ms(firstFrame)) ms after start (the file still loading)")
        print("all \(count) packets stored: \(ms(loaded)) ms after start")
        print("memory (VmRSS) with them: \(residentMiB()) MiB")
        print("frame cost, 1,000 stored:   \(ms(few)) ms (160x48, a packet selected, list, tree, hex)")
        print("frame cost, \(count) stored: \(ms(all)) ms")
        measureConversationViews(monitor)
        measureDisplayFilter(monitor)
    }

    /// Display filters typed at `/` applied over every stored packet, a frame's budget at a time:
    /// one on header fields, one on a field of a dissected protocol, one on stream analysis.
    private func measureDisplayFilter(_ m: Monitor) {
        for filter in ["tcp.flags.syn == 1 && ip.ttl < 64", "icmp.seq > 100", "tcp.analysis.flags"] {
            m.handle(.character("/"))
            m.handle(.control("u"))
            for c in filter { m.handle(.character(c)) }
            let start = MonitorLoop.seconds()
            m.handle(.enter)
            var frames = 0
            while m.isFiltering {
                _ = m.refresh(now: 0)
                frames += 1
            }
            print("display filter \(filter) over every packet: \(ms(MonitorLoop.seconds() - start)) ms over \(frames) frames, \(m.shownCount) shown")
        }
    }

    /// Stream analysis catching up over frames, then Conversations and Follow stream opened (on
    /// the packet in the middle of the capture, and on the first) with everything stored.
    private func measureConversationViews(_ m: Monitor) {
        var start = MonitorLoop.seconds()
        var frames = 0
        while m.isIndexingStreams {
            _ = m.refresh(now: 0)
            frames += 1
        }
        print("stream analysis of every packet: \(ms(MonitorLoop.seconds() - start)) ms over \(frames) frames; memory (VmRSS) then: \(residentMiB()) MiB")
        start = MonitorLoop.seconds()
        m.handle(.character("C"))
        _ = m.render(width: 160, height: 48)
        print("Conversations open (first frame, \(m.conversationCount) conversations): \(ms(MonitorLoop.seconds() - start)) ms")
        m.handle(.escape)
        for key: Key in [.character("g"), .character("G")] {
            m.handle(key)
            start = MonitorLoop.seconds()
            m.handle(.character("f"))
            _ = m.render(width: 160, height: 48)
            print("Follow stream open (\(key == .character("g") ? "first" : "last") packet's): \(ms(MonitorLoop.seconds() - start)) ms")
            m.handle(.escape)
        }
    }

    /// Average time to render a frame, the selection moving so nothing is cached between frames.
    private func frameCost(_ m: Monitor) -> Double {
        _ = m.refresh(now: 0)
        m.handle(.character("g"))
        let start = MonitorLoop.seconds()
        for i in 0..<frames {
            m.handle(.character(i % 50 < 25 ? "j" : "k"))
            _ = m.render(width: 160, height: 48)
        }
        return (MonitorLoop.seconds() - start) / Double(frames)
    }

    /// Presses `s` through the monitor and times each SYN from the key to the kernel's timestamp.
    private func measureKeyToWire(device: String, target text: String) throws {
        let t = try Target.parse(text, needsPort: true)
        guard let address = IPAddress(t.host), let port = t.port else { throw RuntimeError("--target: an IP address and a port") }
        let store = PacketStore()
        let capture = try LiveCapture(device: device, timesProbes: true, store: store)
        defer { capture.stop() }
        guard let me = capture.addresses.map({ IPAddress.v4($0.peer) }) else { throw RuntimeError("\(device) has no peer address") }
        let host = LiveHost(capture: capture, ownAddresses: [me])
        host.start()
        defer { host.stop() }
        let monitor = Monitor(store: store, host: host, linkType: .raw, sourceName: device, theme: .builtIn, lines: .unicode,
                              ownAddress: me, kernelAddress: nil, target: (address, port))
        var latencies: [Microseconds] = []
        for i in 0..<connections {
            let pressed = LiveHost.now()
            monitor.handle(.character("s"))
            var written: Microseconds?
            for _ in 0..<1000 {
                let p = host.snapshot
                if p.connections.count > i, let e = p.connections[i].timeline.first(where: { $0.way == .sent && $0.packetNumber != nil }) {
                    written = e.time
                    break
                }
                usleep(1_000)
            }
            if let written { latencies.append(written - pressed) }
            usleep(20_000)
        }
        host.abortAll()
        guard !latencies.isEmpty else { throw RuntimeError("no SYN was written") }
        let avg = latencies.reduce(0, +) / Microseconds(latencies.count)
        print("key s to SYN on the wire (kernel timestamp), \(latencies.count) presses: min/avg/max = "
              + [latencies.min()!, avg, latencies.max()!].map { formatFixed($0, divisor: 1_000) }.joined(separator: "/") + " ms")
    }

    /// While the device floods, keys go to the monitor (with a display filter catching up on
    /// every packet) and each is timed from the key to its frame rendered.
    private func measureKeysUnderFlood(device: String) throws {
        let store = PacketStore()
        let capture = try LiveCapture(device: device, store: store)
        defer { capture.stop() }
        let monitor = Monitor(store: store, host: nil, capture: capture, linkType: .raw, sourceName: device, theme: .builtIn,
                              lines: .unicode)
        monitor.handle(.character("/"))
        for c in "udp and len > 20" { monitor.handle(.character(c)) }
        monitor.handle(.enter)
        var times: [Double] = []
        let end = MonitorLoop.seconds() + seconds
        var i = 0
        while MonitorLoop.seconds() < end {
            let start = MonitorLoop.seconds()
            monitor.handle(.character(i % 20 < 10 ? "k" : "j"))
            _ = monitor.refresh(now: start)
            _ = monitor.render(width: 160, height: 48)
            times.append(MonitorLoop.seconds() - start)
            i += 1
            usleep(10_000)  // a fast typist: 100 keys a second
        }
        times.sort()
        print("under a flood: \(store.counts.total) packets captured in \(Int(seconds)) s; \(times.count) keys, key to frame "
              + "median \(ms(times[times.count / 2])) ms, 99th percentile \(ms(times[times.count * 99 / 100])) ms, "
              + "max \(ms(times.last!)) ms (a frame is 33 ms)")
    }

    private func ms(_ s: Double) -> String { formatFixed(Int64((s * 1e6).rounded()), divisor: 1_000) }

    private func residentMiB() -> Int {
        guard let f = fopen("/proc/self/status", "r") else { return -1 }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmRSS:") {
                let kb = text.split(separator: " ").compactMap { Int($0) }.first ?? 0
                return kb / 1024
            }
        }
        return -1
    }
}
