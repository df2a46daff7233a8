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
 * Several jobs of one account over one connection (a queue flush).
 * submit_session_open connects, starts TLS, greets, authenticates;
 * errors are submit_run's, and nothing is left open.  Warnings, and the
 * transcript when verbose, go to tr.
 */
struct submit_session;
int	 submit_session_open(struct submit_session **, const struct account *,
	    int verbose, FILE *tr, struct postie_err *);
/*
 * Submit job (its account must be the session's) and log it; res and
 * errors as submit_run's.  Check submit_session_usable afterwards.
 */
int	 submit_session_send(struct submit_session *, struct job *,
	    struct smtp_result *res, struct postie_err *);
/* 1 while the connection can take another message. */
int	 submit_session_usable(const struct submit_session *);
/* QUIT when possible, close, free.  NULL is ignored. */
void	 submit_session_close(struct submit_session *);

/*
 * --serverinfo: connect, TLS, EHLO (and authenticate when do_auth) and
 * print what the server offers to out.
 */
int	 submit_serverinfo(const struct account *, int verbose, int do_auth,
	    FILE *out, struct postie_err *);

#endif
