/* SPDX-License-Identifier: ISC */
/*
 * The benchmark's SMTP sink: a small server on 127.0.0.1 that speaks
 * EHLO (PIPELINING, SIZE, 8BITMIME, CHUNKING, AUTH PLAIN, STARTTLS),
 * STARTTLS and
 * implicit TLS, accepts any AUTH PLAIN, discards message data as fast as
 * it arrives, and counts round trips: the times it had nothing to do but
 * wait for the client (a read that would block).  One line per session
 * goes to the stats file.  Replies are held until the server needs
 * input, as a pipelining server does.
 *
 * It also holds the trivial sender that shows the sink's own speed
 * (blast mode): one message of N MiB over implicit TLS in large writes;
 * with idle mode, which exits at once (after making a TLS client
 * context with ctx), the three give the memory floor of a program
 * linked with OpenSSL.
 *
 * Built by bench/run, not by the project's build.
 *
 *   sink serve -c CERT -k KEY -l STATSFILE   prints "STARTTLS TLS PLAIN"
 *                                            ports on stdout, then serves
 *   sink blast PORT MIB                      prints "MIB SECONDS MB/s"
 *   sink idle [ctx]                          exits
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define IBUF	(256 * 1024)
#define OBUF	(16 * 1024)
#define LINE	4096

enum mode { M_STARTTLS, M_TLS, M_PLAIN };
static const char *const mode_names[] = { "starttls", "tls", "plain" };

struct conn {
	int	 fd;
	SSL	*ssl;
	enum mode mode;
	char	 in[IBUF];
	size_t	 ipos, ilen;
	char	 out[OBUF];
	size_t	 olen;
	BIO	*nbio;		/* TLS output not yet sent */
	unsigned waits;		/* round trips: see await_input */
	unsigned idle;		/* every time it had to wait */
	int	 solicited;	/* sent what the client must read first */
	unsigned msgs;
	unsigned long long bytes;
	int	 auth;
	const char *at;		/* what the server is waiting for */
	char	 trace[512];	/* where each wait happened */
	char	 verb[16];	/* the last command */
};

static SSL_CTX *sctx;
static const char *statsfile;

static void
die(const char *what)
{
	fprintf(stderr, "sink: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
count_wait(struct conn *c)
{
	size_t n;

	c->idle++;
	if (!c->solicited)
		return;
	c->solicited = 0;
	c->waits++;
	n = strlen(c->trace);
	if (c->at != NULL && n + strlen(c->at) + 2 < sizeof(c->trace))
		snprintf(c->trace + n, sizeof(c->trace) - n, "%s%s",
		    n > 0 ? "," : "", c->at);
}

static void
wait_fd(int fd, short ev)
{
	struct pollfd p = { fd, ev, 0 };

	while (poll(&p, 1, 30000) == -1 && errno == EINTR)
		;
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w == -1 && (errno == EAGAIN || errno == EINTR))
			wait_fd(fd, POLLOUT);
		else
			return -1;
	}
	return 0;
}

/* Send what TLS has produced. */
static int
pump_out(struct conn *c)
{
	char tmp[64 * 1024];
	int n;

	if (c->nbio == NULL)
		return 0;
	while ((n = BIO_read(c->nbio, tmp, sizeof(tmp))) > 0)
		if (send_all(c->fd, tmp, (size_t)n) == -1)
			return -1;
	return 0;
}

/* Send the pending replies (through TLS once it is up). */
static int
flush_out(struct conn *c)
{
	const char *p = c->out;
	size_t n = c->olen, done;
	int r;

	c->olen = 0;
	if (c->ssl == NULL) {
		if (send_all(c->fd, p, n) == -1)
			return -1;
		return pump_out(c);
	}
	while (n > 0) {
		r = SSL_write_ex(c->ssl, p, n, &done);
		if (r == 1) {
			p += done;
			n -= done;
		} else if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_WRITE ||
		    pump_out(c) == -1)
			return -1;
	}
	return pump_out(c);
}

static void
reply(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	if (c->olen + n + 2 > sizeof(c->out))
		flush_out(c);
	memcpy(c->out + c->olen, s, n);
	memcpy(c->out + c->olen + n, "\r\n", 2);
	c->olen += n + 2;
	c->solicited = 1;
}

/*
 * The server has nothing to read: send what is pending and wait for the
 * client.  It is a round trip when the server had sent something the
 * client must read before going on (a reply, a handshake flight) and
 * nothing had arrived yet.  That is looked at before anything is sent,
 * so that a fast answer cannot hide a round trip.  Waits without such
 * output (a client that sends its lines in many small writes) are
 * counted apart, as idle waits.
 */
static int
await_input(struct conn *c)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	int ready;

	ready = poll(&p, 1, 0) == 1 ||
	    (c->ssl != NULL && SSL_has_pending(c->ssl));
	if (flush_out(c) == -1)
		return -1;
	if (!ready)
		count_wait(c);
	wait_fd(c->fd, POLLIN);
	return 0;
}

/*
 * More input after what is buffered (kept from ipos on).  Replies wait
 * until the input runs out.  Returns bytes added, 0 at end of stream.
 */
static ssize_t
fill(struct conn *c)
{
	size_t got;
	ssize_t n;
	int r;

	if (c->ipos > 0) {
		memmove(c->in, c->in + c->ipos, c->ilen - c->ipos);
		c->ilen -= c->ipos;
		c->ipos = 0;
	}
	if (c->ilen == sizeof(c->in))
		return -1;
	for (;;) {
		if (c->ssl != NULL) {
			r = SSL_read_ex(c->ssl, c->in + c->ilen,
			    sizeof(c->in) - c->ilen, &got);
			if (r == 1) {
				c->ilen += got;
				return (ssize_t)got;
			}
			if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ ||
			    await_input(c) == -1)
				return 0;
			continue;
		}
		n = recv(c->fd, c->in + c->ilen, sizeof(c->in) - c->ilen, 0);
		if (n >= 0) {
			c->ilen += (size_t)n;
			return n;
		}
		if (errno == EAGAIN) {
			if (await_input(c) == -1)
				return -1;
		} else if (errno != EINTR)
			return -1;
	}
}

/* The next line without CRLF into line; -1 at end of stream. */
static int
get_line(struct conn *c, char *line, size_t linesz)
{
	char *lf;
	size_t n;

	for (;;) {
		lf = memchr(c->in + c->ipos, '\n', c->ilen - c->ipos);
		if (lf != NULL)
			break;
		if (c->ilen - c->ipos > linesz || fill(c) <= 0)
			return -1;
	}
	n = (size_t)(lf - (c->in + c->ipos));
	if (n > 0 && lf[-1] == '\r')
		n--;
	if (n >= linesz)
		n = linesz - 1;
	memcpy(line, c->in + c->ipos, n);
	line[n] = '\0';
	c->ipos = (size_t)(lf - c->in) + 1;
	return 0;
}

/*
 * Discard message data up to CRLF.CRLF.  Only a dot can start the
 * terminator, so memchr looks for dots and each one is checked: CRLF
 * before it (prev keeps the two bytes before ipos; the data starts as
 * if after a CRLF) and CRLF after it.  A dot too near the end of
 * what has arrived is kept for the next read.
 */
/* BDAT (RFC 3030): n bytes of message, exactly. */
static int
discard_chunk(struct conn *c, unsigned long long n)
{
	size_t k;

	for (;;) {
		k = c->ilen - c->ipos;
		if (k > n)
			k = (size_t)n;
		c->bytes += k;
		c->ipos += k;
		n -= k;
		if (n == 0)
			return 0;
		if (fill(c) <= 0)
			return -1;
	}
}

static int
discard_data(struct conn *c)
{
	char *p, *end, *dot, b1, b2;
	char prev[2] = { '\r', '\n' };
	size_t k;

	for (;;) {
		p = c->in + c->ipos;
		end = c->in + c->ilen;
		while (p < end && (dot = memchr(p, '.', end - p)) != NULL) {
			k = (size_t)(dot - (c->in + c->ipos));
			b1 = k >= 2 ? dot[-2] : k == 1 ? prev[1] : prev[0];
			b2 = k >= 1 ? dot[-1] : prev[1];
			if (b1 != '\r' || b2 != '\n') {
				p = dot + 1;
				continue;
			}
			if (end - dot < 3) {
				/* Decide once more has arrived. */
				end = dot;
				break;
			}
			if (dot[1] == '\r' && dot[2] == '\n') {
				c->bytes += k;
				c->ipos = (size_t)(dot - c->in) + 3;
				return 0;
			}
			p = dot + 1;
		}
		/* Consume up to end, remembering its last two bytes. */
		k = (size_t)(end - (c->in + c->ipos));
		if (k >= 2) {
			prev[0] = end[-2];
			prev[1] = end[-1];
		} else if (k == 1) {
			prev[0] = prev[1];
			prev[1] = end[-1];
		}
		c->bytes += k;
		c->ipos += k;
		if (fill(c) <= 0)
			return -1;
	}
}

static int
handshake(struct conn *c)
{
	BIO *rbio;
	SSL *ssl;
	int r;

	/*
	 * TLS reads the socket itself; what it writes is held in memory
	 * until the server needs input (await_input).
	 */
	c->at = "tls";
	if ((ssl = SSL_new(sctx)) == NULL ||
	    (rbio = BIO_new_socket(c->fd, BIO_NOCLOSE)) == NULL ||
	    (c->nbio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	SSL_set_bio(ssl, rbio, c->nbio);
	SSL_set_accept_state(ssl);
	for (;;) {
		r = SSL_do_handshake(ssl);
		if (r == 1)
			break;
		if (BIO_ctrl_pending(c->nbio) > 0)
			c->solicited = 1;
		if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ ||
		    await_input(c) == -1) {
			SSL_free(ssl);
			return -1;
		}
	}
	c->ssl = ssl;
	return 0;
}

static void
ehlo(struct conn *c)
{
	reply(c, "250-sink.localhost");
	reply(c, "250-PIPELINING");
	reply(c, "250-SIZE 1073741824");
	reply(c, "250-8BITMIME");
	reply(c, "250-CHUNKING");
	if (c->ssl == NULL)
		reply(c, "250-STARTTLS");
	reply(c, "250 AUTH PLAIN");
}

static void
session(int fd, enum mode mode)
{
	static struct conn c;
	char line[LINE], stats[1024];
	struct rusage ru;
	long long cpu;
	int n, sfd, one = 1;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.mode = mode;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (mode == M_TLS && handshake(&c) == -1)
		goto done;
	reply(&c, "220 sink.localhost ESMTP");
	c.at = "cmd";
	while (get_line(&c, line, sizeof(line)) == 0) {
		snprintf(c.verb, sizeof(c.verb), "%.*s",
		    (int)strcspn(line, " :"), line);
		c.at = c.verb;
		if (strncasecmp(line, "EHLO", 4) == 0)
			ehlo(&c);
		else if (strncasecmp(line, "HELO", 4) == 0)
			reply(&c, "250 sink.localhost");
		else if (strcasecmp(line, "STARTTLS") == 0 && c.ssl == NULL) {
			reply(&c, "220 go ahead");
			if (c.ipos != c.ilen || handshake(&c) == -1)
				goto done;
			c.at = "STARTTLS";
		} else if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
			if (line[10] == '\0') {
				reply(&c, "334 ");
				if (get_line(&c, line, sizeof(line)) == -1)
					goto done;
			}
			c.auth = 1;
			reply(&c, "235 2.7.0 authenticated");
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0 ||
		    strncasecmp(line, "RCPT TO:", 8) == 0 ||
		    strcasecmp(line, "RSET") == 0 ||
		    strcasecmp(line, "NOOP") == 0)
			reply(&c, "250 2.0.0 ok");
		else if (strcasecmp(line, "DATA") == 0) {
			reply(&c, "354 go ahead");
			c.at = "data";
			if (discard_data(&c) == -1)
				goto done;
			c.msgs++;
			reply(&c, "250 2.0.0 queued");
		} else if (strncasecmp(line, "BDAT ", 5) == 0) {
			char *end;
			unsigned long long n = strtoull(line + 5, &end, 10);

			c.at = "bdat";
			if (discard_chunk(&c, n) == -1)
				goto done;
			if (strcasecmp(end, " LAST") == 0) {
				c.msgs++;
				reply(&c, "250 2.0.0 queued");
			} else
				reply(&c, "250 2.0.0 chunk ok");
		} else if (strcasecmp(line, "QUIT") == 0) {
			reply(&c, "221 2.0.0 bye");
			break;
		} else
			reply(&c, "502 5.5.2 unknown command");
	}
done:
	flush_out(&c);
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		pump_out(&c);
	}
	getrusage(RUSAGE_SELF, &ru);
	cpu = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	n = snprintf(stats, sizeof(stats), "session mode=%s waits=%u "
	    "idle=%u msgs=%u bytes=%llu auth=%d cpu_us=%lld at=%s\n",
	    mode_names[mode], c.waits, c.idle, c.msgs, c.bytes, c.auth, cpu,
	    c.trace);
	if (n < 0 || (size_t)n >= sizeof(stats))
		n = (int)strlen(stats);
	if ((sfd = open(statsfile, O_WRONLY | O_APPEND | O_CREAT, 0644)) != -1) {
		(void)write(sfd, stats, (size_t)n);
		close(sfd);
	}
	close(fd);
}

static int
listen_on(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 256) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("listen");
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
serve(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL;
	struct sigaction sa;
	struct pollfd pf[3];
	int ports[3], i, fd, ch;
	pid_t pid;

	while ((ch = getopt(argc, argv, "c:k:l:")) != -1) {
		switch (ch) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'l': statsfile = optarg; break;
		default: return 2;
		}
	}
	if (cert == NULL || key == NULL || statsfile == NULL)
		return 2;
	if ((sctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(sctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_min_proto_version(sctx, TLS1_2_VERSION);
	/*
	 * Read ahead into a buffer as large as the sink's own: one
	 * system call brings many records instead of one each.
	 */
	SSL_CTX_set_read_ahead(sctx, 1);
	SSL_CTX_set_default_read_buffer_len(sctx, IBUF);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 3; i++) {
		pf[i].fd = listen_on(&ports[i]);
		pf[i].events = POLLIN;
	}
	printf("%d %d %d\n", ports[M_STARTTLS], ports[M_TLS], ports[M_PLAIN]);
	fflush(stdout);
	for (;;) {
		if (poll(pf, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < 3; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			if ((fd = accept(pf[i].fd, NULL, NULL)) == -1)
				continue;
			if ((pid = fork()) == 0) {
				close(pf[0].fd);
				close(pf[1].fd);
				close(pf[2].fd);
				session(fd, (enum mode)i);
				_exit(0);
			}
			close(fd);
		}
	}
}

/* The trivial sender: implicit TLS, one message of mib MiB. */
static int
blast(int argc, char **argv)
{
	static char chunk[256 * 1024];
	struct sockaddr_in sin;
	struct timespec t0, t1;
	char buf[4096];
	SSL_CTX *ctx;
	SSL *ssl;
	size_t i, done, total;
	double s;
	int fd, one = 1, mib, n;

	if (argc != 3)
		return 2;
	mib = atoi(argv[2]);
	for (i = 0; i < sizeof(chunk); i += 64) {
		memset(chunk + i, 'x', 62);
		memcpy(chunk + i + 62, "\r\n", 2);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ctx = SSL_CTX_new(TLS_client_method());
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_read(ssl, buf, sizeof(buf));
	SSL_write(ssl, "EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
	    "DATA\r\n", 46);
	total = (size_t)mib * 1024 * 1024;
	for (done = 0; done < total; done += sizeof(chunk))
		if (SSL_write(ssl, chunk, sizeof(chunk)) <= 0)
			die("write");
	SSL_write(ssl, ".\r\nQUIT\r\n", 9);
	while ((n = SSL_read(ssl, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (strstr(buf, "221 ") != NULL)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%d %.3f %.0f\n", mib, s, total / s / 1e6);
	return 0;
}

static int
idle(int argc, char **argv)
{
	SSL_CTX *ctx;

	if (argc > 1 && strcmp(argv[1], "ctx") == 0) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			return 1;
		SSL_CTX_free(ctx);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return serve(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "blast") == 0)
		return blast(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "idle") == 0)
		return idle(argc - 1, argv + 1);
	fprintf(stderr, "usage: sink serve -c CERT -k KEY -l STATS | "
	    "sink blast PORT MIB | sink idle [ctx]\n");
	return 2;
}
