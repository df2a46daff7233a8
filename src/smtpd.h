/* SPDX-License-Identifier: ISC */
/*
 * The server side of SMTP (RFC 5321; PIPELINING 2920, SIZE 1870,
 * 8BITMIME 6152, ENHANCEDSTATUSCODES 2034 and 3463, SMTPUTF8 6531, DSN
 * 3461) over a struct io, for postie -bs: a local client on standard
 * input and output.  Owns the dialogue, its bounds, the syntax of every
 * command and parameter, and the DATA stream (dot-unstuffed into a
 * private spool file).  Decides nothing about a message: a struct
 * smtpd_sink is given each one and says what to reply (serve.c: the
 * queue or the smarthost).  No sockets, no config, no queue.
 */
#ifndef POSTIE_SMTPD_H
#define POSTIE_SMTPD_H

#include <stddef.h>

#include "err.h"
#include "io.h"

/* One transaction as the client gave it (every string owned by smtpd). */
struct smtpd_txn {
	char	*from;		/* the reverse-path without <>; "": null */
	char	**rcpts;	/* the forward-paths without <> (nor routes) */
	size_t	 nrcpts;
	long long size;		/* MAIL's SIZE=, -1 when not given */
	char	 body[16];	/* "7BIT", "8BITMIME" or "" */
	int	 smtputf8;	/* MAIL's SMTPUTF8 */
	char	 ret[8];	/* DSN RET: "FULL", "HDRS" or "" */
	char	*envid;		/* DSN ENVID=, xtext decoded, or NULL */
	/*
	 * DSN NOTIFY of the recipients that gave one: "NEVER" or some of
	 * "SUCCESS,FAILURE,DELAY" in that order; "" when none did.  The
	 * envelope holds one per message: a recipient asking another is
	 * refused (504 5.5.4).  ORCPT is checked and not kept.
	 */
	char	 notify[32];
	long long received;	/* DATA: octets as received, unstuffed */
};

/* A reply: its code (200..599), enhanced code ("2.0.0") and text. */
struct smtpd_reply {
	int	 code;
	char	 enh[16];
	char	 text[POSTIE_ERR_MSG];
};

/* Fill a reply; the text is cut to fit. */
void	 smtpd_reply_set(struct smtpd_reply *, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* What the messages go to.  Every callback may be NULL. */
struct smtpd_sink {
	/*
	 * A MAIL command that passed the syntax checks: return 0 to accept
	 * it (250), or -1 with the refusal in r (a 4xx or 5xx).
	 */
	int	(*mail)(void *arg, const struct smtpd_txn *,
		    struct smtpd_reply *r);
	/*
	 * The message of a transaction: in fd (offset 0; the sink neither
	 * closes it nor needs it afterwards) as the client sent it, dot
	 * stuffing removed, line ends as received (CR LF).  Fill r with the
	 * reply to the final dot: 250 only once the message is safe, in the
	 * queue or accepted by the smarthost.  NULL: 451 4.3.0.
	 */
	void	(*data)(void *arg, const struct smtpd_txn *, int fd,
		    struct smtpd_reply *r);
	/*
	 * The client waits: every reply is sent and nothing more is in the
	 * input buffer.  A chance to deliver what was accepted; reading
	 * waits until it returns.
	 */
	void	(*idle)(void *arg);
	void	*arg;
};

struct smtpd_params {
	const char *hostname;	/* in the greeting and replies */
	const char *tmpdir;	/* where DATA is spooled; NULL: /tmp */
	long long max_size;	/* SIZE offered and enforced; <= 0: none */
	/*
	 * A LF alone ends a DATA line too (a person at a terminal, whose
	 * Enter is LF); else only CR LF does, which keeps a message that
	 * holds "LF . LF" from ending its data early (SMTP smuggling).
	 */
	int	 lf_ends;
	const struct smtpd_sink *sink;
};

/* How a session ended. */
enum smtpd_end {
	SMTPD_QUIT = 0,		/* QUIT, answered 221 */
	SMTPD_EOF,		/* the input ended without QUIT */
	SMTPD_TIMEOUT,		/* no command in time: 421 sent */
	SMTPD_ABORT,		/* too many errors or commands, a line
				   past BOUND_SMTPD_JUNK: 421 sent */
	SMTPD_IOERR		/* reading or writing failed */
};

/*
 * Greet (220), then answer commands until QUIT, the end of the input, a
 * timeout (the io's: 421 4.4.2) or one of the bounds in bounds.h
 * (BOUND_SMTPD_*: 421 4.7.0).  Replies are sent when the input buffer is
 * empty, so that a client that waits for each reply gets it and one that
 * pipelines gets a group at once (RFC 2920 3.2).  Nothing is acknowledged
 * before the sink says so, and a transaction cut off (by the end of the
 * input in DATA, say) is dropped without reaching the sink.  Returns how
 * the session ended; e says why for SMTPD_TIMEOUT, SMTPD_ABORT and
 * SMTPD_IOERR.
 */
enum smtpd_end smtpd_run(struct io *, const struct smtpd_params *,
	    struct postie_err *);

/*
 * Refuse a session before it starts: "421 4.7.0 HOST why" (RFC 5321
 * 3.8), flushed.  Errors: the io's.
 */
int	 smtpd_refuse(struct io *, const struct smtpd_params *,
	    const char *why, struct postie_err *);

#endif
