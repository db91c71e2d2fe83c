import CPcap
import Wire

/// A compiled BPF expression (pcap_compile), tested against packets one at a time
/// (pcap_offline_filter): tcpdump's filter language for files, live devices and the screen.
public final class PacketFilter: @unchecked Sendable {
    public let expression: String
    private var program = bpf_program()

    /// Compiles `expression` for packets of `linkType`; throws libpcap's message when it is invalid.
    public init(_ expression: String, linkType: LinkType, snapLength: Int = 262_144) throws {
        self.expression = expression
        guard let dead = pcap_open_dead(Int32(linkType.rawValue), Int32(snapLength)) else {
            throw CaptureError("filter '\(expression)': libpcap could not start")
        }
        defer { pcap_close(dead) }
        if pcap_compile(dead, &program, expression, 1, tunscope_pcap_netmask_unknown()) != 0 {
            throw CaptureError("filter '\(expression)': \(String(cString: pcap_geterr(dead)))")
        }
    }

    deinit { pcap_freecode(&program) }

    /// The compiled instructions (struct bpf_insn, the kernel's struct sock_filter layout), to
    /// attach to a socket.
    func withInstructions<T>(_ body: (UnsafeRawPointer?, Int) -> T) -> T {
        body(UnsafeRawPointer(program.bf_insns), Int(program.bf_len))
    }

    public func matches(_ bytes: Bytes, originalLength: Int? = nil) -> Bool {
        bytes.withUnsafeBytes { matches($0, originalLength: originalLength) }
    }

    public func matches(_ bytes: UnsafeRawBufferPointer, originalLength: Int? = nil) -> Bool {
        var header = pcap_pkthdr()
        header.caplen = bpf_u_int32(bytes.count)
        header.len = bpf_u_int32(originalLength ?? bytes.count)
        return pcap_offline_filter(&program, &header, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)) != 0
    }
}
