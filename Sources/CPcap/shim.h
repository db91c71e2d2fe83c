#ifndef TUNSCOPE_CPCAP_SHIM_H
#define TUNSCOPE_CPCAP_SHIM_H
#include <pcap/pcap.h>

/// PCAP_NETMASK_UNKNOWN is a macro of an unsigned constant; exposed as a function for Swift.
static inline bpf_u_int32 tunscope_pcap_netmask_unknown(void) { return PCAP_NETMASK_UNKNOWN; }
#endif
