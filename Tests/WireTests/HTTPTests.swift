import Testing
@testable import Wire

/// HTTP/1.x on port 80 and 8080: the summary is tcpdump's first line, the fields tshark's.
@Suite struct HTTPTests {
    static func segment(_ payload: String, from source: UInt16 = 42000, to destination: UInt16 = 80) -> Bytes {
        let ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(198, 51, 100, 80), proto: .tcp)
        let tcp = TCPRepr(sourcePort: source, destinationPort: destination, sequenceNumber: 1, acknowledgmentNumber: 1, flags: [.psh, .ack])
        return PacketBuilder.build(ip: .v4(ip), transport: tcp, payload: Array(payload.utf8))
    }

    static let request = "GET /a/b?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/8.0\r\nX-Other: 1\r\nAccept: */*\r\n\r\n"
    static let response = "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 3\r\nServer: t\r\n\r\nabc"

    func text(_ d: Dissection, _ name: String) -> String? { d.strings(of: name)?.text }

    @Test func requestFields() {
        let p = Self.segment(Self.request)
        #expect(Summary.string(p, linkType: .raw).hasSuffix(": HTTP: GET /a/b?x=1 HTTP/1.1"))
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(text(d, "http.request.method") == "GET")
        #expect(text(d, "http.request.uri") == "/a/b?x=1")
        #expect(text(d, "http.request.version") == "HTTP/1.1")
        #expect(text(d, "http.host") == "example.test")
        #expect(text(d, "http.user_agent") == "curl/8.0")
        #expect(text(d, "http.accept") == "*/*")
        let lines = d.layer("http")!.fields.filter { $0.isNamed("http.request.line") }
        #expect(lines.count == 4 && lines.allSatisfy(\.isHidden))
        #expect(d.layer("http")!.strings(of: lines[2]).text == "X-Other: 1\r\n")
        var w = TextWriter()
        TreeFormatter.write(d, frame: FrameInfo(number: 1, seconds: 0, microseconds: 0, originalLength: p.count), bytes: p, into: &w)
        #expect(w.string.contains("\n    Host: example.test\n"))
        #expect(!w.string.contains("X-Other"))
    }

    @Test func responseFields() {
        let d = Dissector.dissect(Self.segment(Self.response, from: 8080, to: 42000), linkType: .raw)
        #expect(text(d, "http.response.version") == "HTTP/1.1")
        #expect(d.field("http.response.code")?.value == .uint(404))
        #expect(text(d, "http.response.phrase") == "Not Found")
        #expect(text(d, "http.content_type") == "text/html")
        #expect(text(d, "http.content_length_header") == "3")
        #expect(d.field("http.content_length")?.value == .uint(3))
        #expect(text(d, "http.server") == "t")
    }

    /// Headers that do not end within the segment, or a first line that is neither a request nor
    /// a status line: no HTTP layer (tshark waits for more, or shows data).
    @Test func incompleteOrNotHTTP() {
        #expect(Dissector.dissect(Self.segment("GET / HTTP/1.1\r\nHost: exa"), linkType: .raw).layer("http") == nil)
        #expect(Dissector.dissect(Self.segment("hello there you\r\n\r\n"), linkType: .raw).layer("http") == nil)
        #expect(Dissector.dissect(Self.segment(Self.request, to: 81), linkType: .raw).layer("http") == nil)
    }

    @Test func everyTruncatedPrefixDecodesCleanly() {
        for message in [Self.request, Self.response] {
            let whole = Self.segment(message)
            for n in 0...whole.count {
                let d = Dissector.dissect(Array(whole[..<n]), linkType: .raw, wireLength: whole.count)
                for layer in d.layers {
                    for f in layer.fields { #expect(f.range.upperBound <= n) }
                }
            }
        }
    }
}
