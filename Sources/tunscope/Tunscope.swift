import ArgumentParser

@main
struct Tunscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunscope",
        abstract: "See and poke at what crosses a Linux tun/tap device.",
        subcommands: [PrintCommand.self, SendCommand.self, LabCommand.self, SetupCommand.self, TeardownCommand.self, LabKeeperCommand.self, LabServicesCommand.self]
    )
}
