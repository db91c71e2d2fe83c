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
