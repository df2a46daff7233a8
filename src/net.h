/*
 * TCP: resolving the smarthost, connecting with a deadline, and the plain
 * socket transport for struct io.  Does not know about SMTP or TLS.
 */
#ifndef POSTIE_NET_H
#define POSTIE_NET_H

#include "err.h"
#include "io.h"

/*
 * Resolve host and try every address (IPv6 and IPv4) in turn, each bounded
 * by timeout_s; bind to source_ip first when it is not NULL.  Returns a
 * connected descriptor.  Errors, naming host and port: EX_TEMPFAIL (DNS
 * temporary failure, unknown host, refused, unreachable, timed out: a
 * laptop offline gets these, and the message must be kept), EX_OSERR.
 */
int	 net_connect(const char *host, int port, const char *source_ip,
	    int timeout_s, struct postie_err *);

/* A struct io over a connected socket (TCP_NODELAY set); owns fd. */
struct io *net_io_new(int fd, int timeout_s);

/* The socket transport; its ctx holds the descriptor. */
extern const struct io_ops net_socket_ops;
/* The descriptor behind a net_socket_ops ctx. */
int	 net_ctx_fd(void *ctx);

#endif
