/* publish_apt: lay out an APT snapshot (hard links into the store) and, for publish = resign, write and
 * sign the Release that lists the syncer's indices. See publish_apt.h for the entry roles. */
#include "admin/publish_apt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/keys.h"
#include "admin/publish_tree.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/path.h"
#include "core/store.h"

#define HEX_BUF 129          /* sl_hasher_final's buffer size per algorithm */
#define READ_CHUNK (64u << 10) /* bytes per read while hashing an index */

struct apt_file {            /* an index listed in Release (resign) or served by hash (verbatim) */
	char *path;
	char sha256[SL_SHA256_HEX];
	uint64_t size;
	size_t rel;              /* index into apt_build.rels, set once every entry is seen */
	char md5[HEX_BUF], sha512[HEX_BUF];
};

struct apt_rel {             /* one suite: the directory holding InRelease / Release */
	char *dir;               /* "dists/<suite>" */
	char *meta_json;         /* from the InRelease/Release entry; may be NULL */
	size_t nfiles;
};

struct apt_build {
	const struct sl_publish_ctx *ctx;
	int64_t snap;
	const char *root;
	struct sl_tree *tree;
	bool resign;
	struct apt_file *files;
	size_t nfiles, capfiles;
	struct apt_rel *rels;
	size_t nrels, caprels;
	char **cause;
};


/* ---- links (admin/publish_tree does the work; its cause becomes the build's) ---- */

static int tree_failed(struct apt_build *b, int r)
{
	sl_cause(b->cause, 0, "%s", sl_tree_cause(b->tree));
	return r;
}

static int link_object(struct apt_build *b, const char *rel, const char *sha256, uint64_t size)
{
	int r = sl_tree_link(b->tree, rel, sha256, size);
	return r < 0 ? tree_failed(b, r) : 0;
}

/* by-hash/<ALG>/<hex> beside `rel`, linked to the file already at `rel`; the same content at two paths
 * (Packages in two components) shares one by-hash name. */
static int link_by_hash(struct apt_build *b, const char *rel, const char *alg, const char *hex)
{
	const char *slash = strrchr(rel, '/');
	int dlen = slash != NULL ? (int)(slash - rel) : 0;
	char path[SL_MAX_PATH];
	int n = snprintf(path, sizeof path, "%.*s%sby-hash/%s/%s", dlen, rel, dlen ? "/" : "", alg, hex);
	if (n < 0 || (size_t)n >= sizeof path || sl_path_check_relative(path, (size_t)n) < 0) {
		sl_cause(b->cause, 0, "%s: by-hash path too long or invalid", rel);
		return -SL_E_BADNAME;
	}
	int r = sl_tree_alias(b->tree, rel, path);
	return r < 0 ? tree_failed(b, r) : 0;
}

static int link_hashes(struct apt_build *b, const struct apt_file *f)
{
	int r = link_by_hash(b, f->path, "MD5Sum", f->md5);
	if (r == 0)
		r = link_by_hash(b, f->path, "SHA256", f->sha256);
	if (r == 0)
		r = link_by_hash(b, f->path, "SHA512", f->sha512);
	return r;
}

/* ---- collecting entries ---- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

static int add_file(struct apt_build *b, const struct sl_entry *e)
{
	if (b->nfiles == b->capfiles) {
		size_t cap = b->capfiles ? b->capfiles * 2 : 16;
		struct apt_file *v = realloc(b->files, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		b->files = v;
		b->capfiles = cap;
	}
	struct apt_file *f = &b->files[b->nfiles];
	memset(f, 0, sizeof *f);
	f->path = strdup(e->path);
	if (f->path == NULL)
		return -ENOMEM;
	snprintf(f->sha256, sizeof f->sha256, "%s", e->sha256);
	f->size = e->size;
	b->nfiles++;
	return 0;
}

/* Record dists/<suite>/{InRelease,Release}; the first one carrying meta wins. */
static int add_release(struct apt_build *b, const struct sl_entry *e)
{
	const char *name = base_name(e->path);
	if (strcmp(name, "InRelease") != 0 && strcmp(name, "Release") != 0)
		return 0;   /* Release.gpg: linked in verbatim, meaningless for resign */
	size_t dlen = (size_t)(name - e->path) - 1;
	if (strncmp(e->path, "dists/", 6) != 0 || dlen <= 6) {
		sl_cause(b->cause, 0, "%s: release file outside dists/<suite>/", e->path);
		return -SL_E_BADNAME;
	}
	for (size_t i = 0; i < b->nrels; i++) {
		struct apt_rel *r = &b->rels[i];
		if (strlen(r->dir) == dlen && memcmp(r->dir, e->path, dlen) == 0) {
			if (r->meta_json == NULL && e->meta_json != NULL) {
				r->meta_json = strdup(e->meta_json);
				if (r->meta_json == NULL)
					return -ENOMEM;
			}
			return 0;
		}
	}
	if (b->nrels == b->caprels) {
		size_t cap = b->caprels ? b->caprels * 2 : 4;
		struct apt_rel *v = realloc(b->rels, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		b->rels = v;
		b->caprels = cap;
	}
	struct apt_rel *r = &b->rels[b->nrels];
	memset(r, 0, sizeof *r);
	r->dir = strndup(e->path, dlen);
	if (r->dir == NULL)
		return -ENOMEM;
	b->nrels++;   /* counted now so it is freed whatever happens next */
	if (e->meta_json != NULL) {
		r->meta_json = strdup(e->meta_json);
		if (r->meta_json == NULL)
			return -ENOMEM;
	}
	return 0;
}

static int on_entry(void *arg, const struct sl_entry *e)
{
	struct apt_build *b = arg;
	if (e->path == NULL || sl_path_check_relative(e->path, strlen(e->path)) < 0) {
		sl_cause(b->cause, 0, "snapshot %lld: entry path \"%s\" is not a safe relative path", (long long)b->snap,
			  e->path != NULL ? e->path : "(null)");
		return -SL_E_BADNAME;
	}
	const char *role = e->role != NULL ? e->role : "";
	int r;
	if (strcmp(role, "pool") == 0)
		return link_object(b, e->path, e->sha256, e->size);
	if (strcmp(role, "release") == 0) {
		r = add_release(b, e);
		if (r == 0 && !b->resign)
			r = link_object(b, e->path, e->sha256, e->size);
		return r;
	}
	bool wanted = b->resign ? strcmp(role, "index") == 0 : strcmp(role, "upstream-index") == 0;
	if (wanted) {
		r = link_object(b, e->path, e->sha256, e->size);
		if (r == 0)
			r = add_file(b, e);
		return r;
	}
	if (strcmp(role, "index") == 0 || strcmp(role, "upstream-index") == 0)
		return 0;   /* the other mode's indices */
	sl_cause(b->cause, 0, "snapshot %lld: entry %s has role \"%s\", unknown to the APT publisher",
		  (long long)b->snap, e->path, role);
	return -SL_E_UNSUPPORTED;
}

/* Attach every index to the suite whose directory holds it. */
static int assign_suites(struct apt_build *b)
{
	for (size_t i = 0; i < b->nfiles; i++) {
		struct apt_file *f = &b->files[i];
		size_t best = SIZE_MAX, best_len = 0;
		for (size_t j = 0; j < b->nrels; j++) {
			size_t n = strlen(b->rels[j].dir);
			if (n > best_len && strncmp(f->path, b->rels[j].dir, n) == 0 && f->path[n] == '/') {
				best = j;
				best_len = n;
			}
		}
		if (best == SIZE_MAX) {
			sl_cause(b->cause, 0, "snapshot %lld: index %s has no InRelease/Release entry for its suite",
				  (long long)b->snap, f->path);
			return -SL_E_NOTFOUND;
		}
		f->rel = best;
		b->rels[best].nfiles++;
	}
	if (b->nfiles == 0) {
		sl_cause(b->cause, 0, "snapshot %lld has no '%s' entries (was it synced with another publish mode?)",
			  (long long)b->snap, b->resign ? "index" : "upstream-index");
		return -SL_E_NOTFOUND;
	}
	return 0;
}

/* ---- Release (resign) ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_add(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	if (s->err != 0)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(s->p != NULL ? s->p + s->len : NULL, s->p != NULL ? s->cap - s->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->err = -EINVAL;
			return;
		}
		if (s->p != NULL && (size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->len + (size_t)n + 1)
			cap *= 2;
		if (cap > SL_MAX_RELEASE_BYTES) {
			s->err = -SL_E_TOOBIG;
			return;
		}
		char *p = realloc(s->p, cap);
		if (p == NULL) {
			s->err = -ENOMEM;
			return;
		}
		s->p = p;
		s->cap = cap;
	}
}

/* Hash an index as linked in the tree; it must still be what the catalogue says. */
static int hash_index(struct apt_build *b, struct apt_file *f)
{
	int fd = openat(sl_tree_dirfd(b->tree), f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		sl_cause(b->cause, 0, "%s/%s: %s", b->root, f->path, strerror(errno));
		return -errno;
	}
	struct sl_hasher *h = sl_hasher_new(SL_HASH_MD5 | SL_HASH_SHA256 | SL_HASH_SHA512);
	uint8_t *buf = malloc(READ_CHUNK);
	int r = (h == NULL || buf == NULL) ? -ENOMEM : 0;
	uint64_t total = 0;
	while (r == 0) {
		ssize_t n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			sl_cause(b->cause, 0, "%s/%s: read: %s", b->root, f->path, strerror(errno));
		}
		if (n <= 0)
			break;
		total += (uint64_t)n;
		r = sl_hasher_update(h, buf, (size_t)n);
	}
	char sha1[HEX_BUF], sha256[HEX_BUF];
	if (r == 0)
		r = sl_hasher_final(h, f->md5, sha1, sha256, f->sha512);
	if (r == 0 && (total != f->size || strcmp(sha256, f->sha256) != 0)) {
		sl_cause(b->cause, 0, "%s: store object %s no longer matches its name (%" PRIu64 " bytes, sha256 %s)",
			  f->path, f->sha256, total, sha256);
		r = total != f->size ? -SL_E_SIZE : -SL_E_DIGEST;
	}
	free(buf);
	sl_hasher_free(h);
	close(fd);
	return r;
}

/* An upstream value copied into a Release field: one line, bounded, no control bytes. */
static int meta_field(struct apt_build *b, const struct apt_rel *rel, json_t *meta, const char *key,
		      bool token, const char **out)
{
	*out = NULL;
	json_t *v = json_object_get(meta, key);
	if (v == NULL || json_is_null(v))
		return 0;
	const char *s = json_string_value(v);
	if (s == NULL) {
		sl_cause(b->cause, 0, "%s: release meta \"%s\" is not a string", rel->dir, key);
		return -SL_E_PARSE;
	}
	size_t n = strlen(s);
	if (n > SL_MAX_RELEASE_FIELD) {
		sl_cause(b->cause, 0, "%s: release meta \"%s\" longer than %u bytes", rel->dir, key,
			  (unsigned)SL_MAX_RELEASE_FIELD);
		return -SL_E_TOOBIG;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (token && c == ' ')) {
			sl_cause(b->cause, 0, "%s: release meta \"%s\" has a forbidden character (0x%02x)", rel->dir,
				  key, c);
			return -SL_E_PARSE;
		}
	}
	if (n > 0)
		*out = s;
	return 0;
}

static void rfc2822_utc(int64_t t, char *buf, size_t cap)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d UTC", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Add `item` to a space-separated list unless present. */
static void list_add(struct sbuf *s, const char *item, size_t len)
{
	const char *p = s->p != NULL ? s->p : "";
	while (*p != '\0') {
		size_t n = strcspn(p, " ");
		if (n == len && memcmp(p, item, len) == 0)
			return;
		p += n;
		p += *p == ' ';
	}
	sb_add(s, "%s%.*s", s->len ? " " : "", (int)len, item);
}

/* Components and architectures of what is published in suite `ri`, from "<comp>/binary-<arch>/...". */
static int components_archs(struct apt_build *b, size_t ri, struct sbuf *comps, struct sbuf *archs)
{
	size_t dlen = strlen(b->rels[ri].dir) + 1;
	for (size_t i = 0; i < b->nfiles; i++) {
		if (b->files[i].rel != ri)
			continue;
		const char *rel = b->files[i].path + dlen;
		if (strchr(rel, ' ') != NULL) {
			/* Release lines are space-separated: such a name cannot be listed. */
			sl_cause(b->cause, 0, "%s: index path with a space", b->files[i].path);
			return -SL_E_BADNAME;
		}
		const char *bin = strstr(rel, "/binary-");
		if (bin != NULL) {
			const char *arch = bin + 8;
			size_t alen = strcspn(arch, "/");
			list_add(comps, rel, (size_t)(bin - rel));
			list_add(archs, arch, alen);
		} else if (strchr(rel, '/') != NULL) {
			list_add(comps, rel, strcspn(rel, "/"));
		}
	}
	return comps->err != 0 ? comps->err : archs->err;
}

static int write_at(struct apt_build *b, const char *rel, const void *data, size_t len)
{
	int r = sl_tree_write(b->tree, rel, data, len);
	return r < 0 ? tree_failed(b, r) : 0;
}

static int write_signed(struct apt_build *b, const char *dir, const char *name, enum sl_sign_mode mode,
			const struct sbuf *release)
{
	char *sig = NULL;
	size_t sig_len = 0;
	int r = sl_keys_sign(b->ctx->keys, mode, release->p, release->len, &sig, &sig_len);
	if (r < 0) {
		sl_cause(b->cause, 0, "%s/%s: signing failed: %s", dir, name, sl_strerror(r));
		free(sig);
		return r;
	}
	char path[SL_MAX_PATH];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	r = write_at(b, path, sig, sig_len);
	free(sig);
	return r;
}

static void hash_section(struct sbuf *s, const struct apt_build *b, size_t ri, const char *title, int which)
{
	size_t dlen = strlen(b->rels[ri].dir) + 1;
	sb_add(s, "%s:\n", title);
	for (size_t i = 0; i < b->nfiles; i++) {
		const struct apt_file *f = &b->files[i];
		if (f->rel != ri)
			continue;
		const char *h = which == 0 ? f->md5 : which == 1 ? f->sha256 : f->sha512;
		sb_add(s, " %s %16" PRIu64 " %s\n", h, f->size, f->path + dlen);
	}
}

/* The file's mtime is its Date. apt revalidates InRelease with If-Modified-Since alone, so two
 * publications within one second must still differ in Last-Modified: Date strictly increases (next_date). */
static int stamp(struct apt_build *b, const char *dir, const char *name, int64_t date)
{
	char path[SL_MAX_PATH];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	const struct timespec ts[2] = { { .tv_sec = (time_t)date }, { .tv_sec = (time_t)date } };
	if (utimensat(sl_tree_dirfd(b->tree), path, ts, AT_SYMLINK_NOFOLLOW) != 0)
		return sl_cause(b->cause, -errno, "%s: cannot set its time to its Date: %s", path, strerror(errno));
	return 0;
}

static int write_release(struct apt_build *b, size_t ri, int64_t date)
{
	struct apt_rel *rel = &b->rels[ri];
	if (rel->meta_json == NULL) {
		sl_cause(b->cause, 0, "%s: the InRelease/Release entry carries no meta_json", rel->dir);
		return -SL_E_PARSE;
	}
	json_error_t jerr;
	json_t *meta = json_loads(rel->meta_json, JSON_REJECT_DUPLICATES, &jerr);
	if (meta == NULL || !json_is_object(meta)) {
		sl_cause(b->cause, 0, "%s: release meta_json: %s", rel->dir, meta == NULL ? jerr.text : "not an object");
		json_decref(meta);
		return -SL_E_PARSE;
	}
	static const char *const keys[] = { "origin", "label", "suite", "version", "codename", "description" };
	static const char *const names[] = { "Origin", "Label", "Suite", "Version", "Codename", "Description" };
	const char *val[6];
	int r = 0;
	for (unsigned i = 0; i < 6 && r == 0; i++)
		r = meta_field(b, rel, meta, keys[i], i >= 2 && i <= 4, &val[i]);
	const char *dirname = rel->dir + 6;   /* after "dists/" */
	if (val[2] == NULL)
		val[2] = dirname;
	if (val[4] == NULL)
		val[4] = dirname;

	struct sbuf s = { 0 }, comps = { 0 }, archs = { 0 };
	if (r == 0)
		r = components_archs(b, ri, &comps, &archs);
	for (size_t i = 0; i < b->nfiles && r == 0; i++)
		if (b->files[i].rel == ri)
			r = hash_index(b, &b->files[i]);
	if (r == 0) {
		char when[64];
		rfc2822_utc(date, when, sizeof when);
		for (unsigned i = 0; i < 5; i++)
			if (val[i] != NULL)
				sb_add(&s, "%s: %s\n", names[i], val[i]);
		sb_add(&s, "Date: %s\n", when);
		sb_add(&s, "Acquire-By-Hash: yes\n");
		if (archs.len > 0)
			sb_add(&s, "Architectures: %s\n", archs.p);
		if (comps.len > 0)
			sb_add(&s, "Components: %s\n", comps.p);
		if (val[5] != NULL)
			sb_add(&s, "Description: %s\n", val[5]);
		hash_section(&s, b, ri, "MD5Sum", 0);
		hash_section(&s, b, ri, "SHA256", 1);
		hash_section(&s, b, ri, "SHA512", 2);
		r = s.err;
		if (r < 0)
			sl_cause(b->cause, 0, "%s/Release: %s", rel->dir, sl_strerror(r));
	}
	json_decref(meta);
	free(comps.p);
	free(archs.p);
	for (size_t i = 0; i < b->nfiles && r == 0; i++)
		if (b->files[i].rel == ri)
			r = link_hashes(b, &b->files[i]);
	char path[SL_MAX_PATH];
	snprintf(path, sizeof path, "%s/Release", rel->dir);
	if (r == 0)
		r = write_at(b, path, s.p, s.len);
	if (r == 0)
		r = write_signed(b, rel->dir, "InRelease", SL_SIGN_CLEAR, &s);
	if (r == 0)
		r = write_signed(b, rel->dir, "Release.gpg", SL_SIGN_DETACHED, &s);
	static const char *const stamped[] = { "Release", "InRelease", "Release.gpg" };
	for (unsigned i = 0; r == 0 && i < 3; i++)
		r = stamp(b, rel->dir, stamped[i], date);
	free(s.p);
	return r;
}

/* Now, but strictly after the Date of the source's previous publication: apt refuses a Release that is
 * older than the one it has, and a rollback must still reach clients. */
static int next_date(struct apt_build *b, int64_t *date)
{
	int64_t sid, last = 0;
	int r = sl_catalog_source_id(b->ctx->cat, b->ctx->src->name, &sid);
	char *v = NULL;
	if (r == 0)
		r = sl_catalog_state_get(b->ctx->cat, sid, SL_PUBLISH_APT_DATE_KEY, &v);
	if (r == 0) {
		char *end;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && end != v && x > 0)
			last = x;
		else
			sl_log_warn(b->ctx->src->name, "catalogue state %s = \"%s\" is not a time; ignored",
				    SL_PUBLISH_APT_DATE_KEY, v);
		free(v);
	} else if (r != -SL_E_NOTFOUND) {
		sl_cause(b->cause, 0, "source %s: cannot read %s: %s", b->ctx->src->name, SL_PUBLISH_APT_DATE_KEY,
			  sl_strerror(r));
		return r;
	}
	int64_t now = (int64_t)time(NULL);
	*date = now > last ? now : last + 1;
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", (long long)*date);
	r = sl_catalog_state_set(b->ctx->cat, sid, SL_PUBLISH_APT_DATE_KEY, buf);
	if (r < 0)
		sl_cause(b->cause, 0, "source %s: cannot record %s: %s", b->ctx->src->name, SL_PUBLISH_APT_DATE_KEY,
			  sl_strerror(r));
	return r;
}

static int finish_resign(struct apt_build *b)
{
	int64_t date = 0;
	int r = next_date(b, &date);
	for (size_t i = 0; i < b->nrels && r == 0; i++)
		if (b->rels[i].nfiles > 0)
			r = write_release(b, i, date);
	return r;
}

/* The upstream Release names each index by the strongest hash it lists, and apt fetches by-hash with
 * that one: SHA256 for Debian, SHA512 for repositories made by apt-ftparchive, reprepro or aptly. */
static int finish_verbatim(struct apt_build *b)
{
	for (size_t i = 0; i < b->nfiles; i++) {
		int r = hash_index(b, &b->files[i]);
		if (r == 0)
			r = link_hashes(b, &b->files[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apt_build(const struct sl_publish_ctx *ctx, int64_t snap_id, const char *dir, char **cause)
{
	struct apt_build b = {
		.ctx = ctx,
		.snap = snap_id,
		.root = dir,
		.resign = ctx->src->publish == SL_PUBLISH_RESIGN,
		.cause = cause,
	};
	if (b.resign && ctx->keys == NULL) {
		sl_cause(cause, 0, "source %s: publish = resign needs sluice's signing key (sluice init)",
			  ctx->src->name);
		return -SL_E_CONFIG;
	}
	b.tree = sl_tree_new(ctx, dir, cause);
	if (b.tree == NULL)
		return -EIO;
	int r = sl_catalog_snapshot_entries(ctx->cat, snap_id, on_entry, &b);
	if (r < 0)
		sl_cause(cause, 0, "snapshot %lld: reading entries: %s", (long long)snap_id, sl_strerror(r));
	if (r == 0)
		r = assign_suites(&b);
	if (r == 0)
		r = b.resign ? finish_resign(&b) : finish_verbatim(&b);
	for (size_t i = 0; i < b.nfiles; i++)
		free(b.files[i].path);
	free(b.files);
	for (size_t i = 0; i < b.nrels; i++) {
		free(b.rels[i].dir);
		free(b.rels[i].meta_json);
	}
	free(b.rels);
	sl_tree_free(b.tree);
	return r;
}

/* Re-signed indices carry sluice's signature; verbatim ones the upstream's. */
static bool apt_needs_key(const struct sl_source *src)
{
	return src->publish == SL_PUBLISH_RESIGN;
}

const struct sl_publisher sl_apt_publisher = {
	.build = apt_build,
	.needs_key = apt_needs_key,
};
