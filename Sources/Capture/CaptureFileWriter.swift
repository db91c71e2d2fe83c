#if canImport(Glibc)
import Glibc
#endif
import CPcap
import Wire

/// Writes a classic pcap file through libpcap (pcap_dump_open), which tcpdump, tshark and
/// Wireshark open. Packets go to disk as they are written; `close` flushes and reports failures.
public final class CaptureFileWriter {
    private let dead: OpaquePointer
    private var dumper: OpaquePointer?
    public let path: String

    /// Creates (or truncates) `path` for packets of `linkType`, cut at `snapLength` bytes.
    public init(path: String, linkType: LinkType, snapLength: Int = 262_144) throws {
        guard let dead = pcap_open_dead_with_tstamp_precision(Int32(linkType.rawValue), Int32(snapLength),
                                                              UInt32(PCAP_TSTAMP_PRECISION_MICRO)) else {
            throw CaptureError("\(path): libpcap could not start a capture file")
        }
        // Opened here rather than by pcap_dump_open so that a symbolic link planted where the
        // file goes is refused (O_NOFOLLOW), never written through.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0, let file = fdopen(fd, "w") else {
            let e = errno
            if fd >= 0 { Glibc.close(fd) }
            pcap_close(dead)
            if e == ELOOP {
                throw CaptureError("\(path) is a symbolic link: tunscope does not write through one (remove it or choose another name)")
            }
            throw CaptureError("\(path): cannot write: \(String(cString: strerror(e)))")
        }
        guard let dumper = pcap_dump_fopen(dead, file) else {
            let reason = String(cString: pcap_geterr(dead))
            fclose(file)
            pcap_close(dead)
            throw CaptureError("\(path): cannot write: \(reason)")
        }
        self.dead = dead
        self.dumper = dumper
        self.path = path
    }

    /// Why writing stopped (the disk full), as soon as a write fails; packets after it are not written.
    public private(set) var failure: CaptureError?
    /// Packets written before any failure.
    public private(set) var written = 0

    deinit { try? close() }

    public func write(_ packet: CapturedPacket) {
        packet.bytes.withUnsafeBytes {
            write($0, seconds: packet.seconds, microseconds: packet.microseconds, originalLength: packet.originalLength)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int) {
        guard let dumper, failure == nil else { return }
        Self.dump(bytes, seconds: seconds, microseconds: microseconds, originalLength: originalLength, with: dumper)
        if let file = pcap_dump_file(dumper), ferror(file) != 0 {
            failure = CaptureError("\(path): writing failed: \(String(cString: strerror(errno)))")
            return
        }
        written += 1
    }

    /// One pcap record: the header (times, captured and wire lengths) and the bytes.
    private static func dump(_ bytes: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int,
                             with dumper: OpaquePointer) {
        var header = pcap_pkthdr()
        header.ts.tv_sec = time_t(seconds)
        header.ts.tv_usec = suseconds_t(microseconds)
        header.caplen = bpf_u_int32(bytes.count)
        header.len = bpf_u_int32(max(originalLength, bytes.count))
        pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header,
                  bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }

    /// Writes every packet in `batch`, taking the file's lock once for all of them (not twice a
    /// packet, as each pcap_dump's fwrite would) and checking for a failure once.
    public func write(_ batch: PacketStore.Batch) {
        guard let dumper, failure == nil, let file = pcap_dump_file(dumper) else { return }
        flockfile(file)
        batch.forEach { bytes, seconds, microseconds, originalLength in
            Self.dump(bytes, seconds: seconds, microseconds: microseconds, originalLength: originalLength, with: dumper)
        }
        funlockfile(file)
        if ferror(file) != 0 {
            failure = CaptureError("\(path): writing failed: \(String(cString: strerror(errno)))")
            return
        }
        written += batch.count
    }

    /// Flushes and closes the file; throws if the data could not all be written (disk full).
    public func close() throws {
        guard let d = dumper else { return }
        dumper = nil
        let flushed = pcap_dump_flush(d)
        let file = pcap_dump_file(d)
        let failed = flushed != 0 || (file.map { ferror($0) != 0 } ?? false)
        pcap_dump_close(d)
        pcap_close(dead)
        if let failure { throw failure }
        if failed { throw CaptureError("\(path): writing failed (is the disk full?)") }
    }
}
