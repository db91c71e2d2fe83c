import Testing
@testable import Screen

/// The theme files in themes/, the built-in theme, the loader's answers to every kind of
/// mistake, and what themes become on terminals with fewer colours or none.
struct ThemeTests {
    /// The repository's root, found from this file: Tests/ScreenTests/ThemeTests.swift.
    static let repo: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()
    static let themesDirectory = repo + "/themes"
    static let shippedThemes = ["dark", "light", "solarized-dark", "high-contrast", "monochrome"]

    static func shipped(_ name: String) throws -> Theme {
        try ThemeFile.load(path: themesDirectory + "/\(name).toml")
    }

    /// The error `text` gives, or nil if it parses.
    static func mistake(_ text: String) -> ThemeError? {
        do {
            _ = try ThemeFile.parse(text, path: "themes/bad.toml")
            return nil
        } catch {
            return error
        }
    }

    static let packetRules: [Role] = [.ruleBadChecksum, .ruleRST, .ruleSYNFIN, .ruleICMP, .ruleDNS, .ruleNTP, .ruleDHCP,
                                      .ruleQUIC, .ruleTLS, .ruleHTTP, .ruleUDP, .ruleSent]
    /// The rules themes had before the application ones.
    static let transportRules: [Role] = [.ruleBadChecksum, .ruleRST, .ruleSYNFIN, .ruleICMP, .ruleDNS, .ruleUDP, .ruleSent]

    // MARK: The shipped themes

    @Test func themesDirectoryHoldsTheShippedThemes() {
        #expect(ThemeFile.available(in: [Self.themesDirectory]) == Self.shippedThemes.sorted())
    }

    @Test(arguments: shippedThemes)
    func everyShippedThemeParsesAndSetsEveryRole(name: String) throws {
        let theme = try Self.shipped(name)
        #expect(theme.name == name)
        let missing = Role.allCases.filter { theme.styles[$0] == nil }
        #expect(missing.isEmpty, "\(name) leaves out \(missing.map(\.rawValue))")
    }

    /// What the brief for the themes asks of every one of them.
    @Test(arguments: shippedThemes)
    func everyShippedThemeKeepsApartWhatMustLookDifferent(name: String) throws {
        let theme = try Self.shipped(name)
        #expect(theme[.selectedFocused] != theme[.selectedUnfocused])
        #expect(theme[.selectedFocused] != theme[.normal])
        #expect(theme[.selectedUnfocused] != theme[.normal])
        #expect(theme[.paneTitleFocused] != theme[.paneTitle])
        #expect(theme[.promptInvalid] != theme[.promptValid])
        #expect(theme[.hexField] != theme[.hexLayer])
        #expect(theme[.ladderSent] != theme[.ladderReceived])
        for (index, rule) in Self.packetRules.enumerated() {
            for other in Self.packetRules[(index + 1)...] {
                #expect(theme[rule] != theme[other], "\(name): \(rule.rawValue) looks like \(other.rawValue)")
            }
        }
    }

    @Test func monochromeUsesNoColour() throws {
        let theme = try Self.shipped("monochrome")
        for (role, style) in theme.styles {
            #expect(style.foreground == .default && style.background == .default, "\(role.rawValue)")
        }
    }

    @Test func solarizedUsesTheSolarizedPalette() throws {
        let theme = try Self.shipped("solarized-dark")
        #expect(theme[.normal] == Style(.indexed(244), .indexed(234)))
        #expect(theme[.ruleRST].foreground == .indexed(166))
        #expect(theme[.stateOpen].foreground == .indexed(64))
    }

    @Test func builtInIsDarkToml() throws {
        let dark = try Self.shipped("dark")
        #expect(Theme.builtIn == dark)
        for role in Role.allCases where Theme.builtIn[role] != dark[role] {
            Issue.record("\(role.rawValue): built in \(Theme.builtIn[role]), dark.toml \(dark[role])")
        }
    }

    // MARK: Reading colours, attributes and roles

    @Test func colourNamesNumbersAndPaletteNamesParse() throws {
        let theme = try ThemeFile.parse("""
            [palette]
            bg = 235
            accent = "cyan"
            quoted = "17"
            [roles]
            normal = ["default", "bg"]
            status_bar = ["black", "accent", "bold"]
            footer = ["white", "bright-black"]
            footer_key = ["bright-white", "bright-red"]
            pane_title = [0, 255]
            pane_title_focused = ["42", "quoted"]
            """, path: "test.toml")
        #expect(theme[.normal] == Style(.default, .indexed(235)))
        #expect(theme[.statusBar] == Style(.ansi(0), .ansi(6), .bold))
        #expect(theme[.footer] == Style(.ansi(7), .ansi(8)))
        #expect(theme[.footerKey] == Style(.ansi(15), .ansi(9)))
        #expect(theme[.paneTitle] == Style(.indexed(0), .indexed(255)))
        #expect(theme[.paneTitleFocused] == Style(.indexed(42), .indexed(17)))
    }

    @Test func everyColourNameHasItsNumber() throws {
        let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
        for (number, name) in names.enumerated() {
            let theme = try ThemeFile.parse("[roles]\nnormal = [\"\(name)\", \"bright-\(name)\"]", path: "t.toml")
            #expect(theme[.normal] == Style(.ansi(UInt8(number)), .ansi(UInt8(number + 8))))
        }
    }

    @Test func aPaletteNameMayReuseAColourNameAndComeAfterTheRoles() throws {
        let theme = try ThemeFile.parse("""
            [roles]
            normal = ["red", "blue"]
            [palette]
            red = 160
            """, path: "t.toml")
        #expect(theme[.normal] == Style(.indexed(160), .ansi(4)))
    }

    @Test func attributesParse() throws {
        let theme = try ThemeFile.parse("""
            [roles]
            help = ["default", "default", "bold", "underline", "reverse", "dim", "italic"]
            """, path: "t.toml")
        #expect(theme[.help].attributes == [.bold, .underline, .reverse, .dim, .italic])
    }

    @Test func leftOutRolesFallBackToNormalAndNormalToDefault() throws {
        let empty = try ThemeFile.parse("# nothing\n", path: "themes/empty.toml")
        #expect(empty.name == "empty")
        #expect(empty[.normal] == Style(.default, .default))
        #expect(empty[.hexField] == Style(.default, .default))

        let some = try ThemeFile.parse("[roles]\nnormal = [250, 235]\n", path: "x.toml")
        #expect(some[.ruleDNS] == Style(.indexed(250), .indexed(235)))
        #expect(some.styles[.ruleDNS] == nil)
    }

    /// A theme written before the application rules: it loads, NTP, DHCP and QUIC rows look
    /// like UDP's and TLS and HTTP rows like TCP's (normal), and a rule it does set wins.
    @Test func leftOutApplicationRulesFallBackToTheirTransport() throws {
        let old = try ThemeFile.parse("""
            [roles]
            normal = [252, 235]
            rule_dns = [63, "default"]
            rule_udp = [80, "default"]
            """, path: "old.toml")
        for role in [Role.ruleNTP, .ruleDHCP, .ruleQUIC] {
            #expect(old[role] == Style(.indexed(80), .default), "\(role.rawValue)")
            #expect(old.styles[role] == nil)
        }
        #expect(old[.ruleTLS] == Style(.indexed(252), .indexed(235)))
        #expect(old[.ruleHTTP] == Style(.indexed(252), .indexed(235)))
        let newer = try ThemeFile.parse("[roles]\nrule_udp = [80, 0]\nrule_ntp = [116, 0]\n", path: "new.toml")
        #expect(newer[.ruleNTP] == Style(.indexed(116), .indexed(0)))
        #expect(newer[.ruleDHCP] == Style(.indexed(80), .indexed(0)))
        // Without UDP's rule either, normal's.
        #expect(try ThemeFile.parse("[roles]\nnormal = [1, 2]\n", path: "x.toml")[.ruleQUIC] == Style(.indexed(1), .indexed(2)))
    }

    /// The shipped themes as they were before the application rules still load, with every
    /// application row in its transport's style.
    @Test(arguments: shippedThemes)
    func aShippedThemeWithoutTheApplicationRulesStillLoads(name: String) throws {
        let text = try ThemeFile.readText(Self.themesDirectory + "/\(name).toml")
        let newKeys = ["rule_ntp", "rule_dhcp", "rule_quic", "rule_tls", "rule_http"]
        let old = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in !newKeys.contains { line.hasPrefix($0) } }.joined(separator: "\n")
        let theme = try ThemeFile.parse(old, path: "themes/\(name).toml")
        for role in [Role.ruleNTP, .ruleDHCP, .ruleQUIC] { #expect(theme[role] == theme[.ruleUDP]) }
        for role in [Role.ruleTLS, .ruleHTTP] { #expect(theme[role] == theme[.normal]) }
    }

    @Test func tomlDetailsAreAccepted() throws {
        // Comments after values, CRLF line ends, literal and escaped strings, quoted keys,
        // spaces in table headers, a trailing comma and a byte order mark.
        let text = "\u{FEFF}name = 'my \"theme\"' # a comment\r\n[ roles ]\r\n"
            + "\"normal\" = [ \"default\" , 'red', \"bold\" ]\r\n"
            + "help = [\"green\", \"default\",]\r\n"
        let theme = try ThemeFile.parse(text, path: "t.toml")
        #expect(theme.name == "my \"theme\"")
        #expect(theme[.normal] == Style(.default, .ansi(1), .bold))
        #expect(theme[.help] == Style(.ansi(2), .default))
        let escaped = try ThemeFile.parse(#"name = "a \"b\" \\ c\t""#, path: "t.toml")
        #expect(escaped.name == "a \"b\" \\ c\t")
    }

    // MARK: Mistakes

    @Test func anErrorReadsAsFileLineReason() {
        let error = Self.mistake("""
            name = "bad"

            [roles]
            normal = ["default", "default"]
            # a comment

            status_bar = ["purpel", "default"]
            """)
        #expect(error?.description
            == "themes/bad.toml:7: 'purpel' is not a colour (use a name like \"cyan\", \"bright-red\", \"default\", or 0-255)")
        #expect(error == ThemeError(path: "themes/bad.toml", line: 7,
                                    reason: "'purpel' is not a colour (use a name like \"cyan\", \"bright-red\", \"default\", or 0-255)"))
    }

    /// A broken theme, the line it breaks on, and words the reason must contain.
    struct Mistake: Sendable, CustomTestStringConvertible {
        var what: String
        var text: String
        var line: Int
        var reason: [String]
        var testDescription: String { what }
    }

    static let mistakes: [Mistake] = [
        Mistake(what: "unknown role", text: "[roles]\nnormal = [1, 2]\nstatusline = [1, 2]",
                line: 3, reason: ["unknown role 'statusline'", "status_bar", "selected_focused"]),
        Mistake(what: "near miss of a role", text: "[roles]\nstatus-bar = [1, 2]",
                line: 2, reason: ["unknown role 'status-bar'", "did you mean 'status_bar'"]),
        Mistake(what: "role outside [roles]", text: "name = \"x\"\nhelp = [1, 2]",
                line: 2, reason: ["'help' is a role", "[roles]"]),
        Mistake(what: "unknown top-level key", text: "colour = 3",
                line: 1, reason: ["unknown key 'colour'"]),
        Mistake(what: "unknown table", text: "[roles]\nnormal = [1, 2]\n\n[colours]",
                line: 4, reason: ["unknown table [colours]", "[palette]", "[roles]"]),
        Mistake(what: "array of tables", text: "[[roles]]", line: 1, reason: ["[[tables]]"]),
        Mistake(what: "unterminated table header", text: "[roles", line: 1, reason: ["unterminated table header"]),
        Mistake(what: "duplicate table", text: "[roles]\n[palette]\n[roles]",
                line: 3, reason: ["duplicate table [roles]", "line 1"]),
        Mistake(what: "bad colour", text: "[roles]\nnormal = [\"default\", \"purpel\"]",
                line: 2, reason: ["'purpel' is not a colour", "\"cyan\"", "0-255"]),
        Mistake(what: "colour out of range", text: "[roles]\nnormal = [256, 0]",
                line: 2, reason: ["256 is not a colour", "0 to 255"]),
        Mistake(what: "negative colour", text: "[roles]\nnormal = [-1, 0]",
                line: 2, reason: ["-1 is not a colour"]),
        Mistake(what: "colour string out of range", text: "[roles]\nnormal = [\"300\", 0]",
                line: 2, reason: ["300 is not a colour"]),
        Mistake(what: "huge number", text: "[roles]\nnormal = [99999999999999999999999, 0]",
                line: 2, reason: ["too large"]),
        Mistake(what: "bright without a colour", text: "[roles]\nnormal = [\"bright-\", 0]",
                line: 2, reason: ["'bright-' is not a colour"]),
        Mistake(what: "unknown palette name", text: "[palette]\naccent = 33\n[roles]\nnormal = [\"accnt\", 0]",
                line: 4, reason: ["'accnt' is not a colour or a name from [palette]", "palette: accent"]),
        Mistake(what: "bad palette colour", text: "[palette]\naccent = \"teal\"",
                line: 2, reason: ["'teal' is not a colour"]),
        Mistake(what: "palette redefining default", text: "[palette]\ndefault = 3",
                line: 2, reason: ["'default'", "cannot be renamed"]),
        Mistake(what: "unknown attribute", text: "[roles]\nhelp = [1, 2, \"bold\", \"blink\"]",
                line: 2, reason: ["'blink' is not an attribute", "bold, underline, reverse, dim, italic"]),
        Mistake(what: "number as attribute", text: "[roles]\nhelp = [1, 2, 3]",
                line: 2, reason: ["3 is not an attribute"]),
        Mistake(what: "one item", text: "[roles]\n\nhelp = [\"red\"]",
                line: 3, reason: ["needs a foreground and a background", "only one item"]),
        Mistake(what: "empty list", text: "[roles]\nhelp = []",
                line: 2, reason: ["needs a foreground and a background", "empty list"]),
        Mistake(what: "not a list", text: "[roles]\nhelp = \"red\"",
                line: 2, reason: ["'help' takes a list"]),
        Mistake(what: "missing =", text: "[roles]\nhelp [1, 2]",
                line: 2, reason: ["missing '=' after 'help'"]),
        Mistake(what: "missing key", text: "= 3", line: 1, reason: ["missing key"]),
        Mistake(what: "missing value", text: "[roles]\nhelp =   # nothing", line: 2, reason: ["missing value"]),
        Mistake(what: "unterminated string", text: "name = \"dark\n[roles]",
                line: 1, reason: ["unterminated string"]),
        Mistake(what: "unterminated string in a list", text: "[roles]\nhelp = [\"red\", \"blue]",
                line: 2, reason: ["unterminated string"]),
        Mistake(what: "unterminated array", text: "[roles]\nhelp = [\"red\", \"blue\"\n]",
                line: 2, reason: ["unterminated list", "one line"]),
        Mistake(what: "missing comma", text: "[roles]\nhelp = [\"red\" \"blue\"]",
                line: 2, reason: ["expected ',' or ']'"]),
        Mistake(what: "list in a list", text: "[roles]\nhelp = [[1], 2]", line: 2, reason: ["lists inside lists"]),
        Mistake(what: "unquoted name", text: "[roles]\nhelp = [red, blue]", line: 2, reason: ["'red' needs quotes"]),
        Mistake(what: "float", text: "[roles]\nhelp = [1.5, 2]", line: 2, reason: ["'1.5' is not a value"]),
        Mistake(what: "bad escape", text: "name = \"a\\qb\"", line: 1, reason: ["unknown escape '\\q'"]),
        Mistake(what: "text after the value", text: "[roles]\nhelp = [1, 2] bold", line: 2,
                reason: ["unexpected 'bold'"]),
        Mistake(what: "duplicate key", text: "[roles]\nhelp = [1, 2]\nnormal = [3, 4]\nhelp = [5, 6]",
                line: 4, reason: ["duplicate key 'help' in [roles]", "line 2"]),
        Mistake(what: "duplicate palette name", text: "[palette]\nbg = 1\nbg = 2",
                line: 3, reason: ["duplicate key 'bg' in [palette]"]),
        Mistake(what: "empty theme name", text: "name = \"\"", line: 1, reason: ["name is empty"]),
        Mistake(what: "name not a string", text: "name = 5", line: 1, reason: ["must be a string"]),
        Mistake(what: "dotted key", text: "roles.help = [1, 2]", line: 1, reason: ["dotted keys"]),
        Mistake(what: "garbage", text: "\n\n!!!", line: 3, reason: ["expected 'key = value'"]),
    ]

    @Test(arguments: mistakes)
    func everyMistakeGetsItsLineAndAReason(mistake: Mistake) {
        guard let error = Self.mistake(mistake.text) else {
            Issue.record("parsed without an error")
            return
        }
        #expect(error.path == "themes/bad.toml")
        #expect(error.line == mistake.line, "\(error)")
        for words in mistake.reason {
            #expect(error.reason.contains(words), "\(error)")
        }
    }

    @Test func anUnreadableFileSaysWhy() {
        #expect(throws: ThemeError(path: "/nonexistent/x.toml", reason: "cannot read: No such file or directory")) {
            try ThemeFile.load(path: "/nonexistent/x.toml")
        }
        #expect(throws: ThemeError(path: Self.themesDirectory, reason: "cannot read: Is a directory")) {
            try ThemeFile.load(path: Self.themesDirectory)
        }
        let error = ThemeError(path: "/nonexistent/x.toml", reason: "cannot read: No such file or directory")
        #expect(error.description == "/nonexistent/x.toml: cannot read: No such file or directory")
    }

    /// Broken versions of dark.toml, cut short and with characters swapped in: an error or a
    /// theme, never a crash.
    @Test func noInputCrashesTheParser() throws {
        let dark = Array(try ThemeFile.readText(Self.themesDirectory + "/dark.toml"))
        let troublemakers: [Character] = ["[", "]", "\"", "'", "=", ",", "#", "\\", "\n", "\r\n", " ", "9", "-", "é", "\u{301}", "\0"]
        var seed: UInt64 = 12345
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        var errors = 0
        for _ in 0..<2000 {
            var text = dark
            for _ in 0..<(1 + next(4)) {
                let at = next(text.count)
                switch next(3) {
                case 0: text[at] = troublemakers[next(troublemakers.count)]
                case 1: text.insert(troublemakers[next(troublemakers.count)], at: at)
                default: text.remove(at: at)
                }
            }
            let cut = next(4) == 0 ? next(text.count) : text.count
            do {
                _ = try ThemeFile.parse(String(text[..<cut]), path: "fuzz.toml")
            } catch {
                errors += 1
                #expect(error.line != nil && !error.reason.isEmpty)
            }
        }
        #expect(errors > 100)
        for text in ["", "[", "]", "=", "\"", "'", "[roles]\nx=[", "a=[\"", "a='", "a=\"\\", "\u{FEFF}", "\u{301}=1"] {
            _ = try? ThemeFile.parse(text, path: "edge.toml")
        }
    }

    // MARK: Finding themes

    @Test func resolvesByNameInOrder() throws {
        let light = try ThemeFile.resolve("light", directories: ["/nonexistent", Self.themesDirectory])
        #expect(light == (try Self.shipped("light")))
        let solarized = try ThemeFile.resolve("solarized-dark", directories: [Self.themesDirectory + "/"])
        #expect(solarized.name == "solarized-dark")
    }

    @Test func resolvesByPath() throws {
        let path = Self.themesDirectory + "/high-contrast.toml"
        #expect(try ThemeFile.resolve(path, directories: []).name == "high-contrast")
        #expect(throws: ThemeError(path: "nowhere/x.toml", reason: "cannot read: No such file or directory")) {
            try ThemeFile.resolve("nowhere/x.toml", directories: [Self.themesDirectory])
        }
    }

    @Test func darkIsThereWithoutFiles() throws {
        #expect(try ThemeFile.resolve("dark", directories: []) == .builtIn)
        #expect(try ThemeFile.resolve("dark", directories: ["/nonexistent"]) == .builtIn)
    }

    @Test func anUnknownNameListsTheThemes() {
        let themes = "dark, high-contrast, light, monochrome, solarized-dark"
        #expect(throws: ThemeError(path: "", reason: "no theme named 'purple' (themes: \(themes); looked in \(Self.themesDirectory))")) {
            try ThemeFile.resolve("purple", directories: [Self.themesDirectory])
        }
        #expect(throws: ThemeError(path: "", reason: "no theme name given (themes: dark; looked in no theme directories)")) {
            try ThemeFile.resolve("", directories: [])
        }
    }

    // MARK: Fewer colours, or none

    @Test(arguments: shippedThemes)
    func eightColoursLeaveNoPaletteColour(name: String) throws {
        let adapted = try Self.shipped(name).adapted(colors: 8, noColor: false)
        for (role, style) in adapted.styles {
            for color in [style.foreground, style.background] {
                if case .indexed = color { Issue.record("\(name): \(role.rawValue) keeps \(color)") }
            }
        }
        #expect(Theme.builtIn.adapted(colors: 16, noColor: false)[.statusBar] == Style(.ansi(0), .ansi(6), .bold))
    }

    /// Solarized is left out: its magenta and red are both nearest to basic red. The
    /// application rules may take their transport's look there: 8 colours are too few.
    @Test(arguments: ["dark", "light", "high-contrast", "monochrome"])
    func eightColoursKeepThePacketRulesApart(name: String) throws {
        let adapted = try Self.shipped(name).adapted(colors: 8, noColor: false)
        #expect(Set(Self.transportRules.map { adapted[$0] }).count == Self.transportRules.count)
        #expect(adapted[.selectedFocused] != adapted[.selectedUnfocused])
    }

    @Test func twoHundredFiftySixColoursChangeNothing() throws {
        let dark = try Self.shipped("dark")
        #expect(dark.adapted(colors: 256, noColor: false) == dark)
    }

    @Test func textDoesNotVanishIntoItsBackground() {
        // 250 and 255 are both nearest to white, 232 and 234 to black.
        let theme = Theme(name: "t", styles: [.normal: Style(.indexed(250), .indexed(255)),
                                              .help: Style(.indexed(232), .indexed(234))])
        let adapted = theme.adapted(colors: 8, noColor: false)
        #expect(adapted[.normal] == Style(.ansi(0), .ansi(7)))
        #expect(adapted[.help] == Style(.ansi(7), .ansi(0)))
    }

    @Test(arguments: shippedThemes)
    func noColorLeavesAttributesAndAVisibleSelection(name: String) throws {
        let adapted = try Self.shipped(name).adapted(colors: 256, noColor: true)
        for (role, style) in adapted.styles {
            #expect(style.foreground == .default && style.background == .default, "\(name): \(role.rawValue)")
        }
        Self.expectStandsOut(adapted, name)
    }

    @Test func noColorSetsApartWhatOnlyColourSetApart() {
        // Selection, focus and invalid input told apart only by colour.
        var styles: [Role: Style] = [:]
        for role in Role.allCases { styles[role] = Style(.ansi(7), .ansi(0)) }
        styles[.selectedFocused] = Style(.ansi(0), .ansi(6))
        styles[.selectedUnfocused] = Style(.ansi(0), .ansi(7))
        styles[.paneTitleFocused] = Style(.ansi(6), .ansi(0))
        styles[.promptInvalid] = Style(.ansi(1), .ansi(0))
        styles[.ruleSent] = Style(.ansi(3), .ansi(0), .bold)
        let adapted = Theme(name: "colour only", styles: styles).adapted(colors: 8, noColor: true)
        Self.expectStandsOut(adapted, "colour only")
        #expect(adapted[.selectedFocused] == Style(.default, .default, .reverse))
        #expect(adapted[.selectedUnfocused] == Style(.default, .default, .underline))
        #expect(adapted[.paneTitleFocused] == Style(.default, .default, .reverse))
        #expect(adapted[.promptInvalid] == Style(.default, .default, .reverse))

        // Even a theme with nothing in it gets a visible selection.
        let bare = Theme(name: "bare", styles: [:]).adapted(colors: 256, noColor: true)
        Self.expectStandsOut(bare, "bare")
        // No colours at all (tput says -1) is the same as NO_COLOR.
        #expect(Theme.builtIn.adapted(colors: -1, noColor: false) == Theme.builtIn.adapted(colors: 256, noColor: true))
    }

    /// The selection stands out from every packet row, focused from unfocused; the focused
    /// pane's title and invalid input from their plain forms.
    static func expectStandsOut(_ theme: Theme, _ name: String) {
        for row in [Role.normal] + packetRules {
            #expect(theme[.selectedFocused] != theme[row], "\(name): selection looks like \(row.rawValue)")
            #expect(theme[.selectedUnfocused] != theme[row], "\(name): unfocused selection looks like \(row.rawValue)")
        }
        #expect(theme[.selectedFocused] != theme[.selectedUnfocused], "\(name)")
        #expect(theme[.paneTitleFocused] != theme[.paneTitle], "\(name)")
        #expect(theme[.promptInvalid] != theme[.promptValid], "\(name)")
        #expect(theme[.promptInvalid] != theme[.normal], "\(name)")
    }
}
