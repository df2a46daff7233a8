/* SPDX-License-Identifier: ISC */
/*
 * What goes on the wire for a message: as it is, or with its body
 * quoted-printable (RFC 2045 6.7) because the server does not offer
 * 8BITMIME (RFC 6152) or because a body line is longer than SMTP allows
 * (RFC 5321 4.5.3.1.6), or not at all to this server.  The conversion is
 * done while the message is sent: the message (and the queue's copy) is
 * never changed.  Owns the MIME facts of a message, the decision and the
 * quoted-printable encoder; does not know about SMTP sessions, transports
 * or dot-stuffing.
 */
#ifndef POSTIE_MIME_H
#define POSTIE_MIME_H

#include <sys/types.h>
#include <stddef.h>

#include "err.h"
#include "msg.h"

/* What the decision looks at, taken from a message by mime_facts. */
struct mime_facts {
	int	 body_8bit;	/* the body holds bytes >= 0x80 */
	int	 head_8bit;	/* the header section does */
	off_t	 longest;	/* octets in the longest body line */
	int	 dkim;		/* a DKIM-Signature field */
	int	 composite;	/* Content-Type multipart/... or message/... */
	/* Content-Transfer-Encoding other than 7bit, 8bit or binary: */
	char	 encoded[32];	/* its value, "" when none or one of those */
};

/* What the server offers. */
struct mime_server {
	int	 eightbitmime;	/* RFC 6152 */
	int	 smtputf8;	/* RFC 6531 */
};

enum mime_action {
	MIME_AS_IS = 0,		/* the message as msg_emit gives it */
	MIME_QP			/* the body quoted-printable */
};

struct mime_plan {
	enum mime_action action;
	int	 eightbit;	/* what is sent holds 8-bit bytes */
	int	 smtputf8;	/* 8-bit header fields that only SMTPUTF8
				   declares: MAIL needs that parameter */
	off_t	 size;		/* bytes sent, line ends CRLF, dot-stuffing
				   not counted (the SIZE= value) */
	char	 note[POSTIE_ERR_MSG];	/* for -v: what is done and why,
					   "" when the message goes as is */
};

/* The facts of m (no I/O: msg.c counted while reading). */
void	 mime_facts(const struct msg *m, struct mime_facts *f);

/*
 * The decision, a pure function of the facts and the server (size is
 * left 0).  To a server without 8BITMIME, 8-bit bytes are never sent: a
 * body with them goes quoted-printable when it is a single part (neither
 * multipart/ nor message/) whose Content-Transfer-Encoding is none, 7bit,
 * 8bit or binary, and without a DKIM-Signature (the conversion would
 * break it); 8-bit header fields need SMTPUTF8.  A body line over
 * BOUND_TEXT_LINE octets sends the body quoted-printable under the same
 * conditions, to any server; otherwise the message goes as it is, with a
 * note.  Errors: EX_DATAERR, the reason the message cannot be sent to
 * this server ("the server offers no 8BITMIME and ...").
 */
int	 mime_decide(const struct mime_facts *, const struct mime_server *,
	    struct mime_plan *, struct postie_err *);

/*
 * mime_facts and mime_decide for m, with the size of what mime_emit will
 * give, as sent (for quoted-printable, one pass over the spool).  Errors:
 * mime_decide's, EX_IOERR, EX_OSERR.
 */
int	 mime_plan(struct msg *m, const struct mime_server *,
	    struct mime_plan *, struct postie_err *);

/*
 * Stream m as the plan says, as msg_emit does (out gets chunks; the
 * header lines end in LF, the quoted-printable body in CRLF).  For
 * quoted-printable, every Content-Transfer-Encoding field is left out,
 * and "MIME-Version: 1.0" (when the message has none) and
 * "Content-Transfer-Encoding: quoted-printable" end the header section.
 * Errors: msg_emit's and out's.
 */
int	 mime_emit(const struct mime_plan *, struct msg *m,
	    int (*out)(void *arg, const char *buf, size_t len,
	    struct postie_err *), void *arg, struct postie_err *);

/*
 * The bytes an emitter's chunks make on the wire as smtp_dot_write sends
 * them, dot-stuffing aside: LF, CRLF and a lone CR each a CRLF, and a
 * CRLF after a last line without one.  mime_wire_count is an out for
 * msg_emit or mime_emit (arg: the struct mime_wire); it cannot fail.
 */
struct mime_wire {
	off_t	 n;
	int	 cr;		/* a CR held */
	int	 bol;		/* at the start of a line */
	int	 eightbit;	/* a byte >= 0x80 went through */
};

void	 mime_wire_init(struct mime_wire *);
int	 mime_wire_count(void *arg, const char *buf, size_t len,
	    struct postie_err *);
/* The size so far, with the CRLF that ends the data when needed. */
off_t	 mime_wire_size(const struct mime_wire *);

/*
 * The quoted-printable encoder, streaming in constant memory.  Input is
 * the body as spooled: LF and CRLF are line ends (sent as CRLF), a lone
 * CR is data (=0D).  Output lines end in CRLF and hold at most
 * BOUND_QP_LINE characters; "=" and bytes outside 33..126 are =XX, as is
 * a space or tab that would end a line and a "." that would start one
 * (safe whatever the transport does with dot lines).  Input that does
 * not end with a line end ends with a soft line break, so that decoding
 * gives back the input exactly, line ends as CRLF.  Chunks may split the
 * input anywhere.  out gets at most sizeof(buf) bytes at a time.
 */
struct mime_qp {
	int	(*out)(void *, const char *, size_t, struct postie_err *);
	void	*arg;
	char	 buf[4096];
	size_t	 len;		/* bytes held in buf */
	size_t	 col;		/* characters on the current output line */
	int	 cr;		/* the last input byte was a CR */
	char	 ws;		/* a space or tab held, 0 when none */
	unsigned long long nbytes;	/* bytes given to out */
};

void	 mime_qp_init(struct mime_qp *, int (*out)(void *, const char *,
	    size_t, struct postie_err *), void *arg);
int	 mime_qp_write(struct mime_qp *, const char *buf, size_t len,
	    struct postie_err *);
/* The held bytes, a final soft line break when needed, then out. */
int	 mime_qp_end(struct mime_qp *, struct postie_err *);

#endif
