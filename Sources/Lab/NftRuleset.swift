import Foundation

/// Reads what `nft -j list ruleset` prints (libnftables' JSON schema): a list of `table`,
/// `chain` and `rule` objects, each rule a list of expressions (`match`, `counter`, `accept`,
/// `jump`, `masquerade`, `snat`, and `xt` for what iptables-nft wrote in its compatibility form).
public enum NftRuleset {
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ json: String) throws -> Ruleset {
        guard let top = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let items = top["nftables"] as? [[String: Any]] else {
            throw ParseError(description: "nft printed something that is not its JSON ruleset")
        }
        var chains: [Ruleset.Chain] = []
        for item in items {
            if let c = item["chain"] as? [String: Any] {
                var chain = Ruleset.Chain(family: c["family"] as? String ?? "", table: c["table"] as? String ?? "",
                                          name: c["name"] as? String ?? "", type: c["type"] as? String ?? "filter", hook: c["hook"] as? String,
                                          policy: c["hook"] == nil ? nil : (c["policy"] as? String ?? "accept"))
                chain.isNative = true
                chains.append(chain)
            } else if let r = item["rule"] as? [String: Any] {
                let family = r["family"] as? String, table = r["table"] as? String, name = r["chain"] as? String
                guard let index = chains.lastIndex(where: { $0.family == family && $0.table == table && $0.name == name }) else { continue }
                chains[index].rules.append(rule(r["expr"] as? [[String: Any]] ?? [], in: chains[index]))
            }
        }
        return Ruleset(source: "nftables", chains: chains)
    }

    static func rule(_ expressions: [[String: Any]], in chain: Ruleset.Chain) -> Ruleset.Rule {
        var rule = Ruleset.Rule(action: .other(""), text: "")
        var said: [String] = []
        for expression in expressions {
            guard let (key, body) = expression.first else { continue }
            switch key {
            case "match":
                guard let m = body as? [String: Any] else { continue }
                said.append(match(m, into: &rule))
            case "accept": rule.action = .accept; said.append("accept")
            case "drop": rule.action = .drop; said.append("drop")
            case "reject": rule.action = .reject; said.append("reject")
            case "return": rule.action = .return; said.append("return")
            case "masquerade": rule.action = .masquerade; said.append("masquerade")
            case "snat": rule.action = .snat; said.append("snat")
            case "jump", "goto":
                let target = (body as? [String: Any])?["target"] as? String ?? ""
                rule.action = .jump(target)
                said.append("\(key) \(target)")
            case "xt":
                // iptables-nft's compatibility form: a target names its action, a match is not judged.
                let x = body as? [String: Any] ?? [:]
                let name = x["name"] as? String ?? "?"
                if x["type"] as? String == "target" {
                    rule.action = IptablesSave.action(name)
                    said.append(name)
                } else {
                    rule.unjudged.append("xt match \(name)")
                    said.append("xt match \(name)")
                }
            case "vmap":
                // A verdict map (firewalld: `iifname vmap { "eth0" : jump filter_FWD_public }`) may
                // jump anywhere: doctor does not follow it, and says so when it passes one.
                rule.action = .jump("a verdict map")
                rule.unjudged.append("vmap")
                said.append("vmap")
            case "counter", "log", "comment", "limit", "notrack":
                continue  // they change nothing about where the packet goes
            default:
                rule.unjudged.append(key)
                said.append(key)
            }
        }
        rule.text = "\(chain.family) \(chain.table) \(chain.name): " + said.joined(separator: " ")
        return rule
    }

    /// Fills in the part of `rule` one match tests, and returns it as nft's text would say it.
    private static func match(_ m: [String: Any], into rule: inout Ruleset.Rule) -> String {
        let op = m["op"] as? String ?? "=="
        let negated = op == "!="
        let left = m["left"] as? [String: Any] ?? [:]
        let right = m["right"]
        let words = strings(right)
        if let meta = left["meta"] as? [String: Any], let key = meta["key"] as? String, key == "iifname" || key == "oifname", let words {
            let match = Ruleset.Match(words, negated: negated)
            if key == "iifname" { rule.inInterface = match } else { rule.outInterface = match }
            return "\(key) \(negated ? "!= " : "")\(words.joined(separator: ","))"
        }
        if let payload = left["payload"] as? [String: Any], payload["protocol"] as? String == "ip",
           let field = payload["field"] as? String, field == "saddr" || field == "daddr", let networks = networks(right) {
            let match = Ruleset.Match(networks, negated: negated)
            if field == "saddr" { rule.source = match } else { rule.destination = match }
            return "ip \(field) \(negated ? "!= " : "")\(networks.map(\.description).joined(separator: ","))"
        }
        if let ct = left["ct"] as? [String: Any], ct["key"] as? String == "state", let words {
            let all: Set<String> = ["new", "established", "related", "invalid", "untracked"]
            rule.states = negated ? all.subtracting(words) : Set(words)
            return "ct state \(negated ? "!= " : "")\(words.joined(separator: ","))"
        }
        let text = "\(left.keys.sorted().joined()) \(op) …"
        rule.unjudged.append(text)
        return text
    }

    /// A right-hand side of strings: "tun0", ["established", "related"] or {"set": [...]}.
    private static func strings(_ value: Any?) -> [String]? {
        if let s = value as? String { return [s] }
        if let set = (value as? [String: Any])?["set"] { return strings(set) }
        if let list = value as? [Any] {
            let all = list.compactMap { $0 as? String }
            return all.count == list.count ? all : nil
        }
        return nil
    }

    /// "192.0.2.2", {"prefix": {"addr": "10.0.0.0", "len": 8}}, or a set of them.
    private static func networks(_ value: Any?) -> [IPv4Network]? {
        if let s = value as? String { return IPv4Network(s).map { [$0] } }
        if let object = value as? [String: Any] {
            if let prefix = object["prefix"] as? [String: Any], let addr = prefix["addr"] as? String, let len = prefix["len"] as? Int {
                return IPv4Network("\(addr)/\(len)").map { [$0] }
            }
            if let set = object["set"] { return networks(set) }
            return nil
        }
        if let list = value as? [Any] {
            let all = list.compactMap { networks($0) }.flatMap { $0 }
            return all.count == list.count ? all : nil
        }
        return nil
    }
}
