/* config_int: what core/config.c (the key table, pass 2, the public calls) and core/config_scan.c (pass 1:
 * the text, its lines, sections and raw values) share. Internal to those two files.
 *
 * struct cfgp is one parse: pass 1 fills secs[] with raw entries (each value with its line), pass 2 types
 * them into cfg. The first problem recorded by fail() is the parse's cause; later ones are dropped. */
#ifndef SL_CONFIG_INT_H
#define SL_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

enum sec { SEC_SLUICE, SEC_SYNCD, SEC_SERVED, SEC_PUBLISH, SEC_IMPORT, SEC_EXPORT, SEC_SOURCE, SEC_COUNT };

extern const char *const sl_cfg_sec_names[SEC_COUNT];   /* "sluice", ..., "source" */

enum kind {
	K_TYPE,       /* `type`, read before every other key of a source */
	K_WORD,       /* char *: one token without blanks, checked by `check` */
	K_LOGLEVEL,   /* char *: error|warn|info|debug */
	K_DIR,        /* char *: path made absolute, not required to exist yet */
	K_FILE,       /* char *: path made absolute; must be a readable regular file now */
	K_LOGDEST,    /* char *: "syslog" or a path made absolute */
	K_URL,        /* char *: http(s) base URL, trailing '/' removed */
	K_PROXY,      /* char *: http(s) or socks5h proxy URL */
	K_LISTEN,     /* char *: host:port or [v6]:port */
	K_UINT,       /* unsigned in [min, max] */
	K_RATE,       /* uint64_t bytes/s: a size, optionally followed by "/s" */
	K_SIZE,       /* uint64_t bytes: a size, at most `max` */
	K_DURATION,   /* int64_t ms, at least `min` */
	K_WINDOW,     /* two ints at off and off2 */
	K_BOOL,       /* bool: names[0] is false, names[1] true */
	K_ENUM,       /* enum stored as int: names[i] is value i */
	K_LIST,       /* struct sl_strlist: items split at blanks and commas, each checked by `check` */
	K_CSLIST,     /* struct sl_strlist: items split at commas only (fingerprints contain blanks) */
};

/* Checks one value or list item; may rewrite it in place (normalisation). NULL if fine, else why not. */
typedef const char *item_check(char *s);

struct key_def {
	enum sec sec;
	const char *name;
	unsigned types;          /* SEC_SOURCE: SL_FK_* bits of the types accepting it; 0: every type */
	unsigned required;       /* SEC_SOURCE: SL_FK_* bits of the types requiring it; else nonzero */
	enum kind kind;
	size_t off, off2;
	int64_t min, max;        /* K_UINT bounds; K_DURATION minimum; K_SIZE maximum */
	const char *def;         /* default, parsed like a configured value; NULL: none or set in code */
	item_check *check;
	const char *const *names;
};

struct piece {
	char *text;
	int line;
};

struct entry {
	const char *name;        /* the table's spelling */
	int line;
	struct piece *v;         /* the value and its indented continuation lines; empty ones dropped */
	size_t n, cap;
};

struct section {
	enum sec kind;
	char *name;              /* source name */
	int line;
	struct entry *e;         /* at most one per key name: duplicates are refused in pass 1 */
	size_t n, cap;
};

enum line_kind { LINE_OTHER, LINE_KEY, LINE_CONT };

struct cfgp {
	const char *file;        /* the name used in messages */
	char *base;              /* absolute directory that relative paths are resolved against */
	const char *text;
	size_t len, pos;
	int lineno;
	enum line_kind line_kind;
	bool have_prev_key;      /* mirrors libinih's prev_name: reset only by a section header */
	struct section *secs;
	size_t nsecs, capsecs, nsources;
	char *err;               /* first error, "FILE:LINE: message" */
	int err_line;
	struct sl_config *cfg;
};

/* The key of `sec` spelt `name` in the one key table, or NULL. */
const struct key_def *sl_cfg_find_key(enum sec sec, const char *name);
/* Make room for element n of *v (capacity *cap, elements of `size` bytes): 0 or -ENOMEM. */
int sl_cfg_grow(void **v, size_t *cap, size_t n, size_t size);
const char *sl_cfg_skip_space(const char *s);
/* Pass 1: run libinih over p->text through our line reader; sections and raw values land in p->secs. */
void sl_cfg_scan(struct cfgp *p);

/* Record "FILE:LINE: message" (line 0: no line) unless an error is already recorded. */
void sl_cfg_vfail(struct cfgp *p, int line, const char *fmt, va_list ap);

static inline void fail(struct cfgp *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void fail(struct cfgp *p, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_cfg_vfail(p, line, fmt, ap);
	va_end(ap);
}

static inline bool failed(const struct cfgp *p)
{
	return p->err != NULL || p->err_line < 0;
}

#endif
