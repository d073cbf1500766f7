/* oci_index: the in-memory index of one published OCI generation, shared lock-free by requests. */
#include "served/oci_index.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/blob.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/oci.h"
#include "served/files.h"

#define OCI_SLOTS (2 * SL_MAX_SOURCES)   /* (state dir, source) pairs with a cached index: a server needs
					  * at most SL_MAX_SOURCES; in-process tests start several servers */
#define TAG_FILE_MAX 80                  /* bytes in a _tags file: 64 hex digits and a newline */

/* One per published source link. `readers` counts requests between loading `cur` and taking their
 * reference on it: a loader that swapped `cur` waits for it to drain before dropping the slot's reference
 * to the old index, so no reader can take a reference to freed memory. */
struct oci_slot {
	char *link;                 /* STATE/public/oci/<source>; set once */
	atomic_uint readers;
	_Atomic(struct sl_oci_index *) cur;
	pthread_mutex_t lock;       /* loaders only */
	char failed[SL_OCI_GEN_MAX];   /* generation whose load failed and was logged (under lock) */
};

static struct oci_slot sl_oci_slots[OCI_SLOTS];
static atomic_size_t sl_oci_nslots;
static pthread_mutex_t sl_oci_slots_lock = PTHREAD_MUTEX_INITIALIZER;

static void index_free(struct sl_oci_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->nrepos; i++) {
		struct sl_oci_index_repo *rp = &ix->repos[i];
		for (size_t t = 0; t < rp->ntags; t++)
			free(rp->tags[t].name);
		for (size_t m = 0; m < rp->nmf; m++)
			free(rp->mf[m].data);
		free(rp->tags);
		free(rp->mf);
		free(rp->name);
	}
	free(ix->repos);
	if (ix->genfd >= 0)
		close(ix->genfd);
	free(ix);
}

void sl_oci_index_release(struct sl_oci_index *ix)
{
	if (ix != NULL && atomic_fetch_sub(&ix->refs, 1) == 1)
		index_free(ix);
}

void sl_oci_index_release_cb(void *cls)
{
	sl_oci_index_release(cls);
}

/* Read a regular file of at most cap - 1 bytes at dirfd/name (no symlink) into buf, NUL-terminated. */
static int read_small(int dirfd, const char *name, char *buf, size_t cap, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EXDEV;
	else if ((uint64_t)st.st_size >= cap)
		rc = -SL_E_TOOBIG;
	size_t got = 0;
	while (rc == 0 && got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rc = k < 0 ? -errno : -SL_E_SIZE;
		else
			got += (size_t)k;
	}
	close(fd);
	buf[rc == 0 ? got : 0] = '\0';
	*len = got;
	return rc;
}

static int cmp_manifest(const void *a, const void *b)
{
	return strcmp(((const struct sl_oci_index_manifest *)a)->hex, ((const struct sl_oci_index_manifest *)b)->hex);
}

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(((const struct sl_oci_index_tag *)a)->name, ((const struct sl_oci_index_tag *)b)->name);
}

static int cmp_repo(const void *a, const void *b)
{
	return strcmp(((const struct sl_oci_index_repo *)a)->name, ((const struct sl_oci_index_repo *)b)->name);
}

const struct sl_oci_index_manifest *sl_oci_index_find_manifest(const struct sl_oci_index_repo *rp, const char *hex)
{
	struct sl_oci_index_manifest key;
	if (strlen(hex) != SL_SHA256_HEX - 1)
		return NULL;
	memcpy(key.hex, hex, SL_SHA256_HEX);
	/* An empty array may be NULL, which bsearch and qsort must not be given (found by fuzz_served_oci_index). */
	return rp->nmf > 0 ? bsearch(&key, rp->mf, rp->nmf, sizeof *rp->mf, cmp_manifest) : NULL;
}

const struct sl_oci_index_manifest *sl_oci_index_find_tag(const struct sl_oci_index_repo *rp, const char *tag)
{
	struct sl_oci_index_tag key = { .name = (char *)tag };
	const struct sl_oci_index_tag *t =
		rp->ntags > 0 ? bsearch(&key, rp->tags, rp->ntags, sizeof *rp->tags, cmp_tag) : NULL;
	return t != NULL ? t->m : NULL;
}

const struct sl_oci_index_repo *sl_oci_index_find_repo(const struct sl_oci_index *ix, const char *name)
{
	struct sl_oci_index_repo key = { .name = (char *)name };
	return ix->nrepos > 0 ? bsearch(&key, ix->repos, ix->nrepos, sizeof *ix->repos, cmp_repo) : NULL;
}

/* Fill one manifest entry from <dir>/<hex> and <hex>.type; false (logged) when it must not be served. */
static bool load_one_manifest(struct sl_oci_index *ix, const char *source, const char *repo, int dfd,
			      struct sl_oci_index_manifest *m)
{
	char typefile[SL_SHA256_HEX + 8];
	size_t tlen;
	snprintf(typefile, sizeof typefile, "%s.type", m->hex);
	int rc = read_small(dfd, typefile, m->type, sizeof m->type, &tlen);
	while (rc == 0 && tlen > 0 && (m->type[tlen - 1] == '\n' || m->type[tlen - 1] == '\r'))
		m->type[--tlen] = '\0';
	if (rc < 0 || !sl_oci_manifest_type_known(m->type)) {
		sl_log_warn(source, "%s: %s/_manifests/%s: %s", ix->gen, repo, typefile,
			    rc < 0 ? sl_strerror(rc) : "not a manifest media type sluice knows");
		return false;
	}
	int fd = openat(dfd, m->hex, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > SL_MAX_OCI_MANIFEST) {
		sl_log_warn(source, "%s: %s/_manifests/%s: %s", ix->gen, repo, m->hex,
			    fd < 0 ? strerror(errno) : "not a regular file of 1 byte to 4 MiB");
		if (fd >= 0)
			close(fd);
		return false;
	}
	m->len = (uint64_t)st.st_size;
	if (m->len > SL_MAX_OCI_INLINE_MANIFEST || ix->cached + m->len > SL_MAX_OCI_INDEX_BYTES) {
		close(fd);
		return true;   /* sent from the file, like a blob */
	}
	m->data = malloc(m->len);
	size_t got = 0;
	while (m->data != NULL && got < m->len) {
		ssize_t k = read(fd, m->data + got, m->len - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	char actual[SL_SHA256_HEX];
	if (m->data != NULL && got == m->len)
		sl_digest_sha256(m->data, m->len, actual);
	if (m->data == NULL || got != m->len || strcmp(actual, m->hex) != 0) {
		sl_log_err(source, "%s: %s/_manifests/%s: %s", ix->gen, repo, m->hex,
			   m->data == NULL ? "out of memory" : got != m->len ? "short read" : "bytes do not match the digest");
		free(m->data);
		m->data = NULL;
		return false;
	}
	ix->cached += m->len;
	return true;
}

/* Directory listing of repofd/<sub> filtered by `keep`; names are heap strings. */
static int list_dir(int repofd, const char *sub, bool (*keep)(const char *), size_t max, char ***out, size_t *n,
		    int *dfd_out)
{
	*out = NULL;
	*n = 0;
	*dfd_out = -1;
	int dfd = sl_files_open_beneath(repofd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd == -ENOENT)
		return 0;   /* a repository without tags (pinned by digest only) */
	if (dfd < 0)
		return dfd;
	int lfd = dup(dfd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (d == NULL) {
		int err = -errno;
		if (lfd >= 0)
			close(lfd);
		close(dfd);
		return err;
	}
	int rc = 0;
	size_t cap = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!keep(de->d_name))
			continue;
		if (*n == max) {
			rc = -SL_E_TOOBIG;
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **v = realloc(*out, cap * sizeof *v);
			if (v == NULL) {
				rc = -ENOMEM;
				break;
			}
			*out = v;
		}
		(*out)[*n] = strdup(de->d_name);
		if ((*out)[*n] == NULL)
			rc = -ENOMEM;
		else
			(*n)++;
	}
	closedir(d);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
		close(dfd);
		return rc;
	}
	*dfd_out = dfd;
	return 0;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool is_hex_name(const char *s)
{
	return sl_digest_valid_sha256(s);
}

static int load_repo(struct sl_oci_index *ix, const char *source, struct sl_oci_index_repo *rp)
{
	int repofd = sl_files_open_beneath(ix->genfd, rp->name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (repofd < 0)
		return repofd;
	char **names;
	size_t n;
	int dfd;
	int rc = list_dir(repofd, "_manifests", is_hex_name, SL_MAX_OCI_MANIFESTS, &names, &n, &dfd);
	if (rc == 0 && n > 0) {
		rp->mf = calloc(n, sizeof *rp->mf);
		if (rp->mf == NULL)
			rc = -ENOMEM;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			struct sl_oci_index_manifest *m = &rp->mf[rp->nmf];
			snprintf(m->hex, sizeof m->hex, "%s", names[i]);
			if (load_one_manifest(ix, source, rp->name, dfd, m))
				rp->nmf++;
		}
		if (rp->nmf > 1)
			qsort(rp->mf, rp->nmf, sizeof *rp->mf, cmp_manifest);
	}
	free_names(names, n);
	if (dfd >= 0)
		close(dfd);
	if (rc == 0)
		rc = list_dir(repofd, "_tags", sl_oci_valid_tag, SL_MAX_OCI_TAGS, &names, &n, &dfd);
	else
		names = NULL, n = 0, dfd = -1;
	if (rc == 0 && n > 0) {
		rp->tags = calloc(n, sizeof *rp->tags);
		if (rp->tags == NULL)
			rc = -ENOMEM;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			char buf[TAG_FILE_MAX];
			size_t len;
			int trc = read_small(dfd, names[i], buf, sizeof buf, &len);
			if (trc == 0 && len > 0 && buf[len - 1] == '\n')
				buf[--len] = '\0';
			const struct sl_oci_index_manifest *m = trc == 0 && sl_digest_valid_sha256(buf) ? sl_oci_index_find_manifest(rp, buf)
												: NULL;
			if (m == NULL) {
				sl_log_warn(source, "%s: %s/_tags/%s: %s", ix->gen, rp->name, names[i],
					    trc < 0 ? sl_strerror(trc) : "no such published manifest");
				continue;
			}
			rp->tags[rp->ntags].name = names[i];
			rp->tags[rp->ntags].m = m;
			names[i] = NULL;
			rp->ntags++;
		}
		if (rp->ntags > 1)
			qsort(rp->tags, rp->ntags, sizeof *rp->tags, cmp_tag);
	}
	free_names(names, n);
	if (dfd >= 0)
		close(dfd);
	close(repofd);
	return rc;
}

/* Read public/.gen/<gen> into a new index (one reference, the caller's). NULL + *err on failure. */
static struct sl_oci_index *index_load(const char *public_dir, const char *source, const char *gen, int *err)
{
	struct sl_oci_index *ix = calloc(1, sizeof *ix);
	char *cat = NULL;
	if (ix == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	atomic_init(&ix->refs, 1);
	snprintf(ix->gen, sizeof ix->gen, "%s", gen);
	char rel[SL_OCI_GEN_MAX + 8];
	snprintf(rel, sizeof rel, ".gen/%s", gen);
	int publicfd = open(public_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ix->genfd = publicfd < 0 ? -errno : sl_files_open_beneath(publicfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (publicfd >= 0)
		close(publicfd);
	int rc = ix->genfd < 0 ? ix->genfd : 0;
	size_t catcap = (size_t)SL_MAX_OCI_REPOS * (SL_MAX_OCI_REPO + 1) + 1, len = 0;
	if (rc == 0) {
		cat = malloc(catcap);
		rc = cat == NULL ? -ENOMEM : read_small(ix->genfd, "_catalog", cat, catcap, &len);
		/* openat with an O_PATH dirfd works for read_small; a missing _catalog is an empty registry. */
		if (rc == -ENOENT)
			rc = 0;
	}
	struct sl_blob b = cat != NULL ? (struct sl_blob){ (const uint8_t *)cat, len } : SL_BLOB_NULL, line;
	while (rc == 0 && sl_blob_token(&b, "\n", &line)) {
		char name[SL_MAX_OCI_REPO + 1];
		line = sl_blob_trim(line);
		if (sl_blob_copy(line, name, sizeof name) < 0 || !sl_oci_valid_repo(name)) {
			sl_log_warn(source, "%s: _catalog: invalid repository name \"%.*s\"", gen,
				    (int)(line.len > 80 ? 80 : line.len), (const char *)line.p);
			continue;
		}
		if (ix->nrepos % 16 == 0) {
			struct sl_oci_index_repo *v = realloc(ix->repos, (ix->nrepos + 16) * sizeof *v);
			if (v == NULL) {
				rc = -ENOMEM;
				break;
			}
			ix->repos = v;
		}
		struct sl_oci_index_repo *rp = &ix->repos[ix->nrepos];
		memset(rp, 0, sizeof *rp);
		rp->name = strdup(name);
		if (rp->name == NULL) {
			rc = -ENOMEM;
			break;
		}
		ix->nrepos++;
		int lrc = load_repo(ix, source, rp);
		if (lrc == -ENOENT || lrc == -ENOTDIR || lrc == -ELOOP || lrc == -EXDEV) {
			sl_log_warn(source, "%s: _catalog names %s, which is not a directory of the generation", gen,
				    name);
			free(rp->name);
			free(rp->mf);
			free(rp->tags);
			ix->nrepos--;
		} else if (lrc < 0) {
			rc = lrc;
		}
	}
	free(cat);
	if (rc == 0 && ix->nrepos > 0) {
		qsort(ix->repos, ix->nrepos, sizeof *ix->repos, cmp_repo);
		for (size_t i = 1; i < ix->nrepos; i++)
			if (strcmp(ix->repos[i - 1].name, ix->repos[i].name) == 0)
				rc = -SL_E_PARSE;   /* a duplicate would make bsearch ambiguous */
	}
	if (rc < 0) {
		*err = rc;
		index_free(ix);
		return NULL;
	}
	return ix;
}

/* The generation public/oci/<source> points at ("../.gen/<gen>"). -ENOENT: nothing published. */
static int read_generation(const char *link, char *gen, size_t cap)
{
	char target[SL_MAX_PATH];
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n < 0)
		return errno == EINVAL ? -ENOENT : -errno;
	target[n] = '\0';
	static const char prefix[] = "../.gen/";
	const char *name = target + sizeof prefix - 1;
	if (strncmp(target, prefix, sizeof prefix - 1) != 0 || name[0] == '\0' || name[0] == '.' ||
	    strchr(name, '/') != NULL || strlen(name) >= cap)
		return -ENOENT;   /* not the publisher's shape: shown as unpublished */
	memcpy(gen, name, strlen(name) + 1);
	return 0;
}

static struct oci_slot *slot_for(const char *link)
{
	size_t n = atomic_load(&sl_oci_nslots);
	for (size_t i = 0; i < n; i++)
		if (strcmp(sl_oci_slots[i].link, link) == 0)
			return &sl_oci_slots[i];
	pthread_mutex_lock(&sl_oci_slots_lock);
	struct oci_slot *s = NULL;
	n = atomic_load(&sl_oci_nslots);
	for (size_t i = 0; i < n && s == NULL; i++)
		if (strcmp(sl_oci_slots[i].link, link) == 0)
			s = &sl_oci_slots[i];
	if (s == NULL && n < OCI_SLOTS) {
		s = &sl_oci_slots[n];
		s->link = strdup(link);
		if (s->link != NULL && pthread_mutex_init(&s->lock, NULL) == 0)
			atomic_store(&sl_oci_nslots, n + 1);   /* publishes link and lock to readers */
		else
			s = NULL;
	}
	pthread_mutex_unlock(&sl_oci_slots_lock);
	return s;
}

static struct sl_oci_index *slot_acquire(struct oci_slot *s)
{
	atomic_fetch_add(&s->readers, 1);
	struct sl_oci_index *ix = atomic_load(&s->cur);
	if (ix != NULL)
		atomic_fetch_add(&ix->refs, 1);
	atomic_fetch_sub(&s->readers, 1);
	return ix;
}

struct sl_oci_index *sl_oci_index_get(const char *public_dir, const char *source, int *err)
{
	char link[SL_MAX_PATH], gen[SL_OCI_GEN_MAX];
	if (snprintf(link, sizeof link, "%s/oci/%s", public_dir, source) >= (int)sizeof link) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	int rc = read_generation(link, gen, sizeof gen);
	if (rc < 0) {
		*err = rc;
		return NULL;
	}
	struct oci_slot *s = slot_for(link);
	if (s == NULL)   /* table full: correct, only slower */
		return index_load(public_dir, source, gen, err);
	struct sl_oci_index *ix = slot_acquire(s);
	if (ix != NULL && strcmp(ix->gen, gen) == 0)
		return ix;
	sl_oci_index_release(ix);

	pthread_mutex_lock(&s->lock);
	/* Again under the lock: a request that read the link just before a switch must not reload the
	 * generation the switch replaced. */
	rc = read_generation(link, gen, sizeof gen);
	ix = atomic_load(&s->cur);   /* only loaders, who hold the lock, drop the slot's reference */
	if (rc == 0 && ix != NULL && strcmp(ix->gen, gen) == 0) {
		atomic_fetch_add(&ix->refs, 1);
		pthread_mutex_unlock(&s->lock);
		return ix;
	}
	ix = rc == 0 ? index_load(public_dir, source, gen, &rc) : NULL;
	if (ix == NULL) {
		if (rc != -ENOENT && strcmp(s->failed, gen) != 0) {
			sl_log_err(source, "%s/.gen/%s: cannot index the generation: %s", public_dir, gen,
				   sl_strerror(rc));
			snprintf(s->failed, sizeof s->failed, "%s", gen);
		}
		pthread_mutex_unlock(&s->lock);
		*err = rc;
		return NULL;
	}
	s->failed[0] = '\0';
	atomic_fetch_add(&ix->refs, 1);   /* the slot's */
	struct sl_oci_index *old = atomic_exchange(&s->cur, ix);
	while (atomic_load(&s->readers) != 0)
		sched_yield();
	sl_oci_index_release(old);
	pthread_mutex_unlock(&s->lock);
	sl_log_debug(source, "serving generation %s (%zu repositories, %zu manifest bytes in memory)", gen,
		     ix->nrepos, ix->cached);
	return ix;
}


int sl_oci_index_open(const struct sl_oci_index *ix, const struct sl_oci_index_repo *rp, const char *dir, const char *hex)
{
	char rel[SL_MAX_OCI_REPO + sizeof "/_manifests/" + SL_SHA256_HEX];
	if (snprintf(rel, sizeof rel, "%s/%s/%s", rp->name, dir, hex) >= (int)sizeof rel)
		return -ENAMETOOLONG;   /* a truncated path could name another file */
	return sl_files_open_beneath(ix->genfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
}

