/* apt_pool: fixed-size headers (lengths, size) followed by the strings, appended through a stdio buffer;
 * read back by offset in digest order from a small in-memory key array (8 bytes an item). */
#include "syncd/apt_pool.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fsutil.h"

#define KEY_OFF_BITS 40   /* bits of a key for the record's file offset (1 TiB); the upper 24 hold the
			    * digest's first 24 bits, so sorting the keys sorts the records by digest */
#define KEY_OFF_MASK ((UINT64_C(1) << KEY_OFF_BITS) - 1)

struct sl_apt_pool {
	FILE *fp;
	size_t count;
	uint64_t bytes;
	uint64_t end;   /* file offset of the next record */
	uint64_t *keys; /* per item: digest prefix << KEY_OFF_BITS | offset; sorted at the first rewind */
	size_t cap;
	size_t next;    /* reading: index into keys */
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
	free(p->keys);
	free(p);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
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
	if (p->count >= SL_APT_MAX_POOL || p->end > KEY_OFF_MASK)
		return -SL_E_TOOBIG;
	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		uint64_t *k = realloc(p->keys, cap * sizeof *k);
		if (k == NULL)
			return -ENOMEM;
		p->keys = k;
		p->cap = cap;
	}
	struct rec r = { .size = size, .path_len = (uint16_t)pl, .meta_len = (uint16_t)ml };
	memcpy(r.sha256, sha256, sizeof r.sha256);
	if (fwrite(&r, sizeof r, 1, p->fp) != 1 || fwrite(path, 1, pl, p->fp) != pl ||
	    (ml > 0 && fwrite(meta, 1, ml, p->fp) != ml)) {
		p->err = -(errno ? errno : EIO);
		return p->err;
	}
	uint64_t prefix = 0;
	for (int i = 0; i < 6; i++)
		prefix = prefix << 4 | (uint64_t)hexval(sha256[i]);
	p->keys[p->count] = prefix << KEY_OFF_BITS | p->end;
	p->end += sizeof r + pl + ml;
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

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int sl_apt_pool_rewind(struct sl_apt_pool *p)
{
	if (p->err != 0)
		return p->err;
	if (!p->reading) {
		if (fflush(p->fp) != 0) {
			p->err = -(errno ? errno : EIO);
			return p->err;
		}
		qsort(p->keys, p->count, sizeof *p->keys, key_cmp);
		p->reading = true;
	}
	p->next = 0;
	return 0;
}

/* Exactly len bytes at off of our own file: 0 or -EIO. */
static int read_at(struct sl_apt_pool *p, void *buf, size_t len, uint64_t off)
{
	ssize_t n = len > 0 ? sl_fs_pread_full(fileno(p->fp), buf, len, off) : 0;
	return n >= 0 && (size_t)n == len ? 0 : -EIO;
}

int sl_apt_pool_next(struct sl_apt_pool *p, struct sl_apt_pool_item *it)
{
	if (p->err != 0)
		return p->err;
	if (!p->reading)
		return -EINVAL;
	if (p->next >= p->count)
		return 0;
	uint64_t off = p->keys[p->next++] & KEY_OFF_MASK;
	struct rec r;
	/* Our own file, but read defensively: a short or oversized record is an I/O error, not a crash. */
	if (read_at(p, &r, sizeof r, off) != 0 || r.path_len >= SL_MAX_REL_PATH ||
	    r.meta_len >= SL_APT_POOL_META_MAX || read_at(p, it->path, r.path_len, off + sizeof r) != 0 ||
	    read_at(p, it->meta, r.meta_len, off + sizeof r + r.path_len) != 0) {
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
