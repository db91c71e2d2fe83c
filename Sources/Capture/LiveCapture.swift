#if canImport(Glibc)
import Glibc
#endif
import CTun
import Synchronization
import Wire

/// Reads a tun/tap device on a thread of its own into a PacketStore. It never waits for whoever
/// shows or writes the packets: they read the store at their own pace.
///
/// The capture thread has a descriptor table of its own (see `init`): it opens, reads, writes
/// and closes the device, and the owner sees only what the device is.
///
/// It may also watch other devices of the tun's namespace through libpcap, on the same thread
/// (the lab's outside interface, to show NAT at work): then every packet is stored as Linux
/// cooked v2 (SLL2), the tun's with a header naming the tun (packet type 0, PACKET_HOST, for
/// what tunscope wrote; 4, PACKET_OUTGOING, for what it read), all in the kernel's time order.
/// `farEndBytes` gives a stored packet back as the tun carries it.
public final class LiveCapture: LiveSource {
    public let device: TunDevice.Info
    public let store: PacketStore
    /// The tun's own link type, or SLL2 when other devices are watched beside it.
    public var linkType: LinkType { watched.isEmpty ? device.linkType : .linuxSLL2 }
    /// The devices watched beside the tun (none: the tun alone, stored as it is).
    public let watched: [WatchCapture.Device]
    /// The tun's interface index, which its packets' SLL2 headers carry (when devices are watched).
    public let tunInterfaceIndex: UInt32
    /// The interfaces of the tun's namespace, by index (when devices are watched).
    public let interfaceNames: InterfaceNames
    /// The device's addresses (nil when it has no IPv4 point-to-point address).
    public let addresses: DeviceAddresses?
    /// The namespace the device lives in (nil: tunscope's own).
    public let namespace: String?

    private let shared = CaptureThreadState<Bytes>()
    private let dropsAtStart: Int

    /// Opens `name` (in `namespace`, when given) and starts reading into `store`, keeping only
    /// packets that match `filter`. With `timesProbes`, SYNs, SYN-ACKs and echoes get the
    /// kernel's timestamps (when root allows), so round trips read as tcpdump's do; it costs the
    /// kernel a little per packet, so plain watching goes without. Throws what opening the device threw.
    ///
    /// `watching` names devices of the same namespace to watch beside it through libpcap (both
    /// directions, with the same filter); with any, the store holds SLL2.
    public init(device name: String, tap: Bool = false, namespace: String? = nil, filter: String? = nil,
                timesProbes: Bool = false, watching: [String] = [], store: PacketStore) throws {
        typealias Opened = (info: TunDevice.Info, addresses: DeviceAddresses?, drops: Int, watched: [WatchCapture.Device],
                            names: InterfaceNames, index: UInt32)
        let opened = Handoff<Result<Opened, CaptureError>>()
        let shared = self.shared
        startThread {
            defer { shared.finish() }
            _ = tunscope_short_slices_this_thread(LiveCapture.sliceNanoseconds)
            let device: TunDevice
            let packetFilter: PacketFilter?
            let sources: [WatchCapture.Source]
            do {
                if let namespace { try NetworkNamespace.enter(namespace) }
                device = try TunDevice(name: name, tap: tap)
                do {
                    packetFilter = try filter.map { try PacketFilter($0, linkType: device.linkType) }
                    sources = try watching.map { try WatchCapture.Source(device: $0, filter: filter, bufferKiB: nil) }
                } catch {
                    device.close()
                    throw error
                }
            } catch let e as CaptureError {
                opened.put(.failure(e))
                return
            } catch {
                opened.put(.failure(CaptureError("\(name): \(error)")))
                return
            }
            // Opened here, in the device's namespace, before root is given up and before the
            // owner may send: compiling its filter takes milliseconds.
            let stamps = device.isTap || !timesProbes ? nil : KernelTimestamps(device: device.name)
            // Every read(2) in a process with threads pays for looking the descriptor up in a
            // shared table (a reference taken and dropped on the file); with a table of its own,
            // the capture thread reads about 7% faster. The owner's table keeps its copies of the
            // device and the socket, so that ss -p, lsof and fuser still show them as tunscope's;
            // stop() closes those. Where a table of its own is refused, the thread shares, as before.
            // (Not when libpcap's handles are read here too: they stay in the shared table.)
            let mine = [shared.wake.read, shared.arrivals.write, device.fd] + (stamps.map { [$0.fd] } ?? [])
            if sources.isEmpty && tunscope_own_descriptor_table(mine, Int32(mine.count)) == 0 {
                shared.ownerCopies.withLock { $0 = [device.fd] + (stamps.map { [$0.fd] } ?? []) }
            }
            let index = UInt32(if_nametoindex(device.name))
            opened.put(.success((device.info, DeviceAddresses.read(device: device.name), kernelDrops(device: device.name) ?? 0,
                                 sources.map(\.device), sources.isEmpty ? [:] : LocalInterfaces.names(), index)))
            if sources.isEmpty {
                Self.readLoop(device: device, filter: packetFilter, stamps: stamps, store: store, shared: shared)
            } else {
                let tunHeader = CookedHeader(interfaceIndex: Int(index), hardwareType: 0xFFFE, linkType: device.linkType)
                Self.mergedLoop(device: device, tunHeader: tunHeader, sources: sources, filter: packetFilter, stamps: stamps,
                                store: store, shared: shared)
            }
            device.close()
        }
        switch opened.take() {
        case let .failure(e):
            shared.finished.take()
            shared.closePipes()
            throw e
        case let .success(o):
            device = o.info
            addresses = o.addresses
            dropsAtStart = o.drops
            watched = o.watched
            interfaceNames = o.names
            tunInterfaceIndex = o.index
        }
        self.store = store
        self.namespace = namespace
    }

    /// A capture nobody holds any more stops.
    deinit {
        stop()
        shared.closePipes()
    }

    private static func readLoop(device: TunDevice, filter: PacketFilter?, stamps: KernelTimestamps?,
                                 store: PacketStore, shared: CaptureThreadState<Bytes>) {
        var now = timespec()
        // Packets are read straight into a batch, which goes to the store in one lock, not one per
        // packet. A batch is handed over as soon as the device has nothing more to read, so none waits in it.
        var batch = PacketStore.Batch()
        var dropsReadAt = 0
        func handOver() {
            // The kernel's drop counter, about once a second, read here, in the device's namespace.
            let second = time(nil)
            if second != dropsReadAt {
                dropsReadAt = second
                let drops = kernelDrops(device: device.name)
                shared.drops.withLock { $0 = drops }
            }
            guard batch.count > 0 else { return }
            store.append(batch)
            batch.removeAll()
            shared.notifyArrivals()
        }
        defer { handOver() }
        while !shared.stopRequested.load(ordering: .acquiring) {
            if shared.outboxWaiting.load(ordering: .acquiring) {
                writeOutbox(device: device, stamps: stamps, shared: shared, batch: &batch)
            }
            var waiting = true
            do {
                try batch.add(upTo: Self.packetRoom) { space in
                    let n = try device.read(into: space)
                    guard n > 0 else { return nil }
                    waiting = false
                    clock_gettime(CLOCK_REALTIME, &now)
                    let packet = UnsafeRawBufferPointer(rebasing: space[..<n])
                    if let filter, !filter.matches(packet) { return nil }
                    let time = stampsTime(stamps, packet) ?? (now.tv_sec, now.tv_nsec / 1000)
                    return (n, time.seconds, time.microseconds, n)
                }
                if waiting {
                    handOver()
                    guard !shared.outboxWaiting.load(ordering: .acquiring) else { continue }
                    if try device.waitReadable(timeoutMilliseconds: 1000, wake: shared.wake.read) {
                        shared.drainWake()
                    }
                    continue
                }
            } catch {
                shared.failure.withLock { $0 = error as? CaptureError ?? CaptureError("\(device.name): \(error)") }
                break
            }
            if batch.count == Self.batchSize || batch.byteCount > 1 << 17 {
                handOver()
            }
        }
        // Read here, on the thread that is in the device's namespace.
        let drops = kernelDrops(device: device.name)
        shared.drops.withLock { $0 = drops }
    }

    /// Reads the tun and the devices watched beside it (libpcap handles) on one thread, and
    /// stores their packets under SLL2 headers in time order, as WatchCapture does: what was
    /// stamped before a round began is stored; newer packets wait for the next round (at most
    /// a millisecond). What tunscope writes is stamped before the write, so it is stored before
    /// the kernel's copies of it on other devices and before any answer.
    private static func mergedLoop(device: TunDevice, tunHeader: CookedHeader, sources: [WatchCapture.Source],
                                   filter: PacketFilter?, stamps: KernelTimestamps?, store: PacketStore, shared: CaptureThreadState<Bytes>) {
        // Run 0 is the tun's (what tunscope writes and reads, in that order); then one per handle.
        let handles = sources.flatMap { s in s.handles.map { (handle: $0.handle, direction: $0.direction, cooked: s.cooked) } }
        var runs = [PacketStore.Batch()] + handles.map { _ in PacketStore.Batch() }
        var merged = PacketStore.Batch()
        var now = timespec()
        var dropsReadAt = 0
        var buffer = [UInt8](repeating: 0, count: packetRoom)
        let notify = { shared.notifyArrivals() }
        func addToTunRun(_ packet: UnsafeRawBufferPointer, time: (seconds: Int, microseconds: Int), direction: Direction) {
            tunHeader.add(packet, seconds: time.seconds, microseconds: time.microseconds, originalLength: packet.count,
                          direction: direction, to: &runs[0])
        }
        var polls = [pollfd(fd: shared.wake.read, events: Int16(POLLIN), revents: 0), pollfd(fd: device.fd, events: Int16(POLLIN), revents: 0)]
        polls += handles.map { pollfd(fd: $0.handle.descriptor, events: Int16(POLLIN), revents: 0) }
        while !shared.stopRequested.load(ordering: .acquiring) {
            if shared.outboxWaiting.load(ordering: .acquiring) {
                for packet in shared.takeOutbox() {
                    clock_gettime(CLOCK_REALTIME, &now)
                    do {
                        try device.write(packet)
                        packet.withUnsafeBytes {
                            addToTunRun($0, time: stampsTime(stamps, $0) ?? (now.tv_sec, now.tv_nsec / 1000), direction: .sent)
                        }
                    } catch {
                        shared.sendFailed(error)
                    }
                }
            }
            let holding = runs.contains { $0.count > 0 }
            let ready = polls.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count),
                                                                                      holding ? WatchCapture.holdBackMilliseconds : 1000) }
            if ready > 0 && polls[0].revents != 0 { shared.drainWake() }
            clock_gettime(CLOCK_REALTIME, &now)
            let roundStart = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec / 1000)
            do {
                if ready > 0 && polls[1].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && polls[1].revents & Int16(POLLIN) == 0 {
                    throw CaptureError("\(device.name) went away (the device was deleted)")
                }
                // A bounded number a round, so that the devices watched are not starved.
                for _ in 0..<4096 {
                    let n = try buffer.withUnsafeMutableBytes { try device.read(into: $0) }
                    guard n > 0 else { break }
                    clock_gettime(CLOCK_REALTIME, &now)
                    buffer.withUnsafeBytes { all in
                        let packet = UnsafeRawBufferPointer(rebasing: all[..<n])
                        if let filter, !filter.matches(packet) { return }
                        addToTunRun(packet, time: stampsTime(stamps, packet) ?? (now.tv_sec, now.tv_nsec / 1000), direction: .received)
                    }
                }
                for (r, h) in handles.enumerated() {
                    try WatchCapture.take(from: h.handle, direction: h.direction, cooked: h.cooked, into: &runs[r + 1])
                }
            } catch {
                WatchCapture.storeMerged(&runs, upTo: .max, scratch: &merged, store: store, notify: notify)
                shared.failure.withLock { $0 = error as? CaptureError ?? CaptureError("\(device.name): \(error)") }
                break
            }
            WatchCapture.storeMerged(&runs, upTo: roundStart - Int64(WatchCapture.holdBackMilliseconds) * 1000, scratch: &merged,
                                     store: store, notify: notify)
            if time(nil) != dropsReadAt {
                dropsReadAt = time(nil)
                let drops = kernelDrops(device: device.name)
                shared.drops.withLock { $0 = drops }
            }
        }
        // Stopped: what was held back is stored too.
        WatchCapture.storeMerged(&runs, upTo: .max, scratch: &merged, store: store, notify: notify)
        let drops = kernelDrops(device: device.name)
        shared.drops.withLock { $0 = drops }
    }

    /// A stored packet as the tun carries it: itself when only the tun is captured; without its
    /// SLL2 header when it crossed the tun; nil when it crossed a device watched beside it.
    public func farEndBytes(_ stored: Bytes) -> Bytes? {
        guard !watched.isEmpty else { return stored }
        guard crossedTun(stored) else { return nil }
        return Bytes(stored[CookedHeader.length...])
    }

    /// Whether a stored packet crossed the tun (always, when only the tun is captured).
    public func crossedTun(_ stored: Bytes) -> Bool {
        watched.isEmpty || LinuxCooked.origin(ofSLL2: stored)?.interfaceIndex == tunInterfaceIndex
    }

    /// What the status bar and print's first line call the devices: "tun0", or
    /// "tun0 + veth-out (after NAT)" when the lab's outside interface is watched beside it.
    public func title(watchedAs note: String? = nil) -> String {
        ([device.name] + watched.map(\.name)).joined(separator: " + ") + (watched.isEmpty ? "" : note.map { " (\($0))" } ?? "")
    }

    static let batchSize = 256
    /// The capture thread's slices (sched_setattr, Linux 6.12 and later). It needs the CPU briefly
    /// and soon: under a flood on two cores it often wakes on the core the sender spins on, and
    /// waits there up to a tick (4 ms here) while the tun's 500-packet queue overflows; a shorter
    /// slice should get it picked sooner. Over ten rounds of live_flood.sh it took the worst
    /// round's drops from 1,432 to 658 (the C loop's worst: 756): a small sample, but never worse.
    static let sliceNanoseconds: UInt64 = 100_000
    /// Room for the largest packet a tun or tap device hands over (64 KiB, plus an Ethernet header).
    static let packetRoom = 65_536 + 64

    /// Writes what `send` queued, each packet stored as sent with the time it was written. The
    /// capture thread does the writing so that a packet is in the store before any answer to
    /// it is read: cause before effect, and timestamps from one thread a few microseconds apart.
    private static func writeOutbox(device: TunDevice, stamps: KernelTimestamps?, shared: CaptureThreadState<Bytes>,
                                    batch: inout PacketStore.Batch) {
        let packets = shared.takeOutbox()
        var now = timespec()
        for packet in packets {
            clock_gettime(CLOCK_REALTIME, &now)
            do {
                try device.write(packet)
                packet.withUnsafeBytes {
                    let time = stampsTime(stamps, $0) ?? (now.tv_sec, now.tv_nsec / 1000)
                    batch.add($0, seconds: time.seconds, microseconds: time.microseconds, direction: .sent)
                }
            } catch {
                shared.sendFailed(error)
            }
        }
    }

    /// The kernel's time for a packet whose timing the probes measure, when it is known.
    private static func stampsTime(_ stamps: KernelTimestamps?, _ packet: UnsafeRawBufferPointer) -> (seconds: Int, microseconds: Int)? {
        guard let stamps, KernelTimestamps.wantsTimestamp(packet) else { return nil }
        return stamps.timestamp(for: packet)
    }

    /// Queues a packet to be written into the device by the capture thread (at once: it is
    /// woken), which stores it as sent. Errors come back through `takeSendErrors()`.
    public func send(_ packet: Bytes) {
        shared.queue(packet)
    }

    /// Why writes failed since the last call (a packet the kernel refused, the device gone).
    public func takeSendErrors() -> [String] { shared.takeSendErrors() }

    /// Waits until the store holds a packet newer than `number`, or `timeoutMilliseconds` pass.
    public func waitForPackets(after number: Int, timeoutMilliseconds: Int32) {
        shared.waitForPackets(in: store, after: number, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// For the thread that shows or writes what capture stored: on a busy machine the capture
    /// thread must win, so this thread yields the CPU first (nice +10, for that thread alone).
    public static func yieldToCapture() {
        _ = tunscope_nice_this_thread(10)
    }

    /// Asks the capture thread to stop and waits (at most a second) until it has.
    public func stop() {
        // The owner's copies go too (the capture thread closes its own): the device is free once both are.
        shared.stop()
    }

    public var isRunning: Bool { shared.running.load(ordering: .acquiring) }

    /// Why capture stopped on its own (the device was deleted), if it did.
    public var failure: CaptureError? { shared.failure.withLock { $0 } }

    /// Packets the kernel dropped at the device's queue since capture started (read about once a
    /// second while capture runs, and when it stops).
    public var kernelDropped: Int? {
        shared.drops.withLock { $0 }.map { max(0, $0 - dropsAtStart) }
    }
}
