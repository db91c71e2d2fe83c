import Wire

/// Packets used across the Wire tests, each with the line tcpdump prints for it.
enum TestVectors {
    /// The reference SYN from DESIGN.md.
    /// tcpdump -nn -S: IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0
    ///     0x0000:  4500 002c 0001 0000 4006 00c4 c000 0202  E..,....@.......
    ///     0x0010:  22c2 9543 780c 0050 f470 988b 0000 0000  "..Cx..P.p......
    ///     0x0020:  6002 ffff 18c6 0000 0204 05b4            `...........
    static let referenceSYN: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00,
        0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    ]
    static let referenceSYNLine =
        "IP 192.0.2.2.30732 > 34.194.149.67.80: Flags [S], seq 4101019787, win 65535, options [mss 1460], length 0"
}
