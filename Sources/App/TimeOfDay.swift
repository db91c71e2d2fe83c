#if canImport(Glibc)
import Glibc
#endif
import Wire

/// "HH:MM:SS.uuuuuu" in local time (honours TZ), as tcpdump prints a packet's time. The hour and
/// minute are looked up once per second, not once per packet.
public struct TimeOfDay {
    private var cachedSecond = Int.min
    private var cachedPrefix: [UInt8] = []

    public init() { tzset() }

    public mutating func write(seconds: Int, microseconds: Int, into w: inout TextWriter) {
        if seconds != cachedSecond {
            var t = time_t(seconds)
            var parts = tm()
            localtime_r(&t, &parts)
            var p = TextWriter(capacity: 16)
            p.write(unsigned: UInt64(parts.tm_hour), width: 2)
            p.write(byte: 58)
            p.write(unsigned: UInt64(parts.tm_min), width: 2)
            p.write(byte: 58)
            p.write(unsigned: UInt64(parts.tm_sec), width: 2)
            p.write(byte: 46)
            cachedPrefix = p.bytes
            cachedSecond = seconds
        }
        w.write(cachedPrefix)
        w.write(unsigned: UInt64(microseconds), width: 6)
    }
}
