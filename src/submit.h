/*
 * Delivering a prepared job: connect to the account's smarthost, TLS,
 * the SMTP session, the -v transcript and the log line.  Does not read
 * the config or the message itself.
 */
#ifndef POSTIE_SUBMIT_H
#define POSTIE_SUBMIT_H

#include <stdio.h>

#include "err.h"
#include "job.h"
#include "smtp.h"

/*
 * Submit job to its account's smarthost.  Warnings (tls_certcheck off,
 * each rejected recipient) and, with verbose, the transcript go to tr
 * (normally stderr).  res (zeroed first; free with smtp_result_free)
 * tells how far the session got, e.g. that the message was accepted for
 * some recipients.  Errors: those of net_connect, tls_start and
 * smtp_submit, with host and port in the message.
 */
int	 submit_run(struct job *, FILE *tr, struct smtp_result *res,
	    struct postie_err *);

/*
 * --serverinfo: connect, TLS, EHLO (and authenticate when do_auth) and
 * print what the server offers to out.
 */
int	 submit_serverinfo(const struct account *, int verbose, int do_auth,
	    FILE *out, struct postie_err *);

#endif
