/* mhd_header_more: a diagnostic for bench/served.sh (BENCH_PROBE=1), never linked into sluice. Preloaded into
 * sluice-served, it makes libmicrohttpd 0.9.75 send a file response's header the way nginx does: held back
 * (MSG_MORE, the uncork that follows it skipped) so it leaves in the first segment of the body instead of a
 * segment of its own. The benchmark then measures a third server, "probe": if it matches nginx where
 * sluice-served does not, the gap is libmicrohttpd's header push, not sluice's code.
 * Build: cc -O2 -shared -fPIC -o probe.so mhd_header_more.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

static __thread int header_held;   /* this thread just sent a header with MSG_MORE */

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	if (real == NULL)
		real = (ssize_t(*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "sendto");
	/* Only 200 responses with a body sent by sendfile afterwards (the benchmark's .deb). */
	if (n > 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0 && memmem(buf, n, "debian.binary-package", 21) != NULL) {
		flags |= MSG_MORE;
		header_held = 1;
	}
	return real(fd, buf, n, flags, to, tolen);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return sendto(fd, buf, n, flags, NULL, 0);
}

int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	if (real == NULL)
		real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	if (header_held && level == SOL_TCP && len == sizeof(int)) {
		int v = *(const int *)val;
		/* The push right after the header: uncork (or NODELAY on, which pushes) -> keep corked instead. */
		if ((opt == TCP_CORK && v == 0) || (opt == TCP_NODELAY && v == 1)) {
			header_held = 0;
			int one = 1;
			return real(fd, SOL_TCP, TCP_CORK, &one, sizeof one);
		}
	}
	header_held = 0;
	return real(fd, level, opt, val, len);
}
