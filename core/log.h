/* log: one line per event, to stderr when in the foreground, to syslog otherwise. Each line names the
 * source (or "-") and should carry the URL or path that explains it. Log once, where an error is handled.
 * The only global state besides signal flags: the log destination and level, set once by main(). */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdbool.h>

enum sl_log_level {
	SL_LOG_ERR,
	SL_LOG_WARN,
	SL_LOG_INFO,
	SL_LOG_DEBUG,
};

/* Set up logging for this process: `ident` is the program name, `foreground` selects stderr. */
void sl_log_open(const char *ident, bool foreground, enum sl_log_level level);
void sl_log_set_level(enum sl_log_level level);
/* Parse "error|warn|info|debug": 0 or -SL_E_PARSE. */
int sl_log_parse_level(const char *s, enum sl_log_level *out);
void sl_log_close(void);

/* `source` may be NULL. */
void sl_log(enum sl_log_level level, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define sl_log_err(src, ...)   sl_log(SL_LOG_ERR, (src), __VA_ARGS__)
#define sl_log_warn(src, ...)  sl_log(SL_LOG_WARN, (src), __VA_ARGS__)
#define sl_log_info(src, ...)  sl_log(SL_LOG_INFO, (src), __VA_ARGS__)
#define sl_log_debug(src, ...) sl_log(SL_LOG_DEBUG, (src), __VA_ARGS__)

#endif
