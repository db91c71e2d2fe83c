/// A rectangle of the screen, in cells.
public struct Rect: Equatable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var isEmpty: Bool { width == 0 || height == 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    /// The rectangle less `n` cells on every side.
    public func inset(_ n: Int) -> Rect {
        Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n)
    }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// Row `i` of the rectangle, one cell high.
    public func row(_ i: Int) -> Rect { Rect(x: x, y: y + i, width: width, height: i < height ? 1 : 0) }
}

/// One cell: what is shown in it and how. A wide character fills its cell and leaves the next
/// one's symbol empty.
public struct Cell: Equatable, Sendable {
    public var symbol: String
    public var style: Style

    public init(_ symbol: String = " ", _ style: Style = .plain) {
        self.symbol = symbol
        self.style = style
    }
}

/// What the screen should show, cell by cell: widgets draw into it, the terminal backend writes
/// the cells that changed since the last frame, and tests compare its text (ratatui's Buffer).
public struct Buffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, style: Style = .plain) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(" ", style), count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    public mutating func set(_ x: Int, _ y: Int, _ symbol: String, _ style: Style) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x] = Cell(symbol, style)
    }

    /// Writes `text` from (x, y), never past `limit` cells (nor the buffer's edge); returns the x
    /// after the last cell written. Control characters show as `?`; a wide character that does
    /// not fit whole is left out.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, style: Style, limit: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let end = min(width, limit.map { x + $0 } ?? width)
        var at = x
        for character in text {
            let w = TextWidth.of(character)
            guard at + w <= end else { break }
            if w == 0 { continue }
            let symbol = TextWidth.isControl(character) ? "?" : String(character)
            set(at, y, symbol, style)
            if w == 2 { set(at + 1, y, "", style) }
            at += w
        }
        return at
    }

    /// Sets every cell of `rect` to a blank in `style`.
    public mutating func fill(_ rect: Rect, style: Style) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { cells[y * width + x] = Cell(" ", style) }
        }
    }

    /// Changes the style of the cells of `rect`, keeping what they show.
    public mutating func restyle(_ rect: Rect, _ change: (inout Style) -> Void) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) { change(&cells[y * width + x].style) }
        }
    }

    /// A box around `rect` with `title` in its top edge.
    public mutating func box(_ rect: Rect, title: String, style: Style, titleStyle: Style, lines: BoxLines) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        for x in (rect.x + 1)..<(rect.maxX - 1) {
            set(x, rect.y, lines.horizontal, style)
            set(x, rect.maxY - 1, lines.horizontal, style)
        }
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            set(rect.x, y, lines.vertical, style)
            set(rect.maxX - 1, y, lines.vertical, style)
        }
        set(rect.x, rect.y, lines.topLeft, style)
        set(rect.maxX - 1, rect.y, lines.topRight, style)
        set(rect.x, rect.maxY - 1, lines.bottomLeft, style)
        set(rect.maxX - 1, rect.maxY - 1, lines.bottomRight, style)
        if !title.isEmpty && rect.width > 4 {
            write(" \(title) ", x: rect.x + 1, y: rect.y, style: titleStyle, limit: rect.width - 2)
        }
    }

    /// The text of each row (for tests): what a person would read on the screen.
    public var lines: [String] {
        (0..<height).map { y in (0..<width).map { self[$0, y].symbol }.joined() }
    }
}

/// The characters boxes and lines are drawn with: box-drawing ones where the terminal can
/// show them, ASCII where it cannot.
public struct BoxLines: Sendable, Equatable {
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: String
    public var arrowRight, arrowLeft: String

    public static let unicode = BoxLines(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└",
                                         bottomRight: "┘", arrowRight: "▶", arrowLeft: "◀")
    public static let ascii = BoxLines(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+",
                                       bottomRight: "+", arrowRight: ">", arrowLeft: "<")
}

/// How many cells a character takes: 2 for East Asian wide and emoji, 0 for combining marks,
/// 1 otherwise. Written out rather than asked of wcwidth(3), whose answer depends on the locale.
public enum TextWidth {
    public static func of(_ c: Character) -> Int {
        guard let v = c.unicodeScalars.first?.value else { return 0 }
        if v < 0x300 { return 1 }
        if (0x300...0x36F).contains(v) || (0x200B...0x200F).contains(v) { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(v) } ? 2 : 1
    }

    public static func of(_ s: String) -> Int { s.reduce(0) { $0 + of($1) } }

    /// The end of `s` that fits in `width` cells: what a one-line input shows of a long text.
    public static func tail(of s: String, fitting width: Int) -> Substring {
        var used = 0
        var start = s.endIndex
        while start > s.startIndex {
            let before = s.index(before: start)
            used += of(s[before])
            if used > width { break }
            start = before
        }
        return s[start...]
    }

    static func isControl(_ c: Character) -> Bool {
        guard let v = c.unicodeScalars.first?.value else { return false }
        return v < 0x20 || (0x7F..<0xA0).contains(v)
    }
}
