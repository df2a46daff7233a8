/* SPDX-License-Identifier: ISC */
/*
 * SMTP replies (RFC 5321 4.2, enhanced status codes RFC 2034/3463): one
 * reply read strictly from a struct io, and the one table that maps a
 * reply at a given stage of the session to a sysexits(3) code.
 */
#ifndef POSTIE_REPLY_H
#define POSTIE_REPLY_H

#include <stddef.h>

#include "bounds.h"
#include "err.h"
#include "io.h"

/*
 * Where a submission is: the stages of the SMTP session (smtp.c changes
 * them), SMTP_NONE before any connection (reading the message, the
 * config), SMTP_CONNECT while connecting.
 */
enum smtp_stage {
	SMTP_NONE = 0,
	SMTP_CONNECT,
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

/* Zero-initialise before first use; reply_free releases the lines. */
struct reply {
	int	 code;			/* 200..599; 0 before the first line */
	char	 enh[12];		/* "5.1.1" from the first line, or "" */
	int	 done;			/* the last line has been seen */
	int	 cut;			/* a line was cut to BOUND_REPLY_LINE */
	size_t	 size;			/* bytes of the reply as received */
	size_t	 nlines;
	size_t	 linescap;
	/* Each line's text after "NNN-" or "NNN ", sanitized, owned. */
	char	**lines;
	/*
	 * For messages: "550 5.1.1 unknown user", the lines joined with a
	 * space, repeated enhanced codes dropped, sanitized, truncated.
	 */
	char	 text[POSTIE_ERR_MSG];
};

/*
 * Add one line (without CRLF, len bytes, may hold any byte) to r.  A
 * line longer than BOUND_REPLY_LINE bytes is cut to that length (r->cut
 * set) and the reply is still read and classified by its code.
 * Returns 1 when it was the last line of the reply, 0 when more follow,
 * -1 with EX_PROTOCOL "malformed reply: <line sanitized>" when the line
 * is not "NNN", "NNN text" or "NNN-text" with 2 <= N1 <= 5 or when its
 * code differs from the first line's; EX_PROTOCOL "malformed reply:
 * longer than 65536 bytes" when the reply, counting len + 2 for each
 * line, would exceed BOUND_REPLY (it can hold no more than
 * BOUND_REPLY_LINES lines).  EX_OSERR when memory runs out.
 */
int	 reply_add_line(struct reply *r, const char *line, size_t len,
	    struct postie_err *);

/*
 * Read one complete reply into r (whose old contents are freed).  Lines
 * of any length are taken: what passes BOUND_REPLY_LINE bytes is read
 * and dropped, as reply_add_line says.  Each line read, sanitized (and
 * cut), is passed to trace when it is not NULL, before it is checked.
 * Errors: those of reply_add_line, EX_PROTOCOL "malformed reply: longer
 * than 65536 bytes" as soon as the reply as received, line ends
 * included, passes BOUND_REPLY bytes, and io_readline's (EX_TEMPFAIL
 * "connection closed by server", timeouts, I/O errors).
 */
int	 reply_read(struct io *, struct reply *r,
	    void (*trace)(void *arg, const char *line), void *trace_arg,
	    struct postie_err *);

void	 reply_free(struct reply *r);

/* First digit of the code: 2, 3, 4 or 5. */
int	 reply_class(const struct reply *r);

/*
 * The sysexits(3) code for reply r at stage, or 0 when r is the success
 * that stage expects (a 2xx; 354 and other 3xx at DATA; 2xx or a 334
 * challenge at AUTH).  Any 4xx is EX_TEMPFAIL.  A 5xx is EX_UNAVAILABLE
 * unless the stage says better: AUTH 534/535/538 or 5.7.8 EX_NOPERM;
 * MAIL 5.1.x EX_DATAERR, 5.7.x EX_NOPERM; RCPT 5.7.x EX_NOPERM, then
 * 550/551/553 or 5.1.x EX_NOUSER; end of DATA 552, 5.3.4 or 5.6.x
 * EX_DATAERR.  A class the stage does not expect (3xx to MAIL, 2xx to
 * DATA) is EX_PROTOCOL.
 */
int	 reply_exitcode(enum smtp_stage stage, const struct reply *r);

/*
 * Of two exit codes for failed recipients, the one to report: a
 * permanent failure outranks EX_TEMPFAIL; otherwise the first (a).
 */
int	 reply_worse_ex(int a, int b);

#endif
