/* conn: sluice-served's table of open connections — what libmicrohttpd 0.9.75 does not do for us.
 *
 *  - A deadline for a request's head. MHD's timeout is an idle timeout: a client sending one header
 *    line every few seconds holds its connection forever. Each connection here is in the HEAD phase
 *    from accept (or from the end of its previous request) until its head is complete, and a watchdog
 *    thread cuts it (shutdown(SHUT_RD): MHD's worker sees end-of-file and closes it in its own thread)
 *    once [served] header_timeout has passed; for a keep-alive follow-up the idle timeout comes first.
 *  - A reserve. MHD is given max_connections + a reserve (sl_conns_mhd_limit()); when a new connection
 *    takes the count past max_connections, heads older than SL_CONN_PRESSURE_GRACE_MS (slow senders,
 *    idle keep-alive) are cut to make room; a newcomer whose request is complete takes the place of the
 *    oldest incomplete head, and only if there is none is it answered 503 with Retry-After (instead of
 *    MHD's silent refusal), so that reserve slots never hold long transfers. While the count is at max_connections the
 *    watchdog keeps cutting such heads, since a full MHD accepts nobody who could trigger it.
 *  - The last word. MHD drops some requests without a byte of answer and, on one path, without the
 *    completion callback. The transport counters of the socket (bytes written, bytes read) say whether
 *    anything was answered; sl_conn_raw_reply() then writes a minimal status line itself.
 *
 * Threads: sl_conns_add/remove and everything on one struct sl_conn run in the MHD worker that owns the
 * connection; the watchdog only reads `deadline`/`head_since` and moves `phase` by compare-and-swap, under
 * the table's lock, which sl_conns_remove() also takes: a descriptor is never shut down after MHD closed it.
 *
 * Ownership: sl_conns_new() -> sl_conns_free() (after MHD is stopped); sl_conns_add() -> sl_conns_remove(). */
#ifndef SL_CONN_H
#define SL_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SL_CONN_PRESSURE_GRACE_MS 500    /* ms a head may take before it is cut to make room when full */
#define SL_CONN_RETRY_AFTER_S     5      /* s a client refused for capacity is told to wait */

enum sl_conn_phase {
	SL_CONN_HEAD,      /* reading a request line and headers (or idle between requests) */
	SL_CONN_BUSY,      /* head complete: the request is being answered */
	SL_CONN_TIMEDOUT,  /* cut by the watchdog: header_timeout passed */
	SL_CONN_EVICTED,   /* cut to make room for a newcomer */
};

struct sl_request;
struct sl_conns;

struct sl_conn {
	struct sl_conn *prev, *next;       /* the table's list, under its lock */
	int fd;
	bool tls;                          /* raw replies are only possible in clear text */
	bool over_capacity;                /* admitted into the reserve with nothing to cut */
	atomic_int phase;                  /* enum sl_conn_phase */
	_Atomic int64_t head_since;        /* ms (CLOCK_MONOTONIC) the current head phase began */
	_Atomic int64_t deadline;          /* ms by which the head must be complete */
	struct sl_request *req;            /* the request in progress (server.c's), or NULL */
	uint64_t out_mark, in_mark;        /* socket byte counters when the current request began */
};

/* `max` connections served; `header_ms` the head deadline; `idle_ms` MHD's idle timeout. NULL on ENOMEM. */
struct sl_conns *sl_conns_new(unsigned max, int64_t header_ms, int64_t idle_ms);
/* The limit to give MHD: max plus the reserve. */
unsigned sl_conns_mhd_limit(const struct sl_conns *t);
/* Start the watchdog thread. 0 or -errno. */
int sl_conns_start(struct sl_conns *t);
/* Stop the watchdog and free. The table must be empty (MHD stopped). NULL is a no-op. */
void sl_conns_free(struct sl_conns *t);

/* A connection MHD accepted (NOTIFY_CONNECTION STARTED). NULL on ENOMEM (the caller drops it). */
struct sl_conn *sl_conns_add(struct sl_conns *t, int fd, bool tls);
/* NOTIFY_CONNECTION CLOSED, before MHD closes the descriptor. NULL is a no-op. */
void sl_conns_remove(struct sl_conns *t, struct sl_conn *c);
/* Open connections now. */
unsigned sl_conns_count(const struct sl_conns *t);

/* The head is complete. false: the watchdog cut the connection first (sl_conn_phase says why). */
bool sl_conn_begin(struct sl_conn *c);
/* The request is over and the connection stays open: a new head phase begins. */
void sl_conn_end(struct sl_conns *t, struct sl_conn *c);
/* Its head complete, must this connection be refused (503)? Only if it was admitted beyond
 * max_connections, the server is still that full, and no incomplete head older than it can be cut to make
 * room (one is cut if there is). */
bool sl_conn_refuse(struct sl_conns *t, struct sl_conn *c);
enum sl_conn_phase sl_conn_phase(const struct sl_conn *c);

/* Remember the socket's counters: the start of a request. */
void sl_conn_mark(struct sl_conn *c);
/* Since the mark: was anything written to the client / read from it? Has the client closed its side? */
bool sl_conn_wrote(const struct sl_conn *c);
bool sl_conn_read(const struct sl_conn *c);
bool sl_conn_peer_closed(const struct sl_conn *c);
/* Milliseconds since the last bytes arrived from the client (INT64_MAX if unknown). */
int64_t sl_conn_quiet_ms(const struct sl_conn *c);
/* Write "HTTP/1.1 <status> ..." with Connection: close (and Retry-After for 503) straight to the socket:
 * for requests MHD drops without an answer. Clear text only; best effort. true if written. */
bool sl_conn_raw_reply(const struct sl_conn *c, unsigned status);

#endif
