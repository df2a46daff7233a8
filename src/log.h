/*
 * The record of each submission: one line to syslog and/or the account's
 * logfile; and every other line postie sends to syslog, as the account's
 * syslog setting says (off: none).  Never holds a secret.  Does not print
 * to stderr.
 */
#ifndef POSTIE_LOG_H
#define POSTIE_LOG_H

#include "conf.h"
#include "job.h"
#include "smtp.h"

/*
 * Log one submission attempt: host, port, tls, auth, from, recipients,
 * size, the final SMTP status and text, the exit code (0 on success) and,
 * on failure, the error line.  res may be NULL (failed before SMTP).
 * Failures to write the logfile are ignored (the delivery result must
 * not change because of the log).
 */
void	 log_submission(const struct job *, const struct smtp_result *,
	    int ex, const char *errmsg);

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
