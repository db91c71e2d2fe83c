#if canImport(Glibc)
import Glibc
#endif
import Capture
import Wire

extension Doctor {
    /// Judges what was read: one finding for each thing the exercise needs.
    public static func diagnose(_ f: DoctorFacts) -> DoctorReport {
        var out: [DoctorReport.Finding] = []
        let dev = f.device
        let setup = "sudo tunscope setup --name \(dev) --user $USER --nat"
        switch f.kind {
        case .missing:
            out.append(.init(.fix, "\(dev) does not exist", commands: [setup]))
            return DoctorReport(findings: out)
        case .tun, .tap:
            break
        case .other:
            out.append(.init(.fix, "\(dev) is \(f.kind), not a tun or tap: tunscope can watch it but not be the host behind it; choose a tun device"))
            return DoctorReport(findings: out)
        }

        // The device itself.
        if let link = f.link {
            out.append(link.isUp ? .init(.ok, "\(dev) is \(f.kind), up")
                : .init(.fix, "\(dev) is \(f.kind), but down", commands: ["sudo ip link set dev \(dev) up"]))
        } else {
            out.append(.init(.unknown, "\(dev) is \(f.kind); ip could not show it"))
        }
        out.append(ownerFinding(f))
        out.append(holderFinding(f))

        // Its addresses.
        guard let pair = f.pointToPoint, let peer = f.peer else {
            let has = f.link?.addresses.filter { $0.family == "inet" }.map { "\($0.local)/\($0.prefixLength)" } ?? []
            out.append(.init(.fix, has.isEmpty ? "\(dev) has no IPv4 address: tunscope needs one for each end"
                                                : "\(dev) has \(has.joined(separator: ", ")) but no peer: tunscope needs the far side's address",
                             commands: ["sudo ip addr add 192.0.2.1 peer 192.0.2.2 dev \(dev)"]))
            out += forwardingFindings(f)
            return DoctorReport(findings: out)
        }
        out.append(.init(.ok, "\(dev) is \(pair.local), its far side (tunscope) \(peer)"))

        out += forwardingFindings(f)
        out += routeFindings(f, peer: peer)
        let egress = f.egressDevice
        let outward = Flow(inInterface: dev, outInterface: egress, source: peer, destination: f.targetAddress, state: "new",
                           outInterfaceIsNot: dev)
        let replies = Flow(inInterface: egress, outInterface: dev, source: f.targetAddress, destination: peer, state: "established")
        out += firewallFindings(f, peer: peer, outward: outward, replies: replies)
        return DoctorReport(findings: out)
    }

    private static func ownerFinding(_ f: DoctorFacts) -> DoctorReport.Finding {
        let dev = f.device
        let owner = f.owner ?? -1, group = f.group ?? -1
        guard owner >= 0 || group >= 0 else {
            return .init(.note, "only root (CAP_NET_ADMIN) may open \(dev): it has no owner or group; to open it as yourself, make it again for you",
                         commands: ["sudo ip link delete dev \(dev) && sudo tunscope setup --name \(dev) --user $USER"])
        }
        var who: [String] = []
        if owner >= 0 { who.append("user \(userName(uid: owner))") }
        if group >= 0 { who.append("group \(groupName(gid: group))") }
        return .init(.ok, "\(dev) may be opened by \(who.joined(separator: " and ")), and by root")
    }

    private static func holderFinding(_ f: DoctorFacts) -> DoctorReport.Finding {
        let dev = f.device
        if f.heldByCaller { return .init(.ok, "tunscope holds \(dev): it is the host at the far side") }
        if let holder = f.holder {
            return .init(.note, "\(dev) is held by \(holder.command) (pid \(holder.pid)): tunscope can watch it, not be its far side, while that runs")
        }
        return .init(.note, "no program holds \(dev) now\(f.link?.hasCarrier == false ? " (so it has no carrier)" : ""): tunscope -i \(dev) will")
    }

    /// ip_forward, and IPv6 forwarding where the device has a global IPv6 address.
    private static func forwardingFindings(_ f: DoctorFacts) -> [DoctorReport.Finding] {
        var out: [DoctorReport.Finding] = []
        switch f.ipForward {
        case "1": out.append(.init(.ok, "ip_forward is 1"))
        case let value?: out.append(.init(.fix, "ip_forward is \(value): the kernel does not forward what the far side sends",
                                         commands: ["sudo sysctl -w net.ipv4.ip_forward=1"]))
        case nil: out.append(.init(.unknown, "cannot read net.ipv4.ip_forward"))
        }
        if let v6 = f.link?.addresses.first(where: { $0.family == "inet6" && $0.scope == "global" }) {
            if f.ipv6Forward == "1" {
                out.append(.init(.ok, "IPv6 forwarding is on (\(f.device) has \(v6.local))"))
            } else {
                out.append(.init(.fix, "\(f.device) has \(v6.local) but IPv6 forwarding is off: the far side's IPv6 goes nowhere",
                                 commands: ["sudo sysctl -w net.ipv6.conf.all.forwarding=1"]))
            }
        }
        return out
    }

    /// The way back to the far side, rp_filter, and the way out (to --target or the default route).
    private static func routeFindings(_ f: DoctorFacts, peer: IPv4Address) -> [DoctorReport.Finding] {
        let dev = f.device
        var out: [DoctorReport.Finding] = []
        var backThroughDevice = false
        switch f.routeToPeer {
        case let .route(route)? where route.device == dev:
            backThroughDevice = true
            out.append(.init(.ok, "replies to \(peer) route back through \(dev)"))
        case let .route(route)?:
            out.append(.init(.fix, "replies to \(peer) go out \(route.device ?? route.type), not \(dev): they never reach tunscope",
                             commands: ["sudo ip route replace \(peer)/32 dev \(dev)"]))
        case let .failed(why)?:
            out.append(.init(.fix, "no route back to \(peer) (\(why)): replies never reach tunscope",
                             commands: ["sudo ip route replace \(peer)/32 dev \(dev)"]))
        case nil:
            break
        }

        // rp_filter: the larger of `all` and the device's own value is the one the kernel uses.
        let all = f.rpFilterAll ?? 0, own = f.rpFilterDevice ?? 0
        let effective = max(all, own)
        let values = "all \(all), \(dev) \(own)"
        let loosen = [("all", all), (dev, own)].filter { $0.1 == 1 }.map { "net.ipv4.conf.\($0.0).rp_filter=2" }
        switch effective {
        case 0:
            out.append(.init(.ok, "rp_filter is off on \(dev) (\(values))"))
        case 1 where !backThroughDevice:
            out.append(.init(.fix, "rp_filter is strict on \(dev) (\(values)) and the route to \(peer) is not \(dev): it drops what the far side sends",
                             commands: ["sudo sysctl -w " + loosen.joined(separator: " ")]))
        case 1:
            out.append(.init(.ok, "rp_filter is strict on \(dev) (\(values)), and \(peer) routes back through \(dev), so it passes"))
        default:
            if case .route? = f.routeToPeer {
                out.append(.init(.ok, "rp_filter is loose on \(dev) (\(values)): \(peer) has a route, so it passes"))
            } else {
                out.append(.init(.fix, "rp_filter is loose on \(dev) (\(values)) and \(peer) has no route: it drops what the far side sends",
                                 commands: ["sudo ip route replace \(peer)/32 dev \(dev)"]))
            }
        }

        // The way out.
        if let target = f.target {
            guard let address = f.targetAddress else {
                out.append(.init(.fix, "\(target) is not an IPv4 address and does not resolve to one"))
                return out
            }
            switch f.routeToTarget {
            case let .route(route)? where route.device == dev:
                out.append(.init(.fix, "the route to \(address) goes back into \(dev): the far side's packets would loop"))
            case let .route(route)?:
                out.append(.init(.ok, "the route to \(address) goes out \(route.device ?? "?")\(route.gateway.map { " via \($0)" } ?? "")"))
            case let .failed(why)?:
                out.append(.init(.fix, "no route to \(address): \(why)"))
            case nil:
                break
            }
            // The kernel's answer for the forwarded packet itself (it fails when forwarding or rp_filter would stop it).
            if case let .failed(why)? = f.forwardedRoute, case .route? = f.routeToTarget, f.ipForward == "1" {
                out.append(.init(.fix, "the kernel would not forward \(peer) → \(address) arriving on \(dev): \(why)"))
            }
        } else if let route = f.defaultRoute {
            out.append(.init(.ok, "the default route goes out \(route.device ?? "?")\(route.gateway.map { " via \($0)" } ?? "") (give --target HOST to check another way)"))
        } else {
            out.append(.init(.fix, "no default route: what the far side sends to the internet has nowhere to go (or give --target HOST)",
                             commands: ["sudo ip route add default via GATEWAY dev INTERFACE"]))
        }
        return out
    }

    /// NAT on the way out, and the FORWARD chain both ways, in every firewall that was read.
    private static func firewallFindings(_ f: DoctorFacts, peer: IPv4Address, outward: Flow, replies: Flow) -> [DoctorReport.Finding] {
        let dev = f.device
        var out: [DoctorReport.Finding] = []
        var rulesets: [Ruleset] = []
        for reading in f.firewalls {
            switch reading {
            case let .read(ruleset): rulesets.append(ruleset)
            case let .missing(tool, what): out.append(.init(.note, "\(tool) is not installed: \(what) not read"))
            case let .failed(tool, message):
                out.append(.init(.unknown, "cannot read the firewall with \(tool): \(message)\(message.contains("root") || message.contains("ermission") ? " (run doctor with sudo)" : "")"))
            }
        }
        guard !rulesets.isEmpty else {
            out.append(.init(.unknown, "no firewall tool could be read: NAT and FORWARD not checked"))
            return out
        }
        func command(for ruleset: Ruleset) -> String { f.iptablesCommands[ruleset.source] ?? "iptables" }
        let via = outward.outInterface.map { " out of \($0)" } ?? ""

        // NAT: a MASQUERADE or SNAT in any ruleset rewrites the far side's address.
        let nat = rulesets.lazy.flatMap { r in r.verdicts(hook: "postrouting", type: "nat", flow: outward).map { (r, $0) } }
            .first { $0.1.action == .masquerade || $0.1.action == .snat }
        if let (ruleset, verdict) = nat {
            let what = verdict.action == .masquerade ? "MASQUERADE" : "SNAT"
            out.append(.init(.ok, "\(what) for \(peer)\(via) (\(ruleset.source): \(verdict.rule?.text ?? verdict.chain))"))
        } else {
            let iptables = rulesets.first { $0.source != "nftables" }.map(command) ?? "iptables"
            out.append(.init(.fix, "no MASQUERADE for \(peer): replies from outside cannot come back",
                             commands: ["sudo \(iptables) -t nat -A POSTROUTING -s \(peer)/32 ! -o \(dev) -j MASQUERADE"]))
        }

        // FORWARD, both ways: every ruleset's forward chains must let it through.
        for (flow, what, outwardFlow) in [(outward, "what \(dev) sends", true), (replies, "replies to \(dev)", false)] {
            var dropped = false
            for ruleset in rulesets {
                for verdict in ruleset.verdicts(hook: "forward", type: "filter", flow: flow)
                where verdict.action == .drop || verdict.action == .reject {
                    dropped = true
                    let docker = ruleset.source != "nftables" && ruleset.chains.contains { $0.name == "DOCKER-USER" }
                    let by = verdict.rule.map { "rule \($0.text)" }
                        ?? "policy \(verdict.action == .drop ? "DROP" : "REJECT")\(docker ? ", as Docker sets it" : "")"
                    let unsure = verdict.unjudged.isEmpty ? "" : "; not judged: \(verdict.unjudged.joined(separator: " | "))"
                    out.append(.init(.fix, "FORWARD drops \(what) (\(ruleset.source) \(verdict.chain): \(by))\(unsure)",
                                     commands: [forwardFix(ruleset: ruleset, chain: verdict.chain, outward: outwardFlow, device: dev, peer: peer,
                                                           iptables: command(for: ruleset))]))
                }
            }
            if !dropped {
                let chains = rulesets.flatMap { r in r.verdicts(hook: "forward", type: "filter", flow: flow).map { (r, $0) } }
                let how = chains.isEmpty ? "no FORWARD rules"
                    : chains.map { "\($0.0.source) \($0.1.chain): \($0.1.rule?.text ?? "policy ACCEPT")" }.joined(separator: "; ")
                out.append(.init(.ok, "FORWARD lets \(what) through (\(how))"))
            }
        }
        return out
    }

    /// The rule that lets one direction through, for the tool whose chain drops it.
    private static func forwardFix(ruleset: Ruleset, chain: String, outward: Bool, device: String, peer: IPv4Address, iptables: String) -> String {
        if ruleset.source == "nftables" {
            // chain is "FAMILY TABLE NAME".
            let match = outward ? "iifname \"\(device)\" ip saddr \(peer)" : "oifname \"\(device)\" ip daddr \(peer) ct state related,established"
            return "sudo nft 'insert rule \(chain) \(match) accept'"
        }
        return outward ? "sudo \(iptables) -I FORWARD -i \(device) -s \(peer)/32 -j ACCEPT"
            : "sudo \(iptables) -I FORWARD -o \(device) -d \(peer)/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    }

    private static func userName(uid: Int64) -> String {
        getpwuid(uid_t(uid)).map { "\(String(cString: $0.pointee.pw_name)) (uid \(uid))" } ?? "uid \(uid)"
    }

    private static func groupName(gid: Int64) -> String {
        getgrgid(gid_t(gid)).map { "\(String(cString: $0.pointee.gr_name)) (gid \(gid))" } ?? "gid \(gid)"
    }
}

extension DoctorFacts {
    /// Where the far side's packets leave: towards --target, else the default route's device.
    var egressDevice: String? {
        if target != nil {
            if case let .route(route)? = routeToTarget { return route.device }
            return nil
        }
        return defaultRoute?.device
    }
}
