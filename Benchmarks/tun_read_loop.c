/* The baseline for the live-capture benchmark: attach to a tun device and read(2) COUNT
 * packets as fast as the kernel hands them over, doing nothing with them.
 * Usage: tun_read_loop DEVICE COUNT */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s DEVICE COUNT\n", argv[0]); return 2; }
    long count = atol(argv[2]);
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0) { perror("/dev/net/tun"); return 1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); return 1; }
    static unsigned char buf[65600];
    for (long i = 0; i < count; i++) {
        if (read(fd, buf, sizeof buf) < 0) { perror("read"); return 1; }
    }
    return 0;
}
