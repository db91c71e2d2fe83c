import Capture
import Testing
import Wire
@testable import Lab

/// The parsers on what the tools really print, and the judging on facts built from it.
@Suite struct DoctorParsingTests {
    @Test func iptablesSaveGivesChainsPoliciesAndRules() throws {
        let r = IptablesSave.parse(DoctorSamples.iptablesNftSave, source: "iptables-nft")
        let forward = try #require(r.chains.first { $0.table == "filter" && $0.name == "FORWARD" })
        #expect(forward.hook == "forward" && forward.policy == "drop" && forward.type == "filter")
        #expect(forward.rules.count == 3)
        #expect(forward.rules[0].action == .jump("DOCKER-USER"))
        let out = forward.rules[1]
        #expect(out.source == .init([IPv4Network("192.0.2.2/32")!]) && out.inInterface == .init(["tun0"]) && out.action == .accept)
        let back = forward.rules[2]
        #expect(back.outInterface == .init(["tun0"]) && back.states == ["related", "established"] && back.unjudged.isEmpty)
        let user = try #require(r.chains.first { $0.name == "DOCKER-USER" })
        #expect(user.hook == nil && user.policy == nil && user.rules.map(\.action) == [.return])
        let post = try #require(r.chains.first { $0.table == "nat" && $0.name == "POSTROUTING" })
        #expect(post.rules[0].outInterface == .init(["tun0"], negated: true) && post.rules[0].action == .masquerade)
        #expect(post.rules[1].action == .snat && post.rules[1].source == .init([IPv4Network("10.9.0.0/16")!]))
        #expect(post.rules[1].unjudged.isEmpty, "the target's options are not matches")
        #expect(IptablesSave.tables(in: DoctorSamples.iptablesNftSave) == ["filter", "nat"])
    }

    @Test func aMatchDoctorDoesNotJudgeIsKeptAndTheRuleNeverDecides() {
        let rule = IptablesSave.rule(IptablesSave.tokens(#"-i tun0 -p tcp -m tcp --dport 80 -m comment --comment "web only" -j ACCEPT"#), text: "r")
        #expect(rule.unjudged == ["-p tcp", "--dport 80"])
        #expect(rule.inInterface == .init(["tun0"]))
        let flow = Flow(inInterface: "tun0", outInterface: "eth0", source: IPv4Address("192.0.2.2"), destination: nil, state: "new")
        #expect(rule.applies(to: flow) == .maybe)
        let chain = Ruleset.Chain(family: "ip", table: "filter", name: "FORWARD", type: "filter", hook: "forward", policy: "drop", rules: [rule])
        let verdict = Ruleset(source: "iptables-nft", chains: [chain]).verdicts(hook: "forward", type: "filter", flow: flow)
        #expect(verdict.first?.action == .drop && verdict.first?.rule == nil && verdict.first?.unjudged == ["r"])
    }

    @Test func negationsAndWildcards() {
        let rule = IptablesSave.rule(["!", "-o", "tun+", "!", "-s", "10.0.0.0/8", "-m", "state", "!", "--state", "NEW", "-j", "DROP"], text: "r")
        #expect(rule.outInterface == .init(["tun+"], negated: true))
        #expect(rule.source == .init([IPv4Network("10.0.0.0/8")!], negated: true))
        #expect(rule.states?.contains("new") == false && rule.states?.contains("established") == true)
        let reply = Flow(inInterface: "eth0", outInterface: "eth1", source: IPv4Address("198.51.100.80"), destination: nil, state: "established")
        #expect(rule.applies(to: reply) == .yes)
        var intoTun = reply
        intoTun.outInterface = "tun7"
        #expect(rule.applies(to: intoTun) == .no)
    }

    @Test func legacyRulesAreReadTheSameWay() throws {
        let r = IptablesSave.parse(DoctorSamples.iptablesLegacySave, source: "iptables-legacy")
        let forward = try #require(r.chains.first { $0.name == "FORWARD" })
        #expect(forward.policy == "drop" && forward.rules.count == 1 && forward.rules[0].inInterface == .init(["tun0"]))
        #expect(Doctor.iptablesBackend(version: "iptables v1.8.9 (legacy)") == "iptables-legacy")
        #expect(Doctor.iptablesBackend(version: "iptables v1.8.9 (nf_tables)") == "iptables-nft")
    }

    @Test func nftablesNativeJSON() throws {
        let r = try NftRuleset.parse(DoctorSamples.nftNative)
        let forward = try #require(r.chains.first { $0.hook == "forward" })
        #expect(forward.family == "inet" && forward.type == "filter" && forward.policy == "drop" && forward.title == "inet filter forward")
        #expect(forward.rules.count == 3)
        #expect(forward.rules[0].states == ["established", "related"] && forward.rules[0].action == .accept)
        #expect(forward.rules[1].inInterface == .init(["tun0"]) && forward.rules[1].source == .init([IPv4Network("192.0.2.2")!]))
        #expect(forward.rules[2].outInterface == .init(["wg0"], negated: true))
        let post = try #require(r.chains.first { $0.hook == "postrouting" })
        #expect(post.type == "nat" && post.rules[0].action == .masquerade && post.rules[0].source == .init([IPv4Network("192.0.2.0/24")!]))
        #expect(post.rules[1].action == .snat)
        #expect(post.rules[0].text == "ip natty post: ip saddr 192.0.2.0/24 oifname != tun0 masquerade")
        #expect(forward.rules.allSatisfy { $0.unjudged.isEmpty })
    }

    @Test func nftablesJSONOfIptablesNftTables() throws {
        let r = try NftRuleset.parse(DoctorSamples.nftFromIptables)
        let post = try #require(r.chains.first { $0.name == "POSTROUTING" })
        #expect(post.rules.map(\.action) == [.masquerade, .snat], "iptables-nft's targets come as xt")
        let forward = try #require(r.chains.first { $0.name == "FORWARD" })
        #expect(forward.rules[2].unjudged == ["xt match conntrack"])
        #expect(throws: NftRuleset.ParseError.self) { try NftRuleset.parse("Error: syntax error") }
    }

    /// firewalld's shape: a verdict map of zones, then reject. The map is not followed, and the
    /// verdict says it was passed over.
    @Test func aVerdictMapIsNotJudgedAndSaidSo() throws {
        let r = try NftRuleset.parse(DoctorSamples.nftVerdictMap)
        let flow = Flow(inInterface: "tun0", outInterface: "eth0", source: IPv4Address("192.0.2.2"), destination: nil, state: "new")
        let verdict = try #require(r.verdicts(hook: "forward", type: "filter", flow: flow).first)
        #expect(verdict.action == .reject && verdict.unjudged == ["inet firewalld filter_FORWARD: vmap"])
    }

    @Test func ipJSON() throws {
        let tun = try #require(LinkReport.parse(DoctorSamples.ipAddrTun))
        #expect(tun.isUp && !tun.hasCarrier)
        #expect(tun.addresses == [.init(family: "inet", local: "192.0.2.1", peer: "192.0.2.2", prefixLength: 32, scope: "global")])
        let veth = try #require(LinkReport.parse(DoctorSamples.ipAddrVeth))
        #expect(veth.hasCarrier && veth.addresses.map(\.scope) == ["global", "global", "link"])
        #expect(veth.addresses[0].peer == nil)
        let route = try #require(RouteReport.parse(DoctorSamples.ipRouteGet))
        #expect(route.device == "veth-out" && route.gateway == "198.51.100.2" && route.preferredSource == "198.51.100.1" && route.type == "unicast")
        #expect(RouteReport.parse(DoctorSamples.ipRouteGetPeer)?.device == "tun0")
        #expect(RouteReport.parse(DoctorSamples.ipRouteDefault)?.destination == "default")
        #expect(LinkReport.parse("") == nil && RouteReport.parse("[]") == nil)
    }
}

/// The judging, on facts as doctor reads them from the samples.
@Suite struct DoctorDiagnosisTests {
    /// The exercise's set-up, complete: the iptables-nft sample, forwarding on, rp_filter off.
    static func healthy() -> DoctorFacts {
        var f = DoctorFacts(device: "tun0", kind: .tun)
        f.link = LinkReport.parse(DoctorSamples.ipAddrTun)
        f.owner = -1
        f.group = -1
        f.ipForward = "1"
        f.rpFilterAll = 0
        f.rpFilterDevice = 0
        f.routeToPeer = .route(RouteReport.parse(DoctorSamples.ipRouteGetPeer)!)
        f.defaultRoute = RouteReport.parse(DoctorSamples.ipRouteDefault)
        f.firewalls = [.read(IptablesSave.parse(DoctorSamples.iptablesNftSave, source: "iptables-nft")),
                       .read(IptablesSave.parse("", source: "iptables-legacy"))]
        f.iptablesCommands = ["iptables-nft": "iptables", "iptables-legacy": "iptables-legacy"]
        return f
    }

    @Test func theExercisesSetUpIsHealthy() {
        let report = Doctor.diagnose(Self.healthy())
        #expect(report.isHealthy, "\(report.text)")
        #expect(report.text.contains("ok    ip_forward is 1\n"))
        #expect(report.text.contains("ok    MASQUERADE for 192.0.2.2 out of veth-out (iptables-nft: -A POSTROUTING -s 192.0.2.2/32 ! -o tun0 -j MASQUERADE)"))
        #expect(report.headline == nil)
        // No owner or group: a note with the way to make it the user's, not a fix.
        #expect(report.text.contains("note  only root (CAP_NET_ADMIN) may open tun0: it has no owner or group; to open it as yourself, make it again for you\n      sudo ip link delete dev tun0 && sudo tunscope setup --name tun0 --user $USER\n"))
    }

    @Test func forwardingOffIsNamedWithItsSysctl() {
        var f = Self.healthy()
        f.ipForward = "0"
        let report = Doctor.diagnose(f)
        #expect(!report.isHealthy)
        #expect(report.text.contains("fix   ip_forward is 0: the kernel does not forward what the far side sends\n      sudo sysctl -w net.ipv4.ip_forward=1\n"))
    }

    @Test func noMasqueradeIsTheHeadline() {
        var f = Self.healthy()
        let save = DoctorSamples.iptablesNftSave.replacingOccurrences(of: "-A POSTROUTING -s 192.0.2.2/32 ! -o tun0 -j MASQUERADE\n", with: "")
        f.firewalls[0] = .read(IptablesSave.parse(save, source: "iptables-nft"))
        let report = Doctor.diagnose(f)
        #expect(report.headline == "no MASQUERADE for 192.0.2.2: replies from outside cannot come back")
        #expect(report.text.contains("      sudo iptables -t nat -A POSTROUTING -s 192.0.2.2/32 ! -o tun0 -j MASQUERADE\n"))
    }

    @Test func dockersDropPolicyWithoutTheTunsRules() {
        var f = Self.healthy()
        let save = DoctorSamples.iptablesNftSave.split(separator: "\n").filter { !$0.hasPrefix("-A FORWARD -s") && !$0.hasPrefix("-A FORWARD -d") }
            .joined(separator: "\n")
        f.firewalls[0] = .read(IptablesSave.parse(save, source: "iptables-nft"))
        let text = Doctor.diagnose(f).text
        #expect(text.contains("fix   FORWARD drops what tun0 sends (iptables-nft filter FORWARD: policy DROP, as Docker sets it)\n      sudo iptables -I FORWARD -i tun0 -s 192.0.2.2/32 -j ACCEPT\n"), "\(text)")
        #expect(text.contains("fix   FORWARD drops replies to tun0 (iptables-nft filter FORWARD: policy DROP, as Docker sets it)\n      sudo iptables -I FORWARD -o tun0 -d 192.0.2.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"))
    }

    /// Legacy and nft tables both see every packet: the legacy FORWARD lets the far side out but
    /// not its replies back, and nftables' own forward chain lets both through.
    @Test func everyFirewallIsJudged() {
        var f = Self.healthy()
        f.firewalls.append(.read(IptablesSave.parse(DoctorSamples.iptablesLegacySave, source: "iptables-legacy")))
        f.firewalls.append(.read(try! NftRuleset.parse(DoctorSamples.nftNative)))
        let report = Doctor.diagnose(f)
        let fixes = report.findings.filter { $0.status == .fix }
        #expect(fixes.count == 1, "\(report.text)")
        #expect(fixes.first?.text == "FORWARD drops replies to tun0 (iptables-legacy filter FORWARD: policy DROP)")
        #expect(fixes.first?.commands == ["sudo iptables-legacy -I FORWARD -o tun0 -d 192.0.2.2/32 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"])
    }

    @Test func nativeNftablesGetsAnNftFix() {
        var f = Self.healthy()
        var native = try! NftRuleset.parse(DoctorSamples.nftNative)
        native.chains[0].rules.remove(at: 1)  // iifname "tun0" ip saddr 192.0.2.2 accept
        f.firewalls.append(.read(native))
        let report = Doctor.diagnose(f)
        let fix = report.findings.first { $0.status == .fix }
        #expect(fix?.text == "FORWARD drops what tun0 sends (nftables inet filter forward: policy DROP)")
        #expect(fix?.commands == [#"sudo nft 'insert rule inet filter forward iifname "tun0" ip saddr 192.0.2.2 accept'"#])
    }

    /// Without a default route or --target the way out is not known, but it is not the tun:
    /// `oifname != "tun0"` still covers it, while a rule for one named device may not.
    @Test func withTheWayOutUnknownANegatedTunStillCovers() {
        var f = Self.healthy()
        f.defaultRoute = nil
        f.firewalls = [.read(try! NftRuleset.parse(DoctorSamples.nftNative))]
        let report = Doctor.diagnose(f)
        #expect(report.text.contains("ok    MASQUERADE for 192.0.2.2 (nftables: ip natty post: ip saddr 192.0.2.0/24 oifname != tun0 masquerade)"), "\(report.text)")
        #expect(report.headline?.hasPrefix("no default route") == true)
        f.firewalls = [.read(IptablesSave.parse(DoctorSamples.iptablesLegacySave, source: "iptables-legacy"))]
        #expect(Doctor.diagnose(f).text.contains("fix   no MASQUERADE for 192.0.2.2"), "-o veth0 may not be the way out")
    }

    @Test func strictRpFilterWithTheWrongRouteBack() {
        var f = Self.healthy()
        f.rpFilterAll = 1
        f.rpFilterDevice = 0
        f.routeToPeer = .route(RouteReport.parse(DoctorSamples.ipRouteGet)!)
        let text = Doctor.diagnose(f).text
        #expect(text.contains("fix   replies to 192.0.2.2 go out veth-out, not tun0: they never reach tunscope\n      sudo ip route replace 192.0.2.2/32 dev tun0\n"))
        #expect(text.contains("fix   rp_filter is strict on tun0 (all 1, tun0 0) and the route to 192.0.2.2 is not tun0: it drops what the far side sends\n      sudo sysctl -w net.ipv4.conf.all.rp_filter=2\n"))
        f.routeToPeer = .route(RouteReport.parse(DoctorSamples.ipRouteGetPeer)!)
        #expect(Doctor.diagnose(f).text.contains("ok    rp_filter is strict on tun0 (all 1, tun0 0), and 192.0.2.2 routes back through tun0, so it passes"))
    }

    @Test func aGlobalIPv6AddressNeedsIPv6Forwarding() {
        var f = Self.healthy()
        f.link?.addresses.append(.init(family: "inet6", local: "2001:db8::1", peer: nil, prefixLength: 64, scope: "global"))
        f.ipv6Forward = "0"
        #expect(Doctor.diagnose(f).text.contains("fix   tun0 has 2001:db8::1 but IPv6 forwarding is off: the far side's IPv6 goes nowhere\n      sudo sysctl -w net.ipv6.conf.all.forwarding=1\n"))
        f.link?.addresses.removeLast()
        #expect(!Doctor.diagnose(f).text.contains("IPv6"))
    }

    @Test func missingToolsAndUnreadableRulesAreSaidPlainly() {
        var f = Self.healthy()
        f.firewalls = [.missing(tool: "nft", what: "native nftables rulesets"),
                       .failed(tool: "iptables-nft-save", message: "iptables-nft-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)")]
        let report = Doctor.diagnose(f)
        #expect(!report.isHealthy)
        #expect(report.text.contains("note  nft is not installed: native nftables rulesets not read\n"))
        #expect(report.text.contains("?     cannot read the firewall with iptables-nft-save: iptables-nft-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root) (run doctor with sudo)\n"))
        #expect(report.text.contains("?     no firewall tool could be read: NAT and FORWARD not checked\n"))
    }

    @Test func aDeviceThatIsMissingOrNoTun() {
        let missing = Doctor.diagnose(DoctorFacts(device: "tun9", kind: .missing))
        #expect(missing.text == "fix   tun9 does not exist\n      sudo tunscope setup --name tun9 --user $USER --nat\n")
        let veth = Doctor.diagnose(DoctorFacts(device: "veth0", kind: .other("an Ethernet device")))
        #expect(!veth.isHealthy && veth.text.hasPrefix("fix   veth0 is an Ethernet device, not a tun or tap"))
    }
}
