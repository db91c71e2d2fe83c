#if canImport(Glibc)
import Glibc
#endif
import CTun
import Synchronization

/// What a capture thread and its owner share (LiveCapture's and WatchCapture's): whether to stop
/// and whether it runs, why it failed, the kernel's drop count, packets queued for the thread to
/// write or inject, and two pipes: one that wakes the thread from poll, one it writes to after
/// storing packets for whoever waits on it.
final class CaptureThreadState<Outgoing: Sendable>: Sendable {
    let stopRequested = Atomic<Bool>(false)
    let running = Atomic<Bool>(true)
    let failure = Mutex<CaptureError?>(nil)
    let drops = Mutex<Int?>(nil)
    /// A pipe `stop()` and `queue` write to, so a capture thread waiting in poll wakes at once.
    let wake = nonBlockingPipe()
    /// What the capture thread is to write into the device (or inject).
    private let outbox = Mutex<[Outgoing]>([])
    let outboxWaiting = Atomic<Bool>(false)
    private let sendErrors = Mutex<[String]>([])
    /// A pipe the capture thread writes to after storing packets, once someone waits on it.
    let arrivals = nonBlockingPipe()
    private let arrivalsWanted = Atomic<Bool>(false)
    /// Given when the capture thread is done.
    let finished = Handoff<Bool>()
    /// Descriptors the owner's table still holds while a capture thread with a table of its own
    /// uses them (so that ss -p, lsof and fuser show them as tunscope's), closed at `stop()`.
    let ownerCopies = Mutex<[Int32]>([])

    private static func nonBlockingPipe() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = tunscope_pipe_cloexec(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return (fds[0], fds[1])
    }

    /// Reads whatever is in the pipe `fd`, so it stops polling as readable.
    private static func drain(_ fd: Int32) {
        var sink: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while withUnsafeMutableBytes(of: &sink, { read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Closes the pipes' descriptors in the owner's table (a capture thread with a table of its
    /// own closes its copies when it ends).
    func closePipes() {
        for fd in [wake.read, wake.write, arrivals.read, arrivals.write] { close(fd) }
    }

    /// The capture thread is done (it calls this last).
    func finish() {
        running.store(false, ordering: .releasing)
        finished.put(true)
    }

    /// The capture thread's side of `wakeThread`: empties the pipe once woken.
    func drainWake() { Self.drain(wake.read) }

    func wakeThread() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    /// Queues `item` for the capture thread and wakes it.
    func queue(_ item: Outgoing) {
        outbox.withLock {
            $0.append(item)
            outboxWaiting.store(true, ordering: .releasing)
        }
        wakeThread()
    }

    /// What was queued since the last call (the capture thread's side).
    func takeOutbox() -> [Outgoing] {
        outbox.withLock { queued in
            outboxWaiting.store(false, ordering: .releasing)
            defer { queued.removeAll() }
            return queued
        }
    }

    func sendFailed(_ error: Error) {
        sendErrors.withLock { $0.append("\(error)") }
    }

    func takeSendErrors() -> [String] {
        sendErrors.withLock { errors in
            defer { errors.removeAll() }
            return errors
        }
    }

    /// Tells whoever waits in `waitForPackets` that the store has more (the capture thread's side).
    func notifyArrivals() {
        if arrivalsWanted.load(ordering: .relaxed) {
            var byte: UInt8 = 1
            _ = write(arrivals.write, &byte, 1)
        }
    }

    /// Waits until `store` holds a packet newer than `number`, or `timeoutMilliseconds` pass.
    func waitForPackets(in store: PacketStore, after number: Int, timeoutMilliseconds: Int32) {
        arrivalsWanted.store(true, ordering: .relaxed)
        guard store.newestNumber <= number, running.load(ordering: .acquiring) else { return }
        var p = pollfd(fd: arrivals.read, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, timeoutMilliseconds)
        Self.drain(arrivals.read)
    }

    /// Asks the capture thread to stop and waits (at most a second) until it has; closes the
    /// owner's copies of its descriptors.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        wakeThread()
        _ = finished.take(timeoutMilliseconds: 1000)
        ownerCopies.withLock { copies in
            for fd in copies { close(fd) }
            copies = []
        }
    }
}
