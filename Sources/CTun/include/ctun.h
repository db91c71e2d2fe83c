#ifndef TUNSCOPE_CTUN_H
#define TUNSCOPE_CTUN_H
/* The few kernel calls Swift cannot make directly: TUNSETIFF is a function-like macro over a
 * union (struct ifreq), setns and prctl need _GNU_SOURCE. Only plain C types cross this line, so
 * the kernel headers stay inside ctun.c and never clash with Glibc's in Swift's module map. */

/** Attaches fd (an open /dev/net/tun) to tun or tap device `name`, creating it when the caller
 *  may. Returns 0, or -1 with errno set; `actual` (16 bytes) receives the device's name. */
int tunscope_tun_attach(int fd, const char *name, int tap, char *actual);

/** Moves the calling thread into the network namespace open at fd (setns(2), CLONE_NEWNET). */
int tunscope_enter_netns(int fd);

/** Sends `signal` to this process when its parent dies (prctl PR_SET_PDEATHSIG). */
int tunscope_parent_death_signal(int signal);

/** pipe2(fds, O_CLOEXEC): a pipe no child inherits unless handed it explicitly. */
int tunscope_pipe_cloexec(int fds[2]);

/** The hardware type (ARPHRD_*) and address of interface `name` in the calling thread's network
 *  namespace (SIOCGIFHWADDR): /sys shows the namespace it was mounted in, which a device in
 *  another namespace (the lab's) is not in. Returns the type, or -1 with errno; `mac` gets 6 bytes. */
int tunscope_hardware_address(const char *name, unsigned char mac[6]);

/** POSIX_SPAWN_SETSID: the posix_spawn flag that starts the child in a session of its own. */
short tunscope_spawn_setsid_flag(void);

/** Sets the nice value of the calling thread alone (setpriority(2) on its thread id). */
int tunscope_nice_this_thread(int nice);

/** Asks the scheduler to run the calling thread in slices of at most `nanoseconds` (sched_setattr(2),
 *  sched_runtime of a SCHED_OTHER thread, Linux 6.12 and later; its nice value is kept). Shorter
 *  slices mean earlier deadlines, so a thread that wakes where another has been running is picked
 *  sooner. Returns 0, or -1 with errno set (older kernels ignore the request). */
int tunscope_short_slices_this_thread(unsigned long long nanoseconds);

/** Gives the calling thread a descriptor table of its own (unshare(2) CLONE_FILES) holding only
 *  stdin, stdout, stderr and the `count` descriptors in `keep`; every other copy is closed there
 *  (close_range(2)), so files the rest of the process closes are not kept open by this thread.
 *  Returns 0, or -1 with errno set (the table is then still shared, as before). */
int tunscope_own_descriptor_table(const int *keep, int count);

/** read(2) made as a plain system call: glibc's read() is a cancellation point, and in a
 *  process with threads it pays for that on every call; capture makes a million a second and
 *  never cancels threads. Returns what read(2) does, errno set on -1. */
long tunscope_read(int fd, void *buffer, unsigned long count);

/** IFNAMSIZ: the size of an interface name buffer, terminating zero included. */
int tunscope_ifnamsiz(void);

/** IFF_TUN and IFF_TAP: the mode bits in a device's tun_flags (/sys/class/net/NAME/tun_flags). */
unsigned tunscope_iff_tun(void);
unsigned tunscope_iff_tap(void);

/** ARPHRD_ETHER and ARPHRD_LOOPBACK: link types as /sys/class/net/NAME/type gives them. */
int tunscope_arphrd_ether(void);
int tunscope_arphrd_loopback(void);
/** Opens a packet socket (AF_PACKET, needs CAP_NET_RAW) that sees what crosses device `name`
 *  both ways, keeps only what the classic BPF program `instructions` (count of them, in
 *  struct sock_filter layout, as pcap_compile makes them) accepts, and stamps each packet with
 *  the kernel's time, as tcpdump's are. Non-blocking. Returns the fd, or -1 with errno set. */
int tunscope_timestamp_socket(const char *name, const void *instructions, unsigned short count);

/** Reads one packet from a timestamp socket: up to `capacity` bytes into `buffer`, the kernel's
 *  timestamp into *seconds and *nanoseconds. Returns its length, 0 when none is waiting, or -1. */
long tunscope_timestamp_read(int fd, unsigned char *buffer, unsigned long capacity, long *seconds, long *nanoseconds);
#endif
