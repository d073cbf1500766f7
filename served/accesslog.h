/* accesslog: one line per request in common log format plus the duration in milliseconds, to a file
 * (opened O_APPEND, reopened on SIGHUP for logrotate) or to syslog ("syslog").
 *
 *   192.0.2.7 - - [10/Oct/2024:13:55:36 +0000] "GET /apt/deb/InRelease HTTP/1.1" 200 2326 3
 *
 * A request refused before any route saw it, or dropped, carries the reason as a last quoted field:
 *
 *   192.0.2.7 - - [10/Oct/2024:13:55:37 +0000] "GET /apt/deb/InRelease HTTP/1.1" 431 - 0 "header field too large"
 *
 * Each line is one write(2) on an O_APPEND descriptor, so worker threads never interleave and take no lock;
 * a reopen dup2()s the new file over the same descriptor number, so a writer never sees a closed one.
 * Request targets are logged raw with quotes, backslashes and control bytes escaped as \xHH.
 *
 * Ownership: sl_accesslog_open() -> sl_accesslog_free(). */
#ifndef SL_ACCESSLOG_H
#define SL_ACCESSLOG_H

struct sl_accesslog;
struct sl_request;

/* `dest` is a path or "syslog". NULL + *cause when the file cannot be opened. */
struct sl_accesslog *sl_accesslog_open(const char *dest, char **cause);
/* Reopen the file (after rotation); the old one stays in use on failure. 0 or -errno. */
int sl_accesslog_reopen(struct sl_accesslog *l);
/* `status` 0 is logged as "-" (nothing was answered), `bytes` < 0 as "-"; r->reason, if set, last. */
void sl_accesslog_write(struct sl_accesslog *l, const struct sl_request *r, unsigned status, long long bytes,
			long long ms);
void sl_accesslog_free(struct sl_accesslog *l);

#endif
