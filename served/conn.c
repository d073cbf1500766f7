/* conn: open connections, the head deadline watchdog, the reserve, raw last-word replies. */
#include "served/conn.h"

#include <errno.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#define SL_CONN_TICK_MS 100   /* ms between watchdog scans: the precision of header_timeout */

/* Kernel TCP states (include/net/tcp_states.h): the peer has sent its FIN. linux/tcp.h, needed for the
 * byte counters of struct tcp_info, cannot be combined with netinet/tcp.h, which names them. */
enum { SL_TCP_CLOSE = 7, SL_TCP_CLOSE_WAIT = 8, SL_TCP_LAST_ACK = 9 };

struct sl_conns {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct sl_conn *head;          /* under lock */
	atomic_uint count;
	unsigned max, reserve;
	int64_t header_ms, idle_ms;
	bool running, stop;            /* under lock */
	pthread_t thread;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sl_conns *sl_conns_new(unsigned max, int64_t header_ms, int64_t idle_ms)
{
	struct sl_conns *t = calloc(1, sizeof *t);
	if (t == NULL)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&t->count, 0);
	t->max = max;
	/* Enough for a few newcomers to be answered while slow heads are being cut. */
	t->reserve = max / 16 + 4;
	t->header_ms = header_ms;
	t->idle_ms = idle_ms;
	return t;
}

unsigned sl_conns_mhd_limit(const struct sl_conns *t)
{
	return t->max + t->reserve;
}

unsigned sl_conns_count(const struct sl_conns *t)
{
	return atomic_load(&t->count);
}

/* Cut one connection in the head phase (lock held). MHD's worker reads end-of-file and closes it. */
static bool cut(struct sl_conn *c, enum sl_conn_phase why)
{
	int expect = SL_CONN_HEAD;
	if (!atomic_compare_exchange_strong(&c->phase, &expect, (int)why))
		return false;
	shutdown(c->fd, SHUT_RD);
	return true;
}

static void *watchdog(void *arg)
{
	struct sl_conns *t = arg;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		int64_t now = now_ms();
		/* When full, MHD stops accepting: nobody new arrives to trigger sl_conns_add()'s eviction, and
		 * clients queue in the kernel's backlog until a head times out. Room is made here too. */
		bool full = atomic_load(&t->count) >= t->max;
		for (struct sl_conn *c = t->head; c != NULL; c = c->next) {
			if (atomic_load(&c->phase) != SL_CONN_HEAD)
				continue;
			if (now >= atomic_load(&c->deadline))
				cut(c, SL_CONN_TIMEDOUT);
			else if (full && now - atomic_load(&c->head_since) >= SL_CONN_PRESSURE_GRACE_MS)
				cut(c, SL_CONN_EVICTED);
		}
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += SL_CONN_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&t->wake, &t->lock, &until);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int sl_conns_start(struct sl_conns *t)
{
	if (t->header_ms <= 0)
		return 0;   /* no deadline configured: nothing to watch */
	int rc = pthread_create(&t->thread, NULL, watchdog, t);
	if (rc != 0)
		return -rc;
	t->running = true;
	return 0;
}

void sl_conns_free(struct sl_conns *t)
{
	if (t == NULL)
		return;
	if (t->running) {
		pthread_mutex_lock(&t->lock);
		t->stop = true;
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->thread, NULL);
	}
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void head_begins(struct sl_conn *c, int64_t now, int64_t budget)
{
	atomic_store(&c->head_since, now);
	atomic_store(&c->deadline, budget > 0 ? now + budget : INT64_MAX);
}

struct sl_conn *sl_conns_add(struct sl_conns *t, int fd, bool tls)
{
	struct sl_conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->tls = tls;
	atomic_init(&c->phase, SL_CONN_HEAD);
	int64_t now = now_ms();
	head_begins(c, now, t->header_ms);
	/* Not the socket's counters: a request may already have arrived before the accept. */
	c->out_mark = c->in_mark = 0;
	unsigned n = atomic_fetch_add(&t->count, 1) + 1;
	pthread_mutex_lock(&t->lock);
	c->next = t->head;
	if (t->head != NULL)
		t->head->prev = c;
	t->head = c;
	if (n > t->max) {
		/* Full: whoever has been sending a head for a while (or idles between requests) makes room for
		 * a newcomer, whose request will arrive at once if it is a real client. */
		unsigned freed = 0;
		for (struct sl_conn *o = t->head; o != NULL; o = o->next)
			if (o != c && now - atomic_load(&o->head_since) >= SL_CONN_PRESSURE_GRACE_MS &&
			    cut(o, SL_CONN_EVICTED))
				freed++;
		c->over_capacity = freed == 0;
	}
	pthread_mutex_unlock(&t->lock);
	return c;
}

void sl_conns_remove(struct sl_conns *t, struct sl_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&t->lock);
	atomic_fetch_sub(&t->count, 1);
	free(c);
}

bool sl_conn_begin(struct sl_conn *c)
{
	int expect = SL_CONN_HEAD;
	return atomic_compare_exchange_strong(&c->phase, &expect, SL_CONN_BUSY);
}

void sl_conn_end(struct sl_conns *t, struct sl_conn *c)
{
	/* The next head may start only after MHD's idle timeout would have closed an idle connection. */
	head_begins(c, now_ms(), t->header_ms > 0 ? t->idle_ms + t->header_ms : 0);
	int expect = SL_CONN_BUSY;
	atomic_compare_exchange_strong(&c->phase, &expect, SL_CONN_HEAD);
}

bool sl_conn_refuse(struct sl_conns *t, struct sl_conn *c)
{
	if (!c->over_capacity || atomic_load(&t->count) <= t->max)
		return false;
	/* A complete request takes the place of the oldest head still incomplete that began before it:
	 * whoever is slower than this whole request makes room, whatever its age. */
	struct sl_conn *victim = NULL;
	int64_t since = atomic_load(&c->head_since);
	pthread_mutex_lock(&t->lock);
	for (struct sl_conn *o = t->head; o != NULL; o = o->next) {
		int64_t hs = atomic_load(&o->head_since);
		if (o != c && atomic_load(&o->phase) == SL_CONN_HEAD && hs < since &&
		    (victim == NULL || hs < atomic_load(&victim->head_since)))
			victim = o;
	}
	bool made_room = victim != NULL && cut(victim, SL_CONN_EVICTED);
	pthread_mutex_unlock(&t->lock);
	if (made_room)
		c->over_capacity = false;
	return !made_room;
}

enum sl_conn_phase sl_conn_phase(const struct sl_conn *c)
{
	return (enum sl_conn_phase)atomic_load(&c->phase);
}

/* Bytes the application wrote (acknowledged + still queued) and bytes received, from the kernel's TCP
 * counters (Linux >= 4.1). false when the socket cannot say (not TCP): nothing is concluded then. */
static bool counters(int fd, uint64_t *out, uint64_t *in, struct tcp_info *ti)
{
	socklen_t len = sizeof *ti;
	memset(ti, 0, sizeof *ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti->tcpi_bytes_received)
		return false;
	int queued = 0;
	if (ioctl(fd, SIOCOUTQ, &queued) < 0)
		queued = 0;
	*out = ti->tcpi_bytes_acked + (uint64_t)(queued > 0 ? queued : 0);
	*in = ti->tcpi_bytes_received;
	return true;
}

void sl_conn_mark(struct sl_conn *c)
{
	struct tcp_info ti;
	if (!counters(c->fd, &c->out_mark, &c->in_mark, &ti))
		c->out_mark = c->in_mark = UINT64_MAX;
}

bool sl_conn_wrote(const struct sl_conn *c)
{
	uint64_t out, in;
	struct tcp_info ti;
	if (c->out_mark == UINT64_MAX || !counters(c->fd, &out, &in, &ti))
		return true;   /* unknown: assume answered, never write twice */
	return out != c->out_mark;
}

bool sl_conn_read(const struct sl_conn *c)
{
	uint64_t out, in;
	struct tcp_info ti;
	if (c->in_mark == UINT64_MAX || !counters(c->fd, &out, &in, &ti))
		return false;
	return in != c->in_mark;
}

bool sl_conn_peer_closed(const struct sl_conn *c)
{
	uint64_t out, in;
	struct tcp_info ti;
	if (!counters(c->fd, &out, &in, &ti))
		return false;
	return ti.tcpi_state == SL_TCP_CLOSE_WAIT || ti.tcpi_state == SL_TCP_LAST_ACK || ti.tcpi_state == SL_TCP_CLOSE;
}

int64_t sl_conn_quiet_ms(const struct sl_conn *c)
{
	uint64_t out, in;
	struct tcp_info ti;
	if (!counters(c->fd, &out, &in, &ti))
		return INT64_MAX;
	return ti.tcpi_last_data_recv;
}

bool sl_conn_raw_reply(const struct sl_conn *c, unsigned status)
{
	if (c->tls)
		return false;
	static const struct {
		unsigned status;
		const char *reason;
	} lines[] = {
		{ 400, "Bad Request" },
		{ 408, "Request Timeout" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 431, "Request Header Fields Too Large" },
		{ 503, "Service Unavailable" },
	};
	const char *reason = "Bad Request";
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (lines[i].status == status)
			reason = lines[i].reason;
	char retry[32] = "";
	if (status == 503)
		snprintf(retry, sizeof retry, "Retry-After: %d\r\n", SL_CONN_RETRY_AFTER_S);
	char msg[256];
	int n = snprintf(msg, sizeof msg,
			 "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "%sContent-Length: %zu\r\n\r\n%u %s\n",
			 status, reason, retry, strlen(reason) + 5, status, reason);
	if (n < 0 || (size_t)n >= sizeof msg)
		return false;
	return send(c->fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n;
}
