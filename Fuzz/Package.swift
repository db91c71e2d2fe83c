// swift-tools-version:6.0
// The fuzzers: one libFuzzer executable, the target chosen by TUNSCOPE_FUZZ_TARGET. Built by
// Fuzz/run.sh with -sanitize=fuzzer,address; kept out of the main package so `swift build`
// and `swift test` never need libFuzzer.
import PackageDescription

let package = Package(
    name: "tunscope-fuzz",
    dependencies: [.package(name: "tunscope", path: "..")],
    targets: [
        .executableTarget(name: "fuzz", dependencies: [.product(name: "Fuzzing", package: "tunscope")]),
    ]
)
