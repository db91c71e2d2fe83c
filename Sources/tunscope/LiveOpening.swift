import ArgumentParser
import Capture
import CPcap
import Wire

/// How `print -i`, the monitor and the lab reach live devices: as the far end when tunscope can
/// hold the one tun or tap named, else (another program holds it, it is not a tun or tap, several
/// devices or `any`, or --watch) watching it through libpcap, as tcpdump does.
struct WatchOptions: ParsableArguments {
    @Flag(help: "Watch the device through libpcap, as tcpdump does, even when tunscope could hold it (then nothing answers).")
    var watch = false

    @Option(name: [.customShort("B"), .customLong("buffer-size")], parsing: .unconditional,
            help: ArgumentHelp("Watching: the kernel's capture buffer in KiB, as tcpdump's -B.", valueName: "KiB"))
    var bufferSize: Int?

    /// No --watch and no -B, for callers that take neither (the lab). `WatchOptions()` would not
    /// do: a property wrapper that was never parsed cannot be read (ArgumentParser stops the program).
    static let none = try! WatchOptions.parse([])

    func validate() throws {
        if let bufferSize, bufferSize < 1 {
            throw ValidationError("-B needs a positive number of KiB, not \(bufferSize).")
        }
    }
}

enum LiveOpening {
    /// Opens `devices` (in `namespace`, when given), as the far end when it can, else watching.
    /// `beside`: devices of the namespace that the far end watches beside its tun (the lab's
    /// outside interface), all stored as SLL2.
    static func open(devices: [String], tap: Bool, namespace: String?, filter: String?, watch: WatchOptions,
                     timesProbes: Bool, beside: [String] = [], store: PacketStore) throws -> any LiveSource {
        // /sys shows tunscope's own namespace (a lab's devices are its own tuns): any other
        // kind of device is watched without trying to hold it.
        let kind = namespace == nil ? DeviceKind(device: devices[0]) : .tun
        let notTunOrTap = if case .other = kind { true } else { false }
        if watch.watch || devices.count > 1 || devices == ["any"] || notTunOrTap {
            return try WatchCapture(devices: devices, namespace: namespace, filter: filter, bufferKiB: watch.bufferSize,
                                    store: store)
        }
        do {
            return try LiveCapture(device: devices[0], tap: tap, namespace: namespace, filter: filter,
                                   timesProbes: timesProbes, watching: beside, store: store)
        } catch let e as CaptureError where e.reason == .busy || e.reason == .notTunOrTap {
            return try WatchCapture(devices: devices, namespace: namespace, filter: filter, bufferKiB: watch.bufferSize,
                                    store: store)
        }
    }

    /// The first line `print` says, as tcpdump's "listening on": which device, held or watched,
    /// and how its packets are framed.
    static func headline(_ source: any LiveSource) -> String {
        if let watched = source as? WatchCapture {
            let type = Int32(watched.linkType.rawValue)
            let name = pcap_datalink_val_to_name(type).map { String(cString: $0) } ?? "\(type)"
            let what = pcap_datalink_val_to_description(type).map { " (\(String(cString: $0)))" } ?? ""
            return "\(watched.title), link-type \(name)\(what), snapshot length \(WatchCapture.snapLength) bytes"
        }
        let held = source as! LiveCapture
        // The addresses read from the device: tunscope is the far end, the peer address.
        let kind = held.device.isTap ? "tap, Ethernet" : "tun, raw IP"
        let addresses = held.addresses.map { "; the kernel is \($0.local), tunscope is \($0.peer)" }
            ?? "; it has no point-to-point IPv4 address"
        let beside = held.watched.isEmpty ? "" : """
            ; and watching \(held.watched.map(\.name).joined(separator: ", ")) beside it (after NAT): \
            link-type LINUX_SLL2 (Linux cooked v2), each packet with its interface and direction
            """
        return "listening on \(held.device.name) (\(kind))\(addresses)\(beside)"
    }
}
