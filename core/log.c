/* log: stderr or syslog, one line per event. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "core/error.h"

static struct {
	const char *ident;
	bool foreground;
	enum sl_log_level level;
	bool opened;
} sl_log_state = { "sluice", true, SL_LOG_INFO, false };

void sl_log_open(const char *ident, bool foreground, enum sl_log_level level)
{
	sl_log_state.ident = ident;
	sl_log_state.foreground = foreground;
	sl_log_state.level = level;
	if (!foreground && !sl_log_state.opened) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		sl_log_state.opened = true;
	}
}

void sl_log_set_level(enum sl_log_level level)
{
	sl_log_state.level = level;
}

int sl_log_parse_level(const char *s, enum sl_log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum sl_log_level)i;
			return 0;
		}
	}
	return -SL_E_PARSE;
}

void sl_log_close(void)
{
	if (sl_log_state.opened)
		closelog();
	sl_log_state.opened = false;
}

void sl_log(enum sl_log_level level, const char *source, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	if (level > sl_log_state.level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* One event, one line: fold embedded newlines from upstream text. */
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (sl_log_state.foreground) {
		char ts[32];
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s %s %s [%s] %s\n", ts, sl_log_state.ident, tag[level],
			source ? source : "-", msg);
	} else {
		syslog(prio[level], "%s [%s] %s", tag[level], source ? source : "-", msg);
	}
}
