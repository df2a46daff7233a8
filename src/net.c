/*
 * TCP: resolving the smarthost, connecting to each of its addresses with a
 * deadline, and the plain socket transport (struct io_ops) whose reads and
 * writes wait with poll(2).  Does not know about SMTP or TLS; tls.c takes
 * the descriptor over after the handshake.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "err.h"
#include "io.h"
#include "net.h"

struct net_ctx {
	int	fd;
};

/* What net_try() reports besides a descriptor. */
#define NET_SOFT	(-1)	/* this address failed; why says how */
#define NET_HARD	(-2)	/* give up; err is set */

static long long
net_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
net_timeout_ms(int timeout_ms)
{
	return timeout_ms > 0 ? timeout_ms : BOUND_TIMEOUT_DEFAULT * 1000;
}

long long
net_deadline(int timeout_ms)
{
	return net_now() + net_timeout_ms(timeout_ms);
}

int
net_wait(int fd, int events, long long deadline, int timeout_ms,
    struct postie_err *err)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		left = deadline - net_now();
		if (left < 0)
			left = 0;
		if (left > INT_MAX)
			left = INT_MAX;
		pfd.fd = fd;
		pfd.events = (short)events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
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

/*
 * Connect to one address within timeout_s.  Returns the descriptor,
 * NET_SOFT with the reason in why (try the next address), or NET_HARD
 * with err set.
 */
static int
net_try(const struct addrinfo *ai, const struct addrinfo *src,
    const char *source_ip, int timeout_s, char *why, size_t whysz,
    struct postie_err *err)
{
	struct postie_err werr;
	socklen_t len;
	int fd, soerr, one = 1;

	if (src != NULL && src->ai_family != ai->ai_family) {
		snprintf(why, whysz, "source_ip %s is not of the address "
		    "family of the server address", source_ip);
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
	if (src != NULL && bind(fd, src->ai_addr, src->ai_addrlen) == -1) {
		err_set(err, EX_OSERR, "cannot bind to source_ip %s",
		    source_ip);
		close(fd);
		return NET_HARD;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS && errno != EINTR) {
			strlcpy(why, strerror(errno), whysz);
			close(fd);
			return NET_SOFT;
		}
		if (net_wait(fd, POLLOUT, net_deadline(timeout_s * 1000),
		    timeout_s * 1000, &werr) == -1) {
			close(fd);
			if (werr.ex != EX_TEMPFAIL) {
				*err = werr;
				return NET_HARD;
			}
			strlcpy(why, werr.msg, whysz);
			return NET_SOFT;
		}
		len = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1) {
			err_set(err, EX_OSERR, "getsockopt");
			close(fd);
			return NET_HARD;
		}
		if (soerr != 0) {
			strlcpy(why, strerror(soerr), whysz);
			close(fd);
			return NET_SOFT;
		}
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
net_connect(const char *host, int port, const char *source_ip,
    int timeout_s, struct postie_err *err)
{
	struct addrinfo hints, *res = NULL, *ai, *src = NULL;
	char service[16], why[POSTIE_ERR_MSG] = "no address";
	int fd = NET_SOFT, gai;

	if (port <= 0 || port > 65535) {
		err_setx(err, EX_CONFIG, "invalid port %d for %s", port, host);
		return -1;
	}
	if (timeout_s <= 0)
		timeout_s = BOUND_TIMEOUT_DEFAULT;
	if (source_ip != NULL && net_source(source_ip, &src, err) == -1)
		return -1;

	snprintf(service, sizeof(service), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, service, &hints, &res)) != 0) {
		net_resolve_error(host, gai, err);
		if (src != NULL)
			freeaddrinfo(src);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = net_try(ai, src, source_ip, timeout_s, why, sizeof(why),
		    err);
		if (fd >= 0 || fd == NET_HARD)
			break;
	}
	freeaddrinfo(res);
	if (src != NULL)
		freeaddrinfo(src);
	if (fd == NET_SOFT) {
		err_setx(err, EX_TEMPFAIL, strchr(host, ':') != NULL ?
		    "connect to [%s]:%d failed: %s" :
		    "connect to %s:%d failed: %s", host, port, why);
		return -1;
	}
	return fd < 0 ? -1 : fd;
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
