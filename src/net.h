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
 * connected, non-blocking, close-on-exec descriptor with TCP_NODELAY set.
 * Errors, naming host and port: EX_TEMPFAIL (DNS temporary failure,
 * unknown host: "cannot resolve HOST: why"; refused, unreachable, timed
 * out: "connect to HOST:PORT failed: why"; a laptop offline gets these,
 * and the message must be kept), EX_CONFIG (source_ip is not an IP
 * address, port out of range), EX_OSERR (cannot bind to source_ip, no
 * descriptors), EX_SOFTWARE.
 */
int	 net_connect(const char *host, int port, const char *source_ip,
	    int timeout_s, struct postie_err *);

/*
 * A struct io over a connected socket (TCP_NODELAY set when it is TCP);
 * owns fd, and closes it when it returns NULL (out of memory).
 */
struct io *net_io_new(int fd, int timeout_s);

/*
 * The socket transport; its ctx holds the descriptor.  read and write wait
 * with poll(2) up to timeout_ms (EX_TEMPFAIL "timed out after N s"); a
 * reset or broken connection is EX_TEMPFAIL "connection lost: why", other
 * failures EX_IOERR.  Writes never raise SIGPIPE.
 */
extern const struct io_ops net_socket_ops;
/* A net_socket_ops ctx owning fd; NULL when out of memory (fd untouched). */
void	*net_ctx_new(int fd);
/* The descriptor behind a net_socket_ops ctx. */
int	 net_ctx_fd(void *ctx);
/*
 * Free a net_socket_ops ctx without closing its descriptor (after
 * STARTTLS, the TLS transport owns it).
 */
void	 net_ctx_release(void *ctx);

/*
 * A struct io reading from rfd and writing to wfd (standard input and
 * output for postie -bs: pipes, a terminal, a file or a socket), which
 * stay blocking and are not closed by io_free.  Reads and writes wait
 * with poll(2) up to the timeout (EX_TEMPFAIL "timed out after N s");
 * a broken pipe is EX_TEMPFAIL "connection lost: why" (the caller
 * ignores SIGPIPE, as cmd/ does).  NULL when out of memory.
 */
struct io *net_pair_io_new(int rfd, int wfd, int timeout_s);

/*
 * 1 when fd is not a socket (a pipe, a terminal, a file), is a Unix
 * socket, or is a TCP socket whose peer is on the loopback interface
 * (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104); else 0 with the reason in
 * why ("the peer 192.0.2.1 is not on the loopback interface", a socket
 * with no peer, another address family).
 */
int	 net_fd_local(int fd, char *why, size_t whysz);

/*
 * Deadlines for transports built on a descriptor (tls.c): net_deadline
 * turns timeout_ms (<= 0: the default timeout) into an absolute monotonic
 * time in ms; net_wait polls fd for events (POLLIN, POLLOUT) until then.
 * Returns 0 when ready (or on POLLERR/POLLHUP, for the next call to
 * report), -1 with EX_TEMPFAIL "timed out after N s" or EX_OSERR.
 */
long long net_deadline(int timeout_ms);
int	 net_wait(int fd, int events, long long deadline, int timeout_ms,
	    struct postie_err *);

#endif
