#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Capture

/// Gives up root once what needs it is open, as `tcpdump -Z` does: back to the user who ran
/// sudo (SUDO_UID/SUDO_GID), so files tunscope writes belong to them. Does nothing when not root
/// or not started through sudo.
enum Privileges {
    static func dropToInvokingUser() throws {
        guard geteuid() == 0,
              let uidText = getenv("SUDO_UID").map({ String(cString: $0) }), let uid = uid_t(uidText), uid != 0,
              let gidText = getenv("SUDO_GID").map({ String(cString: $0) }), let gid = gid_t(gidText)
        else { return }
        var groups = [gid]
        guard setgroups(1, &groups) == 0, setgid(gid) == 0, setuid(uid) == 0, geteuid() == uid else {
            throw RuntimeError("could not give up root (to uid \(uid)): \(String(cString: strerror(errno)))")
        }
    }
}

/// A failure that ends a command with a one-line message and exit status 1.
struct RuntimeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`; a failure a person can act on (a capture or runtime error) becomes one line on
/// standard error and exit status `exitCode`, never a stack trace.
func reportingFailures(exitCode: Int32 = 1, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as CaptureError {
        printError(e.description)
        throw ExitCode(exitCode)
    } catch let e as RuntimeError {
        printError(e.description)
        throw ExitCode(exitCode)
    }
}
