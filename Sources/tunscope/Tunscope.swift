import ArgumentParser

@main
struct Tunscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunscope",
        abstract: "See and poke at what crosses a Linux tun/tap device.",
        discussion: "With no subcommand, tunscope runs the full-screen monitor on tun0 (see 'tunscope monitor --help').",
        subcommands: [MonitorCommand.self, PrintCommand.self, SendCommand.self, LabCommand.self, SetupCommand.self, TeardownCommand.self, LabKeeperCommand.self, LabServicesCommand.self, ScreenBenchCommand.self],
        defaultSubcommand: MonitorCommand.self
    )
}
