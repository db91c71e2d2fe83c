import Wire

/// What the screen and `print -i` need of a live capture, whether tunscope holds the device
/// (`LiveCapture`, the far end) or watches it through libpcap (`WatchCapture`).
public protocol LiveSource: AnyObject, Sendable {
    var store: PacketStore { get }
    /// The link type of the stored packets.
    var linkType: LinkType { get }
    /// The names of the interfaces an SLL2 packet's index may point at, in the devices' namespace.
    var interfaceNames: InterfaceNames { get }
    var isRunning: Bool { get }
    /// Why capture stopped on its own (the device was deleted), if it did.
    var failure: CaptureError? { get }
    /// Packets the kernel dropped since capture started, when known.
    var kernelDropped: Int? { get }
    /// Why writes or injections failed since the last call.
    func takeSendErrors() -> [String]
    /// Waits until the store holds a packet newer than `number`, or `timeoutMilliseconds` pass.
    func waitForPackets(after number: Int, timeoutMilliseconds: Int32)
    /// Stops capturing and waits (at most a second) until it has.
    func stop()
}
