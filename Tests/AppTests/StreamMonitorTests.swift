@testable import App
import Capture
import Screen
import Testing
import Wire

/// The monitor on a capture that arrives over time (-r -, --follow), rendered into a buffer.
@Suite struct StreamMonitorTests {
    /// 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0
    static let syn: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00,
        0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    ]

    @Test(arguments: [(StreamState.pipe, "PIPE"), (.follow, "FOLLOW")])
    func theStatusBarSaysWhereTheStreamStandsAndTheListFollowsNewPackets(state: StreamState, label: String) {
        let store = PacketStore()
        let m = Monitor(store: store, host: nil, linkType: .raw, sourceName: "stdin", theme: .builtIn, lines: .unicode)
        m.stream = state
        _ = m.refresh(now: 1)
        var lines = m.render(width: 100, height: 30).lines
        #expect(lines[0].hasPrefix(" tunscope  stdin  0 pkts  0/s  \(label)"), "\(lines[0])")
        #expect(lines.contains { $0.contains("waiting for packets...") })
        for i in 0..<3 { store.append(CapturedPacket(bytes: Self.syn, seconds: 1_700_000_000 + i, microseconds: 0)) }
        #expect(m.refresh(now: 2))
        lines = m.render(width: 100, height: 30).lines
        // As live capture: the newest packet is selected (its tree shows), not the first.
        #expect(lines.contains { $0.contains("Frame 3:") }, "\(lines.joined(separator: "\n"))")
        m.stream = .ended
        m.say("end of the stream after 3 packets")
        #expect(m.refresh(now: 3), "the end asks for a frame of its own")
        lines = m.render(width: 100, height: 30).lines
        #expect(lines[0].hasPrefix(" tunscope  stdin  3 pkts  ") && lines[0].contains("  ENDED"), "\(lines[0])")
        #expect(lines.contains { $0.hasPrefix("end of the stream after 3 packets") })
    }
}
