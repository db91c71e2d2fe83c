#if canImport(Glibc)
import Glibc
#endif

/// The kernel's functions and their addresses, from /proc/kallsyms, to name where a packet was
/// dropped. Only root sees the addresses (others read zeros), so it is read before tunscope
/// gives up root.
public struct KernelSymbols: Sendable {
    private let addresses: [UInt64]
    private let names: [String]

    public init(path: String = "/proc/kallsyms") {
        var pairs: [(UInt64, String)] = []
        if let text = Self.readAll(path) {
            // Lines are "ffffffff8208ae50 T tcp_v4_rcv" (a module in brackets after); t and T are code.
            for line in text.split(separator: UInt8(ascii: "\n")) {
                let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 3)
                guard fields.count >= 3, fields[1].count == 1, fields[1].first! | 0x20 == UInt8(ascii: "t"),
                      let address = UInt64(String(decoding: fields[0], as: UTF8.self), radix: 16), address != 0
                else { continue }
                let name = fields[2].split(separator: UInt8(ascii: "\t")).first ?? fields[2]
                pairs.append((address, String(decoding: name, as: UTF8.self)))
            }
        }
        pairs.sort { $0.0 < $1.0 }
        addresses = pairs.map(\.0)
        names = pairs.map(\.1)
    }

    public var isEmpty: Bool { addresses.isEmpty }

    /// The function that holds `address`: the last symbol at or below it.
    public func function(at address: UInt64) -> String? {
        var low = 0, high = addresses.count
        while low < high {
            let mid = (low + high) / 2
            if addresses[mid] <= address { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : names[low - 1]
    }

    /// /proc files report size 0, so read until the end.
    private static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            all.append(contentsOf: chunk[0..<n])
        }
        return all
    }
}
