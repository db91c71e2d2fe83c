import Testing
@testable import Screen

struct BufferTests {
    @Test func textIsClippedAndWideCharactersTakeTwoCells() {
        var b = Buffer(width: 10, height: 2)
        let end = b.write("ab漢字cdefgh", x: 1, y: 0, style: .plain)
        #expect(b.lines[0] == " ab漢字cde")
        #expect(end == 10)
        #expect(b[3, 0].symbol == "漢" && b[4, 0].symbol == "")
        // A wide character that would stick out is left out; control characters show as '?'.
        b.write("123456789漢", x: 0, y: 1, style: .plain)
        #expect(b.lines[1] == "123456789 ")
        b.write("a\u{7}b", x: 0, y: 1, style: .plain, limit: 3)
        #expect(b.lines[1].hasPrefix("a?b4"))
        // Off the buffer: nothing happens.
        b.write("x", x: 0, y: 5, style: .plain)
        b.set(-1, 0, "x", .plain)
        #expect(b.lines.count == 2)
    }

    @Test func boxesHaveTitlesAndFallBackToASCII() {
        var b = Buffer(width: 12, height: 3)
        b.box(b.area, title: "Tree", style: .plain, titleStyle: .plain, lines: .unicode)
        #expect(b.lines == ["┌ Tree ────┐", "│          │", "└──────────┘"])
        b.box(b.area, title: "", style: .plain, titleStyle: .plain, lines: .ascii)
        #expect(b.lines[0] == "+----------+")
    }

    @Test func splitsShareWhatIsLeftAndShrinkWhenItDoesNotFit() {
        let r = Rect(x: 0, y: 0, width: 100, height: 10)
        #expect(r.split(.horizontal, [.length(10), .fill(1), .fill(3)]).map(\.width) == [10, 22, 68])
        #expect(r.split(.horizontal, [.percentage(25), .fill(1)]).map(\.x) == [0, 25])
        #expect(r.split(.vertical, [.length(4), .length(8), .fill(1)]).map(\.height) == [4, 6, 0])
        #expect(Rect(x: 0, y: 0, width: 3, height: 3).inset(2).isEmpty)
    }

    @Test func colourDowngradesToTheNearestBasicColour() {
        #expect(Color.indexed(196).basic == .ansi(1), "xterm's bright red")
        #expect(Color.indexed(46).basic == .ansi(2))
        #expect(Color.indexed(21).basic == .ansi(4))
        #expect(Color.indexed(9).basic == .ansi(1))
        #expect(Color.default.basic == .default)
        #expect(Color.indexed(244).basic == .ansi(7) && Color.indexed(235).basic == .ansi(0), "greys by brightness")
    }
}
