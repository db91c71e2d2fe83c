/* Sends COUNT small UDP datagrams to ADDRESS:9 as fast as it can, then stops. Used only inside
 * a namespace the benchmark made, towards the far side of its tun.
 * Usage: udp_flood ADDRESS COUNT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s ADDRESS COUNT\n", argv[0]); return 2; }
    long count = atol(argv[2]);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) { fprintf(stderr, "bad address\n"); return 2; }
    char payload[18] = "tunscope benchmark";
    long failed = 0;
    for (long i = 0; i < count; i++) {
        if (sendto(s, payload, sizeof payload, 0, (struct sockaddr *)&to, sizeof to) < 0) failed++;
    }
    if (failed) fprintf(stderr, "%ld sends failed\n", failed);
    return 0;
}
