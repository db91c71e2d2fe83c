/* A second baseline for the live-capture benchmark: what any capture tool must at least do per
 * packet besides read(2): take the time and keep the bytes (here, in one big arena, no frees).
 * Usage: tun_store_loop DEVICE COUNT */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long count = atol(argv[2]);
    int fd = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI; strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); return 1; }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    static unsigned char buf[65600];
    unsigned char *arena = malloc(64 << 20); size_t used = 0;
    struct { long sec, nsec; int len; } *idx = malloc(count * 24);
    for (long i = 0; i < count; ) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) { continue; } /* non-blocking, as tunscope reads: EAGAIN when the queue is empty */
        struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(arena + used, buf, n); idx[i].sec = ts.tv_sec; idx[i].nsec = ts.tv_nsec; idx[i].len = n; used += n; i++;
    }
    return 0;
}
