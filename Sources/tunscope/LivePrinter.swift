#if canImport(Glibc)
import Glibc
#endif
import Analysis
import App
import Capture
import DisplayFilter
import Verdicts
import Wire

/// Prints (and with -w records) what a live capture stores, until Ctrl-C, SIGTERM, SIGHUP, the
/// packet count, or the device going away; then says how many packets were captured, dropped
/// by the kernel and evicted.
struct LivePrinter {
    let output: OutputOptions
    /// -Y: only the packets it keeps are printed, recorded (-w) and counted by -c.
    var displayFilter: DisplayFilter?

    /// Opens the device (in `namespace`, if given), gives up root, and prints until the end.
    /// Asked now and then while printing: a reason to stop (the lab was removed), or nil.
    var stopReason: () -> String? = { nil }

    /// --drops: the kernel's verdict on each packet it drops (Verdicts).
    var verdicts = false

    /// `beside`: devices watched beside the one tunscope holds (the lab's outside interface).
    func capture(devices: [String], tap: Bool = false, namespace: String? = nil, watch: WatchOptions = .none,
                 beside: [String] = []) throws {
        Signals.catchStopSignals()
        let capture = try LiveOpening.open(devices: devices, tap: tap, namespace: namespace, filter: output.filter, watch: watch,
                                           timesProbes: false, beside: beside, store: PacketStore(limits: output.store.limits()))
        // Attached while still root (loading BPF and reading the kernel's symbols need it).
        let verdictPrinter = verdicts ? VerdictPrinter.start(namespace: namespace, format: output.format) : nil
        try Privileges.dropToInvokingUser()
        // The file first: a -w that cannot be written fails before anything says it listens.
        let writer = try output.writeFile.map { try CaptureFileWriter(path: $0, linkType: capture.linkType) }
        printError(LiveOpening.headline(capture))
        try run(capture, writer: writer, verdicts: verdictPrinter)
    }

    func run(_ capture: any LiveSource, writer: CaptureFileWriter?, verdicts: VerdictPrinter? = nil) throws {
        var verdicts = verdicts
        defer { verdicts?.tracer.stop() }
        LiveCapture.yieldToCapture()
        let store = capture.store
        var out = StandardOutput()
        var printer = PacketPrinter(format: output.format, hex: output.hex, linkType: capture.linkType,
                                     interfaceNames: capture.interfaceNames)
        var streams = StreamAnnotator(output, linkType: capture.linkType, filter: displayFilter)
        let selector = displayFilter.map { PacketSelector(filter: $0, linkType: capture.linkType) }
        var text = TextWriter(capacity: 1 << 16)  // the records of one batch taken from the store
        var next = 1  // the number of the next packet to take from the store
        var kept = 0  // packets -Y kept (all of them without -Y)
        var missed = 0
        var batch = PacketStore.Batch()
        let limit = output.count ?? Int.max
        // Take what capture stored since the last look, a few hundred at a time so the store's
        // lock is never held for long. Packets evicted before we got to them are counted, never
        // silently skipped.
        // With verdicts, packets wait until a drop of theirs has had time to come (`final`: the
        // capture ended, nothing more will).
        // -w into pcapng with --drops: the verdicts go into the file as the packets' comments.
        let commentsInFile = verdicts != nil && writer.map { CaptureFileWriter.isPcapng($0.path) } == true
        func drain(final: Bool = false) {
            store.prepareSpace()
            // Without -Y, -c is a packet number; with it, a count of packets kept, so read on.
            var upTo = min(store.newestNumber, selector == nil ? limit : Int.max, next + 511)
            let printableBefore = final ? Int64.max : VerdictPrinter.printableBefore()
            text.removeAll()
            verdicts?.collect(into: &text)
            guard upTo >= next else { return writeUnmatchedDrops(upTo: printableBefore) }
            store.copy(numbered: next...upTo, into: &batch)
            if verdicts != nil && !final {
                var ready = 0, seen = 0
                batch.forEach { _, seconds, microseconds, _ in
                    if ready == seen && Int64(seconds) * 1_000_000 + Int64(microseconds) < printableBefore { ready += 1 }
                    seen += 1
                }
                if ready == 0 { return writeUnmatchedDrops(upTo: printableBefore) }
                if ready < batch.count {
                    upTo = batch.firstNumber + ready - 1
                    store.copy(numbered: next...upTo, into: &batch)
                }
            }
            missed += batch.firstNumber - next
            if selector == nil {
                // Into pcapng with verdicts, each packet goes with its verdict as its comment, below.
                if !commentsInFile { writer?.write(batch) }
                kept = upTo  // evicted ones count toward -c too, as they always did
            }
            var lastTime = Int64.min
            // With -q, packets are still offered to -Y and to the drops (counted in the last line).
            if !output.quiet || selector != nil || verdicts != nil {
                var number = batch.firstNumber
                batch.forEach { bytes, seconds, microseconds, originalLength in
                    defer { number += 1 }
                    guard kept < limit || selector == nil else { return }
                    let packet = CapturedPacket(bytes: Bytes(bytes), seconds: seconds, microseconds: microseconds,
                                                originalLength: originalLength)
                    let annotation = streams.annotate(packet, number: number)
                    // Every packet takes its drop, so that one -Y leaves out is not reported as not captured.
                    lastTime = Int64(seconds) * 1_000_000 + Int64(microseconds)
                    let drop = verdicts?.drop(of: packet, number: number, linkType: capture.linkType)
                    let comment = drop.map { "kernel dropped it: " + $0.verdict }
                    if let selector {
                        guard selector.keeps(packet, number: number, annotation: annotation) else { return }
                        writer?.write(packet, comment: comment)
                        kept += 1
                    } else if commentsInFile {
                        writer?.write(packet, comment: comment)
                    }
                    if !output.quiet {
                        printer.format(packet, number: number, annotation: annotation, verdict: drop?.verdict, into: &text)
                        if let drop { verdicts?.annotate(drop, into: &text) }
                    }
                }
            }
            next = upTo + 1
            // Every packet up to the last printed one has been offered its drops; when capture
            // has caught up, every packet up to the hold's edge has.
            writeUnmatchedDrops(upTo: next > store.newestNumber ? printableBefore : lastTime)
        }
        func writeUnmatchedDrops(upTo time: Int64) {
            verdicts?.writeUnmatched(upTo: time, into: &text)
            if !text.isEmpty && !output.quiet {
                text.withBytes { out.write($0) }
                out.flush()
            }
            text.removeAll()
        }
        var stoppedBecause: String?
        while Signals.stopSignal == 0 && capture.isRunning && kept < limit && writer?.failure == nil {
            let before = next
            drain()
            if next == before {
                if let reason = stopReason() {
                    stoppedBecause = reason
                    break
                }
                usleep(2_000)
            }
        }
        capture.stop()
        if verdicts != nil { usleep(UInt32(DropMatcher.hold)) }  // the last packets' drops
        while next <= store.newestNumber && kept < limit { drain(final: true) }
        text.removeAll()
        verdicts?.collect(into: &text)
        writeUnmatchedDrops(upTo: .max)
        if let failure = writer?.failure {
            // The disk is full (or the file went away): stop, say so; what fit is in the file.
            try? writer?.close()
            printError("\(counted(next - 1, "packet")) captured when writing failed")
            throw RuntimeError("\(failure.description); the packets before that are in the file")
        }
        try writer?.close()
        let dropped = capture.kernelDropped.map(String.init) ?? "unknown"
        let captured = next - 1
        printError("\(counted(captured, "packet")) captured, \(dropped) dropped by the kernel, \(store.counts.evicted) evicted"
                   + (missed > 0 ? " (\(missed) evicted before they were printed or written)" : "")
                   + (selector != nil ? ", \(kept) kept by -Y" : "")
                   + (verdicts.map { "; \($0.summary)" } ?? ""))
        if let stoppedBecause { throw RuntimeError(stoppedBecause) }
        if let failure = capture.failure {
            let kept = output.writeFile.map { ": what was captured (\(counted(captured - missed, "packet"))) is in \($0)" } ?? ""
            throw RuntimeError("\(failure.description)\(kept)")
        }
    }
}
