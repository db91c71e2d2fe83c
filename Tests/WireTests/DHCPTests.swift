import Testing
@testable import Wire

@Suite struct DHCPTests {
    /// tcpdump -nn -S: IP 0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request from 02:00:00:00:00:01, length 268
    ///     0x0000:  4500 0128 0001 0000 4011 79c5 0000 0000  E..(....@.y.....
    ///     0x0010:  ffff ffff 0044 0043 0114 bf97 0101 0600  .....D.C........
    ///     0x0020:  1234 5678 0000 8000 0000 0000 0000 0000  .4Vx............
    ///     0x0030:  0000 0000 0000 0000 0200 0000 0001 0000  ................
    ///     (zeros: the rest of chaddr, sname and file)
    ///     0x0100:  0000 0000 0000 0000 6382 5363 3501 0332  ........c.Sc5..2
    ///     0x0110:  04c0 0002 3236 04c0 0002 0137 0301 0306  ....26.....7....
    ///     0x0120:  0c05 686f 7374 31ff                      ..host1.
    static let request: Bytes = [
        0x45, 0x00, 0x01, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x79, 0xc5, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0xff, 0xff, 0x00, 0x44, 0x00, 0x43, 0x01, 0x14, 0xbf, 0x97, 0x01, 0x01, 0x06, 0x00,
        0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    ] + Bytes(repeating: 0, count: 202) + [
        0x63, 0x82, 0x53, 0x63, 0x35, 0x01, 0x03, 0x32, 0x04, 0xc0, 0x00, 0x02, 0x32, 0x36, 0x04, 0xc0,
        0x00, 0x02, 0x01, 0x37, 0x03, 0x01, 0x03, 0x06, 0x0c, 0x05, 0x68, 0x6f, 0x73, 0x74, 0x31, 0xff,
    ]
    static let line = "IP 0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request from 02:00:00:00:00:01, length 268"

    static var ip: IPv4Repr {
        var ip = IPv4Repr(source: IPv4Address(0), destination: IPv4Address(0xffff_ffff), proto: .udp)
        ip.identification = 1
        return ip
    }
    static let udp = UDPRepr(sourcePort: 68, destinationPort: 67)

    static var repr: DHCPRepr {
        var r = DHCPRepr()
        r.transactionID = 0x1234_5678
        r.flags = 0x8000
        r.clientHardwareAddress = [2, 0, 0, 0, 0, 1]
        r.options = [DHCPOption(code: 53, data: [3]), DHCPOption(code: 50, data: [192, 0, 2, 50]),
                     DHCPOption(code: 54, data: [192, 0, 2, 1]), DHCPOption(code: 55, data: [1, 3, 6]),
                     DHCPOption(code: 12, data: Array("host1".utf8))]
        return r
    }

    @Test func parsesEachField() throws {
        #expect(Self.request.count == 296)
        let h = try #require(DHCPHeader(Self.request, at: 28))
        #expect(h.op == 1 && h.hardwareType == 1 && h.hardwareLength == 6 && h.hops == 0)
        #expect(h.transactionID == 0x1234_5678 && h.seconds == 0 && h.flags == 0x8000)
        #expect(h.clientAddress == IPv4Address(0) && h.yourAddress == IPv4Address(0))
        #expect(Array(h.clientHardwareAddress.prefix(6)) == [2, 0, 0, 0, 0, 1])
        #expect(h.serverName.isEmpty && h.bootFile.isEmpty && h.cookie == DHCP.cookie)
        #expect(DHCPRepr.parse(Self.request, at: 28) == Self.repr)
    }

    @Test func summarisesAsTcpdump() {
        #expect(Summary.string(Self.request, linkType: .raw) == Self.line)
        var reply = Self.repr
        reply.op = 2
        var b = Bytes(repeating: 0, count: reply.bufferLength)
        reply.emit(into: &b, at: 0)
        let server = PacketBuilder.build(ip: .v4(Self.ip), transport: UDPRepr(sourcePort: 67, destinationPort: 68), payload: b)
        #expect(Summary.string(server, linkType: .raw) == "IP 0.0.0.0.67 > 255.255.255.255.68: BOOTP/DHCP, Reply, length 268")
        let odd = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: [3, 1, 6])
        #expect(Summary.string(odd, linkType: .raw) == "IP 0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, unknown (0x03), length 3")
        let empty = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: [])
        #expect(Summary.string(empty, linkType: .raw) == "IP 0.0.0.0.68 > 255.255.255.255.67:  [|bootp]")
    }

    @Test func dissectsAsTshark() {
        let d = Dissector.dissect(Self.request, linkType: .raw)
        #expect(d.malformed == nil)
        #expect(d.layer("dhcp")?.title == "Dynamic Host Configuration Protocol (Request)")
        #expect(d.field("dhcp.hw.mac_addr")?.value == .mac(MACAddress(0x0200_0000_0001)))
        #expect(d.field("dhcp.option.requested_ip_address")?.value == .ipv4(IPv4Address(192, 0, 2, 50)))
        let json = Formatted.json(Self.request)
        for pair in ["\"dhcp.type\":1", "\"dhcp.id\":305419896", "\"dhcp.flags.bc\":1", "\"dhcp.cookie\":\"99.130.83.99\"",
                     "\"dhcp.option.type\":[53,50,54,55,12,0]", "\"dhcp.option.request_list_item\":[1,3,6]",
                     "\"dhcp.option.hostname\":\"host1\"", "\"dhcp.option.dhcp_server_id\":\"192.0.2.1\"", "\"dhcp.option.end\":255"] {
            #expect(json.contains(pair), "\(pair) in \(json)")
        }
        let tree = Formatted.tree(Self.request)
        for line in ["    Bootp flags: 0x8000, Broadcast flag (Broadcast)", "        1... .... .... .... = Broadcast flag: Broadcast",
                     "    Server host name not given", "    Magic cookie: DHCP", "    Option: (53) DHCP Message Type (Request)",
                     "        Parameter Request List Item: (6) Domain Name Server", "    Option: (255) End"] {
            #expect(tree.contains(line + "\n"), "\(line) in \(tree)")
        }
    }

    @Test func emitsTheSameBytesIntoAPrefilledBuffer() {
        let r = Self.repr
        var b = Bytes(repeating: 0xA5, count: r.bufferLength)
        r.emit(into: &b, at: 0)
        #expect(b == Array(Self.request[28...]))
        #expect(PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: b) == Self.request)
    }

    @Test func everyTruncatedPrefixDecodesCleanly() {
        let payload = Array(Self.request[28...])
        for n in 1..<payload.count {
            let p = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: Array(payload[0..<n]))
            let d = Dissector.dissect(p, linkType: .raw)
            // Cut between two options (End missing) is complete as far as it goes; anywhere else is malformed.
            #expect(d.layer("dhcp") != nil, "prefix \(n)")
            #expect((d.malformed == nil) == [240, 243, 249, 255, 260, 267].contains(n), "prefix \(n)")
            let expected = n < 3 || (n < 34) ? "BOOTP/DHCP, Request [|bootp]" : "BOOTP/DHCP, Request from 02:00:00:00:00:01, length \(n)"
            #expect(Summary.string(p, linkType: .raw) == "IP 0.0.0.0.68 > 255.255.255.255.67: " + expected, "prefix \(n)")
            _ = Formatted.json(p)
            _ = Formatted.tree(p)
        }
        for n in 0..<Self.request.count {
            let cut = Array(Self.request[0..<n])
            #expect(Dissector.dissect(cut, linkType: .raw).malformed != nil)
            _ = Summary.string(cut, linkType: .raw)
        }
    }

    @Test func optionLengthsNeverReadPastTheData() {
        // Option 55 claims 255 bytes with 3 left: its code and length, then the complaint.
        var payload = Array(Self.request[28...])
        payload[240 + 15 + 1] = 255
        let p = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: payload)
        let d = Dissector.dissect(p, linkType: .raw)
        #expect(d.malformed?.message == "DHCP option 55 says 255 bytes, 11 left")
        #expect(d.layer("dhcp")?.fields.filter { $0.isNamed("dhcp.option.type") }.count == 4)
        // Every byte an option code of its own, and every length the largest: still one pass.
        let hostile = Array(payload[0..<240]) + Bytes(repeating: 0xfe, count: 1200)
        let h = Dissector.dissect(PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: hostile), linkType: .raw)
        #expect(h.malformed != nil)
        #expect(DHCPRepr.parse(hostile, at: 0) == nil)
    }

    /// An address option (1, 50, 54) of the wrong length at the end of the packet: no address
    /// read past the data, none named in its line (the fuzzers' dhcp target found this).
    @Test func addressOptionsOfTheWrongLengthNameNoAddress() {
        for code: UInt8 in [1, 50, 54] {
            for length: UInt8 in [0, 1, 2, 3, 5] {
                let payload = Array(Self.request[28..<(28 + 240)]) + [code, length] + Bytes(repeating: 8, count: Int(length)) + [255]
                let p = PacketBuilder.build(ip: .v4(Self.ip), transport: Self.udp, payload: payload)
                let d = Dissector.dissect(p, linkType: .raw)
                #expect(d.malformed == nil, "option \(code), length \(length)")
                #expect(Formatted.tree(p).contains("Option: (\(code)) \(DHCP.optionName(code))\n"), "option \(code), length \(length)")
            }
        }
    }

    @Test func leaseTimesAreWordedAsWiresharkDoes() {
        #expect(DHCP.durationText(3600) == "1 hour")
        #expect(DHCP.durationText(93784) == "1 day, 2 hours, 3 minutes, 4 seconds")
        #expect(DHCP.durationText(0xffff_ffff) == "infinity")
    }
}
