import Wire

/// A firewall as doctor judges it: the chains of one tool's ruleset (iptables-nft, iptables-legacy
/// or native nftables), with each rule reduced to the matches that decide the exercise's traffic
/// (interfaces, addresses, conntrack state) and its action. Matches doctor does not model
/// (`-p tcp --dport 80`, `limit`, an `xt` match) are kept as `unjudged`: such a rule may or may
/// not apply, so it never counts as accepting or dropping.
public struct Ruleset: Sendable, Equatable {
    /// "iptables-nft", "iptables-legacy" or "nftables": which tool printed it.
    public var source: String
    public var chains: [Chain]

    public init(source: String, chains: [Chain]) {
        self.source = source
        self.chains = chains
    }

    public struct Chain: Sendable, Equatable {
        /// "ip", "ip6" or "inet" (iptables: "ip").
        public var family: String
        public var table: String
        public var name: String
        /// What the chain does: "filter" or "nat" (iptables: its table's name; nftables: the chain's type).
        public var type: String
        /// The netfilter hook of a base chain ("forward", "postrouting"); nil for a chain reached only by jumps.
        public var hook: String?
        /// "accept" or "drop" for a base chain.
        public var policy: String?
        public var rules: [Rule]

        public init(family: String, table: String, name: String, type: String, hook: String?, policy: String?, rules: [Rule] = []) {
            self.family = family
            self.table = table
            self.name = name
            self.type = type
            self.hook = hook
            self.policy = policy
            self.rules = rules
        }

        /// "nat POSTROUTING", "inet filter forward": how messages name it.
        public var title: String { family == "ip" && !isNative ? "\(table) \(name)" : "\(family) \(table) \(name)" }
        var isNative = false
    }

    public struct Rule: Sendable, Equatable {
        public var inInterface: Match<String>?
        public var outInterface: Match<String>?
        public var source: Match<IPv4Network>?
        public var destination: Match<IPv4Network>?
        /// Conntrack states that match ("new", "established", "related"); nil: any.
        public var states: Set<String>?
        /// Matches doctor does not judge, as the tool wrote them.
        public var unjudged: [String] = []
        public var action: Action
        /// The rule as the tool printed it, for messages.
        public var text: String

        public init(action: Action, text: String) {
            self.action = action
            self.text = text
        }
    }

    /// A value a rule compares with, or (negated) must differ from; several: any of them.
    public struct Match<Value: Sendable & Equatable>: Sendable, Equatable {
        public var values: [Value]
        public var negated: Bool

        public init(_ values: [Value], negated: Bool = false) {
            self.values = values
            self.negated = negated
        }
    }

    public enum Action: Sendable, Equatable {
        case accept, drop, reject, `return`, masquerade, snat
        case jump(String)
        /// Anything else (LOG, MARK, DNAT, a counter alone): the walk goes on past it.
        case other(String)
    }
}

/// An IPv4 network: an address and a prefix length (a host is /32).
public struct IPv4Network: Sendable, Equatable, CustomStringConvertible {
    public var address: IPv4Address
    public var prefixLength: Int

    public init(address: IPv4Address, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// "192.0.2.2", "192.0.2.0/24"; nil when it is not one (an IPv6 network, a name).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = IPv4Address(String(first)) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : 32
        guard let length, (0...32).contains(length) else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public func contains(_ host: IPv4Address) -> Bool {
        let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << (32 - prefixLength)
        return host.value & mask == address.value & mask
    }

    public var description: String { prefixLength == 32 ? "\(address)" : "\(address)/\(prefixLength)" }
}

/// One packet of the exercise's traffic, as far as the firewall sees it. A nil interface or
/// address is not known (no --target and no default route): rules that name one may or may not apply.
public struct Flow: Sendable, Equatable {
    public var inInterface: String?
    public var outInterface: String?
    public var source: IPv4Address?
    public var destination: IPv4Address?
    /// "new" for the far side's first SYN, "established" for the replies.
    public var state: String
    /// When `outInterface` is not known, one it surely is not (the tun the packet came in on), so
    /// `! -o tun0` still applies.
    public var outInterfaceIsNot: String?

    public init(inInterface: String?, outInterface: String?, source: IPv4Address?, destination: IPv4Address?, state: String,
                outInterfaceIsNot: String? = nil) {
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.source = source
        self.destination = destination
        self.state = state
        self.outInterfaceIsNot = outInterfaceIsNot
    }
}

extension Ruleset {
    /// What one chain (or all the base chains on a hook) does with a flow.
    public struct Verdict: Sendable, Equatable {
        /// The rule that decided, or nil when the chain's policy did.
        public var rule: Rule?
        public var action: Action
        /// The base chain the decision was made in.
        public var chain: String
        /// Rules passed over because they test what doctor does not judge.
        public var unjudged: [String] = []
    }

    /// How each base chain on `hook` (IPv4 or inet) of `type` ("filter", "nat") treats the flow:
    /// its deciding rule or its policy, in the order the chains are listed.
    public func verdicts(hook: String, type: String, flow: Flow) -> [Verdict] {
        chains.filter { $0.hook == hook && $0.type == type && ($0.family == "ip" || $0.family == "inet") }
            .map { base in
                var unjudged: [String] = []
                if let (rule, action) = walk(base, flow: flow, depth: 0, unjudged: &unjudged) {
                    return Verdict(rule: rule, action: action, chain: base.title, unjudged: unjudged)
                }
                return Verdict(rule: nil, action: base.policy == "drop" ? .drop : .accept, chain: base.title, unjudged: unjudged)
            }
    }

    /// The rule that ends the walk through `chain` (following jumps), or nil when it falls
    /// through (a base chain's policy then decides; a jumped-to chain returns).
    private func walk(_ chain: Chain, flow: Flow, depth: Int, unjudged: inout [String]) -> (Rule, Action)? {
        guard depth < 16 else { return nil }
        for rule in chain.rules {
            switch rule.applies(to: flow) {
            case .no:
                continue
            case .maybe:
                if case .other = rule.action {} else { unjudged.append(rule.text) }
                continue
            case .yes:
                switch rule.action {
                case .other: continue
                case .return: return nil
                case let .jump(target):
                    guard let next = chains.first(where: { $0.family == chain.family && $0.table == chain.table && $0.name == target }) else { continue }
                    if let end = walk(next, flow: flow, depth: depth + 1, unjudged: &unjudged) { return end }
                default: return (rule, rule.action)
                }
            }
        }
        return nil
    }
}

enum Applies { case yes, no, maybe }

extension Ruleset.Rule {
    func applies(to flow: Flow) -> Applies {
        var result = Applies.yes
        func weigh(_ answer: Applies) {
            if answer == .no { result = .no } else if answer == .maybe && result == .yes { result = .maybe }
        }
        weigh(Self.test(inInterface, flow.inInterface) { pattern, name in Self.interface(name, matches: pattern) })
        if let match = outInterface, flow.outInterface == nil, let not = flow.outInterfaceIsNot,
           match.negated, match.values.contains(where: { Self.interface(not, matches: $0) }) {
            weigh(.yes)  // `! -o tun0` and the packet leaves by some other device
        } else {
            weigh(Self.test(outInterface, flow.outInterface) { pattern, name in Self.interface(name, matches: pattern) })
        }
        weigh(Self.test(source, flow.source) { network, host in network.contains(host) })
        weigh(Self.test(destination, flow.destination) { network, host in network.contains(host) })
        if let states { weigh(states.contains(flow.state) ? .yes : .no) }
        if !unjudged.isEmpty { weigh(.maybe) }
        return result
    }

    private static func test<V, T>(_ match: Ruleset.Match<V>?, _ value: T?, _ equal: (V, T) -> Bool) -> Applies {
        guard let match else { return .yes }
        guard let value else { return .maybe }
        return match.values.contains { equal($0, value) } != match.negated ? .yes : .no
    }

    /// iptables writes a wildcard as "eth+", nftables as "eth*".
    static func interface(_ name: String, matches pattern: String) -> Bool {
        if pattern.hasSuffix("+") || pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
        return name == pattern
    }
}
