// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "tunscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tunscope", targets: ["tunscope"]),
        // For the fuzzing package in Fuzz/, which builds it with -sanitize=fuzzer,address.
        .library(name: "Fuzzing", targets: ["Fuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libpcap: capture files, pcap writing and BPF filters (Debian: libpcap-dev).
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // PCRE2 (Debian: libpcre2-dev): the regular expressions of display filters' `matches`, Wireshark's engine.
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        // TUNSETIFF, setns and prctl: function-like macros and unions that Swift cannot import.
        .target(name: "CTun"),
        // libbpf (Debian: libbpf-dev) and the drop event struct shared with the BPF program.
        .systemLibrary(name: "CBPF", pkgConfig: "libbpf", providers: [.apt(["libbpf-dev"])]),
        // Byte views, dissection, packet building, checksums and the tcpdump-style summary.
        .target(name: "Wire"),
        // Capture files and (later) live devices and the packet store.
        .target(name: "Capture", dependencies: ["Wire", "CPcap", "CTun"]),
        // Network namespaces, addresses, routes and NAT: `tunscope setup` and the lab.
        .target(name: "Lab", dependencies: ["Wire", "CTun", "Capture"]),
        // The host at tunscope's end of the tun: TCP handshakes, pings, resends and edits, as pure state machines.
        .target(name: "Probe", dependencies: ["Wire"]),
        // State over the packet sequence: TCP connections whoever opened them (later conversations, reassembly).
        .target(name: "Analysis", dependencies: ["Wire"]),
        // Wireshark's display-filter language: parse, check, compile, evaluate on a dissection.
        .target(name: "DisplayFilter", dependencies: ["Wire", "CPCRE2"]),
        // The kernel's verdicts: drops, their reasons, and matching them to packets by their bytes.
        .target(name: "Verdicts", dependencies: ["Wire"]),
        // The eBPF drop tracer (libbpf, CO-RE) that reports them. Its BPF program (BPF/drops.bpf.c) is built
        // by the plugin with clang's BPF target and bpftool (see README). Apart from Verdicts: libbpf's
        // headers and libpcap's both define struct bpf_insn, so no module may see both.
        .target(name: "DropTracing", dependencies: ["Verdicts", "CBPF"], exclude: ["BPF"], plugins: ["BPFObjectBuilder"]),
        .plugin(name: "BPFObjectBuilder", capability: .buildTool()),
        // ncurses (Debian: libncursesw5-dev): the wide-character API and its macros as functions.
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncursesw5-dev"])]),
        // The only code that talks to ncurses: start and restore the terminal, keys, mouse, colours, drawing.
        .target(name: "Curses", dependencies: ["Screen", "CNCurses"]),
        // Terminal-free drawing: cells, buffers, rectangles, layout, styles and themes.
        .target(name: "Screen"),
        // Application state: the live host (capture + probes) that `send` and the screen drive.
        .target(name: "App", dependencies: ["Wire", "Capture", "Probe", "Analysis", "DisplayFilter", "Verdicts", "Screen", "Curses"]),
        .executableTarget(
            name: "tunscope",
            dependencies: ["Wire", "Capture", "Lab", "Probe", "Analysis", "DisplayFilter", "App", "Screen", "Curses", "Verdicts", "DropTracing", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // What the fuzzers feed arbitrary bytes to; `swift test` replays their corpora.
        .target(name: "Fuzzing", dependencies: ["Wire", "Capture", "Probe", "Screen", "Analysis", "DisplayFilter"]),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Wire"]),
        .testTarget(name: "LabTests", dependencies: ["Lab"]),
        .testTarget(name: "ProbeTests", dependencies: ["Probe", "Wire"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Wire"]),
        .testTarget(name: "VerdictsTests", dependencies: ["Verdicts", "DropTracing", "Wire"]),
        .testTarget(name: "DisplayFilterTests", dependencies: ["DisplayFilter", "Wire"]),
        .testTarget(name: "ScreenTests", dependencies: ["Screen"]),
        .testTarget(name: "FuzzingTests", dependencies: ["Fuzzing", "Wire"]),
        .testTarget(name: "AppTests", dependencies: ["App", "Screen", "Capture", "Probe", "Verdicts", "Wire"]),
        // Runs the built tunscope against tcpdump and tshark on a scapy-made capture.
        .testTarget(name: "CrossCheckTests", dependencies: ["Wire"], exclude: ["make_capture.py", "make_arbitrary_capture.py", "compare_json.py", "exercise_tun.py", "make_streams.py", "compare_streams.py", "make_fragments.py", "compare_fragments.py", "drop_tun.py", "tun_program.py"]),
    ]
)
