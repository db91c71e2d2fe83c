#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Set by SIGINT, SIGTERM or SIGHUP: long-running commands check it and end cleanly (flushing
/// files, restoring the terminal, removing the lab) instead of dying mid-write.
let stopRequested = Atomic<Int32>(0)

enum Signals {
    static func catchStopSignals() {
        // A parent may have started us with these blocked (the mask is inherited across exec).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        // SIGTSTP, SIGCONT and SIGWINCH too: ncurses suspends, resumes and resizes the screen with them.
        for s in [SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT, SIGWINCH] { sigaddset(&unblock, s) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for s in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in stopRequested.store(signal, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // no SA_RESTART: a blocking call returns EINTR and the loop sees the flag
            sigaction(s, &action, nil)
        }
    }

    static var stopSignal: Int32 { stopRequested.load(ordering: .relaxed) }
}
