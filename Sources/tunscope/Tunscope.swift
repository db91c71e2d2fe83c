#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

@main
struct Tunscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunscope",
        abstract: "See and poke at what crosses a Linux tun/tap device.",
        discussion: "With no subcommand, tunscope runs the full-screen monitor on tun0 (see 'tunscope monitor --help').",
        subcommands: [MonitorCommand.self, PrintCommand.self, SendCommand.self, LabCommand.self, SetupCommand.self, TeardownCommand.self, DoctorCommand.self, LabKeeperCommand.self, LabServicesCommand.self, ScreenBenchCommand.self],
        defaultSubcommand: MonitorCommand.self
    )

    /// ArgumentParser's own main, except that a wrong command line is one line, as every other
    /// tunscope error is, with where to read more; --help and the rest print as it prints them.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments())
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            var message = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid command line"
            if message.hasSuffix(".") { message.removeLast() }
            printError("\(message) (see '\(helpCommand()) --help')")
            Glibc.exit(code.rawValue)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// The command line, with tcpdump's habits (`-c1`, `-itun0`, `-nn`) rewritten (TcpdumpHabits).
    static func arguments() -> [String] {
        let given = Array(CommandLine.arguments.dropFirst())
        guard TcpdumpHabits.mayNeedRewriting(given), let habits = TcpdumpHabits.fromCommands() else { return given }
        return habits.rewrite(given)
    }

    /// "tunscope print" when the command line names a subcommand, else "tunscope".
    private static func helpCommand() -> String {
        let names = configuration.subcommands.map { $0._commandName }
        let arguments = CommandLine.arguments.dropFirst()
        guard let first = arguments.first, names.contains(first) else { return "tunscope" }
        return "tunscope \(first)"
    }
}
