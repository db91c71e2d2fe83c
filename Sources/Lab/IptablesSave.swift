import Foundation

/// Reads what `iptables-save` (nft or legacy) prints: `*table`, `:CHAIN POLICY [packets:bytes]`,
/// `-A CHAIN matches -j TARGET target-options`, `COMMIT`.
public enum IptablesSave {
    /// The built-in chains doctor looks at, and the hook each sits on.
    static let hooks: [String: String] = ["PREROUTING": "prerouting", "INPUT": "input", "FORWARD": "forward",
                                          "OUTPUT": "output", "POSTROUTING": "postrouting"]

    public static func parse(_ text: String, source: String) -> Ruleset {
        var chains: [Ruleset.Chain] = []
        var table = ""
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
            } else if line.hasPrefix(":") {
                let words = line.dropFirst().split(separator: " ")
                guard let name = words.first.map(String.init) else { continue }
                let policy = words.count > 1 && words[1] != "-" ? words[1].lowercased() : nil
                chains.append(Ruleset.Chain(family: "ip", table: table, name: name, type: table,
                                            hook: policy == nil ? nil : hooks[name], policy: policy))
            } else if line.hasPrefix("-A ") {
                let words = tokens(line)
                guard words.count >= 2, let index = chains.lastIndex(where: { $0.table == table && $0.name == words[1] }) else { continue }
                chains[index].rules.append(rule(Array(words.dropFirst(2)), text: line))
            }
        }
        return Ruleset(source: source, chains: chains)
    }

    /// One rule's words after `-A CHAIN`.
    static func rule(_ words: [String], text: String) -> Ruleset.Rule {
        var rule = Ruleset.Rule(action: .other(""), text: text)
        var negate = false
        var i = 0
        func value() -> String? {
            i += 1
            return i < words.count ? words[i] : nil
        }
        while i < words.count {
            let word = words[i]
            switch word {
            case "!":
                negate = true
                i += 1
                continue
            case "-i", "--in-interface":
                rule.inInterface = value().map { .init([$0], negated: negate) }
            case "-o", "--out-interface":
                rule.outInterface = value().map { .init([$0], negated: negate) }
            case "-s", "--source":
                rule.source = value().map { networks($0, negated: negate, unjudged: &rule.unjudged) } ?? nil
            case "-d", "--destination":
                rule.destination = value().map { networks($0, negated: negate, unjudged: &rule.unjudged) } ?? nil
            case "-m", "--match":
                // The module's name alone tests nothing; its options follow.
                _ = value()
            case "--ctstate", "--state":
                let states = Set((value() ?? "").lowercased().split(separator: ",").map(String.init))
                let all: Set<String> = ["new", "established", "related", "invalid", "untracked"]
                rule.states = negate ? all.subtracting(states) : states
            case "--comment":
                _ = value()
            case "-j", "--jump", "-g", "--goto":
                rule.action = action(value() ?? "")
                return rule  // what follows are the target's options
            default:
                // A match doctor does not judge (`-p tcp`, `--dport 80`), with its values.
                var said = (negate ? "! " : "") + word
                while i + 1 < words.count, !words[i + 1].hasPrefix("-") && words[i + 1] != "!" {
                    i += 1
                    said += " " + words[i]
                }
                rule.unjudged.append(said)
            }
            negate = false
            i += 1
        }
        return rule
    }

    static func action(_ target: String) -> Ruleset.Action {
        switch target {
        case "ACCEPT": return .accept
        case "DROP": return .drop
        case "REJECT": return .reject
        case "RETURN": return .return
        case "MASQUERADE": return .masquerade
        case "SNAT": return .snat
        case "LOG", "NFLOG", "MARK", "CONNMARK", "DNAT", "REDIRECT", "TCPMSS", "CT", "NOTRACK", "TRACE", "CHECKSUM", "":
            return .other(target)
        default: return .jump(target)
        }
    }

    /// "-s 10.0.0.0/8" or "-s 192.0.2.2/32,198.51.100.0/24"; an address doctor cannot read is unjudged.
    private static func networks(_ text: String, negated: Bool, unjudged: inout [String]) -> Ruleset.Match<IPv4Network>? {
        let parsed = text.split(separator: ",").compactMap { IPv4Network($0) }
        guard parsed.count == text.split(separator: ",").count else {
            unjudged.append(text)
            return nil
        }
        return .init(parsed, negated: negated)
    }

    /// The line's words, with "double quoted" words (comments) kept whole.
    static func tokens(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quoted = false
        var escaped = false
        for c in line {
            if escaped {
                word.append(c)
                escaped = false
            } else if c == "\\" && quoted {
                escaped = true
            } else if c == "\"" {
                quoted.toggle()
            } else if c == " " && !quoted {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else {
                word.append(c)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// The tables a save printed (`*filter`, `*nat`), to leave nftables' copy of them alone.
    public static func tables(in text: String) -> Set<String> {
        Set(text.split(separator: "\n").filter { $0.hasPrefix("*") }.map { String($0.dropFirst()) })
    }
}
