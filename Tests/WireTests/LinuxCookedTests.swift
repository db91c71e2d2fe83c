import Testing
@testable import Wire

/// Linux cooked captures (SLL, link type 113; SLL2, 276). Lines as `tcpdump -nn -S -r` 4.99.3
/// prints them after the time, with interface 2 named eth0 on the printing machine.
@Suite struct LinuxCookedTests {
    static let names: InterfaceNames = [2: "eth0", 7: "veth-lab0"]

    /// A UDP datagram 192.0.2.1.1000 > 192.0.2.2.2000 with 2 bytes of data ("hi").
    static let udp: Bytes = [
        0x45, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xf6, 0xca, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,
        0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0x07, 0xb5, 0x68, 0x69,
    ]

    /// tcpdump -nn: eth0  Out IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2
    static let sll2: Bytes = [
        0x08, 0x00, 0x00, 0x00,  // protocol IPv4, reserved
        0x00, 0x00, 0x00, 0x02,  // interface index 2
        0x00, 0x01, 0x04, 0x06,  // ARPHRD_ETHER, outgoing, address length 6
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    ] + udp

    /// tcpdump -nn: IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2
    static let sll: Bytes = [
        0x00, 0x00, 0x00, 0x01, 0x00, 0x06,  // to us, ARPHRD_ETHER, address length 6
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x08, 0x00,  // IPv4
    ] + udp

    @Test func sll2DecodesAndPrintsAsTcpdump() throws {
        #expect(Summary.string(Self.sll2, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  Out IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2")
        // An index the printing machine has no interface for, as tcpdump prints it.
        #expect(Summary.string(Self.sll2, linkType: .linuxSLL2) == "?     Out IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2")
        let d = Dissector.dissect(Self.sll2, linkType: .linuxSLL2)
        #expect(d.malformed == nil)
        #expect(d.layers.map(\.name) == ["sll", "ip", "udp", "data"])
        let sll = try #require(d.layer("sll"))
        #expect(sll.title == "Linux cooked capture v2" && sll.range == 0..<20 && sll.payload == 20..<50)
        #expect(sll.fields.map { $0.name.description }
                == ["sll.etype", "sll.ifindex", "sll.hatype", "sll.pkttype", "sll.halen", "sll.src.eth", "sll.unused"])
        #expect(d.field("sll.etype")?.value == .uint(0x0800))
        #expect(d.field("sll.ifindex")?.value == .uint(2) && d.field("sll.ifindex")?.range == 4..<8)
        #expect(d.field("sll.hatype")?.value == .uint(1))
        #expect(d.field("sll.pkttype")?.value == .uint(4) && d.field("sll.pkttype")?.range == 10..<11)
        #expect(d.field("sll.halen")?.value == .uint(6))
        #expect(d.field("sll.src.eth")?.value == .mac(MACAddress(0x0200_0000_0001)))
        #expect(d.field("sll.unused")?.range == 18..<20)
        #expect(d.field("ip.src")?.value == .ipv4(IPv4Address(192, 0, 2, 1)))
    }

    @Test func sllDecodesAndPrintsAsTcpdump() throws {
        #expect(Summary.string(Self.sll, linkType: .linuxSLL) == "IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2")
        let d = Dissector.dissect(Self.sll, linkType: .linuxSLL)
        #expect(d.malformed == nil && d.layers.map(\.name) == ["sll", "ip", "udp", "data"])
        let sll = try #require(d.layer("sll"))
        #expect(sll.title == "Linux cooked capture v1" && sll.range == 0..<16)
        #expect(sll.fields.map { $0.name.description } == ["sll.pkttype", "sll.hatype", "sll.halen", "sll.src.eth", "sll.unused", "sll.etype"])
        #expect(d.field("sll.pkttype")?.value == .uint(0) && d.field("sll.pkttype")?.range == 0..<2)
        #expect(d.field("sll.etype")?.range == 14..<16)
    }

    /// tcpdump -nn: every packet type's word, padded to 3; a long name is not cut.
    @Test func packetTypesAndNamesArePaddedAsTcpdump() {
        var b = Self.sll2
        let words = ["In ", "B  ", "M  ", "P  ", "Out", "?  "]
        for (type, word) in words.enumerated() {
            b[10] = UInt8(type)
            #expect(Summary.string(b, linkType: .linuxSLL2, interfaceNames: Self.names)
                    == "eth0  \(word) IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2")
        }
        b[7] = 7
        b[10] = 0
        #expect(Summary.string(b, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "veth-lab0 In  IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2")
    }

    @Test func originReadsIndexAndTypeWithoutDissecting() {
        #expect(LinuxCooked.origin(ofSLL2: Self.sll2) == LinuxCooked.Origin(interfaceIndex: 2, packetType: .outgoing))
        #expect(LinuxCooked.origin(ofSLL2: Self.sll2)?.packetType.isOutgoing == true)
        #expect(LinuxCooked.origin(ofSLL2: Array(Self.sll2.prefix(19))) == nil)
        var b = Self.sll2
        b[4...7] = [0xff, 0xff, 0xff, 0xfe]
        b[10] = 0
        #expect(LinuxCooked.origin(ofSLL2: b) == LinuxCooked.Origin(interfaceIndex: 0xffff_fffe, packetType: .host))
    }

    /// tcpdump -nn: Out ethertype Unknown (0x1234), length 22:      (SLL, a tun: no address)
    /// tcpdump -nn: eth0  In  ifindex 2 02:00:00:00:00:01 ethertype NS (0x0600), length 26:
    @Test func unknownProtocolPrintsTheHeaderAsTcpdump() {
        let tun: Bytes = [0, 4, 0xff, 0xfe, 0, 0] + Array(repeating: 0, count: 8) + [0x12, 0x34] + Array("abcdef".utf8)
        #expect(Summary.string(tun, linkType: .linuxSLL) == "Out ethertype Unknown (0x1234), length 22: ")
        var b = Array(Self.sll2.prefix(20)) + Array("abcdef".utf8)
        b[0] = 0x06
        b[10] = 0
        #expect(Summary.string(b, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  ifindex 2 02:00:00:00:00:01 ethertype NS (0x0600), length 26: ")
        let d = Dissector.dissect(tun, linkType: .linuxSLL)
        #expect(d.field("sll.etype")?.value == .uint(0x1234) && d.field("sll.unused")?.range == 6..<14)
        #expect(d.field("sll.src.eth") == nil && d.layers.map(\.name) == ["sll", "data"])
    }

    /// tcpdump -nn: eth0  In  ethertype IPv4, IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2
    /// tcpdump -nn: eth0  In  ethertype Unknown, ifindex 2 02:00:00:00:00:01 ethertype 802.1Q (0x8100), length 23:
    @Test func vlanTagsAsTcpdump() {
        var b = Array(Self.sll2.prefix(20)) + [0x00, 0x05, 0x08, 0x00] + Self.udp
        b[0...1] = [0x81, 0x00]
        b[10] = 0
        #expect(Summary.string(b, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  ethertype IPv4, IP 192.0.2.1.1000 > 192.0.2.2.2000: UDP, length 2")
        let d = Dissector.dissect(b, linkType: .linuxSLL2)
        #expect(d.layers.map(\.name) == ["sll", "vlan", "ip", "udp", "data"] && d.field("vlan.id")?.value == .uint(5))
        let unknown = Array(b.prefix(24)) + Array("xyz".utf8)
        var u = unknown
        u[22...23] = [0x12, 0x34]
        #expect(Summary.string(u, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  ethertype Unknown, ifindex 2 02:00:00:00:00:01 ethertype 802.1Q (0x8100), length 23: ")
        #expect(Summary.string(Array(b.prefix(23)), linkType: .linuxSLL2, interfaceNames: Self.names) == "eth0  In   [|vlan]")
    }

    /// tcpdump -nn: eth0  In  STP 802.1d, Config, Flags [none], bridge-id 8000.02:00:00:00:00:02.8001, length 35
    /// tcpdump -nn: eth0  In  Unknown SSAP 0x34 > Unknown DSAP 0x12 Unnumbered, ui, Flags [Command], length 5
    /// tcpdump -nn: eth0  In  NetBeui Unnumbered, ui, Flags [Command], length 5
    @Test func llcAsTcpdumpWithoutAddresses() {
        var header = Array(Self.sll2.prefix(20))
        header[0...1] = [0x00, 0x04]
        header[10] = 0
        let stp: Bytes = [0x42, 0x42, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                          0x00, 0x80, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x01, 0x01, 0x00, 0x14, 0x00, 0x02, 0x00, 0x0f, 0x00]
        #expect(Summary.string(header + stp, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  STP 802.1d, Config, Flags [none], bridge-id 8000.02:00:00:00:00:02.8001, length 35")
        #expect(Summary.string(header + [0x12, 0x34, 0x03, 0x7a, 0x7a], linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  Unknown SSAP 0x34 > Unknown DSAP 0x12 Unnumbered, ui, Flags [Command], length 5")
        #expect(Summary.string(header + [0xf0, 0xf0, 0x03, 0x7a, 0x7a], linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  NetBeui Unnumbered, ui, Flags [Command], length 5")
        let d = Dissector.dissect(header + stp, linkType: .linuxSLL2)
        #expect(d.field("sll.ltype")?.value == .uint(4) && d.field("sll.etype") == nil)
        #expect(d.layers.map(\.name).prefix(2) == ["sll", "llc"])
    }

    /// tcpdump -nn: eth0  In  IPX 00000002.02:00:00:00:00:01.4000 > 00000001.ff:ff:ff:ff:ff:ff.0451: ipx-ncp 4
    /// tcpdump -nn: eth0  In  IPX 00000002.02:00:00:00:00:01.4000 > 00000001.ff:ff:ff:ff:ff:ff.1234: [length 16 < 30] (invalid)
    /// tcpdump -nn: eth0  In  IPX  [|ipx]
    @Test func novellRawIPXAsTcpdump() {
        var header = Array(Self.sll2.prefix(20))
        header[0...1] = [0x00, 0x01]
        header[10] = 0
        let ipx: Bytes = [0xff, 0xff, 0x00, 0x22, 0x00, 0x11, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x04, 0x51,
                          0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x40, 0x00] + Array("abcd".utf8)
        #expect(Summary.string(header + ipx, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  IPX 00000002.02:00:00:00:00:01.4000 > 00000001.ff:ff:ff:ff:ff:ff.0451: ipx-ncp 4")
        var bad = ipx
        bad[3] = 0x10
        bad[16...17] = [0x12, 0x34]
        #expect(Summary.string(header + bad, linkType: .linuxSLL2, interfaceNames: Self.names)
                == "eth0  In  IPX 00000002.02:00:00:00:00:01.4000 > 00000001.ff:ff:ff:ff:ff:ff.1234: [length 16 < 30] (invalid)")
        #expect(Summary.string(header + ipx.prefix(29), linkType: .linuxSLL2, interfaceNames: Self.names) == "eth0  In  IPX  [|ipx]")
        let d = Dissector.dissect(header + ipx, linkType: .linuxSLL2)
        #expect(d.field("sll.ltype")?.value == .uint(1) && d.layers.map(\.name) == ["sll", "data"])
    }

    /// Wireshark takes a 4-byte address as IPv4 and any other length but 0 and 6 as bytes, at
    /// most 8 of them; tcpdump prints the header only for 6.
    @Test func addressLengthsAsWireshark() {
        var b = Self.sll2
        b[11] = 4
        b[12...15] = [192, 0, 2, 1]
        var d = Dissector.dissect(b, linkType: .linuxSLL2)
        #expect(d.field("sll.src.ipv4")?.value == .ipv4(IPv4Address(192, 0, 2, 1)) && d.field("sll.unused")?.range == 16..<20)
        b[11] = 255
        d = Dissector.dissect(b, linkType: .linuxSLL2)
        #expect(d.field("sll.src.other")?.range == 12..<20 && d.field("sll.unused") == nil && d.malformed == nil)
        b[11] = 0
        d = Dissector.dissect(b, linkType: .linuxSLL2)
        #expect(d.field("sll.src.other") == nil && d.field("sll.unused")?.range == 12..<20)
        // GRE tunnels name the protocol a GRE type.
        b[8...9] = [0x03, 0x0a]
        d = Dissector.dissect(b, linkType: .linuxSLL2)
        #expect(d.field("sll.gretype")?.value == .uint(0x0800) && d.field("sll.etype") == nil && d.layer("ip") != nil)
    }

    /// Every prefix of a good packet decodes to an error or a shorter decode, never a trap, and
    /// a cut header says so (tcpdump: " [|sll]", " [|sll2]").
    @Test(arguments: [LinkType.linuxSLL, .linuxSLL2])
    func everyTruncatedPrefixFailsCleanly(linkType: LinkType) {
        let full = linkType == .linuxSLL ? Self.sll : Self.sll2
        let header = linkType == .linuxSLL ? 16 : 20
        for n in 0..<full.count {
            let cut = Array(full.prefix(n))
            let d = Dissector.dissect(cut, linkType: linkType)
            #expect(d.malformed != nil, "prefix \(n) decoded without complaint")
            var w = TextWriter()
            Summary.write(cut, linkType: linkType, interfaceNames: Self.names, into: &w)
            TreeFormatter.write(d, frame: FrameInfo(number: 1, seconds: 0, microseconds: 0, originalLength: full.count), bytes: cut, into: &w)
            JSONFormatter.write(d, frame: FrameInfo(number: 1, seconds: 0, microseconds: 0, originalLength: full.count), bytes: cut, into: &w)
            if n < header {
                #expect(d.layers.isEmpty && Summary.string(cut, linkType: linkType) == (header == 16 ? " [|sll]" : " [|sll2]"))
            } else {
                #expect(d.layers.first?.name == "sll")
            }
            // Cut by the capture (the wire held more): not the packet's fault.
            #expect(Dissector.dissect(cut, linkType: linkType, wireLength: full.count).malformed == nil)
        }
    }
}
