/* weftd's log (log.h). Each line is formatted whole and written with one write(2), so lines
 * from a daemon and a test appending to the same file never interleave mid-line. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1; /* -1: stderr */
static enum log_level log_level = LOG_LEVEL_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

bool log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (s && strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

const char *log_level_name(enum log_level l)
{
	return (unsigned)l < sizeof(level_names) / sizeof(level_names[0]) ? level_names[l] : "?";
}

int log_open(const char *path)
{
	int fd = -1;

	if (path && strcmp(path, "stderr") != 0) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
	}
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void log_set_level(enum log_level l)
{
	log_level = l;
}

enum log_level log_get_level(void)
{
	return log_level;
}

__attribute__((format(printf, 3, 0)))
static void log_vwrite(enum log_level l, int errnum, const char *fmt, va_list ap)
{
	static const char *const tags[] = { "ERROR", "WARN", "INFO", "DEBUG" };
	char line[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;
	int r;

	if (l > log_level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ weftd[%ld] %s: ", (long)(tv.tv_usec / 1000),
		     (long)getpid(), tags[l]);
	n += r > 0 ? (size_t)r : 0;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = r < 0 ? n : n + (size_t)r >= sizeof(line) ? sizeof(line) - 1 : n + (size_t)r;
	if (errnum) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
		n = r < 0 ? n : n + (size_t)r >= sizeof(line) ? sizeof(line) - 1 : n + (size_t)r;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to say it. */
	}
}

#define LOG_FN(name, level, with_errno)                        \
	void name(const char *fmt, ...)                        \
	{                                                      \
		int saved = errno;                             \
		va_list ap;                                    \
							       \
		va_start(ap, fmt);                             \
		log_vwrite(level, with_errno ? saved : 0, fmt, ap); \
		va_end(ap);                                    \
		errno = saved;                                 \
	}

LOG_FN(log_err, LOG_LEVEL_ERROR, 1)
LOG_FN(log_errx, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)
