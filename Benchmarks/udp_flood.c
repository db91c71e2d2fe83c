/* Sends COUNT small UDP datagrams to ADDRESS:9, as fast as it can or at RATE per second, then
 * stops. Used only inside a namespace the benchmark made, towards the far side of its tun.
 * Usage: udp_flood ADDRESS COUNT [RATE] */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s ADDRESS COUNT [RATE]\n", argv[0]); return 2; }
    long count = atol(argv[2]);
    double rate = argc > 3 ? atof(argv[3]) : 0;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
    char payload[18] = "tunscope benchmark";
    long failed = 0;
    double start = now();
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            /* Pace by spinning: the i-th packet goes at start + i / rate. */
            while (now() < start + i / rate) {}
        }
        if (sendto(s, payload, sizeof payload, 0, (struct sockaddr *)&to, sizeof to) < 0) failed++;
    }
    double took = now() - start;
    fprintf(stderr, "sent %ld in %.3f s (%.0f/s), %ld failed\n", count - failed, took, (count - failed) / took, failed);
    return 0;
}
