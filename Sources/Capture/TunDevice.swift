#if canImport(Glibc)
import Glibc
#endif
import CTun
import Wire

/// A tun or tap device opened through /dev/net/tun (TUNSETIFF with IFF_NO_PI): each read is one
/// packet the kernel sent into the device, each write one packet the kernel receives from it.
public final class TunDevice: @unchecked Sendable {
    public let name: String
    public let isTap: Bool
    public private(set) var fd: Int32
    public var linkType: LinkType { info.linkType }

    /// What a device is, without its descriptor.
    public struct Info: Sendable {
        public let name: String
        public let isTap: Bool
        /// Raw IP for tun, Ethernet for tap.
        public var linkType: LinkType { isTap ? .ethernet : .raw }
    }

    public var info: Info { Info(name: name, isTap: isTap) }

    /// Attaches to device `name`, or creates it when running with CAP_NET_ADMIN. Errors name the
    /// cause and the fix.
    public init(name: String, tap: Bool = false) throws {
        guard !name.isEmpty, name.utf8.count < Int(tunscope_ifnamsiz()), !name.contains("/") else {
            throw CaptureError("'\(name)' is not a valid interface name (at most 15 characters, no '/')")
        }
        let kind = DeviceKind(device: name)
        let fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT {
                throw CaptureError("/dev/net/tun does not exist: load the tun module ('sudo modprobe tun') or, in a container, pass the device in")
            }
            if e == EACCES || e == EPERM {
                throw CaptureError("cannot open /dev/net/tun: permission denied (only root may open it on this system): run tunscope with sudo")
            }
            throw CaptureError("cannot open /dev/net/tun: \(String(cString: strerror(e)))")
        }
        var actual = [CChar](repeating: 0, count: Int(tunscope_ifnamsiz()))
        if tunscope_tun_attach(fd, name, tap ? 1 : 0, &actual) != 0 {
            let e = errno
            Glibc.close(fd)
            throw Self.attachError(name: name, tap: tap, kind: kind, errno: e)
        }
        // Non-blocking, so a busy capture costs one read(2) per packet; poll(2) only when idle.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
        self.name = actual.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        isTap = tap
    }

    deinit { close() }

    /// Closes the descriptor now (the device lets go of the tun); reads and writes fail after.
    public func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    private static func attachError(name: String, tap: Bool, kind: DeviceKind, errno e: Int32) -> CaptureError {
        switch e {
        case EPERM, EACCES:
            if kind != .missing {
                // Its owner cannot be changed in place: a device of one's own is the way without sudo.
                return CaptureError("\(name): permission denied: the device belongs to another user; use sudo, or make one of your own: 'sudo tunscope setup --name tun1 --user $USER'")
            }
            return CaptureError("\(name) does not exist and creating it needs root: run 'sudo tunscope setup --name \(name) --user $USER' first")
        case EBUSY:
            return CaptureError("\(name) is busy: another program (or another tunscope) is attached to it", reason: .busy)
        case EINVAL:
            if let wrong = wrongKind(name: name, tap: tap, kind: kind) { return wrong }
            fallthrough
        default:
            return CaptureError("\(name): TUNSETIFF failed: \(String(cString: strerror(e)))")
        }
    }

    /// Why the device is not what was asked for, when that is why TUNSETIFF refused it. Only
    /// `print` and the monitor have --tap, so a tap where a tun was asked for names them: `send`
    /// cannot use a tap at all.
    private static func wrongKind(name: String, tap: Bool, kind: DeviceKind) -> CaptureError? {
        switch (kind, tap) {
        case (.tun, true):
            return CaptureError("\(name) is a tun device, not a tap: try without --tap")
        case (.tap, false):
            return CaptureError("\(name) is a tap device, not a tun: only 'tunscope print' and the monitor read a tap, with --tap")
        case (.other, _):
            return CaptureError("\(name) is \(kind), not a tun or tap device: tunscope works only on tun and tap devices",
                                reason: .notTunOrTap)
        default:
            return nil
        }
    }

    /// Reads one packet into `buffer` if one is waiting; returns its length, or 0 when none is.
    /// Throws when the device went away.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = tunscope_read(fd, buffer.baseAddress, UInt(buffer.count))
        if n >= 0 { return n }
        let e = errno
        if e == EAGAIN || e == EINTR { return 0 }
        if e == EBADFD || e == EIO || e == ENXIO || e == EFAULT {
            throw CaptureError("\(name) went away (the device was deleted)")
        }
        throw CaptureError("\(name): read failed: \(String(cString: strerror(e)))")
    }

    /// Waits until a packet can be read, `wake` becomes readable, or `timeoutMilliseconds`
    /// pass; returns whether `wake` is readable. Throws when the device went away.
    @discardableResult
    public func waitReadable(timeoutMilliseconds: Int32, wake: Int32 = -1) throws -> Bool {
        // On the stack: capture waits here between packets, up to 100,000 times a second.
        var p = (pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
        let ready = withUnsafeMutableBytes(of: &p) {
            poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), wake >= 0 ? 2 : 1, timeoutMilliseconds)
        }
        if ready < 0 && errno != EINTR {
            throw CaptureError("\(name): poll failed: \(String(cString: strerror(errno)))")
        }
        if ready > 0 && p.0.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && p.0.revents & Int16(POLLIN) == 0 {
            throw CaptureError("\(name) went away (the device was deleted)")
        }
        return ready > 0 && wake >= 0 && p.1.revents & Int16(POLLIN) != 0
    }

    /// Writes one packet into the device, as if it arrived from the far end.
    public func write(_ bytes: Bytes) throws {
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        if n < 0 {
            throw CaptureError("\(name): write failed: \(String(cString: strerror(errno)))")
        }
    }
}
