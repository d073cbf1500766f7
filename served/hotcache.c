/* hotcache: direct-mapped cache of shared MHD responses for small immutable files. */
#include "served/hotcache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

struct slot {
	char *key;                   /* "gen\0rel" packed as "gen/rel" (gen has no '/') */
	struct MHD_Response *resp;   /* the cache's reference */
	uint64_t len;
};

struct sl_hotcache {
	pthread_mutex_t lock;
	struct slot slots[SL_HOTCACHE_SLOTS];
};

static uint32_t hash_key(const char *gen, const char *rel)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (const char *p = gen; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = rel; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static bool key_eq(const char *key, const char *gen, const char *rel)
{
	size_t g = strlen(gen);
	return strncmp(key, gen, g) == 0 && key[g] == '/' && strcmp(key + g + 1, rel) == 0;
}

static void slot_release(struct slot *s)
{
	if (s->resp != NULL)
		MHD_destroy_response(s->resp);
	free(s->key);
	memset(s, 0, sizeof *s);
}

struct sl_hotcache *sl_hotcache_new(void)
{
	struct sl_hotcache *c = calloc(1, sizeof *c);
	if (c != NULL && pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

void sl_hotcache_free(struct sl_hotcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SL_HOTCACHE_SLOTS; i++)
		slot_release(&c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int sl_hotcache_queue(struct sl_hotcache *c, struct MHD_Connection *conn, const char *gen, const char *rel,
		      uint64_t *len)
{
	if (c == NULL)
		return 0;
	struct slot *s = &c->slots[hash_key(gen, rel) % SL_HOTCACHE_SLOTS];
	int rc = 0;
	pthread_mutex_lock(&c->lock);
	/* Queued under the lock: MHD takes the connection's reference before an eviction could drop ours. */
	if (s->key != NULL && key_eq(s->key, gen, rel)) {
		rc = MHD_queue_response(conn, MHD_HTTP_OK, s->resp) == MHD_YES ? 1 : -1;
		*len = s->len;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void sl_hotcache_put(struct sl_hotcache *c, const char *gen, const char *rel, struct MHD_Response *resp,
		     uint64_t len)
{
	if (c == NULL) {
		MHD_destroy_response(resp);
		return;
	}
	char *key = NULL;
	if (asprintf(&key, "%s/%s", gen, rel) < 0) {
		MHD_destroy_response(resp);
		return;
	}
	struct slot *s = &c->slots[hash_key(gen, rel) % SL_HOTCACHE_SLOTS];
	struct slot old;
	pthread_mutex_lock(&c->lock);
	old = *s;
	s->key = key;
	s->resp = resp;
	s->len = len;
	pthread_mutex_unlock(&c->lock);
	slot_release(&old);   /* outside the lock: destroying may free a buffer */
}

void sl_hotcache_clear(struct sl_hotcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SL_HOTCACHE_SLOTS; i++) {
		pthread_mutex_lock(&c->lock);
		struct slot old = c->slots[i];
		memset(&c->slots[i], 0, sizeof c->slots[i]);
		pthread_mutex_unlock(&c->lock);
		slot_release(&old);
	}
}
