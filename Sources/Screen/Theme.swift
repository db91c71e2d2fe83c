/// A named set of styles, one for each `Role`: what the screen looks like.
public struct Theme: Sendable, Equatable {
    public var name: String
    /// The styles the theme sets; a role left out is drawn as its `fallback`, or as `.normal`.
    public var styles: [Role: Style]

    public init(name: String, styles: [Role: Style]) {
        self.name = name
        self.styles = styles
    }

    /// The style for `role`: its own if the theme sets one, otherwise its fallback's, otherwise
    /// that of `.normal`.
    public subscript(role: Role) -> Style {
        if let style = styles[role] { return style }
        if let fallback = role.fallback, let style = styles[fallback] { return style }
        return styles[.normal] ?? .plain
    }

    /// The dark default, the same as themes/dark.toml. It lives in code too so that tunscope
    /// looks right when no theme files are installed; a test checks the two agree.
    public static let builtIn = Theme(name: "dark", styles: [
        .normal: Style(.default, .default),
        .statusBar: Style(.indexed(234), .indexed(74), .bold),
        .footer: Style(.indexed(252), .indexed(236)),
        .footerKey: Style(.indexed(234), .indexed(74), .bold),
        .paneTitle: Style(.indexed(245), .default),
        .paneTitleFocused: Style(.indexed(117), .default, .bold),
        .border: Style(.indexed(240), .default),
        .borderFocused: Style(.indexed(74), .default),
        .listHeader: Style(.indexed(252), .indexed(237), .bold),
        .selectedFocused: Style(.indexed(231), .indexed(25), .bold),
        .selectedUnfocused: Style(.indexed(252), .indexed(239)),
        .ruleBadChecksum: Style(.indexed(231), .indexed(124), .bold),
        .ruleKernelDrop: Style(.indexed(16), .indexed(208), .bold),
        .ruleRetransmission: Style(.indexed(203), .indexed(233)),
        .ruleDuplicateAck: Style(.indexed(209), .indexed(233)),
        .ruleZeroWindow: Style(.indexed(196), .indexed(233), .bold),
        .ruleRST: Style(.indexed(202), .default),
        .ruleSYNFIN: Style(.indexed(71), .default),
        .ruleICMP: Style(.indexed(170), .default),
        .ruleDNS: Style(.indexed(63), .default),
        .ruleNTP: Style(.indexed(116), .default),
        .ruleDHCP: Style(.indexed(73), .default),
        .ruleQUIC: Style(.indexed(117), .default),
        .ruleTLS: Style(.indexed(147), .default),
        .ruleHTTP: Style(.indexed(150), .default),
        .ruleUDP: Style(.indexed(80), .default),
        .ruleSent: Style(.indexed(221), .default),
        .treeLayer: Style(.indexed(252), .default, .bold),
        .treeField: Style(.default, .default),
        .treeError: Style(.indexed(203), .default, .bold),
        .explanation: Style(.indexed(246), .default, .italic),
        .hexOffset: Style(.indexed(242), .default),
        .hexLayer: Style(.indexed(252), .indexed(237)),
        .hexField: Style(.indexed(234), .indexed(221), .bold),
        .ladderSent: Style(.indexed(221), .default),
        .ladderReceived: Style(.indexed(80), .default),
        .stateOpen: Style(.indexed(77), .default, .bold),
        .statePending: Style(.indexed(221), .default),
        .stateFailed: Style(.indexed(203), .default, .bold),
        .promptValid: Style(.default, .default),
        .promptInvalid: Style(.indexed(203), .default, .underline),
        .help: Style(.indexed(252), .default),
    ])

    /// The theme as a terminal with `colors` colours can show it.
    ///
    /// - With `noColor` (the NO_COLOR convention, https://no-color.org), or fewer than 8 colours
    ///   (`tput colors` says -1 when there are none), every colour becomes `.default` and only
    ///   attributes remain; selected rows, the focused pane title and invalid prompt input then
    ///   get `.reverse`, bold or underline where they would otherwise look like their neighbours.
    /// - With fewer than 256 colours, palette colours become the nearest of the 8 basic ones.
    public func adapted(colors: Int, noColor: Bool) -> Theme {
        var result = self
        if noColor || colors < 8 {
            result.removeColors()
        } else if colors < 256 {
            for (role, style) in styles {
                result.styles[role] = Self.withBasicColors(style)
            }
        }
        return result
    }

    /// The rows of the packet list, which a selected row must not be mistaken for.
    static let packetRows: [Role] = [
        .normal, .ruleBadChecksum, .ruleKernelDrop, .ruleRetransmission, .ruleDuplicateAck, .ruleZeroWindow, .ruleRST, .ruleSYNFIN, .ruleICMP, .ruleDNS, .ruleNTP, .ruleDHCP, .ruleQUIC, .ruleTLS,
        .ruleHTTP, .ruleUDP, .ruleSent,
    ]

    /// Leaves only attributes, then makes sure what must stand out still does.
    private mutating func removeColors() {
        for (role, style) in styles {
            styles[role] = Style(.default, .default, style.attributes)
        }
        setApart(.selectedFocused, from: Self.packetRows, using: [.reverse, .bold, .underline])
        setApart(.selectedUnfocused, from: Self.packetRows + [.selectedFocused], using: [.underline, .reverse, .dim])
        setApart(.paneTitleFocused, from: [.paneTitle], using: [.reverse, .bold, .underline])
        setApart(.promptInvalid, from: [.promptValid, .normal], using: [.reverse, .underline, .bold])
    }

    /// Adds `marks` to the style of `role`, one at a time and in order, while it still looks
    /// the same as one of `others`.
    private mutating func setApart(_ role: Role, from others: [Role], using marks: [Attributes]) {
        let otherStyles = others.map { self[$0] }
        var style = self[role]
        for mark in marks {
            if !otherStyles.contains(style) { break }
            style.attributes.insert(mark)
        }
        styles[role] = style
    }

    /// `style` with palette colours replaced by the nearest basic ones; if that makes the text
    /// the same colour as its background, the text becomes black or white so it stays readable.
    static func withBasicColors(_ style: Style) -> Style {
        var result = style
        if case .indexed = style.foreground { result.foreground = style.foreground.basic }
        if case .indexed = style.background { result.background = style.background.basic }
        if result.foreground == result.background, style.foreground != style.background,
           case let .ansi(background) = result.background {
            // Black, red, blue and magenta are dark enough for white text; the rest take black.
            let isDark = [0, 1, 4, 5].contains(background)
            result.foreground = .ansi(isDark ? 7 : 0)
        }
        return result
    }
}
