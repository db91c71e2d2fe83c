#if canImport(Glibc)
import Glibc
#endif

/// Buffered writes to standard output with write(2). A reader that went away (`| head`) ends
/// the program quietly, as tcpdump does, instead of a SIGPIPE death or an error message.
struct StandardOutput {
    private var buffer: [UInt8] = []
    private let flushAt = 1 << 16

    init() {
        signal(SIGPIPE, SIG_IGN)
        buffer.reserveCapacity(flushAt * 2)
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) {
        // A big block (a batch of records) goes out as it is, after what is buffered.
        if bytes.count >= flushAt {
            flush()
            writeAll(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushAt { flush() }
    }

    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    mutating func flush() {
        buffer.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(1, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { exit(0) }
                let reason = String(cString: strerror(errno))
                printError("writing output: \(reason)")
                exit(1)
            }
            done += n
        }
    }
}

/// One line on standard error, prefixed with the program's name. What print() has buffered for
/// standard output goes out first, so a pipe that takes both gets them in the order they happened.
func printError(_ message: String) {
    fflush(nil)  // every stdio stream; naming stdout is not concurrency-safe in Swift 6
    var line = Array("tunscope: \(message)\n".utf8)
    _ = line.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress!, $0.count) }
}
