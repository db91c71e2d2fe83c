import Testing
@testable import Lab

@Suite struct LabPlanTests {
    /// The lab's promise: nothing it runs changes the root namespace. Every command either makes
    /// a namespace or names the one it changes.
    @Test func everyLabCommandStaysInsideTheLabsNamespaces() {
        let lab = LabNetwork(id: 4242, tunUser: "alice")
        #expect(lab.router == "tunscope-lab4242-router" && lab.server == "tunscope-lab4242-server")
        for command in lab.buildCommands {
            let inside = command.starts(with: ["ip", "netns", "add"])
                || command.starts(with: ["ip", "-n", lab.router]) || command.starts(with: ["ip", "-n", lab.server])
                || command.starts(with: ["ip", "netns", "exec", lab.router]) || command.starts(with: ["ip", "netns", "exec", lab.server])
            #expect(inside, "\(command.joined(separator: " ")) would run in the root namespace")
        }
        #expect(lab.buildCommands.contains(["ip", "-n", lab.router, "tuntap", "add", "name", "tun0", "mode", "tun", "user", "alice"]))
        #expect(lab.buildCommands.contains(["ip", "-n", lab.router, "addr", "add", "192.0.2.1", "peer", "192.0.2.2", "dev", "tun0"]))
    }

    @Test func setupScriptIsTheExercisesScript() {
        let setup = DeviceSetup(name: "tun0", user: "alice", nat: true)
        let script = setup.script
        #expect(script.hasPrefix("#!/bin/sh\n"))
        #expect(script.contains("if [ -e /sys/class/net/tun0 ] && [ ! -e /sys/class/net/tun0/tun_flags ]; then"))
        #expect(script.contains("ip link show dev tun0 >/dev/null 2>&1 || { ip tuntap add name tun0 mode tun user alice && ip link set dev tun0 alias 'made by tunscope setup'; }\n"))
        #expect(script.contains("ip addr replace 192.0.2.1 peer 192.0.2.2 dev tun0\n"))
        #expect(script.contains("iptables -t nat -C POSTROUTING -s 192.0.2.2/32 '!' -o tun0 -j MASQUERADE >/dev/null 2>&1 || iptables -t nat -A POSTROUTING -s 192.0.2.2/32 '!' -o tun0 -j MASQUERADE\n"))
        // Teardown undoes exactly the steps that add something, in reverse order.
        let undo = setup.steps.compactMap(\.undo)
        #expect(undo.first == ["ip", "link", "delete", "dev", "tun0"])
        #expect(undo.count == 4)
    }

    @Test func withoutNATSetupTouchesNoFirewall() {
        #expect(!DeviceSetup(name: "tun1").script.contains("iptables"))
        #expect(!DeviceSetup(name: "tun1").script.contains("sysctl"))
    }

    @Test func labDNSReadsTheQuestion() throws {
        // 0x1234, RD, one question: example.test A IN
        let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                              7] + Array("example".utf8) + [4] + Array("test".utf8) + [0, 0, 1, 0, 1]
        let q = try #require(LabServices.question(query))
        #expect(q.name == "example.test" && q.type == 1 && q.end == query.count)
        #expect(LabServices.question(Array(query.prefix(20))) == nil)
    }
}
