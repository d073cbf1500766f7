/* apt_select: phase 3 of an APT sync — which packages a source takes (all, or the dependency closure of
 * `packages =`), and each verified index walked once to queue those packages' pool files and, when
 * re-signing, to write the filtered Packages (and start its compressed forms). */
#include "syncd/sync_apt_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apt_packages.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"

struct filter_state {
	struct apt_run *r;
	struct apt_index *ix;
	bool resign;
	struct sl_store_writer *out;   /* the filtered Packages (resign) */
	uint64_t kept;
	char *cause;
};

static int filter_write(struct filter_state *f, const void *data, size_t len)
{
	return sl_store_writer_write(f->out, data, len);
}

static char *pool_meta(const struct sl_apt_pkg *p, const struct apt_index *ix)
{
	json_t *o = json_pack("{s:s%, s:s%, s:s%, s:s, s:s}", "package", (const char *)p->package.p,
			      p->package.len, "version", (const char *)p->version.p, p->version.len, "arch",
			      (const char *)p->architecture.p, p->architecture.len, "suite", ix->suite->name,
			      "component", ix->comp);
	if (o == NULL)
		return NULL;
	char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return txt;
}

/* A pool file listed by several suites is fetched and catalogued once; the later suites are remembered
 * here, so that its entry names every suite that serves it (what `sluice diff` attributes changes to).
 * Only overlaps are kept: a few files after a point release, never the whole index. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(list, word); p != NULL; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

static int also_add(struct apt_run *r, const struct apt_index *ix, const char *path)
{
	/* Indices are filtered suite by suite: a file seen again in the first suite was first seen there (an
	 * arch:all package in each architecture), which the entry says already. */
	const char *suite = ix->suite->name;
	if (r->nidx == 0 || ix->suite == r->idx[0].suite)
		return 0;
	if (r->also == NULL) {
		r->also = json_object();
		if (r->also == NULL)
			return -ENOMEM;
	}
	const char *have = json_string_value(json_object_get(r->also, path));
	if (have != NULL && has_word(have, suite))
		return 0;   /* the same stanza in two components or architectures of one suite */
	char *joined = NULL;
	if (asprintf(&joined, "%s%s%s", have ? have : "", have ? " " : "", suite) < 0)
		return -ENOMEM;
	int rc = json_object_set_new(r->also, path, json_string(joined)) == 0 ? 0 : -ENOMEM;
	free(joined);
	return rc;
}

const char *sl_apt_select_pool_meta(struct apt_run *r, const struct sl_apt_pool_item *it, char *buf, size_t cap)
{
	const char *more = r->also != NULL ? json_string_value(json_object_get(r->also, it->path)) : NULL;
	if (more == NULL)
		return it->meta;
	json_t *o = json_loads(it->meta, 0, NULL);
	const char *first = json_string_value(json_object_get(o, "suite"));
	const char *out = it->meta;
	/* "suites": the first suite, then the others in filtering (configuration) order. */
	char suites[512];
	size_t n = first != NULL ? (size_t)snprintf(suites, sizeof suites, "%s", first) : 0;
	bool grew = false;
	for (const char *p = more; first != NULL && *p != '\0' && n < sizeof suites;) {
		size_t len = strcspn(p, " ");
		char word[128];
		snprintf(word, sizeof word, "%.*s", (int)len, p);
		if (!has_word(suites, word)) {
			n += (size_t)snprintf(suites + n, sizeof suites - n, " %s", word);
			grew = true;
		}
		p += len;
		p += *p == ' ';
	}
	if (grew && n < sizeof suites && json_object_set_new(o, "suites", json_string(suites)) == 0) {
		char *txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		if (txt != NULL && strlen(txt) < cap) {
			memcpy(buf, txt, strlen(txt) + 1);
			out = buf;
		}
		free(txt);
	}
	json_decref(o);
	return out;
}

static int filter_pkg(void *arg, const struct sl_apt_pkg *p, const struct sl_deb822_para *para)
{
	struct filter_state *f = arg;
	struct apt_run *r = f->r;
	if (r->solver != NULL &&
	    !sl_apt_solver_selected(r->solver, f->ix->suite->name, p->package, p->version, p->architecture))
		return 0;
	if (f->resign) {
		int rc = filter_write(f, para->raw.p, para->raw.len);
		if (rc == 0 && (para->raw.len == 0 || para->raw.p[para->raw.len - 1] != '\n'))
			rc = filter_write(f, "\n", 1);
		if (rc == 0)
			rc = filter_write(f, "\n", 1);
		if (rc < 0)
			return rc;
	}
	f->kept++;
	char path[SL_MAX_REL_PATH], sha[SL_SHA256_HEX];
	if (sl_blob_copy(p->filename, path, sizeof path) < 0 || sl_blob_copy(p->sha256, sha, sizeof sha) < 0)
		return -SL_E_TOOBIG;
	int rc = sl_apt_seen_add(r->seen, path);
	if (rc == 0)
		return also_add(r, f->ix, path);
	if (rc < 0)
		return rc;
	char *meta = pool_meta(p, f->ix);
	if (meta == NULL)
		return -ENOMEM;
	rc = sl_apt_pool_add(r->pool, path, sha, p->size, meta);
	free(meta);
	return rc;
}

static const enum sl_comp index_comps[2] = { SL_COMP_GZIP, SL_COMP_XZ };
static const char *const index_ext[2] = { ".gz", ".xz" };
static const char *const index_media[2] = { "application/gzip", "application/x-xz" };

static void index_path(const struct apt_index *ix, const char *ext, char *buf, size_t cap)
{
	snprintf(buf, cap, "dists/%s/%s/binary-%s/Packages%s", ix->suite->name, ix->comp, ix->arch, ext);
}

/* Without `packages =` the filtered index keeps every stanza of the upstream one, in order: the upstream
 * index as fetched (verified against the signed Release) is then already a compressed form of it, listing
 * exactly the same packages, and is published as that form instead of compressing 70 MB again (xz of a
 * Debian-main index is seconds of CPU). The verifier judges it like any generated index. */
static bool upstream_form(const struct filter_state *f, int k)
{
	const char *p = f->ix->rel_path;
	size_t n = strlen(p), e = strlen(index_ext[k]);
	return f->r->solver == NULL && n > e && strcmp(p + n - e, index_ext[k]) == 0;
}

/* Commit the filtered Packages and note which of its .gz and .xz are to be made (see
 * sl_apt_select_start_compressed). */
static int commit_output(struct filter_state *f)
{
	struct apt_index *ix = f->ix;
	uint64_t size = sl_store_writer_size(f->out);
	char path[SL_MAX_PATH];
	int rc = sl_store_writer_commit(f->out, ix->plain_sha);
	f->out = NULL;
	if (rc < 0)
		return rc;
	index_path(ix, "", path, sizeof path);
	rc = sl_sync_add_entry(f->r->ctx, path, ix->plain_sha, size, "index", "text/plain", NULL, NULL);
	for (int i = 0; i < 2 && rc == 0; i++) {
		ix->reuse[i] = upstream_form(f, i);
		ix->make[i] = !ix->reuse[i];
	}
	return rc;
}

/* Started with the pool's downloads. Those are bound by CPU on a small machine (a request, a file and a
 * commit each): a compression thread beside them at the same priority stretched them by a third at 60,000
 * packages, so the jobs run at a lower one (core/compjob.c) and mostly take what the downloads leave. */
int sl_apt_select_start_compressed(struct apt_run *r, char **cause)
{
	for (size_t i = 0; i < r->nidx; i++) {
		struct apt_index *ix = &r->idx[i];
		for (int k = 0; k < 2; k++) {
			if (!ix->make[k])
				continue;
			ix->make[k] = false;
			char *why = NULL;
			ix->jobs[k] = sl_compjob_start(r->ctx->store, ix->plain_sha, index_comps[k], SL_MAX_INDEX_BYTES,
						       &why);
			if (ix->jobs[k] == NULL) {
				sl_cause(cause, -ENOMEM, "cannot start compressing %s: %s", ix->rel_path,
					 why ? why : "out of memory");
				free(why);
				return -ENOMEM;
			}
		}
	}
	return 0;
}

/* Wait for the compressed indices and record them. After the first failure the rest are only awaited. */
int sl_apt_select_finish_compressed(struct apt_run *r, char **cause)
{
	int rc = sl_apt_select_start_compressed(r, cause);   /* a refusal ends the run before the downloads */
	for (size_t i = 0; i < r->nidx; i++) {
		struct apt_index *ix = &r->idx[i];
		for (int k = 0; k < 2; k++) {
			if (ix->reuse[k] && rc == 0) {
				char path[SL_MAX_PATH];
				index_path(ix, index_ext[k], path, sizeof path);
				int jr = sl_sync_add_entry(r->ctx, path, ix->sha256, ix->file->size, "index", index_media[k],
							   NULL, NULL);
				if (jr < 0)
					rc = sl_cause(cause, jr, "cannot record %s: %s", path, sl_strerror(jr));
			}
			ix->reuse[k] = false;
			if (ix->jobs[k] == NULL)
				continue;
			char sha[SL_SHA256_HEX], path[SL_MAX_PATH];
			uint64_t size = 0;
			char *why = NULL;
			int jr = sl_compjob_finish(ix->jobs[k], sha, &size, &why);
			ix->jobs[k] = NULL;
			index_path(ix, index_ext[k], path, sizeof path);
			if (jr == 0 && rc == 0)
				jr = sl_sync_add_entry(r->ctx, path, sha, size, "index", index_media[k], NULL, NULL);
			if (jr < 0 && rc == 0)
				rc = sl_cause(cause, jr, "cannot write %s: %s", path, why ? why : sl_strerror(jr));
			free(why);
		}
	}
	return rc;
}

int sl_apt_select_filter_index(struct apt_run *r, struct apt_index *ix, char **cause)
{
	struct filter_state f = { .r = r, .ix = ix, .resign = r->src->publish == SL_PUBLISH_RESIGN };
	char subject[SL_MAX_PATH];
	snprintf(subject, sizeof subject, "dists/%s/%s", ix->suite->name, ix->rel_path);
	int fd = -1;
	int rc = sl_store_open_object(r->ctx->store, ix->sha256, &fd, NULL);
	if (rc < 0)
		return sl_cause(cause, rc, "%s: not in the store: %s", subject, sl_strerror(rc));
	if (f.resign) {
		struct sl_store_expect ex = { .sha256 = NULL, .size = -1, .max_size = SL_MAX_INDEX_BYTES };
		f.out = sl_store_writer_new(r->ctx->store, &ex, SL_STORE_DEFER_SYNC, &f.cause);
		if (f.out == NULL)
			rc = -SL_E_VERIFY;
	}
	char *pcause = NULL;
	if (rc == 0)
		rc = sl_apt_packages_foreach_fd(fd, SL_MAX_INDEX_BYTES, filter_pkg, &f, &pcause);
	close(fd);
	if (rc < 0) {
		/* A hostile Filename or malformed stanza refuses the signed index: the verifier, reading the same
		 * evidence, records why. */
		bool refused = pcause != NULL && f.cause == NULL;
		sl_cause(cause, rc, "%s: %s", subject, pcause ? pcause : f.cause ? f.cause : sl_strerror(rc));
		free(pcause);
		free(f.cause);
		sl_store_writer_abort(f.out, false);
		ix->refused = refused;
		return refused ? -SL_E_VERIFY : rc;
	}
	free(pcause);
	if (f.resign) {
		rc = commit_output(&f);
		if (rc < 0) {
			sl_cause(cause, rc, "%s: cannot write filtered index: %s", subject, f.cause ? f.cause : sl_strerror(rc));
			free(f.cause);
			return rc;
		}
	}
	free(f.cause);
	sl_log_info(r->src->name, "%s: %llu package(s) selected", subject, (unsigned long long)f.kept);
	return 0;
}

int sl_apt_select_packages(struct apt_run *r, int tmp_dirfd, char **cause)
{
	const struct sl_source *src = r->src;
	if (src->packages.n == 0)
		return 0;
	/* libsolv treats "all" as compatible with every architecture; list only the real ones. */
	r->solver = sl_apt_solver_new((const char *const *)src->architectures.v, src->architectures.n, cause);
	if (r->solver == NULL)
		return -SL_E_VERIFY;
	/* Two passes over the indices: the first finds, by name, what the closure can reach, so that libsolv
	 * loads a few hundred stanzas instead of a whole archive (memory stays flat with the index). */
	int fds[SL_APT_MAX_INDICES];
	int rc = 0;
	size_t nfds = r->nidx;
	for (size_t i = 0; i < nfds; i++)
		fds[i] = -1;
	for (size_t i = 0; i < nfds && rc == 0; i++) {
		rc = sl_store_open_object(r->ctx->store, r->idx[i].sha256, &fds[i], NULL);
		if (rc < 0)
			sl_cause(cause, rc, "index %s: %s", r->idx[i].rel_path, sl_strerror(rc));
	}
	if (rc == 0)
		rc = sl_apt_solver_prune(r->solver, fds, nfds, (const char *const *)src->packages.v, src->packages.n,
					 tmp_dirfd, cause);
	for (size_t i = 0; i < nfds && rc == 0; i++) {
		if (lseek(fds[i], 0, SEEK_SET) != 0)
			rc = sl_cause(cause, -errno, "index %s: %s", r->idx[i].rel_path, strerror(errno));
		if (rc == 0)
			rc = sl_apt_solver_add_index(r->solver, r->idx[i].suite->name, fds[i], cause);
	}
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc < 0)
		return rc;
	rc = sl_apt_solver_closure(r->solver, (const char *const *)src->packages.v, src->packages.n, cause);
	if (rc < 0)
		return rc;
	sl_log_info(src->name, "dependency closure of %zu requested package(s): %zu package version(s)",
		    src->packages.n, sl_apt_solver_count(r->solver));
	return 0;
}

