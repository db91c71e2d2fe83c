#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Capture
import Lab
import Wire

/// `tunscope lab`: the exercise in a sandbox of network namespaces, with the kernel as the peer.
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Build a self-contained lab (router with tun0 and NAT, a server with HTTP, DNS and ping) and watch its tun beside the router's outside interface, to see NAT at work (needs root).",
        discussion: """
        Nothing in the lab touches this host's own network: it lives in two network namespaces that \
        are removed when tunscope ends, however it ends (q, Ctrl-C, SIGTERM, SIGHUP or kill -9).
        """
    )

    @OptionGroup var output: OutputOptions

    @OptionGroup var screen: ScreenOptions

    /// The monitor on a terminal; `print`'s lines into a pipe or with print's own options.
    var usesScreen: Bool {
        isatty(0) == 1 && isatty(1) == 1 && !output.quiet && output.count == nil && output.format == .text && !output.hex
            && output.filter == nil
    }

    func run() throws {
        try requireRoot("tunscope lab")
        Signals.catchStopSignals()
        let owner = getenv("SUDO_USER").map { String(cString: $0) }
        let session: LabSession
        do {
            session = try LabSession(tunUser: owner)
        } catch {
            printError("the lab could not be built: \(error)")
            throw ExitCode(1)
        }
        defer { session.end() }
        let lab = session.network
        printError("""
            lab is up: tunscope is \(lab.tunPeer) on \(lab.tun) (the kernel is \(lab.tunAddress)); \
            server \(lab.serverAddress) (\(lab.serverName)): HTTP :\(lab.httpPort), closed :\(lab.closedPort), DNS :53, ping
            watch the tun:         sudo ip netns exec \(lab.router) tcpdump -nn -i \(lab.tun)
            watch the NAT rewrite: sudo ip netns exec \(lab.server) tcpdump -nn -i veth-in
            """)
        try reportingFailures {
            if usesScreen {
                let server = IPAddress(lab.serverAddress)!
                try runLive(devices: [lab.tun], tap: false, namespace: lab.router, target: (server, lab.httpPort), source: nil,
                            writeFile: output.writeFile, screen: screen, limits: output.store.limits(),
                            beside: [lab.outsideInterface], besideNote: "after NAT", stopReason: labCheck(session))
            } else {
                var printer = LivePrinter(output: output)
                printer.stopReason = labCheck(session)
                try printer.capture(devices: [lab.tun], namespace: lab.router, beside: [lab.outsideInterface])
            }
        }
    }
}

/// Whether the lab still stands, asked at most once a second: a reason to stop when it does not.
func labCheck(_ session: LabSession) -> () -> String? {
    var lastLook = 0
    return {
        let now = time(nil)
        guard now != lastLook else { return nil }
        lastLook = now
        return session.isIntact ? nil : LabSession.removedFromOutside
    }
}

/// The lab's keeper process (started by `tunscope lab`, not by people).
struct LabKeeperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_lab-keeper", shouldDisplay: false)

    @Option var tunUser: String?

    func run() throws {
        throw ExitCode(LabKeeper.run(tunUser: tunUser))
    }
}

/// The lab server's HTTP and DNS services (run inside the server namespace by the keeper).
struct LabServicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_lab-services", shouldDisplay: false)

    @Option var address: String
    @Option var httpPort: UInt16 = 80
    @Option var name: String

    func run() throws {
        Signals.catchStopSignals()
        let services = LabServices(address: address, httpPort: httpPort, name: name)
        throw ExitCode(services.runAsKeepersChild(stop: { Signals.stopSignal != 0 }))
    }
}
