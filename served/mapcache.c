/* mapcache: large published files served from one shared read-only mapping per file, within a budget. */
#include "served/mapcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* One mapped file. `base` is NULL while the slot is reserved and the mmap runs outside the lock. */
struct map {
	struct sl_mapcache *cache;
	dev_t dev;
	ino_t ino;
	uint64_t size;
	struct timespec mtime;
	void *base;
	unsigned refs;   /* responses alive that send from it; 0 = slot free */
};

struct sl_mapcache {
	pthread_mutex_t lock;
	uint64_t budget;
	uint64_t mapped;   /* bytes reserved or mapped, <= budget */
	struct map maps[SL_MAX_MAPPED_FILES];
};

struct sl_mapcache *sl_mapcache_new(uint64_t budget)
{
	struct sl_mapcache *c = calloc(1, sizeof *c);
	if (c != NULL && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		c = NULL;
	}
	if (c != NULL)
		c->budget = budget;
	for (size_t i = 0; c != NULL && i < SL_MAX_MAPPED_FILES; i++)
		c->maps[i].cache = c;
	return c;
}

void sl_mapcache_free(struct sl_mapcache *c)
{
	if (c == NULL)
		return;
	/* Every response is gone (the header's contract), so every slot is free and nothing is mapped. */
	pthread_mutex_destroy(&c->lock);
	free(c);
}

uint64_t sl_mapcache_mapped(struct sl_mapcache *c)
{
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	uint64_t n = c->mapped;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static bool same_file(const struct map *m, const struct stat *st)
{
	return m->dev == st->st_dev && m->ino == st->st_ino && m->size == (uint64_t)st->st_size &&
	       m->mtime.tv_sec == st->st_mtim.tv_sec && m->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Drop one reference; the last one unmaps (outside the lock) and frees the slot and its budget. */
static void map_release(void *cls)
{
	struct map *m = cls;
	struct sl_mapcache *c = m->cache;
	void *base = NULL;
	uint64_t size = 0;
	pthread_mutex_lock(&c->lock);
	if (--m->refs == 0) {
		base = m->base;
		size = m->size;
		c->mapped -= m->size;
		m->base = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (base != NULL)
		munmap(base, (size_t)size);
}

/* The slot holding this file with a reference taken for the caller, or NULL (not mapped, no room). */
static struct map *map_get(struct sl_mapcache *c, int fd, const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size;
	struct map *m = NULL, *free_slot = NULL;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < SL_MAX_MAPPED_FILES && m == NULL; i++) {
		struct map *s = &c->maps[i];
		if (s->refs == 0) {
			if (free_slot == NULL)
				free_slot = s;
		} else if (same_file(s, st)) {
			m = s;
		}
	}
	if (m != NULL) {
		if (m->base == NULL)
			m = NULL;   /* another thread is mapping it right now: this request uses sendfile */
		else
			m->refs++;
		pthread_mutex_unlock(&c->lock);
		return m;
	}
	if (free_slot == NULL || size > c->budget - c->mapped) {
		pthread_mutex_unlock(&c->lock);
		return NULL;
	}
	m = free_slot;
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->size = size;
	m->mtime = st->st_mtim;
	m->base = NULL;
	m->refs = 1;
	c->mapped += size;
	pthread_mutex_unlock(&c->lock);

	void *base = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	pthread_mutex_lock(&c->lock);
	if (base == MAP_FAILED) {
		m->refs = 0;
		c->mapped -= size;
		m = NULL;
	} else {
		m->base = base;
	}
	pthread_mutex_unlock(&c->lock);
	return m;
}

struct MHD_Response *sl_mapcache_response(struct sl_mapcache *c, int fd, const struct stat *st, uint64_t start,
					  uint64_t len)
{
	if (c == NULL || !S_ISREG(st->st_mode) || st->st_size <= 0 || start > (uint64_t)st->st_size ||
	    len > (uint64_t)st->st_size - start || len == 0)
		return NULL;
	struct map *m = map_get(c, fd, st);
	if (m == NULL)
		return NULL;
	struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
		(size_t)len, (char *)m->base + start, map_release, m);
	if (resp == NULL)
		map_release(m);
	return resp;
}
