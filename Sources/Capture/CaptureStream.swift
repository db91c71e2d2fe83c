#if canImport(Glibc)
import Glibc
#endif
import CTun
import Synchronization

/// A capture that arrives over time: standard input, a FIFO, or (`--follow`) a file another
/// program is still writing (`tcpdump -U -w FILE`). libpcap reads it through a stdio stream made
/// with fopencookie(3) whose reads wait for more bytes instead of ending, so libpcap never sees
/// the end of a file that is still growing: a record written half-way is waited for, not
/// reported as damage. A pipe ends when its writer closes it; a followed file only when told to
/// stop. Waiting is done in steps of at most 50 ms, so a stop (q, Ctrl-C) is seen at once and
/// nothing ever sits in a read(2) that cannot be ended.
public final class CaptureStream: @unchecked Sendable {  // the read side is used by one thread at a time
    public enum Kind: Sendable {
        /// Standard input or a FIFO: ends when the writer closes it.
        case pipe
        /// A regular file followed as `tail -f` does: never ends by itself.
        case follow
    }

    /// "stdin" or the path, for the status bar and messages.
    public let name: String
    public let kind: Kind
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let stopped = Atomic<Bool>(false)
    private let shouldStop: @Sendable () -> Bool
    /// Bytes handed to libpcap so far: a followed file that becomes shorter was cut or replaced.
    private var offset = 0
    /// Called on the reading thread just before a read waits for bytes that have not arrived:
    /// the moment to hand over the packets read so far (see StreamReader). It runs inside
    /// libpcap's read, so it must not use the reader.
    public var willWait: (() -> Void)?

    /// How long one wait lasts before the stop flag is looked at again.
    static let waitStep: Int32 = 50

    /// Opens `path` ("-": standard input). `follow`: keep reading a regular file as it grows.
    /// `shouldStop` is asked while waiting (a signal arrived); `stop()` does the same from
    /// another thread. Opening a FIFO waits for its writer, as cat does.
    public init(path: String, follow: Bool, shouldStop: @escaping @Sendable () -> Bool = { false }) throws {
        self.shouldStop = shouldStop
        if path == "-" {
            name = "stdin"
            guard isatty(0) != 1 else {
                throw CaptureError("-r -: standard input is a terminal, not a capture: pipe one in (tcpdump -U -w - | tunscope -r -)")
            }
            if follow {
                throw CaptureError("--follow is for a file that is still being written; standard input already waits for what the pipe brings (drop --follow)")
            }
            fd = 0
            ownsDescriptor = false
            kind = .pipe
            Self.enlargePipe(fd)
            return
        }
        name = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CaptureError("\(path): \(String(cString: strerror(errno)))")
        }
        let type = info.st_mode & S_IFMT
        let isFIFO = type == S_IFIFO
        if type == S_IFDIR { throw CaptureError("\(path): is a directory, not a capture file") }
        if follow && isFIFO {
            throw CaptureError("\(path) is a FIFO, which already waits for what its writer brings: --follow is for a regular file still being written (drop --follow)")
        }
        // A FIFO's open waits for a writer; a signal (Ctrl-C) interrupts it.
        var opened: Int32 = -1
        repeat {
            opened = open(path, O_RDONLY | O_CLOEXEC)
        } while opened < 0 && errno == EINTR && !shouldStop()
        guard opened >= 0 else {
            if shouldStop() { throw CaptureError("\(path): stopped before the capture began") }
            throw CaptureError("\(path): \(String(cString: strerror(errno)))")
        }
        fd = opened
        ownsDescriptor = true
        kind = isFIFO || !follow ? .pipe : .follow
        if isFIFO { Self.enlargePipe(fd) }
    }

    /// A pipe of 1 MiB rather than 64 KiB (F_SETPIPE_SZ; the unprivileged limit): a fast writer
    /// and the reader wake each other a sixteenth as often. Not a pipe, or not allowed: no change.
    private static func enlargePipe(_ fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFIFO else { return }
        let F_SETPIPE_SZ: Int32 = 1031  // <fcntl.h> declares it only with _GNU_SOURCE
        _ = fcntl(fd, F_SETPIPE_SZ, Int32(1 << 20))
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    /// Ends every wait: the next read reports the end of the stream. From any thread.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    public var isStopped: Bool { stopped.load(ordering: .relaxed) || shouldStop() }

    /// Whether bytes are ready to be read within `milliseconds` (a pipe), or the file is not empty.
    public func hasData(withinMilliseconds milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, milliseconds) > 0
    }

    /// The stream as a stdio FILE for pcap_fopen_offline; fclose (pcap_close does it) lets go of
    /// the stream. Reads go through a 64 KiB buffer: one system call brings a pipe's worth.
    func makeFILE() -> UnsafeMutablePointer<FILE>? {
        let cookie = Unmanaged.passRetained(self).toOpaque()
        let file = tunscope_fopen_reader(cookie, { cookie, buffer, count in
            guard let cookie, let buffer else { return -1 }
            return Unmanaged<CaptureStream>.fromOpaque(cookie).takeUnretainedValue().read(into: buffer, count: count)
        }, { cookie in
            if let cookie { Unmanaged<CaptureStream>.fromOpaque(cookie).release() }
            return 0
        })
        guard let file else {
            Unmanaged<CaptureStream>.fromOpaque(cookie).release()
            return nil
        }
        setvbuf(file, nil, _IOFBF, 1 << 16)
        return file
    }

    /// The cookie's read: some bytes, 0 at the end (the writer closed a pipe, or a stop), or -1
    /// with errno set. Waits for bytes that have not come yet, telling `willWait` first.
    private func read(into buffer: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        var waiting = false
        var paused = false
        func wait() {
            if !waiting {
                waiting = true
                willWait?()
            }
        }
        while true {
            if isStopped { return 0 }
            if kind == .pipe {
                // A fast writer that is only between two writes gets a millisecond before the
                // packets read so far are handed over: batches stay big, and a slow writer's
                // packet is shown a millisecond later, which nobody sees.
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&p, 1, waiting ? Self.waitStep : (paused ? 1 : 0))
                if ready == 0 {
                    if paused { wait() } else { paused = true }
                    continue
                }
                if ready < 0 {
                    if errno == EINTR { continue }
                    return -1
                }
            }
            let n = Glibc.read(fd, buffer, count)
            if n > 0 {
                offset += n
                return n
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {  // a descriptor someone left non-blocking: poll waits
                    wait()
                    continue
                }
                return -1
            }
            if kind == .pipe { return 0 }
            // A followed file has no more yet. One that got shorter was cut or replaced: what
            // follows would not continue the records read so far.
            var info = stat()
            if fstat(fd, &info) == 0 && Int(info.st_size) < offset {
                errno = ESPIPE
                truncated = true
                return -1
            }
            wait()
            var none = pollfd(fd: -1, events: 0, revents: 0)
            _ = poll(&none, 1, Self.waitStep)  // sleeps; a signal ends it early
        }
    }

    /// Set when a followed file became shorter than what was read of it.
    public private(set) var truncated = false
}
