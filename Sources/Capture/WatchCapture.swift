#if canImport(Glibc)
import Glibc
#endif
import CPcap
import CTun
import Synchronization
import Wire

/// Watches devices tunscope does not hold, through libpcap's live capture as tcpdump does: a tun
/// that the user's own program or a VPN daemon holds, a veth, a bridge, eth0, `any`. Both
/// directions, in the kernel's order, into a PacketStore, on a thread of its own.
///
/// Each device gets two handles, one per direction (the kernel filters by packet type), because
/// libpcap hands a device's packets over without saying which way they went; the capture thread
/// merges them by the kernel's timestamps. `any` carries the direction in its cooked header and
/// needs one. In the store, `.received` is what the kernel sent out of the device (towards the
/// program holding a tun: tcpdump's `Out`), `.sent` what came in (the program wrote it: `In`),
/// as for a tun tunscope holds.
///
/// One device is stored with its own link type (raw IP for a tun, Ethernet for a veth), as
/// `tcpdump -i DEV -w` writes it; several are stored as Linux cooked v2 (SLL2), which names each
/// packet's interface and direction, as `tcpdump -i any -w` writes it.
public final class WatchCapture: LiveSource {
    public let devices: [Device]
    public let store: PacketStore
    public let linkType: LinkType
    /// The namespace the devices live in (nil: tunscope's own).
    public let namespace: String?
    /// Every interface of that namespace, by index, read as capture started.
    public let interfaceNames: InterfaceNames

    /// Bytes kept of each packet, as tcpdump keeps them.
    public static let snapLength = PcapLiveHandle.snapLength

    /// A device being watched, as the capture thread found it.
    public struct Device: Sendable {
        public let name: String
        /// Its link type on its own (raw IP for a tun, Ethernet, SLL2 for `any`).
        public let linkType: LinkType
        public let interfaceIndex: Int
        /// Who holds it, for a tun or tap that a program holds.
        public let holder: DeviceHolder?
        public let kind: DeviceKind
    }

    /// Packets queued for injection, each with the index of the device it goes out of.
    struct Injection: Sendable {
        var device: Int
        var bytes: Bytes
    }

    private let shared = CaptureThreadState<Injection>()

    /// Opens every device in `names` (in `namespace`, when given) and starts capturing. `filter`
    /// is the capture filter (tcpdump's expression), compiled into the kernel; `bufferKiB` is
    /// tcpdump's -B. Throws what opening failed on, with libpcap's reason.
    public init(devices names: [String], namespace: String? = nil, filter: String? = nil, bufferKiB: Int? = nil,
                store: PacketStore) throws {
        precondition(!names.isEmpty)
        let opened = Handoff<Result<([Device], InterfaceNames), CaptureError>>()
        let shared = self.shared
        startThread {
            defer { shared.finish() }
            let sources: [Source]
            do {
                if let namespace { try NetworkNamespace.enter(namespace) }
                sources = try names.map { try Source(device: $0, filter: filter, bufferKiB: bufferKiB) }
            } catch let e as CaptureError {
                opened.put(.failure(e))
                return
            } catch {
                opened.put(.failure(CaptureError("\(error)")))
                return
            }
            opened.put(.success((sources.map(\.device), LocalInterfaces.names())))
            Self.readLoop(sources, cooked: names.count > 1, store: store, shared: shared)
        }
        switch opened.take() {
        case let .failure(e):
            shared.finished.take()
            shared.closePipes()
            throw e
        case let .success((devices, names)):
            self.devices = devices
            interfaceNames = names
            linkType = devices.count == 1 ? devices[0].linkType : .linuxSLL2
        }
        self.store = store
        self.namespace = namespace
    }

    deinit {
        stop()
        shared.closePipes()
    }

    /// One device's handles and what the capture thread needs to know of it (LiveCapture opens
    /// these too, for the devices it watches beside its tun).
    final class Source {
        let device: Device
        /// One handle per direction (`any`: one, its packets saying which way they went).
        let handles: [(handle: PcapLiveHandle, direction: Direction?)]
        /// The SLL2 header its packets get when several devices are stored in one list.
        let cooked: CookedHeader

        init(device name: String, filter: String?, bufferKiB: Int?) throws {
            if name == "any" {
                let h = try PcapLiveHandle(device: name, bufferKiB: bufferKiB, linuxCooked: true)
                if let filter { try h.setFilter(filter) }
                handles = [(h, nil)]
            } else {
                // Packets the kernel sends out of the device are `.received` from the device's far end's view.
                let outbound = try PcapLiveHandle(device: name, bufferKiB: bufferKiB)
                let inbound = try PcapLiveHandle(device: name, bufferKiB: bufferKiB)
                try inbound.keepOnly(PCAP_D_IN)
                try outbound.keepOnly(PCAP_D_OUT)
                if let filter {
                    try inbound.setFilter(filter)
                    try outbound.setFilter(filter)
                }
                // The inbound handle first: it injects, so that the outbound one sees what it injects
                // (the kernel does not show a packet socket what it sent itself).
                handles = [(inbound, .sent), (outbound, .received)]
            }
            let kind = DeviceKind(device: name)
            device = Device(name: name, linkType: handles[0].handle.linkType, interfaceIndex: Int(if_nametoindex(name)),
                            holder: kind == .tun || kind == .tap ? DeviceHolder.of(device: name) : nil, kind: kind)
            // Asked of the kernel on this thread, in the devices' namespace (/sys may show another).
            var mac = [UInt8](repeating: 0, count: 6)
            let type = tunscope_hardware_address(name, &mac)
            cooked = CookedHeader(interfaceIndex: device.interfaceIndex,
                                  hardwareType: type >= 0 ? UInt16(truncatingIfNeeded: type)
                                      : DeviceKind.attribute("type", of: name).flatMap { UInt16($0) } ?? 0xFFFE,
                                  linkType: device.linkType,
                                  ownMAC: type == 1 ? mac : (type >= 0 ? [] : Self.macAddress(name)))
        }

        private static func macAddress(_ name: String) -> [UInt8] {
            guard let text = DeviceKind.attribute("address", of: name) else { return [] }
            let bytes = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
            return bytes.count == 6 ? bytes : []
        }
    }

    /// Capture: wait for any handle, take what each has, and store it in the kernel's order.
    ///
    /// Two handles fill at the same time, so a packet read now from one may be older than a
    /// packet already read from the other: libpcap sees a handle's packets only once the kernel
    /// hands over the block they are in (when full, or after the 1 ms timeout), and the kernel
    /// stamps an arriving packet when it queues it, before it reaches any handle. So a packet is
    /// stored once it is `holdBackMilliseconds` old, by then merged by time with any older one
    /// another handle had yet to show. Each handle reads into a batch of its own, without
    /// allocating per packet, and under a flood in one direction that batch goes to the store as
    /// it is.
    /// How long a packet waits for older ones from another handle (see `readLoop`): a few times
    /// the block timeout, well under a frame of the screen.
    static let holdBackMilliseconds: Int32 = 5

    private static func readLoop(_ sources: [Source], cooked: Bool, store: PacketStore, shared: CaptureThreadState<Injection>) {
        let handles = sources.enumerated().flatMap { d, s in s.handles.map { (device: d, handle: $0.handle, direction: $0.direction) } }
        var runs = handles.map { _ in PacketStore.Batch() }
        var merged = PacketStore.Batch()
        var now = timespec()
        var dropsReadAt = 0
        var polls = [pollfd(fd: shared.wake.read, events: Int16(POLLIN), revents: 0)]
        polls += handles.map { pollfd(fd: $0.handle.descriptor, events: Int16(POLLIN), revents: 0) }
        func readDrops() {
            let drops = handles.reduce(0) { $0 + ($1.handle.kernelDropped ?? 0) }
            shared.drops.withLock { $0 = drops }
        }
        defer { readDrops() }
        let notify = { shared.notifyArrivals() }
        while !shared.stopRequested.load(ordering: .acquiring) {
            if shared.outboxWaiting.load(ordering: .acquiring) { injectOutbox(sources, shared: shared) }
            let holding = runs.contains { $0.count > 0 }
            let ready = polls.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), holding ? holdBackMilliseconds : 1000) }
            if ready > 0 && polls[0].revents != 0 { shared.drainWake() }
            clock_gettime(CLOCK_REALTIME, &now)
            let roundStart = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec / 1000)
            do {
                for (r, h) in handles.enumerated() {
                    try take(from: h.handle, direction: h.direction, cooked: cooked ? sources[h.device].cooked : nil, into: &runs[r])
                }
            } catch let e as CaptureError {
                storeMerged(&runs, upTo: .max, scratch: &merged, store: store, notify: notify)
                shared.failure.withLock { $0 = e }
                break
            } catch {
                break
            }
            storeMerged(&runs, upTo: roundStart - Int64(holdBackMilliseconds) * 1000, scratch: &merged, store: store, notify: notify)
            if time(nil) != dropsReadAt {
                dropsReadAt = time(nil)
                readDrops()
            }
        }
        // Stopped: what was held back is stored too.
        storeMerged(&runs, upTo: .max, scratch: &merged, store: store, notify: notify)
    }

    /// Takes what `handle` holds (a bounded number a round, so one busy device cannot starve the
    /// rest) into its run: as it is, or under `cooked`, the header that names its device when
    /// several are stored in one list. LiveCapture takes the devices it watches the same way.
    static func take(from handle: PcapLiveHandle, direction: Direction?, cooked: CookedHeader?,
                     into run: inout PacketStore.Batch) throws {
        _ = try handle.dispatch(limit: 4096) { header, bytes in
            let h = header.pointee
            let packet = UnsafeRawBufferPointer(start: bytes, count: Int(h.caplen))
            let seconds = Int(h.ts.tv_sec), microseconds = Int(h.ts.tv_usec)
            // `any` says which way in its own cooked header: PACKET_OUTGOING is what the kernel sent.
            let way = direction ?? (packet.count > 10 && packet[10] == 4 ? .received : .sent)
            if let cooked {
                cooked.add(packet, seconds: seconds, microseconds: microseconds, originalLength: Int(h.len), direction: way, to: &run)
            } else {
                run.add(packet, seconds: seconds, microseconds: microseconds, originalLength: Int(h.len), direction: way)
            }
        }
    }

    /// Moves every run's packets stamped up to `limit` (microseconds) into the store, merged by
    /// time (on equal times, in handle order).
    static func storeMerged(_ runs: inout [PacketStore.Batch], upTo limit: Int64, scratch merged: inout PacketStore.Batch,
                            store: PacketStore, notify: () -> Void) {
        let ready = runs.map { $0.countStamped(upTo: limit) }
        let active = ready.indices.filter { ready[$0] > 0 }
        guard let first = active.first else { return }
        if active.count == 1 && ready[first] == runs[first].count {
            store.append(runs[first])
            runs[first].removeAll()
        } else {
            merged.removeAll()
            var next = runs.map { _ in 0 }
            while true {
                var pick: Int?
                for r in active where next[r] < ready[r] {
                    if pick == nil || runs[r].time(at: next[r]) < runs[pick!].time(at: next[pick!]) { pick = r }
                }
                guard let r = pick else { break }
                merged.add(packetAt: next[r], of: runs[r])
                next[r] += 1
            }
            store.append(merged)
            for r in active { runs[r].removeFirst(ready[r]) }
        }
        notify()
    }

    private static func injectOutbox(_ sources: [Source], shared: CaptureThreadState<Injection>) {
        for packet in shared.takeOutbox() {
            do {
                try sources[packet.device].handles[0].handle.inject(packet.bytes)
            } catch {
                shared.sendFailed(error)
            }
        }
    }

    /// Queues `bytes` to go out of device `device` (its index in `devices`) as if the kernel sent
    /// it: on a tun, the program holding it reads it. The packet comes back through capture.
    public func inject(_ bytes: Bytes, device: Int = 0) {
        shared.queue(Injection(device: device, bytes: bytes))
    }

    public func takeSendErrors() -> [String] { shared.takeSendErrors() }

    /// Waits until the store holds a packet newer than `number`, or `timeoutMilliseconds` pass.
    public func waitForPackets(after number: Int, timeoutMilliseconds: Int32) {
        shared.waitForPackets(in: store, after: number, timeoutMilliseconds: timeoutMilliseconds)
    }

    public func stop() { shared.stop() }

    public var isRunning: Bool { shared.running.load(ordering: .acquiring) }

    public var failure: CaptureError? { shared.failure.withLock { $0 } }

    /// Packets the kernel dropped because tunscope's buffers were full (pcap_stats, every handle),
    /// read about once a second and when capture stops.
    public var kernelDropped: Int? { shared.drops.withLock { $0 } }

    /// What the status bar and print's first line say: "watching tun0 (held by python3, pid 4242)",
    /// "watching eth0", "watching tun0, veth0".
    public var title: String {
        "watching " + devices.map { d in d.name + (d.holder.map { " (held by \($0))" } ?? "") }.joined(separator: ", ")
    }
}

extension PacketStore.Batch {
    /// Packet `i`'s time in microseconds.
    func time(at i: Int) -> Int64 {
        Int64(packets[i].seconds) * 1_000_000 + Int64(packets[i].microseconds)
    }

    /// How many packets, from the first, are stamped at or before `limit`.
    func countStamped(upTo limit: Int64) -> Int {
        if let last = packets.last, Int64(last.seconds) * 1_000_000 + Int64(last.microseconds) <= limit { return count }
        return packets.firstIndex { Int64($0.seconds) * 1_000_000 + Int64($0.microseconds) > limit } ?? count
    }

    /// Adds packet `i` of `other`.
    mutating func add(packetAt i: Int, of other: PacketStore.Batch) {
        let p = other.packets[i]
        other.bytes.withUnsafeBytes { all in
            add(UnsafeRawBufferPointer(rebasing: all[p.offset..<(p.offset + p.length)]), seconds: p.seconds,
                microseconds: p.microseconds, originalLength: p.originalLength, direction: p.direction)
        }
    }

    /// Drops the first `k` packets; the rest's bytes move to the front.
    mutating func removeFirst(_ k: Int) {
        guard k < count else {
            removeAll()
            return
        }
        let from = packets[k].offset
        bytes.withUnsafeMutableBytes { all in
            all.baseAddress!.copyMemory(from: all.baseAddress! + from, byteCount: byteCount - from)
        }
        packets.removeFirst(k)
        for i in packets.indices { packets[i].offset -= from }
        byteCount -= from
    }
}
