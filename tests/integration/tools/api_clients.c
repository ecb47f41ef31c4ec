/* api_clients: bad API clients for weftd's integration tests, where the shell and socat cannot be
 * precise: many connections held open at once, and a client that sends requests and never reads.
 *   api_clients hold SOCKET N MS    open N connections, classify each after 1 s (open, or refused:
 *                                   closed or answered "too many clients"), print one line
 *                                   "connected C open O refused R failed F", hold the open ones MS
 *                                   milliseconds, close them.
 *   api_clients flood SOCKET N MS   on one connection send N status requests without reading,
 *                                   wait MS milliseconds, then read what is there; print
 *                                   "sent S send_error E replies R eof 0|1". */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int hold(const char *path, int n, long ms)
{
	int *fds = calloc((size_t)n, sizeof(*fds));
	int connected = 0, open_ = 0, refused = 0, failed = 0;

	if (!fds)
		return 1;
	for (int i = 0; i < n; i++) {
		fds[i] = connect_to(path);
		if (fds[i] < 0)
			failed++;
		else
			connected++;
	}
	sleep_ms(1000);
	for (int i = 0; i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		char buf[512];
		ssize_t r;

		if (fds[i] < 0)
			continue;
		/* An accepted client has nothing to read: the daemon speaks only when asked. */
		if (poll(&p, 1, 0) == 0) {
			open_++;
			continue;
		}
		r = recv(fds[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (r > 0) {
			buf[r] = '\0';
			if (!strstr(buf, "too many clients"))
				fprintf(stderr, "api_clients: unexpected line: %s", buf);
		}
		refused++;
		close(fds[i]);
		fds[i] = -1;
	}
	printf("connected %d open %d refused %d failed %d\n", connected, open_, refused, failed);
	fflush(stdout);
	sleep_ms(ms);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

static int flood(const char *path, int n, long ms)
{
	static const char req[] = "{\"weft\":1,\"id\":1,\"op\":\"status\"}\n";
	int fd = connect_to(path), sent = 0, send_error = 0, replies = 0, eof = 0;
	struct timeval tv = { 2, 0 };
	char buf[65536];

	if (fd < 0) {
		perror("api_clients: connect");
		return 1;
	}
	/* A send that the daemon does not take within 2 s ends the flood. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (; sent < n; sent++) {
		if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
			send_error = errno;
			break;
		}
	}
	sleep_ms(ms);
	/* Read what is left for at most 2 s: the replies the daemon sent before it gave up on us. */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 2000) <= 0)
			break;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0) {
			eof = 1;
			break;
		}
		for (ssize_t i = 0; i < r; i++)
			replies += buf[i] == '\n';
	}
	printf("sent %d send_error %d replies %d eof %d\n", sent, send_error, replies, eof);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int n;
	long ms;

	if (argc != 5 || (n = atoi(argv[3])) < 1 || n > 100000 || (ms = atol(argv[4])) < 0 || ms > 600000) {
		fprintf(stderr, "usage: api_clients hold|flood SOCKET N MS\n");
		return 2;
	}
	if (strcmp(argv[1], "hold") == 0)
		return hold(argv[2], n, ms);
	if (strcmp(argv[1], "flood") == 0)
		return flood(argv[2], n, ms);
	fprintf(stderr, "api_clients: unknown mode '%s'\n", argv[1]);
	return 2;
}
