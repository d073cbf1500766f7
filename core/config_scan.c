/* config_scan: pass 1 of sluice.conf, and the list of problems both passes record. libinih reads the text through our own line reader, which counts
 * lines, refuses what libinih would silently truncate or split, and classifies each line the way libinih
 * will; the value handler records sections (checking names and duplicates) and raw values with their
 * line numbers, refusing unknown and duplicate keys with a hint where the key belongs. */
#include "core/config_int.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfgcheck.h"
#include "core/limits.h"

const char *sl_cfg_skip_space(const char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return s;
}

static void section_header(struct cfgp *p, const char *t)
{
	/* Like libinih: the header ends at ']' unless an inline comment (" ;") comes first. */
	const char *s = t + 1, *end = s;
	bool was_space = false;
	while (*end != '\0' && *end != ']' && !(was_space && *end == ';')) {
		was_space = isspace((unsigned char)*end);
		end++;
	}
	if (*end != ']') {
		fail(p, p->lineno, "section header without closing ']'");
		return;
	}
	const char *rest = sl_cfg_skip_space(end + 1);
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		int n = (int)strlen(rest);
		while (n > 0 && isspace((unsigned char)rest[n - 1]))
			n--;
		fail(p, p->lineno, "unexpected text after the section header: '%.*s'", n, rest);
		return;
	}
	size_t len = (size_t)(end - s);
	char head[SL_MAX_CONFIG_LINE + 1];
	memcpy(head, s, len);
	head[len] = '\0';

	struct section sec = { .kind = SEC_COUNT, .line = p->lineno };
	for (int k = 0; k < SEC_SOURCE; k++)
		if (strcmp(head, sl_cfg_sec_names[k]) == 0)
			sec.kind = (enum sec)k;
	if (strncmp(head, "source", 6) == 0 && (head[6] == '\0' || isspace((unsigned char)head[6]))) {
		char *name = (char *)sl_cfg_skip_space(head + 6);
		size_t nlen = strlen(name);
		while (nlen > 0 && isspace((unsigned char)name[nlen - 1]))
			name[--nlen] = '\0';
		if (nlen == 0) {
			fail(p, p->lineno, "a source section needs a name: [source NAME]");
			return;
		}
		if (!sl_config_valid_name(name)) {
			fail(p, p->lineno, "bad source name '%s': use 1 to %d of a-z 0-9 . _ -, starting with a "
			     "letter or digit", name, SL_MAX_NAME);
			return;
		}
		for (size_t i = 0; i < p->nsecs; i++) {
			if (p->secs[i].kind == SEC_SOURCE && strcmp(p->secs[i].name, name) == 0) {
				fail(p, p->lineno, "duplicate source '%s' (first defined at line %d)", name,
				     p->secs[i].line);
				return;
			}
		}
		if (p->nsources >= SL_MAX_SOURCES) {
			fail(p, p->lineno, "too many sources (at most %d)", SL_MAX_SOURCES);
			return;
		}
		sec.kind = SEC_SOURCE;
		sec.name = strdup(name);
		if (sec.name == NULL) {
			fail(p, 0, "out of memory");
			return;
		}
		p->nsources++;
	} else if (sec.kind == SEC_COUNT) {
		fail(p, p->lineno, "unknown section [%s] (known: [sluice], [syncd], [served], [publish], "
		     "[source NAME])", head);
		return;
	} else {
		for (size_t i = 0; i < p->nsecs; i++) {
			if (p->secs[i].kind == sec.kind) {
				fail(p, p->lineno, "duplicate section [%s] (first at line %d)", head,
				     p->secs[i].line);
				return;
			}
		}
	}
	if (sl_cfg_grow((void **)&p->secs, &p->capsecs, p->nsecs, sizeof *p->secs) != 0) {
		free(sec.name);
		fail(p, 0, "out of memory");
		return;
	}
	p->secs[p->nsecs++] = sec;
}

/* ---- problems: every one kept, listed in line order ---- */

void sl_cfg_vfail(struct cfgp *p, int line, const char *fmt, va_list ap)
{
	if (p->nerrs >= SL_MAX_CONFIG_ERRORS ||
	    sl_cfg_grow((void **)&p->errs, &p->caperrs, p->nerrs, sizeof *p->errs) != 0) {
		p->err_lost = true;   /* still an error, without text */
		return;
	}
	char msg[1024], *text = NULL;
	vsnprintf(msg, sizeof msg, fmt, ap);
	int r = line > 0 ? asprintf(&text, "%s:%d: %s", p->file, line, msg) : asprintf(&text, "%s: %s", p->file, msg);
	if (r < 0) {
		p->err_lost = true;
		return;
	}
	p->errs[p->nerrs] = (struct cfg_err){ line > 0 ? line : 0, p->nerrs, text };
	p->nerrs++;
}

/* Line order (problems without a line first); equal lines keep the order they were found in. */
static int err_cmp(const void *a, const void *b)
{
	const struct cfg_err *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The cause: every problem on its own line, in line order. Frees the list. */
char *sl_cfg_errors_join(struct cfgp *p)
{
	struct cfg_err *v = p->errs;
	size_t total = 1;
	for (size_t i = 0; i < p->nerrs; i++)
		total += strlen(v[i].msg) + 1;
	qsort(v, p->nerrs, sizeof *v, err_cmp);
	char more[160] = "";
	if (p->err_lost)
		snprintf(more, sizeof more, "%s: more problems than listed (at most %d are)", p->file,
			 SL_MAX_CONFIG_ERRORS);
	total += strlen(more) + 1;
	char *out = malloc(total), *w = out;
	for (size_t i = 0; i < p->nerrs; i++) {
		if (w != NULL) {
			size_t n = strlen(v[i].msg);
			memcpy(w, v[i].msg, n);
			w += n;
			*w++ = '\n';
		}
		free(v[i].msg);
	}
	if (w != NULL && more[0] != '\0') {
		size_t n = strlen(more);
		memcpy(w, more, n);
		w += n;
		*w++ = '\n';
	}
	if (w != NULL)
		w[w > out ? -1 : 0] = '\0';   /* no newline after the last one */
	free(v);
	p->errs = NULL;
	p->nerrs = 0;
	return out;
}

/* Classifies a line the way libinih will, so the handler knows a continuation from a key. */
static void scan_line(struct cfgp *p, const char *line)
{
	if (p->lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	bool indented = isspace((unsigned char)line[0]);
	const char *t = sl_cfg_skip_space(line);
	p->line_kind = LINE_OTHER;
	if (*t == '\0' || *t == ';' || *t == '#')
		return;
	if (*t == '[') {
		if (indented) {
			fail(p, p->lineno, "a section header must start at the beginning of the line");
			p->skip_section = true;
			return;
		}
		p->have_prev_key = false;
		size_t before = nfailed(p);
		section_header(p, t);
		/* A refused header's keys are not checked: they would only repeat the problem. */
		p->skip_section = nfailed(p) != before;
		return;
	}
	if (indented && p->have_prev_key) {
		p->line_kind = LINE_CONT;
		return;
	}
	bool was_space = false;
	const char *e = t;
	while (*e != '\0' && *e != '=' && *e != ':' && !(was_space && *e == ';')) {
		was_space = isspace((unsigned char)*e);
		e++;
	}
	if (*e != '=' && *e != ':') {
		fail(p, p->lineno, "expected 'key = value', a [section] or a comment");
		return;
	}
	p->line_kind = LINE_KEY;
	p->have_prev_key = true;
}

/* libinih's reader: one line per call, counted, checked for what libinih cannot represent. */
static char *read_line(char *buf, int num, void *stream)
{
	struct cfgp *p = stream;
	if (p->pos >= p->len)
		return NULL;
	const char *s = p->text + p->pos;
	size_t avail = p->len - p->pos;
	const char *nl = memchr(s, '\n', avail);
	size_t len = nl != NULL ? (size_t)(nl - s) : avail;
	p->pos += len + (nl != NULL);
	p->lineno++;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	/* libinih's line buffer is fixed at build time (200 bytes in Debian's r55); a longer line
	 * would be split and read as two. Room is kept for '\n' and NUL. */
	size_t max = num > 2 ? (size_t)num - 2 : 0;
	if (max > SL_MAX_CONFIG_LINE)
		max = SL_MAX_CONFIG_LINE;
	/* A line with a problem is recorded once, here, and libinih gets a blank line in its place: it goes
	 * on with the next line, so every problem of the file is found in one run. */
	size_t before = nfailed(p);
	if (memchr(s, '\0', len) != NULL) {
		fail(p, p->lineno, "NUL byte in line");
	} else if (len > max) {
		fail(p, p->lineno, "line longer than %zu bytes; split long lists over indented "
		     "continuation lines", max);
	} else {
		memcpy(buf, s, len);
		buf[len] = '\n';
		buf[len + 1] = '\0';
		scan_line(p, buf);
	}
	if (nfailed(p) != before) {
		p->line_kind = LINE_OTHER;
		strcpy(buf, "\n");
	}
	return buf;
}

/* " (it belongs in [syncd] or [source NAME])" for a key known elsewhere; "" otherwise. */
static const char *section_hint(const char *name, char *hint, size_t cap)
{
	size_t used = 0;
	hint[0] = '\0';
	for (int k = 0; k < SEC_COUNT; k++) {
		if (sl_cfg_find_key((enum sec)k, name) == NULL)
			continue;
		int w = snprintf(hint + used, cap - used, "%s[%s%s]", used ? " or " : " (it belongs in ",
				 sl_cfg_sec_names[k], k == SEC_SOURCE ? " NAME" : "");
		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
	if (used > 0 && used + 1 < cap)
		strcat(hint, ")");
	return hint;
}

/* " (did you mean 'suites'?)" for a misspelt key of section kind `sec`; "" when nothing is close. */
static void spelling_hint(enum sec sec, const char *name, char *hint, size_t cap)
{
	const char *best = NULL;
	unsigned best_d = 3;   /* at most 2 edits, and fewer than a third of the name: else it is another word */
	for (size_t k = 0;; k++) {
		const char *cand = sl_cfg_key_name(sec, k);
		if (cand == NULL)
			break;
		unsigned d = sl_cfgcheck_distance(name, cand, best_d);
		if (d < best_d && d * 3 <= strlen(cand)) {
			best = cand;
			best_d = d;
		}
	}
	hint[0] = '\0';
	if (best != NULL)
		snprintf(hint, cap, " (did you mean '%s'?)", best);
}

static int add_piece(struct cfgp *p, struct entry *e, const char *value)
{
	if (*value == '\0')
		return 0;
	if (sl_cfg_grow((void **)&e->v, &e->cap, e->n, sizeof *e->v) != 0)
		return -ENOMEM;
	char *text = strdup(value);
	if (text == NULL)
		return -ENOMEM;
	e->v[e->n++] = (struct piece){ text, p->lineno };
	return 0;
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
	struct cfgp *p = user;
	/* Errors are recorded here and parsing goes on (return 1): libinih's own count is not needed. */
	if (p->skip_section || (p->line_kind == LINE_CONT && p->skip_key))
		return 1;
	p->skip_key = p->line_kind != LINE_CONT;   /* cleared below once the key is recorded */
	char hint[160];
	if (p->nsecs == 0) {
		fail(p, p->lineno, "'%s' is outside any section%s", name, section_hint(name, hint, sizeof hint));
		return 1;
	}
	struct section *sec = &p->secs[p->nsecs - 1];
	if (p->line_kind == LINE_CONT) {
		/* libinih continues its last key; so do we (a header resets both). */
		if (sec->n == 0 || strcmp(sec->e[sec->n - 1].name, name) != 0) {
			fail(p, p->lineno, "indented line continues nothing; remove the indentation");
			return 1;
		}
		if (add_piece(p, &sec->e[sec->n - 1], value) != 0) {
			fail(p, 0, "out of memory");
			return 0;
		}
		return 1;
	}
	const struct key_def *d = sl_cfg_find_key(sec->kind, name);
	if (d == NULL) {
		section_hint(name, hint, sizeof hint);
		if (hint[0] == '\0')
			spelling_hint(sec->kind, name, hint, sizeof hint);
		fail(p, p->lineno, "unknown key '%s' in [%s%s]%s", name, sl_cfg_sec_names[sec->kind],
		     sec->kind == SEC_SOURCE ? " NAME" : "", hint);
		return 1;
	}
	for (size_t i = 0; i < sec->n; i++) {
		if (strcmp(sec->e[i].name, d->name) == 0) {
			fail(p, p->lineno, "duplicate key '%s' (first set at line %d)", name, sec->e[i].line);
			return 1;
		}
	}
	if (sl_cfg_grow((void **)&sec->e, &sec->cap, sec->n, sizeof *sec->e) != 0) {
		fail(p, 0, "out of memory");
		return 0;
	}
	struct entry *e = &sec->e[sec->n++];
	*e = (struct entry){ .name = d->name, .line = p->lineno };
	if (add_piece(p, e, value) != 0) {
		fail(p, 0, "out of memory");
		return 0;
	}
	p->skip_key = false;
	return 1;
}

void sl_cfg_scan(struct cfgp *p)
{
	int r = ini_parse_stream(read_line, p, on_value, p);
	/* Our reader mirrors libinih's syntax rules and blanks the lines it refused, so libinih should never
	 * know of an error we did not record; if it does, it is added. */
	if (r > 0 && !failed_at(p, r))
		fail(p, r, "syntax error");
	else if (r < 0 && !failed(p))
		fail(p, 0, "out of memory");
}
