/// The line-oriented protocols whose first line tcpdump prints at default verbosity (its
/// `txtproto_print`): HTTP (RFC 9112), RTSP (RFC 7826), FTP (RFC 959), SMTP (RFC 5321) and WHOIS
/// (RFC 3912). tcpdump picks one by port; see `Summary.writeTCPApplication`.
enum TextProtocol {
    case http, rtsp, ftp, smtp, whois

    /// The name tcpdump prints ("HTTP") and the one in its truncation mark (" [|http]").
    var name: (upper: StaticString, truncated: StaticString) {
        switch self {
        case .http: return ("HTTP", " [|http]")
        case .rtsp: return ("RTSP", " [|rtsp]")
        case .ftp: return ("FTP", " [|ftp]")
        case .smtp: return ("SMTP", " [|smtp]")
        case .whois: return ("WHOIS", " [|whois]")
        }
    }

    /// Request methods that make a line worth printing (with a status code as second token, the
    /// other way a line qualifies); nil when tcpdump prints any payload's first line.
    var requestMethods: [[UInt8]]? {
        switch self {
        case .http: return Self.httpMethods
        case .rtsp: return Self.rtspMethods
        case .ftp, .smtp, .whois: return nil
        }
    }

    /// tcpdump's `httpcmds`: HTTP and WebDAV methods.
    static var httpMethodNames: [[UInt8]] { httpMethods }

    private static let httpMethods: [[UInt8]] = [
        "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE", "LABEL",
        "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS",
        "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH",
        "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT", "VERSION-CONTROL", "BASELINE-CONTROL",
    ].map { Array($0.utf8) }

    /// tcpdump's `rtspcmds`.
    private static let rtspMethods: [[UInt8]] = [
        "DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD", "REDIRECT", "SETUP",
        "SET_PARAMETER", "TEARDOWN",
    ].map { Array($0.utf8) }

    /// tcpdump keeps a token in a 129-byte buffer: one longer than 128 characters is no token.
    static let maximumTokenLength = 128
    /// A status code is exactly three digits ("200").
    static let statusCodeLength = 3
}

/// Bytes as tcpdump's text printers classify them.
private enum ASCII {
    static let tab: UInt8 = 9, lineFeed: UInt8 = 10, carriageReturn: UInt8 = 13, space: UInt8 = 32
    static func isPrintable(_ c: UInt8) -> Bool { c >= 0x20 && c <= 0x7e }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isWhitespace(_ c: UInt8) -> Bool { c == space || c == tab || c == carriageReturn || c == lineFeed }
    static func upper(_ c: UInt8) -> UInt8 { c >= 0x61 && c <= 0x7a ? c - 0x20 : c }
}

extension Summary {
    /// tcpdump's `txtproto_print` at default verbosity: ": HTTP", then ": " and the first line
    /// when it looks like a request or a status line (or always, for the protocols without
    /// methods). `payload` starts the TCP payload, `length` is what the IP header says it is,
    /// `end` where the captured bytes stop: reading past it ends the line with " [|http]".
    static func writeTextProtocol(_ p: TextProtocol, _ b: Bytes, at payload: Int, length: Int, end: Int,
                                  into w: inout TextWriter) {
        let limit = payload + length
        var printsLine = true
        if let methods = p.requestMethods {
            printsLine = false
            if let first = textToken(b, at: payload, limit: limit, end: end) {
                let word = b[first.token]
                if methods.contains(where: { $0.count == word.count && zip($0, word).allSatisfy { $0 == ASCII.upper($1) } }) {
                    printsLine = true
                }
                // A response's status code is its second token ("HTTP/1.1 200 OK").
                if let second = textToken(b, at: first.next, limit: limit, end: end),
                   second.token.count == TextProtocol.statusCodeLength, b[second.token].allSatisfy(ASCII.isDigit) {
                    printsLine = true
                }
            }
        }
        w.write(": ")
        w.write(p.name.upper)
        guard printsLine else { return }
        // tcpdump's print_txt_line: the line up to LF or CR LF; binary or a lone CR: nothing.
        var i = payload
        while i < limit {
            guard i < end else { return w.write(p.name.truncated) }
            let c = b[i]
            if c == ASCII.lineFeed { return writeLine(b, payload..<i, into: &w) }
            if c == ASCII.carriageReturn {
                guard i + 1 < limit else { return }
                guard i + 1 < end else { return w.write(p.name.truncated) }
                if b[i + 1] == ASCII.lineFeed { writeLine(b, payload..<i, into: &w) }
                return
            }
            if !ASCII.isPrintable(c) && c != ASCII.tab { return }
            i += 1
        }
        // All text but no line end: printed, then marked as cut short.
        writeLine(b, payload..<i, into: &w)
        w.write(p.name.truncated)
    }

    /// tcpdump's `fetch_token`: a run of printable ASCII up to white space, and where the next
    /// token starts (after spaces, stopping at a line end); nil for no token, binary bytes, a
    /// token over 128 characters, or bytes not captured.
    private static func textToken(_ b: Bytes, at start: Int, limit: Int, end: Int) -> (token: Range<Int>, next: Int)? {
        var i = start
        while i < limit {
            guard i < end else { return nil }
            let c = b[i]
            if c >= 0x80 { return nil }
            if ASCII.isWhitespace(c) { break }
            if !ASCII.isPrintable(c) || i - start >= TextProtocol.maximumTokenLength { return nil }
            i += 1
        }
        guard i > start else { return nil }
        let token = start..<i
        while i < limit && i < end {
            let c = b[i]
            if c == ASCII.carriageReturn || c == ASCII.lineFeed || !ASCII.isPrintable(c) || c != ASCII.space { break }
            i += 1
        }
        return (token, i)
    }

    private static func writeLine(_ b: Bytes, _ line: Range<Int>, into w: inout TextWriter) {
        w.write(": ")
        w.write(b[line])
    }

    /// tcpdump's `ssh_print`: the identification line (RFC 4253 4.2, "SSH-2.0-OpenSSH_9.2"),
    /// printed only when the payload starts with "SSH-" and the line ends within it.
    static func writeSSHVersion(_ b: Bytes, at payload: Int, length: Int, end: Int, into w: inout TextWriter) {
        let limit = payload + length
        // tcpdump reads these four bytes without checking the length: past the capture, " [|ssh]".
        for (k, expected) in sshPrefix.enumerated() {
            guard payload + k < end else { return w.write(" [|ssh]") }
            guard b[payload + k] == expected else { return }
        }
        var i = payload + sshPrefix.count
        while i < limit {
            guard i < end else { return w.write(" [|ssh]") }
            let c = b[i]
            if c == ASCII.lineFeed { break }
            if c == ASCII.carriageReturn {
                guard i + 1 < limit else { return }
                guard i + 1 < end else { return w.write(" [|ssh]") }
                if b[i + 1] == ASCII.lineFeed { break }
                return
            }
            if !ASCII.isPrintable(c) { return }
            i += 1
        }
        guard i < limit else { return }
        w.write(": SSH")
        writeLine(b, payload..<i, into: &w)
    }

    private static let sshPrefix: [UInt8] = Array("SSH-".utf8)
}

/// HTTP/1.x (RFC 9112) as tshark shows a message: the request or status line and its parts,
/// then a field per header line it names. Only a message whose header block ends within the
/// segment is decoded: tshark waits for the rest of one cut short and shows nothing of it.
/// The cost is one pass over the header bytes.
public enum HTTP {
    /// The ports tshark decodes HTTP on by default that tunscope decodes.
    static func isPort(_ p: UInt16) -> Bool { p == 80 || p == 8080 }

    /// Header names (lower case) and the fields tshark gives them.
    static let headers: [(name: [UInt8], field: StaticString, label: StaticString)] = [
        ("host", "http.host", "Host"), ("user-agent", "http.user_agent", "User-Agent"), ("accept", "http.accept", "Accept"),
        ("accept-encoding", "http.accept_encoding", "Accept-Encoding"), ("accept-language", "http.accept_language", "Accept-Language"),
        ("connection", "http.connection", "Connection"), ("content-type", "http.content_type", "Content-Type"),
        ("content-length", "http.content_length_header", "Content-Length"), ("server", "http.server", "Server"),
        ("referer", "http.referer", "Referer"), ("cookie", "http.cookie", "Cookie"), ("set-cookie", "http.set_cookie", "Set-Cookie"),
        ("location", "http.location", "Location"), ("date", "http.date", "Date"), ("last-modified", "http.last_modified", "Last-Modified"),
        ("cache-control", "http.cache_control", "Cache-Control"), ("transfer-encoding", "http.transfer_encoding", "Transfer-Encoding"),
        ("content-encoding", "http.content_encoding", "Content-Encoding"), ("authorization", "http.authorization", "Authorization"),
        ("upgrade", "http.upgrade", "Upgrade"),
    ].map { (Array($0.0.utf8), $0.1, $0.2) }
}

extension Dissector {
    static func dissectHTTP(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        // The header block must end (an empty line) within the bytes.
        var lines: [Range<Int>] = []  // each without its line end
        var i = start, lineStart = start, complete = false
        while i < end {
            if b[i] == ASCII.lineFeed {
                let lineEnd = i > lineStart && b[i - 1] == ASCII.carriageReturn ? i - 1 : i
                if lineEnd == lineStart { complete = true; i += 1; break }
                lines.append(lineStart..<lineEnd)
                lineStart = i + 1
            }
            i += 1
        }
        guard complete, let first = lines.first else { return }
        let parts = splitRequestLine(b, first)
        guard parts.count == 3 else { return }
        let isResponse = b[parts[0]].starts(with: Array("HTTP/".utf8))
        if !isResponse {
            let method = b[parts[0]]
            guard b[parts[2]].starts(with: Array("HTTP/".utf8)),
                  TextProtocol.httpMethodNames.contains(where: { $0.elementsEqual(method) }) else { return }
        }
        var fields = FieldList(capacity: 24)
        let text = { (f: inout FieldList, r: Range<Int>) -> FieldValue in .text(f.text(String(decoding: b[r], as: UTF8.self))) }
        let lineEnd = { (r: Range<Int>) -> Int in r.upperBound < end && b[r.upperBound] == ASCII.carriageReturn ? r.upperBound + 2 : r.upperBound + 1 }
        fields.add(Field(isResponse ? "http.response.first_line" : "http.request.first_line",
                         fields.text(String(decoding: b[first], as: UTF8.self) + "\\r\\n"), .none, range: first.lowerBound..<lineEnd(first),
                         explain: isResponse ? "The status line: version, status code, reason phrase." : "The request line: method, target, version.")) { f in
            if isResponse {
                f.add(Field("http.response.version", "Response Version", text(&f, parts[0]), range: parts[0], explain: "The HTTP version the server speaks."))
                f.add(Field("http.response.code", "Status Code", .uint(UInt64(decimalValue(b, parts[1]) ?? 0)), range: parts[1],
                            explain: "What became of the request: 2xx success, 3xx redirect, 4xx client error, 5xx server error."))
                f.add(Field("http.response.phrase", "Response Phrase", text(&f, parts[2]), range: parts[2], explain: "The status in words, for people."))
            } else {
                f.add(Field("http.request.method", "Request Method", text(&f, parts[0]), range: parts[0], explain: "What the client asks the server to do."))
                f.add(Field("http.request.uri", "Request URI", text(&f, parts[1]), range: parts[1], explain: "What the request is about: a path and query."))
                f.add(Field("http.request.version", "Request Version", text(&f, parts[2]), range: parts[2], explain: "The HTTP version the client speaks."))
            }
        }
        for line in lines.dropFirst() {
            guard let colon = b[line].firstIndex(of: 58) else { continue }
            var valueStart = colon + 1
            while valueStart < line.upperBound && (b[valueStart] == ASCII.space || b[valueStart] == ASCII.tab) { valueStart += 1 }
            let name = b[line.lowerBound..<colon]
            if let known = HTTP.headers.first(where: { $0.name.count == name.count && zip($0.name, name).allSatisfy { $0 == ($1 | 0x20) } }) {
                let value = valueStart..<line.upperBound
                if known.field.description == "http.content_length_header" {
                    fields.add(Field(known.field, .literal(known.label), text(&fields, value), range: line, explain: "The body's length in bytes.")) { f in
                        if let n = decimalValue(b, value) {
                            f.add(Field("http.content_length", "Content length", .uint(UInt64(n)), range: value, explain: "The body's length in bytes."))
                        }
                    }
                } else {
                    fields.add(Field(known.field, .literal(known.label), text(&fields, value), range: line, explain: "A header line the message carries."))
                }
            }
            // tshark keeps each header line whole in a hidden field.
            fields.add(Field(isResponse ? "http.response.line" : "http.request.line", "",
                             .text(fields.text(String(decoding: b[line], as: UTF8.self) + "\r\n")), range: line.lowerBound..<lineEnd(line),
                             explain: "A header line, whole."))
        }
        d.add("http", title: "Hypertext Transfer Protocol", range: start..<end, fields: fields)
    }

    /// The request or status line's three parts: up to the first space, to the second, the rest.
    private static func splitRequestLine(_ b: Bytes, _ line: Range<Int>) -> [Range<Int>] {
        guard let s1 = b[line].firstIndex(of: ASCII.space) else { return [] }
        guard let s2 = b[(s1 + 1)..<line.upperBound].firstIndex(of: ASCII.space) else { return [] }
        return [line.lowerBound..<s1, (s1 + 1)..<s2, (s2 + 1)..<line.upperBound]
    }

    /// Digits only, at most 18 of them; nil otherwise.
    private static func decimalValue(_ b: Bytes, _ r: Range<Int>) -> Int? {
        guard !r.isEmpty, r.count <= 18, b[r].allSatisfy(ASCII.isDigit) else { return nil }
        return b[r].reduce(0) { $0 * 10 + Int($1 - 48) }
    }
}
