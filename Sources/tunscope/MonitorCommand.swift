#if canImport(Glibc)
import Glibc
#endif
import App
import ArgumentParser
import Capture
import Curses
import DisplayFilter
import DropTracing
import Lab
import Screen
import Synchronization
import Wire

/// `tunscope` with no subcommand: the full-screen monitor, live on a tun (tun0 by default) or
/// browsing a capture file.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "The full-screen monitor (what `tunscope` runs): live on a tun device, or a capture file with -r.",
        discussion: """
        Keys: s SYN to the target, t set the target, p ping, r resend, e edit and send, / filter, w write, \
        space pause, c clear, Tab panes, z zoom, ? all keys, q quit.
        """
    )

    @Option(name: .customShort("i"), parsing: .unconditionalSingleValue, help: ArgumentHelp("""
        The device: a tun (or, with --tap, tap) tunscope holds as the far end; one another program holds, any \
        other interface, or 'any', watched through libpcap. Repeat for several.
        """, valueName: "device"))
    var devices: [String] = []

    @Flag(help: "The device is a tap (Ethernet frames): watching only, nothing is sent.")
    var tap = false

    @Option(name: .customShort("r"), parsing: .unconditional, help: ArgumentHelp("Browse a pcap or pcapng file instead (no root needed); '-': a capture piped in, shown as it arrives (keys come from the terminal).", valueName: "file"))
    var file: String?

    @Flag(help: "With -r: show a file that is still being written (tcpdump -U -w FILE) as it grows, as tail -f does.")
    var follow = false

    @Option(help: ArgumentHelp("Where s sends a SYN and p a ping.", valueName: "host:port"))
    var target: String?

    @Option(help: ArgumentHelp("tunscope's own address on the link (default: the device's peer address).", valueName: "addr"))
    var source: String?

    @OptionGroup var screen: ScreenOptions

    @Option(name: .customShort("w"), parsing: .unconditional, help: ArgumentHelp("Also record every packet captured to this pcap file.", valueName: "file"))
    var writeFile: String?

    @OptionGroup var store: StoreOptions

    @OptionGroup var watching: WatchOptions

    @Flag(name: .customShort("D"), help: "List the interfaces (as tcpdump -D numbers them), whether each is up, and which tunscope can hold.")
    var listInterfaces = false

    func validate() throws {
        if listInterfaces { return }
        if file != nil && (!devices.isEmpty || tap || writeFile != nil || watching.watch || watching.bufferSize != nil) {
            throw ValidationError("-r browses a file: -i, --tap, -w, --watch and -B go with live capture.")
        }
        if Set(devices).count != devices.count {
            throw ValidationError("-i names a device twice.")
        }
        if follow && file == nil {
            throw ValidationError("--follow goes with -r FILE: it shows a capture file that is still being written.")
        }
        if follow && file == "-" {
            throw ValidationError("--follow is for a file that is still being written; standard input already waits for what the pipe brings (drop --follow).")
        }
        if let target {
            do {
                let t = try Target.parse(target, needsPort: true)
                if IPAddress(t.host) == nil || t.port == nil { throw TargetError("'\(target)': give an IP address and a port") }
            } catch let e as TargetError {
                throw ValidationError(e.description)
            }
        }
        if let source, IPAddress(source) == nil { throw ValidationError("--source: '\(source)' is not an IP address") }
    }

    func run() throws {
        if listInterfaces { return try reportingFailures { try InterfaceList.print() } }
        try requireTerminal(captureOnStandardInput: file == "-")
        Signals.catchStopSignals()
        try reportingFailures {
            if let file {
                if follow || isStream(file) {
                    try watch(file)
                } else {
                    try browse(file)
                }
            } else {
                let t = try target.map { text -> (IPAddress, UInt16) in
                    let t = try Target.parse(text, needsPort: true)
                    return (IPAddress(t.host)!, t.port!)
                }
                try runLive(devices: devices.isEmpty ? ["tun0"] : devices, tap: tap, namespace: nil, target: t,
                            source: source.flatMap(IPAddress.init), writeFile: writeFile, screen: screen,
                            limits: store.limits(), watch: watching)
            }
        }
    }

    /// A capture file in the monitor: read on a thread of its own, so the first frame comes at once.
    private func browse(_ path: String) throws {
        let filter = try screen.compiledDisplayFilter()
        let reader = try CaptureFileReader(path: path)
        guard reader.linkType.isSupported else {
            throw RuntimeError("\(path): link type \(reader.linkType.rawValue) is not one tunscope decodes")
        }
        let (theme, themeProblem) = screen.loadTheme()
        // Bounded as live capture is, only larger: a file bigger than this shows its last part,
        // and the status bar counts what was evicted.
        let store = PacketStore(limits: self.store.limits(defaults: .init(packets: 10_000_000, bytes: 2 << 30)))
        let monitor = Monitor(store: store, host: nil, linkType: reader.linkType, sourceName: path, theme: theme,
                              lines: .unicode)
        monitor.loading = true
        monitor.startAtFirstPacket()
        if let filter { monitor.showOnly(filter) }
        if let themeProblem { monitor.say(themeProblem, error: true) }
        let loaded = FileLoad(reader: reader, store: store)
        loaded.start()
        var toldOfDamage = false
        MonitorLoop.run(monitor, noColor: screen.noColor, record: nil) {
            monitor.loading = !loaded.isDone
            // A damaged file: the packets before the damage are shown, and the line says why the rest is not.
            if !monitor.loading && !toldOfDamage, let error = loaded.error {
                toldOfDamage = true
                monitor.say("damaged after packet \(store.counts.stored), which is all that is shown: \(error)", error: true)
            }
            return Signals.stopSignal != 0
        }
        loaded.stop()
        if let error = loaded.error { printError(error) }
        if let themeProblem { printError(themeProblem) }
    }
}

extension MonitorCommand {
    /// A capture that arrives over time (standard input, a FIFO, a file followed as it grows),
    /// shown as live capture is: the list follows new packets, the status bar says PIPE or FOLLOW,
    /// and the end of the stream (or damage) is said on the bottom line, the screen staying for
    /// browsing. q quits at once, however quiet the writer is: the reading thread only ever waits
    /// in 50 ms steps, and is told to stop.
    func watch(_ path: String) throws {
        let filter = try screen.compiledDisplayFilter()
        let stream: CaptureStream
        let reader: CaptureFileReader
        do {
            stream = try CaptureStream(path: path, follow: follow, shouldStop: { Signals.stopSignal != 0 })
            if stream.kind == .pipe && !stream.hasData(withinMilliseconds: 500) {
                printError("waiting for a capture on \(stream.name) (pcap or pcapng: tcpdump -U -w -)")
            }
            reader = try CaptureFileReader(stream: stream)
        } catch {
            if Signals.stopSignal != 0 { return }  // Ctrl-C before anything came
            throw error
        }
        guard reader.linkType.isSupported else {
            throw RuntimeError("\(stream.name): link type \(reader.linkType.rawValue) is not one tunscope decodes")
        }
        let (theme, themeProblem) = screen.loadTheme()
        // Bounded as live capture is: a stream can go on for ever.
        let store = PacketStore(limits: self.store.limits())
        let monitor = Monitor(store: store, host: nil, linkType: reader.linkType, sourceName: stream.name, theme: theme,
                              lines: .unicode)
        monitor.stream = stream.kind == .pipe ? .pipe : .follow
        if let filter { monitor.showOnly(filter) }
        if let themeProblem { monitor.say(themeProblem, error: true) }
        let streamReader = StreamReader(reader: reader)
        streamReader.start { packets in _ = store.append(contentsOf: packets) }
        var toldOfEnd = false
        MonitorLoop.run(monitor, noColor: screen.noColor, record: nil) {
            if !toldOfEnd && streamReader.isDone {
                toldOfEnd = true
                monitor.stream = .ended
                let read = counted(streamReader.count, "packet")
                if let error = streamReader.error {
                    monitor.say("damaged after \(read), which is all that is shown: \(error)", error: true)
                } else {
                    monitor.say("end of the stream after \(read)")
                }
            }
            return Signals.stopSignal != 0
        }
        streamReader.stop()
        streamReader.waitUntilDone(milliseconds: 200)
        if let error = streamReader.error { printError(error) }
        if let themeProblem { printError(themeProblem) }
    }
}

/// Options of the screen itself, shared by the monitor and the lab.
struct ScreenOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Colours: a theme name (dark, light, solarized-dark, high-contrast, monochrome) or a TOML file.",
                               valueName: "name|path"))
    var theme = "dark"

    @Flag(help: "Close each connection s opens as soon as its handshake is done, as tunscope send does (by default it stays open for d, H, F and R).")
    var closeAtOnce = false

    @Option(name: .customShort("Y"), parsing: .unconditional, help: ArgumentHelp("""
        Start with the list filtered by this Wireshark display filter, as / takes it (tshark -Y): tcp.analysis.flags, \
        dns.qry.name contains "lab". / changes it.
        """, valueName: "expression"))
    var displayFilter: String?

    /// -Y compiled before the screen starts, so a mistake is said in the terminal, with where.
    func compiledDisplayFilter() throws -> DisplayFilter? {
        guard let displayFilter else { return nil }
        do { return try DisplayFilter(displayFilter) } catch { throw RuntimeError("-Y: \(error)") }
    }

    /// The NO_COLOR convention (no-color.org): set and not empty means no colour.
    var noColor: Bool {
        getenv("NO_COLOR").map { String(cString: $0) }.map { !$0.isEmpty } ?? false
    }

    /// The theme asked for; a broken or missing one gives the built-in theme and a message.
    func loadTheme() -> (Theme, String?) {
        do {
            return (try ThemeFile.resolve(theme, directories: Self.themeDirectories), nil)
        } catch {
            return (Theme.builtIn, "\(error); using the built-in dark theme")
        }
    }

    /// Where themes are looked for by name: $TUNSCOPE_THEMES, beside the program (an install),
    /// the repository's themes/ (a build), and ./themes.
    static var themeDirectories: [String] {
        var dirs: [String] = []
        if let env = getenv("TUNSCOPE_THEMES") { dirs.append(String(cString: env)) }
        var path = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &path, path.count - 1)
        if n > 0 {
            let exe = String(decoding: path[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            dirs.append(dir + "/../share/tunscope/themes")
            for _ in 0..<4 {
                dirs.append(dir + "/themes")
                dir = dir.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            }
        }
        dirs.append("themes")
        return dirs
    }
}

/// The screen needs a terminal; say so plainly instead of drawing into a pipe. With the capture
/// on standard input (`-r -`), keys come from the terminal (/dev/tty) instead.
func requireTerminal(captureOnStandardInput: Bool = false) throws {
    if captureOnStandardInput {
        guard isatty(0) != 1 else {
            printError("-r -: standard input is a terminal, not a capture: pipe one in (tcpdump -U -w - | tunscope -r -)")
            throw ExitCode(1)
        }
        if isatty(1) == 1, let problem = Terminal.keyboardProblem {
            printError("the monitor reads keys from the terminal when the capture comes on standard input, but there is \(problem); use 'tunscope print -r -'")
            throw ExitCode(1)
        }
    }
    guard (isatty(0) == 1 || captureOnStandardInput) && isatty(1) == 1 else {
        printError("the monitor needs a terminal (standard input and output); for a pipe or a script use 'tunscope print' or 'tunscope send'")
        throw ExitCode(1)
    }
    if let problem = Terminal.unusable {
        printError(problem)
        throw ExitCode(1)
    }
}

/// Opens the devices, gives up root, and runs the monitor: as the host at the far end of a tun it
/// holds, or watching what it cannot hold.
func runLive(devices: [String], tap: Bool, namespace: String?, target: (IPAddress, UInt16)?, source: IPAddress?,
             writeFile: String?, screen: ScreenOptions, limits: PacketStore.Limits, watch: WatchOptions = .none,
             beside: [String] = [], besideNote: String? = nil, stopReason: @escaping () -> String? = { nil }) throws {
    let filter = try screen.compiledDisplayFilter()
    let store = PacketStore(limits: limits)
    let capture = try LiveOpening.open(devices: devices, tap: tap, namespace: namespace, filter: nil, watch: watch,
                                       timesProbes: !tap, beside: beside, store: store)
    defer { capture.stop() }
    let held = capture as? LiveCapture
    // While still root (the firewall needs it) and before the screen starts: what the set-up lacks.
    let setUpProblem = held != nil && namespace == nil && !tap ? Doctor(device: devices[0], heldByCaller: true).examine().headline : nil
    // The kernel's verdicts: attached while still root (BPF needs it), read after.
    var verdicts: KernelVerdicts?
    var verdictsOff: String?
    do {
        verdicts = KernelVerdicts(tracer: try DropTracer.watching(namespace: namespace))
    } catch {
        verdictsOff = "kernel verdicts are off: \(error.description)"
    }
    defer { verdicts?.stop() }
    try Privileges.dropToInvokingUser()
    let writer = try writeFile.map { try CaptureFileWriter(path: $0, linkType: capture.linkType) }
    let me = held.flatMap { held in source ?? held.addresses.map { .v4($0.peer) } }
    let host = tap || me == nil ? nil : held.map { LiveHost(capture: $0, ownAddresses: [me!]) }
    host?.start()
    defer { host?.stop() }
    let (theme, themeProblem) = screen.loadTheme()
    let monitor = Monitor(store: store, host: host, capture: capture, linkType: capture.linkType,
                          sourceName: held?.title(watchedAs: besideNote) ?? devices.joined(separator: ", "), theme: theme, lines: .unicode, ownAddress: me,
                          kernelAddress: held?.addresses.map { .v4($0.local) }, target: held == nil ? nil : target)
    monitor.holdsConnections = !screen.closeAtOnce
    monitor.kernelVerdicts = verdicts
    monitor.setUpProblem = setUpProblem
    if let verdictsOff { monitor.say(verdictsOff) }
    if let filter { monitor.showOnly(filter) }
    if let themeProblem { monitor.say(themeProblem, error: true) }
    if held != nil && host == nil && !tap {
        monitor.say("\(devices[0]) has no point-to-point address: only watching (give --source to send)")
    } else if let setUpProblem, themeProblem == nil {
        monitor.say("\(setUpProblem) (tunscope doctor \(devices[0]) says how to fix it)", error: true)
    }
    var stoppedBecause: String?
    MonitorLoop.run(monitor, noColor: screen.noColor, record: writer) {
        stoppedBecause = stopReason()
        return Signals.stopSignal != 0 || stoppedBecause != nil
    }
    // Whatever is still open is reset, so no peer keeps state.
    host?.abortAll()
    usleep(20_000)
    try writer?.close()
    if let stoppedBecause { throw RuntimeError(stoppedBecause) }
    if let failure = capture.failure {
        let kept = writeFile.map { "; the packets captured are in \($0)" } ?? ""
        throw RuntimeError("\(failure.description)\(kept)")
    }
    if let themeProblem { printError(themeProblem) }
}

/// A capture file read into the store on a thread of its own.
final class FileLoad: @unchecked Sendable {  // the reader is used by the loading thread alone
    private let reader: CaptureFileReader
    private let store: PacketStore
    private let done = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let failure = Synchronization.Mutex<String?>(nil)

    init(reader: CaptureFileReader, store: PacketStore) {
        self.reader = reader
        self.store = store
    }

    var isDone: Bool { done.load(ordering: .acquiring) }
    var error: String? { failure.withLock { $0 } }

    func start() {
        startThread { [self] in
            var batch = PacketStore.Batch()
            do {
                while let p = try reader.next() {
                    p.bytes.withUnsafeBytes {
                        batch.add($0, seconds: p.seconds, microseconds: p.microseconds, originalLength: p.originalLength)
                    }
                    if batch.count == 4096 {
                        store.append(batch)
                        batch.removeAll()
                        if stopped.load(ordering: .relaxed) { break }
                    }
                }
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            store.append(batch)
            done.store(true, ordering: .releasing)
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
