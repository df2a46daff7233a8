/* SPDX-License-Identifier: ISC */
/*
 * Connecting: resolving the smarthost and racing its addresses (Happy
 * Eyeballs), a SOCKS5 proxy, a Unix socket; and the plain socket transport
 * (struct io_ops) whose reads and writes wait with poll(2).  Does not know
 * about SMTP or TLS; tls.c takes the descriptor over after the handshake.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "deadline.h"
#include "err.h"
#include "io.h"
#include "net.h"
#include "resolve.h"

struct net_ctx {
	int	fd;
};

/*
 * RFC 8305 section 5: the Connection Attempt Delay, the time an attempt
 * has before the next address is tried too.
 */
#define NET_ATTEMPT_DELAY_MS	250
/* The SOCKS port (RFC 1928 section 3), msmtp's default proxy_port. */
#define NET_SOCKS_PORT		1080

/* What net_start() reports besides a descriptor. */
#define NET_SOFT	(-1)	/* this address failed; why says how */
#define NET_HARD	(-2)	/* give up; err is set */

static int
net_timeout_ms(int timeout_ms)
{
	return timeout_ms > 0 ? timeout_ms : BOUND_TIMEOUT_DEFAULT * 1000;
}

long long
net_deadline(int timeout_ms)
{
	return deadline_in(net_timeout_ms(timeout_ms));
}

int
net_wait(int fd, int events, long long deadline, int timeout_ms,
    struct postie_err *err)
{
	struct pollfd pfd;
	int n;

	for (;;) {
		pfd.fd = fd;
		pfd.events = (short)events;
		pfd.revents = 0;
		n = poll(&pfd, 1, deadline_left(deadline));
		if (n > 0)
			return 0;
		if (n == 0) {
			err_setx(err, EX_TEMPFAIL, "timed out after %d s",
			    (net_timeout_ms(timeout_ms) + 999) / 1000);
			return -1;
		}
		if (errno != EINTR) {
			err_set(err, EX_OSERR, "poll");
			return -1;
		}
	}
}

/* Errors that mean the peer or the path went away: try again later. */
static int
net_is_lost(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ETIMEDOUT:
	case ENOTCONN:
	case ENETDOWN:
	case ENETUNREACH:
	case ENETRESET:
	case EHOSTUNREACH:
		return 1;
	default:
		return 0;
	}
}

static void
net_io_error(struct postie_err *err, const char *what)
{
	if (net_is_lost(errno))
		err_set(err, EX_TEMPFAIL, "connection lost");
	else
		err_set(err, EX_IOERR, "%s failed", what);
}

static ssize_t
net_read(void *vctx, void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct net_ctx *ctx = vctx;
	long long deadline = net_deadline(timeout_ms);
	ssize_t n;

	for (;;) {
		n = recv(ctx->fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			net_io_error(err, "read");
			return -1;
		}
		if (net_wait(ctx->fd, POLLIN, deadline, timeout_ms, err) == -1)
			return -1;
	}
}

static int
net_write(void *vctx, const void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct net_ctx *ctx = vctx;
	long long deadline = net_deadline(timeout_ms);
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(ctx->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			net_io_error(err, "write");
			return -1;
		}
		if (net_wait(ctx->fd, POLLOUT, deadline, timeout_ms,
		    err) == -1)
			return -1;
	}
	return 0;
}

static void
net_close(void *vctx)
{
	struct net_ctx *ctx = vctx;

	if (ctx == NULL)
		return;
	close(ctx->fd);
	free(ctx);
}

const struct io_ops net_socket_ops = {
	"tcp",
	net_read,
	net_write,
	net_close
};

void *
net_ctx_new(int fd)
{
	struct net_ctx *ctx;

	if ((ctx = malloc(sizeof(*ctx))) == NULL)
		return NULL;
	ctx->fd = fd;
	return ctx;
}

int
net_ctx_fd(void *vctx)
{
	struct net_ctx *ctx = vctx;

	return ctx->fd;
}

void
net_ctx_release(void *ctx)
{
	free(ctx);
}

struct io *
net_io_new(int fd, int timeout_s)
{
	struct io *io;
	void *ctx;
	int one = 1;

	/* Fails harmlessly on a descriptor that is not TCP. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((ctx = net_ctx_new(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	if ((io = io_new(&net_socket_ops, ctx, timeout_s)) == NULL) {
		net_close(ctx);
		return NULL;
	}
	return io;
}

static void
net_resolve_error(const char *host, int gai, struct postie_err *err)
{
	switch (gai) {
	case EAI_MEMORY:
		err_setx(err, EX_OSERR, "cannot resolve %s: %s", host,
		    gai_strerror(gai));
		break;
	case EAI_SYSTEM:
		err_set(err, EX_TEMPFAIL, "cannot resolve %s", host);
		break;
	case EAI_BADFLAGS:
	case EAI_FAMILY:
	case EAI_SOCKTYPE:
	case EAI_SERVICE:
		err_setx(err, EX_SOFTWARE, "cannot resolve %s: %s", host,
		    gai_strerror(gai));
		break;
	default:
		/*
		 * EAI_AGAIN, EAI_FAIL, and also EAI_NONAME/EAI_NODATA: an
		 * offline resolver answers "unknown host" too, and the
		 * message must then be kept for later.
		 */
		err_setx(err, EX_TEMPFAIL, "cannot resolve %s: %s", host,
		    gai_strerror(gai));
		break;
	}
}

static int
net_source(const char *source_ip, struct addrinfo **srcp,
    struct postie_err *err)
{
	struct addrinfo hints;
	int gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	gai = getaddrinfo(source_ip, NULL, &hints, srcp);
	if (gai == EAI_MEMORY) {
		err_setx(err, EX_OSERR, "source_ip %s: %s", source_ip,
		    gai_strerror(gai));
		return -1;
	}
	if (gai != 0) {
		err_setx(err, EX_CONFIG, "invalid source_ip %s: "
		    "not an IP address", source_ip);
		return -1;
	}
	return 0;
}

/* One connect in progress: what net_dial and its trace need. */
struct net_dial {
	const char *source_ip;
	struct addrinfo *src;	/* source_ip resolved, or NULL */
	int	 family;	/* AF_UNSPEC, AF_INET or AF_INET6 */
	int	 timeout_s;	/* the whole connect, proxy included */
	long long start;	/* deadline_now() when it began */
	long long deadline;
	net_trace_fn trace;
	void	*trace_arg;
};

static void net_trace(const struct net_dial *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A -v line, with the time since the connect began. */
static void
net_trace(const struct net_dial *d, const char *fmt, ...)
{
	char line[POSTIE_ERR_MSG];
	va_list ap;
	size_t len;

	if (d->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	snprintf(line + len, sizeof(line) - len, " (+%lld ms)",
	    deadline_now() - d->start);
	d->trace(d->trace_arg, line);
}

/* "192.0.2.1:25" or "[2001:db8::1]:25". */
static const char *
net_addr_str(const struct addrinfo *ai, char *buf, size_t bufsz)
{
	char host[INET6_ADDRSTRLEN], port[8];

	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
	    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		strlcpy(buf, "?", bufsz);
	else
		snprintf(buf, bufsz, ai->ai_family == AF_INET6 ? "[%s]:%s" :
		    "%s:%s", host, port);
	return buf;
}

/*
 * RFC 8305 section 4: the addresses in the resolver's order within each
 * family, the families interleaved, IPv6 first.  At most
 * BOUND_CONNECT_ADDRS are kept.
 */
static size_t
net_order(const struct addrinfo *res, const struct addrinfo **out)
{
	const struct addrinfo *v6[BOUND_CONNECT_ADDRS];
	const struct addrinfo *v4[BOUND_CONNECT_ADDRS];
	const struct addrinfo *ai;
	size_t n6 = 0, n4 = 0, i, n = 0;

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET6 && n6 < BOUND_CONNECT_ADDRS)
			v6[n6++] = ai;
		else if (ai->ai_family == AF_INET && n4 < BOUND_CONNECT_ADDRS)
			v4[n4++] = ai;
	}
	for (i = 0; (i < n6 || i < n4) && n < BOUND_CONNECT_ADDRS; i++) {
		if (i < n6)
			out[n++] = v6[i];
		if (i < n4 && n < BOUND_CONNECT_ADDRS)
			out[n++] = v4[i];
	}
	return n;
}

/*
 * Start a non-blocking connect to ai.  Returns the descriptor (*donep set
 * when it connected at once), NET_SOFT with the reason in why (try the
 * next address), or NET_HARD with err set.
 */
static int
net_start(const struct addrinfo *ai, const struct net_dial *d, int *donep,
    char *why, size_t whysz, struct postie_err *err)
{
	int fd;

	*donep = 0;
	if (d->src != NULL && d->src->ai_family != ai->ai_family) {
		snprintf(why, whysz, "source_ip %s is not of the address "
		    "family of the server address", d->source_ip);
		return NET_SOFT;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1) {
		if (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT) {
			strlcpy(why, strerror(errno), whysz);
			return NET_SOFT;
		}
		err_set(err, EX_OSERR, "socket");
		return NET_HARD;
	}
	if (d->src != NULL &&
	    bind(fd, d->src->ai_addr, d->src->ai_addrlen) == -1) {
		err_set(err, EX_OSERR, "cannot bind to source_ip %s",
		    d->source_ip);
		close(fd);
		return NET_HARD;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		*donep = 1;
		return fd;
	}
	if (errno == EINPROGRESS || errno == EINTR)
		return fd;
	strlcpy(why, strerror(errno), whysz);
	close(fd);
	return NET_SOFT;
}

/* How a connect in progress ended: 1 connected, 0 failed (why), -1. */
static int
net_finished(int fd, char *why, size_t whysz, struct postie_err *err)
{
	socklen_t len;
	int soerr;

	len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1) {
		err_set(err, EX_OSERR, "getsockopt");
		return -1;
	}
	if (soerr != 0) {
		strlcpy(why, strerror(soerr), whysz);
		return 0;
	}
	return 1;
}

/* Attempts in flight. */
struct net_race {
	struct pollfd pfd[BOUND_CONNECT_ADDRS];
	const struct addrinfo *ai[BOUND_CONNECT_ADDRS];
	size_t	 n;
};

/* Take attempt i out of the race; its descriptor is the caller's. */
static int
net_race_take(struct net_race *r, size_t i)
{
	int fd = r->pfd[i].fd;

	r->n--;
	r->pfd[i] = r->pfd[r->n];
	r->ai[i] = r->ai[r->n];
	return fd;
}

static void
net_race_drop(struct net_race *r, size_t i)
{
	close(net_race_take(r, i));
}

/*
 * Wait for the attempts in flight until the time at (ms, monotonic).
 * Returns a connected descriptor (taken out of the race), NET_SOFT when
 * none connected by then (failed ones are closed, *failedp counts them,
 * the last reason in why), NET_HARD with err set.
 */
static int
net_race_wait(struct net_race *r, const struct net_dial *d, long long at,
    int *failedp, char *why, size_t whysz, struct postie_err *err)
{
	char addr[INET6_ADDRSTRLEN + 16];
	size_t i;
	int n, fd;

	*failedp = 0;
	for (i = 0; i < r->n; i++) {
		r->pfd[i].events = POLLOUT;
		r->pfd[i].revents = 0;
	}
	n = poll(r->pfd, (nfds_t)r->n, deadline_left(at));
	if (n == -1 && errno != EINTR) {
		err_set(err, EX_OSERR, "poll");
		return NET_HARD;
	}
	for (i = 0; n > 0 && i < r->n; ) {
		if (r->pfd[i].revents == 0) {
			i++;
			continue;
		}
		fd = r->pfd[i].fd;
		switch (net_finished(fd, why, whysz, err)) {
		case 1:
			net_trace(d, "connected to %s",
			    net_addr_str(r->ai[i], addr, sizeof(addr)));
			return net_race_take(r, i);
		case 0:
			net_trace(d, "%s failed: %s",
			    net_addr_str(r->ai[i], addr, sizeof(addr)), why);
			net_race_drop(r, i);
			(*failedp)++;
			break;
		default:
			return NET_HARD;
		}
	}
	return NET_SOFT;
}

/*
 * Happy Eyeballs (RFC 8305): the next address is tried when the one before
 * has failed or has not connected within NET_ATTEMPT_DELAY_MS; the first
 * connection wins and the others are closed.  d->deadline bounds it all.
 */
static int
net_race(const struct addrinfo **order, size_t n, struct net_dial *d,
    char *why, size_t whysz, struct postie_err *err)
{
	struct net_race r;
	char addr[INET6_ADDRSTRLEN + 16];
	long long next_at = deadline_now(), at;
	size_t next = 0;
	int fd = NET_SOFT, done, failed;

	r.n = 0;
	for (;;) {
		if (next < n && deadline_now() >= next_at) {
			net_trace(d, "trying %s", net_addr_str(order[next],
			    addr, sizeof(addr)));
			fd = net_start(order[next], d, &done, why, whysz, err);
			if (fd == NET_HARD)
				break;
			if (fd >= 0 && done) {
				net_trace(d, "connected to %s", addr);
				break;
			}
			if (fd >= 0) {
				r.pfd[r.n].fd = fd;
				r.ai[r.n++] = order[next];
				next_at = deadline_in(NET_ATTEMPT_DELAY_MS);
			} else {
				net_trace(d, "%s failed: %s", addr, why);
				next_at = deadline_now();
			}
			next++;
			fd = NET_SOFT;
			continue;
		}
		if (r.n == 0 && next >= n)
			break;
		if (deadline_now() >= d->deadline) {
			snprintf(why, whysz, "timed out after %d s",
			    d->timeout_s);
			net_trace(d, "%s", why);
			break;
		}
		at = next < n && next_at < d->deadline ? next_at : d->deadline;
		fd = net_race_wait(&r, d, at, &failed, why, whysz, err);
		if (fd != NET_SOFT)
			break;
		if (failed > 0)
			next_at = deadline_now();
	}
	while (r.n > 0) {
		if (fd >= 0)
			net_trace(d, "closing the attempt to %s",
			    net_addr_str(r.ai[0], addr, sizeof(addr)));
		net_race_drop(&r, 0);
	}
	return fd;
}

/* "host:port", or "[host]:port" for an IPv6 literal. */
static void
net_where(char *buf, size_t bufsz, const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, bufsz, "[%s]:%d", host, port);
	else
		snprintf(buf, bufsz, "%s:%d", host, port);
}

/* Resolve host and race its addresses; the descriptor, or -1. */
static int
net_dial(const char *host, int port, struct net_dial *d,
    struct postie_err *err)
{
	struct addrinfo hints, *res = NULL;
	const struct addrinfo *order[BOUND_CONNECT_ADDRS];
	char service[16], where[BOUND_DOMAIN + 16];
	char why[POSTIE_ERR_MSG] = "no address";
	size_t n;
	int fd, gai, one = 1;

	if (port <= 0 || port > 65535) {
		err_setx(err, EX_CONFIG, "invalid port %d for %s", port, host);
		return -1;
	}
	snprintf(service, sizeof(service), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = d->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;
	gai = resolve(host, service, &hints, deadline_left(d->deadline), &res);
	if (gai == RESOLVE_TIMEOUT) {
		err_setx(err, EX_TEMPFAIL, "cannot resolve %s: no answer "
		    "within %d s", host, d->timeout_s);
		return -1;
	}
	if (gai != 0) {
		net_resolve_error(host, gai, err);
		return -1;
	}
	n = net_order(res, order);
	if (n == 0 && d->family != AF_UNSPEC)
		snprintf(why, sizeof(why), "no %s address (inet_protocols)",
		    d->family == AF_INET ? "IPv4" : "IPv6");
	fd = net_race(order, n, d, why, sizeof(why), err);
	freeaddrinfo(res);
	if (fd == NET_HARD)
		return -1;
	if (fd == NET_SOFT) {
		net_where(where, sizeof(where), host, port);
		err_setx(err, EX_TEMPFAIL, "connect to %s failed: %s", where,
		    why);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
net_dial_init(struct net_dial *d, const char *source_ip, int family,
    int timeout_s, struct postie_err *err)
{
	memset(d, 0, sizeof(*d));
	d->source_ip = source_ip;
	d->family = family;
	d->timeout_s = timeout_s > 0 ? timeout_s : BOUND_TIMEOUT_DEFAULT;
	d->start = deadline_now();
	d->deadline = d->start + (long long)d->timeout_s * 1000;
	if (source_ip != NULL && net_source(source_ip, &d->src, err) == -1)
		return -1;
	return 0;
}

static void
net_dial_free(struct net_dial *d)
{
	if (d->src != NULL)
		freeaddrinfo(d->src);
	d->src = NULL;
}

int
net_connect(const char *host, int port, const char *source_ip,
    int timeout_s, struct postie_err *err)
{
	struct net_dial d;
	int fd = -1;

	if (net_dial_init(&d, source_ip, AF_UNSPEC, timeout_s, err) == 0)
		fd = net_dial(host, port, &d, err);
	net_dial_free(&d);
	return fd;
}

/*
 * Exactly len bytes to or from the proxy, before the deadline; the
 * socket transport does the waiting.
 */
static int
net_socks_io(int fd, int out, void *buf, size_t len, const struct net_dial *d,
    struct postie_err *err)
{
	struct net_ctx ctx = { fd };
	unsigned char *p = buf;
	ssize_t n;
	int left;

	do {
		if ((left = deadline_left(d->deadline)) == 0) {
			err_setx(err, EX_TEMPFAIL, "timed out after %d s",
			    d->timeout_s);
			return -1;
		}
		if (out)
			return net_write(&ctx, buf, len, left, err);
		if ((n = net_read(&ctx, p, len, left, err)) == -1)
			return -1;
		if (n == 0) {
			err_setx(err, EX_TEMPFAIL, "connection lost: the proxy "
			    "closed the connection");
			return -1;
		}
		p += n;
		len -= (size_t)n;
	} while (len > 0);
	return 0;
}

/* RFC 1928 section 6: the meaning of a reply code. */
static const char *
net_socks_reply(int rep)
{
	static const char *const text[] = {
		"succeeded",
		"general SOCKS server failure",
		"connection not allowed by ruleset",
		"network unreachable",
		"host unreachable",
		"connection refused",
		"TTL expired",
		"command not supported",
		"address type not supported",
	};

	if (rep >= 0 && (size_t)rep < sizeof(text) / sizeof(text[0]))
		return text[rep];
	return "unknown reply code";
}

/*
 * RFC 1928 on a connected socket: offer no authentication only, then
 * CONNECT host:port with the name as it is (ATYP 3), for the proxy to
 * resolve (Tor needs this).  Every reply is read to its exact length.
 */
static int
net_socks5(int fd, const char *host, int port, const struct net_dial *d,
    struct postie_err *err)
{
	unsigned char buf[4 + 1 + 255 + 2];
	size_t hlen = strlen(host), skip;

	if (hlen == 0 || hlen > 255) {
		err_setx(err, EX_CONFIG, "host name of %zu bytes: SOCKS5 "
		    "carries 1 to 255", hlen);
		return -1;
	}
	buf[0] = 5;		/* version */
	buf[1] = 1;		/* one method */
	buf[2] = 0;		/* no authentication */
	if (net_socks_io(fd, 1, buf, 3, d, err) == -1 ||
	    net_socks_io(fd, 0, buf, 2, d, err) == -1)
		return -1;
	if (buf[0] != 5) {
		err_setx(err, EX_PROTOCOL, "not a SOCKS5 proxy: it answered "
		    "version %d", buf[0]);
		return -1;
	}
	if (buf[1] == 0xff) {
		err_setx(err, EX_UNAVAILABLE, "the proxy requires "
		    "authentication, and postie offers none");
		return -1;
	}
	if (buf[1] != 0) {
		err_setx(err, EX_PROTOCOL, "the proxy chose method %d, which "
		    "postie did not offer", buf[1]);
		return -1;
	}
	net_trace(d, "SOCKS5 CONNECT %s:%d", host, port);
	buf[0] = 5;		/* version */
	buf[1] = 1;		/* CONNECT */
	buf[2] = 0;		/* reserved */
	buf[3] = 3;		/* a domain name */
	buf[4] = (unsigned char)hlen;
	memcpy(buf + 5, host, hlen);
	buf[5 + hlen] = (unsigned char)(port >> 8);
	buf[6 + hlen] = (unsigned char)(port & 0xff);
	if (net_socks_io(fd, 1, buf, 7 + hlen, d, err) == -1 ||
	    net_socks_io(fd, 0, buf, 4, d, err) == -1)
		return -1;
	if (buf[0] != 5 || buf[2] != 0) {
		err_setx(err, EX_PROTOCOL, "malformed SOCKS5 reply");
		return -1;
	}
	if (buf[1] != 0) {
		err_setx(err, buf[1] == 7 || buf[1] == 8 ? EX_UNAVAILABLE :
		    EX_TEMPFAIL, "refused to connect to %s:%d: %s (reply %d)",
		    host, port, net_socks_reply(buf[1]), buf[1]);
		return -1;
	}
	/* The bound address and port, which postie has no use for. */
	switch (buf[3]) {
	case 1:
		skip = 4 + 2;
		break;
	case 4:
		skip = 16 + 2;
		break;
	case 3:
		if (net_socks_io(fd, 0, buf, 1, d, err) == -1)
			return -1;
		skip = (size_t)buf[0] + 2;
		break;
	default:
		err_setx(err, EX_PROTOCOL, "malformed SOCKS5 reply: address "
		    "type %d", buf[3]);
		return -1;
	}
	if (net_socks_io(fd, 0, buf, skip, d, err) == -1)
		return -1;
	net_trace(d, "SOCKS5 connected to %s:%d", host, port);
	return 0;
}

/* msmtp's socket key: a Unix socket instead of host and port. */
static int
net_unix(const char *path, struct net_dial *d, struct postie_err *err)
{
	struct sockaddr_un sun;
	char why[POSTIE_ERR_MSG];
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		err_setx(err, EX_CONFIG, "socket %s: longer than %zu bytes",
		    path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		err_set(err, EX_OSERR, "socket");
		return -1;
	}
	net_trace(d, "trying socket %s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		rc = 1;
	else if (errno != EINPROGRESS && errno != EINTR) {
		strlcpy(why, strerror(errno), sizeof(why));
		rc = 0;
	} else if (net_wait(fd, POLLOUT, d->deadline, d->timeout_s * 1000,
	    err) == -1) {
		strlcpy(why, err->msg, sizeof(why));
		rc = err->ex == EX_TEMPFAIL ? 0 : -1;
	} else
		rc = net_finished(fd, why, sizeof(why), err);
	if (rc == 1) {
		net_trace(d, "connected to socket %s", path);
		return fd;
	}
	close(fd);
	if (rc == 0)
		err_setx(err, EX_TEMPFAIL, "connect to socket %s failed: %s",
		    path, why);
	return -1;
}

static int
net_proxied(const struct account *a, struct net_dial *d,
    struct postie_err *err)
{
	char where[BOUND_DOMAIN + 16];
	int fd, port = a->proxy_port > 0 ? a->proxy_port : NET_SOCKS_PORT;

	net_where(where, sizeof(where), a->proxy_host, port);
	if ((fd = net_dial(a->proxy_host, port, d, err)) == -1) {
		err_prefix(err, "SOCKS5 proxy: ");
		return -1;
	}
	if (net_socks5(fd, a->host, a->port, d, err) == -1) {
		err_prefix(err, "SOCKS5 proxy %s: ", where);
		close(fd);
		return -1;
	}
	return fd;
}

int
net_open(const struct account *a, net_trace_fn trace, void *trace_arg,
    struct postie_err *err)
{
	struct net_dial d;
	int fd = -1;

	if (net_dial_init(&d, a->source_ip, a->inet_protocols, a->timeout,
	    err) == -1)
		return -1;
	d.trace = trace;
	d.trace_arg = trace_arg;
	if (a->socket != NULL)
		fd = net_unix(a->socket, &d, err);
	else if (a->proxy_host != NULL)
		fd = net_proxied(a, &d, err);
	else
		fd = net_dial(a->host, a->port, &d, err);
	net_dial_free(&d);
	return fd;
}

/*
 * The descriptor pair transport (postie -bs): reads from one descriptor,
 * writes to another, both left blocking as the caller gave them (they
 * are shared with the parent): each read and write waits with poll(2)
 * first, and a write takes at most PIPE_BUF bytes at a time, which a
 * pipe reported writable takes without blocking.  Closing frees the
 * context and leaves the descriptors open.
 */
struct net_pair {
	int	rfd;
	int	wfd;
};

static ssize_t
net_pair_read(void *vctx, void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct net_pair *p = vctx;
	long long deadline = net_deadline(timeout_ms);
	ssize_t n;

	for (;;) {
		if (net_wait(p->rfd, POLLIN, deadline, timeout_ms, err) == -1)
			return -1;
		if ((n = read(p->rfd, buf, len)) >= 0)
			return n;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		net_io_error(err, "read");
		return -1;
	}
}

static int
net_pair_write(void *vctx, const void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct net_pair *p = vctx;
	long long deadline = net_deadline(timeout_ms);
	const char *b = buf;
	ssize_t n;

	while (len > 0) {
		if (net_wait(p->wfd, POLLOUT, deadline, timeout_ms, err) == -1)
			return -1;
		n = write(p->wfd, b, len < PIPE_BUF ? len : PIPE_BUF);
		if (n >= 0) {
			b += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		net_io_error(err, "write");
		return -1;
	}
	return 0;
}

static void
net_pair_close(void *vctx)
{
	free(vctx);
}

static const struct io_ops net_pair_ops = {
	"fd",
	net_pair_read,
	net_pair_write,
	net_pair_close
};

struct io *
net_pair_io_new(int rfd, int wfd, int timeout_s)
{
	struct net_pair *p;
	struct io *io;

	if ((p = malloc(sizeof(*p))) == NULL)
		return NULL;
	p->rfd = rfd;
	p->wfd = wfd;
	if ((io = io_new(&net_pair_ops, p, timeout_s)) == NULL)
		free(p);
	return io;
}

int
net_fd_local(int fd, char *why, size_t whysz)
{
	struct sockaddr_storage ss;
	const struct sockaddr_in *in4;
	const struct sockaddr_in6 *in6;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int local;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		if (errno == ENOTSOCK)
			return 1;
		snprintf(why, whysz, "cannot tell what the socket is: %s",
		    strerror(errno));
		return 0;
	}
	if (ss.ss_family == AF_UNIX)
		return 1;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
		snprintf(why, whysz, "a socket of address family %d",
		    (int)ss.ss_family);
		return 0;
	}
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1) {
		snprintf(why, whysz, "a socket with no peer: %s",
		    strerror(errno));
		return 0;
	}
	if (ss.ss_family == AF_INET) {
		in4 = (const struct sockaddr_in *)&ss;
		local = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
	} else {
		in6 = (const struct sockaddr_in6 *)&ss;
		local = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		    in6->sin6_addr.s6_addr[12] == 127);
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
	}
	if (!local)
		snprintf(why, whysz, "the peer %s is not on the loopback "
		    "interface", host);
	return local;
}
