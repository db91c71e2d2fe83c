import Foundation

/// A running lab, seen from tunscope: it started a keeper process that built the lab and will
/// remove it when tunscope ends by any path, even `kill -9` (the keeper sees its control pipe
/// close). `end()` removes it right away and waits until it is gone.
public final class LabSession: @unchecked Sendable {
    public let network: LabNetwork
    public let keeperPID: pid_t
    private var control: Int32

    /// Starts the keeper (`tunscope _lab-keeper`) and waits until the lab is up.
    public init(tunUser: String?) throws {
        let control = try Spawn.pipe()
        let report = try Spawn.pipe()
        var argv = [Spawn.executable, "_lab-keeper"]
        if let tunUser { argv += ["--tun-user", tunUser] }
        let pid = try Spawn.start(argv, descriptors: [1: report.write, LabKeeper.controlDescriptor: control.read], newSession: true)
        close(control.read)
        close(report.write)
        defer { close(report.read) }
        let line = Spawn.readLine(report.read, timeout: 20) ?? "error the lab keeper stopped before the lab was up"
        guard line.hasPrefix("ready ") else {
            close(control.write)
            Spawn.wait(pid, timeout: 10)
            throw LabError(line.hasPrefix("error ") ? String(line.dropFirst(6)) : line)
        }
        keeperPID = pid
        self.control = control.write
        var network = LabNetwork(id: pid, tunUser: tunUser)
        network.tunUser = tunUser
        self.network = network
    }

    /// Whether the lab still stands: its namespaces are there and its keeper runs. Someone may
    /// remove the namespaces from outside (`ip netns delete`).
    public var isIntact: Bool {
        let keeperAlive = kill(keeperPID, 0) == 0 || errno == EPERM  // EPERM: alive, and root's
        return keeperAlive && [network.router, network.server].allSatisfy { access("/run/netns/\($0)", F_OK) == 0 }
    }

    public static let removedFromOutside = "the lab's namespaces were removed from outside: tunscope ends and removes the rest"

    /// Removes the lab now and waits (at most 10 s) until the keeper has.
    public func end() {
        guard control >= 0 else { return }
        close(control)
        control = -1
        Spawn.wait(keeperPID, timeout: 10)
    }

    deinit { end() }
}

/// The keeper process: builds the lab, starts its services, reports "ready", then waits for
/// tunscope's end (EOF on the control pipe) or SIGTERM, and removes everything it made.
public enum LabKeeper {
    /// The descriptor the keeper reads its control pipe on.
    public static let controlDescriptor: Int32 = 3

    nonisolated(unsafe) private static var terminated: sig_atomic_t = 0

    public static func run(tunUser: String?) -> Int32 {
        for s in [SIGTERM, SIGINT, SIGHUP] {
            signal(s) { _ in LabKeeper.terminated = 1 }
        }
        let network = LabNetwork(id: getpid(), tunUser: tunUser)
        var servicesPID: pid_t?
        func report(_ line: String) {
            let text = line + "\n"
            _ = text.withCString { write(1, $0, strlen($0)) }
        }
        do {
            try network.build()
            servicesPID = try startServices(network)
            report("ready \(network.router) \(network.server)")
        } catch {
            if let pid = servicesPID { stop(pid) }
            network.destroy()
            report("error \(error)")
            return 1
        }
        // Wait for tunscope to go away, however it goes.
        var byte: UInt8 = 0
        while terminated == 0 {
            var p = pollfd(fd: controlDescriptor, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, 500)
            if r < 0 && errno != EINTR { break }
            if r > 0 {
                let n = read(controlDescriptor, &byte, 1)
                if n == 0 || (n < 0 && errno != EINTR) { break }
            }
        }
        if let pid = servicesPID { stop(pid) }
        network.destroy()
        return 0
    }

    private static func startServices(_ network: LabNetwork) throws -> pid_t {
        let ready = try Spawn.pipe()
        defer { close(ready.read) }
        let argv = ["/usr/bin/env", "ip", "netns", "exec", network.server, Spawn.executable, "_lab-services",
                    "--address", network.serverAddress, "--http-port", String(network.httpPort), "--name", network.serverName]
        let pid = try Spawn.start(argv, descriptors: [1: ready.write, 2: ready.write])
        close(ready.write)
        let line = Spawn.readLine(ready.read, timeout: 10)
        guard line == "ready" else {
            stop(pid)
            throw LabError("the lab's services did not start: \(line ?? "no answer")")
        }
        return pid
    }

    private static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        if !Spawn.wait(pid, timeout: 2) {
            kill(pid, SIGKILL)
            Spawn.wait(pid, timeout: 2)
        }
    }
}
