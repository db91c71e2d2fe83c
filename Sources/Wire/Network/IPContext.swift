/// What a layer above IP needs to know about the IP header around it.
public struct IPContext: Sendable {
    /// The addresses, as the checksum pseudo-header and the summary's "a.port > b.port" use them.
    public var pseudo: PseudoHeader
    /// The payload length the IP header declares (it can differ from the bytes captured).
    public var length: Int
    /// True inside an ICMP error's quoted datagram: only the start of the original is there, so
    /// a short packet is expected and checksums cannot be verified.
    public var quoted: Bool
    /// True for a fragment: the payload is part of a datagram, so its checksum cannot be verified.
    public var fragment: Bool

    /// True when the summary has already written the addresses (IPv6 after extension headers),
    /// so TCP and UDP write only their ports, as tcpdump does.
    public var portsOnly = false

    public init(pseudo: PseudoHeader, length: Int, quoted: Bool = false, fragment: Bool = false) {
        self.pseudo = pseudo
        self.length = length
        self.quoted = quoted
        self.fragment = fragment
    }

    /// Whether the addresses are IPv4 ones.
    public var isIPv4: Bool {
        if case .v4 = pseudo { return true }
        return false
    }

    /// tcpdump's address pair before a port-less summary: "192.0.2.2 > 192.0.2.1".
    public func writeAddresses(into w: inout TextWriter) {
        switch pseudo {
        case let .v4(s, d):
            w.write(ipv4: s.value)
            w.write(" > ")
            w.write(ipv4: d.value)
        case let .v6(s, d):
            w.write(ipv6: s)
            w.write(" > ")
            w.write(ipv6: d)
        case .none:
            break
        }
    }

    /// tcpdump's endpoint pair with ports: "192.0.2.2.30732 > 34.194.149.67.80".
    public func writeEndpoints(sourcePort: UInt16, destinationPort: UInt16, into w: inout TextWriter) {
        if portsOnly {
            w.write(unsigned: UInt64(sourcePort))
            w.write(" > ")
            w.write(unsigned: UInt64(destinationPort))
            return
        }
        switch pseudo {
        case let .v4(s, d):
            w.write(ipv4: s.value)
            w.write(byte: 46)
            w.write(unsigned: UInt64(sourcePort))
            w.write(" > ")
            w.write(ipv4: d.value)
            w.write(byte: 46)
            w.write(unsigned: UInt64(destinationPort))
        case let .v6(s, d):
            w.write(ipv6: s)
            w.write(byte: 46)
            w.write(unsigned: UInt64(sourcePort))
            w.write(" > ")
            w.write(ipv6: d)
            w.write(byte: 46)
            w.write(unsigned: UInt64(destinationPort))
        case .none:
            break
        }
    }
}
