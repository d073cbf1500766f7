/* publish: build a snapshot's tree beside the live one, record it in the catalogue, switch one symlink.
 * The per-format work lives in the publishers (publish_apt.c...); this file owns generations, the lock,
 * the catalogue transaction, the switch, reconcile and garbage collection of old generations. */
#include "admin/publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/keys.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/limits.h"
#include "core/log.h"


#define GEN_DIR ".gen"
#define BUILD_PREFIX ".build-"
#define LOCK_FILE ".lock"
#define KEYS_DIR "keys"
#define KEYS_FILE "sluice.asc"



static int path_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int path_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		return -SL_E_TOOBIG;
	return 0;
}

/* Exclusive lock on public/.lock: serialises the commit-and-switch of every publisher and reconcile,
 * so a reconcile never "repairs" a symlink back to a generation that was just replaced. */
static int lock_public(const char *public_dir, int *fd_out)
{
	char path[SL_MAX_PATH];
	int r = path_fmt(path, sizeof path, "%s/%s", public_dir, LOCK_FILE);
	if (r < 0)
		return r;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	*fd_out = fd;
	return 0;
}

static void unlock_public(int fd)
{
	if (fd >= 0)
		close(fd);   /* releases the flock */
}

/* Point public/<format>/<source> at .gen/<gen_name> with symlink-to-temp + rename(2) + fsync(dir).
 * old_out (may be NULL, SL_MAX_PATH bytes) gets the previous target or "". */
static int switch_link(const char *public_dir, const char *format, const char *source, const char *gen_name,
		       char *old_out)
{
	char dir[SL_MAX_PATH], link[SL_MAX_PATH], tmp[SL_MAX_PATH], target[SL_MAX_PATH];
	int r = path_fmt(dir, sizeof dir, "%s/%s", public_dir, format);
	if (r == 0)
		r = path_fmt(link, sizeof link, "%s/%s", dir, source);
	if (r == 0)
		r = path_fmt(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, source, (long)getpid());
	if (r == 0)
		r = path_fmt(target, sizeof target, "../%s/%s", GEN_DIR, gen_name);
	if (r < 0)
		return r;
	r = sl_fs_mkdirs(dir, 0755);
	if (r < 0)
		return r;
	if (old_out != NULL) {
		ssize_t n = readlink(link, old_out, SL_MAX_PATH - 1);
		old_out[n > 0 ? n : 0] = '\0';
	}
	if (unlink(tmp) < 0 && errno != ENOENT)
		return -errno;
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, link) < 0) {
		r = -errno;
		unlink(tmp);
		return r;
	}
	return sl_fs_fsync_dir(dir);
}

/* The generation a symlink target "../.gen/NAME" names, or NULL for anything else. */
static const char *gen_of_target(const char *target)
{
	static const char prefix[] = "../" GEN_DIR "/";
	if (strncmp(target, prefix, sizeof prefix - 1) != 0)
		return NULL;
	const char *name = target + sizeof prefix - 1;
	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL)
		return NULL;
	return name;
}

/* Record "stopped being shown now" on a generation: gc counts grace from its mtime. */
static void touch_gen(const char *public_dir, const char *name)
{
	char path[SL_MAX_PATH];
	if (path_fmt(path, sizeof path, "%s/%s/%s", public_dir, GEN_DIR, name) < 0)
		return;
	if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
		sl_log_warn(NULL, "%s: cannot update mtime: %s", path, strerror(errno));
}

struct keep_set {
	char **v;
	size_t n, cap;
};

static int keep_add(struct keep_set *k, const char *name)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;
		char **v = realloc(k->v, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n] = strdup(name);
	if (k->v[k->n] == NULL)
		return -ENOMEM;
	k->n++;
	return 0;
}

static bool keep_has(const struct keep_set *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->v[i], name) == 0)
			return true;
	return false;
}

static void keep_release(struct keep_set *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
}

/* Every generation some public/<format>/<source> symlink points to. */
static int keep_from_links(struct keep_set *k, const char *public_dir)
{
	DIR *top = opendir(public_dir);
	if (top == NULL)
		return errno == ENOENT ? 0 : -errno;
	int r = 0;
	while (r == 0) {
		struct dirent *d = readdir(top);
		if (d == NULL)
			break;
		if (d->d_name[0] == '.')
			continue;
		int fd = openat(dirfd(top), d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;   /* a file (or keys/ being replaced): holds no generation links */
		DIR *sub = fdopendir(fd);
		if (sub == NULL) {
			close(fd);
			continue;
		}
		while (r == 0) {
			struct dirent *e = readdir(sub);
			if (e == NULL)
				break;
			char target[SL_MAX_PATH];
			ssize_t n = readlinkat(dirfd(sub), e->d_name, target, sizeof target - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			const char *name = gen_of_target(target);
			if (name != NULL)
				r = keep_add(k, name);
		}
		closedir(sub);
	}
	closedir(top);
	return r;
}

/* What the catalogue says is published for every configured source, even if its symlink is missing:
 * a crash before the switch must leave reconcile something to switch to. */
static int keep_from_catalog(struct keep_set *k, const struct sl_config *cfg, struct sl_catalog *cat)
{
	for (size_t i = 0; cfg != NULL && i < cfg->nsources; i++) {
		const struct sl_source *s = &cfg->sources[i];
		int64_t sid, snap, gen, at;
		if (sl_catalog_source_id(cat, s->name, &sid) < 0)
			continue;
		if (sl_catalog_published_get(cat, sid, &snap, &gen, &at) < 0)
			continue;
		char name[SL_MAX_PATH];
		int r = path_fmt(name, sizeof name, "%s-%s-%lld", s->format->name, s->name, (long long)gen);
		if (r == 0)
			r = keep_add(k, name);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Remove generations and abandoned builds nothing points to, once older than grace. */
static int gc_generations(const struct sl_config *cfg, struct sl_catalog *cat, const char *public_dir)
{
	char gendir[SL_MAX_PATH];
	int r = path_fmt(gendir, sizeof gendir, "%s/%s", public_dir, GEN_DIR);
	if (r < 0)
		return r;
	struct keep_set keep = { 0 };
	r = keep_from_links(&keep, public_dir);
	if (r == 0)
		r = keep_from_catalog(&keep, cfg, cat);
	if (r < 0) {
		keep_release(&keep);
		return r;
	}
	int64_t grace_s = cfg != NULL ? cfg->grace_ms / 1000 : 0;
	if (grace_s < SL_PUBLISH_MIN_AGE_S)
		grace_s = SL_PUBLISH_MIN_AGE_S;
	time_t cutoff = time(NULL) - (time_t)grace_s;

	DIR *d = opendir(gendir);
	if (d == NULL) {
		keep_release(&keep);
		return errno == ENOENT ? 0 : -errno;
	}
	for (;;) {
		struct dirent *e = readdir(d);
		if (e == NULL)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || keep_has(&keep, e->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_mtime > cutoff)
			continue;
		char path[SL_MAX_PATH];
		if (path_fmt(path, sizeof path, "%s/%s", gendir, e->d_name) < 0)
			continue;
		int rr = sl_fs_rmtree(path);
		if (rr < 0) {
			sl_log_warn(NULL, "%s: cannot remove old generation: %s", path, sl_strerror(rr));
			if (r == 0)
				r = rr;
		} else {
			sl_log_info(NULL, "%s: removed old generation", path);
		}
	}
	closedir(d);
	keep_release(&keep);
	return r;
}

/* One publication in progress: what sl_publish_snapshot() was asked, and what its phases produce. */
struct publication {
	const struct sl_publish_ctx *ctx;
	int64_t sid;                      /* the source's catalogue id */
	struct sl_snapshot_info info;     /* the snapshot as checked before the build */
	int expect_state;
	const char *action, *actor, *reason;
	char built[SL_MAX_PATH];          /* the finished build (.build-*) */
	char gen_name[SL_MAX_PATH];       /* its final name, once renamed ("" before) */
	char **cause;
};

/* In the transaction: the snapshot's state change (pending or superseded -> published, the previous one
 * superseded), or, when re-publishing, the check that it is still the published one. */
static int advance_states(const struct publication *p, int64_t prev_snap)
{
	const struct sl_publish_ctx *ctx = p->ctx;
	int64_t snap = p->info.id;
	int r;
	if (p->expect_state == SL_SNAP_PUBLISHED) {
		/* Re-publishing what is shown (fresh Date and signatures): no state change. */
		struct sl_snapshot_info now;
		r = sl_catalog_snapshot_get(ctx->cat, snap, &now);
		if (r < 0)
			return r;
		bool current = now.state == SL_SNAP_PUBLISHED && prev_snap == snap;
		enum sl_snap_state st = now.state;
		sl_snapshot_info_release(&now);
		if (!current) {
			sl_cause(p->cause, 0, "snapshot %lld of %s is no longer the published one (now %s)",
				 (long long)snap, ctx->src->name, sl_snap_state_name(st));
			return -SL_E_STATE;
		}
		return 0;
	}
	r = sl_catalog_snapshot_transition(ctx->cat, snap, (enum sl_snap_state)p->expect_state, SL_SNAP_PUBLISHED,
					   p->reason);
	if (r == -SL_E_STATE) {
		sl_cause(p->cause, 0, "snapshot %lld of %s is no longer %s: another admin got there first",
			 (long long)snap, ctx->src->name, sl_snap_state_name((enum sl_snap_state)p->expect_state));
		return r;
	}
	if (r < 0 || prev_snap == 0 || prev_snap == snap)
		return r;
	char why[64];
	snprintf(why, sizeof why, "superseded by snapshot %lld", (long long)snap);
	r = sl_catalog_snapshot_transition(ctx->cat, prev_snap, SL_SNAP_PUBLISHED, SL_SNAP_SUPERSEDED, why);
	if (r < 0)
		sl_cause(p->cause, 0, "source %s: previously published snapshot %lld cannot be superseded: %s",
			 ctx->src->name, (long long)prev_snap, sl_strerror(r));
	return r;
}

/* In the transaction: move the build to its generation's final name (p->gen_name set once renamed). */
static int install_generation(struct publication *p, int64_t gen)
{
	const struct sl_publish_ctx *ctx = p->ctx;
	char final[SL_MAX_PATH];
	int r = path_fmt(p->gen_name, sizeof p->gen_name, "%s-%s-%lld", ctx->src->format->name, ctx->src->name,
			 (long long)gen);
	if (r == 0)
		r = path_fmt(final, sizeof final, "%s/%s/%s", ctx->public_dir, GEN_DIR, p->gen_name);
	if (r < 0)
		return r;
	/* A directory of that name can only be left from a crash before an earlier commit: unreferenced. */
	r = sl_fs_rmtree(final);
	if (r < 0) {
		sl_cause(p->cause, 0, "%s: cannot remove stale generation: %s", final, sl_strerror(r));
		return r;
	}
	if (rename(p->built, final) < 0) {
		r = -errno;
		sl_cause(p->cause, 0, "rename %s -> %s: %s", p->built, final, strerror(errno));
		p->gen_name[0] = '\0';
		return r;
	}
	touch_gen(ctx->public_dir, p->gen_name);   /* gc must not mistake it for old before the switch */
	return 0;
}

/* Inside the open transaction: make the snapshot the published one of its source at a new generation,
 * and say so in the audit log. */
static int commit_publication(struct publication *p)
{
	const struct sl_publish_ctx *ctx = p->ctx;
	int64_t prev_snap = 0, prev_gen = 0, at;
	int r = sl_catalog_published_get(ctx->cat, p->sid, &prev_snap, &prev_gen, &at);
	if (r == -SL_E_NOTFOUND) {
		prev_snap = 0;
		prev_gen = 0;
	} else if (r < 0) {
		sl_cause(p->cause, 0, "source %s: cannot read the published pointer: %s", ctx->src->name,
			 sl_strerror(r));
		return r;
	}
	r = advance_states(p, prev_snap);
	if (r == 0)
		r = install_generation(p, prev_gen + 1);
	if (r == 0)
		r = sl_catalog_published_set(ctx->cat, p->sid, p->info.id, prev_gen + 1);
	if (r < 0)
		return r;
	struct sl_audit_entry a = {
		.actor = p->actor != NULL ? p->actor : "unknown",
		.action = p->action != NULL ? p->action : "publish",
		.source = ctx->src->name,
		.snapshot_id = p->info.id,
		.content_digest = p->info.content_digest[0] != '\0' ? p->info.content_digest : NULL,
		.reason = p->reason,
	};
	return sl_catalog_audit_append(ctx->cat, &a);
}

/* public/keys/sluice.asc: the keys that sign what is about to be shown, written before the switch so a
 * client never sees metadata signed by a key it cannot fetch (rotation adds the new key here first). */
static int export_keys(const struct sl_publish_ctx *ctx, char **cause)
{
	char dir[SL_MAX_PATH], path[SL_MAX_PATH];
	int r = path_fmt(dir, sizeof dir, "%s/%s", ctx->public_dir, KEYS_DIR);
	if (r == 0)
		r = path_fmt(path, sizeof path, "%s/%s", dir, KEYS_FILE);
	if (r < 0)
		return r;
	char *armor = NULL, *old = NULL;
	size_t len = 0, old_len = 0;
	r = sl_keys_export(ctx->keys, &armor, &len);
	if (r < 0) {
		sl_cause(cause, 0, "cannot export sluice's public keys: %s", sl_strerror(r));
		return r;
	}
	if (sl_fs_read_file(path, SL_MAX_KEYRING_BYTES, &old, &old_len) == 0 && old_len == len &&
	    memcmp(old, armor, len) == 0) {
		free(old);
		free(armor);
		return 0;
	}
	free(old);
	r = sl_fs_mkdirs(dir, 0755);
	if (r == 0)
		r = sl_fs_write_atomic(path, armor, len, 0644);
	free(armor);
	if (r < 0)
		sl_cause(cause, 0, "%s: cannot write: %s", path, sl_strerror(r));
	return r;
}

/* Build into a fresh .build-* directory; on success *built holds its path. */
static int build_generation(const struct sl_publish_ctx *ctx, const struct sl_publisher *pub, int64_t snap,
			    char *built, char **cause)
{
	char gendir[SL_MAX_PATH];
	int r = path_fmt(gendir, sizeof gendir, "%s/%s", ctx->public_dir, GEN_DIR);
	if (r == 0)
		r = path_fmt(built, SL_MAX_PATH, "%s/%s%s-%s-XXXXXX", gendir, BUILD_PREFIX,
			     ctx->src->format->name, ctx->src->name);
	if (r < 0)
		return r;
	r = sl_fs_mkdirs(gendir, 0755);
	if (r < 0) {
		sl_cause(cause, 0, "%s: cannot create: %s", gendir, sl_strerror(r));
		return r;
	}
	if (mkdtemp(built) == NULL || chmod(built, 0755) < 0) {
		r = -errno;
		sl_cause(cause, 0, "%s: cannot create build directory: %s", gendir, strerror(errno));
		return r;
	}
	r = pub->build(ctx, snap, built, cause);
	if (r == 0) {
		/* Hard links and generated files must be durable before the catalogue points at them. */
		int fd = open(built, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0) {
			r = -errno;
			sl_cause(cause, 0, "%s: cannot sync: %s", built, strerror(errno));
		}
		if (fd >= 0)
			close(fd);
	}
	if (r < 0) {
		sl_cause(cause, 0, "snapshot %lld of %s: build failed: %s", (long long)snap, ctx->src->name,
			  sl_strerror(r));
		sl_fs_rmtree(built);
	}
	return r;
}

/* Before any work: the snapshot exists, belongs to the context's source and is in the expected state
 * (checked again inside the transaction; this only spares a useless build). Fills p->sid and p->info. */
static int check_candidate(struct publication *p, int64_t snap_id)
{
	const struct sl_publish_ctx *ctx = p->ctx;
	const struct sl_source *src = ctx->src;
	int r = sl_catalog_source_id(ctx->cat, src->name, &p->sid);
	if (r < 0) {
		sl_cause(p->cause, 0, "source %s: not in the catalogue: %s", src->name, sl_strerror(r));
		return r;
	}
	r = sl_catalog_snapshot_get(ctx->cat, snap_id, &p->info);
	if (r < 0) {
		sl_cause(p->cause, 0, "snapshot %lld: %s", (long long)snap_id, sl_strerror(r));
		return r;
	}
	if (p->info.source_id != p->sid) {
		sl_cause(p->cause, 0, "snapshot %lld belongs to source %s, not %s", (long long)snap_id,
			 p->info.source_name != NULL ? p->info.source_name : "?", src->name);
		r = -SL_E_NOTFOUND;
	} else if ((int)p->info.state != p->expect_state) {
		sl_cause(p->cause, 0, "snapshot %lld of %s is %s, not %s", (long long)snap_id, src->name,
			 sl_snap_state_name(p->info.state), sl_snap_state_name((enum sl_snap_state)p->expect_state));
		r = -SL_E_STATE;
	}
	if (r < 0)
		sl_snapshot_info_release(&p->info);
	return r;
}

/* Under the public lock: one transaction records the publication; on failure nothing of it remains
 * (catalogue rolled back, the build and its renamed generation removed). */
static int record_publication(struct publication *p)
{
	const struct sl_publish_ctx *ctx = p->ctx;
	int r = sl_catalog_begin(ctx->cat);
	if (r == 0) {
		r = commit_publication(p);
		if (r == 0)
			r = sl_catalog_commit(ctx->cat);
		if (r < 0)
			sl_catalog_rollback(ctx->cat);
	}
	if (r < 0) {
		char final[SL_MAX_PATH];
		if (p->gen_name[0] != '\0' &&
		    path_fmt(final, sizeof final, "%s/%s/%s", ctx->public_dir, GEN_DIR, p->gen_name) == 0)
			sl_fs_rmtree(final);
		sl_fs_rmtree(p->built);
		sl_cause(p->cause, 0, "snapshot %lld of %s: cannot record the publication: %s", (long long)p->info.id,
			 ctx->src->name, sl_strerror(r));
	}
	return r;
}

/* Under the public lock, after the commit: clients see the new generation (one symlink switch), the old
 * one starts its grace period, and generations past it are removed. */
static int show_publication(const struct publication *p)
{
	const struct sl_publish_ctx *ctx = p->ctx;
	const struct sl_source *src = ctx->src;
	char old[SL_MAX_PATH];
	int r = switch_link(ctx->public_dir, src->format->name, src->name, p->gen_name, old);
	if (r < 0) {
		sl_log_err(src->name, "%s/%s/%s: published %s in the catalogue but cannot switch the link "
			   "(run reconcile): %s", ctx->public_dir, src->format->name, src->name, p->gen_name,
			   sl_strerror(r));
		sl_cause(p->cause, 0, "%s/%s/%s: cannot switch to %s: %s", ctx->public_dir, src->format->name,
			 src->name, p->gen_name, sl_strerror(r));
		return r;
	}
	const char *old_gen = gen_of_target(old);
	if (old_gen != NULL && strcmp(old_gen, p->gen_name) != 0)
		touch_gen(ctx->public_dir, old_gen);
	sl_log_info(src->name, "published snapshot %lld as %s/%s/%s (%s)", (long long)p->info.id,
		    ctx->public_dir, GEN_DIR, p->gen_name, p->action != NULL ? p->action : "publish");
	/* Best effort: a failure to clean up never undoes a publication; reconcile retries. */
	gc_generations(ctx->cfg, ctx->cat, ctx->public_dir);
	return 0;
}

int sl_publish_snapshot(const struct sl_publish_ctx *ctx, int64_t snap_id, int expect_state,
			const char *action, const char *actor, const char *reason, char **cause)
{
	if (ctx == NULL || ctx->src == NULL || ctx->src->format == NULL || ctx->cat == NULL ||
	    ctx->store == NULL || ctx->public_dir == NULL)
		return -EINVAL;
	const struct sl_source *src = ctx->src;
	const struct sl_publisher *pub = src->format->publish;
	if (pub == NULL) {
		sl_cause(cause, 0, "source %s: no publisher for format %s", src->name, src->format->name);
		return -SL_E_UNSUPPORTED;
	}
	if (expect_state != SL_SNAP_PENDING && expect_state != SL_SNAP_SUPERSEDED &&
	    expect_state != SL_SNAP_PUBLISHED)
		return -EINVAL;

	struct publication p = { .ctx = ctx, .expect_state = expect_state, .action = action, .actor = actor,
				 .reason = reason, .cause = cause };
	int r = check_candidate(&p, snap_id);
	if (r < 0)
		return r;
	/* Build (and export the signing keys) outside the lock: it takes long, and nothing shows it yet. */
	r = build_generation(ctx, pub, snap_id, p.built, cause);
	if (r == 0 && ctx->keys != NULL) {
		r = export_keys(ctx, cause);
		if (r < 0)
			sl_fs_rmtree(p.built);
	}
	if (r < 0) {
		sl_snapshot_info_release(&p.info);
		return r;
	}
	int lock = -1;
	r = lock_public(ctx->public_dir, &lock);
	if (r < 0) {
		sl_cause(cause, 0, "%s/%s: cannot lock: %s", ctx->public_dir, LOCK_FILE, sl_strerror(r));
		sl_fs_rmtree(p.built);
		sl_snapshot_info_release(&p.info);
		return r;
	}
	r = record_publication(&p);
	if (r == 0)
		r = show_publication(&p);
	sl_snapshot_info_release(&p.info);
	unlock_public(lock);
	return r;
}

/* One source: point its symlink where the catalogue says, or remove it when nothing is published. */
static int reconcile_source(const struct sl_source *s, struct sl_catalog *cat, const char *public_dir)
{
	char link[SL_MAX_PATH], cur[SL_MAX_PATH], want[SL_MAX_PATH], gen_path[SL_MAX_PATH];
	int r = path_fmt(link, sizeof link, "%s/%s/%s", public_dir, s->format->name, s->name);
	if (r < 0)
		return r;
	ssize_t n = readlink(link, cur, sizeof cur - 1);
	cur[n > 0 ? n : 0] = '\0';

	int64_t sid, snap, gen, at;
	r = sl_catalog_source_id(cat, s->name, &sid);
	if (r == 0)
		r = sl_catalog_published_get(cat, sid, &snap, &gen, &at);
	if (r == -SL_E_NOTFOUND) {
		if (n > 0) {
			sl_log_warn(s->name, "%s: nothing is published in the catalogue; removing the link", link);
			if (unlink(link) < 0 && errno != ENOENT)
				return -errno;
		}
		return 0;
	}
	if (r < 0)
		return r;

	char name[SL_MAX_PATH];
	r = path_fmt(name, sizeof name, "%s-%s-%lld", s->format->name, s->name, (long long)gen);
	if (r == 0)
		r = path_fmt(want, sizeof want, "../%s/%s", GEN_DIR, name);
	if (r == 0)
		r = path_fmt(gen_path, sizeof gen_path, "%s/%s/%s", public_dir, GEN_DIR, name);
	if (r < 0)
		return r;
	if (n > 0 && strcmp(cur, want) == 0)
		return 0;
	struct stat st;
	if (lstat(gen_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		sl_log_err(s->name, "%s: generation of published snapshot %lld is missing; %s left as it is "
			   "(publish the snapshot again)", gen_path, (long long)snap, link);
		return -SL_E_NOTFOUND;
	}
	char old[SL_MAX_PATH];
	r = switch_link(public_dir, s->format->name, s->name, name, old);
	if (r < 0) {
		sl_log_err(s->name, "%s: cannot switch to %s: %s", link, name, sl_strerror(r));
		return r;
	}
	const char *old_gen = gen_of_target(old);
	if (old_gen != NULL)
		touch_gen(public_dir, old_gen);
	sl_log_warn(s->name, "%s: repaired link: %s -> %s (snapshot %lld)", link, n > 0 ? cur : "(none)", want,
		    (long long)snap);
	return 0;
}

int sl_publish_reconcile(const struct sl_config *cfg, struct sl_catalog *cat, const char *public_dir)
{
	if (cfg == NULL || cat == NULL || public_dir == NULL)
		return -EINVAL;
	int r = sl_fs_mkdirs(public_dir, 0755);
	if (r < 0)
		return r;
	int lock = -1;
	r = lock_public(public_dir, &lock);
	if (r < 0) {
		sl_log_err(NULL, "%s/%s: cannot lock: %s", public_dir, LOCK_FILE, sl_strerror(r));
		return r;
	}
	int first = 0;
	for (size_t i = 0; i < cfg->nsources; i++) {
		r = reconcile_source(&cfg->sources[i], cat, public_dir);
		if (r < 0 && first == 0)
			first = r;
	}
	r = gc_generations(cfg, cat, public_dir);
	if (r < 0 && first == 0)
		first = r;
	unlock_public(lock);
	return first;
}
