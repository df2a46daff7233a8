/* SPDX-License-Identifier: ISC */
/*
 * The record of each submission: one line to syslog and/or the account's
 * logfile; and every other line postie sends to syslog, as the account's
 * syslog setting says (off: none).  Never holds a secret.  Does not print
 * to stderr.
 */
#ifndef POSTIE_LOG_H
#define POSTIE_LOG_H

#include "conf.h"
#include "envelope.h"

/* One submission attempt, as log_submission records it. */
struct log_attempt {
	const struct account *acct;
	const struct envelope *env;
	long long size;			/* message bytes, -1: unknown */
	const char *auth_mech;		/* used, or NULL / "" */
	int	 final_code;		/* reply to the final dot, 0: none */
	const char *final_reply;
	int	 ex;			/* 0 on success */
	const char *errmsg;		/* the error line, or NULL */
	const char *fallback_for;	/* acct stands in for this account
					   (its fallback), or NULL */
};

/*
 * Log one submission attempt: host, port, tls, auth, from, recipients,
 * size, the final SMTP status and text, the exit code (0 on success) and,
 * on failure, the error line, to the account's syslog facility (unless
 * syslog is off) and logfile.  Failures to write the logfile are ignored
 * (the delivery result must not change because of the log).
 */
void	 log_submission(const struct log_attempt *);

/*
 * The account's syslog setting: its facility (LOG_MAIL, LOG_LOCAL3, ...),
 * or -1 when its syslog is off.  With no account (no config could be
 * read) the default: LOG_MAIL.
 */
int	 log_facility(const struct account *);

/*
 * One line, control characters escaped, to syslog at facility | prio;
 * nothing when facility is -1 (syslog off).  Never pass a secret.
 */
void	 log_note(int facility, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The sysexits name of ex ("EX_TEMPFAIL"), or "EX_OK" for 0. */
const char *log_exname(int ex);

#endif
