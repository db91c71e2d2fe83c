import Foundation

/// A device as `ip -j addr show dev DEV` prints it.
public struct LinkReport: Sendable, Equatable {
    public var flags: [String]
    public var operstate: String
    public var addresses: [Address]

    public struct Address: Sendable, Equatable {
        /// "inet" or "inet6".
        public var family: String
        public var local: String
        /// The far end of a point-to-point address (`peer`), which ip prints as "address".
        public var peer: String?
        public var prefixLength: Int
        /// "global", "link", "host".
        public var scope: String
    }

    public var isUp: Bool { flags.contains("UP") }
    /// The kernel's carrier: for a tun, whether a program holds it open.
    public var hasCarrier: Bool { flags.contains("LOWER_UP") && !flags.contains("NO-CARRIER") }

    /// Nil when the output is not ip's JSON for one device.
    public static func parse(_ json: String) -> LinkReport? {
        guard let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
              let device = list.first else { return nil }
        let addresses = (device["addr_info"] as? [[String: Any]] ?? []).compactMap { a -> Address? in
            guard let family = a["family"] as? String, let local = a["local"] as? String else { return nil }
            return Address(family: family, local: local, peer: a["address"] as? String,
                           prefixLength: a["prefixlen"] as? Int ?? 0, scope: a["scope"] as? String ?? "")
        }
        return LinkReport(flags: device["flags"] as? [String] ?? [], operstate: device["operstate"] as? String ?? "",
                          addresses: addresses)
    }
}

/// The kernel's choice of route, as `ip -j route get ADDRESS` (or `ip -j route show default`) prints it.
public struct RouteReport: Sendable, Equatable {
    public var destination: String
    public var device: String?
    public var gateway: String?
    /// The source address the kernel would give packets it sends itself.
    public var preferredSource: String?
    /// "unicast" unless ip says otherwise ("unreachable", "blackhole", "prohibit", "local").
    public var type: String

    /// The first route in the output; nil when there is none.
    public static func parse(_ json: String) -> RouteReport? {
        guard let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
              let route = list.first else { return nil }
        return RouteReport(destination: route["dst"] as? String ?? "", device: route["dev"] as? String,
                           gateway: route["gateway"] as? String, preferredSource: route["prefsrc"] as? String,
                           type: route["type"] as? String ?? "unicast")
    }
}
