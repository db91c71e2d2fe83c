#if canImport(Glibc)
import Glibc
#endif
import CPcap
import Wire

/// Writes a classic pcap file through libpcap (pcap_dump_open), which tcpdump, tshark and
/// Wireshark open; or, for a name ending in .pcapng, a pcapng file (libpcap writes none), whose
/// packets can carry a comment (`frame.comment` in Wireshark: the kernel's verdict). Packets go
/// to disk as they are written; `close` flushes and reports failures.
public final class CaptureFileWriter {
    private let dead: OpaquePointer
    private var dumper: OpaquePointer?
    /// The file, when it is pcapng (written here, block by block).
    private var pcapng: UnsafeMutablePointer<FILE>?
    public let path: String

    /// Whether `path` is written as pcapng: by its name, as Wireshark's "Save As" does.
    public static func isPcapng(_ path: String) -> Bool { path.lowercased().hasSuffix(".pcapng") }

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
        if Self.isPcapng(path) {
            self.dead = dead
            self.path = path
            pcapng = file
            PcapngBlocks.writeHeader(linkType: UInt32(linkType.rawValue), snapLength: snapLength, to: file)
            return
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

    /// Writes one packet; `comment` goes with it into a pcapng file (a pcap file has no room for one).
    public func write(_ packet: CapturedPacket, comment: String? = nil) {
        packet.bytes.withUnsafeBytes {
            write($0, seconds: packet.seconds, microseconds: packet.microseconds, originalLength: packet.originalLength, comment: comment)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int, comment: String? = nil) {
        if let pcapng {
            guard failure == nil else { return }
            PcapngBlocks.writePacket(bytes, seconds: seconds, microseconds: microseconds, originalLength: originalLength,
                                     comment: comment, to: pcapng)
            if ferror(pcapng) != 0 {
                failure = CaptureError("\(path): writing failed: \(String(cString: strerror(errno)))")
                return
            }
            written += 1
            return
        }
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
        if pcapng != nil {
            batch.forEach { write($0, seconds: $1, microseconds: $2, originalLength: $3) }
            return
        }
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
        if let file = pcapng {
            pcapng = nil
            let failed = fflush(file) != 0 || ferror(file) != 0
            fclose(file)
            pcap_close(dead)
            if let failure { throw failure }
            if failed { throw CaptureError("\(path): writing failed (is the disk full?)") }
            return
        }
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

/// pcapng's blocks (draft-ietf-opsawg-pcapng), in this machine's byte order, which the section
/// header's magic tells readers: a section header, one interface, an enhanced packet block a
/// packet with microsecond times (the interface's default resolution).
enum PcapngBlocks {
    static func writeHeader(linkType: UInt32, snapLength: Int, to file: UnsafeMutablePointer<FILE>) {
        var shb = Block(type: 0x0A0D_0D0A)
        shb.u32(0x1A2B_3C4D)  // byte-order magic
        shb.u16(1)
        shb.u16(0)  // version 1.0
        shb.u64(UInt64.max)  // section length: not given
        shb.write(to: file)
        var idb = Block(type: 1)
        idb.u16(UInt16(truncatingIfNeeded: linkType))
        idb.u16(0)
        idb.u32(UInt32(snapLength))
        idb.write(to: file)
    }

    static func writePacket(_ bytes: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int, comment: String?,
                            to file: UnsafeMutablePointer<FILE>) {
        var epb = Block(type: 6)
        epb.u32(0)  // interface 0
        let time = UInt64(seconds) * 1_000_000 + UInt64(microseconds)
        epb.u32(UInt32(truncatingIfNeeded: time >> 32))
        epb.u32(UInt32(truncatingIfNeeded: time))
        epb.u32(UInt32(bytes.count))
        epb.u32(UInt32(max(originalLength, bytes.count)))
        epb.body += bytes
        epb.pad()
        if let comment {
            let text = Array(comment.utf8.prefix(65_535))
            epb.u16(1)  // opt_comment
            epb.u16(UInt16(text.count))
            epb.body += text
            epb.pad()
            epb.u32(0)  // opt_endofopt
        }
        epb.write(to: file)
    }

    /// A block's body, framed by its type and its total length (twice) when written.
    struct Block {
        let type: UInt32
        var body: [UInt8] = []
        init(type: UInt32) { self.type = type }
        mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v) { body += $0 } }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v) { body += $0 } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v) { body += $0 } }
        mutating func pad() { while body.count % 4 != 0 { body.append(0) } }
        func write(to file: UnsafeMutablePointer<FILE>) {
            var block = Block(type: type)
            let total = UInt32(12 + body.count)
            block.u32(type)
            block.u32(total)
            block.body += body
            block.u32(total)
            _ = block.body.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        }
    }
}
