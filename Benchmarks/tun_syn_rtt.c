// The bare program the handshake benchmark sets tunscope against: attach to a tun, write a SYN
// to DST:PORT from 192.0.2.2 (valid checksums), read until its SYN-ACK, and print the time from
// before write(2) to after read(2), in microseconds, one line per connection ("PORT RTT").
// Usage: tun_syn_rtt DEV DST PORT COUNT INTERVAL_US
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static uint16_t checksum(const uint8_t *p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s DEV DST PORT COUNT INTERVAL_US\n", argv[0]); return 2; }
    int fd = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr = {0};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("tun"); return 1; }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    uint32_t src = ntohl(inet_addr("192.0.2.2")), dst = ntohl(inet_addr(argv[2]));
    int port = atoi(argv[3]), count = atoi(argv[4]), interval = atoi(argv[5]);
    uint8_t buf[2048];
    for (int k = 0; k < count; k++) {
        uint16_t sport = 20000 + k;
        uint8_t p[40] = {0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6};
        for (int i = 0; i < 4; i++) { p[12 + i] = src >> (24 - 8 * i); p[16 + i] = dst >> (24 - 8 * i); }
        uint16_t c = checksum(p, 20, 0);
        p[10] = c >> 8; p[11] = c;
        uint8_t *t = p + 20;
        t[0] = sport >> 8; t[1] = sport; t[2] = port >> 8; t[3] = port;
        uint16_t seq = 2 * k;
        t[4] = 0x12; t[5] = 0x34; t[6] = seq >> 8; t[7] = seq;  // even, so seq + 1 never carries
        t[12] = 0x50; t[13] = 0x02; t[14] = 0xff; t[15] = 0xff;  // data offset 5, SYN, window
        uint32_t pseudo = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + 20;
        c = checksum(t, 20, pseudo);
        t[16] = c >> 8; t[17] = c;
        double start = now_us();
        if (write(fd, p, sizeof p) != sizeof p) { perror("write"); return 1; }
        for (;;) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n >= 40 && buf[9] == 6 && (buf[20 + 13] & 0x12) == 0x12 && (buf[22] << 8 | buf[23]) == sport) break;
            if (now_us() - start > 1e6) { fprintf(stderr, "no SYN-ACK for %d\n", sport); break; }
        }
        printf("%d %.1f\n", sport, now_us() - start);
        // Reset the half-open connection so the listener's queue stays empty.
        t[13] = 0x04; t[7] = seq + 1;
        t[16] = t[17] = 0;
        c = checksum(t, 20, pseudo);
        t[16] = c >> 8; t[17] = c;
        write(fd, p, sizeof p);
        usleep(interval);
    }
    return 0;
}
