/// TLS (RFC 8446, RFC 5246) as tshark shows one segment of it: the records whose headers and
/// bodies the segment holds, the handshake messages' headers and hello fields, alerts, change
/// cipher spec and application data. Nothing is reassembled (tunscope looks at one packet at a
/// time): a record cut by the segment's end shows nothing, as tshark shows a lone segment whose
/// record continues in the next one, and bytes that do not start a record are data.
///
/// Cost: every loop below steps over bytes of the segment, so a record, handshake or extension
/// length can only make a loop stop sooner.
public enum TLS {
    public static let port: UInt16 = 443

    enum Offset {
        static let contentType = 0, version = 1, length = 3
        static let recordHeaderLength = 5
        /// A handshake message: type (1), length (3).
        static let handshakeHeaderLength = 4
        /// A hello's version (2) and random (32).
        static let randomLength = 32
    }

    /// RFC 8446 5.1 ContentType.
    enum ContentType {
        static let changeCipherSpec: UInt8 = 20, alert: UInt8 = 21, handshake: UInt8 = 22, applicationData: UInt8 = 23,
            heartbeat: UInt8 = 24
    }

    /// RFC 8446 4 HandshakeType.
    enum HandshakeType {
        static let clientHello: UInt8 = 1, serverHello: UInt8 = 2
    }

    /// RFC 8446 4.2 ExtensionType, the ones whose bodies tunscope decodes.
    enum ExtensionType {
        static let serverName: UInt16 = 0, supportedGroups: UInt16 = 10, alpn: UInt16 = 16, supportedVersions: UInt16 = 43
    }

    /// Whether a record header starts at `start`, as Wireshark's TLS heuristics take one: a
    /// known content type and an SSL 3.0 to TLS 1.3 record version (DTLS aside).
    static func startsRecord(_ b: Bytes, at start: Int, end: Int) -> Bool {
        guard start + 3 <= end else { return false }
        let type = b[start]
        return type >= ContentType.changeCipherSpec && type <= ContentType.heartbeat && b[start + 1] == 3 && b[start + 2] <= 4
    }

    /// Wireshark's Protocol column for a TLS layer: the last record's version ("TLSv1.2"), or
    /// TLSv1.3 once a ServerHello chose it; nil for a layer without records.
    public static func columnName(_ layer: Layer) -> String? {
        var name: String?
        var serverHello = false
        for f in layer.fields {
            guard case let .uint(v) = f.value else { continue }
            if f.isNamed("tls.record.version") && name != "TLSv1.3" { name = versionName(UInt16(truncatingIfNeeded: v)).short.description }
            if f.isNamed("tls.handshake.type") { serverHello = v == UInt64(HandshakeType.serverHello) }
            if serverHello && f.isNamed("tls.handshake.extensions.supported_version") && v == 0x0304 { name = "TLSv1.3" }
        }
        return name
    }

    static func contentTypeName(_ t: UInt8) -> StaticString? {
        switch t {
        case ContentType.changeCipherSpec: return "Change Cipher Spec"
        case ContentType.alert: return "Alert"
        case ContentType.handshake: return "Handshake"
        case ContentType.applicationData: return "Application Data"
        case ContentType.heartbeat: return "Heartbeat"
        default: return nil
        }
    }

    static func handshakeName(_ t: UInt8) -> StaticString {
        switch t {
        case 0: return "Hello Request"
        case 1: return "Client Hello"
        case 2: return "Server Hello"
        case 4: return "New Session Ticket"
        case 5: return "End of Early Data"
        case 8: return "Encrypted Extensions"
        case 11: return "Certificate"
        case 12: return "Server Key Exchange"
        case 13: return "Certificate Request"
        case 14: return "Server Hello Done"
        case 15: return "Certificate Verify"
        case 16: return "Client Key Exchange"
        case 20: return "Finished"
        case 24: return "Key Update"
        default: return "Unknown"
        }
    }

    /// "TLS 1.2", as tshark names a version; the record heading's "TLSv1.2".
    static func versionName(_ v: UInt16) -> (plain: StaticString, short: StaticString) {
        switch v {
        case 0x0300: return ("SSL 3.0", "SSLv3")
        case 0x0301: return ("TLS 1.0", "TLSv1")
        case 0x0302: return ("TLS 1.1", "TLSv1.1")
        case 0x0303: return ("TLS 1.2", "TLSv1.2")
        case 0x0304: return ("TLS 1.3", "TLSv1.3")
        default: return ("Unknown", "TLS")
        }
    }

    static func alertLevelName(_ l: UInt8) -> StaticString {
        l == 1 ? "Warning" : l == 2 ? "Fatal" : "Unknown"
    }

    static func extensionName(_ t: UInt16) -> StaticString {
        switch t {
        case 0: return "server_name"
        case 5: return "status_request"
        case 10: return "supported_groups"
        case 11: return "ec_point_formats"
        case 13: return "signature_algorithms"
        case 16: return "application_layer_protocol_negotiation"
        case 23: return "extended_master_secret"
        case 35: return "session_ticket"
        case 41: return "pre_shared_key"
        case 43: return "supported_versions"
        case 45: return "psk_key_exchange_modes"
        case 51: return "key_share"
        case 65281: return "renegotiation_info"
        default: return "Unknown"
        }
    }
}

extension Dissector {
    /// The TLS records of one TCP segment's payload (`start..<end`, the bytes captured).
    static func dissectTLS(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        guard TLS.startsRecord(b, at: start, end: end) else {
            d.addData(start..<end, explain: "Bytes that do not start a TLS record: the rest of one begun in an earlier segment, or not TLS.")
            return
        }
        var fields = FieldList(capacity: 32)
        var i = start
        var title = "Transport Layer Security"
        // A ServerHello choosing TLS 1.3 makes tshark name the records after it TLSv1.3 and an
        // application data record's type "Opaque Type".
        var tls13 = false
        while i + TLS.Offset.recordHeaderLength <= end, TLS.startsRecord(b, at: i, end: end) {
            let length = Int(b.be16(i + TLS.Offset.length))
            let body = (i + TLS.Offset.recordHeaderLength)..<(i + TLS.Offset.recordHeaderLength + length)
            // A record the segment does not hold whole: tshark waits for the next segment and shows nothing of it.
            guard body.upperBound <= end else { break }
            addRecord(b, at: i, body: body, tls13: &tls13, to: &fields, describing: d.describes)
            i = body.upperBound
        }
        if i == start { title += " (record continues in a later segment)" }
        d.add("tls", title: title, range: start..<end, fields: fields)
    }

    private static func addRecord(_ b: Bytes, at start: Int, body: Range<Int>, tls13: inout Bool, to fields: inout FieldList, describing: Bool) {
        let type = b[start]
        let version = b.be16(start + TLS.Offset.version)
        let r = { (offset: Int, length: Int) in (start + offset)..<(start + offset + length) }
        var heading: FieldText = "TLS Record Layer"
        if describing {
            var s = "\(tls13 ? "TLSv1.3" : TLS.versionName(version).short) Record Layer: "
            switch type {
            case TLS.ContentType.handshake:
                s += "Handshake Protocol: "
                if body.count >= TLS.Offset.handshakeHeaderLength {
                    s += "\(TLS.handshakeName(b[body.lowerBound]))"
                    if handshakeLength(b, at: body.lowerBound) + TLS.Offset.handshakeHeaderLength > body.count { s += " (fragment)" }
                } else {
                    s += "Encrypted Handshake Message"
                }
            case TLS.ContentType.alert:
                s += body.count == 2 ? "Alert (Level: \(TLS.alertLevelName(b[body.lowerBound])))" : "Encrypted Alert"
            case TLS.ContentType.changeCipherSpec: s += "Change Cipher Spec Protocol: Change Cipher Spec"
            case TLS.ContentType.applicationData: s += "Application Data Protocol"
            default: s += "\(TLS.contentTypeName(type) ?? "Unknown")"
            }
            heading = fields.text(s)
        }
        fields.add(Field("tls.record", heading, .none, range: start..<body.upperBound,
                         explain: "One TLS record: a 5-byte header (type, version, length) and its body.")) { f in
            // Wireshark names an application data record's type "Opaque Type", as TLS 1.3 calls it.
            let opaque = tls13 && type == TLS.ContentType.applicationData
            let typeName: StaticString = opaque ? "tls.record.opaque_type" : "tls.record.content_type"
            let typeLabel: FieldText = opaque ? "Opaque Type" : "Content Type"
            f.add(Field(typeName, typeLabel, .uint(UInt64(type)), note: describing ? f.text("(\(TLS.contentTypeName(type) ?? "Unknown"))") : nil,
                        range: r(TLS.Offset.contentType, 1), explain: "What the record carries: 20 change cipher spec, 21 alert, 22 handshake, 23 application data."))
            f.add(Field("tls.record.version", "Version", .uint(UInt64(version)), base: .hex(digits: 4),
                        note: describing ? f.text("(\(TLS.versionName(version).plain))") : nil, range: r(TLS.Offset.version, 2),
                        explain: "The record layer's version; TLS 1.3 keeps 0x0303 here for old middleboxes."))
            f.add(Field("tls.record.length", "Length", .uint(UInt64(body.count)), range: r(TLS.Offset.length, 2),
                        explain: "Bytes in the record's body."))
            switch type {
            case TLS.ContentType.handshake: addHandshake(b, body, tls13: &tls13, to: &f, describing: describing)
            case TLS.ContentType.alert where body.count == 2:
                f.add(Field("tls.alert_message", "Alert Message", .none, range: body, explain: "A warning or a fatal error ending the connection.")) { f in
                    f.add(Field("tls.alert_message.level", "Level", .uint(UInt64(b[body.lowerBound])),
                                note: describing ? f.text("(\(TLS.alertLevelName(b[body.lowerBound])))") : nil,
                                range: body.lowerBound..<body.lowerBound + 1, explain: "1 warning, 2 fatal."))
                    f.add(Field("tls.alert_message.desc", "Description", .uint(UInt64(b[body.lowerBound + 1])),
                                range: body.lowerBound + 1..<body.upperBound, explain: "Which alert (RFC 8446 6): 0 close_notify, 40 handshake_failure, ..."))
                }
            case TLS.ContentType.alert:
                f.add(Field("tls.alert_message", "Alert Message: Encrypted Alert", .none, range: body,
                            explain: "An alert sent after keys were agreed, so encrypted."))
            case TLS.ContentType.changeCipherSpec:
                f.add(Field("tls.change_cipher_spec", "Change Cipher Spec Message", .none, range: body,
                            explain: "From here on this side encrypts (TLS 1.3 sends it only for middleboxes)."))
            case TLS.ContentType.applicationData:
                f.add(Field("tls.app_data", "Encrypted Application Data", .bytes, range: body,
                            explain: "The application's data, encrypted: without the keys it stays bytes."))
            default: break
            }
        }
    }

    private static func handshakeLength(_ b: Bytes, at i: Int) -> Int {
        Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
    }

    /// The handshake messages in a record's body. A message longer than the body is a fragment
    /// (its rest in the next record): only its heading, as tshark shows it. A record whose body
    /// is too short for a message header holds an encrypted one.
    private static func addHandshake(_ b: Bytes, _ body: Range<Int>, tls13: inout Bool, to f: inout FieldList, describing: Bool) {
        var i = body.lowerBound
        guard body.count >= TLS.Offset.handshakeHeaderLength else {
            f.add(Field("tls.handshake", "Handshake Protocol: Encrypted Handshake Message", .none, range: body,
                        explain: "A handshake message sent after keys were agreed, so encrypted."))
            return
        }
        while i + TLS.Offset.handshakeHeaderLength <= body.upperBound {
            let type = b[i], length = handshakeLength(b, at: i)
            let message = (i + TLS.Offset.handshakeHeaderLength)..<(i + TLS.Offset.handshakeHeaderLength + length)
            guard message.upperBound <= body.upperBound else {
                f.add(Field("tls.handshake", describing ? f.text("Handshake Protocol: \(TLS.handshakeName(type)) (fragment)") : "Handshake Protocol",
                            .none, range: i..<body.upperBound, explain: "The start of a handshake message whose rest is in a later record."))
                return
            }
            f.add(Field("tls.handshake", describing ? f.text("Handshake Protocol: \(TLS.handshakeName(type))") : "Handshake Protocol", .none,
                        range: i..<message.upperBound, explain: "One handshake message: type, length, body.")) { f in
                f.add(Field("tls.handshake.type", "Handshake Type", .uint(UInt64(type)), note: describing ? f.text("(\(TLS.handshakeName(type)))") : nil,
                            range: i..<i + 1, explain: "1 ClientHello, 2 ServerHello, 11 Certificate, 20 Finished, ..."))
                f.add(Field("tls.handshake.length", "Length", .uint(UInt64(length)), range: i + 1..<i + 4, explain: "Bytes in the message's body."))
                if type == TLS.HandshakeType.clientHello || type == TLS.HandshakeType.serverHello {
                    addHello(b, message, client: type == TLS.HandshakeType.clientHello, tls13: &tls13, to: &f, describing: describing)
                }
            }
            i = message.upperBound
        }
    }

    /// ClientHello and ServerHello (RFC 8446 4.1.2, 4.1.3): version, random, session id, cipher
    /// suites, compression methods, extensions. Stops at the first length the message cannot hold.
    private static func addHello(_ b: Bytes, _ m: Range<Int>, client: Bool, tls13: inout Bool, to f: inout FieldList, describing: Bool) {
        var i = m.lowerBound
        let end = m.upperBound
        guard i + 2 + TLS.Offset.randomLength <= end else { return }
        let version = b.be16(i)
        f.add(Field("tls.handshake.version", "Version", .uint(UInt64(version)), base: .hex(digits: 4),
                    note: describing ? f.text("(\(TLS.versionName(version).plain))") : nil, range: i..<i + 2,
                    explain: "The legacy version: 0x0303 even for TLS 1.3, which supported_versions names."))
        i += 2
        f.add(Field("tls.handshake.random", "Random", .bytes, range: i..<i + TLS.Offset.randomLength,
                    explain: "32 random bytes, mixed into the keys so each handshake's are fresh."))
        i += TLS.Offset.randomLength
        // Session ID: a one-byte length and up to 32 bytes.
        guard i < end else { return }
        let sessionLength = Int(b[i])
        f.add(Field("tls.handshake.session_id_length", "Session ID Length", .uint(UInt64(sessionLength)), range: i..<i + 1,
                    explain: "Bytes in the session ID (0 to 32)."))
        i += 1
        guard i + sessionLength <= end else { return }
        if sessionLength > 0 {
            f.add(Field("tls.handshake.session_id", "Session ID", .bytes, range: i..<i + sessionLength,
                        explain: "Resumes an earlier session (TLS 1.2) or is a random value for middleboxes (TLS 1.3)."))
        }
        i += sessionLength
        if client {
            guard i + 2 <= end else { return }
            let suitesLength = Int(b.be16(i))
            f.add(Field("tls.handshake.cipher_suites_length", "Cipher Suites Length", .uint(UInt64(suitesLength)), range: i..<i + 2,
                        explain: "Bytes in the list of cipher suites, two a suite."))
            i += 2
            guard i + suitesLength <= end else { return }
            let suites = i..<i + suitesLength
            f.add(Field("tls.handshake.ciphersuites", describing ? f.text("Cipher Suites (\(suitesLength / 2) suites)") : "Cipher Suites", .none,
                        range: suites, explain: "The cipher suites the client offers, most preferred first.")) { f in
                var k = suites.lowerBound
                while k + 2 <= suites.upperBound {
                    f.add(Field("tls.handshake.ciphersuite", "Cipher Suite", .uint(UInt64(b.be16(k))), base: .hex(digits: 4), range: k..<k + 2,
                                explain: "A cipher suite (IANA TLS Cipher Suites registry)."))
                    k += 2
                }
            }
            i = suites.upperBound
            guard i < end else { return }
            let methodsLength = Int(b[i])
            f.add(Field("tls.handshake.comp_methods_length", "Compression Methods Length", .uint(UInt64(methodsLength)), range: i..<i + 1,
                        explain: "Bytes in the list of compression methods."))
            i += 1
            guard i + methodsLength <= end else { return }
            let methods = i..<i + methodsLength
            f.add(Field("tls.handshake.comp_methods", describing ? f.text("Compression Methods (\(methodsLength) method\(methodsLength == 1 ? "" : "s"))") : "Compression Methods",
                        .none, range: methods, explain: "Compression the client can do; only null (0) is safe.")) { f in
                for k in methods {
                    f.add(Field("tls.handshake.comp_method", "Compression Method", .uint(UInt64(b[k])), range: k..<k + 1,
                                explain: "0 is null: no compression."))
                }
            }
            i = methods.upperBound
        } else {
            guard i + 3 <= end else { return }
            f.add(Field("tls.handshake.ciphersuite", "Cipher Suite", .uint(UInt64(b.be16(i))), base: .hex(digits: 4), range: i..<i + 2,
                        explain: "The cipher suite the server chose from the client's list."))
            f.add(Field("tls.handshake.comp_method", "Compression Method", .uint(UInt64(b[i + 2])), range: i + 2..<i + 3,
                        explain: "The compression the server chose: 0 is none."))
            i += 3
        }
        guard i + 2 <= end else { return }
        let extensionsLength = Int(b.be16(i))
        f.add(Field("tls.handshake.extensions_length", "Extensions Length", .uint(UInt64(extensionsLength)), range: i..<i + 2,
                    explain: "Bytes in the extensions that follow."))
        i += 2
        let extensionsEnd = min(end, i + extensionsLength)
        while i + 4 <= extensionsEnd {
            let type = b.be16(i), length = Int(b.be16(i + 2))
            let body = (i + 4)..<(i + 4 + length)
            guard body.upperBound <= extensionsEnd else { return }
            if !client && type == TLS.ExtensionType.supportedVersions && length == 2 && b.be16(body.lowerBound) == 0x0304 { tls13 = true }
            f.add(Field("tls.handshake.extension", describing ? f.text("Extension: \(TLS.extensionName(type)) (len=\(length))") : "Extension", .none,
                        range: i..<body.upperBound, explain: "One hello extension: type, length, body.")) { f in
                f.add(Field("tls.handshake.extension.type", "Type", .uint(UInt64(type)), note: describing ? f.text("(\(TLS.extensionName(type)))") : nil,
                            range: i..<i + 2, explain: "Which extension (IANA TLS ExtensionType registry)."))
                f.add(Field("tls.handshake.extension.len", "Length", .uint(UInt64(length)), range: i + 2..<i + 4,
                            explain: "Bytes in the extension's body."))
                addExtensionBody(b, type: type, body, client: client, to: &f)
            }
            i = body.upperBound
        }
    }

    private static func addExtensionBody(_ b: Bytes, type: UInt16, _ body: Range<Int>, client: Bool, to f: inout FieldList) {
        let end = body.upperBound
        switch type {
        case TLS.ExtensionType.serverName where client && body.count >= 2:
            f.add(Field("tls.handshake.extensions_server_name_list_len", "Server Name list length", .uint(UInt64(b.be16(body.lowerBound))),
                        range: body.lowerBound..<body.lowerBound + 2, explain: "Bytes in the list of names."))
            var i = body.lowerBound + 2
            while i + 3 <= end {
                let length = Int(b.be16(i + 1))
                guard i + 3 + length <= end else { return }
                f.add(Field("tls.handshake.extensions_server_name_type", "Server Name Type", .uint(UInt64(b[i])), range: i..<i + 1,
                            explain: "0 is a host name."))
                f.add(Field("tls.handshake.extensions_server_name_len", "Server Name length", .uint(UInt64(length)), range: i + 1..<i + 3,
                            explain: "Bytes in the name."))
                f.add(Field("tls.handshake.extensions_server_name", "Server Name", .text(f.text(String(decoding: b[(i + 3)..<(i + 3 + length)], as: UTF8.self))),
                            range: (i + 3)..<(i + 3 + length), explain: "The host the client wants (SNI): sent in clear, so on-path observers see it."))
                i += 3 + length
            }
        case TLS.ExtensionType.alpn where body.count >= 2:
            let listLength = Int(b.be16(body.lowerBound))
            f.add(Field("tls.handshake.extensions_alpn_len", "ALPN Extension Length", .uint(UInt64(listLength)),
                        range: body.lowerBound..<body.lowerBound + 2, explain: "Bytes in the list of protocols."))
            var i = body.lowerBound + 2
            while i < end {
                let length = Int(b[i])
                guard i + 1 + length <= end else { return }
                f.add(Field("tls.handshake.extensions_alpn_str_len", "ALPN string length", .uint(UInt64(length)), range: i..<i + 1,
                            explain: "Bytes in the protocol's name."))
                f.add(Field("tls.handshake.extensions_alpn_str", "ALPN Next Protocol", .text(f.text(String(decoding: b[(i + 1)..<(i + 1 + length)], as: UTF8.self))),
                            range: (i + 1)..<(i + 1 + length), explain: "An application protocol (h2, http/1.1) the client offers or the server chose."))
                i += 1 + length
            }
        case TLS.ExtensionType.supportedVersions:
            var i = body.lowerBound
            if client {
                guard i < end else { return }
                f.add(Field("tls.handshake.extensions.supported_versions_len", "Supported Versions length", .uint(UInt64(b[i])), range: i..<i + 1,
                            explain: "Bytes in the list of versions."))
                i += 1
            }
            while i + 2 <= end {
                let v = b.be16(i)
                f.add(Field("tls.handshake.extensions.supported_version", "Supported Version", .uint(UInt64(v)), base: .hex(digits: 4),
                            note: f.text("(\(TLS.versionName(v).plain))"), range: i..<i + 2,
                            explain: "A version the client can speak, or the one the server chose (0x0304 is TLS 1.3)."))
                i += 2
            }
        case TLS.ExtensionType.supportedGroups where body.count >= 2:
            f.add(Field("tls.handshake.extensions_supported_groups_length", "Supported Groups List Length", .uint(UInt64(b.be16(body.lowerBound))),
                        range: body.lowerBound..<body.lowerBound + 2, explain: "Bytes in the list of groups."))
            var i = body.lowerBound + 2
            while i + 2 <= end {
                f.add(Field("tls.handshake.extensions_supported_group", "Supported Group", .uint(UInt64(b.be16(i))), base: .hex(digits: 4),
                            range: i..<i + 2, explain: "A key-exchange group the client supports (0x001d x25519, 0x0017 secp256r1)."))
                i += 2
            }
        default: break
        }
    }
}
