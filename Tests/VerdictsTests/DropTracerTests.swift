import DropTracing
import Foundation
import Testing
import Verdicts

/// The tracer against the real kernel: a namespace of the test's own, a tun in it held by a
/// program that writes a SYN with a broken TCP checksum. Needs root (CI runs as root).
@Suite(.enabled(if: geteuid() == 0 && FileManager.default.fileExists(atPath: "/dev/net/tun"),
                "needs root and /dev/net/tun (it loads a BPF program and makes a network namespace); CI runs it as root"),
       .enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux"),
                "needs a kernel with BTF (/sys/kernel/btf/vmlinux), which the BPF program is relocated against"))
struct DropTracerTests {
    static let program = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CrossCheckTests/drop_tun.py").path

    @discardableResult
    static func run(_ argv: [String], allowFailure: Bool = false) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 || allowFailure else { throw CocoaError(.executableLoad, userInfo: ["argv": argv]) }
        return String(decoding: data, as: UTF8.self)
    }

    @Test func reportsABadChecksumInTheWatchedNamespaceOnlyWithItsReasonFunctionAndHeader() throws {
        let reasons = try #require(DropReasons.ofRunningKernel(), "this kernel has no BTF drop reasons")
        #expect(reasons.names.values.contains("TCP_CSUM") && reasons.names.values.contains("NO_SOCKET"))
        #expect(!KernelSymbols().isEmpty && KernelSymbols().function(at: 0) == nil)
        let ns = "tsv-tracer-\(getpid())", other = "tsv-other-\(getpid())"
        try Self.run(["ip", "netns", "add", ns])
        defer { _ = try? Self.run(["ip", "netns", "delete", ns]) }
        try Self.run(["ip", "netns", "add", other])
        defer { _ = try? Self.run(["ip", "netns", "delete", other]) }
        try Self.run(["ip", "netns", "exec", other, "ip", "link", "set", "lo", "up"])
        for step in [["ip", "link", "set", "lo", "up"], ["ip", "tuntap", "add", "name", "tun0", "mode", "tun"],
                     ["ip", "addr", "add", "192.0.2.1", "peer", "192.0.2.2", "dev", "tun0"], ["ip", "link", "set", "tun0", "up"]] {
            try Self.run(["ip", "netns", "exec", ns] + step)
        }
        var info = stat()
        #expect(stat("/run/netns/\(ns)", &info) == 0)
        let tracer = try DropTracer(namespaceInodes: [UInt32(info.st_ino)])
        defer { tracer.stop() }
        // Drops in another namespace are not asked for: a UDP datagram to a closed port there (NO_SOCKET).
        try Self.run(["ip", "netns", "exec", other, "python3", "-c",
                      "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 9))"])
        try Self.run(["ip", "netns", "exec", ns, "timeout", "-s", "KILL", "1.5", "python3", Self.program, "tun0", "/",
                      "csum:192.0.2.2:192.0.2.1:80:4242:tcpcsum"], allowFailure: true)
        var drops: [DropEvent] = []
        for _ in 0..<20 where drops.isEmpty {
            usleep(100_000)
            drops += tracer.take()
        }
        #expect(drops.count == 1, "\(drops.map(\.verdict))")
        let drop = try #require(drops.first)
        #expect(drop.reason == "TCP_CSUM" && drop.location == "tcp_v4_rcv" && drop.device == "tun0" && drop.ethertype == 0x0800)
        #expect(drop.netnsInode == UInt32(info.st_ino))
        #expect(drop.header.count == 44 && drop.header[4] == 0x10 && drop.header[5] == 0x92, "IP id 4242")
        #expect(abs(Int(Date().timeIntervalSince1970) - drop.seconds) < 5)
        #expect(tracer.undelivered == 0)
    }

    /// A flood of bad checksums: every drop is either delivered or counted as undelivered, none
    /// lost without a count, and the tracer's queue stays within its bound.
    @Test(arguments: [nil, 4096] as [UInt32?])
    func aFloodOfDropsIsDeliveredOrCountedExactly(ringBufferBytes: UInt32?) throws {
        let ns = "tsv-flood-\(getpid())-\(ringBufferBytes ?? 0)"
        try Self.run(["ip", "netns", "add", ns])
        defer { _ = try? Self.run(["ip", "netns", "delete", ns]) }
        for step in [["ip", "tuntap", "add", "name", "tun0", "mode", "tun"], ["ip", "addr", "add", "192.0.2.1", "peer", "192.0.2.2", "dev", "tun0"],
                     ["ip", "link", "set", "tun0", "up"], ["sysctl", "-q", "-w", "net.ipv6.conf.tun0.disable_ipv6=1"]] {
            try Self.run(["ip", "netns", "exec", ns] + step)
        }
        var info = stat()
        #expect(stat("/run/netns/\(ns)", &info) == 0)
        let tracer = try DropTracer(namespaceInodes: [UInt32(info.st_ino)], ringBufferBytes: ringBufferBytes)
        defer { tracer.stop() }
        let count = 30_000
        try Self.run(["ip", "netns", "exec", ns, "timeout", "-s", "KILL", "3", "python3", Self.program, "tun0", "/",
                      "flood:192.0.2.2:192.0.2.1:80:1:tcpcsum:\(count)"], allowFailure: true)
        var drops: [DropEvent] = []
        var undelivered: UInt64 = 0
        for _ in 0..<50 {
            usleep(100_000)
            drops += tracer.take()
            undelivered = try #require(tracer.undelivered)
            if drops.count + Int(undelivered) >= count { break }
        }
        #expect(drops.count + Int(undelivered) == count, "\(drops.count) delivered, \(undelivered) undelivered")
        // A ring of one page holds about twenty events: the flood outruns the reader.
        if ringBufferBytes != nil { #expect(undelivered > 0) }
        #expect(drops.count > 0 && drops.allSatisfy { $0.reason == "TCP_CSUM" || $0.reason == "CPU_BACKLOG" },
                "\(Set(drops.map(\.reason)))")
    }
}
