#if canImport(Glibc)
import Glibc
#endif
import Wire

/// The IPv4 addresses of a point-to-point device as `ip addr add LOCAL peer PEER` set them.
/// tunscope is the host at the far end, so its own address is the peer.
public struct DeviceAddresses: Sendable, Equatable {
    public var local: IPv4Address
    public var peer: IPv4Address

    /// Reads them with getifaddrs(3), in the calling thread's network namespace; nil when the
    /// device has no IPv4 address with a peer.
    public static func read(device: String) -> DeviceAddresses? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard String(cString: entry.pointee.ifa_name) == device,
                  let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET),
                  entry.pointee.ifa_flags & UInt32(IFF_POINTOPOINT) != 0,
                  let peer = entry.pointee.ifa_ifu.ifu_dstaddr
            else { continue }
            return DeviceAddresses(local: ipv4(addr), peer: ipv4(peer))
        }
        return nil
    }

    private static func ipv4(_ sa: UnsafeMutablePointer<sockaddr>) -> IPv4Address {
        sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Address(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) }
    }
}

/// The device's transmit-drop counter from /proc/thread-self/net/dev (the calling thread's
/// namespace): packets the kernel sent towards the device that did not fit its queue because
/// nobody read them fast enough.
public func kernelDrops(device: String) -> Int? {
    guard let f = fopen("/proc/thread-self/net/dev", "r") else { return nil }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), f) != nil {
        let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let colon = text.firstIndex(of: ":") else { continue }
        let name = text[..<colon].trimmingSpaces
        guard name == device else { continue }
        let numbers = text[text.index(after: colon)...].split(separator: " ").compactMap { Int($0) }
        // Receive: bytes packets errs drop fifo frame compressed multicast; Transmit: bytes packets errs drop ...
        return numbers.count >= 12 ? numbers[11] : nil
    }
    return nil
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
