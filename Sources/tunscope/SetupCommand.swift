#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Lab

/// The device options `setup` and `teardown` share.
struct DeviceOptions: ParsableArguments {
    @Option(help: "The tun device's name.")
    var name = "tun0"

    @Option(help: ArgumentHelp("This side's address on the link (the kernel's).", valueName: "address"))
    var address = "192.0.2.1"

    @Option(help: ArgumentHelp("The far side's address: tunscope's own.", valueName: "address"))
    var peer = "192.0.2.2"

    @Flag(help: "Also forward and masquerade the far side's traffic out of this host (IP forwarding, iptables MASQUERADE and FORWARD rules).")
    var nat = false

    func validate() throws {
        guard !name.isEmpty, name.utf8.count <= 15, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ValidationError("'\(name)' is not a valid interface name: at most 15 letters, digits, '-', '_' or '.'.")
        }
        for (flag, value) in [("--address", address), ("--peer", peer)] where ipv4Octets(value) == nil {
            throw ValidationError("\(flag) '\(value)' is not an IPv4 address such as 192.0.2.1.")
        }
        if ipv4Octets(address) == ipv4Octets(peer) {
            throw ValidationError("--address and --peer are both \(address): they are the two ends of the link and must differ.")
        }
    }

    /// The four numbers of a dotted IPv4 address, so 192.0.2.1 and 192.0.2.01 compare equal; nil when it is not one.
    private func ipv4Octets(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 }) else { return nil }
        let octets = parts.compactMap { UInt8($0) }
        return octets.count == 4 ? octets : nil
    }
}

/// `tunscope setup`: the exercise's set-up script, as a command.
struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Create a tun device for a user, address it, and optionally NAT it out (needs root).",
        discussion: """
        Prints each command as it runs it. Running it twice changes nothing; 'tunscope teardown' with the same \
        options removes what it added. A --name taken by a device that is not a tun (lo, a veth, a tap) is \
        refused with exit status 1, and nothing is changed.
        """
    )

    @OptionGroup var device: DeviceOptions

    @Option(help: ArgumentHelp("The user who may open the device without root (default: the user who ran sudo).", valueName: "user"))
    var user: String?

    @Flag(help: "Print the commands as a shell script and change nothing.")
    var dryRun = false

    @Flag(help: "Change nothing: check the set-up and say what is missing, as 'tunscope doctor' does.")
    var check = false

    func run() throws {
        if check {
            try runDoctor(device: device.name, target: nil)
            return
        }
        let owner = user ?? getenv("SUDO_USER").map { String(cString: $0) }
        let setup = DeviceSetup(name: device.name, user: owner, address: device.address, peer: device.peer, nat: device.nat)
        if dryRun {
            print(setup.script, terminator: "")
            return
        }
        try requireRoot("tunscope setup")
        do {
            try setup.apply { print($0) }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        print("# \(device.name) is ready: tunscope -i \(device.name) is the host at \(device.peer)")
    }
}

/// `tunscope teardown`: removes what `setup` added.
struct TeardownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teardown",
        abstract: "Remove the tun device and the NAT rules that 'tunscope setup' added (needs root).",
        discussion: """
        IP forwarding, if setup turned it on, is left on: other things on the host may rely on it. A device \
        that is not a tun (lo, a veth, a tap) is left alone, with exit status 1. When there is nothing to \
        remove it says so and exits 0, so running it twice, like setup, is fine.
        """
    )

    @OptionGroup var device: DeviceOptions

    func run() throws {
        try requireRoot("tunscope teardown")
        do {
            try DeviceSetup(name: device.name, address: device.address, peer: device.peer, nat: device.nat).remove { print($0) }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

/// Ends with a message that says why root is needed and how to get it.
func requireRoot(_ what: String) throws {
    guard geteuid() == 0 else {
        printError("\(what) needs root: it creates network devices, namespaces and firewall rules. Run it with sudo.")
        throw ExitCode(1)
    }
}
