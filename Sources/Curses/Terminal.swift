#if canImport(Glibc)
import Glibc
#endif
import CNCurses
import Screen

/// The terminal, through ncurses: the only code in tunscope that calls it (htop's CRT.c). It
/// starts full-screen mode and restores the terminal, reads keys and mouse events, maps styles
/// to colour pairs, and writes only the cells that changed since the last frame.
public final class Terminal {
    /// Colours the terminal has: 0 (none, or NO_COLOR), 8, 16 or 256.
    public let colors: Int
    /// Box-drawing characters when the locale is UTF-8, ASCII otherwise.
    public let lines: BoxLines
    private var shown: Buffer?
    private var pairs: [Pair: Int16] = [:]
    private var active = true
    /// Where keys come from: standard input, or /dev/tty when standard input carries a capture.
    private let input: UnsafeMutablePointer<FILE>?
    private let inputDescriptor: Int32

    private struct Pair: Hashable {
        var foreground: Color
        var background: Color
    }

    /// Why $TERM cannot show the screen, or nil when it can: ncurses would exit with a message
    /// of its own on an unknown type, and draw garbage on a terminal that cannot move the cursor.
    public static var unusable: String? {
        let name = getenv("TERM").map { String(cString: $0) } ?? ""
        switch tunscope_terminal_problem() {
        case 1: return name.isEmpty ? "TERM is not set: the monitor needs to know the terminal (e.g. TERM=xterm-256color)"
            : "TERM=\(name) is a terminal type this system does not know (no terminfo entry); try TERM=xterm-256color"
        case 2: return "TERM=\(name) cannot move the cursor, which the monitor needs; use a terminal like xterm, or tunscope print"
        default: return nil
        }
    }

    /// Whether keys can be read: standard input is a terminal, or (a capture piped in) the
    /// process has a controlling terminal to open as /dev/tty. Nil when they can, else why not.
    public static var keyboardProblem: String? {
        if isatty(0) == 1 { return nil }
        let fd = open("/dev/tty", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "no terminal to read keys from (/dev/tty: \(String(cString: strerror(errno))))" }
        close(fd)
        return nil
    }

    /// Starts full-screen mode. `noColor`: draw with attributes only (the NO_COLOR convention).
    /// Keys come from standard input when it is a terminal; when it is not (a capture is piped
    /// in), from the controlling terminal, /dev/tty (ncurses' newterm with that input).
    public init(noColor: Bool) {
        tunscope_set_locale()
        // Escape alone must not wait a second to be told apart from a key's escape sequence.
        if getenv("ESCDELAY") == nil { setenv("ESCDELAY", "25", 1) }
        if isatty(0) != 1, let tty = fopen("/dev/tty", "re"), tunscope_start_with_input(tty) == 0 {
            input = tty
            inputDescriptor = fileno(tty)
        } else {
            input = nil
            inputDescriptor = 0
            initscr()
        }
        cbreak()  // Ctrl-C and Ctrl-Z still send their signals
        noecho()
        nonl()
        tunscope_keypad()
        curs_set(0)
        mousemask(tunscope_mouse_mask(), nil)
        mouseinterval(0)
        if !noColor && has_colors() {
            start_color()
            use_default_colors()
            let n = Int(tunscope_colors())
            colors = n >= 256 ? 256 : (n >= 16 ? 16 : 8)
        } else {
            colors = 0
        }
        lines = tunscope_locale_is_utf8() != 0 ? .unicode : .ascii
    }

    deinit { end() }

    /// Gives the terminal back as it was. Safe to call more than once.
    public func end() {
        guard active else { return }
        active = false
        endwin()
        if let input { fclose(input) }
    }

    public var size: (width: Int, height: Int) {
        (Int(tunscope_columns()), Int(tunscope_lines()))
    }

    /// Shows `buffer`, writing only the cells that differ from the last frame.
    public func draw(_ buffer: Buffer) {
        let full = shown.map { $0.width != buffer.width || $0.height != buffer.height } ?? true
        if full { tunscope_clear_all() }
        for y in 0..<buffer.height {
            var x = 0
            while x < buffer.width {
                let cell = buffer[x, y]
                if !full, let old = shown, old[x, y] == cell {
                    x += 1
                    continue
                }
                // A run of changed cells in one style goes out in one call.
                var text = cell.symbol
                var end = x + 1
                while end < buffer.width, buffer[end, y].style == cell.style,
                      full || shown.map({ $0[end, y] != buffer[end, y] }) ?? true {
                    text += buffer[end, y].symbol
                    end += 1
                }
                // The bottom-right cell is left alone: writing it scrolls some terminals.
                if y == buffer.height - 1 && end == buffer.width { text = String(text.dropLast()) }
                if !text.isEmpty {
                    let (attributes, pair) = attributesAndPair(cell.style)
                    tunscope_put(Int32(y), Int32(x), text, attributes, pair)
                }
                x = end
            }
        }
        shown = buffer
        refresh()
    }

    /// Whether the terminal went away (its window closed): the shell in it may have kept the
    /// SIGHUP to itself, so the input is asked directly.
    public var isHungUp: Bool {
        var p = pollfd(fd: inputDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0 && p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// Forgets what is on the screen, so the next frame is written whole (Ctrl-L, after a resume).
    public func invalidate() { shown = nil }

    /// The next key or mouse event, waiting at most `timeoutMilliseconds`; nil when none came.
    public func readKey(timeoutMilliseconds: Int32) -> Key? {
        timeout(timeoutMilliseconds)
        var code: UInt32 = 0
        let kind = tunscope_get_key(&code)
        if kind == ERR { return nil }
        if kind == KEY_CODE_YES { return specialKey(Int32(code)) }
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 127, 8: return .backspace
        case 1...26: return .control(Character(Unicode.Scalar(code + 96)!))
        default:
            guard let scalar = Unicode.Scalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }

    private func specialKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BTAB: return .backTab
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_RESIZE:
            shown = nil
            return .resize
        case KEY_MOUSE:
            var event = MEVENT()
            guard getmouse(&event) == OK else { return nil }
            let x = Int(event.x), y = Int(event.y)
            if tunscope_mouse_is_wheel_up(event.bstate) != 0 { return .wheelUp(x: x, y: y) }
            if tunscope_mouse_is_wheel_down(event.bstate) != 0 { return .wheelDown(x: x, y: y) }
            if tunscope_mouse_is_click(event.bstate) != 0 { return .click(x: x, y: y) }
            return nil
        default:
            return nil
        }
    }

    private func attributesAndPair(_ style: Style) -> (attr_t, Int16) {
        var a = tunscope_a_normal()
        if style.attributes.contains(.bold) { a |= tunscope_a_bold() }
        if style.attributes.contains(.underline) { a |= tunscope_a_underline() }
        if style.attributes.contains(.reverse) { a |= tunscope_a_reverse() }
        if style.attributes.contains(.dim) { a |= tunscope_a_dim() }
        if style.attributes.contains(.italic) { a |= tunscope_a_italic() }
        guard colors > 0 else { return (a, 0) }
        let key = Pair(foreground: style.foreground, background: style.background)
        if key == Pair(foreground: .default, background: .default) { return (a, 0) }
        if let pair = pairs[key] { return (a, pair) }
        // Colour pairs are few on some terminals; past the last one, colours are dropped, not wrong.
        guard pairs.count + 1 < Int(tunscope_color_pairs()), pairs.count < Int(Int16.max) else { return (a, 0) }
        let pair = Int16(pairs.count + 1)
        init_pair(pair, number(style.foreground), number(style.background))
        pairs[key] = pair
        return (a, pair)
    }

    /// The terminal's number for a colour (-1: its default).
    private func number(_ c: Color) -> Int16 {
        switch c {
        case .default: return -1
        case let .ansi(n): return Int16(colors >= 16 ? n : n & 7)
        case let .indexed(n): return colors >= 256 ? Int16(n) : number(c.basic)
        }
    }
}
