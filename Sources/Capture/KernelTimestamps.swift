#if canImport(Glibc)
import Glibc
#endif
import CTun
import Wire

/// The kernel's own timestamps for the packets whose timing tunscope reports (TCP SYNs and
/// SYN-ACKs, echo requests and replies), taken where tcpdump's are: a packet socket on the
/// device sees each one as the kernel handles it. A time taken around read(2) and write(2)
/// would add the system calls' own cost (tens of microseconds here), more than a handshake
/// in a namespace takes. Needs CAP_NET_RAW; without it, capture keeps its own clock.
final class KernelTimestamps {
    let fd: Int32
    /// Packets the socket delivered that capture has not matched yet (a few at most).
    private var waiting: [(bytes: Bytes, seconds: Int, microseconds: Int)] = []
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    /// What the socket keeps: the same packets `wantsTimestamp` picks, so nothing else is copied.
    static let expression = """
        (tcp[tcpflags] & tcp-syn != 0) or icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply \
        or (ip6[6] == 6 and ip6[53] & 2 != 0) or (ip6[6] == 58 and (ip6[40] == 128 or ip6[40] == 129))
        """

    /// Opens the socket on tun device `name` (in the calling thread's namespace); nil when not permitted.
    init?(device name: String) {
        guard let filter = try? PacketFilter(Self.expression, linkType: .raw) else { return nil }
        let fd = filter.withInstructions { tunscope_timestamp_socket(name, $0, UInt16(clamping: $1)) }
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Whether `packet` (raw IP) is one whose time the probes measure: a TCP segment with SYN
    /// set, an ICMP or ICMPv6 echo request or reply.
    static func wantsTimestamp(_ p: UnsafeRawBufferPointer) -> Bool {
        guard p.count >= 20 else { return false }
        switch p[0] >> 4 {
        case 4:
            let ihl = Int(p[0] & 0x0f) * 4
            guard p[6] & 0x1f == 0 && p[7] == 0 else { return false }  // a later fragment
            switch p[9] {
            case 6: return p.count > ihl + 13 && p[ihl + 13] & 0x02 != 0
            case 1: return p.count > ihl && (p[ihl] == 0 || p[ihl] == 8)
            default: return false
            }
        case 6:
            guard p.count > 53 else { return false }
            switch p[6] {
            case 6: return p[53] & 0x02 != 0
            case 58: return p[40] == 128 || p[40] == 129
            default: return false
            }
        default:
            return false
        }
    }

    /// The kernel's time for `packet`, if the socket saw it.
    func timestamp(for packet: UnsafeRawBufferPointer) -> (seconds: Int, microseconds: Int)? {
        var seconds = 0, nanoseconds = 0
        while true {
            let n = buffer.withUnsafeMutableBufferPointer {
                tunscope_timestamp_read(fd, $0.baseAddress, UInt($0.count), &seconds, &nanoseconds)
            }
            guard n > 0 else { break }
            waiting.append((Array(buffer[0..<n]), seconds, nanoseconds / 1_000))
            if waiting.count > 256 { waiting.removeFirst() }
        }
        guard let i = waiting.firstIndex(where: { $0.bytes.elementsEqual(packet) }) else { return nil }
        let found = waiting.remove(at: i)
        return (found.seconds, found.microseconds)
    }
}
