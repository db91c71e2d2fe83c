import Testing
@testable import App
import Wire

/// The Protocol column names the application a UDP datagram carries, as Wireshark's does.
@Suite struct ProtocolColumnTests {
    static func udp(_ source: UInt16, _ destination: UInt16, _ payload: Bytes) -> Dissection {
        let ip = IPv4Repr(source: IPv4Address(192, 0, 2, 2), destination: IPv4Address(198, 51, 100, 1), proto: .udp)
        let b = PacketBuilder.build(ip: .v4(ip), transport: UDPRepr(sourcePort: source, destinationPort: destination), payload: payload)
        return Dissector.dissect(b, linkType: .raw)
    }

    @Test func namesNTPAndDHCP() {
        var ntp = Bytes(repeating: 0, count: 48)
        ntp[0] = 0x23
        #expect(PacketRow.protocolName(Self.udp(40000, 123, ntp)) == "NTP")
        var dhcp = DHCPRepr()
        dhcp.options = [DHCPOption(code: 53, data: [1])]
        var b = Bytes(repeating: 0, count: dhcp.bufferLength)
        dhcp.emit(into: &b, at: 0)
        #expect(PacketRow.protocolName(Self.udp(68, 67, b)) == "DHCP")
        #expect(PacketRow.protocolName(Self.udp(40000, 40001, [1, 2, 3])) == "UDP")
    }
}
