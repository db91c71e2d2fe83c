import Foundation
import Fuzzing
import Testing

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
