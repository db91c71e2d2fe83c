#if canImport(Glibc)
import Glibc
#endif
import CTun

/// Network namespaces made with `ip netns add NAME` live at /run/netns/NAME.
public enum NetworkNamespace {
    public static func path(_ name: String) -> String { "/run/netns/\(name)" }

    /// Moves the calling thread (only it) into the named namespace.
    static func enter(_ name: String) throws {
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CaptureError("network namespace \(name) does not exist (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        guard tunscope_enter_netns(fd) == 0 else {
            throw CaptureError("cannot enter network namespace \(name): \(String(cString: strerror(errno))) (needs root)")
        }
    }
}
