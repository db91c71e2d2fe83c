#if canImport(Glibc)
import Glibc
#endif
import CPcap
import Wire

/// One libpcap live capture on a device, set up as tcpdump sets up its own (pcap_create, snap
/// length 262144, the kernel's timestamps, a 1 ms timeout), non-blocking so that one thread
/// can serve several. Not thread-safe: the capture thread alone uses it.
final class PcapLiveHandle {
    let device: String
    let handle: OpaquePointer
    let linkType: LinkType
    /// The kernel's poll(2)-able descriptor for the handle.
    let descriptor: Int32

    static let snapLength = 262_144

    /// Opens `device`. `bufferKiB` is tcpdump's -B; `linuxCooked` asks for link type SLL2 (only
    /// the `any` device offers it). Errors say what failed and what to do.
    init(device: String, bufferKiB: Int?, linuxCooked: Bool = false) throws {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_create(device, &errbuf) else {
            throw CaptureError("\(device): \(String(cString: errbuf))")
        }
        pcap_set_snaplen(h, Int32(Self.snapLength))
        pcap_set_promisc(h, 0)
        // Each packet within a millisecond: the screen shows a handshake as it happens. Not
        // libpcap's immediate mode: on Linux (libpcap 1.10) it falls back to TPACKET_V2, whose
        // ring gives every packet a frame of the full snap length, 256 KiB, so the default 2 MiB
        // buffer holds 7 packets and a flood overflows it at once (a tun flooded at 130,000
        // packets/s: 47% dropped, tcpdump -w none). TPACKET_V3 packs packets into blocks that
        // the kernel hands over when full or after this timeout.
        pcap_set_timeout(h, 1)
        if let bufferKiB { pcap_set_buffer_size(h, Int32(clamping: bufferKiB * 1024)) }
        let status = pcap_activate(h)
        if status < 0 {
            let reason = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw Self.activationError(device: device, status: status, reason: reason)
        }
        if linuxCooked && pcap_set_datalink(h, 276) != 0 {
            let reason = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw CaptureError("\(device): cannot capture as Linux cooked v2: \(reason)")
        }
        if pcap_setnonblock(h, 1, &errbuf) != 0 {
            pcap_close(h)
            throw CaptureError("\(device): \(String(cString: errbuf))")
        }
        handle = h
        self.device = device
        linkType = LinkType(rawValue: Int(pcap_datalink(h)))
        descriptor = pcap_get_selectable_fd(h)
        // A socket asking for timestamps makes the kernel stamp each packet once, as it enters or
        // leaves the device, and every packet socket then reads that one time (otherwise each
        // takes its own as it copies the packet): so ours are tcpdump's to the microsecond.
        var on: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_TIMESTAMP, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { pcap_close(handle) }

    private static func activationError(device: String, status: Int32, reason: String) -> CaptureError {
        switch status {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return CaptureError("\(device): no such interface here ('tunscope -D' lists those there are)")
        case PCAP_ERROR_PERM_DENIED:
            return CaptureError("""
                \(device): watching needs the CAP_NET_RAW capability, as tcpdump does: run tunscope with sudo \
                (it gives up root once the capture is open)
                """)
        case PCAP_ERROR_IFACE_NOT_UP:
            return CaptureError("\(device) is down: bring it up with 'ip link set \(device) up'")
        default:
            return CaptureError("\(device): \(reason.isEmpty ? "libpcap could not start capturing" : reason)")
        }
    }

    /// Installs a capture filter compiled for this handle (kernel-side where the kernel can run
    /// it). libpcap's message when it does not compile.
    func setFilter(_ expression: String) throws {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, tunscope_pcap_netmask_unknown()) == 0 else {
            throw CaptureError("filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw CaptureError("filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// Keeps only packets that came in (`PCAP_D_IN`) or went out (`PCAP_D_OUT`) of the device
    /// (pcap_setdirection, tcpdump's -Q). libpcap tells them apart as it reads the kernel's
    /// buffer: the filter words `inbound` and `outbound` would do it in the kernel, but on this
    /// kernel (6.18, libpcap 1.10.3) a tun's packets pass neither.
    func keepOnly(_ direction: pcap_direction_t) throws {
        guard pcap_setdirection(handle, direction) == 0 else {
            throw CaptureError("\(device): cannot tell directions apart: \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// Calls `body` for each packet waiting (none when none is), at most `limit`. Returns how
    /// many, or throws when the device went away or capture failed.
    func dispatch(limit: Int32, _ body: (UnsafePointer<pcap_pkthdr>, UnsafePointer<UInt8>) -> Void) throws -> Int {
        try withoutActuallyEscaping(body) { body in
            var context = body
            let n = withUnsafeMutablePointer(to: &context) { pointer in
                pcap_dispatch(handle, limit, { user, header, bytes in
                    guard let user, let header, let bytes else { return }
                    let body = user.withMemoryRebound(to: ((UnsafePointer<pcap_pkthdr>, UnsafePointer<UInt8>) -> Void).self,
                                                      capacity: 1) { $0.pointee }
                    body(header, bytes)
                }, UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: UInt8.self))
            }
            if n >= 0 { return Int(n) }
            if n == PCAP_ERROR_BREAK { return 0 }
            throw goneOrFailed(String(cString: pcap_geterr(handle)))
        }
    }

    /// libpcap says "The interface disappeared" or "went down" (ENODEV, ENETDOWN) for a device
    /// deleted or taken down under it.
    private func goneOrFailed(_ reason: String) -> CaptureError {
        let lower = reason.lowercased()
        if lower.contains("disappeared") || lower.contains("no such device") {
            return CaptureError("\(device) went away (the device was deleted)")
        }
        if lower.contains("went down") || lower.contains("network is down") {
            return CaptureError("\(device) went down")
        }
        return CaptureError("\(device): capture failed: \(reason)")
    }

    /// Packets the kernel dropped because this handle's buffer was full (pcap_stats' ps_drop),
    /// since it was opened.
    var kernelDropped: Int? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return Int(stats.ps_drop)
    }

    /// Sends `bytes` out of the device as if the kernel sent it (pcap_inject): on a tun, the
    /// program holding it reads it.
    func inject(_ bytes: Bytes) throws {
        let n = bytes.withUnsafeBytes { pcap_inject(handle, $0.baseAddress, $0.count) }
        if n < 0 {
            throw CaptureError("\(device): injecting failed: \(String(cString: pcap_geterr(handle)))")
        }
    }
}
