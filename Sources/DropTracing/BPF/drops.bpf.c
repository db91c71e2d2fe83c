// The kernel side of tunscope's verdicts: on every packet the kernel frees as dropped (the
// skb:kfree_skb tracepoint, Linux 5.17+), copy its reason, where it happened, its namespace,
// device and the start of its network header into a ring buffer, for the namespaces user space
// asked for. CO-RE: built against vmlinux.h from the build machine's BTF, relocated by libbpf
// against the running kernel's.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "drop_event.h"  // Sources/CBPF: shared with the Swift side

char LICENSE[] SEC("license") = "GPL";

// Network namespace inodes to report drops in (filled by user space before attaching).
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u8);
} watched_netns SEC(".maps");

// Fixed size: under a drop storm events are lost (and counted), never queued without limit.
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 22);  /* 4 MiB: about 24,000 events, a third of a second of a storm */
} events SEC(".maps");

// Events that found the ring buffer full, per CPU (no atomics on the hot path).
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} lost_events SEC(".maps");

// The namespace of the device the packet is on; a packet without a device (freed from a
// socket's queue) is in its socket's namespace.
static __always_inline __u32 netns_inode(struct sk_buff *skb, struct net_device *dev)
{
    if (dev)
        return BPF_CORE_READ(dev, nd_net.net, ns.inum);
    struct sock *sk = BPF_CORE_READ(skb, sk);
    if (sk)
        return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
    return 0;
}

// tp_btf: typed arguments from BTF, no tracefs needed. The first three arguments are the same
// since 5.17 (a fourth, rx_sk, came in 6.11 and is not read).
SEC("tp_btf/kfree_skb")
int BPF_PROG(on_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
    // Not drops: packets freed after use, and frees nobody gave a reason for (older kernels
    // number these from 0, newer ones from 2, so the values come from the running kernel's BTF).
    if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED) &&
        reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
        return 0;
    if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
        return 0;
    if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_NOT_DROPPED_YET) &&
        reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET))
        return 0;

    struct net_device *dev = BPF_CORE_READ(skb, dev);
    __u32 inode = netns_inode(skb, dev);
    if (!bpf_map_lookup_elem(&watched_netns, &inode))
        return 0;

    struct drop_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
        __u32 zero = 0;
        __u64 *lost = bpf_map_lookup_elem(&lost_events, &zero);
        if (lost)
            *lost += 1;
        return 0;
    }
    e->time_ns = bpf_ktime_get_ns();
    e->location = (__u64)location;
    e->reason = reason;
    e->netns_inode = inode;
    e->protocol = BPF_CORE_READ(skb, protocol);
    e->ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
    __builtin_memset(e->device, 0, sizeof(e->device));
    if (dev)
        bpf_probe_read_kernel_str(e->device, sizeof(e->device), &dev->name);

    // The network header, as far as the linear data goes (headers always are there).
    unsigned char *head = BPF_CORE_READ(skb, head);
    __u16 network = BPF_CORE_READ(skb, network_header);
    __u32 tail = BPF_CORE_READ(skb, tail);
    __u32 length = 0;
    if (network != (__u16)~0U && tail > network)
        length = tail - network;
    if (length > DROP_HEADER_BYTES)
        length = DROP_HEADER_BYTES;
    e->header_length = length;
    if (bpf_probe_read_kernel(e->header, length, head + network))
        e->header_length = 0;
    bpf_ringbuf_submit(e, 0);
    return 0;
}
