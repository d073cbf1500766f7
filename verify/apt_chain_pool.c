/* apt_chain_pool: the pool half of the APT verifier. Pool entries go into a sorted array keyed by a hash
 * of their path; each verified index is then streamed once and every stanza the snapshot publishes looks
 * its Filename up there (size and SHA-256 must agree), marking the entry as named. Entries no stanza
 * names are extra content, stanzas without an entry are missing content: both refused. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apt_packages.h"
#include "core/catalog.h"
#include "core/decomp.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/path.h"
#include "core/store.h"
#include "core/thread.h"
#include "verify/apt_chain_int.h"

static void pool_fail(struct chain *ch, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One refused pool file. A snapshot missing its whole pool would otherwise write 60,000 records. */
static void pool_fail(struct chain *ch, const char *subject, const char *fmt, ...)
{
	if (++ch->pool_failures > CHAIN_POOL_FAIL_DETAIL)
		return;
	char reason[SL_MAX_REASON];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	sl_verify_check(ch->v, subject, "pool-file", NULL, false, "%s", reason);
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CHAIN_KEY);   /* struct chain_have starts with its key */
}

static void hex_of(const uint8_t sha[32], char hex[SL_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[sha[i] >> 4];
		hex[2 * i + 1] = digits[sha[i] & 15];
	}
	hex[64] = '\0';
}

static bool pool_path_ok(const char *path)
{
	return sl_path_check_relative(path, strlen(path)) == 0 && strncmp(path, "pool/", 5) == 0;
}

/* ---- the walk over every entry --------------------------------------------------------------------- */

static void check_object(struct chain *ch, const struct sl_entry *e)
{
	struct sl_verify_ctx *v = ch->v;
	if (v->mode == SL_VERIFY_ARRIVAL) {
		/* The store only ever commits an object whose bytes hashed to its name. */
		if (!sl_store_has_size(v->store, e->sha256, e->size))
			pool_fail(ch, e->path, "store object %s is missing or not %llu bytes", e->sha256,
				  (unsigned long long)e->size);
		return;
	}
	/* A re-check months later: the point is to re-hash every byte. */
	uint64_t got = 0;
	int rc = sl_store_check(v->store, e->sha256, &got);
	if (rc == -SL_E_DIGEST)
		pool_fail(ch, e->path, "store object %s altered on disk: its bytes no longer hash to its name", e->sha256);
	else if (rc < 0)
		pool_fail(ch, e->path, "store object %s: %s", e->sha256,
			  rc == -ENOENT || rc == -SL_E_NOTFOUND ? "missing" : sl_strerror(rc));
	else if (got != e->size)
		pool_fail(ch, e->path, "store object has %llu bytes, the entry says %llu", (unsigned long long)got,
			  (unsigned long long)e->size);
}

static int pool_entry(struct chain *ch, const struct sl_entry *e)
{
	if (!pool_path_ok(e->path)) {
		pool_fail(ch, e->path, "hostile path: not a safe relative path under pool/");
		return 0;
	}
	check_object(ch, e);
	if (ch->nhave == ch->caphave) {
		if (ch->caphave >= SL_APT_MAX_POOL)
			return sl_cause(&ch->cause, -SL_E_TOOBIG, "more than %u pool entries", SL_APT_MAX_POOL);
		size_t cap = ch->caphave ? ch->caphave * 2 : 1024;
		struct chain_have *h = realloc(ch->have, cap * sizeof *h);
		if (h == NULL)
			return -ENOMEM;
		ch->have = h;
		ch->caphave = cap;
	}
	struct chain_have *h = &ch->have[ch->nhave];
	memset(h, 0, sizeof *h);
	chain_key(e->path, strlen(e->path), NULL, 0, h->key);
	if (sl_digest_sha256_unhex(e->sha256, strlen(e->sha256), h->sha) < 0) {
		pool_fail(ch, e->path, "entry digest \"%s\" is not a SHA-256", e->sha256);
		return 0;
	}
	h->size = e->size;
	ch->nhave++;
	ch->pool_bytes += e->size;
	return 0;
}

static int walk_cb(void *arg, const struct sl_entry *e)
{
	struct chain *ch = arg;
	const char *role = e->role != NULL ? e->role : "";
	if (strcmp(role, "pool") == 0)
		return pool_entry(ch, e);
	for (size_t i = 0; i < ch->nexpect; i++)
		if (strcmp(ch->expect[i].path, e->path) == 0 && strcmp(ch->expect[i].role, role) == 0)
			return 0;
	/* Verbatim publishing would serve it as it is: nothing outside the verified chain may pass. */
	sl_verify_check(ch->v, e->path, "chain-entry", NULL, false,
			"entry with role \"%s\" is not part of the verified chain", role);
	return 0;
}

int chain_pool_walk(struct chain *ch)
{
	/* The table sized once from the sealed entry count (an upper bound of the pool entries), not doubled
	 * past it: at 60,000 entries the doubling's slack alone is 0.3 MB of the verifier's peak. */
	struct sl_snapshot_info si;
	if (sl_catalog_snapshot_get(ch->v->cat, ch->v->snap_id, &si) == 0) {
		size_t want = si.n_entries < SL_APT_MAX_POOL ? (size_t)si.n_entries : SL_APT_MAX_POOL;
		sl_snapshot_info_release(&si);
		if (want > ch->caphave) {
			struct chain_have *h = realloc(ch->have, want * sizeof *h);
			if (h == NULL)
				return -ENOMEM;
			ch->have = h;
			ch->caphave = want;
		}
	}
	int rc = sl_catalog_snapshot_entries(ch->v->cat, ch->v->snap_id, walk_cb, ch);
	if (rc < 0)
		return sl_cause(&ch->cause, rc, "snapshot entries: %s", sl_strerror(rc));
	qsort(ch->have, ch->nhave, sizeof *ch->have, key_cmp);
	return 0;
}

/* ---- stanzas ----------------------------------------------------------------------------------------- */

struct stanza_walk {
	struct chain *ch;
	const char *subject;       /* the index being walked */
	const char *dir;           /* dists/<suite>/<comp>/binary-<arch>/: stanza keys are per index */
	bool generated;            /* resign's own index: every stanza must be an upstream one */
	uint64_t hits;             /* generated: distinct upstream stanzas it holds (marked in ch->para_hit) */
	uint64_t stanzas;
	int fatal;
	char why[SL_MAX_REASON];   /* generated: the stanza that is not an upstream one */
};

/* A stanza the snapshot publishes: its Filename must be a pool entry with its size and SHA-256. */
static void match_stanza(struct stanza_walk *w, const struct sl_apt_pkg *p)
{
	struct chain *ch = w->ch;
	char name[SL_MAX_REL_PATH];
	if (sl_blob_copy(p->filename, name, sizeof name) < 0)
		return;   /* the parser caps Filename far below this */
	struct chain_have probe;
	chain_key(name, strlen(name), NULL, 0, probe.key);
	struct chain_have *h = bsearch(&probe, ch->have, ch->nhave, sizeof *ch->have, key_cmp);
	if (h == NULL) {
		pool_fail(ch, name, "listed in %s but not in the snapshot", w->subject);
		return;
	}
	uint8_t sha[32];
	if (sl_digest_sha256_unhex((const char *)p->sha256.p, p->sha256.len, sha) < 0 || memcmp(sha, h->sha, 32) != 0 ||
	    p->size != h->size) {
		char have_hex[SL_SHA256_HEX];
		hex_of(h->sha, have_hex);
		pool_fail(ch, name, "snapshot entry has size %llu and SHA-256 %s; %s says size %llu and SHA-256 %.*s",
			  (unsigned long long)h->size, have_hex, w->subject, (unsigned long long)p->size,
			  (int)p->sha256.len, (const char *)p->sha256.p);
	}
	h->matched = true;   /* named (refused above if it differs): not reported again as unlisted */
}

static void stanza_key(const struct stanza_walk *w, const struct sl_deb822_para *para, uint8_t key[CHAIN_KEY])
{
	/* The generated index adds the blank line after each stanza: compare without line ends. */
	size_t len = para->raw.len;
	while (len > 0 && (para->raw.p[len - 1] == '\n' || para->raw.p[len - 1] == '\r'))
		len--;
	chain_key(w->dir, strlen(w->dir) + 1, para->raw.p, len, key);
}

static int para_add(struct chain *ch, const uint8_t key[CHAIN_KEY])
{
	if (ch->npara == ch->cappara) {
		if (ch->cappara >= (size_t)SL_APT_MAX_POOL * 4)
			return sl_cause(&ch->cause, -SL_E_TOOBIG, "more than %u upstream stanzas", SL_APT_MAX_POOL * 4);
		size_t cap = ch->cappara ? ch->cappara * 2 : 1024;
		uint8_t(*p)[CHAIN_KEY] = realloc(ch->para, cap * sizeof *p);
		if (p == NULL)
			return -ENOMEM;
		ch->para = p;
		ch->cappara = cap;
	}
	memcpy(ch->para[ch->npara++], key, CHAIN_KEY);
	return 0;
}

static int stanza_cb(void *arg, const struct sl_apt_pkg *p, const struct sl_deb822_para *para)
{
	struct stanza_walk *w = arg;
	w->stanzas++;
	if (w->generated) {
		uint8_t key[CHAIN_KEY];
		stanza_key(w, para, key);
		const uint8_t(*hit)[CHAIN_KEY] = bsearch(key, w->ch->para, w->ch->npara, CHAIN_KEY, key_cmp);
		if (hit == NULL) {
			snprintf(w->why, sizeof w->why, "stanza at line %u (package %.*s) is not a stanza of the "
				 "verified upstream index", para->line, (int)p->package.len, (const char *)p->package.p);
			return 1;
		}
		size_t at = (size_t)(hit - (const uint8_t(*)[CHAIN_KEY])w->ch->para);
		if (w->ch->para_hit != NULL && !(w->ch->para_hit[at / 8] & (1u << (at % 8)))) {
			w->ch->para_hit[at / 8] |= (uint8_t)(1u << (at % 8));
			w->hits++;
		}
		match_stanza(w, p);
		return 0;
	}
	if (w->ch->resign) {
		uint8_t key[CHAIN_KEY];
		stanza_key(w, para, key);
		w->fatal = para_add(w->ch, key);
		return w->fatal;
	}
	match_stanza(w, p);   /* verbatim: every upstream stanza is published */
	return 0;
}

/* Stream one index object through the Packages parser. 0 with *pcause set when the content is refused. */
static int walk_index(struct stanza_walk *w, const char *sha256, char **pcause)
{
	int fd = -1;
	int rc = sl_store_open_object(w->ch->v->store, sha256, &fd, NULL);
	if (rc < 0)
		return sl_cause(&w->ch->cause, rc, "%s: store object %s: %s", w->subject, sha256, sl_strerror(rc));
	rc = sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, stanza_cb, w, pcause);
	close(fd);
	if (w->fatal < 0)
		return sl_cause(&w->ch->cause, w->fatal, "%s: %s", w->subject, sl_strerror(w->fatal));
	if (rc == 1)
		sl_cause(pcause, 0, "%s", w->why);
	if (rc < 0 && *pcause == NULL)
		sl_cause(pcause, 0, "%s", sl_strerror(rc));
	return 0;
}

/* SHA-256 of object sha256's decompressed content into got; "" on any failure. */
static void decompressed_sha(struct sl_store *st, const char *sha256, char got[SL_SHA256_HEX])
{
	got[0] = '\0';
	int fd = -1;
	if (sl_store_open_object(st, sha256, &fd, NULL) < 0)
		return;
	struct sl_hasher *h = sl_hasher_new(SL_HASH_SHA256);
	if (h == NULL || sl_decomp_fd(fd, SL_MAX_INDEX_BYTES, sl_hasher_sink, h) != 0 ||
	    sl_hasher_final(h, NULL, NULL, got, NULL) != 0)
		got[0] = '\0';
	sl_hasher_free(h);
	close(fd);
}

/* The generated .gz's decompressed SHA-256, computed on a thread of its own while the plain index is
 * walked; compared with the plain index's once that walk has passed. Touches the store only. */
struct prehash {
	struct sl_store *st;
	char obj[SL_SHA256_HEX];    /* the object being hashed */
	char got[SL_SHA256_HEX];
	pthread_t thread;
	bool started;
};

static void *prehash_main(void *arg)
{
	struct prehash *p = arg;
	decompressed_sha(p->st, p->obj, p->got);
	return NULL;
}

static void prehash_start(struct chain *ch, const struct chain_index *ix, const char *dir, struct prehash *p)
{
	memset(p, 0, sizeof *p);
	p->st = ch->v->store;
	char path[SL_MAX_PATH + 16];
	snprintf(path, sizeof path, "%sPackages.gz", dir);
	struct sl_entry e;
	if (ix->same_form == 1 || sl_catalog_snapshot_entry(ch->v->cat, ch->v->snap_id, path, &e) != 0)
		return;
	memcpy(p->obj, e.sha256, SL_SHA256_HEX);
	sl_entry_release(&e);
	p->started = sl_thread_start(&p->thread, prehash_main, p) == 0;
}

static void prehash_join(struct prehash *p)
{
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = false;
}

/* True when object sha256 decompresses to exactly the bytes of object `plain` (the same SHA-256), from the
 * thread's result when it hashed that object. False on any failure: the caller then walks it, and that
 * walk says what is wrong. */
static bool decompresses_to(struct chain *ch, struct prehash *pre, const char *sha256, const char *plain)
{
	char got[SL_SHA256_HEX];
	if (pre->obj[0] != '\0' && strcmp(pre->obj, sha256) == 0 && pre->started) {
		prehash_join(pre);
		memcpy(got, pre->got, SL_SHA256_HEX);
	} else {
		decompressed_sha(ch->v->store, sha256, got);
	}
	return got[0] != '\0' && strcmp(got, plain) == 0;
}

/* resign: one generated index (role "index"), made of stanzas of its verified upstream index only. Records
 * failures; *stanzas counts the stanzas of a good one, *names which files were checked. */
static int check_generated(struct chain *ch, struct chain_index *ix, const char *dir, int k, uint64_t *stanzas,
			   char *names, size_t cap, struct prehash *pre)
{
	static const char *const exts[] = { "", ".gz", ".xz" };
	const char *ext = exts[k];
	struct sl_verify_ctx *v = ch->v;
	char path[SL_MAX_PATH + 16];
	snprintf(path, sizeof path, "%sPackages%s", dir, ext);
	struct sl_entry e;
	int rc = sl_catalog_snapshot_entry(v->cat, v->snap_id, path, &e);
	if (rc == -SL_E_NOTFOUND) {
		if (ext[0] == '\0')   /* .gz and .xz are conveniences; the plain index must be there */
			sl_verify_check(v, path, "index-subset", NULL, false, "not in the snapshot");
		return 0;
	}
	if (rc < 0)
		return sl_cause(&ch->cause, rc, "catalogue: %s", sl_strerror(rc));
	uint64_t got = 0;
	rc = chain_object_check(ch, e.sha256, e.size, &got);
	if (rc < 0 || got != e.size) {
		sl_verify_check(v, path, "index-subset", NULL, false, "store object %s %s", e.sha256,
				rc == -SL_E_DIGEST ? "altered on disk: its bytes no longer hash to its name"
				: rc < 0 ? "is missing" : "does not have the entry's size");
		sl_entry_release(&e);
		return 0;
	}
	struct stanza_walk w = { .ch = ch, .subject = path, .dir = dir, .generated = true };
	char *pcause = NULL;
	if (k > 0 && k == ix->same_form && strcmp(e.sha256, ix->entry_sha) == 0 && ix->plain_hits == ix->stanzas) {
		/* The verified upstream index itself, and the plain index (walked first, k == 0) held every one of
		 * its stanzas: so these are upstream stanzas by definition, and each one's pool file was matched
		 * by that walk. Walking it again would only repeat those verdicts (and decompress 70 MB). */
		w.stanzas = ix->stanzas;
		rc = 0;
	} else if (k > 0 && ix->plain_sha[0] != '\0' && decompresses_to(ch, pre, e.sha256, ix->plain_sha)) {
		/* Byte for byte the plain index walked just before (k == 0): the same stanzas, every one an upstream
		 * one, their pool files matched by that walk. Parsing it again would only repeat those verdicts. */
		w.stanzas = ix->plain_stanzas;
		rc = 0;
	} else {
		rc = walk_index(&w, e.sha256, &pcause);
	}
	if (k == 0 && rc == 0 && pcause == NULL) {
		ix->plain_hits = w.hits;
		memcpy(ix->plain_sha, e.sha256, SL_SHA256_HEX);
		ix->plain_stanzas = w.stanzas;
	}
	if (rc == 0 && pcause != NULL) {
		sl_verify_check(v, path, "index-subset", NULL, false, "%s", pcause);
		ch->index_failed = true;
	} else if (rc == 0) {
		size_t used = strlen(names);
		snprintf(names + used, cap - used, "%sPackages%s", used ? ", " : "", ext);
		*stanzas = w.stanzas;
	}
	free(pcause);
	sl_entry_release(&e);
	return rc;
}

/* resign: the generated form (1 .gz, 2 .xz) whose entry is the upstream index object itself (a syncer
 * that selected every package publishes the upstream .xz as is), 0 when none; < 0 catalogue error. */
static int same_form(struct chain *ch, const struct chain_index *ix, const char *dir)
{
	static const char *const ext[] = { "", ".gz", ".xz" };
	for (int k = 1; k < 3; k++) {
		char path[SL_MAX_PATH + 16];
		snprintf(path, sizeof path, "%sPackages%s", dir, ext[k]);
		struct sl_entry e;
		int rc = sl_catalog_snapshot_entry(ch->v->cat, ch->v->snap_id, path, &e);
		if (rc == -SL_E_NOTFOUND)
			continue;
		if (rc < 0)
			return sl_cause(&ch->cause, rc, "catalogue: %s", sl_strerror(rc));
		bool same = strcmp(e.sha256, ix->entry_sha) == 0 && strcmp(e.role ? e.role : "", "index") == 0;
		sl_entry_release(&e);
		if (same)
			return k;
	}
	return 0;
}

int chain_pool_upstream(struct chain *ch)
{
	int rc = 0;
	for (size_t i = 0; i < ch->nidx && rc == 0; i++) {
		struct chain_index *ix = &ch->idx[i];
		char subject[SL_MAX_PATH], dir[SL_MAX_PATH];
		snprintf(subject, sizeof subject, "dists/%s/%s", ix->suite->name, ix->rel_path);
		snprintf(dir, sizeof dir, "dists/%s/%s/binary-%s/", ix->suite->name, ix->comp, ix->arch);
		rc = ch->resign ? same_form(ch, ix, dir) : 0;
		if (rc < 0)
			return rc;
		ix->same_form = rc;
		struct stanza_walk w = { .ch = ch, .subject = subject, .dir = dir };
		char *pcause = NULL;
		rc = walk_index(&w, ix->entry_sha, &pcause);
		ix->stanzas = w.stanzas;
		/* A hostile Filename or malformed stanza refuses the signed index as a whole. */
		if (rc == 0 && pcause != NULL) {
			sl_verify_check(ch->v, subject, "index-content", ix->suite->signer, false, "%s", pcause);
			ch->index_failed = true;
		}
		free(pcause);
	}
	return rc;
}

int chain_pool_generated(struct chain *ch)
{
	int rc = 0;
	if (!ch->resign || ch->index_failed)
		return 0;   /* generated indices are judged against verified upstream stanzas only */
	qsort(ch->para, ch->npara, CHAIN_KEY, key_cmp);
	ch->para_hit = calloc(ch->npara / 8 + 1, 1);
	if (ch->para_hit == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ch->nidx && rc == 0; i++) {
		struct chain_index *ix = &ch->idx[i];
		char dir[SL_MAX_PATH], path[SL_MAX_PATH + 16], names[64] = "";
		snprintf(dir, sizeof dir, "dists/%s/%s/binary-%s/", ix->suite->name, ix->comp, ix->arch);
		unsigned failed = ch->v->failed;
		uint64_t stanzas = 0;
		struct prehash pre;
		prehash_start(ch, ix, dir, &pre);
		for (int k = 0; k < 3 && rc == 0; k++)
			rc = check_generated(ch, ix, dir, k, &stanzas, names, sizeof names, &pre);
		prehash_join(&pre);
		/* One record per index for the three forms of it. */
		snprintf(path, sizeof path, "%sPackages", dir);
		if (rc == 0 && ch->v->failed == failed)
			sl_verify_check(ch->v, path, "index-subset", NULL, true, "%s: %llu stanza(s), each one of the "
					"verified upstream index dists/%s/%s", names, (unsigned long long)stanzas,
					ix->suite->name, ix->rel_path);
	}
	return rc;
}

/* ---- what no stanza named ------------------------------------------------------------------------- */

static int unnamed_cb(void *arg, const struct sl_entry *e)
{
	struct chain *ch = arg;
	if (strcmp(e->role != NULL ? e->role : "", "pool") != 0 || !pool_path_ok(e->path))
		return 0;
	struct chain_have probe;
	chain_key(e->path, strlen(e->path), NULL, 0, probe.key);
	const struct chain_have *h = bsearch(&probe, ch->have, ch->nhave, sizeof *ch->have, key_cmp);
	if (h != NULL && !h->matched)
		pool_fail(ch, e->path, "not listed in the verified Packages indices the snapshot publishes");
	return 0;
}

int chain_pool_finish(struct chain *ch)
{
	if (ch->index_failed)
		return 0;   /* which files an unreadable index names is unknown: no verdict on the pool */
	size_t unnamed = 0;
	for (size_t i = 0; i < ch->nhave; i++)
		unnamed += !ch->have[i].matched;
	if (unnamed > 0) {
		/* Rare (a failure): a second walk finds their paths rather than keeping every path in memory. */
		int rc = sl_catalog_snapshot_entries(ch->v->cat, ch->v->snap_id, unnamed_cb, ch);
		if (rc < 0)
			return sl_cause(&ch->cause, rc, "snapshot entries: %s", sl_strerror(rc));
	}
	if (ch->pool_failures > CHAIN_POOL_FAIL_DETAIL)
		sl_verify_check(ch->v, "pool", "pool-files", NULL, false, "%zu more pool file failure(s), not recorded "
				"one by one", ch->pool_failures - CHAIN_POOL_FAIL_DETAIL);
	else if (ch->pool_failures == 0)
		sl_verify_check(ch->v, "pool", "pool-files", NULL, true,
				"%zu file(s), %llu bytes: size and SHA-256 match the verified Packages indices", ch->nhave,
				(unsigned long long)ch->pool_bytes);
	return 0;
}

void chain_pool_release(struct chain *ch)
{
	free(ch->have);
	free(ch->para);
	free(ch->para_hit);
}
