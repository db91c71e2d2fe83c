// One drop as the BPF program (Sources/DropTracing/BPF/drops.bpf.c) hands it to user space; the
// same struct is read in Swift (DropTracer.swift), so the two cannot disagree.
#ifndef DROP_EVENT_H
#define DROP_EVENT_H

#define DROP_HEADER_BYTES 128

struct drop_event {
    __u64 time_ns;       // CLOCK_MONOTONIC (bpf_ktime_get_ns)
    __u64 location;      // the kernel address that freed the packet
    __u32 reason;        // enum skb_drop_reason
    __u32 netns_inode;
    __u32 ifindex;       // 0: no device
    __u16 protocol;      // skb->protocol, network byte order (ETH_P_IP, ETH_P_IPV6)
    __u16 header_length; // bytes of header[] that were copied
    char device[16];
    unsigned char header[DROP_HEADER_BYTES]; // from the network header on
};

#endif
