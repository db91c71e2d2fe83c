#if canImport(Glibc)
import Glibc
#endif
import CPcap
import Wire

/// One packet as read from a capture or a device: bytes, when, and how long it was on the wire.
public struct CapturedPacket: Sendable {
    public var bytes: Bytes
    /// Seconds and microseconds since the Unix epoch.
    public var seconds: Int
    public var microseconds: Int
    /// Length on the wire; more than `bytes.count` when the capture was cut at a snap length.
    public var originalLength: Int

    public init(bytes: Bytes, seconds: Int, microseconds: Int, originalLength: Int? = nil) {
        self.bytes = bytes
        self.seconds = seconds
        self.microseconds = microseconds
        self.originalLength = originalLength ?? bytes.count
    }
}

/// A failure a person can act on: what failed, why, and (where there is one) what to do.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    /// What a caller may do something about: a device someone else holds, or one that is not a
    /// tun or tap, can still be watched through libpcap.
    public enum Reason: Sendable {
        case other, busy, notTunOrTap
    }

    public var description: String
    public var reason: Reason
    public init(_ description: String, reason: Reason = .other) {
        self.description = description
        self.reason = reason
    }
}

/// Reads pcap and pcapng files through libpcap (pcap_open_offline), optionally keeping only
/// packets that match a BPF expression (pcap_compile, pcap_offline_filter), as `tcpdump -r` does.
/// A capture that arrives over time (a pipe, a file still being written) is read the same way
/// through a CaptureStream (pcap_fopen_offline).
public final class CaptureFileReader {
    private let handle: OpaquePointer
    private let filter: PacketFilter?
    public let path: String
    public let linkType: LinkType
    /// The stream read, when it is one.
    public let stream: CaptureStream?

    /// Opens `path`; throws a CaptureError naming the file and libpcap's reason.
    public convenience init(path: String, filter expression: String? = nil) throws {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &errbuf) else {
            throw CaptureError("\(path): \(Self.explain(errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, path: path))")
        }
        try self.init(handle: h, path: path, stream: nil, filter: expression)
    }

    /// Starts reading `stream`: waits for the capture's file header (a pcap or pcapng one) to
    /// arrive. Throws a CaptureError naming the stream and the reason.
    public convenience init(stream: CaptureStream, filter expression: String? = nil) throws {
        guard let file = stream.makeFILE() else {
            throw CaptureError("\(stream.name): \(String(cString: strerror(errno)))")
        }
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &errbuf) else {
            fclose(file)
            let message = errbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if message.contains("file header bytes, only got 0") {
                throw CaptureError(stream.isStopped ? "\(stream.name): stopped before the capture began"
                                   : "\(stream.name): the stream ended before a capture began (nothing was written to it)")
            }
            throw CaptureError("\(stream.name): \(Self.explain(message, path: stream.name))")
        }
        try self.init(handle: h, path: stream.name, stream: stream, filter: expression)
    }

    private init(handle h: OpaquePointer, path: String, stream: CaptureStream?, filter expression: String?) throws {
        handle = h
        self.path = path
        self.stream = stream
        linkType = LinkType(rawValue: Int(pcap_datalink(h)))
        do {
            filter = try expression.map { try PacketFilter($0, linkType: LinkType(rawValue: Int(pcap_datalink(h)))) }
        } catch {
            pcap_close(h)
            throw error
        }
    }

    deinit { pcap_close(handle) }

    /// libpcap's wording is terse; add the likely cause where it is not obvious.
    private static func explain(_ message: String, path: String) -> String {
        if message.contains("file header bytes, only got 0") {
            return "the file is empty: not a capture"
        }
        if message.contains("unknown file format") {
            return "not a pcap or pcapng capture file (\(message))"
        }
        if message.hasSuffix(path) || message.contains("No such file") {
            return message.replacingPrefix(path + ": ")
        }
        return message
    }

    /// The next packet that passes the filter; nil at the end of the file. Throws when the file
    /// is damaged (cut short mid-record, an absurd record length): every packet before is returned.
    public func next() throws -> CapturedPacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let r = pcap_next_ex(handle, &header, &data)
            switch r {
            case 1:
                guard let header, let data else { continue }
                let h = header.pointee
                let bytes = Bytes(UnsafeBufferPointer(start: data, count: Int(h.caplen)))
                if let filter, !filter.matches(bytes, originalLength: Int(h.len)) { continue }
                return CapturedPacket(bytes: bytes, seconds: Int(h.ts.tv_sec), microseconds: Int(h.ts.tv_usec),
                                      originalLength: Int(h.len))
            case PCAP_ERROR_BREAK:
                return nil
            default:
                if let stream, stream.truncated {
                    throw CaptureError("\(path) became shorter than what was read of it (cut or replaced): following stopped")
                }
                throw CaptureError("\(path): \(String(cString: pcap_geterr(handle)))")
            }
        }
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
