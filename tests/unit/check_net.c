/* SPDX-License-Identifier: ISC */
/*
 * Tests for net.c: connecting to 127.0.0.1 and round-tripping bytes with
 * a forked peer, every address of a name tried in turn, the refused,
 * unknown-host, timeout and reset failures with their exit codes and
 * words, source_ip handling, and the transport driven both directly and
 * through struct io.  No outside network.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "io.h"
#include "net.h"

/* What the forked peer does with the connection it accepts. */
enum peer_mode {
	PEER_ECHO,	/* "220 hi\r\n", then echo one line */
	PEER_SILENT,	/* never write; read and discard until EOF */
	PEER_STALL,	/* never read, never write */
	PEER_RESET,	/* read one byte, then close with an RST */
	PEER_SOURCE	/* write the client's address and port */
};

struct peer {
	pid_t	pid;
	int	port;
};

static int
listen_local(int *portp)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*portp = ntohs(sin.sin_port);
	return fd;
}

static void
peer_run(int c, enum peer_mode mode)
{
	struct sockaddr_in sin;
	struct linger lg = { 1, 0 };
	socklen_t len = sizeof(sin);
	char buf[256];
	size_t got = 0;
	ssize_t n;

	switch (mode) {
	case PEER_ECHO:
		if (write(c, "220 hi\r\n", 8) != 8)
			_exit(2);
		while (got < sizeof(buf) - 1) {
			if ((n = read(c, buf + got, sizeof(buf) - 1 - got)) <= 0)
				_exit(3);
			got += (size_t)n;
			if (memchr(buf, '\n', got) != NULL)
				break;
		}
		if (write(c, buf, got) != (ssize_t)got)
			_exit(4);
		break;
	case PEER_SILENT:
		while (read(c, buf, sizeof(buf)) > 0)
			;
		break;
	case PEER_STALL:
		pause();
		break;
	case PEER_RESET:
		if (read(c, buf, 1) != 1)
			_exit(7);
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		break;
	case PEER_SOURCE:
		if (getpeername(c, (struct sockaddr *)&sin, &len) == -1)
			_exit(5);
		snprintf(buf, sizeof(buf), "%s\n", inet_ntoa(sin.sin_addr));
		if (write(c, buf, strlen(buf)) != (ssize_t)strlen(buf))
			_exit(6);
		while (read(c, buf, sizeof(buf)) > 0)
			;
		break;
	}
	close(c);
	_exit(0);
}

static void
peer_start(struct peer *p, enum peer_mode mode)
{
	int lfd, c;

	lfd = listen_local(&p->port);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		alarm(10);
		if ((c = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		close(lfd);
		peer_run(c, mode);
	}
	close(lfd);
}

static int
peer_wait(struct peer *p)
{
	int status;

	ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
peer_kill(struct peer *p)
{
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A port on 127.0.0.1 that nothing listens on. */
static int
closed_port(void)
{
	int fd, port;

	fd = listen_local(&port);
	close(fd);
	return port;
}

/* Read through the ops until a LF arrives. */
static size_t
ops_readline(void *ctx, char *buf, size_t bufsz)
{
	struct postie_err err;
	size_t got = 0;
	ssize_t n;

	while (memchr(buf, '\n', got) == NULL) {
		n = net_socket_ops.read(ctx, buf + got, bufsz - 1 - got, 5000,
		    &err);
		ck_assert_msg(n > 0, "read: %zd %s", n, n < 0 ? err.msg : "");
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

static const char *const hosts[] = { "127.0.0.1", "localhost" };

START_TEST(test_roundtrip)
{
	struct postie_err err;
	struct peer p;
	char buf[256];
	void *ctx;
	socklen_t len;
	int fd, one = 0;

	peer_start(&p, PEER_ECHO);
	err_clear(&err);
	fd = net_connect(hosts[_i], p.port, NULL, 5, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	len = sizeof(one);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    &len), 0);
	ck_assert_int_ne(one, 0);

	ctx = net_ctx_new(fd);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(net_ctx_fd(ctx), fd);
	ops_readline(ctx, buf, sizeof(buf));
	ck_assert_str_eq(buf, "220 hi\r\n");
	ck_assert_int_eq(net_socket_ops.write(ctx, "EHLO x\r\n", 8, 5000,
	    &err), 0);
	ops_readline(ctx, buf, sizeof(buf));
	ck_assert_str_eq(buf, "EHLO x\r\n");
	net_socket_ops.close(ctx);
	ck_assert_int_eq(peer_wait(&p), 0);
	ck_assert_str_eq(net_socket_ops.name, "tcp");
}
END_TEST

START_TEST(test_io_roundtrip)
{
	struct postie_err err;
	struct peer p;
	struct io *io;
	char line[128];
	size_t len;
	int fd;

	peer_start(&p, PEER_ECHO);
	fd = net_connect("127.0.0.1", p.port, NULL, 5, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	io = net_io_new(fd, 5);
	ck_assert_ptr_nonnull(io);
	ck_assert_ptr_eq(io_transport(io), &net_socket_ops);
	ck_assert_int_eq(net_ctx_fd(io_ctx(io)), fd);
	ck_assert_int_eq(io_readline(io, line, sizeof(line), &len, &err), 0);
	ck_assert_str_eq(line, "220 hi");
	ck_assert_int_eq(io_printf(io, &err, "QUIT %d\r\n", 42), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	ck_assert_int_eq(io_readline(io, line, sizeof(line), &len, &err), 0);
	ck_assert_str_eq(line, "QUIT 42");
	/* The peer has closed: end of stream. */
	ck_assert_int_eq(io_readline(io, line, sizeof(line), &len, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	io_free(io);
	ck_assert_int_eq(peer_wait(&p), 0);
	/* io_free closed the descriptor. */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
}
END_TEST

START_TEST(test_refused)
{
	struct postie_err err;
	char want[128];
	int port = closed_port();

	err_clear(&err);
	ck_assert_int_eq(net_connect("127.0.0.1", port, NULL, 5, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%d failed: "
	    "Connection refused", port);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

/*
 * A name with two addresses, ::1 then 127.0.0.1, whatever the system's
 * hosts file says: this getaddrinfo() is the one the library calls, and
 * hands every other name to the C library's.  The peers listen on
 * 127.0.0.1 only, so the first address is refused.
 */
#define TWO_ADDRS	"two.addresses.test"

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *,
	    struct addrinfo **);
	struct addrinfo h, *v6, *v4;
	int rc;

	*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	if (real == NULL)
		return EAI_SYSTEM;
	if (node == NULL || strcmp(node, TWO_ADDRS) != 0)
		return real(node, service, hints, res);
	h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	/* As a resolver does, hints->ai_family keeps to one family. */
	if (h.ai_family == AF_INET)
		return real("127.0.0.1", service, &h, res);
	if (h.ai_family == AF_INET6)
		return real("::1", service, &h, res);
	if ((rc = real("::1", service, &h, &v6)) != 0)
		return rc;
	if ((rc = real("127.0.0.1", service, &h, &v4)) != 0) {
		freeaddrinfo(v6);
		return rc;
	}
	ck_assert_ptr_null(v6->ai_next);
	v6->ai_next = v4;
	*res = v6;
	return 0;
}

/* The first address refused: the next one is tried. */
START_TEST(test_every_address)
{
	struct postie_err err;
	struct peer p;
	char buf[256];
	void *ctx;
	int fd;

	peer_start(&p, PEER_ECHO);
	err_clear(&err);
	fd = net_connect(TWO_ADDRS, p.port, NULL, 5, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ctx = net_ctx_new(fd);
	ck_assert_ptr_nonnull(ctx);
	ops_readline(ctx, buf, sizeof(buf));
	ck_assert_str_eq(buf, "220 hi\r\n");
	ck_assert_int_eq(net_socket_ops.write(ctx, "x\r\n", 3, 5000, &err),
	    0);
	net_socket_ops.close(ctx);
	ck_assert_int_eq(peer_wait(&p), 0);
}
END_TEST

/* Every address refused: one error naming the host, EX_TEMPFAIL. */
START_TEST(test_every_address_refused)
{
	struct postie_err err;
	char want[128];
	int port = closed_port();

	err_clear(&err);
	ck_assert_int_eq(net_connect(TWO_ADDRS, port, NULL, 5, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	snprintf(want, sizeof(want), "connect to %s:%d failed: "
	    "Connection refused", TWO_ADDRS, port);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_unknown_host)
{
	struct postie_err err;
	const char *want = "cannot resolve nonexistent.invalid: ";

	err_clear(&err);
	ck_assert_int_eq(net_connect("nonexistent.invalid", 587, NULL, 5,
	    &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s",
	    err.msg);
	ck_assert_uint_gt(strlen(err.msg), strlen(want));
}
END_TEST

struct bad_case {
	const char *host;
	int	 port;
	const char *source_ip;
	int	 ex;
	const char *msg;	/* prefix */
};

static const struct bad_case bad_cases[] = {
	{ "127.0.0.1", 25, "not-an-ip", EX_CONFIG,
	  "invalid source_ip not-an-ip: not an IP address" },
	{ "127.0.0.1", 25, "mail.example.org", EX_CONFIG,
	  "invalid source_ip mail.example.org: not an IP address" },
	{ "127.0.0.1", 25, "", EX_CONFIG,
	  "invalid source_ip : not an IP address" },
	/* TEST-NET-1 (RFC 5737) is no address of this machine. */
	{ "127.0.0.1", 0, "192.0.2.1", EX_OSERR,
	  "cannot bind to source_ip 192.0.2.1: " },
	{ "127.0.0.1", 0, NULL, EX_CONFIG, "invalid port 0 for 127.0.0.1" },
	{ "127.0.0.1", 65536, NULL, EX_CONFIG,
	  "invalid port 65536 for 127.0.0.1" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct postie_err err;
	struct peer p;
	int port = c->port, fd;

	if (c->port == 0 && c->source_ip != NULL) {
		peer_start(&p, PEER_SILENT);
		port = p.port;
	}
	err_clear(&err);
	fd = net_connect(c->host, port, c->source_ip, 2, &err);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(err.ex, c->ex);
	ck_assert_msg(strncmp(err.msg, c->msg, strlen(c->msg)) == 0,
	    "got \"%s\", want \"%s...\"", err.msg, c->msg);
	if (c->port == 0 && c->source_ip != NULL)
		peer_kill(&p);
}
END_TEST

START_TEST(test_source_ip)
{
	struct postie_err err;
	struct peer p;
	char buf[128];
	void *ctx;
	int fd;

	peer_start(&p, PEER_SOURCE);
	fd = net_connect("127.0.0.1", p.port, "127.0.0.1", 5, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ctx = net_ctx_new(fd);
	ops_readline(ctx, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.1\n");
	net_socket_ops.close(ctx);
	ck_assert_int_eq(peer_wait(&p), 0);
}
END_TEST

START_TEST(test_source_ip_family)
{
	struct postie_err err;
	struct peer p;

	/* An IPv6 source cannot reach an IPv4-only host. */
	peer_start(&p, PEER_SILENT);
	err_clear(&err);
	ck_assert_int_eq(net_connect("127.0.0.1", p.port, "::1", 5, &err),
	    -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_msg(strstr(err.msg, "source_ip ::1 is not of the address "
	    "family") != NULL, "%s", err.msg);
	peer_kill(&p);
}
END_TEST

START_TEST(test_read_timeout)
{
	struct postie_err err;
	struct peer p;
	char buf[64];
	double t0, dt;
	void *ctx;
	int fd;

	peer_start(&p, PEER_SILENT);
	fd = net_connect("127.0.0.1", p.port, NULL, 1, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ctx = net_ctx_new(fd);
	t0 = now();
	ck_assert_int_eq(net_socket_ops.read(ctx, buf, sizeof(buf), 1000,
	    &err), -1);
	dt = now() - t0;
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "timed out after 1 s");
	ck_assert_msg(dt >= 0.9 && dt < 3.0, "took %.2f s", dt);
	net_socket_ops.close(ctx);
	ck_assert_int_eq(peer_wait(&p), 0);
}
END_TEST

START_TEST(test_io_read_timeout)
{
	struct postie_err err;
	struct peer p;
	struct io *io;
	char line[64];
	double t0, dt;
	int fd;

	peer_start(&p, PEER_SILENT);
	fd = net_connect("127.0.0.1", p.port, NULL, 1, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	io = net_io_new(fd, 1);
	t0 = now();
	ck_assert_int_eq(io_readline(io, line, sizeof(line), NULL, &err), -1);
	dt = now() - t0;
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "timed out after 1 s");
	ck_assert_msg(dt >= 0.9 && dt < 3.0, "took %.2f s", dt);
	io_free(io);
	ck_assert_int_eq(peer_wait(&p), 0);
}
END_TEST

START_TEST(test_write_timeout)
{
	struct postie_err err;
	struct peer p;
	double t0, dt;
	char *big;
	size_t len = 64 * 1024 * 1024;
	void *ctx;
	int fd;

	/* The peer never reads: the socket buffers fill, then the deadline. */
	peer_start(&p, PEER_STALL);
	fd = net_connect("127.0.0.1", p.port, NULL, 1, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ctx = net_ctx_new(fd);
	big = calloc(1, len);
	ck_assert_ptr_nonnull(big);
	t0 = now();
	ck_assert_int_eq(net_socket_ops.write(ctx, big, len, 1000, &err), -1);
	dt = now() - t0;
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "timed out after 1 s");
	ck_assert_msg(dt >= 0.9 && dt < 3.0, "took %.2f s", dt);
	free(big);
	net_socket_ops.close(ctx);
	peer_kill(&p);
}
END_TEST

START_TEST(test_reset)
{
	struct postie_err err;
	struct peer p;
	char buf[64];
	void *ctx;
	int fd, i, rv = 0;

	peer_start(&p, PEER_RESET);
	fd = net_connect("127.0.0.1", p.port, NULL, 5, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ctx = net_ctx_new(fd);
	ck_assert_int_eq(net_socket_ops.write(ctx, "x", 1, 5000, &err), 0);
	ck_assert_int_eq(peer_wait(&p), 0);
	err_clear(&err);
	ck_assert_int_eq(net_socket_ops.read(ctx, buf, sizeof(buf), 5000,
	    &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_msg(strncmp(err.msg, "connection lost: ", 17) == 0, "%s",
	    err.msg);
	/* Writing to the dead connection fails, and raises no SIGPIPE. */
	for (i = 0; i < 100 && rv == 0; i++)
		rv = net_socket_ops.write(ctx, "DATA\r\n", 6, 5000, &err);
	ck_assert_int_eq(rv, -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_msg(strncmp(err.msg, "connection lost: ", 17) == 0, "%s",
	    err.msg);
	net_socket_ops.close(ctx);
}
END_TEST

/* The descriptor pair over two pipes: both ways, EOF, a timeout. */
START_TEST(test_pair)
{
	struct postie_err err;
	struct io *io;
	char line[64], buf[64];
	int in[2], out[2];
	size_t len;
	ssize_t n;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	io = net_pair_io_new(in[0], out[1], 1);
	ck_assert_ptr_nonnull(io);
	ck_assert_int_eq(write(in[1], "EHLO x\r\n", 8), 8);
	ck_assert_int_eq(io_readline(io, line, sizeof(line), &len, &err), 0);
	ck_assert_str_eq(line, "EHLO x");
	ck_assert_int_eq(io_printf(io, &err, "250 ok\r\n"), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	n = read(out[0], buf, sizeof(buf));
	ck_assert_int_eq(n, 8);
	ck_assert_int_eq(memcmp(buf, "250 ok\r\n", 8), 0);
	/* Nothing comes: the timeout, told apart from the end of input. */
	ck_assert_int_eq(io_readline(io, line, sizeof(line), &len, &err), -1);
	ck_assert_str_eq(err.msg, "timed out after 1 s");
	ck_assert_int_eq(io_eof(io), 0);
	close(in[1]);
	ck_assert_int_eq(io_readline(io, line, sizeof(line), &len, &err), -1);
	ck_assert_int_eq(io_eof(io), 1);
	/* The reader went away: an error (SIGPIPE ignored, as cmd/ does). */
	signal(SIGPIPE, SIG_IGN);
	close(out[0]);
	ck_assert_int_eq(io_printf(io, &err, "221 bye\r\n"), 0);
	ck_assert_int_eq(io_flush(io, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	io_free(io);
	/* io_free left the descriptors open. */
	ck_assert_int_ne(fcntl(in[0], F_GETFD), -1);
	ck_assert_int_ne(fcntl(out[1], F_GETFD), -1);
	close(in[0]);
	close(out[1]);
}
END_TEST

/* Who may talk to postie -bs: pipes, Unix sockets, loopback peers. */
START_TEST(test_fd_local)
{
	char why[256] = "";
	int p[2], sv[2], lfd, cfd, afd, port;
	struct sockaddr_in sin;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(net_fd_local(p[0], why, sizeof(why)), 1);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(net_fd_local(sv[0], why, sizeof(why)), 1);
	close(sv[0]);
	close(sv[1]);
	lfd = listen_local(&port);
	/* A listening socket has no peer (Accept=no): refused. */
	ck_assert_int_eq(net_fd_local(lfd, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "no peer") != NULL, "%s", why);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(afd, 0);
	ck_assert_int_eq(net_fd_local(afd, why, sizeof(why)), 1);
	close(afd);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(test_wait)
{
	struct postie_err err;
	long long d;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	d = net_deadline(200);
	ck_assert_int_eq(net_wait(sv[0], POLLOUT, d, 200, &err), 0);
	ck_assert_int_eq(net_wait(sv[0], POLLIN, d, 200, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(err.msg, "timed out after 1 s");
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(net_wait(sv[0], POLLIN, net_deadline(200), 200,
	    &err), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* The -v lines of net_open, collected, the "(+N ms)" cut off. */
struct trace {
	char	 lines[16][160];
	size_t	 n;
};

static void
trace_line(void *arg, const char *line)
{
	struct trace *t = arg;
	const char *ms = strstr(line, " (+");

	ck_assert_ptr_nonnull(ms);
	ck_assert_uint_lt(t->n, 16);
	snprintf(t->lines[t->n++], sizeof(t->lines[0]), "%.*s",
	    (int)(ms - line), line);
}

static void
account_init(struct account *a, char *host, int port)
{
	memset(a, 0, sizeof(*a));
	a->name = (char *)"t";
	a->host = host;
	a->port = port;
	a->timeout = 5;
	a->inet_protocols = AF_UNSPEC;
}

/* IPv6 first, and inet_protocols keeps to one family. */
static const struct {
	int	 family;
	const char *tried[2];
} family_cases[] = {
	{ AF_UNSPEC, { "[::1]", "127.0.0.1" } },
	{ AF_INET, { "127.0.0.1", NULL } },
	{ AF_INET6, { "[::1]", NULL } },
};

START_TEST(test_open_family)
{
	struct postie_err err;
	struct account a;
	struct trace t;
	char want[128];
	int port = closed_port();
	size_t i, n = 0;

	account_init(&a, (char *)TWO_ADDRS, port);
	a.inet_protocols = family_cases[_i].family;
	memset(&t, 0, sizeof(t));
	err_clear(&err);
	ck_assert_int_eq(net_open(&a, trace_line, &t, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	for (i = 0; i < 2 && family_cases[_i].tried[i] != NULL; i++) {
		snprintf(want, sizeof(want), "trying %s:%d",
		    family_cases[_i].tried[i], port);
		ck_assert_str_eq(t.lines[n++], want);
		snprintf(want, sizeof(want), "%s:%d failed: Connection "
		    "refused", family_cases[_i].tried[i], port);
		ck_assert_str_eq(t.lines[n++], want);
	}
	ck_assert_uint_eq(t.n, n);
}
END_TEST

/* A connection that wins closes the attempts still in flight. */
START_TEST(test_open_trace_connected)
{
	struct postie_err err;
	struct account a;
	struct trace t;
	struct peer p;
	char want[128];
	int fd;

	peer_start(&p, PEER_SILENT);
	account_init(&a, (char *)"127.0.0.1", p.port);
	memset(&t, 0, sizeof(t));
	fd = net_open(&a, trace_line, &t, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_uint_eq(t.n, 2);
	snprintf(want, sizeof(want), "connected to 127.0.0.1:%d", p.port);
	ck_assert_str_eq(t.lines[1], want);
	close(fd);
	ck_assert_int_eq(peer_wait(&p), 0);
}
END_TEST

START_TEST(test_open_unix)
{
	struct sockaddr_un sun;
	struct postie_err err;
	struct account a;
	char dir[] = "/tmp/check_net.XXXXXX", path[64], want[160];
	int lfd, fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	account_init(&a, (char *)"192.0.2.1", 9);
	a.socket = path;
	err_clear(&err);
	ck_assert_int_eq(net_open(&a, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	snprintf(want, sizeof(want), "connect to socket %s failed: No such "
	    "file or directory", path);
	ck_assert_str_eq(err.msg, want);

	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	fd = net_open(&a, NULL, NULL, &err);
	ck_assert_msg(fd >= 0, "%s", err.msg);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
	close(lfd);
	unlink(path);
	rmdir(dir);
}
END_TEST

/*
 * A SOCKS5 proxy that answers a script: after the client's greeting
 * (which must offer "no authentication" only) it writes method; after the
 * CONNECT request (which must name HOST port 25 by name) it writes reply
 * (replylen bytes), then "220 hi\r\n" when greet is set, and closes.
 */
#define SOCKS_HOST	"mail.example.org"

struct socks_case {
	const char *method;	/* 2 bytes, or 1 when method[1] is 'x' */
	const char *reply;
	size_t	 replylen;
	int	 greet;
	int	 ex;		/* 0: connected */
	const char *msg;	/* after "SOCKS5 proxy 127.0.0.1:PORT: " */
};

static const struct socks_case socks_cases[] = {
	{ "\x05\x00", "\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x00", 10, 1, 0,
	  NULL },
	{ "\x05\x00", "\x05\x00\x00\x03\x03" "a.b" "\x00\x19", 10, 1, 0,
	  NULL },
	{ "\x05\x00", "\x05\x00\x00\x04" "0123456789abcdef" "\x00\x19", 22, 1,
	  0, NULL },
	{ "\x05\x00", "\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00", 10, 0,
	  EX_TEMPFAIL, "refused to connect to " SOCKS_HOST ":25: connection "
	  "refused (reply 5)" },
	{ "\x05\x00", "\x05\x02\x00\x01", 4, 0, EX_TEMPFAIL,
	  "refused to connect to " SOCKS_HOST ":25: connection not allowed "
	  "by ruleset (reply 2)" },
	{ "\x05\x00", "\x05\x08\x00\x01", 4, 0, EX_UNAVAILABLE,
	  "refused to connect to " SOCKS_HOST ":25: address type not "
	  "supported (reply 8)" },
	{ "\x05\x00", "\x05\x00\x00\x09", 4, 0, EX_PROTOCOL,
	  "malformed SOCKS5 reply: address type 9" },
	{ "\x05\x00", "\x05\x00\x01\x01", 4, 0, EX_PROTOCOL,
	  "malformed SOCKS5 reply" },
	{ "\x05\x00", "\x04\x00\x00\x01", 4, 0, EX_PROTOCOL,
	  "malformed SOCKS5 reply" },
	{ "\x05\x00", "\x05\x00\x00\x01\x7f", 5, 0, EX_TEMPFAIL,
	  "connection lost: the proxy closed the connection" },
	{ "\x05\xff", NULL, 0, 0, EX_UNAVAILABLE,
	  "the proxy requires authentication, and postie offers none" },
	{ "\x05\x02", NULL, 0, 0, EX_PROTOCOL,
	  "the proxy chose method 2, which postie did not offer" },
	{ "HT", NULL, 0, 0, EX_PROTOCOL,
	  "not a SOCKS5 proxy: it answered version 72" },
	{ "\x05x", NULL, 0, 0, EX_TEMPFAIL,
	  "connection lost: the proxy closed the connection" },
};

static int
read_full(int fd, unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, buf, len)) <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
socks_peer(int c, const struct socks_case *sc)
{
	static const unsigned char hello[] = { 5, 1, 0 };
	unsigned char buf[300], want[300];
	size_t hlen = strlen(SOCKS_HOST);

	if (read_full(c, buf, 3) == -1 || memcmp(buf, hello, 3) != 0)
		_exit(10);
	if (write(c, sc->method, sc->method[1] == 'x' ? 1 : 2) == -1)
		_exit(11);
	if (sc->reply == NULL)
		_exit(0);
	want[0] = 5;
	want[1] = 1;
	want[2] = 0;
	want[3] = 3;
	want[4] = (unsigned char)hlen;
	memcpy(want + 5, SOCKS_HOST, hlen);
	want[5 + hlen] = 0;
	want[6 + hlen] = 25;
	if (read_full(c, buf, 7 + hlen) == -1 ||
	    memcmp(buf, want, 7 + hlen) != 0)
		_exit(12);
	if (write(c, sc->reply, sc->replylen) != (ssize_t)sc->replylen)
		_exit(13);
	if (!sc->greet)
		_exit(0);
	if (write(c, "220 hi\r\n", 8) != 8)
		_exit(14);
	/* Let the client read before the close. */
	if (read(c, buf, 1) == -1)
		_exit(15);
	_exit(0);
}

START_TEST(test_socks5)
{
	const struct socks_case *sc = &socks_cases[_i];
	struct postie_err err;
	struct account a;
	struct peer p;
	char buf[64], want[256];
	void *ctx;
	int lfd, c, fd;

	lfd = listen_local(&p.port);
	ck_assert_int_ge(p.pid = fork(), 0);
	if (p.pid == 0) {
		alarm(10);
		if ((c = accept(lfd, NULL, NULL)) == -1)
			_exit(1);
		socks_peer(c, sc);
	}
	close(lfd);
	account_init(&a, (char *)SOCKS_HOST, 25);
	a.proxy_host = (char *)"127.0.0.1";
	a.proxy_port = p.port;
	err_clear(&err);
	fd = net_open(&a, NULL, NULL, &err);
	if (sc->ex == 0) {
		ck_assert_msg(fd >= 0, "%s", err.msg);
		/* Exactly the reply was read: the greeting comes next. */
		ctx = net_ctx_new(fd);
		ops_readline(ctx, buf, sizeof(buf));
		ck_assert_str_eq(buf, "220 hi\r\n");
		net_socket_ops.close(ctx);
	} else {
		ck_assert_int_eq(fd, -1);
		ck_assert_int_eq(err.ex, sc->ex);
		snprintf(want, sizeof(want), "SOCKS5 proxy 127.0.0.1:%d: %s",
		    p.port, sc->msg);
		ck_assert_str_eq(err.msg, want);
	}
	ck_assert_int_eq(peer_wait(&p), 0);
}
END_TEST

/* A proxy that says nothing: the account's timeout ends it. */
START_TEST(test_socks5_timeout)
{
	struct postie_err err;
	struct account a;
	struct peer p;
	char want[128];
	double t0;

	peer_start(&p, PEER_STALL);
	account_init(&a, (char *)SOCKS_HOST, 25);
	a.proxy_host = (char *)"127.0.0.1";
	a.proxy_port = p.port;
	a.timeout = 1;
	t0 = now();
	ck_assert_int_eq(net_open(&a, NULL, NULL, &err), -1);
	ck_assert_double_lt(now() - t0, 3.0);
	ck_assert_int_eq(err.ex, EX_TEMPFAIL);
	snprintf(want, sizeof(want), "SOCKS5 proxy 127.0.0.1:%d: timed out "
	    "after 1 s", p.port);
	ck_assert_str_eq(err.msg, want);
	peer_kill(&p);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("net");

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_roundtrip, 0,
	    sizeof(hosts) / sizeof(hosts[0]));
	tcase_add_test(tc, test_io_roundtrip);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_every_address);
	tcase_add_test(tc, test_every_address_refused);
	tcase_add_test(tc, test_unknown_host);
	tcase_add_loop_test(tc, test_bad, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_source_ip);
	tcase_add_test(tc, test_source_ip_family);
	tcase_add_test(tc, test_read_timeout);
	tcase_add_test(tc, test_io_read_timeout);
	tcase_add_test(tc, test_write_timeout);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_wait);
	tcase_add_test(tc, test_pair);
	tcase_add_test(tc, test_fd_local);
	tcase_add_loop_test(tc, test_open_family, 0,
	    sizeof(family_cases) / sizeof(family_cases[0]));
	tcase_add_test(tc, test_open_trace_connected);
	tcase_add_test(tc, test_open_unix);
	tcase_add_loop_test(tc, test_socks5, 0,
	    sizeof(socks_cases) / sizeof(socks_cases[0]));
	tcase_add_test(tc, test_socks5_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(net_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
