#if canImport(Glibc)
import Glibc
#endif
import Capture
import Wire

/// Prints (and with -w records) what a live capture stores, until Ctrl-C, SIGTERM, SIGHUP, the
/// packet count, or the device going away; then says how many packets were captured, dropped
/// by the kernel and evicted.
struct LivePrinter {
    let output: OutputOptions

    func run(_ capture: LiveCapture) throws {
        let store = capture.store
        let writer = try output.writeFile.map { try CaptureFileWriter(path: $0, linkType: capture.device.linkType) }
        var out = StandardOutput()
        var printer = PacketPrinter(format: output.format, hex: output.hex, linkType: capture.device.linkType)
        var next = 1
        var handled = 0
        var missed = 0
        let limit = output.count ?? Int.max
        // Take what capture stored since the last look; packets evicted before we got to them are
        // counted, never silently skipped.
        func drain() {
            let total = store.counts.total
            guard total >= next else { return }
            let batch = store.packets(numbered: next...total)
            if let first = batch.first { missed += first.number - next }
            for p in batch where handled < limit {
                writer?.write(p.packet)
                if !output.quiet { out.write(printer.format(p.packet, number: p.number)) }
                handled += 1
            }
            out.flush()
            next = total + 1
        }
        while Signals.stopSignal == 0 && capture.isRunning && handled < limit {
            drain()
            usleep(2_000)
        }
        capture.stop()
        drain()
        try writer?.close()
        let dropped = capture.kernelDropped.map(String.init) ?? "unknown"
        printError("\(handled) packets captured, \(dropped) dropped by the kernel, \(store.counts.evicted) evicted"
                   + (missed > 0 ? " (\(missed) evicted before they were printed or written)" : ""))
        if let failure = capture.failure {
            let kept = output.writeFile.map { ": the \(handled) packets captured are in \($0)" } ?? ""
            throw RuntimeError("\(failure.description)\(kept)")
        }
    }
}
