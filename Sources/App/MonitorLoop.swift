#if canImport(Glibc)
import Glibc
#endif
import Capture
import Curses
import Screen
import Wire

/// Runs the monitor on the terminal: keys in, frames out (only when something changed, at most
/// about 30 a second), and, with -w, every captured packet recorded as it comes. Capture and the
/// live host run on threads of their own, so a slow frame never holds a packet back.
public enum MonitorLoop {
    static let frameInterval = 1.0 / 30

    /// Runs until `q` or `shouldStop()` (a signal). The terminal is restored whatever the way out.
    public static func run(_ monitor: Monitor, noColor: Bool, record: CaptureFileWriter?, shouldStop: () -> Bool) {
        let terminal = Terminal(noColor: noColor)
        defer { terminal.end() }
        monitor.theme = monitor.theme.adapted(colors: terminal.colors, noColor: noColor || terminal.colors == 0)
        monitor.lines = terminal.lines
        var recordedUpTo = monitor.store.newestNumber - monitor.store.counts.stored
        var batch = PacketStore.Batch()
        var lastFrame = 0.0
        var dirty = true
        while !monitor.wantsQuit && !shouldStop() {
            // Ready the store's next memory here, so live capture does not stop for fresh pages.
            monitor.store.prepareSpace()
            if let record, record.failure == nil {
                recordedUpTo = recordNew(monitor.store, from: recordedUpTo, into: record, batch: &batch)
                if let failure = record.failure {
                    monitor.say("\(failure.description): recording stopped; the packets stay here (w writes them elsewhere)",
                                error: true)
                    dirty = true
                }
            }
            let now = seconds()
            if monitor.refresh(now: now) { dirty = true }
            if dirty && now - lastFrame >= frameInterval {
                let (width, height) = terminal.size
                terminal.draw(monitor.render(width: width, height: height))
                lastFrame = now
                dirty = false
            }
            let wait = dirty ? max(1, Int32((frameInterval - (seconds() - lastFrame)) * 1000)) : Int32(frameInterval * 1000)
            guard let key = terminal.readKey(timeoutMilliseconds: wait) else {
                if terminal.isHungUp { break }
                continue
            }
            if key == .control("l") { terminal.invalidate() }
            if key == .control("z") { suspend(terminal) }
            monitor.handle(key)
            dirty = true
        }
        if let record { _ = recordNew(monitor.store, from: recordedUpTo, into: record, batch: &batch) }
    }

    /// Writes the packets stored after `number` to the recording; the last number written.
    static func recordNew(_ store: PacketStore, from number: Int, into writer: CaptureFileWriter,
                          batch: inout PacketStore.Batch) -> Int {
        // Read once: capture goes on storing meanwhile, and a second look could skip past
        // packets this turn never copied. What comes after is the next turn's.
        let newest = store.newestNumber
        var done = number
        while done < newest {
            let upTo = min(newest, done + 4096)
            store.copy(numbered: (done + 1)...upTo, into: &batch)
            writer.write(batch)
            done = upTo
        }
        return done
    }

    /// Ctrl-Z as a key (some terminals send it when the signal is off): suspend as the shell would.
    static func suspend(_ terminal: Terminal) {
        raise(SIGTSTP)
        terminal.invalidate()
    }

    /// A monotonic clock in seconds, for frame pacing and timing.
    public static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
