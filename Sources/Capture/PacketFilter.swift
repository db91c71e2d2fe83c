import CPcap
import Wire

/// A compiled BPF expression (pcap_compile), tested against packets one at a time
/// (pcap_offline_filter): tcpdump's filter language for files, live devices and the screen.
public final class PacketFilter: @unchecked Sendable {
    public let expression: String
    private var program = bpf_program()

    /// Compiles `expression` for packets of `linkType`; throws libpcap's message when it is invalid.
    /// Without `lookingUpNames`, an expression naming a host is refused before libpcap sees it
    /// (see `hostName(in:)`).
    public init(_ expression: String, linkType: LinkType, snapLength: Int = 262_144, lookingUpNames: Bool = true) throws {
        self.expression = expression
        if !lookingUpNames, let name = Self.hostName(in: expression) {
            throw CaptureError("filter '\(expression)': '\(name)' is a host name, looked up (DNS) when the filter is applied")
        }
        guard let dead = pcap_open_dead(Int32(linkType.rawValue), Int32(snapLength)) else {
            throw CaptureError("filter '\(expression)': libpcap could not start")
        }
        defer { pcap_close(dead) }
        if pcap_compile(dead, &program, expression, 1, tunscope_pcap_netmask_unknown()) != 0 {
            throw CaptureError("filter '\(expression)': \(String(cString: pcap_geterr(dead)))")
        }
    }

    deinit { pcap_freecode(&program) }

    /// The compiled instructions (struct bpf_insn, the kernel's struct sock_filter layout), to
    /// attach to a socket.
    func withInstructions<T>(_ body: (UnsafeRawPointer?, Int) -> T) -> T {
        body(UnsafeRawPointer(program.bf_insns), Int(program.bf_len))
    }

    public func matches(_ bytes: Bytes, originalLength: Int? = nil) -> Bool {
        bytes.withUnsafeBytes { matches($0, originalLength: originalLength) }
    }

    public func matches(_ bytes: UnsafeRawBufferPointer, originalLength: Int? = nil) -> Bool {
        var header = pcap_pkthdr()
        header.caplen = bpf_u_int32(bytes.count)
        header.len = bpf_u_int32(originalLength ?? bytes.count)
        return pcap_offline_filter(&program, &header, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) != 0
    }
}

extension PacketFilter {
    /// The first word of `expression` that libpcap would look up as a host name (through the
    /// resolver, so possibly a DNS query that may take seconds), or nil when it names none. The
    /// screen checks a filter at every key and the fuzzer compiles whatever it makes up: neither
    /// may send a query, so both ask here first, and names wait for Enter.
    public static func hostName(in expression: String) -> String? {
        var previous = ""
        for word in expression.split(whereSeparator: { !isWordCharacter($0) }).map(String.init) {
            defer { previous = word }
            // libpcap's words are lower case only ("HOST" is a name to it).
            if isLiteral(word) || keywords.contains(word) || word.hasPrefix("\\") { continue }
            // Port and protocol names come from /etc/services and /etc/protocols, not the resolver.
            if ["port", "portrange"].contains(previous), getservbyname(word, nil) != nil { continue }
            if ["proto", "protochain"].contains(previous), getprotobyname(word) != nil { continue }
            return word
        }
        return nil
    }

    private static func isWordCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || "_.:-/\\".contains(c)
    }

    /// A number (decimal or 0x), an IPv4 or IPv6 address or network, or a MAC address.
    private static func isLiteral(_ word: String) -> Bool {
        let address = word.split(separator: "/", maxSplits: 1).first.map(String.init) ?? word
        // Numbers, IPv4 addresses and port ranges (1-1024).
        if address.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) { return true }
        if address.lowercased().hasPrefix("0x"), address.dropFirst(2).allSatisfy(\.isHexDigit) { return true }
        // IPv6 and MACs written with colons; MACs with dots or dashes too (0000.5e00.5301).
        let hex = address.allSatisfy { $0.isHexDigit || ":.-".contains($0) }
        return hex && (address.contains(":") || address.split(whereSeparator: { ".-".contains($0) }).count >= 3)
    }

    /// libpcap's words (its scanner's keywords, and the names it gives TCP flags and ICMP types).
    private static let keywords: Set<String> = [
        "dst", "src", "host", "net", "netmask", "mask", "port", "portrange", "proto", "protochain", "gateway", "less",
        "greater", "byte", "broadcast", "multicast", "and", "or", "not", "len", "length", "inbound", "outbound",
        "ifindex", "vlan", "mpls", "pppoed", "pppoes", "geneve", "vxlan", "llc", "link", "ether", "fddi", "tr", "wlan",
        "ppp", "slip", "arp", "rarp", "ip", "ip6", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp", "igrp", "pim", "vrrp",
        "carp", "ah", "esp", "decnet", "lat", "sca", "moprc", "mopdl", "iso", "esis", "es-is", "isis", "is-is", "l1",
        "l2", "iih", "lsp", "snp", "csnp", "psnp", "clnp", "stp", "ipx", "netbeui", "atalk", "aarp", "radio", "ra", "ta",
        "addr1", "addr2", "addr3", "addr4", "type", "subtype", "dir", "mgt", "ctl", "data", "on", "ifname", "rnr",
        "rulenum", "reason", "rset", "ruleset", "srnr", "subrulenum", "action", "hdrpad", "lane", "metac", "bcc", "sc",
        "ilmic", "oamf4ec", "oamf4sc", "oam", "oamf4", "connectmsg", "metaconnect", "vpi", "vci", "fisu", "lssu",
        "msu", "hfisu", "hlssu", "hmsu", "sio", "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls", "tcpflags",
        "icmptype", "icmpcode", "icmp6type", "icmp6code", "tcp-fin", "tcp-syn", "tcp-rst", "tcp-push", "tcp-ack",
        "tcp-urg", "tcp-ece", "tcp-cwr", "icmp-echoreply", "icmp-unreach", "icmp-sourcequench", "icmp-redirect",
        "icmp-echo", "icmp-routeradvert", "icmp-routersolicit", "icmp-timxceed", "icmp-paramprob", "icmp-tstamp",
        "icmp-tstampreply", "icmp-ireq", "icmp-ireqreply", "icmp-maskreq", "icmp-maskreply", "icmp6-destinationunreach",
        "icmp6-packettoobig", "icmp6-timeexceeded", "icmp6-parameterproblem", "icmp6-echo", "icmp6-echoreply",
        "icmp6-multicastlistenerquery", "icmp6-multicastlistenerreportv1", "icmp6-multicastlistenerdone",
        "icmp6-routersolicit", "icmp6-routeradvert", "icmp6-neighborsolicit", "icmp6-neighboradvert", "icmp6-redirect",
        "icmp6-routerrenum", "icmp6-nodeinformationquery", "icmp6-nodeinformationresponse",
        "icmp6-ineighbordiscoverysolicit", "icmp6-ineighbordiscoveryadvert", "icmp6-multicastlistenerreportv2",
        "icmp6-homeagentdiscoveryrequest", "icmp6-homeagentdiscoveryreply", "icmp6-mobileprefixsolicit",
        "icmp6-mobileprefixadvert", "icmp6-certpathsolicit", "icmp6-certpathadvert", "icmp6-multicastrouteradvert",
        "icmp6-multicastroutersolicit", "icmp6-multicastrouterterm",
    ]
}
