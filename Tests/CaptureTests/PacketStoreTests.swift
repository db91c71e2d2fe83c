import Testing
import Wire
@testable import Capture

@Suite struct PacketStoreTests {
    func packet(_ i: Int, size: Int = 40) -> CapturedPacket {
        CapturedPacket(bytes: Bytes((0..<size).map { UInt8(truncatingIfNeeded: $0 &+ i) }), seconds: i, microseconds: i % 1_000_000)
    }

    @Test func keepsBytesTimesAndDirectionsAndNumbersFromOne() throws {
        let store = PacketStore()
        #expect(store.newestNumber == 0)
        #expect(store.append(packet(1)) == 1)
        #expect(store.append(packet(2, size: 1500), direction: .sent) == 2)
        let two = try #require(store.packet(number: 2))
        #expect(two.packet.bytes == packet(2, size: 1500).bytes)
        #expect(two.packet.seconds == 2 && two.direction == .sent)
        #expect(store.packet(number: 1)?.direction == .received)
        #expect(store.packet(number: 3) == nil)
        #expect(store.counts == .init(stored: 2, total: 2, evicted: 0, bytes: 1540))
    }

    @Test func evictsTheOldestAtThePacketLimitAndCountsThem() {
        let store = PacketStore(limits: .init(packets: 100))
        for i in 1...250 { store.append(packet(i)) }
        #expect(store.counts == .init(stored: 100, total: 250, evicted: 150, bytes: 4000))
        #expect(store.packet(number: 150) == nil)
        #expect(store.packet(number: 151)?.packet.bytes == packet(151).bytes)
        #expect(store.packets(numbered: 1...1000).map(\.number) == Array(151...250))
    }

    @Test func evictsAtTheByteLimitAndFreesWholeChunks() {
        let store = PacketStore(limits: .init(packets: 1_000_000, bytes: 3 << 20))
        for i in 1...10_000 { store.append(packet(i, size: 1000)) }
        let c = store.counts
        #expect(c.bytes <= 3 << 20)
        #expect(c.stored + c.evicted == 10_000)
        #expect(store.packet(number: 10_000)?.packet.bytes == packet(10_000, size: 1000).bytes)
        #expect(store.packet(number: 10_000 - c.stored + 1)?.packet.bytes == packet(10_000 - c.stored + 1, size: 1000).bytes)
    }

    @Test func evictsAcrossEntryBlocksAndFindsEveryPacketStillStored() {
        // Entries live in blocks of 4096: fill several, evict through some, read back across them.
        let store = PacketStore(limits: .init(packets: 10_000))
        for i in 1...25_000 { store.append(packet(i, size: i % 60)) }
        #expect(store.counts == .init(stored: 10_000, total: 25_000, evicted: 15_000,
                                      bytes: (15_001...25_000).reduce(0) { $0 + $1 % 60 }))
        #expect(store.packet(number: 15_000) == nil)
        let kept = store.packets(numbered: 1...25_000)
        #expect(kept.map(\.number) == Array(15_001...25_000))
        #expect(kept.allSatisfy { $0.packet.bytes == packet($0.number, size: $0.number % 60).bytes && $0.packet.seconds == $0.number })
        var batch = PacketStore.Batch()
        store.copy(numbered: 14_000...16_000, into: &batch)
        #expect(batch.firstNumber == 15_001 && batch.count == 1_000)
        store.removeAll()
        #expect(store.append(packet(25_001)) == 25_001)
        #expect(store.packet(number: 25_001)?.packet.bytes == packet(25_001).bytes)
    }

    @Test func batchesStoreEveryPacketInOrder() {
        let store = PacketStore()
        var batch = PacketStore.Batch()
        for i in 1...300 { packet(i, size: i).bytes.withUnsafeBytes { batch.add($0, seconds: i, microseconds: 0) } }
        #expect(store.append(batch) == 300)
        #expect(store.packets(numbered: 1...300).allSatisfy { $0.packet.bytes == packet($0.number, size: $0.number).bytes })
    }

    @Test func removeAllKeepsNumberingGoing() {
        let store = PacketStore()
        for i in 1...5 { store.append(packet(i)) }
        store.removeAll()
        #expect(store.counts.stored == 0)
        #expect(store.append(packet(6)) == 6)
        #expect(store.all().map(\.number) == [6])
    }
}
