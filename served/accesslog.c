/* accesslog: common log format lines, one write(2) each. */
#include "served/accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "served/request.h"

struct sl_accesslog {
	char *path;    /* NULL: syslog */
	int fd;
};

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0640);
	return fd < 0 ? -errno : fd;
}

struct sl_accesslog *sl_accesslog_open(const char *dest, char **cause)
{
	struct sl_accesslog *l = calloc(1, sizeof *l);
	if (l == NULL)
		return NULL;
	l->fd = -1;
	if (strcmp(dest, "syslog") != 0) {
		l->path = strdup(dest);
		int fd = l->path != NULL ? open_log(dest) : -ENOMEM;
		if (fd < 0) {
			if (cause != NULL && asprintf(cause, "access log %s: %s", dest, sl_strerror(fd)) < 0)
				*cause = NULL;
			free(l->path);
			free(l);
			return NULL;
		}
		l->fd = fd;
	}
	return l;
}

int sl_accesslog_reopen(struct sl_accesslog *l)
{
	if (l == NULL || l->path == NULL)
		return 0;
	int fd = open_log(l->path);
	if (fd < 0)
		return fd;
	int rc = dup2(fd, l->fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* Raw request targets may carry anything MHD let through; the log stays one parseable line. */
static size_t escape(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 5 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

void sl_accesslog_write(struct sl_accesslog *l, const struct sl_request *r, unsigned status, long long bytes,
			long long ms)
{
	if (l == NULL)
		return;
	char method[64], uri[SL_LOG_URI_MAX * 4 + 8], version[64], when[40], st[12], by[24];
	escape(method, sizeof method, r->method[0] ? r->method : "-");
	escape(uri, sizeof uri, r->uri);
	escape(version, sizeof version, r->version[0] ? r->version : "-");
	struct tm tm;
	localtime_r(&r->started_wall, &tm);
	strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S %z", &tm);
	if (status != 0)
		snprintf(st, sizeof st, "%u", status);
	else
		snprintf(st, sizeof st, "-");
	if (bytes >= 0)
		snprintf(by, sizeof by, "%lld", bytes);
	else
		snprintf(by, sizeof by, "-");
	char reason[160] = "";
	if (r->reason != NULL) {
		char esc[sizeof reason - 4];
		escape(esc, sizeof esc, r->reason);
		snprintf(reason, sizeof reason, " \"%s\"", esc);
	}
	char line[sizeof uri + sizeof reason + 256];
	int n = snprintf(line, sizeof line, "%s - - [%s] \"%s %s %s\" %s %s %lld%s\n", r->client, when, method, uri,
			 version, st, by, ms, reason);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = (int)sizeof line - 1;
	if (l->path == NULL) {
		syslog(LOG_INFO, "%.*s", n - 1, line);
		return;
	}
	/* Best effort: a full disk must not take the mirror down; report it in the daemon log. */
	if (write(l->fd, line, (size_t)n) != n)
		sl_log_debug(NULL, "access log %s: short write", l->path);
}

void sl_accesslog_free(struct sl_accesslog *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
}
