/* SPDX-License-Identifier: ISC */
/*
 * The SMTP submission session (RFC 5321, 3207, 4954, 2920, 1870, 6152,
 * 6531, 3461, 3030) as a state machine over a struct io.  Owns the
 * stages, the capabilities, the envelope dialogue and the DATA and BDAT
 * encoding; does not own sockets, TLS or the config file.
 */
#ifndef POSTIE_SMTP_H
#define POSTIE_SMTP_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "envelope.h"
#include "err.h"
#include "io.h"
#include "msg.h"
#include "reply.h"

/* "MAIL FROM", "RCPT TO", "end of DATA", ... for messages. */
const char *smtp_stage_name(enum smtp_stage);

/* Transcript directions for the trace hook. */
enum smtp_dir { SMTP_DIR_CLIENT, SMTP_DIR_SERVER, SMTP_DIR_INFO };

struct smtp_params {
	const struct account *acct;
	const char *helo_domain;	/* EHLO argument */
	int	 tls_active;		/* implicit TLS already up */
	/*
	 * Called after "220" to STARTTLS with an empty read buffer; does the
	 * handshake and switches the io transport.  NULL: STARTTLS fails.
	 */
	int	(*starttls)(void *arg, struct io *, struct postie_err *);
	void	*starttls_arg;
	/*
	 * Fetch the secret only when AUTH needs it (see secret_get): -1 on
	 * error (passed up with the stage), else the secret is in buf.  The
	 * session wipes buf right after use.  The only way the session gets
	 * a password: it never reads the account's password key.  NULL: AUTH
	 * other than EXTERNAL fails (EX_SOFTWARE).
	 */
	int	(*get_password)(void *arg, char *buf, size_t bufsz,
		    struct postie_err *);
	void	*get_password_arg;
	/*
	 * Transcript hook (-v): each line sent or received, without CRLF,
	 * credentials already replaced by "[hidden]".  NULL: none.
	 */
	void	(*trace)(void *arg, enum smtp_dir, const char *line);
	void	*trace_arg;
};

/* One rejected recipient. */
struct smtp_rcpt_fail {
	char	*rcpt;
	int	 code;
	int	 ex;
	char	*reply;		/* sanitized reply text */
};

struct smtp_result {
	int	 final_code;		/* reply to end of DATA, 0 if none */
	char	 final_reply[512];	/* sanitized */
	size_t	 naccepted;
	struct smtp_rcpt_fail *fails;
	size_t	 nfails;
	int	 tls;			/* TLS was in use */
	char	 auth_mech[32];		/* mechanism used, "" when none */
	enum smtp_stage stage;		/* where it failed; SMTP_DONE: not */
	/*
	 * Delivered, but something went wrong that the user must hear of
	 * (AUTH failed and the server took the message anyway), or "".
	 */
	char	 warning[POSTIE_ERR_MSG];
};

/*
 * A session: open once (greeting, EHLO, STARTTLS, AUTH), one transaction
 * per message, close.  A one-shot send is open, one send with last set,
 * close.  The transaction's sender, recipients, DSN and BODY settings
 * (RFC 3461, 6152: BODY= from -B, or 8BITMIME decided from the message)
 * come from the envelope, whose recipients' states it records.
 */
struct smtp_txn {
	struct envelope *env;
	struct msg *msg;
	int	 last;		/* no message follows: QUIT goes with the dot */
};

struct smtp_session;

/*
 * Greeting, EHLO (HELO after a 5xx), STARTTLS and AUTH as configured.
 * With PIPELINING, AUTH PLAIN and EXTERNAL are only made ready here:
 * they lead the first transaction's group (RFC 4954 4), and their
 * failure is smtp_session_send's, at stage SMTP_AUTH.  io
 * and p must outlive the session; the session does not free io.  On
 * failure QUIT has been sent when the stream allowed it, *sp is NULL,
 * *stagep says where it failed, and the error carries the stage and the
 * server's reply.  Codes: EX_TEMPFAIL (4xx, connection lost, timeout),
 * EX_UNAVAILABLE (5xx greeting or EHLO, no STARTTLS), EX_NOPERM (AUTH
 * refused, AUTH over cleartext, TLS policy), EX_PROTOCOL (malformed
 * reply, STARTTLS injection), EX_CONFIG (no password), EX_SOFTWARE.
 */
int	 smtp_session_open(struct smtp_session **sp, struct io *,
	    const struct smtp_params *, enum smtp_stage *stagep,
	    struct postie_err *);

/*
 * One message: MAIL, RCPT, DATA (pipelined when offered), the message
 * CRLF-encoded and dot-stuffed (its body quoted-printable when mime_plan
 * says so for this server; a message it refuses fails with its
 * EX_DATAERR before MAIL, res->stage SMTP_MAIL, the session still
 * usable), the final dot (with t->last and
 * PIPELINING, QUIT in the same flush).  When the server offers CHUNKING
 * (RFC 3030) and the account's chunking is on, BDAT chunks replace DATA:
 * no wait for 354, and with PIPELINING the whole message goes in the
 * envelope's flush.  The AUTH kept by smtp_session_open leads the first
 * group; when it fails, the outcome is its error (stage SMTP_AUTH, the
 * session takes no more mail), the message is not sent after a 354, and
 * a BDAT LAST that got 250 anyway makes the call succeed with
 * res->warning set.  The reply to a QUIT sent ahead is waited for a
 * short grace only.  Each recipient's reply is
 * recorded in t->env; recipients rejected while others are accepted are
 * also listed in res->fails and make the call fail with the worst of
 * their codes after the message was sent to the others.  res->stage says
 * where it failed.  Errors carry the stage and the server's reply ("at
 * RCPT TO <a@b>: 550 5.1.1 unknown user"); codes: EX_TEMPFAIL (4xx,
 * connection lost, timeout), EX_UNAVAILABLE, EX_NOUSER, EX_DATAERR (SIZE
 * exceeded, 5.1.x at MAIL, 552 at the dot), EX_NOPERM, EX_USAGE (a bad
 * DSN or BODY value), EX_PROTOCOL, EX_OSERR.  When
 * the previous transaction did not end with a 2xx to the final dot, RSET
 * goes first (RFC 5321 4.1.4; in the same flush with PIPELINING); a RSET
 * not answered 2xx is EX_TEMPFAIL "at RSET: ..." and ends the session.
 * A failure that is the message's own (a refused recipient, a 5xx to
 * MAIL or the final dot) leaves the session usable; check
 * smtp_session_usable after each call.
 */
int	 smtp_session_send(struct smtp_session *, const struct smtp_txn *,
	    struct smtp_result *, struct postie_err *);

/*
 * 1 while the session can take another message: the stream is in step,
 * and no 421 (RFC 5321 3.8) or refused RSET was received.
 */
int	 smtp_session_usable(const struct smtp_session *);

/* QUIT when the stream is in step, then free.  NULL is ignored. */
void	 smtp_session_close(struct smtp_session *);

/*
 * Connect-time information (-S): greeting, EHLO, STARTTLS, EHLO; with
 * do_auth also authenticate; then QUIT.  Prints what was learned to out.
 */
int	 smtp_serverinfo(struct io *, const struct smtp_params *, int do_auth,
	    FILE *out, struct postie_err *);

void	 smtp_result_free(struct smtp_result *);

/*
 * The message encoder (RFC 5321 4.5.2, 2.3.8; RFC 3030 2): turns LF and
 * bare CR into CRLF, keeps CRLF, and ends the message with CRLF (added
 * when the last line lacks one).  For DATA (smtp_dot_init) it also
 * doubles a dot that starts a line and ends the data with "."; for BDAT
 * (smtp_dot_init_sink) it does neither.  Chunks may split a line or a CR
 * LF pair anywhere.  nbytes counts the bytes written, stuffed dots
 * included, the final "." not.
 */
struct smtp_dot {
	/*
	 * Where the bytes go: at least min (at most 64 KiB) free bytes, all
	 * the room there is in *availp; commit takes the first n of them.
	 */
	char	*(*reserve)(void *arg, size_t min, size_t *availp,
		    struct postie_err *);
	void	 (*commit)(void *arg, size_t n);
	void	*arg;
	int	 stuff;			/* DATA: dot-stuffing and the dot */
	int	 bol;			/* at the start of a line */
	int	 cr;			/* the last chunk ended in CR */
	unsigned long long nbytes;	/* bytes written, the "." aside */
};

/* DATA into io: unflushed writes, dot-stuffed, ended by ".". */
void	 smtp_dot_init(struct smtp_dot *, struct io *);
/* Into a sink of the caller's, as BDAT sends it: no stuffing, no dot. */
void	 smtp_dot_init_sink(struct smtp_dot *, char *(*reserve)(void *,
	    size_t, size_t *, struct postie_err *),
	    void (*commit)(void *, size_t), void *arg);
int	 smtp_dot_write(struct smtp_dot *, const char *buf, size_t len,
	    struct postie_err *);
/* The final CRLF when needed, then ".\r\n" for DATA. */
int	 smtp_dot_end(struct smtp_dot *, struct postie_err *);

#endif
