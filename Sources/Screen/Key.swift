/// A key or mouse event, as the application sees it (the terminal backend makes these).
public enum Key: Equatable, Sendable {
    case character(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, tab, backTab, backspace, escape, delete
    /// Ctrl and a letter (Ctrl-L redraws, Ctrl-U clears a prompt).
    case control(Character)
    /// The terminal changed size.
    case resize
    case click(x: Int, y: Int)
    case wheelUp(x: Int, y: Int)
    case wheelDown(x: Int, y: Int)
}
