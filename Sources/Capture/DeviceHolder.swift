#if canImport(Glibc)
import Glibc
#endif

/// The program holding a tun or tap device, found as `fuser` would: a descriptor open on
/// /dev/net/tun whose /proc/PID/fdinfo names the device (`iff:	tun0`). Only what this process
/// may read of /proc is seen (all of it as root).
public struct DeviceHolder: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    /// The program's name (/proc/PID/comm).
    public var command: String

    public var description: String { "\(command), pid \(pid)" }

    /// Who holds `device` in the calling thread's network namespace, or nil when nobody this
    /// process can see does. fdinfo names a tun but not its namespace, and every namespace may
    /// have a tun0: a holder counts only when it lives in this thread's namespace too. With
    /// several (a descriptor inherited by a child), the one with the lowest pid.
    public static func of(device: String) -> DeviceHolder? {
        guard let proc = opendir("/proc") else { return nil }
        defer { closedir(proc) }
        let here = namespace(of: "/proc/thread-self/ns/net")
        var found: [DeviceHolder] = []
        while let entry = readdir(proc) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name), pid != getpid(), namespace(of: "/proc/\(pid)/ns/net") == here else { continue }
            if holds(pid: pid, device: device) {
                let command = firstLine(of: "/proc/\(pid)/comm") ?? "?"
                found.append(DeviceHolder(pid: pid, command: command))
            }
        }
        return found.min { $0.pid < $1.pid }
    }

    /// "net:[4026531840]": which namespace a /proc/.../ns/net link stands for.
    private static func namespace(of link: String) -> String? {
        var target = [CChar](repeating: 0, count: 64)
        let n = readlink(link, &target, target.count - 1)
        return n > 0 ? String(decoding: target[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    private static func holds(pid: Int32, device: String) -> Bool {
        guard let fds = opendir("/proc/\(pid)/fd") else { return false }
        defer { closedir(fds) }
        var target = [CChar](repeating: 0, count: 64)
        while let entry = readdir(fds) {
            let fd = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard Int(fd) != nil else { continue }
            let n = readlink("/proc/\(pid)/fd/\(fd)", &target, target.count - 1)
            guard n == 12, String(decoding: target[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == "/dev/net/tun" else {
                continue
            }
            let info = DeviceKind.lines(of: "/proc/\(pid)/fdinfo/\(fd)") ?? []
            let named = info.first { $0.hasPrefix("iff:") }?.dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            if named == Substring(device) { return true }
        }
        return false
    }

    private static func firstLine(of path: String) -> String? {
        DeviceKind.lines(of: path)?.first.map(String.init)
    }
}
