#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mistake in a theme file, or a theme that cannot be found, said so a person can fix it:
/// `themes/bad.toml:7: 'purpel' is not a colour (...)`.
public struct ThemeError: Error, CustomStringConvertible, Equatable {
    /// The file, or "" when no file is involved (an unknown theme name).
    public var path: String
    /// 1-based; nil when the mistake is not on one line (the file cannot be read).
    public var line: Int?
    public var reason: String

    public init(path: String, line: Int? = nil, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String {
        if path.isEmpty { return reason }
        if let line { return "\(path):\(line): \(reason)" }
        return "\(path): \(reason)"
    }
}

/// Theme files: a small part of TOML, read by hand so the Screen target needs nothing else.
/// themes/dark.toml describes the format at its top.
public enum ThemeFile {
    /// The theme written in `text`; `path` is for messages and, when the file has no
    /// `name = "..."`, gives the theme its name.
    public static func parse(_ text: String, path: String) throws(ThemeError) -> Theme {
        let entries = try readEntries(text, path: path)
        return try makeTheme(entries, path: path)
    }

    /// The theme in the file at `path`.
    public static func load(path: String) throws(ThemeError) -> Theme {
        try parse(readText(path), path: path)
    }

    /// The theme `nameOrPath` names: a path when it contains "/" or ends in ".toml", otherwise
    /// NAME.toml in the first of `directories` that has one. "dark" is found even with no
    /// files, as `Theme.builtIn`.
    public static func resolve(_ nameOrPath: String, directories: [String]) throws(ThemeError) -> Theme {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            return try load(path: nameOrPath)
        }
        let name = nameOrPath
        if !name.isEmpty {
            for directory in directories {
                let candidate = joined(directory, name + ".toml")
                if access(candidate, F_OK) == 0 {
                    return try load(path: candidate)
                }
            }
            if name == Theme.builtIn.name { return .builtIn }
        }
        let themes = available(in: directories).joined(separator: ", ")
        let places = directories.isEmpty ? "no theme directories" : directories.joined(separator: ", ")
        let what = name.isEmpty ? "no theme name given" : "no theme named '\(name)'"
        throw ThemeError(path: "", reason: "\(what) (themes: \(themes); looked in \(places))")
    }

    /// The names of the themes in `directories` (their .toml files), and the built-in one, sorted.
    public static func available(in directories: [String]) -> [String] {
        var names: Set<String> = [Theme.builtIn.name]
        for directory in directories {
            for file in fileNames(in: directory) where file.hasSuffix(".toml") && file.count > ".toml".count {
                names.insert(String(file.dropLast(".toml".count)))
            }
        }
        return names.sorted()
    }

    // MARK: Reading files

    /// No theme comes near this; it stops `--theme /dev/zero` from reading forever.
    static let largestFile = 1 << 20

    /// The file's text, or why it cannot be had.
    static func readText(_ path: String) throws(ThemeError) -> String {
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            throw ThemeError(path: path, reason: "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ThemeError(path: path, reason: "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > largestFile {
                throw ThemeError(path: path, reason: "is larger than 1 MB, which no theme file is")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ThemeError(path: path, reason: "is not text (a theme file is UTF-8)")
        }
        return text
    }

    /// The entries of a directory, without the hidden ones; none if it cannot be read.
    static func fileNames(in directory: String) -> [String] {
        guard let stream = opendir(directory.isEmpty ? "." : directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            // d_name is a fixed-size C array holding a NUL-terminated name.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }

    static func joined(_ directory: String, _ file: String) -> String {
        if directory.isEmpty { return file }
        return directory.hasSuffix("/") ? directory + file : directory + "/" + file
    }

    // MARK: From lines to entries

    /// The tables a theme file may have; `top` is before the first `[table]`.
    enum Table: String {
        case top = "", palette, roles
    }

    /// A value as written: the subset of TOML values themes use.
    enum Value: Equatable {
        case string(String)
        case integer(Int)
        case array([Value])
    }

    /// One `key = value`, with where it was.
    struct Entry {
        var table: Table
        var key: String
        var value: Value
        var line: Int
    }

    /// Every `key = value` in the file, with its table; checks the syntax, tables and duplicates.
    static func readEntries(_ text: String, path: String) throws(ThemeError) -> [Entry] {
        var entries: [Entry] = []
        var table = Table.top
        var tableLines: [Table: Int] = [:]
        var keyLines: [String: Int] = [:]
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }  // a byte order mark some editors write
        // Splitting on isNewline handles "\n", "\r\n" (one Character in Swift) and "\r".
        let lines = body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, text) in lines.enumerated() {
            var scanner = LineScanner(characters: Array(text), path: path, number: index + 1)
            switch try scanner.readLine() {
            case .blank:
                break
            case let .tableHeader(name):
                guard let named = Table(rawValue: name), named != .top else {
                    throw scanner.error("unknown table [\(name)] (a theme has [palette] and [roles])")
                }
                if let first = tableLines[named] {
                    throw scanner.error("duplicate table [\(name)] (first on line \(first))")
                }
                tableLines[named] = scanner.number
                table = named
            case let .assignment(key, value):
                let inTable = table == .top ? "" : " in [\(table.rawValue)]"
                if let first = keyLines[table.rawValue + "." + key] {
                    throw scanner.error("duplicate key '\(key)'\(inTable) (first set on line \(first))")
                }
                keyLines[table.rawValue + "." + key] = scanner.number
                entries.append(Entry(table: table, key: key, value: value, line: scanner.number))
            }
        }
        return entries
    }

    /// Reads one line: blank or a comment, a `[table]` header, or `key = value`.
    /// Every look at a character goes through `current`, which is nil past the end.
    struct LineScanner {
        enum Line {
            case blank
            case tableHeader(String)
            case assignment(key: String, value: Value)
        }

        let characters: [Character]
        let path: String
        let number: Int
        var position = 0

        init(characters: [Character], path: String, number: Int) {
            self.characters = characters
            self.path = path
            self.number = number
        }

        var current: Character? { position < characters.count ? characters[position] : nil }
        var atEndOrComment: Bool { current == nil || current == "#" }

        /// What is left of the line, for quoting in messages.
        var rest: String {
            let tail = position < characters.count ? String(characters[position...]) : ""
            return String(tail.prefix(30))
        }

        func error(_ reason: String) -> ThemeError {
            ThemeError(path: path, line: number, reason: reason)
        }

        mutating func skipSpaces() {
            while current == " " || current == "\t" { position += 1 }
        }

        mutating func readLine() throws(ThemeError) -> Line {
            skipSpaces()
            if atEndOrComment { return .blank }
            let line: Line
            if current == "[" {
                line = .tableHeader(try readTableHeader())
            } else {
                line = try readAssignment()
            }
            skipSpaces()
            if !atEndOrComment {
                throw error("unexpected '\(rest)' at the end of the line")
            }
            return line
        }

        mutating func readTableHeader() throws(ThemeError) -> String {
            position += 1  // the "["
            if current == "[" {
                throw error("[[tables]] are not used in theme files (a theme has [palette] and [roles])")
            }
            var name = ""
            while let character = current, character != "]" {
                name.append(character)
                position += 1
            }
            if current != "]" {
                throw error("unterminated table header: expected ']'")
            }
            position += 1
            return name.trimmingSpaces
        }

        mutating func readAssignment() throws(ThemeError) -> Line {
            let key: String
            if current == "\"" || current == "'" {
                key = try readString()
            } else {
                key = readBareWord(allowing: Self.isBareKeyCharacter)
                if key.isEmpty {
                    if current == "=" { throw error("missing key before '='") }
                    throw error("expected 'key = value', a [table] or a # comment, found '\(rest)'")
                }
            }
            skipSpaces()
            if current == "." {
                throw error("dotted keys like '\(key).…' are not used in theme files")
            }
            if current != "=" {
                throw error("missing '=' after '\(key)' (write \(key) = value)")
            }
            position += 1
            skipSpaces()
            if atEndOrComment {
                throw error("missing value after '\(key) ='")
            }
            return .assignment(key: key, value: try readValue(insideArray: false))
        }

        mutating func readValue(insideArray: Bool) throws(ThemeError) -> Value {
            switch current {
            case "\"", "'":
                return .string(try readString())
            case "[":
                if insideArray { throw error("lists inside lists are not used in theme files") }
                return try readArray()
            default:
                let word = readBareWord(allowing: { $0.isLetter || $0.isNumber || "-_+.".contains($0) })
                if word.isEmpty {
                    throw error("expected a value (a \"string\", a number or a [list]), found '\(rest)'")
                }
                return try integer(word)
            }
        }

        /// A word written without quotes must be a whole number; anything else gets advice.
        func integer(_ word: String) throws(ThemeError) -> Value {
            let digits = word.first == "+" || word.first == "-" ? word.dropFirst() : Substring(word)
            if !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit) {
                guard let number = Int(word) else { throw error("\(word) is too large a number") }
                return .integer(number)
            }
            if word.allSatisfy({ $0.isLetter || $0 == "-" || $0 == "_" }) {
                throw error("'\(word)' needs quotes: \"\(word)\"")
            }
            throw error("'\(word)' is not a value here (use a \"string\", a whole number or a [list])")
        }

        /// A TOML basic string ("...", with \" \\ \n \t \r) or literal string ('...', as written).
        mutating func readString() throws(ThemeError) -> String {
            guard let quote = current else { throw error("expected a string") }
            position += 1
            var text = ""
            while let character = current {
                position += 1
                if character == quote { return text }
                if quote == "\"" && character == "\\" {
                    guard let escaped = current else { break }
                    position += 1
                    switch escaped {
                    case "\"": text.append("\"")
                    case "\\": text.append("\\")
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "r": text.append("\r")
                    default: throw error("unknown escape '\\\(escaped)' in a string")
                    }
                } else {
                    text.append(character)
                }
            }
            throw error("unterminated string: expected a closing \(quote)")
        }

        /// `[a, b, ...]` on one line; a comma after the last item is allowed.
        mutating func readArray() throws(ThemeError) -> Value {
            let unterminated = "unterminated list: expected ']' before the end of the line (a list must fit on one line)"
            position += 1  // the "["
            var items: [Value] = []
            while true {
                skipSpaces()
                if atEndOrComment { throw error(unterminated) }
                if current == "]" {
                    position += 1
                    return .array(items)
                }
                items.append(try readValue(insideArray: true))
                skipSpaces()
                if atEndOrComment { throw error(unterminated) }
                if current == "," {
                    position += 1
                } else if current != "]" {
                    throw error("expected ',' or ']' in the list, found '\(rest)'")
                }
            }
        }

        mutating func readBareWord(allowing isAllowed: (Character) -> Bool) -> String {
            var word = ""
            while let character = current, isAllowed(character) {
                word.append(character)
                position += 1
            }
            return word
        }

        static func isBareKeyCharacter(_ character: Character) -> Bool {
            character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
        }
    }

    // MARK: From entries to a theme

    static let colorNames = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
    static let attributeNames: [(String, Attributes)] = [
        ("bold", .bold), ("underline", .underline), ("reverse", .reverse), ("dim", .dim), ("italic", .italic),
    ]
    static let colorAdvice = "use a name like \"cyan\", \"bright-red\", \"default\", or 0-255"

    static func makeTheme(_ entries: [Entry], path: String) throws(ThemeError) -> Theme {
        var name = themeName(fromPath: path)
        var palette: [String: Color] = [:]
        var styles: [Role: Style] = [.normal: Style(.default, .default)]

        // The palette first, so [roles] may come before [palette] in the file.
        for entry in entries where entry.table == .palette {
            let fail = { (reason: String) in ThemeError(path: path, line: entry.line, reason: reason) }
            if entry.key == "default" {
                throw fail("'default' is the terminal's own colour and cannot be renamed")
            }
            if entry.key.allSatisfy(\.isASCIIDigit) {
                throw fail("'\(entry.key)' cannot be a palette name: numbers are colours already")
            }
            palette[entry.key] = try color(entry.value, palette: [:], fail: fail)
        }

        for entry in entries {
            let fail = { (reason: String) in ThemeError(path: path, line: entry.line, reason: reason) }
            switch entry.table {
            case .palette:
                continue
            case .top:
                if entry.key != "name" {
                    if Role(rawValue: entry.key) != nil {
                        throw fail("'\(entry.key)' is a role: put it under [roles]")
                    }
                    throw fail("unknown key '\(entry.key)' (only name = \"...\" comes before the tables; colours go under [palette] and [roles])")
                }
                guard case let .string(text) = entry.value else {
                    throw fail("the theme's name must be a string, as in name = \"dark\"")
                }
                if text.trimmingSpaces.isEmpty { throw fail("the theme's name is empty") }
                name = text
            case .roles:
                let role = try self.role(entry.key, fail: fail)
                styles[role] = try style(entry.key, entry.value, palette: palette, fail: fail)
            }
        }
        return Theme(name: name, styles: styles)
    }

    /// "themes/solarized-dark.toml" gives "solarized-dark".
    static func themeName(fromPath path: String) -> String {
        var file = Substring(path.split(separator: "/").last ?? "")
        if file.hasSuffix(".toml") { file = file.dropLast(".toml".count) }
        return file.isEmpty ? "unnamed" : String(file)
    }

    static func role(_ key: String, fail: (String) -> ThemeError) throws(ThemeError) -> Role {
        if let role = Role(rawValue: key) { return role }
        // "statusBar", "status-bar" and "STATUS_BAR" are near misses worth naming.
        let squash = { (text: String) in text.lowercased().filter { $0.isLetter || $0.isNumber } }
        if let near = Role.allCases.first(where: { squash($0.rawValue) == squash(key) }) {
            throw fail("unknown role '\(key)' (did you mean '\(near.rawValue)'?)")
        }
        throw fail("unknown role '\(key)' (roles include normal, status_bar, selected_focused, rule_dns, hex_field; themes/dark.toml sets them all)")
    }

    /// `[foreground, background, attributes...]`.
    static func style(_ key: String, _ value: Value, palette: [String: Color],
                      fail: (String) -> ThemeError) throws(ThemeError) -> Style {
        guard case let .array(items) = value else {
            throw fail("'\(key)' takes a list: [foreground, background, attributes...]")
        }
        guard items.count >= 2 else {
            let found = items.count == 1 ? "only one item" : "an empty list"
            throw fail("'\(key)' needs a foreground and a background, as in [\"white\", \"default\"]; found \(found)")
        }
        var style = Style(try color(items[0], palette: palette, fail: fail),
                          try color(items[1], palette: palette, fail: fail))
        for item in items.dropFirst(2) {
            style.attributes.insert(try attribute(item, fail: fail))
        }
        return style
    }

    static func color(_ value: Value, palette: [String: Color], fail: (String) -> ThemeError) throws(ThemeError) -> Color {
        let text: String
        switch value {
        case let .integer(number):
            return try indexed(number, written: String(number), fail: fail)
        case .array:
            throw fail("a colour cannot be a list (\(colorAdvice))")
        case let .string(string):
            text = string
        }
        // A palette name may reuse a colour name (Solarized's red = 160); the palette wins.
        if let named = palette[text] { return named }
        if text == "default" { return .default }
        if let index = colorNames.firstIndex(of: text) { return .ansi(UInt8(index)) }
        if text.hasPrefix("bright-"), let index = colorNames.firstIndex(of: String(text.dropFirst("bright-".count))) {
            return .ansi(UInt8(index + 8))
        }
        if !text.isEmpty && text.allSatisfy(\.isASCIIDigit) {
            return try indexed(Int(text) ?? Int.max, written: text, fail: fail)
        }
        if palette.isEmpty {
            throw fail("'\(text)' is not a colour (\(colorAdvice))")
        }
        let names = palette.keys.sorted().joined(separator: ", ")
        throw fail("'\(text)' is not a colour or a name from [palette] (palette: \(names); or \(colorAdvice))")
    }

    static func indexed(_ number: Int, written: String, fail: (String) -> ThemeError) throws(ThemeError) -> Color {
        guard let index = UInt8(exactly: number) else {
            throw fail("\(written) is not a colour: numbered colours go from 0 to 255")
        }
        return .indexed(index)
    }

    static func attribute(_ value: Value, fail: (String) -> ThemeError) throws(ThemeError) -> Attributes {
        let names = attributeNames.map(\.0).joined(separator: ", ")
        guard case let .string(text) = value else {
            let shown = if case let .integer(number) = value { String(number) } else { "a list" }
            throw fail("\(shown) is not an attribute (use \(names))")
        }
        guard let found = attributeNames.first(where: { $0.0 == text }) else {
            throw fail("'\(text)' is not an attribute (use \(names))")
        }
        return found.1
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    /// Without spaces and tabs at either end.
    var trimmingSpaces: String {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
