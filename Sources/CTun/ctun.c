#define _GNU_SOURCE
#include "ctun.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <spawn.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

int tunscope_ifnamsiz(void) { return IFNAMSIZ; }

int tunscope_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

short tunscope_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int tunscope_nice_this_thread(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice);
}
