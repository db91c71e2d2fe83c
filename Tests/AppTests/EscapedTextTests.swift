import Testing
@testable import App

struct EscapedTextTests {
    @Test func escapesBecomeTheirBytes() throws {
        #expect(try EscapedText.bytes("GET / HTTP/1.0\\r\\n\\r\\n") == Array("GET / HTTP/1.0\r\n\r\n".utf8))
        #expect(try EscapedText.bytes("a\\tb\\0\\\\\\x7f\\xFF") == [0x61, 9, 0x62, 0, 0x5c, 0x7f, 0xff])
        #expect(try EscapedText.bytes("héllo") == Array("héllo".utf8), "typed text is sent as UTF-8")
        #expect(try EscapedText.bytes("").isEmpty)
    }

    @Test func aBrokenEscapeIsAnErrorThatSaysWhat() {
        for (text, says) in [("a\\", "a lone \\"), ("\\q", "\\q is not an escape"), ("\\x4", "two hex digits"), ("\\xg0", "two hex digits")] {
            #expect(throws: EscapedText.Problem.self) { try EscapedText.bytes(text) }
            let message = (try? EscapedText.bytes(text)).map { _ in "" } ?? {
                do { _ = try EscapedText.bytes(text); return "" } catch { return "\(error)" }
            }()
            #expect(message.contains(says), "\(text): \(message)")
        }
    }
}
