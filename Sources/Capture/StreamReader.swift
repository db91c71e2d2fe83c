#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Reads a capture stream (a pipe, a file that grows) on a thread of its own and hands the
/// packets over in batches: a batch when it is full, and whatever has been read the moment the
/// stream would wait for more bytes. A fast stream goes over in big batches (cheap per packet);
/// a slow one packet by packet, as each arrives.
public final class StreamReader: @unchecked Sendable {  // `batch` belongs to the reading thread
    public let reader: CaptureFileReader
    public let stream: CaptureStream
    private let batchSize: Int
    private var batch: [CapturedPacket] = []
    private var deliver: @Sendable ([CapturedPacket]) -> Void = { _ in }
    private let done = Atomic<Bool>(false)
    private let read = Atomic<Int>(0)
    private let failure = Mutex<String?>(nil)

    public init(reader: CaptureFileReader, batchSize: Int = 4096) {
        self.reader = reader
        guard let stream = reader.stream else { preconditionFailure("StreamReader reads a CaptureFileReader made from a CaptureStream") }
        self.stream = stream
        self.batchSize = batchSize
    }

    /// Whether the stream has ended (its writer closed it, it was damaged, or it was stopped)
    /// and every packet read was handed over.
    public var isDone: Bool { done.load(ordering: .acquiring) }
    /// Packets read so far.
    public var count: Int { read.load(ordering: .relaxed) }
    /// Why the stream ended early (damage), or nil.
    public var error: String? { failure.withLock { $0 } }

    /// Starts the reading thread; `deliver` gets each batch on it, in order, and a last empty
    /// batch at the end (after which `isDone` is true).
    public func start(deliver: @escaping @Sendable ([CapturedPacket]) -> Void) {
        self.deliver = deliver
        batch.reserveCapacity(batchSize)
        stream.willWait = { [unowned self] in handOver() }
        startThread { [self] in
            do {
                while let p = try reader.next() {
                    batch.append(p)
                    read.add(1, ordering: .relaxed)
                    if batch.count >= batchSize { handOver() }
                }
            } catch {
                // A stop mid-record is not damage: it is where the user stopped.
                if !stream.isStopped { failure.withLock { $0 = "\(error)" } }
            }
            handOver()
            done.store(true, ordering: .releasing)
            deliver([])
        }
    }

    /// Ends the reading within one wait step (50 ms); does not wait for it.
    public func stop() { stream.stop() }

    /// Waits at most `milliseconds` for the reading thread to finish (after `stop()`, so that
    /// exit does not tear down stdio under a read in progress).
    public func waitUntilDone(milliseconds: Int) {
        var left = milliseconds
        while !isDone && left > 0 {
            usleep(5_000)
            left -= 5
        }
    }

    private func handOver() {
        guard !batch.isEmpty else { return }
        let full = batch
        batch.removeAll(keepingCapacity: true)
        deliver(full)
    }
}
