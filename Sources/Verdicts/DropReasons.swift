/// The kernel's names for its drop reasons, read from the running kernel's BTF (the enum
/// `skb_drop_reason`, by `DropTracing`), so any kernel's list is right, and a sentence a person understands for
/// the common ones.
public struct DropReasons: Sendable {
    /// Reason code to its kernel name without the SKB_DROP_REASON_ prefix (`TCP_CSUM`).
    public let names: [UInt32: String]

    public init(names: [UInt32: String]) { self.names = names }

    /// The kernel's name, or the number for a reason the kernel's list does not hold (a
    /// subsystem's own reasons, in the high bits).
    public func name(_ code: UInt32) -> String {
        names[code] ?? "reason 0x\(String(code, radix: 16))"
    }

    /// What the reason means for the packet, in one sentence; nil for the rarer ones.
    public static func explanation(_ name: String) -> String? { explanations[name] }

    private static let explanations: [String: String] = [
        "TCP_CSUM": "bad TCP checksum: the kernel drops the segment without an answer",
        "UDP_CSUM": "bad UDP checksum: the kernel drops the datagram without an answer",
        "ICMP_CSUM": "bad ICMP checksum: the kernel drops the message without an answer",
        "IP_CSUM": "bad IPv4 header checksum: dropped on arrival, before routing",
        "IP_INHDR": "a malformed IP header (version, header length or total length)",
        "PKT_TOO_SMALL": "the packet is shorter than its headers say",
        "NO_SOCKET": "no socket is bound to that address and port (TCP answers with a RST)",
        "NETFILTER_DROP": "a firewall rule (iptables or nftables) dropped it",
        "IP_RPFILTER": "reverse-path filter: replies to the source would not leave by this device (rp_filter)",
        "IP_INNOROUTES": "no route to the destination",
        "IP_INADDRERRORS": "the destination is not an address of this host and it does not forward (ip_forward is 0), or is invalid",
        "IP_NOPROTO": "no handler for the IP protocol number",
        "IP_LOCAL_SOURCE": "the source is an address of this host's own",
        "IP_INVALID_SOURCE": "the source address is invalid (multicast, broadcast or 0.0.0.0)",
        "IP_LOCALNET": "a loopback address (127.0.0.0/8) on a device that is not loopback",
        "IP_INVALID_DEST": "the destination address is invalid",
        "IP_OUTNOROUTES": "no route for a packet this host sends",
        "SOCKET_FILTER": "a filter on the socket (BPF, as tcpdump's) dropped it",
        "SOCKET_RCVBUFF": "the socket's receive buffer is full",
        "SOCKET_BACKLOG": "the socket's backlog is full",
        "PROTO_MEM": "the protocol's memory limit is reached",
        "OTHERHOST": "the frame is addressed to another host's MAC address",
        "UNICAST_IN_L2_MULTICAST": "a unicast IP packet in a multicast or broadcast frame",
        "TCP_INVALID_SEQUENCE": "the TCP sequence number is outside the receive window",
        "TCP_OLD_DATA": "the segment holds only data already received",
        "TCP_FLAGS": "TCP flags the connection's state does not allow",
        "TCP_RESET": "a RST ended the connection",
        "TCP_INVALID_SYN": "a SYN on a connection that is already open",
        "TCP_OLD_ACK": "an ACK older than what was already acknowledged",
        "TCP_ACK_UNSENT_DATA": "an ACK for data never sent",
        "TCP_LISTEN_OVERFLOW": "the listening socket's accept queue is full",
        "TCP_CLOSE": "the connection is closed",
        "NEIGH_FAILED": "the next hop's link address could not be resolved (ARP or neighbour discovery)",
        "QDISC_DROP": "the device's queue (qdisc) is full",
        "FULL_RING": "the device's queue is full (a tun nobody reads)",
        "DEV_READY": "the device is not ready (down, or no program holds the tun)",
        "TAP_FILTER": "the tun/tap device's filter dropped it",
        "UNHANDLED_PROTO": "no handler for the packet's protocol",
        "XFRM_POLICY": "an IPsec policy refused it",
    ]
}
