/* Benchmark floor for a liveness probe: the least a probe can do against a
 * real server. Connects to HOST PORT, sends "ruok", half-closes, reads to EOF
 * and exits 0 if the reply is "imok". No deadline, no diagnosis, no retry:
 * not a usable probe, only the cost of the round trip itself.
 * Built at bench time with `gcc -static -O2`. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) return 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
    if (write(s, "ruok", 4) != 4) return 1;
    shutdown(s, SHUT_WR);
    char buf[64];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf && (r = read(s, buf + n, sizeof buf - n)) > 0) n += (size_t)r;
    return (n == 4 && memcmp(buf, "imok", 4) == 0) ? 0 : 1;
}
