import Foundation

/// The lab: the classic exercise rebuilt inside network namespaces, so it needs no internet and
/// never touches the host's own network.
///
///     tunscope (192.0.2.2) ══ tun0 ══ [router ns: 192.0.2.1, NAT] ── veth ── [server ns: 198.51.100.80]
///                                                                      HTTP :80, closed :81, DNS :53, ping
///
/// The router namespace holds the tun with `192.0.2.1 peer 192.0.2.2` as in the exercise and
/// masquerades the far side out of its veth; the server namespace's kernel is the real peer.
public struct LabNetwork: Sendable {
    public var router: String
    public var server: String
    public var tun = "tun0"
    public var tunAddress = "192.0.2.1"
    public var tunPeer = "192.0.2.2"
    public var routerOutside = "198.51.100.1"
    /// The router's interface towards the server, which NAT masquerades out of (tunscope
    /// watches it beside the tun, to show what NAT rewrote), and its peer in the server.
    public var outsideInterface = "veth-out"
    public var serverInterface = "veth-in"
    public var serverAddress = "198.51.100.80"
    public var serverName = Self.defaultServerName
    /// The server's name in every lab, known before one is made (send checks targets against it).
    public static let defaultServerName = "example.test"
    public var httpPort: UInt16 = 80
    public var closedPort: UInt16 = 81
    /// The user the tun belongs to (so tunscope can attach after giving up root).
    public var tunUser: String?

    /// Names unique to this lab (by the keeper's process id), so two labs can run at once.
    public init(id: Int32, tunUser: String?) {
        router = "tunscope-lab\(id)-router"
        server = "tunscope-lab\(id)-server"
        self.tunUser = tunUser
    }

    /// Every command that builds the lab, in order. Nothing here runs in the root namespace:
    /// each command names the namespace it changes (`ip -n`, `ip netns exec`).
    public var buildCommands: [[String]] {
        let inRouter = ["ip", "netns", "exec", router]
        var tunAdd = ["ip", "-n", router, "tuntap", "add", "name", tun, "mode", "tun"]
        if let tunUser { tunAdd += ["user", tunUser] }
        return [
            ["ip", "netns", "add", router],
            ["ip", "netns", "add", server],
            ["ip", "-n", router, "link", "set", "lo", "up"],
            ["ip", "-n", server, "link", "set", "lo", "up"],
            tunAdd,
            ["ip", "-n", router, "addr", "add", tunAddress, "peer", tunPeer, "dev", tun],
            ["ip", "-n", router, "link", "set", tun, "up"],
            // The veth pair is born inside the router namespace with its other end in the server's.
            ["ip", "-n", router, "link", "add", outsideInterface, "type", "veth", "peer", "name", serverInterface, "netns", server],
            // The lab behind the tun is IPv4: without IPv6 the veth carries no router
            // solicitations or listener reports between the packets the user is looking at.
            inRouter + ["sysctl", "-q", "-w", "net.ipv6.conf.\(outsideInterface).disable_ipv6=1"],
            ["ip", "netns", "exec", server, "sysctl", "-q", "-w", "net.ipv6.conf.\(serverInterface).disable_ipv6=1"],
            ["ip", "-n", router, "addr", "add", "\(routerOutside)/24", "dev", outsideInterface],
            ["ip", "-n", router, "link", "set", outsideInterface, "up"],
            ["ip", "-n", server, "addr", "add", "\(serverAddress)/24", "dev", serverInterface],
            ["ip", "-n", server, "link", "set", serverInterface, "up"],
            inRouter + ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"],
            inRouter + ["iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "\(tunPeer)/32", "-o", outsideInterface, "-j", "MASQUERADE"],
        ]
    }

    /// Builds the lab; on failure removes what was made and rethrows.
    public func build() throws {
        do {
            for command in buildCommands { try SystemCommand.run(command) }
        } catch {
            destroy()
            throw error
        }
    }

    /// Removes both namespaces (and with them the tun, the veth pair, the addresses and the NAT
    /// rule, which live only there). Safe to call twice.
    public func destroy() {
        for ns in [router, server] where FileManager.default.fileExists(atPath: "/run/netns/\(ns)") {
            _ = try? SystemCommand.runStatus(["ip", "netns", "delete", ns])
        }
    }

    /// Namespaces left by labs whose keeper is gone (for `tunscope lab --clean`).
    public static func leftovers() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        return names.filter { name in
            guard name.hasPrefix("tunscope-lab"), let id = Int32(name.dropFirst(12).prefix { $0.isNumber }) else { return false }
            return kill(id, 0) != 0 && errno == ESRCH
        }.sorted()
    }
}
