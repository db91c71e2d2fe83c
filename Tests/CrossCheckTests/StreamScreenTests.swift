import Foundation
import Testing

/// The monitor on a capture piped in, in tmux: rows appear one by one as the writer sends
/// them, keys come from the terminal, the end of the stream is said, and q quits at once (0)
/// with the terminal restored, even while the writer is still there and silent.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") && Tools.available,
                "needs tmux, tcpdump, tshark, python3-scapy (.ci/install-deps) and the tunscope binary"))
struct StreamScreenTests {
    typealias Window = ScreenEndToEndTests.Window

    /// A window whose shell pipes the writer into `tunscope ARGS`, recording tunscope's own status
    /// and the terminal's settings before and after (read from /dev/tty: standard input is the pipe).
    static func window(writer arguments: String, tunscope: String) throws -> Window {
        try Window(script: "stty -g > DIR/before; /usr/bin/python3 \(StreamTests.writer) \(arguments) | "
                   + "{ \(Tools.tunscope) \(tunscope) 2> DIR/stderr; echo $? > DIR/status; stty -g < /dev/tty > DIR/after; }; sleep 60",
                   width: 120, height: 30)
    }

    /// "12 pkts" from the status bar.
    static func stored(_ screen: String) -> Int? {
        screen.split(separator: "\n").first?.components(separatedBy: "  ").first { $0.hasSuffix(" pkts") }.flatMap { Int($0.dropLast(5)) }
    }

    @Test func rowsAppearOneByOneAndQQuitsWhileTheWriterIsQuiet() throws {
        let capture = try Tools.capture(linkType: "raw")
        // Six packets 400 ms apart, then 60 s of silence with the pipe still open.
        let w = try Self.window(writer: "\(capture) - 0.4 plain 6 60", tunscope: "-r -")
        defer { w.close() }
        var counts: [Int] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let n = Self.stored(w.screen), counts.last != n { counts.append(n) }
            if counts.last == 6 { break }
            usleep(50_000)
        }
        #expect(counts.last == 6 && counts.count >= 5, "the rows came as \(counts): \(w.screen)")
        let screen = w.screen
        #expect(screen.split(separator: "\n").first?.contains("stdin") == true && screen.contains("PIPE"), "\(screen)")
        // The list follows the newest packet, as live: the selected packet (the tree) is the sixth.
        #expect(screen.contains("Frame 6:"), "\(screen)")
        // Keys come from the terminal: the help opens and closes.
        try w.keys("?")
        try w.waitFor("Keys (vim keys and arrows both)")
        try w.keys("x")
        let asked = Date()
        try w.keys("q")
        #expect(w.ended(timeout: 5), "tunscope did not quit: \(w.screen)")
        #expect(Date().timeIntervalSince(asked) < 3, "q waited for the writer")
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(w.file("stderr") ?? "")")
        #expect(w.file("before") == w.file("after"), "the terminal's settings changed")
    }

    @Test func theEndOfTheStreamIsSaidAndTheScreenStays() throws {
        let capture = try Tools.capture(linkType: "raw")
        let w = try Self.window(writer: "\(capture) - 0.05 plain 5", tunscope: "-r -")
        defer { w.close() }
        try w.waitFor("end of the stream after 5 packets")
        #expect(w.screen.contains("ENDED"))
        try w.keys("g")
        try w.waitFor("Frame 1:")
        try w.keys("q")
        #expect(w.ended())
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(w.file("stderr") ?? "")")
    }

    @Test func aDamagedStreamShowsThePacketsBeforeTheDamageAndSaysWhy() throws {
        let capture = try Tools.capture(linkType: "raw")
        let w = try Window(script: "head -c 1000 \(capture) | \(Tools.tunscope) -r - 2> DIR/stderr; echo $? > DIR/status", width: 120, height: 30)
        defer { w.close() }
        try w.waitFor("damaged after")
        let screen = w.screen
        #expect(screen.contains("truncated dump file") && screen.contains("ENDED"), "\(screen)")
        let n = try #require(Self.stored(screen))
        #expect(n > 0 && screen.contains("damaged after \(n) packet"), "\(screen)")
        try w.keys("q")
        #expect(w.ended(timeout: 5) || w.file("status") != nil)
    }

    /// --follow in the monitor: a file written record by record (each in two halves) shows
    /// every packet, FOLLOW in the status bar.
    @Test func followShowsAFileAsItGrows() throws {
        let capture = try Tools.capture(linkType: "raw")
        let growing = Root.temporary("growing-screen.pcap")
        #expect(FileManager.default.createFile(atPath: growing, contents: nil))
        let w = try Window("\(Tools.tunscope) -r \(growing) --follow", width: 120, height: 30)
        defer { w.close() }
        _ = try Tools.run(["/usr/bin/python3", StreamTests.writer, capture, growing, "0.05", "halves", "8"])
        #expect(Root.eventually(timeout: 10) { Self.stored(w.screen) == 8 }, "\(w.screen)")
        #expect(w.screen.contains("FOLLOW") && !w.screen.contains("damaged"), "\(w.screen)")
        try w.keys("q")
        #expect(w.ended(timeout: 5))
        #expect(w.file("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(w.file("stderr") ?? "")")
    }
}
