/// QUIC's long header (RFC 9000 17.2, RFC 8999 5.1) on UDP port 443, as tshark shows it without
/// keys: header form, fixed bit, packet type, version, connection IDs, an Initial's token and the
/// length, then the protected payload as bytes. A Version Negotiation packet lists its versions.
///
/// Differences from tshark: tshark removes an Initial's header protection (its keys come from
/// the destination connection ID) and shows the packet number; tunscope does not decrypt, so an
/// Initial's packet number stays in `quic.remaining_payload`. A short-header packet's
/// destination connection ID has no length on the wire: tshark decodes one only for a
/// connection it has seen and otherwise shows data, as tunscope always does. Only a datagram's
/// first packet is decoded: tshark also decodes packets coalesced after it (RFC 9000 12.2).
/// Version 2 (RFC 9369) is read with its own numbering of the long packet types.
public enum QUIC {
    public static let port: UInt16 = 443

    enum Bits {
        static let headerForm: UInt8 = 0x80, fixedBit: UInt8 = 0x40, packetType: UInt8 = 0x30
    }

    /// QUIC version 2 (RFC 9369), which numbers the long packet types differently.
    static let version2: UInt32 = 0x6b33_43cf

    /// RFC 9000 17.2 long packet types, in version 1's numbering.
    enum PacketType: UInt8 {
        case initial = 0, zeroRTT = 1, handshake = 2, retry = 3

        /// The type the header's two bits mean in `version` (RFC 9369 3.2 rotates them by one).
        init(bits: UInt8, version: UInt32) {
            self.init(rawValue: version == QUIC.version2 ? (bits &+ 3) & 3 : bits)!
        }

        var name: StaticString {
            switch self {
            case .initial: return "Initial"
            case .zeroRTT: return "0-RTT"
            case .handshake: return "Handshake"
            case .retry: return "Retry"
            }
        }
    }

    /// A Retry packet ends with a 16-byte integrity tag (RFC 9001 5.8).
    static let retryIntegrityTagLength = 16

    /// A connection ID is at most 20 bytes in QUIC version 1 (RFC 9000 17.2).
    static let maximumConnectionIDLength = 20

    /// A variable-length integer (RFC 9000 16): its value and its length, nil past `end`.
    static func varint(_ b: Bytes, at i: Int, end: Int) -> (value: UInt64, length: Int)? {
        guard i < end else { return nil }
        let length = 1 << Int(b[i] >> 6)
        guard i + length <= end else { return nil }
        var v = UInt64(b[i] & 0x3f)
        for k in 1..<length { v = v << 8 | UInt64(b[i + k]) }
        return (v, length)
    }
}

extension Dissector {
    /// Whether a UDP payload on port 443 is a QUIC packet tshark decodes without a connection:
    /// one with the long header.
    static func isQUICLongHeader(_ b: Bytes, at start: Int, end: Int) -> Bool {
        start < end && b[start] & QUIC.Bits.headerForm != 0
    }

    static func dissectQUIC(_ b: Bytes, at start: Int, end: Int, into d: inout Dissection) {
        var fields = FieldList(capacity: 20)
        let first = b[start]
        let r = { (i: Int, n: Int) in i..<(i + n) }
        // The packet's own bytes, known once its Length field is read (more QUIC packets may follow
        // it in the datagram); until then, the whole UDP payload.
        let packetLength = fields.fields.count
        fields.add(Field("quic.packet_length", "Packet Length", .uint(UInt64(end - start)), range: start..<end,
                         explain: "Bytes in this QUIC packet."))
        fields.add(Field("quic.header_form", "Header Form", .uint(1), note: "(Long Header)", mask: 0x80, range: r(start, 1),
                         explain: "1: a long header, used until the handshake is done (RFC 9000 17.2)."))
        defer { d.add("quic", title: "QUIC IETF", range: start..<end, fields: fields) }
        guard start + 5 <= end else {
            d.fail("QUIC long header needs a version, \(end - start - 1) bytes left", at: start..<end)
            return
        }
        let version = b.be32(start + 1)
        let versionNegotiation = version == 0
        if versionNegotiation {
            fields.add(Field("quic.vn.unused", "Unused", .uint(UInt64(first & 0x7f)), base: .hex(digits: 2), mask: 0x7f, range: r(start, 1),
                             explain: "Bits a Version Negotiation packet leaves to chance."))
        } else {
            let bits = (first & QUIC.Bits.packetType) >> 4
            let type = QUIC.PacketType(bits: bits, version: version)
            fields.add(Field("quic.fixed_bit", "Fixed Bit", .bool(first & QUIC.Bits.fixedBit != 0), mask: 0x40, range: r(start, 1),
                             explain: "Always 1 in QUIC version 1, so QUIC can share a port with other protocols."))
            if version == QUIC.version2 {
                fields.add(Field("quic.long.packet_type_v2", "Packet Type", .uint(UInt64(bits)), note: fields.text("(\(type.name))"),
                                 mask: 0x30, range: r(start, 1), explain: "In QUIC version 2: 0 Retry, 1 Initial, 2 0-RTT, 3 Handshake."))
            } else {
                fields.add(Field("quic.long.packet_type", "Packet Type", .uint(UInt64(bits)), note: fields.text("(\(type.name))"),
                                 mask: 0x30, range: r(start, 1), explain: "0 Initial, 1 0-RTT, 2 Handshake, 3 Retry."))
            }
        }
        fields.add(Field("quic.version", "Version", .uint(UInt64(version)), base: .hex(digits: 8), range: r(start + 1, 4),
                         explain: "The QUIC version (1 is RFC 9000; 0 is Version Negotiation)."))
        var i = start + 5
        for (lengthName, idName, lengthLabel, idLabel) in [
            ("quic.dcil", "quic.dcid", "Destination Connection ID Length", "Destination Connection ID"),
            ("quic.scil", "quic.scid", "Source Connection ID Length", "Source Connection ID"),
        ] as [(StaticString, StaticString, StaticString, StaticString)] {
            guard i < end else {
                d.fail("QUIC header ends before its connection IDs", at: i..<end)
                return
            }
            let length = Int(b[i])
            fields.add(Field(lengthName, .literal(lengthLabel), .uint(UInt64(length)), range: r(i, 1), explain: "Bytes in the connection ID."))
            i += 1
            guard i + length <= end else {
                d.fail("QUIC connection ID of \(length) bytes, \(end - i) left", at: i..<end)
                return
            }
            if length > 0 {
                fields.add(Field(idName, .literal(idLabel), .bytes, range: r(i, length),
                                 explain: "Names the connection to the receiver, so it survives address changes."))
            }
            i += length
        }
        if versionNegotiation {
            while i + 4 <= end {
                fields.add(Field("quic.supported_version", "Supported Version", .uint(UInt64(b.be32(i))), base: .hex(digits: 8), range: r(i, 4),
                                 explain: "A version the server speaks: the client picks one and starts again."))
                i += 4
            }
            return
        }
        let type = QUIC.PacketType(bits: (first & QUIC.Bits.packetType) >> 4, version: version)
        if type == .retry {
            // Retry: a token and the integrity tag, no length. tshark takes the token to be what
            // comes before the tag, or all that is left when there is no room for one.
            let tag = end - i >= QUIC.retryIntegrityTagLength ? end - QUIC.retryIntegrityTagLength : end
            if i < tag {
                fields.add(Field("quic.retry_token", "Retry Token", .bytes, range: i..<tag,
                                 explain: "The token the client must send back in its next Initial."))
            }
            guard tag < end else {
                d.fail("QUIC Retry has no room for its \(QUIC.retryIntegrityTagLength)-byte integrity tag", at: i..<end)
                return
            }
            fields.add(Field("quic.retry_integrity_tag", "Retry Integrity Tag", .bytes, range: tag..<end,
                             explain: "Proves the Retry came from the server the client wrote to (RFC 9001 5.8)."))
            return
        }
        if type == .initial {
            guard let token = QUIC.varint(b, at: i, end: end) else {
                d.fail("QUIC Initial ends before its token length", at: i..<end)
                return
            }
            fields.add(Field("quic.token_length", "Token Length", .uint(token.value), range: r(i, token.length),
                             explain: "Bytes in the token (0 on a first Initial)."))
            i += token.length
            guard token.value <= UInt64(end - i) else {
                d.fail("QUIC token of \(token.value) bytes, \(end - i) left", at: i..<end)
                return
            }
            if token.value > 0 {
                fields.add(Field("quic.token", "Token", .bytes, range: r(i, Int(token.value)),
                                 explain: "A token from a Retry or an earlier connection, proving the address."))
            }
            i += Int(token.value)
        }
        guard let length = QUIC.varint(b, at: i, end: end) else {
            d.fail("QUIC header ends before its length", at: i..<end)
            return
        }
        fields.add(Field("quic.length", "Length", .uint(length.value), range: r(i, length.length),
                         explain: "Bytes after this field: the packet number and the encrypted payload."))
        i += length.length
        let payloadEnd = i + Int(min(length.value, UInt64(end - i)))
        fields.fields[packetLength].value = .uint(UInt64(payloadEnd - start))
        fields.fields[packetLength].range = start..<payloadEnd
        if i < payloadEnd {
            fields.add(Field("quic.remaining_payload", "Remaining Payload", .bytes, range: i..<payloadEnd,
                             explain: "The packet number and payload, under header protection and encryption: without keys, bytes."))
        }
    }
}
