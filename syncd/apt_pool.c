/* apt_pool: fixed-size headers (lengths, size) followed by the strings, through a stdio buffer. */
#include "syncd/apt_pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"

struct sl_apt_pool {
	FILE *fp;
	size_t count;
	uint64_t bytes;
	int err;        /* sticky: a failed write makes every later read fail */
	bool reading;   /* rewound once: no more appends */
};

struct rec {
	uint64_t size;
	uint16_t path_len, meta_len;
	char sha256[SL_SHA256_HEX - 1];
};

struct sl_apt_pool *sl_apt_pool_new(int dirfd, char **cause)
{
	struct sl_apt_pool *p = calloc(1, sizeof *p);
	int fd = p != NULL ? sl_fs_tmpfile(dirfd) : -ENOMEM;
	if (fd >= 0) {
		p->fp = fdopen(fd, "w+");
		if (p->fp == NULL) {
			int e = errno;
			close(fd);
			fd = -e;
		}
	}
	if (p == NULL || p->fp == NULL) {
		sl_cause(cause, 0, "cannot create the pool list: %s", sl_strerror(fd));
		free(p);
		return NULL;
	}
	return p;
}

void sl_apt_pool_free(struct sl_apt_pool *p)
{
	if (p == NULL)
		return;
	fclose(p->fp);
	free(p);
}

int sl_apt_pool_add(struct sl_apt_pool *p, const char *path, const char *sha256, uint64_t size, const char *meta)
{
	if (p->err != 0)
		return p->err;
	if (p->reading)
		return -EINVAL;
	size_t pl = strlen(path), ml = meta != NULL ? strlen(meta) : 0;
	if (pl >= SL_MAX_REL_PATH || ml >= SL_APT_POOL_META_MAX || strlen(sha256) != SL_SHA256_HEX - 1)
		return -SL_E_TOOBIG;
	struct rec r = { .size = size, .path_len = (uint16_t)pl, .meta_len = (uint16_t)ml };
	memcpy(r.sha256, sha256, sizeof r.sha256);
	if (fwrite(&r, sizeof r, 1, p->fp) != 1 || fwrite(path, 1, pl, p->fp) != pl ||
	    (ml > 0 && fwrite(meta, 1, ml, p->fp) != ml)) {
		p->err = -(errno ? errno : EIO);
		return p->err;
	}
	p->count++;
	p->bytes += size;
	return 0;
}

size_t sl_apt_pool_count(const struct sl_apt_pool *p)
{
	return p->count;
}

uint64_t sl_apt_pool_bytes(const struct sl_apt_pool *p)
{
	return p->bytes;
}

int sl_apt_pool_rewind(struct sl_apt_pool *p)
{
	if (p->err != 0)
		return p->err;
	p->reading = true;
	if (fflush(p->fp) != 0 || fseeko(p->fp, 0, SEEK_SET) != 0)
		p->err = -(errno ? errno : EIO);
	return p->err;
}

int sl_apt_pool_next(struct sl_apt_pool *p, struct sl_apt_pool_item *it)
{
	if (p->err != 0)
		return p->err;
	struct rec r;
	size_t n = fread(&r, 1, sizeof r, p->fp);
	if (n == 0 && feof(p->fp))
		return 0;
	/* Our own file, but read defensively: a short or oversized record is an I/O error, not a crash. */
	if (n != sizeof r || r.path_len >= SL_MAX_REL_PATH || r.meta_len >= SL_APT_POOL_META_MAX ||
	    fread(it->path, 1, r.path_len, p->fp) != r.path_len ||
	    fread(it->meta, 1, r.meta_len, p->fp) != r.meta_len) {
		p->err = -EIO;
		return p->err;
	}
	it->path[r.path_len] = '\0';
	it->meta[r.meta_len] = '\0';
	memcpy(it->sha256, r.sha256, sizeof r.sha256);
	it->sha256[SL_SHA256_HEX - 1] = '\0';
	it->size = r.size;
	return 1;
}
