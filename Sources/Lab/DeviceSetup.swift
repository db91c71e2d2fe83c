import Capture
import Foundation

/// What `tunscope setup` does, as the classic exercise's script does it: a tun device owned by
/// the user, addressed point-to-point, and (with NAT) forwarded and masqueraded. Each step knows
/// how to check whether it is already done, so running setup twice changes nothing, and how to be
/// undone, so teardown removes exactly what setup added.
public struct DeviceSetup: Sendable {
    public var name: String
    public var user: String?
    public var address: String
    public var peer: String
    public var nat: Bool

    public init(name: String = "tun0", user: String? = nil, address: String = "192.0.2.1", peer: String = "192.0.2.2", nat: Bool = false) {
        self.name = name
        self.user = user
        self.address = address
        self.peer = peer
        self.nat = nat
    }

    public struct Step: Sendable {
        /// What the step does, for people.
        public var purpose: String
        public var command: [String]
        /// Exits 0 when the step is already done.
        public var check: [String]?
        /// Undoes it (nil: removed together with the device).
        public var undo: [String]?
        /// Runs right after `command` when it ran (not when the step was already done).
        public var then: [String]? = nil
    }

    /// The alias setup gives a device it makes: teardown deletes only a device that has it, so a
    /// tun0 that was there before setup stays.
    public static let mark = "made by tunscope setup"

    public var steps: [Step] {
        var s: [Step] = []
        var add = ["ip", "tuntap", "add", "name", name, "mode", "tun"]
        if let user { add += ["user", user] }
        s.append(Step(purpose: "create the tun device\(user.map { " for user \($0)" } ?? ""), marked as setup's", command: add,
                      check: ["ip", "link", "show", "dev", name], undo: ["ip", "link", "delete", "dev", name],
                      then: ["ip", "link", "set", "dev", name, "alias", Self.mark]))
        s.append(Step(purpose: "bring it up", command: ["ip", "link", "set", "dev", name, "up"], check: nil, undo: nil))
        s.append(Step(purpose: "address it: this side \(address), the far side (tunscope) \(peer)",
                      command: ["ip", "addr", "replace", address, "peer", peer, "dev", name], check: nil, undo: nil))
        if nat {
            s.append(Step(purpose: "let the kernel forward packets between interfaces",
                          command: ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], check: nil, undo: nil))
            let masquerade = ["-t", "nat", "POSTROUTING", "-s", "\(peer)/32", "!", "-o", name, "-j", "MASQUERADE"]
            let forwardOut = ["FORWARD", "-i", name, "-s", "\(peer)/32", "-j", "ACCEPT"]
            let forwardIn = ["FORWARD", "-o", name, "-d", "\(peer)/32", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]
            for (purpose, rule) in [("rewrite the far side's address to this host's on the way out (NAT)", masquerade),
                                    ("forward what the far side sends", forwardOut),
                                    ("forward the replies back to it", forwardIn)] {
                let table = rule.first == "-t" ? Array(rule.prefix(2)) : []
                let spec = rule.first == "-t" ? Array(rule.dropFirst(2)) : rule
                s.append(Step(purpose: purpose, command: ["iptables"] + table + ["-A"] + spec,
                              check: ["iptables"] + table + ["-C"] + spec, undo: ["iptables"] + table + ["-D"] + spec))
            }
        }
        return s
    }

    /// The steps as a shell script (`--dry-run`).
    public var script: String {
        let device = "/sys/class/net/\(name)"
        var lines = ["#!/bin/sh", "# tunscope setup for \(name)", "set -e",
                     "# a device of another kind (lo, a veth) is left alone: only tun and tap devices have tun_flags",
                     "if [ -e \(device) ] && [ ! -e \(device)/tun_flags ]; then echo '\(name) is not a tun device: left alone' >&2; exit 1; fi"]
        for step in steps {
            lines.append("# \(step.purpose)")
            let run = step.then.map { "{ \(SystemCommand.shellLine(step.command)) && \(SystemCommand.shellLine($0)); }" }
                ?? SystemCommand.shellLine(step.command)
            if let check = step.check {
                lines.append("\(SystemCommand.shellLine(check)) >/dev/null 2>&1 || \(run)")
            } else {
                lines.append(SystemCommand.shellLine(step.command))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Runs each step not already done, printing each command before it runs.
    public func apply(log: (String) -> Void) throws {
        try refuseUnlessTun("setup leaves it alone and changed nothing; choose another --name")
        try refuseAnotherOwner()
        for step in steps {
            if let check = step.check, SystemCommand.succeeds(check) {
                log("# already done: \(step.purpose)")
                continue
            }
            for command in [step.command] + (step.then.map { [$0] } ?? []) {
                log("+ \(SystemCommand.shellLine(command))")
                try SystemCommand.run(command)
            }
        }
    }

    /// Undoes the steps in reverse order, skipping what is not there, and says so when nothing is.
    public func remove(log: (String) -> Void) throws {
        try refuseUnlessTun("setup did not make it, so teardown leaves it alone")
        var removed = false
        for step in steps.reversed() {
            guard let undo = step.undo else { continue }
            if let check = step.check, !SystemCommand.succeeds(check) { continue }
            if step.then != nil && Self.alias(of: name) != Self.mark {
                log("# left alone: \(name) was there before setup (it has no '\(Self.mark)' alias), and so are its addresses")
                removed = true
                continue
            }
            log("+ \(SystemCommand.shellLine(undo))")
            try SystemCommand.run(undo)
            removed = true
        }
        if !removed {
            log("# nothing to remove: \(name) does not exist\(nat ? " and none of its NAT rules is in place" : "")")
        }
    }

    /// Throws before anything changes when the tun exists and belongs to someone other than
    /// `--user`: a tun's owner is set when it is made, so "already done" would be untrue and the
    /// user would be sent back here by the permission error.
    private func refuseAnotherOwner() throws {
        guard let user, DeviceKind(device: name) == .tun else { return }
        guard let wanted = Self.uid(of: user) else { return }  // ip says what is wrong with the name
        let owner = DeviceKind.attribute("owner", of: name).flatMap { Int64($0) } ?? -1
        guard owner != Int64(wanted) else { return }
        let who = owner < 0 ? "no user (only root can open it)" : Self.userName(of: uid_t(owner)).map { "user \($0)" } ?? "uid \(owner)"
        throw LabError("""
            \(name) exists and belongs to \(who), not \(user): a tun's owner is set when it is made; \
            remove it first (sudo tunscope teardown --name \(name)) and run setup again, or choose another --name
            """)
    }

    private static func uid(of user: String) -> uid_t? {
        if let entry = getpwnam(user) { return entry.pointee.pw_uid }
        return UInt32(user)
    }

    private static func userName(of uid: uid_t) -> String? {
        getpwuid(uid).map { String(cString: $0.pointee.pw_name) }
    }

    /// The device's alias (ifalias), nil when it has none.
    static func alias(of name: String) -> String? {
        DeviceKind.attribute("ifalias", of: name).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Throws before anything changes when `name` is a device but not a tun: setup would address
    /// it (lo, a veth) and teardown delete it.
    private func refuseUnlessTun(_ consequence: String) throws {
        let kind = DeviceKind(device: name)
        guard kind == .missing || kind == .tun else {
            throw LabError("\(name) is \(kind), not a tun device: \(consequence)")
        }
    }
}
