import Wire

/// The Linux cooked v2 (SLL2) header `tcpdump -i any` would have given a packet, for captures
/// that store the packets of several devices in one list: the protocol, the interface's index,
/// its hardware type, the packet type (which way it went) and the source address. Made by
/// `WatchCapture` for the devices it watches, and by `LiveCapture` for its tun beside the
/// devices it watches (the lab's outside interface).
struct CookedHeader {
    static let length = 20

    /// What the header says of the device a packet crossed.
    var interfaceIndex: Int
    /// ARPHRD_* from /sys (0xFFFE, ARPHRD_NONE, for a tun).
    var hardwareType: UInt16
    /// The device's own link type: an Ethernet frame loses its header to the cooked one.
    var linkType: LinkType
    /// An Ethernet device's own address, to tell a packet for this host from one for another.
    var ownMAC: [UInt8] = []

    /// The header for `bytes` that went `direction` (`.received`: the kernel sent it out of the
    /// device, PACKET_OUTGOING), and how many of the packet's first bytes it replaces (`skip`):
    /// an Ethernet frame's 14, as on `any`; an IP packet from a tun keeps every byte.
    func make(for bytes: UnsafeRawBufferPointer, direction: Direction) -> (bytes: [UInt8], skip: Int) {
        var header = [UInt8](repeating: 0, count: Self.length)
        func put16(_ v: UInt16, at i: Int) { header[i] = UInt8(v >> 8); header[i + 1] = UInt8(v & 0xff) }
        let index = UInt32(truncatingIfNeeded: interfaceIndex)
        for i in 0..<4 { header[4 + i] = UInt8(truncatingIfNeeded: index >> (24 - 8 * i)) }
        put16(hardwareType, at: 8)
        var skip = 0
        if linkType == .ethernet && bytes.count >= 14 {
            skip = 14
            let type = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
            // A length, not a type: 802.3 with 802.2 LLC (ETH_P_802_2), or Novell's raw 802.3 (ETH_P_802_3).
            put16(type > 1500 ? type : (bytes.count >= 16 && bytes[14] == 0xff && bytes[15] == 0xff ? 1 : 4), at: 0)
            header[11] = 6
            for i in 0..<6 { header[12 + i] = bytes[6 + i] }
            header[10] = packetType(bytes, direction: direction)
        } else {
            // Raw IP: the version says which.
            put16(bytes.first.map { $0 >> 4 == 6 ? EtherType.ipv6 : EtherType.ipv4 } ?? EtherType.ipv4, at: 0)
            header[10] = direction == .received ? 4 : 0
        }
        return (header, skip)
    }

    /// Adds `packet` to `batch` under its header, written in place (no copy of the packet made first).
    func add(_ packet: UnsafeRawBufferPointer, seconds: Int, microseconds: Int, originalLength: Int, direction: Direction,
             to batch: inout PacketStore.Batch) {
        let (header, skip) = make(for: packet, direction: direction)
        let length = header.count + packet.count - skip
        batch.add(upTo: length, direction: direction) { space in
            space.copyBytes(from: header)
            UnsafeMutableRawBufferPointer(rebasing: space[header.count...])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: packet[skip...]))
            return (length, seconds, microseconds, originalLength + header.count - skip)
        }
    }

    /// PACKET_OUTGOING (4) for what the host sent; for what it got, PACKET_HOST (0),
    /// PACKET_BROADCAST (1), PACKET_MULTICAST (2) or PACKET_OTHERHOST (3) by the destination.
    private func packetType(_ bytes: UnsafeRawBufferPointer, direction: Direction) -> UInt8 {
        if direction == .received { return 4 }
        let destination = bytes[0..<6]
        if destination.allSatisfy({ $0 == 0xff }) { return 1 }
        if destination.first! & 1 == 1 { return 2 }
        return ownMAC.isEmpty || destination.elementsEqual(ownMAC) ? 0 : 3
    }
}
