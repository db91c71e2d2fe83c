import ArgumentParser
import Foundation

/// The command line as tcpdump users type it, rewritten into what swift-argument-parser reads:
/// a single-letter option's value attached to it (`-c1`, `-itun0`, `-rfile`, `-w-`), several
/// letters in one word as getopt reads them (`-qc1`), and the letters tcpdump users type out of
/// habit that change nothing in tunscope (`-n`, `-nn`, `-S`, `-U`, `-l`) dropped. Which letters
/// take a value is read from the commands' own definitions (ArgumentParser's description of
/// them), so the rewrite cannot drift from the options that exist. A word that is not made only
/// of known letters is left as it is (ArgumentParser then says what is wrong with it), and a
/// value is never touched: the word after an option that takes one is passed on unread, as is
/// everything after `--`.
struct TcpdumpHabits {
    /// The letters that take a value, the letters that are flags, and the long options that take
    /// a value, of one command.
    struct Options: Equatable {
        var valueLetters: Set<Character> = []
        var flagLetters: Set<Character> = []
        var valueNames: Set<String> = []
    }

    /// tcpdump's -n (no name lookups: tunscope never looks names up), -S (absolute sequence
    /// numbers: tunscope prints them so), -U (write each packet as it comes: tunscope's -w
    /// does) and -l (line-buffered output: streamed packets are flushed as they are printed).
    static let ignoredLetters: Set<Character> = ["n", "S", "U", "l"]
    /// The commands that print or show packets, where tcpdump's habits make sense.
    static let packetCommands: Set<String> = ["monitor", "print", "lab"]

    let options: [String: Options]
    let defaultCommand: String

    /// The rewritten arguments (without the program's name).
    func rewrite(_ arguments: [String]) -> [String] {
        var command = defaultCommand
        var rest = arguments[...]
        var out: [String] = []
        if let first = rest.first, options[first] != nil {
            command = first
            out.append(first)
            rest = rest.dropFirst()
        }
        let known = options[command] ?? Options()
        let ignored = Self.packetCommands.contains(command) ? Self.ignoredLetters : []
        while let word = rest.popFirst() {
            if word == "--" {
                out.append(word)
                out.append(contentsOf: rest)
                break
            }
            if word.hasPrefix("--") {
                out.append(word)
                if !word.contains("="), known.valueNames.contains(String(word.dropFirst(2))), let value = rest.popFirst() {
                    out.append(value)
                }
                continue
            }
            guard word.hasPrefix("-"), word.count > 1 else {
                out.append(word)
                continue
            }
            // A word of letters, as getopt reads it: flags, then perhaps one option whose value
            // is the rest of the word, or the next word.
            var pieces: [String] = []
            var valueFromNextWord = false
            var understood = true
            var letters = word.dropFirst()
            while let letter = letters.first {
                letters = letters.dropFirst()
                if known.valueLetters.contains(letter) {
                    pieces.append("-\(letter)")
                    if letters.isEmpty { valueFromNextWord = true } else { pieces.append(String(letters)) }
                    break
                } else if known.flagLetters.contains(letter) {
                    pieces.append("-\(letter)")
                } else if ignored.contains(letter) {
                    continue
                } else {
                    understood = false
                    break
                }
            }
            guard understood else {
                out.append(word)
                continue
            }
            out.append(contentsOf: pieces)
            if valueFromNextWord, let value = rest.popFirst() { out.append(value) }
        }
        return out
    }

    /// Whether any word could need rewriting (a single dash and more than one character): most
    /// command lines do not, and are parsed without asking for the options.
    static func mayNeedRewriting(_ arguments: [String]) -> Bool {
        arguments.contains { $0.count > 2 && $0.hasPrefix("-") && !$0.hasPrefix("--") }
    }

    /// The options of every subcommand, from ArgumentParser's own description of the commands
    /// (what `--experimental-dump-help` prints); nil when it cannot be read.
    static func fromCommands() -> TcpdumpHabits? {
        var text: String?
        do {
            _ = try Tunscope.parseAsRoot(["--experimental-dump-help"])
        } catch {
            text = Tunscope.fullMessage(for: error)
        }
        guard let data = text?.data(using: .utf8),
              let dump = try? JSONDecoder().decode(Dump.self, from: data) else { return nil }
        var options: [String: Options] = [:]
        for command in dump.command.subcommands ?? [] {
            var o = Options()
            for argument in command.arguments ?? [] {
                for name in argument.names ?? [] {
                    switch (argument.kind, name.kind) {
                    case ("option", "short"): o.valueLetters.insert(Character(name.name))
                    case ("flag", "short"): o.flagLetters.insert(Character(name.name))
                    case ("option", "long"): o.valueNames.insert(name.name)
                    default: break
                    }
                }
            }
            options[command.commandName] = o
        }
        guard let defaultCommand = dump.command.defaultSubcommand else { return nil }
        return TcpdumpHabits(options: options, defaultCommand: defaultCommand)
    }

    /// The parts of ArgumentParser's command description (ToolInfoV0) the rewrite needs.
    private struct Dump: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }
        struct Argument: Decodable {
            var kind: String
            var names: [Name]?
        }
        struct Command: Decodable {
            var commandName: String
            var defaultSubcommand: String?
            var arguments: [Argument]?
            var subcommands: [Command]?
        }
        var command: Command
    }
}
