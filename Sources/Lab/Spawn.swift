import CTun
import Foundation

/// posix_spawn(3) with the plumbing the lab needs: chosen file descriptors for the child and,
/// for the keeper, a session of its own so that Ctrl-C and a closed terminal do not reach it.
enum Spawn {
    /// Starts `argv` with `descriptors` (child fd ← parent fd); fds not listed are closed in the
    /// child (all of tunscope's are close-on-exec). Standard error goes to /dev/null unless mapped.
    static func start(_ argv: [String], descriptors: [Int32: Int32], newSession: Bool = false) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if descriptors[2] == nil { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        for (child, parent) in descriptors { posix_spawn_file_actions_adddup2(&actions, parent, child) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal handling in the child, whatever tunscope had set.
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if newSession { flags |= Int32(tunscope_spawn_setsid_flag()) }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        guard status == 0 else { throw LabError("cannot start \(argv[0]): \(String(cString: strerror(status)))") }
        return pid
    }

    /// A pipe whose ends close on exec (pipe2 O_CLOEXEC); a child gets one only through `descriptors`.
    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard tunscope_pipe_cloexec(&fds) == 0 else { throw LabError("pipe: \(String(cString: strerror(errno)))") }
        return (fds[0], fds[1])
    }

    /// Reads one line from `fd`, waiting at most `timeout` seconds; nil on EOF or timeout.
    static func readLine(_ fd: Int32, timeout: Double) -> String? {
        var line: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var byte: UInt8 = 0
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            if byte == 10 { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        return nil
    }

    /// Waits for `pid` to exit, at most `timeout` seconds; true if it did.
    @discardableResult
    static func wait(_ pid: pid_t, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { return true }
            usleep(10_000)
        }
        return false
    }

    /// This program's own path, to start the keeper and the services as tunscope subcommands.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
