import ArgumentParser
import Lab

/// `tunscope doctor [DEV]`: what the exercise's set-up needs, read and judged, nothing changed.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a tun device's set-up (forwarding, NAT, FORWARD, rp_filter, routes, owner, holder) and say what is missing.",
        discussion: """
        Reads, and changes nothing: the device, who may open it and who holds it, its addresses, the routes \
        to its far side and out, net.ipv4.ip_forward, rp_filter, a MASQUERADE or SNAT rule for the far side \
        and the FORWARD chain both ways (iptables-nft, iptables-legacy and nftables). Each line is 'ok' or \
        'fix' with the command that fixes it. Exit status 0 when everything is there, 1 otherwise. Run it \
        with sudo: reading the firewall needs root.
        """
    )

    @Argument(help: "The tun device.")
    var device = "tun0"

    @Option(help: ArgumentHelp("Where the far side's packets should go: check the route there, and NAT and FORWARD for it.", valueName: "host"))
    var target: String?

    func validate() throws {
        // The name becomes a path under /sys/class/net and /proc/sys: an interface name, nothing else.
        guard !device.isEmpty, device.utf8.count <= 15, device.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }),
              device != ".", device != ".." else {
            throw ValidationError("'\(device)' is not a valid interface name: at most 15 letters, digits, '-', '_' or '.'.")
        }
    }

    func run() throws {
        try runDoctor(device: device, target: target)
    }
}

/// Prints the report and exits 1 when something is missing (`doctor` and `setup --check`).
func runDoctor(device: String, target: String?) throws {
    let report = Doctor(device: device, target: target).examine()
    print(report.text, terminator: "")
    if !report.isHealthy { throw ExitCode(1) }
}
