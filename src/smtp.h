/*
 * The SMTP submission session (RFC 5321, 3207, 4954, 2920, 1870, 6152,
 * 6531, 3461) as a state machine over a struct io.  Owns the stages, the
 * capabilities, the envelope dialogue and DATA encoding; does not own
 * sockets, TLS or the config file.
 */
#ifndef POSTIE_SMTP_H
#define POSTIE_SMTP_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "err.h"
#include "io.h"
#include "msg.h"

enum smtp_stage {
	SMTP_CONNECT = 0,
	SMTP_GREETING,
	SMTP_EHLO,
	SMTP_HELO,
	SMTP_STARTTLS,
	SMTP_TLS,
	SMTP_EHLO_TLS,
	SMTP_AUTH,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_DATA_END,		/* the reply to the final dot */
	SMTP_RSET,
	SMTP_QUIT,
	SMTP_DONE
};

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
	/* DSN (RFC 3461): NULL when not asked for. */
	const char *dsn_notify;		/* "SUCCESS,FAILURE", "NEVER" */
	const char *dsn_return;		/* "FULL" or "HDRS" */
	const char *dsn_envid;
	/* BODY= from -B ("8BITMIME", "7BIT") or NULL: decided from msg. */
	const char *body_type;
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
};

/*
 * Run one submission: greeting, EHLO (HELO after a 5xx), STARTTLS when
 * configured, AUTH when configured, MAIL/RCPT/DATA (pipelined when
 * offered), the message CRLF-encoded and dot-stuffed, QUIT.  Recipients
 * rejected while others are accepted are listed in res->fails and make the
 * call fail with the worst of their codes after the message was sent to
 * the others.  Errors carry the stage and the server's reply
 * ("at RCPT TO <a@b>: 550 5.1.1 unknown user"); codes: EX_TEMPFAIL (4xx,
 * connection lost, timeout), EX_UNAVAILABLE, EX_NOUSER, EX_DATAERR,
 * EX_NOPERM (auth, TLS policy), EX_PROTOCOL (malformed reply, STARTTLS
 * injection), EX_SOFTWARE.  res is always filled as far as it got.
 */
int	 smtp_submit(struct io *, const struct smtp_params *, const char *from,
	    char *const *rcpts, size_t nrcpts, struct msg *,
	    struct smtp_result *, struct postie_err *);

/*
 * Several messages over one connection (a queue flush): open once, one
 * transaction per message, close.  A transaction takes its DSN and BODY
 * settings from struct smtp_txn; those of smtp_params are smtp_submit's.
 */
struct smtp_txn {
	const char *from;
	char *const *rcpts;
	size_t	 nrcpts;
	struct msg *msg;
	const char *dsn_notify;		/* as in smtp_params, or NULL */
	const char *dsn_return;
	const char *dsn_envid;
	const char *body_type;
};

struct smtp_session;

/*
 * Greeting, EHLO (HELO after a 5xx), STARTTLS and AUTH as configured.  io
 * and p must outlive the session; the session does not free io.  On
 * failure QUIT has been sent when the stream allowed it, *sp is NULL and
 * the codes are smtp_submit's.
 */
int	 smtp_session_open(struct smtp_session **sp, struct io *,
	    const struct smtp_params *, struct postie_err *);

/*
 * One message: MAIL, RCPT, DATA (pipelined when offered), the message,
 * the final dot; no QUIT.  res and the errors are as smtp_submit's.  When
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
 * The DATA encoder (RFC 5321 4.5.2, 2.3.8): turns LF and bare CR into
 * CRLF, keeps CRLF, doubles a dot that starts a line, and ends the data
 * with CRLF (added when the last line lacks one) and ".".  Chunks may
 * split a line or a CR LF pair anywhere.  Writes go to io unflushed.
 */
struct smtp_dot {
	struct io *io;
	int	 bol;			/* at the start of a line */
	int	 cr;			/* the last chunk ended in CR */
	unsigned long long nbytes;	/* message bytes written */
};

void	 smtp_dot_init(struct smtp_dot *, struct io *);
int	 smtp_dot_write(struct smtp_dot *, const char *buf, size_t len,
	    struct postie_err *);
/* The final CRLF when needed, then ".\r\n". */
int	 smtp_dot_end(struct smtp_dot *, struct postie_err *);

#endif
