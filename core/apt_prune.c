/* apt_prune: lean stanzas and pruning by name, what libsolv is fed for a dependency closure. */
#include "core/apt_prune.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/decomp.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"

/* What libsolv is fed: only the fields the closure reads. repo_deb would otherwise keep every
 * description, checksum and file name of a 64k-package index in the pool (tens of MB). */
static const char *const lean_fields[] = { "Package", "Version", "Architecture", "Multi-Arch",
					   "Depends", "Pre-Depends", "Provides" };
#define LEAN_NAME_MAX 32   /* bytes: longer field names are not among lean_fields */

struct lean_reader {
	struct sl_decomp_reader *r;
	size_t in_off, in_len;
	bool line_start;          /* the next byte starts a line */
	bool in_name;             /* inside a field name, not yet decided */
	bool keep;                /* the current field (with its continuation lines) is passed on */
	size_t name_len;
	size_t pend_off, pend_len;
	char name[LEAN_NAME_MAX + 1];
	char pend[LEAN_NAME_MAX + 2];
	uint8_t in[SL_DECOMP_BLOCK];
};

static bool lean_keep(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof lean_fields / sizeof lean_fields[0]; i++)
		if (strlen(lean_fields[i]) == len && strncasecmp(lean_fields[i], name, len) == 0)
			return true;
	return false;
}

/* Copy to buf the kept lines of the index: blank lines (stanza ends), kept fields and their continuation
 * lines. Malformed lines (no colon) are dropped, as libsolv would ignore them. */
static ssize_t lean_read(void *cookie, char *buf, size_t size)
{
	struct lean_reader *l = cookie;
	size_t out = 0;
	while (out < size) {
		if (l->pend_off < l->pend_len) {
			size_t n = l->pend_len - l->pend_off;
			n = n < size - out ? n : size - out;
			memcpy(buf + out, l->pend + l->pend_off, n);
			l->pend_off += n;
			out += n;
			continue;
		}
		if (l->in_off == l->in_len) {
			ssize_t n = sl_decomp_reader_read(l->r, l->in, sizeof l->in);
			if (n < 0)
				return -1;
			if (n == 0)
				break;
			l->in_off = 0;
			l->in_len = (size_t)n;
		}
		const uint8_t *p = l->in + l->in_off;
		size_t avail = l->in_len - l->in_off;
		if (l->line_start) {
			if (p[0] == '\n') {
				buf[out++] = '\n';
				l->keep = false;
				l->in_off++;
				continue;
			}
			l->line_start = false;
			l->in_name = p[0] != ' ' && p[0] != '\t';   /* else a continuation of the current field */
			l->name_len = 0;
		}
		if (l->in_name) {
			uint8_t c = p[0];
			l->in_off++;
			if (c == ':') {
				l->in_name = false;
				l->keep = l->name_len <= LEAN_NAME_MAX && lean_keep(l->name, l->name_len);
				if (l->keep) {
					memcpy(l->pend, l->name, l->name_len);
					l->pend[l->name_len] = ':';
					l->pend_off = 0;
					l->pend_len = l->name_len + 1;
				}
			} else if (c == '\n') {
				l->in_name = false;
				l->keep = false;
				l->line_start = true;
			} else if (l->name_len <= LEAN_NAME_MAX) {
				if (l->name_len < LEAN_NAME_MAX)
					l->name[l->name_len] = (char)c;
				l->name_len++;
			}
			continue;
		}
		/* The rest of a line: passed on or skipped whole, up to and including its newline. */
		const uint8_t *nl = memchr(p, '\n', avail);
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : avail;
		if (l->keep) {
			n = n < size - out ? n : size - out;
			memcpy(buf + out, p, n);
			out += n;
		}
		l->in_off += n;
		if (n > 0 && p[n - 1] == '\n')
			l->line_start = true;
	}
	return (ssize_t)out;
}

/* ---- pruning: a name-level graph ------------------------------------------------------------------- */

/* Names by their 64-bit hash only, each with a dense id. Two names sharing a hash would share an id: the
 * pruning then keeps the stanzas of both, a superset, never fewer (and at 2^-64 per pair it does not
 * happen in practice). No strings are kept: 98,000 names of Debian main cost 1.5 MB instead of 5.5. */
struct names {
	uint64_t *hash;           /* per slot; 0: empty (a real hash of 0 is stored as 1) */
	uint32_t *id;             /* per slot */
	uint32_t n;               /* ids handed out */
	uint32_t nslot;           /* power of two */
};

struct edges {
	uint32_t (*e)[2];
	size_t n, cap;
};

/* The first pass keeps each index's lean stanzas in an unlinked temp file (in the caller's directory), so
 * the second pass (add_index) needs no decompressor: the xz decoder of a Debian index alone is 9 MiB.
 * Matched to the index by inode. */
struct lean_copy {
	dev_t dev;
	ino_t ino;
	FILE *fp;
};

struct flat {
	uint32_t *v;
	size_t n, cap;
};

struct sl_apt_prune {
	struct names names;
	struct flat deps;         /* per stanza: package id, count, then every name in Depends/Pre-Depends */
	struct edges prov;        /* provided name -> providing package name */
	uint8_t *kept;            /* per id, after the closure */
	size_t stanza_at;         /* the current stanza's record in deps */
	struct lean_copy *copies;
	size_t ncopies;
};

static uint64_t name_hash(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a, then a final mix */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

static int64_t name_find(const struct names *t, const char *p, size_t len)
{
	if (t->nslot == 0)
		return -1;
	uint64_t h = name_hash(p, len);
	for (uint32_t i = (uint32_t)h & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
		if (t->hash[i] == 0)
			return -1;
		if (t->hash[i] == h)
			return t->id[i];
	}
}

static int64_t name_intern(struct names *t, const char *p, size_t len)
{
	if (len > SL_MAX_NAME * 4 || t->n >= SL_MAX_PACKAGES * 2)
		return -SL_E_TOOBIG;
	if ((uint64_t)(t->n + 1) * 5 > (uint64_t)t->nslot * 4) {   /* keep the load under 0.8 */
		uint32_t ns = t->nslot ? t->nslot * 2 : 1u << 14;
		uint64_t *hash = calloc(ns, sizeof *hash);
		uint32_t *id = malloc(ns * sizeof *id);
		if (hash == NULL || id == NULL) {
			free(hash);
			free(id);
			return -ENOMEM;
		}
		for (uint32_t k = 0; k < t->nslot; k++) {
			if (t->hash[k] == 0)
				continue;
			uint32_t i = (uint32_t)t->hash[k] & (ns - 1);
			while (hash[i] != 0)
				i = (i + 1) & (ns - 1);
			hash[i] = t->hash[k];
			id[i] = t->id[k];
		}
		free(t->hash);
		free(t->id);
		t->hash = hash;
		t->id = id;
		t->nslot = ns;
	}
	uint64_t h = name_hash(p, len);
	uint32_t i = (uint32_t)h & (t->nslot - 1);
	for (; t->hash[i] != 0; i = (i + 1) & (t->nslot - 1))
		if (t->hash[i] == h)
			return t->id[i];
	t->hash[i] = h;
	t->id[i] = t->n;
	return t->n++;
}

static int edge_add(struct edges *g, uint32_t from, uint32_t to)
{
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 4096;
		void *e = realloc(g->e, nc * sizeof *g->e);
		if (e == NULL)
			return -ENOMEM;
		g->e = e;
		g->cap = nc;
	}
	g->e[g->n][0] = from;
	g->e[g->n][1] = to;
	g->n++;
	return 0;
}

static int flat_push(struct flat *f, uint32_t x)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap + f->cap / 2 : 8192;   /* x1.5: less slack than doubling */
		uint32_t *v = realloc(f->v, nc * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		f->v = v;
		f->cap = nc;
	}
	f->v[f->n++] = x;
	return 0;
}

static int edge_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Every name in a dependency or Provides list: "a (>= 1) | b:any, c" -> a, b, c. */
static int each_name(struct sl_apt_prune *p, const char *v, size_t len, uint32_t pkg, bool provides)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == ',' || v[i] == '|'))
			i++;
		size_t start = i;
		while (i < len && v[i] != ' ' && v[i] != '\t' && v[i] != '\n' && v[i] != ',' && v[i] != '|' &&
		       v[i] != '(' && v[i] != ':' && v[i] != '[')
			i++;
		size_t end = i;
		/* Skip the rest of this item (version, architecture qualifier). */
		while (i < len && v[i] != ',' && v[i] != '|')
			i++;
		if (end == start)
			continue;
		int64_t id = name_intern(&p->names, v + start, end - start);
		if (id < 0)
			return (int)id;
		int rc = provides ? edge_add(&p->prov, (uint32_t)id, pkg) : flat_push(&p->deps, (uint32_t)id);
		if (rc < 0)
			return rc;
		if (!provides)
			p->deps.v[p->stanza_at + 1]++;   /* the stanza's count */
	}
	return 0;
}

/* A field value without its surrounding blanks. */
static void trim_blanks(const char **v, size_t *len)
{
	while (*len > 0 && (**v == ' ' || **v == '\t'))
		(*v)++, (*len)--;
	while (*len > 0 && ((*v)[*len - 1] == ' ' || (*v)[*len - 1] == '\t'))
		(*len)--;
}

/* One stanza's lean fields (Package first or not): record its names and edges. */
static int scan_stanza(struct sl_apt_prune *p, const char *st, size_t len)
{
	const char *pkg = NULL;
	size_t pkg_len = 0;
	for (int pass = 0; pass < 2; pass++) {
		int64_t id = -1;
		if (pass == 1) {
			if (pkg == NULL)
				return 0;   /* no Package: libsolv skips it too */
			id = name_intern(&p->names, pkg, pkg_len);
			if (id < 0)
				return (int)id;
			p->stanza_at = p->deps.n;
			int rc = flat_push(&p->deps, (uint32_t)id);
			if (rc == 0)
				rc = flat_push(&p->deps, 0);
			if (rc < 0)
				return rc;
		}
		for (size_t i = 0; i < len;) {
			/* A field: "Name: value" plus continuation lines. */
			size_t eol = i;
			while (eol < len && !(st[eol] == '\n' && (eol + 1 >= len || (st[eol + 1] != ' ' && st[eol + 1] != '\t'))))
				eol++;
			const char *colon = memchr(st + i, ':', eol - i);
			if (colon != NULL) {
				size_t nlen = (size_t)(colon - (st + i));
				const char *v = colon + 1;
				size_t vlen = (size_t)(st + eol - v);
				if (pass == 0 && nlen == 7 && strncasecmp(st + i, "Package", 7) == 0) {
					trim_blanks(&v, &vlen);
					pkg = v;
					pkg_len = vlen;
				} else if (pass == 1) {
					bool prov = nlen == 8 && strncasecmp(st + i, "Provides", 8) == 0;
					bool dep = (nlen == 7 && strncasecmp(st + i, "Depends", 7) == 0) ||
						   (nlen == 11 && strncasecmp(st + i, "Pre-Depends", 11) == 0);
					int rc = prov || dep ? each_name(p, v, vlen, (uint32_t)id, prov) : 0;
					if (rc < 0)
						return rc;
				}
			}
			i = eol + 1;
		}
	}
	return 0;
}

/* A stanza gathered from a FILE of lean lines: its lines, without the blank line that ends it. */
struct stanza_buf {
	FILE *in;
	char *line, *st;
	size_t line_cap, len, cap;
};

/* Gather the next stanza into b->st/b->len: 1, 0 at the end of the file, -SL_E_TOOBIG or -ENOMEM. */
static int stanza_next(struct stanza_buf *b)
{
	b->len = 0;
	for (;;) {
		ssize_t n = getline(&b->line, &b->line_cap, b->in);
		if (n < 0 || (n == 1 && b->line[0] == '\n')) {
			if (b->len > 0)
				return 1;
			if (n < 0)
				return 0;
			continue;
		}
		if (b->len + (size_t)n > SL_MAX_DEB822_PARA)
			return -SL_E_TOOBIG;
		if (b->len + (size_t)n > b->cap) {
			size_t nc = b->cap ? b->cap * 2 : 4096;
			while (nc < b->len + (size_t)n)
				nc *= 2;
			char *st = realloc(b->st, nc);
			if (st == NULL)
				return -ENOMEM;
			b->st = st;
			b->cap = nc;
		}
		memcpy(b->st + b->len, b->line, (size_t)n);
		b->len += (size_t)n;
	}
}

static void stanza_buf_release(struct stanza_buf *b)
{
	free(b->line);
	free(b->st);
}

/* Call cb for every stanza of a lean FILE. */
static int each_stanza(FILE *fp, int (*cb)(void *arg, const char *st, size_t len), void *arg)
{
	struct stanza_buf b = { .in = fp };
	int rc;
	while ((rc = stanza_next(&b)) > 0) {
		rc = cb(arg, b.st, b.len);
		if (rc < 0)
			break;
	}
	stanza_buf_release(&b);
	return rc < 0 ? rc : 0;
}

struct scan_arg {
	struct sl_apt_prune *p;
	FILE *copy;   /* or NULL */
};

static int scan_cb(void *arg, const char *st, size_t len)
{
	struct scan_arg *a = arg;
	if (a->copy != NULL && (fwrite(st, 1, len, a->copy) != len || fputc('\n', a->copy) == EOF)) {
		fclose(a->copy);   /* no copy: add_index decompresses the index again */
		a->copy = NULL;
	}
	return scan_stanza(a->p, st, len);
}

/* Open fd as a FILE of its lean lines (see lean_read). */
static FILE *lean_open(int fd, struct lean_reader **lout, char **cause)
{
	struct sl_decomp_reader *r = sl_decomp_reader_new(fd, SL_MAX_INDEX_BYTES, cause);
	if (r == NULL)
		return NULL;
	struct lean_reader *l = calloc(1, sizeof *l);
	cookie_io_functions_t io = { .read = lean_read };
	FILE *fp = NULL;
	if (l != NULL) {
		l->r = r;
		l->line_start = true;
		fp = fopencookie(l, "r", io);
	}
	if (fp == NULL) {
		free(l);
		sl_decomp_reader_free(r);
		sl_cause(cause, 0, "out of memory");
		return NULL;
	}
	*lout = l;
	return fp;
}

/* After fclose: the decompressor's error, if any (libsolv and getline see one as the end of the file). */
static int lean_close(struct lean_reader *l, char **cause)
{
	int rc = 0;
	if (*sl_decomp_reader_error(l->r) != '\0') {
		ssize_t err = sl_decomp_reader_read(l->r, NULL, 1);
		rc = sl_cause(cause, err < 0 ? (int)err : -SL_E_ARCHIVE, "%s", sl_decomp_reader_error(l->r));
	}
	sl_decomp_reader_free(l->r);
	free(l);
	return rc;
}

void sl_apt_prune_free(struct sl_apt_prune *p)
{
	if (p == NULL)
		return;
	free(p->names.hash);
	free(p->names.id);
	free(p->deps.v);
	free(p->prov.e);
	free(p->kept);
	for (size_t i = 0; i < p->ncopies; i++)
		if (p->copies[i].fp != NULL)
			fclose(p->copies[i].fp);
	free(p->copies);
	free(p);
}

/* Mark every name reachable from `names` through dependency and provider edges. */
static int prune_close(struct sl_apt_prune *p, const char *const *names, size_t n)
{
	uint32_t nn = p->names.n;
	size_t nrec = 0;
	for (size_t r = 0; r + 1 < p->deps.n; r += 2 + p->deps.v[r + 1])
		nrec++;
	p->kept = calloc(nn ? nn : 1, 1);
	uint32_t *queue = malloc((nn ? nn : 1) * sizeof *queue);
	uint32_t *rec_at = calloc((size_t)nn + 1, sizeof *rec_at), *recs = malloc((nrec ? nrec : 1) * sizeof *recs);
	size_t *prov_at = calloc((size_t)nn + 1, sizeof *prov_at);
	int rc = p->kept && queue && rec_at && recs && prov_at ? 0 : -ENOMEM;
	if (rc == 0) {
		/* Each package name's stanza records, and each provided name's providers, as compact lists. */
		for (size_t r = 0; r + 1 < p->deps.n; r += 2 + p->deps.v[r + 1])
			rec_at[p->deps.v[r] + 1]++;
		for (uint32_t i = 0; i < nn; i++)
			rec_at[i + 1] += rec_at[i];
		uint32_t *fill = calloc((size_t)nn + 1, sizeof *fill);
		if (fill == NULL) {
			rc = -ENOMEM;
		} else {
			for (size_t r = 0; r + 1 < p->deps.n; r += 2 + p->deps.v[r + 1]) {
				uint32_t pkg = p->deps.v[r];
				recs[rec_at[pkg] + fill[pkg]++] = (uint32_t)r;
			}
			free(fill);
		}
		if (p->prov.n > 0)   /* qsort's base must not be NULL, even for 0 elements */
			qsort(p->prov.e, p->prov.n, sizeof *p->prov.e, edge_cmp);
		for (size_t i = 0; i < p->prov.n; i++)
			prov_at[p->prov.e[i][0] + 1]++;
		for (uint32_t i = 0; i < nn; i++)
			prov_at[i + 1] += prov_at[i];
	}
	if (rc == 0) {
		size_t head = 0, tail = 0;
		for (size_t i = 0; i < n; i++) {
			int64_t id = name_find(&p->names, names[i], strlen(names[i]));
			if (id >= 0 && !p->kept[id]) {
				p->kept[id] = 1;
				queue[tail++] = (uint32_t)id;
			}
		}
		while (head < tail) {
			uint32_t v = queue[head++];
			for (uint32_t k = rec_at[v]; k < rec_at[v + 1]; k++) {
				const uint32_t *r = p->deps.v + recs[k];
				for (uint32_t j = 0; j < r[1]; j++) {
					uint32_t t = r[2 + j];
					if (!p->kept[t]) {
						p->kept[t] = 1;
						queue[tail++] = t;
					}
				}
			}
			for (size_t k = prov_at[v]; k < prov_at[v + 1]; k++) {
				uint32_t t = p->prov.e[k][1];
				if (!p->kept[t]) {
					p->kept[t] = 1;
					queue[tail++] = t;
				}
			}
		}
	}
	free(queue);
	free(rec_at);
	free(recs);
	free(prov_at);
	/* The graph is no longer needed: only names and marks stay for the stanza filter. */
	free(p->deps.v);
	free(p->prov.e);
	p->deps = (struct flat){ 0 };
	p->prov = (struct edges){ 0 };
	return rc;
}

static bool prune_keep(const struct sl_apt_prune *p, const char *name, size_t len)
{
	int64_t id = name_find(&p->names, name, len);
	return id >= 0 && p->kept[id];
}

/* What libsolv reads when the solver is pruned: the lean stanzas whose Package is kept. */
struct stanza_reader {
	struct stanza_buf b;
	const struct sl_apt_prune *p;
	size_t off;                 /* of the kept stanza being handed out, up to b.len + 1 (its blank line) */
	bool ready, eof;
};

static bool stanza_kept(const struct stanza_reader *z)
{
	const char *st = z->b.st;
	for (size_t i = 0; i < z->b.len;) {
		const char *l = st + i;
		const char *nl = memchr(l, '\n', z->b.len - i);
		size_t len = nl != NULL ? (size_t)(nl - l) : z->b.len - i;
		if (len > 8 && strncasecmp(l, "Package:", 8) == 0) {
			const char *v = l + 8;
			size_t vl = len - 8;
			trim_blanks(&v, &vl);
			return prune_keep(z->p, v, vl);
		}
		i += len + 1;
	}
	return false;
}

static ssize_t stanza_read(void *cookie, char *buf, size_t size)
{
	struct stanza_reader *z = cookie;
	size_t out = 0;
	while (out < size) {
		if (z->ready) {
			if (z->off < z->b.len) {
				size_t n = z->b.len - z->off < size - out ? z->b.len - z->off : size - out;
				memcpy(buf + out, z->b.st + z->off, n);
				z->off += n;
				out += n;
			} else {
				buf[out++] = '\n';   /* the blank line that ends the stanza */
				z->ready = false;
			}
			continue;
		}
		if (z->eof)
			break;
		int rc = stanza_next(&z->b);
		if (rc < 0)
			return -1;
		if (rc == 0)
			z->eof = true;
		else if (stanza_kept(z))
			z->ready = true, z->off = 0;
	}
	return (ssize_t)out;
}

/* ---- the first pass ----------------------------------------------------------------------------------- */

int sl_apt_prune_build(const int *fds, size_t nfds, const char *const *names, size_t n, int tmp_dirfd,
		       struct sl_apt_prune **out, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	*out = NULL;
	struct sl_apt_prune *p = calloc(1, sizeof *p);
	if (p == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	int rc = 0;
	p->copies = calloc(nfds ? nfds : 1, sizeof *p->copies);
	if (p->copies == NULL)
		rc = sl_cause(cause, -ENOMEM, "out of memory");
	for (size_t i = 0; i < nfds && rc == 0; i++) {
		struct lean_reader *l = NULL;
		FILE *fp = lean_open(fds[i], &l, cause);
		if (fp == NULL) {
			rc = -SL_E_ARCHIVE;
			break;
		}
		int cfd = tmp_dirfd >= 0 ? sl_fs_tmpfile(tmp_dirfd) : -1;
		struct scan_arg a = { .p = p, .copy = cfd >= 0 ? fdopen(cfd, "w+") : NULL };
		if (cfd >= 0 && a.copy == NULL)
			close(cfd);
		rc = each_stanza(fp, scan_cb, &a);
		struct stat sb;
		if (a.copy != NULL && (fflush(a.copy) != 0 || fstat(fds[i], &sb) != 0)) {
			fclose(a.copy);
			a.copy = NULL;
		}
		if (a.copy != NULL)
			p->copies[p->ncopies++] = (struct lean_copy){ sb.st_dev, sb.st_ino, a.copy };
		fclose(fp);
		int lr = lean_close(l, cause);
		if (rc == 0)
			rc = lr;
		else
			sl_cause(cause, rc, "%s", sl_strerror(rc));
	}
	if (rc == 0)
		rc = prune_close(p, names, n);
	if (rc < 0) {
		sl_apt_prune_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* ---- the second pass ---------------------------------------------------------------------------------- */

struct sl_apt_prune_stream {
	struct lean_reader *l;      /* decompressing the index; NULL when reading the first pass's copy */
	FILE *lean;                 /* lean stanzas */
	struct stanza_reader z;     /* the filter over them, when pruned */
	FILE *out;                  /* what the caller reads: the filter, or `lean` itself */
};

int sl_apt_prune_open(struct sl_apt_prune *p, int fd, struct sl_apt_prune_stream **out, char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	*out = NULL;
	struct sl_apt_prune_stream *z = calloc(1, sizeof *z);
	if (z == NULL)
		return sl_cause(cause, -ENOMEM, "out of memory");
	struct lean_copy *copy = NULL;
	struct stat sb;
	if (p != NULL && fstat(fd, &sb) == 0)
		for (size_t i = 0; i < p->ncopies && copy == NULL; i++)
			if (p->copies[i].fp != NULL && p->copies[i].dev == sb.st_dev && p->copies[i].ino == sb.st_ino)
				copy = &p->copies[i];
	if (copy != NULL) {
		z->lean = copy->fp;   /* the first pass's lean stanzas: no decompression */
		copy->fp = NULL;
		if (fseeko(z->lean, 0, SEEK_SET) != 0) {
			fclose(z->lean);
			z->lean = NULL;
		}
	}
	if (z->lean == NULL)
		z->lean = lean_open(fd, &z->l, cause);
	if (z->lean == NULL) {
		free(z);
		return -SL_E_ARCHIVE;
	}
	z->out = z->lean;
	if (p != NULL) {
		z->z = (struct stanza_reader){ .b = { .in = z->lean }, .p = p };
		cookie_io_functions_t io = { .read = stanza_read };
		z->out = fopencookie(&z->z, "r", io);
		if (z->out == NULL) {
			fclose(z->lean);
			if (z->l != NULL)
				lean_close(z->l, NULL);
			free(z);
			return sl_cause(cause, -ENOMEM, "out of memory");
		}
	}
	*out = z;
	return 0;
}

FILE *sl_apt_prune_file(struct sl_apt_prune_stream *z)
{
	return z->out;
}

int sl_apt_prune_close(struct sl_apt_prune_stream *z, char **cause)
{
	bool filtered = z->out != z->lean;
	if (filtered)
		fclose(z->out);
	bool cut = filtered && !z->z.eof;   /* the stanza filter gave up (a stanza over its cap, memory) */
	fclose(z->lean);
	int rc = z->l != NULL ? lean_close(z->l, cause) : 0;
	if (rc == 0 && cut)
		rc = sl_cause(cause, -SL_E_TOOBIG, "a stanza larger than %u bytes", SL_MAX_DEB822_PARA);
	stanza_buf_release(&z->z.b);
	free(z);
	return rc;
}
