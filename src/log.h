/*
 * The record of each submission: one line to syslog and/or the account's
 * logfile.  Never holds a secret.  Does not print to stderr.
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

/* One line to syslog (LOG_MAIL) at prio; never pass a secret. */
void	 log_note(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The sysexits name of ex ("EX_TEMPFAIL"), or "EX_OK" for 0. */
const char *log_exname(int ex);

#endif
