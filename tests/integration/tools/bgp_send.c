/* bgp_send: a scripted BGP speaker for the malformed-message tests. It connects to a BGP speaker,
 * opens a session (or not), sends the messages given on the command line byte for byte, and
 * prints every message it gets back, one line each: "OPEN as=64512 hold=9 id=10.99.0.1",
 * "KEEPALIVE", "UPDATE 23", "NOTIFICATION 3/4 900e001e...", then "EOF" when the peer closes or
 * "TIMEOUT" when nothing more comes within the wait.
 *
 * usage: bgp_send [-s SRC] [-p PORT] [-a AS] [-i ID] [-t HOLD] [-w SECS] [-n] ADDR MSG...
 *   -n       send no OPEN: the MSGs are the first bytes on the connection
 *   MSG      T:HEX  a message of type T (1-255) whose body is HEX (spaces allowed, as one arg)
 *            raw:HEX  bytes as they are (header included: for header errors)
 *            wait:MS  pause (reading meanwhile)
 * Without -n: our OPEN (AS, hold, id; capabilities multiprotocol IPv4 and IPv6, 4-octet AS), then
 * wait for the peer's OPEN and KEEPALIVE, send a KEEPALIVE, then the MSGs. Exit 0 when the
 * session got that far (or -n), 1 otherwise, 2 for usage. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX 4096

static int fd = -1;
static uint8_t rbuf[2 * MAX];
static size_t rlen;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s))
			continue;
		if (!isxdigit((unsigned char)*s)) {
			fprintf(stderr, "bgp_send: bad hex digit '%c'\n", *s);
			exit(2);
		}
		v = isdigit((unsigned char)*s) ? *s - '0' : tolower((unsigned char)*s) - 'a' + 10;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap) {
			fprintf(stderr, "bgp_send: message too long\n");
			exit(2);
		}
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		fprintf(stderr, "bgp_send: odd number of hex digits\n");
		exit(2);
	}
	return n;
}

static void send_all(const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			printf("SEND-ERROR %s\n", strerror(errno));
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void send_msg(uint8_t type, const uint8_t *body, size_t n)
{
	uint8_t m[MAX + 64];

	memset(m, 0xff, 16);
	m[16] = (uint8_t)((19 + n) >> 8);
	m[17] = (uint8_t)(19 + n);
	m[18] = type;
	memcpy(m + 19, body, n);
	send_all(m, 19 + n);
}

/* Print one message; returns its type. */
static int show(const uint8_t *m, size_t len)
{
	switch (m[18]) {
	case 1:
		printf("OPEN as=%u hold=%u id=%u.%u.%u.%u\n", m[20] << 8 | m[21], m[22] << 8 | m[23], m[24], m[25], m[26],
		       m[27]);
		break;
	case 2:
		printf("UPDATE %zu\n", len);
		break;
	case 3:
		printf("NOTIFICATION %u/%u ", len > 19 ? m[19] : 0, len > 20 ? m[20] : 0);
		for (size_t i = 21; i < len; i++)
			printf("%02x", m[i]);
		printf("\n");
		break;
	case 4:
		printf("KEEPALIVE\n");
		break;
	default:
		printf("TYPE-%u %zu\n", m[18], len);
	}
	fflush(stdout);
	return m[18];
}

/* Read and print messages until one of type want arrives (0: any), the peer closes, or secs pass.
 * Returns the type seen, -1 for EOF, -2 for timeout. */
static int read_until(int want, double secs)
{
	double end = now() + secs;

	for (;;) {
		while (rlen >= 19) {
			size_t len = (size_t)(rbuf[16] << 8 | rbuf[17]);
			int t;

			if (len < 19 || len > MAX) {
				printf("GARBAGE\n");
				return -1;
			}
			if (rlen < len)
				break;
			t = show(rbuf, len);
			memmove(rbuf, rbuf + len, rlen - len);
			rlen -= len;
			if (!want || t == want || t == 3)
				return t;
		}
		double left = end - now();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (left <= 0) {
			printf("TIMEOUT\n");
			fflush(stdout);
			return -2;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		n = recv(fd, rbuf + rlen, sizeof(rbuf) - rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("EOF\n");
			fflush(stdout);
			return -1;
		}
		rlen += (size_t)n;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: bgp_send [-s SRC] [-p PORT] [-a AS] [-i ID] [-t HOLD] [-w SECS] [-n] ADDR MSG...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *src = NULL, *id = "10.99.0.50";
	unsigned port = 179, as = 64512, hold = 9;
	double wait = 3;
	bool no_open = false;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct in_addr idv;
	uint8_t body[MAX];
	int c;

	while ((c = getopt(argc, argv, "s:p:a:i:t:w:n")) != -1) {
		switch (c) {
		case 's': src = optarg; break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'a': as = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': id = optarg; break;
		case 't': hold = (unsigned)atoi(optarg); break;
		case 'w': wait = atof(optarg); break;
		case 'n': no_open = true; break;
		default: usage();
		}
	}
	if (optind >= argc || inet_pton(AF_INET, id, &idv) != 1)
		usage();
	if (inet_pton(AF_INET, argv[optind], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[optind], &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		usage();
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("bgp_send: socket");
		return 1;
	}
	if (src) {
		struct sockaddr_storage s = { .ss_family = ss.ss_family };

		if (ss.ss_family == AF_INET)
			inet_pton(AF_INET, src, &((struct sockaddr_in *)&s)->sin_addr);
		else
			inet_pton(AF_INET6, src, &((struct sockaddr_in6 *)&s)->sin6_addr);
		if (bind(fd, (struct sockaddr *)&s, sl) < 0) {
			perror("bgp_send: bind");
			return 1;
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		printf("CONNECT-ERROR %s\n", strerror(errno));
		return 1;
	}
	if (!no_open) {
		/* Version 4, AS_TRANS when needed, hold, id; capabilities: MP IPv4 and IPv6 unicast,
		 * 4-octet AS (RFC 5492, all in one optional parameter). */
		uint8_t o[] = { 4, 0, 0, 0, 0, 0, 0, 0, 0, 20, 2, 18, 1, 4, 0, 1, 0, 1, 1, 4, 0, 2, 0, 1, 65, 4, 0, 0, 0, 0 };
		uint16_t my = as > 0xffff ? 23456 : (uint16_t)as;

		o[1] = (uint8_t)(my >> 8);
		o[2] = (uint8_t)my;
		o[3] = (uint8_t)(hold >> 8);
		o[4] = (uint8_t)hold;
		memcpy(o + 5, &idv, 4);
		o[26] = (uint8_t)(as >> 24);
		o[27] = (uint8_t)(as >> 16);
		o[28] = (uint8_t)(as >> 8);
		o[29] = (uint8_t)as;
		send_msg(1, o, sizeof(o));
		if (read_until(1, wait) != 1)
			return 1;
		send_msg(4, NULL, 0);
		if (read_until(4, wait) != 4)
			return 1;
	}
	for (int i = optind + 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "raw:", 4)) {
			send_all(body, hex(a + 4, body, sizeof(body)));
		} else if (!strncmp(a, "wait:", 5)) {
			if (read_until(-3, atof(a + 5) / 1000) == -1)
				return 0;
		} else if (isdigit((unsigned char)a[0]) && strchr(a, ':')) {
			send_msg((uint8_t)atoi(a), body, hex(strchr(a, ':') + 1, body, sizeof(body)));
		} else {
			usage();
		}
	}
	/* What the peer says about it: everything until it closes, or the wait. */
	while (read_until(0, wait) >= 0)
		;
	close(fd);
	return 0;
}
