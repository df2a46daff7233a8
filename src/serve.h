/* SPDX-License-Identifier: ISC */
/*
 * postie -bs: an SMTP session on standard input and output (smtpd.c)
 * whose messages are prepared as a command-line send prepares them and
 * kept in the queue or sent now (deliver.c); the messages it queued are
 * delivered by the same process when the client waits or goes away.
 */
#ifndef POSTIE_SERVE_H
#define POSTIE_SERVE_H

#include "deliver.h"
#include "err.h"
#include "opts.h"
#include "smtpd.h"

/*
 * Milliseconds a client with messages queued in this session may stay
 * silent before they are delivered (it may be a worker that keeps the
 * session open for hours); a client that sends its next message sooner
 * has them sent together, at QUIT.
 */
#define SERVE_IDLE_MS	2000

/*
 * The command line each message is prepared with: argv[0], -i, the
 * session's -a, -F, -N, -R, -V and -B (each replaced by what MAIL and
 * RCPT gave), "-f" and MAIL's reverse-path, "--" and the recipients.
 * -C is not in it: it is opts->config, recorded by the queue apart.
 * *argvp (a NULL-terminated vector, the strings in it owned) is freed
 * with serve_argv_free.  Errors: EX_OSERR.
 */
int	 serve_argv(const struct opts *, const struct smtpd_txn *,
	    char ***argvp, int *argcp, struct postie_err *);
void	 serve_argv_free(char **);

/*
 * The reply to the final dot for a message refused with sysexits code
 * ex, policy class c and the smarthost's code (0: none): the class says
 * 4xx (temporary, account: the client may try again) or 5xx (the
 * message's own); the smarthost's code is kept when it is of that class.
 */
void	 serve_refusal(struct smtpd_reply *, enum policy_class c, int ex,
	    int code, const char *why);

/*
 * Run the session on rfd and wfd as the command line o says (-bs, with
 * -C, -a, -f, -F, -N, -R, -V, -B, -v), in ctx's surroundings (the
 * queue, TMPDIR for the spool, the host name in the greeting).
 * A socket whose peer is not on the loopback interface is refused (421
 * 4.7.0, EX_NOPERM).  After QUIT, the end of the input, a timeout, or
 * SERVE_IDLE_MS of silence, the messages the session queued are
 * delivered (deliver_flush, only those).  Returns 0 when the session
 * ended with QUIT or the end of the input (what was acknowledged is
 * safe either way), else the sysexits code with e set: EX_NOPERM,
 * EX_TEMPFAIL (a timeout), EX_PROTOCOL (a bound passed), EX_IOERR,
 * EX_OSERR.
 */
int	 serve_smtp(const struct opts *o, int rfd, int wfd,
	    const struct deliver_ctx *, struct postie_err *);

#endif
