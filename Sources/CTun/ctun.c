#define _GNU_SOURCE
#include "ctun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <sched.h>
#include <spawn.h>
#include <unistd.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

int tunscope_tun_attach(int fd, const char *name, int tap, char *actual) {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) return -1;
    memcpy(actual, ifr.ifr_name, IFNAMSIZ);
    actual[IFNAMSIZ - 1] = 0;
    return 0;
}

int tunscope_enter_netns(int fd) { return setns(fd, CLONE_NEWNET); }

int tunscope_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }

static int compare_ints(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int tunscope_own_descriptor_table(const int *keep, int count) {
    if (count < 0 || count > 8) { errno = EINVAL; return -1; }
    int sorted[8];
    memcpy(sorted, keep, sizeof(int) * (size_t)count);
    qsort(sorted, (size_t)count, sizeof(int), compare_ints);
    /* Nothing to close at ~0: this only asks whether close_range(2) (Linux 5.9) is allowed, before
     * unsharing, so that a private table never keeps copies it cannot close. */
    if (close_range(~0U, ~0U, 0) != 0 || unshare(CLONE_FILES) != 0) return -1;
    unsigned int from = 3;
    for (int i = 0; i < count; i++) {
        if (sorted[i] < (int)from) continue; /* stdin, stdout, stderr, or kept already */
        if (sorted[i] > (int)from) close_range(from, (unsigned int)sorted[i] - 1, 0);
        from = (unsigned int)sorted[i] + 1;
    }
    close_range(from, ~0U, 0);
    return 0;
}

long tunscope_read(int fd, void *buffer, unsigned long count) { return syscall(SYS_read, fd, buffer, count); }

int tunscope_ifnamsiz(void) { return IFNAMSIZ; }

unsigned tunscope_iff_tun(void) { return IFF_TUN; }

unsigned tunscope_iff_tap(void) { return IFF_TAP; }

int tunscope_arphrd_ether(void) { return ARPHRD_ETHER; }

int tunscope_arphrd_loopback(void) { return ARPHRD_LOOPBACK; }

int tunscope_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

short tunscope_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int tunscope_nice_this_thread(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}

/* struct sched_attr as sched_setattr(2) first took it (48 bytes): <linux/sched/types.h> clashes
 * with glibc's <sched.h>, and glibc 2.36 has no wrapper. */
struct sched_attr_v0 {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
};

int tunscope_short_slices_this_thread(unsigned long long nanoseconds) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)tid);
    if (nice == -1 && errno != 0) return -1;
    struct sched_attr_v0 attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.sched_policy = SCHED_OTHER;
    attr.sched_nice = nice;
    attr.sched_runtime = nanoseconds;
    return (int)syscall(SYS_sched_setattr, tid, &attr, 0);
}

int tunscope_timestamp_socket(const char *name, const void *instructions, unsigned short count) {
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return -1;
    struct sock_fprog program = {count, (struct sock_filter *)instructions};
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) < 0
        || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0
        || ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    struct sockaddr_ll where;
    memset(&where, 0, sizeof where);
    where.sll_family = AF_PACKET;
    where.sll_protocol = htons(ETH_P_ALL);
    where.sll_ifindex = ifr.ifr_ifindex;
    if (bind(fd, (struct sockaddr *)&where, sizeof where) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

long tunscope_timestamp_read(int fd, unsigned char *buffer, unsigned long capacity, long *seconds, long *nanoseconds) {
    struct iovec data = {buffer, capacity};
    char control[CMSG_SPACE(sizeof(struct timespec))];
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &message, MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
    *seconds = 0;
    *nanoseconds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(c), sizeof t);
            *seconds = t.tv_sec;
            *nanoseconds = t.tv_nsec;
        }
    }
    return (long)n;
}

int tunscope_hardware_address(const char *name, unsigned char mac[6]) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    int r = ioctl(fd, SIOCGIFHWADDR, &ifr);
    int saved = errno;
    close(fd);
    if (r < 0) {
        errno = saved;
        return -1;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return ifr.ifr_hwaddr.sa_family;
}
