#if canImport(Glibc)
import Glibc
#endif
import Wire

/// This machine's network interfaces by index, read once (`if_nameindex(3)`): what tcpdump
/// prints for an SLL2 packet's interface index, which it looks up (`if_indextoname`) on the
/// machine that prints, whichever machine captured the file.
public enum LocalInterfaces {
    /// Index to name for every interface in this network namespace; empty if it cannot be read.
    public static func names() -> InterfaceNames {
        guard let list = if_nameindex() else { return [:] }
        defer { if_freenameindex(list) }
        var names: InterfaceNames = [:]
        var entry = list
        while entry.pointee.if_index != 0, let name = entry.pointee.if_name {
            names[entry.pointee.if_index] = String(cString: name)
            entry += 1
        }
        return names
    }
}
