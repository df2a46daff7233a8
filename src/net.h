/* SPDX-License-Identifier: ISC */
/*
 * Connecting to the smarthost (Happy Eyeballs, a SOCKS5 proxy, a Unix
 * socket) and the plain socket transport for struct io.  Does not know
 * about SMTP or TLS.
 */
#ifndef POSTIE_NET_H
#define POSTIE_NET_H

#include "conf.h"
#include "err.h"
#include "io.h"

/* Where -v lines about connecting go ("trying [::1]:25 (+0 ms)"). */
typedef void (*net_trace_fn)(void *arg, const char *line);

/*
 * Resolve host and race its addresses (RFC 8305, Happy Eyeballs): IPv6
 * and IPv4 interleaved, IPv6 first, at most BOUND_CONNECT_ADDRS; the next
 * address is tried when the previous attempt failed or has not connected
 * within 250 ms, the first connection wins and the others are closed.
 * timeout_s bounds the whole.  Each socket is bound to source_ip first
 * when it is not NULL (an address of the other family fails).  Returns a
 * connected, non-blocking, close-on-exec descriptor with TCP_NODELAY set.
 * Errors, naming host and port: EX_TEMPFAIL (DNS temporary failure,
 * unknown host: "cannot resolve HOST: why"; refused, unreachable, timed
 * out: "connect to HOST:PORT failed: why", the reason of the last attempt
 * to end; a laptop offline gets these, and the message must be kept),
 * EX_CONFIG (source_ip is not an IP address, port out of range), EX_OSERR
 * (cannot bind to source_ip, no descriptors), EX_SOFTWARE.
 */
int	 net_connect(const char *host, int port, const char *source_ip,
	    int timeout_s, struct postie_err *);

/*
 * Connect to an account's server, within its timeout in all:
 *  - socket set: that Unix socket (host and port only name the server);
 *    EX_TEMPFAIL "connect to socket PATH failed: why", EX_CONFIG when the
 *    path is too long;
 *  - proxy_host set: net_connect to the proxy (proxy_port, else 1080),
 *    then SOCKS5 (RFC 1928) without authentication and CONNECT host:port
 *    by name, resolved by the proxy.  Errors start "SOCKS5 proxy: " (the
 *    proxy cannot be reached: net_connect's) or "SOCKS5 proxy P:N: ":
 *    EX_TEMPFAIL "refused to connect to HOST:PORT: why (reply N)" (reply
 *    codes 1-6), or a timeout or a lost connection; EX_UNAVAILABLE (reply
 *    7 or 8, or the proxy wants authentication); EX_PROTOCOL (not a
 *    SOCKS5 reply); EX_CONFIG (host longer than 255 bytes);
 *  - else net_connect to host:port.
 * inet_protocols restricts the addresses of host or proxy_host to one
 * family, and source_ip applies to the TCP connection (to the proxy when
 * there is one).  trace (may be NULL) gets one line per attempt and its
 * end, with the time since the start.  Returns a connected non-blocking
 * descriptor.
 */
int	 net_open(const struct account *, net_trace_fn trace,
	    void *trace_arg, struct postie_err *);

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
