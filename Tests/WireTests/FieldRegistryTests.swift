import Foundation
import Testing
import Wire

/// The display-filter names in FieldRegistry against the sources that make fields: a name a
/// dissector emits and the registry lacks would make a filter on it an "unknown field" error.
/// (The cross-check tests also check every name dissected from the captures.)
struct FieldRegistryTests {
    @Test func everyFieldNameInTheSourcesIsRegistered() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        var names = Set<String>()
        for dir in ["Wire", "Analysis"] {
            let root = sources.appendingPathComponent(dir)
            let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
            for case let url as URL in files where url.pathExtension == "swift" && url.lastPathComponent != "FieldRegistry.swift" {
                let text = try String(contentsOf: url, encoding: .utf8)
                // Field("ip.ttl", …), and the names chosen in a conditional (`isResponse ? "http.response.x" : …`).
                let regex = try NSRegularExpression(pattern: #"(?:Field\(|\? |: |first: |previous: )"([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)+)""#)
                for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    names.insert(String(text[Range(m.range(at: 1), in: text)!]))
                }
            }
        }
        #expect(names.count > 300)
        let missing = names.filter { FieldRegistry.type(of: $0) == nil }.sorted()
        #expect(missing.isEmpty, "not in FieldRegistry: \(missing)")
    }

    @Test func eitherEndNamesHaveTheirEndsType() {
        #expect(FieldRegistry.type(of: "tcp.port") == .unsigned(bytes: 2))
        #expect(FieldRegistry.type(of: "ip.addr") == .ipv4)
        #expect(FieldRegistry.type(of: "tcp") == .protocol)
        #expect(FieldRegistry.type(of: "tcp.flgs") == nil)
    }
}
