import Capture
import Foundation
import Wire

/// `tunscope doctor`: reads, without changing anything, what the exercise's set-up needs (the
/// device, its owner and holder, addresses, routes, forwarding, rp_filter, NAT and the FORWARD
/// chain) and says what is missing, with the command that fixes it. Reading (`facts`) and
/// judging (`diagnose`) are apart, so the judging is tested on what the tools printed.
public struct Doctor: Sendable {
    public var device: String
    /// `--target HOST`: where the far side's packets are meant to go.
    public var target: String?
    /// The caller holds the tun itself (the monitor as far end): its own descriptor is no stranger's.
    public var heldByCaller: Bool

    public init(device: String = "tun0", target: String? = nil, heldByCaller: Bool = false) {
        self.device = device
        self.target = target
        self.heldByCaller = heldByCaller
    }

    public func examine() -> DoctorReport { Self.diagnose(facts()) }

    /// Everything doctor looks at, read in the calling thread's network namespace.
    public func facts() -> DoctorFacts {
        var f = DoctorFacts(device: device, kind: DeviceKind(device: device))
        f.heldByCaller = heldByCaller
        // Only a tun or tap is judged further (diagnose stops at anything else).
        guard f.kind == .tun || f.kind == .tap else { return f }
        f.link = (try? SystemCommand.runStatus(["ip", "-j", "addr", "show", "dev", device])).flatMap { LinkReport.parse($0.1) }
        f.owner = DeviceKind.attribute("owner", of: device).flatMap { Int64($0) }
        f.group = DeviceKind.attribute("group", of: device).flatMap { Int64($0) }
        f.holder = DeviceHolder.of(device: device)
        f.ipForward = Self.sysctl("net/ipv4/ip_forward")
        f.ipv6Forward = Self.sysctl("net/ipv6/conf/all/forwarding")
        f.rpFilterDevice = Self.sysctl("net/ipv4/conf/\(device)/rp_filter").flatMap { Int($0) }
        f.rpFilterAll = Self.sysctl("net/ipv4/conf/all/rp_filter").flatMap { Int($0) }
        if let peer = f.peer {
            f.routeToPeer = Self.lookup(["ip", "-j", "route", "get", "\(peer)"])
        }
        if let target {
            f.target = target
            f.targetAddress = Self.resolve(target)
            if let address = f.targetAddress {
                f.routeToTarget = Self.lookup(["ip", "-j", "route", "get", "\(address)"])
                if let peer = f.peer {
                    // The kernel's own answer for a packet from the far side arriving on the tun.
                    f.forwardedRoute = Self.lookup(["ip", "-j", "route", "get", "\(address)", "from", "\(peer)", "iif", device])
                }
            }
        }
        f.defaultRoute = (try? SystemCommand.runStatus(["ip", "-j", "route", "show", "default"])).flatMap { RouteReport.parse($0.1) }
        (f.firewalls, f.iptablesCommands) = Self.readFirewalls()
        return f
    }

    /// A value under /proc/sys (this namespace's), nil when it cannot be read.
    static func sysctl(_ path: String) -> String? {
        (try? String(contentsOfFile: "/proc/sys/\(path)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func lookup(_ argv: [String]) -> DoctorFacts.Lookup {
        do {
            let (status, out, err) = try SystemCommand.runStatus(argv)
            guard status == 0, let route = RouteReport.parse(out) else {
                let said = err.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "RTNETLINK answers: ", with: "")
                return .failed(said.isEmpty ? "no route" : said)
            }
            return .route(route)
        } catch {
            return .failed("\(error)")
        }
    }

    /// An IPv4 address as given, or the first one a name resolves to.
    static func resolve(_ host: String) -> IPv4Address? {
        if let address = IPv4Address(host) { return address }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result, let sa = first.pointee.ai_addr else { return nil }
        defer { freeaddrinfo(result) }
        return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPv4Address(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) }
    }

    /// Each firewall tool's ruleset, or why it could not be read; and the command a person types
    /// for each iptables backend ("iptables" for the one `iptables` itself is).
    static func readFirewalls() -> ([DoctorFacts.FirewallReading], [String: String]) {
        var readings: [DoctorFacts.FirewallReading] = []
        let defaultBackend = SystemCommand.locate("iptables").flatMap { _ in
            (try? SystemCommand.runStatus(["iptables", "-V"])).map { iptablesBackend(version: $0.1) }
        } ?? nil
        var commands = ["iptables-nft": "iptables-nft", "iptables-legacy": "iptables-legacy"]
        if let defaultBackend { commands[defaultBackend] = "iptables" }
        var nftTables: Set<String> = []
        for backend in ["iptables-nft", "iptables-legacy"] {
            // Without the ip_tables module there are no legacy tables, and iptables-legacy-save
            // fails to list them; a machine on nftables alone has nothing to read there.
            if backend == "iptables-legacy" && access("/proc/net/ip_tables_names", F_OK) != 0 {
                readings.append(.read(Ruleset(source: backend, chains: [])))
                continue
            }
            let tool = SystemCommand.locate("\(backend)-save") != nil ? "\(backend)-save"
                : (defaultBackend == backend && SystemCommand.locate("iptables-save") != nil ? "iptables-save" : nil)
            guard let tool else {
                readings.append(.missing(tool: "\(backend)-save", what: "\(backend)'s rules"))
                continue
            }
            switch read([tool]) {
            case let .success(text):
                if backend == "iptables-nft" { nftTables = IptablesSave.tables(in: text) }
                readings.append(.read(IptablesSave.parse(text, source: backend)))
            case let .failure(error):
                readings.append(.failed(tool: tool, message: error.description))
            }
        }
        if SystemCommand.locate("nft") == nil {
            readings.append(.missing(tool: "nft", what: "native nftables rulesets"))
        } else {
            switch read(["nft", "-j", "list", "ruleset"]) {
            case let .success(json):
                do {
                    var ruleset = try NftRuleset.parse(json)
                    // iptables-nft's own tables were read, better, by iptables-nft-save.
                    ruleset.chains.removeAll { $0.family == "ip" && nftTables.contains($0.table) }
                    readings.append(.read(ruleset))
                } catch {
                    readings.append(.failed(tool: "nft", message: "\(error)"))
                }
            case let .failure(error):
                readings.append(.failed(tool: "nft", message: error.description))
            }
        }
        return (readings, commands)
    }

    private static func read(_ argv: [String]) -> Result<String, LabError> {
        do {
            let (status, out, err) = try SystemCommand.runStatus(argv)
            guard status == 0 else {
                let said = err.split(separator: "\n").first { !$0.hasPrefix("#") }.map(String.init) ?? "exit status \(status)"
                return .failure(LabError(said))
            }
            return .success(out)
        } catch let error as LabError {
            return .failure(error)
        } catch {
            return .failure(LabError("\(error)"))
        }
    }

    /// "iptables v1.8.9 (nf_tables)" or "(legacy)": which backend a plain `iptables` is.
    public static func iptablesBackend(version: String) -> String? {
        if version.contains("nf_tables") { return "iptables-nft" }
        if version.contains("legacy") { return "iptables-legacy" }
        return nil
    }
}

/// What doctor read, as plain values.
public struct DoctorFacts: Sendable {
    public var device: String
    public var kind: DeviceKind
    public var heldByCaller = false
    public var link: LinkReport?
    /// The uid and gid that may open the tun; -1: nobody but CAP_NET_ADMIN.
    public var owner: Int64?
    public var group: Int64?
    public var holder: DeviceHolder?
    public var ipForward: String?
    public var ipv6Forward: String?
    public var rpFilterDevice: Int?
    public var rpFilterAll: Int?
    public var routeToPeer: Lookup?
    public var target: String?
    public var targetAddress: IPv4Address?
    public var routeToTarget: Lookup?
    public var forwardedRoute: Lookup?
    public var defaultRoute: RouteReport?
    public var firewalls: [FirewallReading] = []
    /// "iptables-nft" → "iptables" when that is what `iptables` runs.
    public var iptablesCommands: [String: String] = [:]

    public init(device: String, kind: DeviceKind) {
        self.device = device
        self.kind = kind
    }

    public enum Lookup: Sendable, Equatable {
        case route(RouteReport)
        case failed(String)
    }

    public enum FirewallReading: Sendable, Equatable {
        case read(Ruleset)
        case missing(tool: String, what: String)
        case failed(tool: String, message: String)
    }

    /// The device's point-to-point IPv4 address pair.
    public var pointToPoint: LinkReport.Address? {
        link?.addresses.first { $0.family == "inet" && $0.peer != nil }
    }

    /// The far side's address: tunscope's own.
    public var peer: IPv4Address? { pointToPoint?.peer.flatMap { IPv4Network($0)?.address } }
}
