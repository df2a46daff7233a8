/* SPDX-License-Identifier: ISC */
/*
 * Sessions with an account's smarthost: connect, TLS, the SMTP session,
 * the -v transcript and the log line.  Does not read the config or the
 * message, and decides nothing about failures (policy.c does).
 */
#ifndef POSTIE_SUBMIT_H
#define POSTIE_SUBMIT_H

#include <stdio.h>

#include "conf.h"
#include "envelope.h"
#include "err.h"
#include "io.h"
#include "msg.h"
#include "smtp.h"
#include "sysenv.h"

/*
 * The seam below the policy: what opens a transport to an account's
 * server.  NULL means the network (net_open, and the TLS handshake for
 * implicit TLS); the tests pass scripted in-memory servers (io_mem), over
 * which STARTTLS is not available.
 */
struct submit_connector {
	int	(*open)(void *arg, const struct account *, struct io **,
		    struct postie_err *);
	void	*arg;
};

/*
 * Messages of one account over one connection: a direct send is open,
 * one send with last set, close; a flush sends several.
 * submit_session_open connects, starts TLS, greets, authenticates; on
 * failure nothing is left open, *stagep says where it failed and the
 * error names host and port (codes: smtp_session_open's, net_open's,
 * tls_start's).  Warnings (tls_certcheck off, each rejected recipient)
 * go to tr, and with verbose the transcript.  sys (which must outlive
 * the session) gives the EHLO name when the account sets no domain:
 * this host's FQDN, else "localhost".
 */
struct submit_session;
int	 submit_session_open(struct submit_session **, const struct account *,
	    struct sysenv *sys, const struct submit_connector *, int verbose,
	    FILE *tr, enum smtp_stage *stagep, struct postie_err *);
/*
 * One message (smtp_session_send, res->stage says where it failed) and
 * its log record.  Check submit_session_usable afterwards.
 */
int	 submit_session_send(struct submit_session *, struct envelope *,
	    struct msg *, int last, struct smtp_result *res,
	    struct postie_err *);
/*
 * The log record of one attempt (log_submission): res NULL when no
 * session was opened, ex 0 and errmsg NULL on success; fallback_for
 * names the account a stands in for, or is NULL.
 */
void	 submit_log(const struct account *, const struct envelope *,
	    struct msg *, const struct smtp_result *res, int ex,
	    const char *errmsg, const char *fallback_for);
/*
 * The session's account stands in for the account named first (a
 * fallback, conf.h): its log records say so (the string must outlive
 * the session).
 */
void	 submit_session_fallback_for(struct submit_session *,
	    const char *first);
/* 1 while the connection can take another message. */
int	 submit_session_usable(const struct submit_session *);
/* QUIT when possible, close, free.  NULL is ignored. */
void	 submit_session_close(struct submit_session *);

/*
 * --serverinfo: connect, TLS, EHLO (and authenticate when do_auth) and
 * print what the server offers to out.
 */
int	 submit_serverinfo(const struct account *, struct sysenv *sys,
	    int verbose, int do_auth, FILE *out, struct postie_err *);

#endif
