#if canImport(Glibc)
import Glibc
#endif
internal import CBPF
import Foundation
import Verdicts

/// The kernel's drops, as they happen: the BPF program (BPF/drops.bpf.c, built in by the
/// BPFObjectBuilder plugin) on the `skb:kfree_skb` tracepoint, loaded with libbpf, reporting
/// drops in the network namespaces asked for through a fixed-size ring buffer that a thread of
/// its own reads. Attach it while root; reading goes on after root is given up.
public final class DropTracer: DropSource, @unchecked Sendable {
    /// Why verdicts cannot be had here, in words for the one line tunscope says.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// A tracer for drops in the network namespace where the device is: the named one (`ip netns`
    /// names, /run/netns/NAME: the lab's), else this process's. Only that one: the lab runs in
    /// the machine's own namespace, whose drops are none of its business.
    public static func watching(namespace: String?) throws(Unavailable) -> DropTracer {
        var info = stat()
        let path = namespace.map { "/run/netns/\($0)" } ?? "/proc/self/ns/net"
        guard stat(path, &info) == 0 else { throw Unavailable("cannot read the network namespace \(path)") }
        return try DropTracer(namespaceInodes: [UInt32(truncatingIfNeeded: info.st_ino)])
    }

    /// Drops read from the ring buffer and not yet taken: at most this many, the rest counted.
    public static let queueLimit = 65_536

    private let object: OpaquePointer
    private let link: OpaquePointer
    private let ring: OpaquePointer
    private let lostMap: Int32
    private let inbox: Inbox

    /// Loads and attaches the program, reporting drops in the network namespaces `namespaceInodes`
    /// (the inode of /proc/self/ns/net, or of /run/netns/NAME). `ringBufferBytes` (a power of
    /// two, at least a page; the program's own 4 MiB when nil) bounds what waits to be read.
    public init(namespaceInodes: [UInt32], ringBufferBytes: UInt32? = nil) throws(Unavailable) {
        if BPFObject.base64.isEmpty { throw Unavailable(BPFObject.missing) }
        guard access("/sys/kernel/btf/vmlinux", R_OK) == 0 else {
            throw Unavailable("the kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)")
        }
        guard let reasons = DropReasons.ofRunningKernel() else {
            throw Unavailable("the kernel gives no drop reasons (Linux 5.17 or later does)")
        }
        cbpf_keep_warnings_quiet()
        let bytes = [UInt8](Data(base64Encoded: BPFObject.base64) ?? Data())
        guard let object = bytes.withUnsafeBytes({ bpf_object__open_mem($0.baseAddress, $0.count, nil) }) else {
            throw Unavailable("libbpf could not open the BPF program: \(Self.errorText(errno))")
        }
        if let ringBufferBytes {
            _ = bpf_map__set_max_entries(bpf_object__find_map_by_name(object, "events"), ringBufferBytes)
        }
        guard bpf_object__load(object) == 0 else {
            let e = errno
            bpf_object__close(object)
            if e == EPERM || e == EACCES {
                throw Unavailable("loading BPF needs root (or CAP_BPF and CAP_PERFMON)")
            }
            throw Unavailable("the kernel refused the BPF program: \(Self.errorText(e))")
        }
        let watched = bpf_object__find_map_fd_by_name(object, "watched_netns")
        var one: UInt8 = 1
        for inode in namespaceInodes {
            var key = inode
            _ = bpf_map_update_elem(watched, &key, &one, UInt64(BPF_ANY))
        }
        guard let program = bpf_object__find_program_by_name(object, "on_kfree_skb"),
              let link = bpf_program__attach(program) else {
            let e = errno
            bpf_object__close(object)
            throw Unavailable("the BPF program could not be attached to skb:kfree_skb: \(Self.errorText(e))")
        }
        // Read now: only root sees the kernel's addresses.
        let inbox = Inbox(reasons: reasons, symbols: KernelSymbols())
        let context = Unmanaged.passUnretained(inbox).toOpaque()
        guard let ring = ring_buffer__new(bpf_object__find_map_fd_by_name(object, "events"), { context, data, size in
            guard let context, let data, size >= MemoryLayout<drop_event>.size else { return 0 }
            Unmanaged<Inbox>.fromOpaque(context).takeUnretainedValue()
                .received(data.assumingMemoryBound(to: drop_event.self).pointee)
            return 0
        }, context, nil) else {
            let e = errno
            bpf_link__destroy(link)
            bpf_object__close(object)
            throw Unavailable("libbpf could not read the BPF ring buffer: \(Self.errorText(e))")
        }
        self.object = object
        self.link = link
        self.ring = ring
        self.inbox = inbox
        lostMap = bpf_object__find_map_fd_by_name(object, "lost_events")
        let ringAddress = UInt(bitPattern: ring)
        let thread = Thread {
            let ring = OpaquePointer(bitPattern: ringAddress)
            // A short timeout so `stop` is noticed soon.
            while !inbox.isStopping { _ = ring_buffer__poll(ring, 100) }
            inbox.pollingEnded.signal()
        }
        thread.name = "drop tracer"
        thread.start()
    }

    /// The drops read since the last call, in the order the kernel reported them.
    public func take() -> [DropEvent] { inbox.take() }

    /// Drops that could not be delivered: the ring buffer was full (counted by the BPF program
    /// on every CPU), or tunscope's own queue was. nil when the count cannot be read.
    public var undelivered: UInt64? {
        let cpus = Int(libbpf_num_possible_cpus())
        guard cpus > 0 else { return nil }
        var perCPU = [UInt64](repeating: 0, count: cpus)
        var key: UInt32 = 0
        guard bpf_map_lookup_elem(lostMap, &key, &perCPU) == 0 else { return nil }
        return perCPU.reduce(0, +) + inbox.overflow
    }

    /// Detaches the program and frees what it used; the tracer reads nothing more.
    public func stop() {
        guard inbox.stop() else { return }
        inbox.pollingEnded.wait()
        ring_buffer__free(ring)
        bpf_link__destroy(link)
        bpf_object__close(object)
    }

    deinit { stop() }

    private static func errorText(_ e: Int32) -> String {
        let warning = String(cString: cbpf_last_libbpf_warning()).trimmingCharacters(in: .whitespacesAndNewlines)
        return String(cString: strerror(e)) + (warning.isEmpty ? "" : " (libbpf: \(warning))")
    }

    /// What the ring buffer's callback fills (on the tracer's thread) and `take` empties.
    private final class Inbox: @unchecked Sendable {
        let reasons: DropReasons
        let symbols: KernelSymbols
        /// Wall-clock minus monotonic time, in nanoseconds: bpf_ktime_get_ns counts monotonic.
        let clockOffset: Int64
        let pollingEnded = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var queue: [DropEvent] = []
        private var overflowed: UInt64 = 0
        private var stopping = false

        init(reasons: DropReasons, symbols: KernelSymbols) {
            self.reasons = reasons
            self.symbols = symbols
            var wall = timespec(), monotonic = timespec()
            clock_gettime(CLOCK_REALTIME, &wall)
            clock_gettime(CLOCK_MONOTONIC, &monotonic)
            clockOffset = (Int64(wall.tv_sec) - Int64(monotonic.tv_sec)) * 1_000_000_000 + Int64(wall.tv_nsec - monotonic.tv_nsec)
        }

        var isStopping: Bool { lock.withLock { stopping } }
        var overflow: UInt64 { lock.withLock { overflowed } }

        /// True the first time.
        func stop() -> Bool {
            lock.withLock {
                defer { stopping = true }
                return !stopping
            }
        }

        func take() -> [DropEvent] {
            lock.withLock {
                defer { queue.removeAll(keepingCapacity: true) }
                return queue
            }
        }

        func received(_ e: drop_event) {
            var e = e
            let header = withUnsafeBytes(of: &e.header) { Array($0.prefix(Int(e.header_length))) }
            let device = withUnsafeBytes(of: &e.device) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let time = Int64(bitPattern: e.time_ns) + clockOffset
            let event = DropEvent(reasonCode: e.reason, reason: reasons.name(e.reason),
                                  location: symbols.function(at: e.location) ?? "0x" + String(e.location, radix: 16),
                                  seconds: Int(time / 1_000_000_000), microseconds: Int(time % 1_000_000_000 / 1000),
                                  netnsInode: e.netns_inode, ifindex: e.ifindex, device: device,
                                  ethertype: UInt16(bigEndian: e.protocol), header: header)
            lock.withLock {
                if queue.count < DropTracer.queueLimit { queue.append(event) } else { overflowed += 1 }
            }
        }
    }
}
