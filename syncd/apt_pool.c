/* apt_pool: fixed-size headers (lengths, size) followed by the strings, appended through a stdio buffer;
 * read back in list order through a read buffer, or by offset in digest order from a small in-memory key
 * array (8 bytes an item). */
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
#define SEQ_BUF_BYTES (64 * 1024)   /* list-order reads: ~250 records of Debian main a read */

struct rec {
	uint64_t size;
	uint16_t path_len, meta_len;
	char sha256[SL_SHA256_HEX - 1];
};

/* The cursor's scratch holds the largest record. */
_Static_assert(sizeof(struct rec) <= 2 * sizeof(uint64_t) + SL_SHA256_HEX, "pool record header");
/* The read buffer holds the largest record. */
_Static_assert(sizeof(struct rec) + SL_MAX_REL_PATH + SL_APT_POOL_META_MAX <= SEQ_BUF_BYTES, "pool read buffer");

struct sl_apt_pool {
	FILE *fp;
	size_t count;
	uint64_t bytes;
	uint64_t end;   /* file offset of the next record */
	uint64_t *keys; /* per item: digest prefix << KEY_OFF_BITS | offset; sorted at the first rewind */
	size_t cap;
	int err;        /* sticky: a failed write makes every later read fail */
	bool reading;   /* rewound once: no more appends */
	/* sl_apt_pool_next(): items read, the next record's offset, and the buffered bytes of the file from
	 * seq_off (allocated at the first rewind). */
	size_t seq_n;
	uint64_t seq_pos, seq_off;
	size_t seq_len;
	uint8_t *seq;
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
	free(p->seq);
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
		p->seq = malloc(SEQ_BUF_BYTES);
		if (p->seq == NULL)
			return -ENOMEM;
		qsort(p->keys, p->count, sizeof *p->keys, key_cmp);
		p->reading = true;
	}
	p->seq_n = 0;
	p->seq_pos = p->seq_off = 0;
	p->seq_len = 0;
	return 0;
}

/* The record that starts at buf (avail bytes there) into it; its length into *used. 1, or -EIO when the
 * bytes do not hold a whole record within the caps. Our own file, but read defensively: a short or
 * oversized record is an I/O error, not a crash. */
static int parse_rec(const uint8_t *buf, size_t avail, struct sl_apt_pool_item *it, size_t *used)
{
	struct rec r;
	if (avail < sizeof r)
		return -EIO;
	memcpy(&r, buf, sizeof r);
	if (r.path_len >= SL_MAX_REL_PATH || r.meta_len >= SL_APT_POOL_META_MAX ||
	    sizeof r + (size_t)r.path_len + r.meta_len > avail)
		return -EIO;
	memcpy(it->path, buf + sizeof r, r.path_len);
	memcpy(it->meta, buf + sizeof r + r.path_len, r.meta_len);
	it->path[r.path_len] = '\0';
	it->meta[r.meta_len] = '\0';
	memcpy(it->sha256, r.sha256, sizeof r.sha256);
	it->sha256[SL_SHA256_HEX - 1] = '\0';
	it->size = r.size;
	*used = sizeof r + r.path_len + r.meta_len;
	return 1;
}

/* The record at keys[*next] into it; advances *next. 1, 0 at the end, or -EIO. */
static int read_rec(const struct sl_apt_pool *p, size_t *next, uint8_t *scratch, size_t cap,
		    struct sl_apt_pool_item *it)
{
	if (*next >= p->count)
		return 0;
	uint64_t off = p->keys[(*next)++] & KEY_OFF_MASK;
	/* One read of the largest record there can be (the list is read back twice per run, 60,000 items at
	 * Debian-main scale: one call each, not three); it ends short at the end of the file. */
	size_t want = cap;
	if (off < p->end && p->end - off < want)
		want = (size_t)(p->end - off);
	ssize_t n = sl_fs_pread_full(fileno(p->fp), scratch, want, off);
	size_t used;
	return n < 0 ? -EIO : parse_rec(scratch, (size_t)n, it, &used);
}

int sl_apt_pool_next(struct sl_apt_pool *p, struct sl_apt_pool_item *it)
{
	if (p->err != 0)
		return p->err;
	if (!p->reading)
		return -EINVAL;
	if (p->seq_n >= p->count)
		return 0;
	size_t used = 0;
	int rc = -EIO;
	if (p->seq_pos >= p->seq_off && p->seq_pos - p->seq_off < p->seq_len) {
		size_t at = (size_t)(p->seq_pos - p->seq_off);
		rc = parse_rec(p->seq + at, p->seq_len - at, it, &used);
	}
	if (rc < 0) {
		/* Not (wholly) in the buffer: refill from this record on (the buffer holds the largest one). */
		size_t want = SEQ_BUF_BYTES;
		if (p->seq_pos < p->end && p->end - p->seq_pos < want)
			want = (size_t)(p->end - p->seq_pos);
		ssize_t n = sl_fs_pread_full(fileno(p->fp), p->seq, want, p->seq_pos);
		p->seq_off = p->seq_pos;
		p->seq_len = n > 0 ? (size_t)n : 0;
		rc = parse_rec(p->seq, p->seq_len, it, &used);
	}
	if (rc < 0) {
		p->err = rc;
		return rc;
	}
	p->seq_pos += used;
	p->seq_n++;
	return 1;
}

int sl_apt_pool_read(const struct sl_apt_pool *p, struct sl_apt_pool_cursor *c, struct sl_apt_pool_item *it)
{
	/* Not p->err: the first reader may set it meanwhile on its thread; a failed read fails here too. */
	if (!p->reading)
		return -EINVAL;
	return read_rec(p, &c->next, c->scratch, sizeof c->scratch, it);
}

