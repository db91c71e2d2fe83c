import Foundation
import PackagePlugin

/// Builds the DropTracing target's BPF program at build time: vmlinux.h from this machine's kernel
/// BTF (bpftool), the object with clang's BPF target, and the object as a Swift file (base64)
/// that the target compiles in, so the binary carries its BPF program. See BPF/build-object.sh.
@main
struct BPFObjectBuilder: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let sources = context.package.directoryURL.appending(path: "Sources")
        let bpf = sources.appending(path: "DropTracing/BPF")
        let script = bpf.appending(path: "build-object.sh")
        let header = sources.appending(path: "CBPF/drop_event.h")
        let output = context.pluginWorkDirectoryURL.appending(path: "BPFObject.swift")
        // The toolchain's clang targets BPF; the one on PATH is used when the toolchain has none.
        let clang = (try? context.tool(named: "clang").url.path) ?? "clang"
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return [.buildCommand(
            displayName: "Building the BPF drop tracer (drops.bpf.c)",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [script.path, bpf.path, header.deletingLastPathComponent().path, context.pluginWorkDirectoryURL.path,
                        output.path, clang],
            environment: environment,
            inputFiles: [script, bpf.appending(path: "drops.bpf.c"), header],
            outputFiles: [output])]
    }
}
