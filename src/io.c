/* SPDX-License-Identifier: ISC */
/*
 * The buffered stream over a transport: line reading bounded by the
 * caller's buffer, write batching, and the in-memory transport that the
 * tests script.  The socket and TLS transports live in net.c and tls.c;
 * nothing here knows about SMTP.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "io.h"

#define IO_RBUF	(16 * 1024)
#define IO_WBUF	(64 * 1024)

struct io {
	const struct io_ops *ops;
	void	*ctx;
	int	 timeout_ms;
	char	*rbuf;
	size_t	 rpos;		/* first unread byte */
	size_t	 rlen;		/* bytes in rbuf */
	char	*wbuf;
	size_t	 wlen;		/* bytes queued */
	size_t	 wipe_lo;	/* queued by io_write: wiped after */
	size_t	 wipe_hi;	/*   sending (io_commit's are not) */
	int	(*cbind)(void *, char *, size_t, unsigned char *, size_t,
		    size_t *);
	int	 eof;		/* a read found the end of the stream */
};

struct io *
io_new(const struct io_ops *ops, void *ctx, int timeout_s)
{
	struct io *io;

	if ((io = calloc(1, sizeof(*io))) == NULL)
		return NULL;
	if ((io->rbuf = malloc(IO_RBUF)) == NULL ||
	    (io->wbuf = malloc(IO_WBUF)) == NULL) {
		free(io->rbuf);
		free(io);
		return NULL;
	}
	io->ops = ops;
	io->ctx = ctx;
	if (timeout_s <= 0)
		io->timeout_ms = -1;
	else if (timeout_s > 2000000)
		io->timeout_ms = 2000000000;
	else
		io->timeout_ms = timeout_s * 1000;
	return io;
}

void
io_set_transport(struct io *io, const struct io_ops *ops, void *ctx)
{
	io->ops = ops;
	io->ctx = ctx;
	io->cbind = NULL;
}

void
io_set_cbind(struct io *io, int (*cbind)(void *ctx, char *type,
    size_t typesz, unsigned char *buf, size_t bufsz, size_t *lenp))
{
	io->cbind = cbind;
}

int
io_channel_binding(struct io *io, char *type, size_t typesz,
    unsigned char *buf, size_t bufsz, size_t *lenp)
{
	*lenp = 0;
	if (typesz > 0)
		type[0] = '\0';
	if (io->cbind == NULL)
		return 0;
	return io->cbind(io->ctx, type, typesz, buf, bufsz, lenp) == 1;
}

void *
io_ctx(const struct io *io)
{
	return io->ctx;
}

const struct io_ops *
io_transport(const struct io *io)
{
	return io->ops;
}

int
io_timeout_ms(const struct io *io)
{
	return io->timeout_ms;
}

void
io_set_timeout_ms(struct io *io, int timeout_ms)
{
	io->timeout_ms = timeout_ms;
}

static int
io_fill(struct io *io, struct postie_err *err)
{
	ssize_t n;

	io->rpos = io->rlen = 0;
	n = io->ops->read(io->ctx, io->rbuf, IO_RBUF, io->timeout_ms, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		io->eof = 1;
		err_setx(err, EX_TEMPFAIL, "connection closed by server");
		return -1;
	}
	io->rlen = (size_t)n;
	return 0;
}

/*
 * The line is gathered straight into the caller's buffer so that a line
 * may span any number of transport reads.  The terminating NUL's slot
 * may hold a CR that the LF then removes.  With cut, what does not fit
 * is dropped as it is read; max bounds the bytes taken from the stream.
 */
static int
io_getline(struct io *io, char *buf, size_t bufsz, int cut, size_t max,
    size_t *lenp, size_t *rawp, struct postie_err *err)
{
	const char *start, *lf;
	size_t len = 0, raw = 0, n, room;
	int dropped = 0;

	if (bufsz == 0) {
		err_setx(err, EX_SOFTWARE, "io_readline: empty buffer");
		return -1;
	}
	for (;;) {
		if (io->rpos == io->rlen && io_fill(io, err) == -1)
			return -1;
		start = io->rbuf + io->rpos;
		lf = memchr(start, '\n', io->rlen - io->rpos);
		n = lf != NULL ? (size_t)(lf - start) : io->rlen - io->rpos;
		if (n + (lf != NULL) > max - raw) {
			err_setx(err, EX_PROTOCOL, "line longer than %zu "
			    "bytes", max);
			return -1;
		}
		raw += n + (lf != NULL);
		room = bufsz - len;
		if (n > room) {
			if (!cut)
				goto toolong;
			memcpy(buf + len, start, room);
			len += room;
			dropped = 1;
		} else {
			memcpy(buf + len, start, n);
			len += n;
		}
		if (lf == NULL) {
			io->rpos = io->rlen;
			continue;
		}
		io->rpos += n + 1;
		if (!dropped && len > 0 && buf[len - 1] == '\r')
			len--;
		if (len > bufsz - 1) {
			if (!cut)
				goto toolong;
			len = bufsz - 1;
			dropped = 1;
		}
		buf[len] = '\0';
		if (lenp != NULL)
			*lenp = len;
		if (rawp != NULL)
			*rawp = raw;
		return dropped;
	}
toolong:
	err_setx(err, EX_PROTOCOL, "line longer than %zu bytes", bufsz - 1);
	return -1;
}

int
io_readline(struct io *io, char *buf, size_t bufsz, size_t *lenp,
    struct postie_err *err)
{
	return io_getline(io, buf, bufsz, 0, SIZE_MAX, lenp, NULL, err);
}

int
io_readline_cut(struct io *io, char *buf, size_t bufsz, size_t max,
    size_t *lenp, size_t *rawp, struct postie_err *err)
{
	return io_getline(io, buf, bufsz, 1, max, lenp, rawp, err);
}

int
io_readpart(struct io *io, char *buf, size_t bufsz, size_t *lenp,
    struct postie_err *err)
{
	const char *start, *lf;
	size_t len = 0, n;

	while (len < bufsz) {
		if (io->rpos == io->rlen && io_fill(io, err) == -1)
			return -1;
		start = io->rbuf + io->rpos;
		n = io->rlen - io->rpos;
		if ((lf = memchr(start, '\n', n)) != NULL)
			n = (size_t)(lf - start) + 1;
		if (n > bufsz - len)
			n = bufsz - len;
		memcpy(buf + len, start, n);
		len += n;
		io->rpos += n;
		if (buf[len - 1] == '\n') {
			*lenp = len;
			return 1;
		}
	}
	*lenp = len;
	return 0;
}

size_t
io_pending(const struct io *io)
{
	return io->rlen - io->rpos;
}

int
io_eof(const struct io *io)
{
	return io->eof;
}

int
io_flush(struct io *io, struct postie_err *err)
{
	int rv = 0;

	if (io->wlen == 0)
		return 0;
	if (io->ops->write(io->ctx, io->wbuf, io->wlen, io->timeout_ms,
	    err) == -1)
		rv = -1;
	/*
	 * Commands may have held credentials; message data (io_commit)
	 * need not be wiped, which would cost a pass over every byte.
	 */
	if (io->wipe_hi > io->wipe_lo)
		explicit_bzero(io->wbuf + io->wipe_lo,
		    io->wipe_hi - io->wipe_lo);
	io->wlen = io->wipe_lo = io->wipe_hi = 0;
	return rv;
}

/* Copy len bytes that fit into the buffer, marked to be wiped. */
static void
io_put(struct io *io, const char *p, size_t len)
{
	if (len == 0)
		return;
	if (io->wipe_hi == io->wipe_lo)
		io->wipe_lo = io->wlen;
	memcpy(io->wbuf + io->wlen, p, len);
	io->wlen += len;
	io->wipe_hi = io->wlen;
}

int
io_write(struct io *io, const void *buf, size_t len, struct postie_err *err)
{
	const char *p = buf;
	size_t n;

	if (io->wlen + len <= IO_WBUF) {
		io_put(io, p, len);
		return 0;
	}
	if (io->wlen > 0) {
		n = IO_WBUF - io->wlen;
		io_put(io, p, n);
		p += n;
		len -= n;
		if (io_flush(io, err) == -1)
			return -1;
	}
	if (len >= IO_WBUF)
		return io->ops->write(io->ctx, p, len, io->timeout_ms, err);
	io_put(io, p, len);
	return 0;
}

char *
io_reserve(struct io *io, size_t min, size_t *availp, struct postie_err *err)
{
	if (min > IO_WBUF) {
		err_setx(err, EX_SOFTWARE, "io_reserve: %zu bytes", min);
		return NULL;
	}
	if (IO_WBUF - io->wlen < min && io_flush(io, err) == -1)
		return NULL;
	*availp = IO_WBUF - io->wlen;
	return io->wbuf + io->wlen;
}

void
io_commit(struct io *io, size_t n)
{
	io->wlen += n;
}

int
io_printf(struct io *io, struct postie_err *err, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n, rv;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		err_set(err, EX_SOFTWARE, "io_printf");
		return -1;
	}
	if ((size_t)n < sizeof(small)) {
		rv = io_write(io, small, (size_t)n, err);
		explicit_bzero(small, sizeof(small));
		return rv;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		err_set(err, EX_OSERR, "io_printf");
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rv = io_write(io, big, (size_t)n, err);
	explicit_bzero(big, (size_t)n);
	free(big);
	return rv;
}

void
io_free(struct io *io)
{
	if (io == NULL)
		return;
	if (io->ops != NULL && io->ops->close != NULL)
		io->ops->close(io->ctx);
	explicit_bzero(io->wbuf, IO_WBUF);
	free(io->wbuf);
	free(io->rbuf);
	free(io);
}

/* The in-memory transport. */

struct io_mem {
	char	*script;
	size_t	 len;
	size_t	 pos;
	size_t	 chunk;
	char	*out;
	size_t	 outlen;
	size_t	 outcap;
	size_t	 nwrites;
};

struct io_mem *
io_mem_new(const char *script, size_t len, size_t chunk)
{
	struct io_mem *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->script = malloc(len + 1)) == NULL) {
		free(m);
		return NULL;
	}
	if (len > 0)
		memcpy(m->script, script, len);
	m->len = len;
	m->chunk = chunk;
	return m;
}

static ssize_t
io_mem_read(void *ctx, void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct io_mem *m = ctx;
	size_t n;

	n = m->len - m->pos;
	if (m->chunk > 0 && n > m->chunk)
		n = m->chunk;
	if (n > len)
		n = len;
	memcpy(buf, m->script + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static int
io_mem_write(void *ctx, const void *buf, size_t len, int timeout_ms,
    struct postie_err *err)
{
	struct io_mem *m = ctx;
	size_t cap;
	char *p;

	if (len > m->outcap - m->outlen) {
		cap = m->outcap > 0 ? m->outcap : 1024;
		while (cap - m->outlen < len) {
			if (cap > SIZE_MAX / 2) {
				err_setx(err, EX_OSERR, "mem: too large");
				return -1;
			}
			cap *= 2;
		}
		if ((p = realloc(m->out, cap)) == NULL) {
			err_set(err, EX_OSERR, "mem");
			return -1;
		}
		m->out = p;
		m->outcap = cap;
	}
	memcpy(m->out + m->outlen, buf, len);
	m->outlen += len;
	m->nwrites++;
	return 0;
}

static void
io_mem_close(void *ctx)
{
	struct io_mem *m = ctx;

	if (m == NULL)
		return;
	free(m->script);
	free(m->out);
	free(m);
}

const struct io_ops io_mem_ops = {
	"mem", io_mem_read, io_mem_write, io_mem_close
};

const char *
io_mem_output(const struct io_mem *m, size_t *lenp)
{
	if (lenp != NULL)
		*lenp = m->outlen;
	return m->out != NULL ? m->out : "";
}

size_t
io_mem_writes(const struct io_mem *m)
{
	return m->nwrites;
}
