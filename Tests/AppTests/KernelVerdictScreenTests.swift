import Capture
import Screen
import Testing
import Verdicts
import Wire
@testable import App

/// The kernel's verdicts on the screen: the dropped packet's row marked and coloured, its tree
/// led by the verdict, the handshake pane saying where the conversation died, and a drop of a
/// packet not captured said on the bottom line.
struct KernelVerdictScreenTests {
    typealias M = MonitorTests

    static func drop(of bytes: Bytes, reason: String, location: String, at seconds: Int, _ microseconds: Int) -> DropEvent {
        DropEvent(reasonCode: 1, reason: reason, location: location, seconds: seconds, microseconds: microseconds, netnsInode: 1,
                  ifindex: 2, device: "tun0", ethertype: 0x0800, header: Array(bytes.prefix(128)))
    }

    @Test func aDroppedPacketIsMarkedItsTreeLedByTheVerdictAndTheLadderSaysWhereItDied() {
        let (store, prober) = M.scene()
        let m = M.monitor(store, prober: prober)
        let verdicts = KernelVerdicts(tracer: nil)
        m.kernelVerdicts = verdicts
        let syn = store.packet(number: 1)!.packet
        verdicts.add([Self.drop(of: syn.bytes, reason: "NETFILTER_DROP", location: "nft_do_chain", at: syn.seconds, syn.microseconds + 5)])
        _ = m.refresh(now: 2)
        m.select(2)
        var lines = M.text(m, 160, 40)
        let row = lines.first { $0.hasPrefix("│1 ") } ?? ""
        #expect(row.contains("[kernel dropped: NETFILTER_DROP in nft_do_chain] Flags [S]"), "\(row)")
        #expect(!(lines.first { $0.hasPrefix("│2 ") } ?? "").contains("kernel dropped"))
        #expect(lines[0].contains("kernel drops 1"), "\(lines[0])")
        // Coloured with the theme's role for it.
        let frame = m.render(width: 160, height: 40)
        let y = lines.firstIndex { $0.hasPrefix("│1 ") }!
        #expect(frame.cells[y * 160 + 5].style == Theme.builtIn[.ruleKernelDrop])
        #expect(lines.contains { $0.contains("DROPPED: SYN by the kernel, NETFILTER_DROP") }, "\(lines.joined(separator: "\n"))")
        m.select(1)
        lines = M.text(m, 160, 40)
        let tree = lines.firstIndex { $0.contains("Header tree") }!
        #expect(lines[tree + 1].contains("Kernel verdict: dropped, NETFILTER_DROP"), "\(lines[tree + 1])")
    }

    @Test func aDropOfAPacketNotCapturedIsSaidWithItsHeaders() {
        let (store, _) = M.scene()
        let m = M.monitor(store)
        let verdicts = KernelVerdicts(tracer: nil)
        m.kernelVerdicts = verdicts
        let other = PacketBuilder.build(ip: IPRepr(source: .v4(IPv4Address(192, 0, 2, 2)), destination: .v4(IPv4Address(198, 51, 100, 7)), proto: .udp)!,
                                        transport: UDPRepr(sourcePort: 5000, destinationPort: 53), payload: [1, 2, 3])
        let last = store.packet(number: store.newestNumber)!.packet
        verdicts.add([Self.drop(of: other, reason: "IP_INNOROUTES", location: "ip_error", at: last.seconds, last.microseconds)])
        _ = m.refresh(now: 2)
        let lines = M.text(m, 160, 40)
        let bottom = lines[lines.count - 2]
        #expect(bottom.contains("kernel dropped a packet not captured on tun0: IP_INNOROUTES in ip_error: IP 192.0.2.2.5000 > 198.51.100.7.53"),
                "\(bottom)")
        #expect(verdicts.byPacket.isEmpty)
    }
}
