#if canImport(Glibc)
import Glibc
#endif
import App
import ArgumentParser
import Capture
import Lab
import Probe
import Wire

/// `tunscope send`: tunscope as the host at the tun's far end, headless, like hping3 and nping.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Be the host at the tun's far end: TCP handshakes, pings and resends, one line per event.",
        discussion: """
        tunscope writes into the device as the host at its far end (the device's peer address, or \
        --source) and reads the answers, so it finishes handshakes the kernel never sees. Each event \
        is a line as it happens; then each connection's outcome as a word (ESTABLISHED, ANSWERED for \
        --no-ack, REFUSED, UNREACHABLE, TIMEOUT) and an RTT summary.

        Exit status: 0 when every connection was established (answered, with --no-ack), every ping \
        answered, or the packet resent; 1 when some were not; 2 when tunscope could not run it (no \
        device, no permission, a bad capture file or packet, a packet the device refused); 64 for a \
        wrong command line.
        """
    )

    @Option(name: .customLong("syn"), help: ArgumentHelp("Open TCP connections to HOST:PORT ([IPv6]:PORT).", valueName: "host:port"))
    var synTarget: String?

    @Option(name: .customLong("ping"), help: ArgumentHelp("Send ICMP (or ICMPv6) echo requests to HOST.", valueName: "host"))
    var pingTarget: String?

    @Option(name: .customLong("resend"), parsing: .unconditional, help: ArgumentHelp("Write packet N of the capture file given with -r into the device.", valueName: "n"))
    var resendNumber: Int?

    @Option(name: .short, help: ArgumentHelp("The capture file to take the packet to resend from.", valueName: "file"))
    var readFile: String?

    @Option(name: [.customShort("i"), .customLong("interface")], help: ArgumentHelp("The tun device to send through.", valueName: "dev"))
    var device: String?

    @Flag(help: "Build the lab and send through its tun (needs root); the default target is the lab's HTTP server.")
    var lab = false

    @Option(help: ArgumentHelp("tunscope's own address on the link (default: the device's peer address).", valueName: "addr"))
    var source: String?

    // Number options take the next word whatever it is (`parsing: .unconditional`): else
    // `--wscale -1` reads -1 as a flag, and `--interval -1` says a value is missing, not what is wrong with it.
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Connections or echo requests to send.")
    var count = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between connections or echo requests.", valueName: "s"))
    var interval = 1.0

    @Flag(name: .customLong("no-ack"), help: "Send only the SYN and watch the server retransmit its SYN-ACK (see --watch).")
    var noAck = false

    @Option(parsing: .unconditional, help: ArgumentHelp("With --no-ack: seconds to watch before resetting the half-open connection.", valueName: "s"))
    var watch = 4.0

    @Flag(help: "Once established, send an HTTP GET and show the response.")
    var http = false

    @Option(help: ArgumentHelp("How to end a connection: fin (orderly close) or rst (abort).", valueName: "fin|rst"))
    var close = "fin"

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds to wait for the response (or for answers to a resend).", valueName: "s"))
    var wait = 2.0

    @Option(name: .customLong("syn-retries"), parsing: .unconditional, help: "SYN retransmissions before TIMEOUT (Linux: 6).")
    var synRetries = 6

    @Option(name: .customLong("syn-timeout"), parsing: .unconditional, help: ArgumentHelp("Seconds before the first SYN retransmission; doubles each time.", valueName: "s"))
    var synTimeout = 1.0

    @Option(parsing: .unconditional, help: "The SYN's MSS option (0: none).")
    var mss: UInt16 = 1460

    @Option(parsing: .unconditional, help: "The SYN's window scale option (-1: none).")
    var wscale = 7

    @Flag(name: .customLong("no-sack"), help: "Leave SACK-permitted out of the SYN.")
    var noSACK = false

    @Flag(name: .customLong("no-timestamps"), help: "Leave the timestamps option out of the SYN.")
    var noTimestamps = false

    @Flag(name: .customLong("no-answers"), help: "Do not answer echo requests or reset segments for no connection, as a host would.")
    var noAnswers = false

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "With --resend: change a field first (FIELD=VALUE, Wireshark names: ip.ttl, tcp.flags=SA, tcp.seq, data.text, ...); lengths and checksums are recomputed.",
        valueName: "field=value"))
    var edits: [String] = []

    @Flag(name: .customLong("bad-checksum"), help: "With --resend: make the transport checksum wrong on purpose.")
    var badChecksum = false

    func validate() throws {
        let modes = [synTarget != nil, pingTarget != nil, resendNumber != nil].filter { $0 }.count
        guard modes == 1 || (modes == 0 && lab) else {
            throw ValidationError("give exactly one of --syn HOST:PORT, --ping HOST or --resend N")
        }
        guard (device != nil) != lab else { throw ValidationError("give either -i DEV or --lab") }
        if resendNumber != nil && readFile == nil { throw ValidationError("--resend N needs the capture file: -r FILE") }
        if let n = resendNumber, n < 1 { throw ValidationError("--resend: packet numbers start at 1") }
        if resendNumber == nil && (!edits.isEmpty || badChecksum) { throw ValidationError("--set and --bad-checksum go with --resend") }
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be from 1 to 100000") }
        for (name, value) in [("interval", interval), ("watch", watch), ("wait", wait), ("syn-timeout", synTimeout)] {
            guard value >= 0.001 && value <= 3600 else { throw ValidationError("--\(name) must be from 0.001 to 3600 seconds") }
        }
        guard (0...20).contains(synRetries) else { throw ValidationError("--syn-retries must be from 0 to 20") }
        guard (-1...14).contains(wscale) else { throw ValidationError("--wscale must be from 0 to 14 (RFC 7323), or -1 for none") }
        guard TCPProbeConfig.Ending(rawValue: close) != nil else { throw ValidationError("--close must be fin or rst") }
        if let source, IPAddress(source) == nil { throw ValidationError("--source: '\(source)' is not an IP address") }
        if let synTarget { try checkTarget(synTarget, needsPort: true) }
        if let pingTarget { try checkTarget(pingTarget, needsPort: false) }
    }

    /// A target that can never work is a wrong command line (64), found before any device or
    /// lab is touched: a name (tunscope looks none up), or an address of the other IP version.
    private func checkTarget(_ text: String, needsPort: Bool) throws {
        let target: Target
        do {
            target = try Target.parse(text, needsPort: needsPort)
        } catch {
            throw ValidationError(error.description)
        }
        // The lab's server name; the lab resolves it.
        let labServer = LabNetwork.defaultServerName
        if lab && target.host == labServer { return }
        guard let address = IPAddress(target.host) else {
            let hint = lab ? " (in the lab, \(labServer) is the server)" : ""
            throw ValidationError("'\(target.host)' is not an IP address: tunscope does not look names up\(hint)")
        }
        if let mine = source.flatMap(IPAddress.init) {
            guard address.isIPv6 == mine.isIPv6 else {
                throw ValidationError("\(address) and --source \(mine) are not both IPv4 or both IPv6")
            }
        } else if address.isIPv6 {
            // Without --source tunscope is the device's IPv4 peer address.
            throw ValidationError("\(address) is IPv6: give tunscope's IPv6 address on the link with --source")
        }
    }

    func run() throws {
        if lab { try requireRoot("tunscope send --lab") }
        Signals.catchStopSignals()
        var session: LabSession?
        if lab {
            do {
                session = try LabSession(tunUser: nil)
            } catch {
                printError("the lab could not be built: \(error)")
                throw ExitCode(2)
            }
        }
        defer { session?.end() }
        var succeeded = false
        try reportingFailures(exitCode: 2) {
            succeeded = try send(lab: session?.network)
        }
        if !succeeded { throw ExitCode(1) }
    }

    /// Opens the device, gives up root, runs the probes; whether all of them succeeded.
    private func send(lab: LabNetwork?) throws -> Bool {
        let name = lab?.tun ?? device ?? "tun0"
        // Opening a tun as root makes it; a new one has no address and is down, so nothing
        // could be sent through it. send only uses a device that is there.
        if lab == nil && DeviceKind(device: name) == .missing {
            throw RuntimeError("no such device \(name): make it with 'sudo tunscope setup --name \(name) --user $USER', or use --lab")
        }
        let capture = try LiveCapture(device: name, namespace: lab?.router, timesProbes: true, store: PacketStore())
        defer { capture.stop() }
        try Privileges.dropToInvokingUser()
        guard let me = source.flatMap(IPAddress.init) ?? capture.addresses.map({ .v4($0.peer) }) else {
            throw RuntimeError("\(name) has no point-to-point IPv4 address to be the far end of: give --source ADDR")
        }
        let host = LiveHost(capture: capture, ownAddresses: [me])
        host.actsAsHost = !noAnswers
        let kernel = capture.addresses.map { " (the kernel is \($0.local))" } ?? ""
        printError("tunscope is \(me) on \(name)\(kernel)")
        var run = SendRun(host: host, stopAfterIdle: resendNumber != nil ? wait : 0)
        // With --lab and nothing else: a SYN to the lab's HTTP server.
        let synTarget = self.synTarget ?? (lab != nil && pingTarget == nil && resendNumber == nil ? "" : nil)
        if let synTarget {
            let target = try resolve(Target.parse(synTarget, needsPort: true), lab: lab, source: me)
            run.schedule(count: count, interval: interval) { host in
                host.connect(tcpConfig(host: host, from: me, to: target.address, port: target.port ?? 80))
            }
        } else if let pingTarget {
            let target = try resolve(Target.parse(pingTarget, needsPort: false), lab: lab, source: me)
            var config = host.pingConfig(from: me, to: target.address)
            config.count = count
            config.interval = Microseconds(interval * 1_000_000)
            config.timeout = Microseconds(wait * 1_000_000)
            run.schedule(count: 1, interval: 0) { $0.ping(config) }
        } else if let resendNumber, let readFile {
            let packet = try packetToResend(number: resendNumber, file: readFile)
            run.schedule(count: 1, interval: 0) {
                $0.sendByHand(packet, what: edits.isEmpty && !badChecksum ? "resent" : "edited",
                              note: "packet \(resendNumber) of \(readFile)")
            }
        }
        return try run.untilDone()
    }

    private func tcpConfig(host: LiveHost, from me: IPAddress, to address: IPAddress, port: UInt16) -> TCPProbeConfig {
        var c = host.tcpConfig(from: me, to: address, port: port)
        c.mss = mss == 0 ? nil : mss
        c.windowScale = wscale < 0 ? nil : UInt8(wscale)
        c.sackPermitted = !noSACK
        c.timestamps = !noTimestamps
        c.synRetries = synRetries
        c.firstTimeout = Microseconds(synTimeout * 1_000_000)
        c.watchWithoutAck = noAck ? Microseconds(watch * 1_000_000) : nil
        c.responseWait = Microseconds(wait * 1_000_000)
        c.ending = TCPProbeConfig.Ending(rawValue: close) ?? .fin
        if http {
            c.request = Array("GET / HTTP/1.1\r\nHost: \(Target.hostHeader(address, port: port))\r\nUser-Agent: tunscope\r\nConnection: close\r\n\r\n".utf8)
        }
        return c
    }

    /// An address the target names: an IP literal, or in the lab the server's name.
    private func resolve(_ target: Target, lab: LabNetwork?, source: IPAddress) throws -> (address: IPAddress, port: UInt16?) {
        var host = target.host
        if let lab, host == lab.serverName { host = lab.serverAddress }
        if host.isEmpty, let lab { host = lab.serverAddress }
        guard let address = IPAddress(host) else {
            let hint = lab.map { " (in the lab, \($0.serverName) is the server)" } ?? ""
            throw RuntimeError("'\(target.host)' is not an IP address: tunscope does not look names up\(hint)")
        }
        guard address.isIPv6 == source.isIPv6 else {
            throw RuntimeError("\(address) and tunscope's address \(source) are not both IPv4 or both IPv6: give --source")
        }
        return (address, target.port ?? (lab?.httpPort))
    }

    /// Packet `number` of `file`, as raw IP (an Ethernet header is taken off), edited as asked.
    private func packetToResend(number: Int, file: String) throws -> Bytes {
        let reader = try CaptureFileReader(path: file)
        var seen = 0
        while let p = try reader.next() {
            seen += 1
            guard seen == number else { continue }
            guard p.originalLength == p.bytes.count else {
                throw RuntimeError("packet \(number) of \(file) was cut at \(p.bytes.count) of \(p.originalLength) bytes when captured: it cannot be resent whole")
            }
            var bytes = p.bytes
            if reader.linkType == .ethernet {
                let start = Dissector.networkLayerStart(bytes, linkType: .ethernet)
                let type = start >= 14 ? bytes.be16(start - 2) : 0
                guard type == EtherType.ipv4 || type == EtherType.ipv6 else {
                    let what = type == EtherType.arp ? "an ARP frame" : "an Ethernet frame of type 0x\(String(type, radix: 16))"
                    throw RuntimeError("packet \(number) of \(file) is \(what): a tun device carries only IP packets")
                }
                bytes = Array(bytes[start...])
            }
            // tun reads the IP version from the first byte and refuses any other (EINVAL).
            guard let version = bytes.first.map({ $0 >> 4 }), version == 4 || version == 6 else {
                throw RuntimeError("packet \(number) of \(file) is not an IP packet: a tun device carries only IP packets")
            }
            if edits.isEmpty && !badChecksum { return bytes }
            do {
                var packet = try EditablePacket(parsing: bytes)
                for edit in edits {
                    guard let eq = edit.firstIndex(of: "=") else { throw EditError("--set \(edit): write FIELD=VALUE") }
                    try packet.set(String(edit[..<eq]), to: String(edit[edit.index(after: eq)...]))
                }
                if badChecksum { try packet.breakChecksum() }
                return packet.build()
            } catch let e as EditError {
                throw RuntimeError("packet \(number) of \(file): \(e.description)")
            }
        }
        throw RuntimeError("\(file) has \(seen) packets, so there is no packet \(number)")
    }
}
