import CTun
import Foundation

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// The services of the lab's server namespace that need a program: a small HTTP server and a DNS
/// responder for the lab's name. (Ping and the closed port's RST are the kernel's own.) One
/// thread, poll(2) over the sockets; each HTTP request is answered and the connection closed.
public struct LabServices {
    public var address: String
    public var httpPort: UInt16
    public var name: String

    public init(address: String, httpPort: UInt16, name: String) {
        self.address = address
        self.httpPort = httpPort
        self.name = name
    }

    public static let page = """
        <!DOCTYPE html>
        <html><head><title>tunscope lab</title></head>
        <body><h1>Hello from the tunscope lab</h1>
        <p>This page crossed a tun device, a NAT and a veth pair, all inside network namespaces.</p></body></html>

        """

    /// The services' process: dies with the keeper that started it, says "ready" (or "error …") on
    /// standard output for the keeper, serves until `stop` returns true; returns the exit status.
    public func runAsKeepersChild(stop: () -> Bool) -> Int32 {
        _ = tunscope_parent_death_signal(SIGTERM)
        func say(_ line: String) { _ = (line + "\n").withCString { write(1, $0, strlen($0)) } }
        do {
            try serve(ready: { say("ready") }, stop: stop)
            return 0
        } catch {
            say("error \(error)")
            return 1
        }
    }

    /// Binds both sockets, calls `ready`, then serves until `stop` returns true. HTTP connections
    /// are served side by side, each read as its bytes come: a user typing a request by hand on
    /// the screen (`d`) takes seconds, and must hold up neither DNS nor another connection.
    public func serve(ready: () -> Void, stop: () -> Bool) throws {
        let http = try bindSocket(type: Int32(SOCK_STREAM.rawValue), port: httpPort)
        guard listen(http, 64) == 0 else { throw LabError("listen on \(address):\(httpPort): \(errnoText())") }
        let dns = try bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: 53)
        ready()
        var connections: [HTTPConnection] = []
        while !stop() {
            var fds = [pollfd(fd: http, events: Int16(POLLIN), revents: 0), pollfd(fd: dns, events: Int16(POLLIN), revents: 0)]
            fds += connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let now = Date()
            guard poll(&fds, nfds_t(fds.count), 200) >= 0 else { continue }
            for (i, fd) in fds.enumerated().dropFirst(2) where fd.revents != 0 {
                connections[i - 2].read(answering: Self.answer)
            }
            // Closed, or idle past the limit: let go (a connection left open by a client that went away).
            connections.removeAll { c in
                let done = c.isDone || now.timeIntervalSince(c.lastActive) > HTTPConnection.idleLimit
                if done { close(c.fd) }
                return done
            }
            if fds[0].revents & Int16(POLLIN) != 0, connections.count < 64 {
                let conn = accept(http, nil, nil)
                if conn >= 0 {
                    _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
                    connections.append(HTTPConnection(fd: conn))
                }
            }
            if fds[1].revents & Int16(POLLIN) != 0 { answerDNS(socket: dns) }
        }
        for c in connections { close(c.fd) }
    }

    /// One HTTP connection: the request head gathered as it comes, one answer, then a graceful
    /// close (our FIN first, then the client's awaited, so unread bytes never turn the close into
    /// a RST that would discard the response on its way).
    struct HTTPConnection {
        static let idleLimit: TimeInterval = 120
        let fd: Int32
        var request: [UInt8] = []
        var answered = false
        var isDone = false
        var lastActive = Date()

        init(fd: Int32) { self.fd = fd }

        mutating func read(answering answer: ([UInt8]) -> String) {
            var chunk = [UInt8](repeating: 0, count: 2048)
            let n = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            guard n > 0 else {
                if n == 0 || (errno != EAGAIN && errno != EINTR) { isDone = true }
                return
            }
            lastActive = Date()
            guard !answered else { return }
            request += chunk[0..<n]
            guard request.count >= 8192 || request.ends(with: [13, 10, 13, 10]) || request.ends(with: [10, 10]) else { return }
            let response = answer(request)
            _ = response.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            shutdown(fd, Int32(SHUT_WR))
            answered = true
        }
    }

    /// The answer to a request head: the page for GET (its head only for HEAD), 405 otherwise.
    static func answer(_ request: [UInt8]) -> String {
        let head = String(decoding: request, as: UTF8.self)
        let isGet = head.hasPrefix("GET ") || head.hasPrefix("HEAD ")
        let body = isGet ? page : "only GET is served here\n"
        var response = "HTTP/1.1 \(isGet ? "200 OK" : "405 Method Not Allowed")\r\n"
        response += "Content-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        if !head.hasPrefix("HEAD ") { response += body }
        return response
    }

    private func errnoText() -> String { String(cString: strerror(errno)) }

    private func bindSocket(type: Int32, port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LabError("socket: \(errnoText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        inet_pton(AF_INET, address, &sin.sin_addr)
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LabError("bind \(address):\(port): \(errnoText())") }
        return fd
    }

    /// Answers A queries for the lab's name with the server's address; other names NXDOMAIN,
    /// other types of the lab's name an empty answer (RFC 1035 4.1).
    private func answerDNS(socket fd: Int32) {
        var query = [UInt8](repeating: 0, count: 1500)
        var from = sockaddr_storage()
        var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let n = withUnsafeMutablePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &query, query.count, 0, $0, &fromLength) }
        }
        guard n >= 12, let question = Self.question(Array(query[0..<n])) else { return }
        let known = question.name.lowercased() == name.lowercased()
        var reply = Array(query[0..<2])
        reply += [0x84 | (query[2] & 0x01), known ? 0x00 : 0x03]  // QR, AA, RD copied; RA 0; rcode 0 or 3 (NXDOMAIN)
        let answers: UInt8 = known && question.type == 1 ? 1 : 0
        reply += [0, 1, 0, answers, 0, 0, 0, 0]
        reply += query[12..<question.end]
        if answers == 1 {
            var v4 = in_addr()
            inet_pton(AF_INET, address, &v4)
            let a = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            reply += [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4] + a  // name pointer, A, IN, TTL 3600
        }
        _ = withUnsafePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, fromLength) }
        }
    }

    /// The first question's name, type, and where it ends; nil if it does not parse.
    static func question(_ m: [UInt8]) -> (name: String, type: UInt16, end: Int)? {
        guard m.count >= 12, m[4] == 0, m[5] >= 1 else { return nil }
        var i = 12
        var labels: [String] = []
        while i < m.count, m[i] != 0 {
            let len = Int(m[i])
            guard len < 64, i + 1 + len < m.count else { return nil }
            labels.append(String(decoding: m[(i + 1)...(i + len)], as: UTF8.self))
            i += 1 + len
        }
        guard i + 5 <= m.count else { return nil }
        let type = UInt16(m[i + 1]) << 8 | UInt16(m[i + 2])
        return (labels.joined(separator: "."), type, i + 5)
    }
}
