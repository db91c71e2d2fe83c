import Foundation
import Testing
import Wire
@testable import Capture

/// Builds capture files byte by byte, so each test knows exactly what is in the file.
enum PcapBytes {
    static let syn: Bytes = [
        0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0xc4, 0xc0, 0x00, 0x02, 0x02,
        0x22, 0xc2, 0x95, 0x43, 0x78, 0x0c, 0x00, 0x50, 0xf4, 0x70, 0x98, 0x8b, 0x00, 0x00, 0x00, 0x00,
        0x60, 0x02, 0xff, 0xff, 0x18, 0xc6, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
    ]

    static func le32(_ v: UInt32) -> Bytes { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
    static func le16(_ v: UInt16) -> Bytes { [UInt8(v & 0xff), UInt8(v >> 8)] }

    /// A classic little-endian pcap file (magic a1b2c3d4, version 2.4).
    static func pcap(linkType: UInt32 = 101, _ packets: [(Bytes, UInt32, UInt32)]) -> Bytes {
        var f = le32(0xa1b2_c3d4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(linkType)
        for (bytes, sec, usec) in packets {
            f += le32(sec) + le32(usec) + le32(UInt32(bytes.count)) + le32(UInt32(bytes.count)) + bytes
        }
        return f
    }

    /// A minimal pcapng file: section header, one interface, enhanced packet blocks.
    static func pcapng(linkType: UInt16 = 101, _ packets: [Bytes]) -> Bytes {
        var f = le32(0x0a0d_0d0a) + le32(28) + le32(0x1a2b_3c4d) + le16(1) + le16(0) + le32(0xffff_ffff) + le32(0xffff_ffff) + le32(28)
        f += le32(1) + le32(20) + le16(linkType) + le16(0) + le32(65535) + le32(20)
        for p in packets {
            let padded = p + Bytes(repeating: 0, count: (4 - p.count % 4) % 4)
            let total = UInt32(32 + padded.count)
            f += le32(6) + le32(total) + le32(0) + le32(0) + le32(1_000_000) + le32(UInt32(p.count)) + le32(UInt32(p.count))
            f += padded + le32(total)
        }
        return f
    }

    static func write(_ bytes: Bytes, name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunscope-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

@Suite struct CaptureFileReaderTests {
    @Test func readsPacketsWithTheirTimes() throws {
        let path = try PcapBytes.write(PcapBytes.pcap([(PcapBytes.syn, 1_700_000_000, 123_456)]), name: "one.pcap")
        let r = try CaptureFileReader(path: path)
        #expect(r.linkType.isSupported)
        let p = try #require(try r.next())
        #expect(p.bytes == PcapBytes.syn)
        #expect(p.seconds == 1_700_000_000 && p.microseconds == 123_456)
        #expect(try r.next() == nil)
    }

    @Test func readsPcapng() throws {
        let path = try PcapBytes.write(PcapBytes.pcapng([PcapBytes.syn, PcapBytes.syn]), name: "two.pcapng")
        let r = try CaptureFileReader(path: path)
        #expect(try r.next()?.bytes == PcapBytes.syn)
        #expect(try r.next()?.bytes == PcapBytes.syn)
        #expect(try r.next() == nil)
    }

    @Test func filtersWithBPF() throws {
        let path = try PcapBytes.write(PcapBytes.pcap([(PcapBytes.syn, 1, 0), (PcapBytes.syn, 2, 0)]), name: "f.pcap")
        let tcp = try CaptureFileReader(path: path, filter: "tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0")
        #expect(try tcp.next()?.seconds == 1)
        #expect(try tcp.next()?.seconds == 2)
        let udp = try CaptureFileReader(path: path, filter: "udp")
        #expect(try udp.next() == nil)
    }

    @Test func badFilterSaysWhatLibpcapSaid() throws {
        let path = try PcapBytes.write(PcapBytes.pcap([(PcapBytes.syn, 1, 0)]), name: "bad-filter.pcap")
        #expect {
            try CaptureFileReader(path: path, filter: "tcp port eighty")
        } throws: { error in
            "\(error)".hasPrefix("filter 'tcp port eighty': ")
        }
    }

    @Test func missingFileNamesTheFile() {
        #expect {
            try CaptureFileReader(path: "/nonexistent/capture.pcap")
        } throws: { error in
            "\(error)".contains("/nonexistent/capture.pcap") && "\(error)".contains("No such file")
        }
    }

    @Test func notACaptureSaysSo() throws {
        let path = try PcapBytes.write(Array("hello, this is not a capture file at all".utf8), name: "text.pcap")
        #expect {
            try CaptureFileReader(path: path)
        } throws: { error in
            "\(error)".contains("not a pcap or pcapng capture file")
        }
    }

    @Test func fileCutShortKeepsThePacketsBeforeTheDamage() throws {
        let whole = PcapBytes.pcap([(PcapBytes.syn, 1, 0), (PcapBytes.syn, 2, 0)])
        let path = try PcapBytes.write(Array(whole.dropLast(10)), name: "cut.pcap")
        let r = try CaptureFileReader(path: path)
        #expect(try r.next()?.seconds == 1)
        #expect {
            try r.next()
        } throws: { error in
            "\(error)".contains("truncated")
        }
    }

    @Test func writerProducesAFileTheReaderReadsBack() throws {
        let path = try PcapBytes.write([], name: "written.pcap")
        let w = try CaptureFileWriter(path: path, linkType: .raw)
        w.write(CapturedPacket(bytes: PcapBytes.syn, seconds: 5, microseconds: 7))
        w.write(CapturedPacket(bytes: Array(PcapBytes.syn.prefix(20)), seconds: 6, microseconds: 8, originalLength: 44))
        try w.close()
        let r = try CaptureFileReader(path: path)
        #expect(r.linkType == .raw)
        let a = try #require(try r.next())
        #expect(a.bytes == PcapBytes.syn && a.seconds == 5 && a.microseconds == 7)
        let b = try #require(try r.next())
        #expect(b.bytes.count == 20 && b.originalLength == 44)
        #expect(try r.next() == nil)
    }

    /// A name ending in .pcapng gets pcapng (block by block, libpcap writes none): libpcap reads
    /// it back whole, comments (the kernel's verdicts) and all, where its blocks' lengths allow.
    @Test func aPcapngNameGetsPcapngWithCommentsTheReaderReadsBack() throws {
        let path = try PcapBytes.write([], name: "written.pcapng")
        let w = try CaptureFileWriter(path: path, linkType: .raw)
        w.write(CapturedPacket(bytes: PcapBytes.syn, seconds: 1_700_000_005, microseconds: 7), comment: "kernel dropped it: TCP_CSUM in tcp_v4_rcv")
        w.write(CapturedPacket(bytes: Array(PcapBytes.syn.prefix(21)), seconds: 6, microseconds: 999_999, originalLength: 44))
        try w.close()
        let data = try #require(FileManager.default.contents(atPath: path))
        #expect(data.prefix(4) == Data([0x0a, 0x0d, 0x0d, 0x0a]), "a section header block first")
        #expect(data.range(of: Data("kernel dropped it: TCP_CSUM in tcp_v4_rcv".utf8)) != nil)
        let r = try CaptureFileReader(path: path)
        #expect(r.linkType == .raw)
        let a = try #require(try r.next())
        #expect(a.bytes == PcapBytes.syn && a.seconds == 1_700_000_005 && a.microseconds == 7)
        let b = try #require(try r.next())
        #expect(b.bytes == Array(PcapBytes.syn.prefix(21)) && b.originalLength == 44 && b.seconds == 6 && b.microseconds == 999_999)
        #expect(try r.next() == nil)
    }

    @Test func writerToAnUnwritablePathSaysWhy() {
        #expect {
            try CaptureFileWriter(path: "/nonexistent-dir/out.pcap", linkType: .raw)
        } throws: { error in
            "\(error)".contains("/nonexistent-dir/out.pcap")
        }
    }
}
