import Foundation
import Fuzzing
import Testing
import Wire

/// Every fuzzing seed, and every input that ever made a fuzzer fail (kept as regression-*),
/// through its target again: none may trap, hang or leak (the fuzzers run these under ASan).
struct CorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    @Test(arguments: FuzzTarget.allCases)
    func everySeedAndRegressionRunsCleanly(target: FuzzTarget) throws {
        let dir = Self.corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(!files.isEmpty, "no seeds for \(target.rawValue)")
        for name in files {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            target.run([UInt8](data))
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyPrefixOfTheSeedsRunsCleanly(target: FuzzTarget) throws {
        // Cut short anywhere: what a damaged file or a lying length gives.
        let dir = Self.corpus.appendingPathComponent(target.rawValue)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().prefix(5) {
            let data = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            for n in stride(from: 0, to: data.count, by: max(1, data.count / 64)) { target.run(Array(data.prefix(n))) }
        }
    }
}

/// The application targets put their bytes where their decoder reads them: together, the seeds
/// of each reach every layer it is for (a placement that missed its port would decode as data).
struct PlacementTests {
    @Test(arguments: [
        (FuzzTarget.dns, ["dns", "mdns", "llmnr"]), (.ntp, ["ntp"]), (.dhcp, ["dhcp"]), (.tls, ["tls"]), (.http, ["http"]), (.quic, ["quic"]),
    ])
    func seedsReachTheirDecoder(target: FuzzTarget, layers: [String]) throws {
        let dir = CorpusTests.corpus.appendingPathComponent(target.rawValue)
        var reached: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            let data = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            let packet = try #require(target.placedPacket(data))
            reached.formUnion(Dissector.dissect(packet.bytes, linkType: .raw, wireLength: packet.wireLength).layers.map(\.name))
        }
        #expect(Set(layers).isSubset(of: reached), "\(target.rawValue) reached only \(reached.sorted())")
    }

    @Test func otherTargetsPlaceNothing() {
        #expect(FuzzTarget.dissector.placedPacket([0, 1, 2]) == nil)
        #expect(FuzzTarget.dns.placedPacket([]) == nil)
    }
}
