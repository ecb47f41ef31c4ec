/* weftd's log: one line per decision, "2025-01-02T03:04:05.678Z weftd[pid] LEVEL: message",
 * to stderr or an append-only file. log_warn/log_err append the text of errno, the *x
 * forms do not (as in OpenBGPD). The level and the destination can change at SIGHUP. */
#ifndef WEFTD_LOG_H
#define WEFTD_LOG_H

#include <stdbool.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* "error", "warn", "info", "debug" <-> enum; parse returns false for anything else. */
bool log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level l);

/* Log to path ("stderr" or an absolute file name, opened O_APPEND) from now on. 0 or -errno;
 * on failure the previous destination stays. */
int log_open(const char *path);
void log_close(void);
void log_set_level(enum log_level l);
enum log_level log_get_level(void);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
