/* SPDX-License-Identifier: ISC */
/*
 * The transport seam: buffered line reading and batched writing over a
 * transport (socket, TLS, or memory for tests), every operation bounded by
 * a deadline.  Protocol code sees only this; it never touches sockets or
 * OpenSSL.
 */
#ifndef POSTIE_IO_H
#define POSTIE_IO_H

#include <sys/types.h>
#include <stddef.h>

#include "err.h"

/*
 * A transport.  read returns bytes read (> 0), 0 at end of stream, -1 on
 * error or when timeout_ms passes (err: EX_TEMPFAIL for a timeout or a
 * connection reset, EX_IOERR otherwise).  write writes all len bytes or
 * returns -1 likewise.  close releases ctx.
 */
struct io_ops {
	const char *name;	/* "tcp", "tls", "mem" */
	ssize_t	(*read)(void *ctx, void *buf, size_t len, int timeout_ms,
		    struct postie_err *);
	int	(*write)(void *ctx, const void *buf, size_t len,
		    int timeout_ms, struct postie_err *);
	void	(*close)(void *ctx);
};

struct io;

/* A buffered stream over a transport; timeout_s bounds each operation. */
struct io *io_new(const struct io_ops *, void *ctx, int timeout_s);
/*
 * Replace the transport (after a TLS handshake); the old one is not
 * closed (the new one owns the descriptor).  Buffers must be empty.
 */
void	 io_set_transport(struct io *, const struct io_ops *, void *ctx);
void	*io_ctx(const struct io *);

/*
 * Channel binding (RFC 5056) for SASL -PLUS mechanisms.  The transport
 * that can give it (TLS) registers a provider after switching the io to
 * itself; io_set_transport forgets it.  The provider fills type
 * ("tls-exporter", "tls-unique") and buf and returns 1, or returns 0 when
 * the connection cannot give binding data.
 */
void	 io_set_cbind(struct io *, int (*cbind)(void *ctx, char *type,
	    size_t typesz, unsigned char *buf, size_t bufsz, size_t *lenp));
/* The provider's answer for the current transport; 0 when it has none. */
int	 io_channel_binding(struct io *, char *type, size_t typesz,
	    unsigned char *buf, size_t bufsz, size_t *lenp);
const struct io_ops *io_transport(const struct io *);
int	 io_timeout_ms(const struct io *);
/* Bound the next operations by timeout_ms instead (-1: none). */
void	 io_set_timeout_ms(struct io *, int timeout_ms);

/*
 * Read one line ending in LF (a CR before it is removed) into buf,
 * NUL-terminated, length in *lenp.  A line that does not fit in bufsz - 1
 * bytes is EX_PROTOCOL; end of stream before LF is EX_TEMPFAIL
 * ("connection closed by server").
 */
int	 io_readline(struct io *, char *buf, size_t bufsz, size_t *lenp,
	    struct postie_err *);
/*
 * io_readline for lines that may be long (server replies): a line of
 * more than bufsz - 1 bytes is cut, its first bufsz - 1 bytes kept in
 * buf and the rest read and dropped up to its LF, never held whole.
 * *rawp (when not NULL) gets the bytes the line took from the stream,
 * its line end included.  A line whose LF does not come within max
 * bytes is EX_PROTOCOL "line longer than max bytes", known as soon as
 * max bytes have come.  Returns 1 when the line was cut, 0 when it was
 * not, -1 on the errors of io_readline.
 */
int	 io_readline_cut(struct io *, char *buf, size_t bufsz, size_t max,
	    size_t *lenp, size_t *rawp, struct postie_err *);
/*
 * Read bytes as they come up to and including the first LF, at most
 * bufsz (> 0) of them, into buf (not NUL-terminated; CR LF kept), their
 * count in *lenp: a stream with lines of any length, a block at a time
 * (SMTP DATA).  Returns 1 when they end with LF, 0 when bufsz bytes came
 * without one, -1 on the errors of io_readline.
 */
int	 io_readpart(struct io *, char *buf, size_t bufsz, size_t *lenp,
	    struct postie_err *);
/* Bytes received and not yet consumed (STARTTLS injection check). */
size_t	 io_pending(const struct io *);
/* 1 once a read found the end of the stream (not a timeout or error). */
int	 io_eof(const struct io *);

/* Queue bytes for sending; writes through when the buffer fills. */
int	 io_write(struct io *, const void *buf, size_t len,
	    struct postie_err *);
int	 io_printf(struct io *, struct postie_err *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Send everything queued. */
int	 io_flush(struct io *, struct postie_err *);

/*
 * For encoders that write straight into the buffer: a pointer to at least
 * min free bytes (what is queued is sent first when there is less room;
 * min at most 64 KiB), with all the room there is in *availp; io_commit
 * then queues the first n of them.  io_flush wipes what io_write and
 * io_printf queued (commands may hold credentials), not these bytes.
 */
char	*io_reserve(struct io *, size_t min, size_t *availp,
	    struct postie_err *);
void	 io_commit(struct io *, size_t n);

/* Flush nothing; close the transport and free. */
void	 io_free(struct io *);

/*
 * The in-memory transport for tests: reads come from script (copied), in
 * pieces of at most chunk bytes (0: all at once); writes are recorded.
 * Reading past the script is end of stream.
 */
struct io_mem;
struct io_mem *io_mem_new(const char *script, size_t len, size_t chunk);
extern const struct io_ops io_mem_ops;
/* Everything written so far; valid until the next write or free. */
const char *io_mem_output(const struct io_mem *, size_t *lenp);
/* Number of transport write calls made (batching tests). */
size_t	 io_mem_writes(const struct io_mem *);

#endif
