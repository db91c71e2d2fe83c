/* Holds tun device NAME, as the exercise's own program does, and writes COUNT UDP datagrams into
 * it from 192.0.2.2 to 192.0.2.1:9 (the kernel's side of the benchmark's own namespace), as fast
 * as it can or at RATE per second, then stops. Payloads are of every length from 1 to 1400 bytes
 * in turn, of arbitrary bytes, with valid IPv4 and UDP checksums (with "badsum", a wrong UDP
 * checksum: the kernel drops each with UDP_CSUM, a drop storm for the verdicts' benchmark).
 * Usage: tun_hold_flood NAME COUNT [RATE [badsum]] */
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

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint16_t checksum(const uint8_t *p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* One datagram with `length` payload bytes; returns the packet's length. */
static size_t build(uint8_t *p, size_t length, uint16_t id, uint32_t *seed, int badsum) {
    size_t total = 28 + length;
    memset(p, 0, 28);
    p[0] = 0x45; p[2] = total >> 8; p[3] = total & 0xff; p[4] = id >> 8; p[5] = id & 0xff;
    p[8] = 64; p[9] = 17;
    uint8_t src[4] = {192, 0, 2, 2}, dst[4] = {192, 0, 2, 1};
    memcpy(p + 12, src, 4); memcpy(p + 16, dst, 4);
    uint16_t c = checksum(p, 20, 0);
    p[10] = c >> 8; p[11] = c & 0xff;
    uint8_t *u = p + 20;
    uint16_t sport = 40000 + id % 1000, ulen = 8 + length;
    u[0] = sport >> 8; u[1] = sport & 0xff; u[2] = 0; u[3] = 9; u[4] = ulen >> 8; u[5] = ulen & 0xff;
    for (size_t i = 0; i < length; i++) { *seed = *seed * 1103515245u + 12345u; u[8 + i] = *seed >> 24; }
    uint32_t pseudo = (192 << 8 | 0) + (2 << 8 | 2) + (192 << 8 | 0) + (2 << 8 | 1) + 17 + ulen;
    c = checksum(u, ulen, pseudo);
    if (c == 0) c = 0xffff;
    if (badsum) c ^= 0x5a5a;
    u[6] = c >> 8; u[7] = c & 0xff;
    return total;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s NAME COUNT [RATE [badsum]]\n", argv[0]); return 2; }
    long count = atol(argv[2]);
    double rate = argc > 3 ? atof(argv[3]) : 0;
    int badsum = argc > 4 && strcmp(argv[4], "badsum") == 0;
    int fd = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) { perror(argv[1]); return 1; }
    uint8_t packet[1500];
    uint32_t seed = 1;
    long failed = 0;
    /* Let the watchers see the device up before the first packet. */
    usleep(200000);
    double start = now();
    for (long i = 0; i < count; i++) {
        if (rate > 0) while (now() < start + i / rate) {}
        size_t n = build(packet, 1 + (size_t)(i * 7919 % 1400), (uint16_t)i, &seed, badsum);
        if (write(fd, packet, n) < 0) failed++;
    }
    double took = now() - start;
    fprintf(stderr, "wrote %ld in %.3f s (%.0f/s), %ld failed\n", count - failed, took, (count - failed) / took, failed);
    return 0;
}
