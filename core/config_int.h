/* config_int: what core/config.c (the key table, pass 2, the public calls) and core/config_scan.c (pass 1:
 * the text, its lines, sections and raw values) share. Internal to those two files.
 *
 * struct cfgp is one parse: pass 1 fills secs[] with raw entries (each value with its line), pass 2 types
 * them into cfg. Every problem recorded by fail() is kept (up to SL_MAX_CONFIG_ERRORS); the parse's cause
 * lists them in line order, so one run of `-n` shows everything to fix. A problem ends the checks of its
 * own line, key or section only: what does not depend on it is still checked. */
#ifndef SL_CONFIG_INT_H
#define SL_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

enum sec { SEC_SLUICE, SEC_SYNCD, SEC_SERVED, SEC_PUBLISH, SEC_SCAN, SEC_ALERT, SEC_IMPORT, SEC_EXPORT, SEC_SOURCE,
	   SEC_COUNT };

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
	unsigned required;       /* nonzero: the section (or source of this type) must set it */
	enum kind kind;
	size_t off, off2;
	int64_t min, max;        /* K_UINT bounds; K_DURATION minimum; K_SIZE maximum */
	const char *def;         /* default, parsed like a configured value; NULL: none or set in code */
	item_check *check;
	const char *const *names;
};

#define SL_CFG_SRC(f) offsetof(struct sl_source, f)

struct section;
struct cfgp;

/* One source type's own keys, in its own file (core/config_<type>.c), reached through its format row
 * (`src->format->config`). config.c's table holds only the keys every type shares. */
struct sl_cfg_keys {
	const struct key_def *v;            /* SEC_SOURCE keys only this type accepts */
	size_t n;
	const char *const *requires;        /* shared keys this type requires ("url"), NULL-terminated; or NULL */
	/* Rules between keys, run once every key of the source parsed without a problem; records problems
	 * with fail(). NULL: none. */
	void (*check)(struct cfgp *p, const struct section *sec, const struct sl_source *src);
	/* Defaults that depend on other keys (a table default cannot), run after every key and table default
	 * applied and before check. NULL: none. */
	void (*defaults)(const struct section *sec, struct sl_source *src);
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
	bool skip_section;       /* the last header was refused: its keys are not checked (no cascades) */
	bool skip_key;           /* the last key line was refused: its continuation lines are not checked */
	struct section *secs;
	size_t nsecs, capsecs, nsources;
	struct cfg_err *errs;    /* every problem, in the order found */
	size_t nerrs, caperrs;
	bool err_lost;           /* a problem could not be recorded (out of memory, or past the cap) */
	struct sl_config *cfg;
};

struct cfg_err {
	int line;                /* 0: not about one line */
	size_t seq;              /* order found: keeps the order of several problems on one line */
	char *msg;               /* "FILE:LINE: message" */
};

/* The key of `sec` spelt `name`, or NULL: for SEC_SOURCE a shared key or one of any type's keys. */
const struct key_def *sl_cfg_find_key(enum sec sec, const char *name);
/* The name of the i-th key of section kind `sec` (shared keys, then each type's in sl_formats[] order);
 * NULL past the last. */
const char *sl_cfg_key_name(enum sec sec, size_t i);
/* One configured value (with its continuation lines) into its field of `base` (struct sl_config or
 * sl_source), checked; problems recorded. The default is applied the same way, as if configured at `line`. */
void sl_cfg_apply(struct cfgp *p, const struct key_def *d, void *base, const struct entry *e);
void sl_cfg_apply_default(struct cfgp *p, const struct key_def *d, void *base, int line);
#define SL_CFG_SINGLE_VALUE "'%s' takes a single value; this indented line would continue it " \
			    "(remove the indentation if it starts a new key)"
/* The entry of `sec` (may be NULL) for key `name`, or NULL. */
const struct entry *sl_cfg_find_entry(const struct section *sec, const char *name);
/* Make room for element n of *v (capacity *cap, elements of `size` bytes): 0 or -ENOMEM. */
int sl_cfg_grow(void **v, size_t *cap, size_t n, size_t size);
const char *sl_cfg_skip_space(const char *s);
/* Pass 1: run libinih over p->text through our line reader; sections and raw values land in p->secs. */
void sl_cfg_scan(struct cfgp *p);

/* The cause: every problem on its own line, in line order (heap; NULL when out of memory). Frees the list. */
char *sl_cfg_errors_join(struct cfgp *p);
/* Record "FILE:LINE: message" (line 0: no line). */
void sl_cfg_vfail(struct cfgp *p, int line, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

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
	return p->nerrs > 0 || p->err_lost;
}

/* How many problems so far: compare before and after a step to know whether that step failed. */
static inline size_t nfailed(const struct cfgp *p)
{
	return p->nerrs + (p->err_lost ? 1 : 0);
}

/* An error at `line` already recorded (libinih's own syntax errors are added only when new). */
static inline bool failed_at(const struct cfgp *p, int line)
{
	for (size_t i = 0; i < p->nerrs; i++)
		if (p->errs[i].line == line)
			return true;
	return false;
}

#endif
