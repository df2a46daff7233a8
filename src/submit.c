/* SPDX-License-Identifier: ISC */
/*
 * Delivering a prepared job: connect, TLS, the SMTP session with its
 * hooks (STARTTLS, the password, the -v transcript), and the log record.
 * Owns the glue between net, tls and smtp; owns no protocol logic.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "conf.h"
#include "err.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "oauth.h"
#include "secret.h"
#include "smtp.h"
#include "submit.h"
#include "sysenv.h"
#include "tls.h"

struct submit_ctx {
	const struct account *acct;
	struct sysenv *sys;
	struct tls_client *tls;
	FILE	*tr;			/* transcript, or NULL */
	FILE	*warn;			/* warnings, or NULL */
};

static void
submit_trace(void *arg, enum smtp_dir dir, const char *line)
{
	struct submit_ctx *ctx = arg;
	char clean[BOUND_REPLY_LINE * 4 + 1];	/* "\xNN" per byte at most */
	const char *mark;

	if (ctx->tr == NULL)
		return;
	switch (dir) {
	case SMTP_DIR_CLIENT:
		mark = "--> ";
		break;
	case SMTP_DIR_SERVER:
		mark = "<-- ";
		break;
	default:
		mark = "--- ";
		break;
	}
	err_sanitize(clean, sizeof(clean), line, strlen(line));
	fprintf(ctx->tr, "%s%s\n", mark, clean);
}

/* net_open's -v lines. */
static void
submit_trace_net(void *arg, const char *line)
{
	submit_trace(arg, SMTP_DIR_INFO, line);
}

/* Trace each line of tls_describe() output. */
static void
submit_trace_tls(struct submit_ctx *ctx, struct io *io)
{
	char desc[4096], *p, *nl;

	if (ctx->tr == NULL)
		return;
	tls_describe(io, desc, sizeof(desc));
	for (p = desc; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		submit_trace(ctx, SMTP_DIR_INFO, p);
		if (nl == NULL)
			break;
	}
}

static int
submit_starttls(void *arg, struct io *io, struct postie_err *e)
{
	struct submit_ctx *ctx = arg;

	if (tls_start(ctx->tls, io, ctx->acct->host, e) == -1)
		return -1;
	submit_trace_tls(ctx, io);
	return 0;
}

static int
submit_password(void *arg, char *buf, size_t bufsz, struct postie_err *e)
{
	struct submit_ctx *ctx = arg;

	/* An account with a provider authenticates with its token only. */
	if (ctx->acct->oauth2_provider != OAUTH2_NONE)
		return oauth_access_token(ctx->acct, ctx->sys, time(NULL), buf,
		    bufsz, e);
	return secret_get(ctx->acct, sysenv_home(ctx->sys), SYSCONFDIR "/netrc",
	    1, buf, bufsz, e);
}

/*
 * The server refused an OAuth 2.0 access token: the cached one is
 * dropped, so that the next try refreshes it, and the hint says how to
 * sign in again when a fresh one is refused too.
 */
static void
submit_auth_refused(const struct account *a, struct sysenv *sys,
    enum smtp_stage stage, struct postie_err *e)
{
	if (a->oauth2_provider == OAUTH2_NONE || stage != SMTP_AUTH ||
	    e->ex != EX_NOPERM)
		return;
	oauth_forget_access(a, sys);
	err_append(e, "; if a new token is refused too, run postie --login "
	    "%s", oauth_login_name(a));
}

/* The EHLO argument: the domain key, else this host's FQDN. */
static void
submit_helo_domain(struct submit_ctx *ctx, char *buf, size_t bufsz)
{
	struct postie_err e;
	const char *fqdn;

	if (ctx->acct->domain != NULL)
		strlcpy(buf, ctx->acct->domain, bufsz);
	else if ((fqdn = sysenv_fqdn(ctx->sys, &e)) == NULL ||
	    strlcpy(buf, fqdn, bufsz) >= bufsz)
		strlcpy(buf, "localhost", bufsz);
}

/*
 * Connect and, for implicit TLS, handshake.  On success *iop speaks to
 * the server and ctx->tls is ready for STARTTLS.  With a connector, it
 * gives the transport and TLS is not available.
 */
static int
submit_open(struct submit_ctx *ctx, const struct submit_connector *conn,
    struct io **iop, enum smtp_stage *stagep, struct postie_err *e)
{
	const struct account *a = ctx->acct;
	struct io *io;
	int fd;

	*stagep = SMTP_CONNECT;
	if (conn != NULL) {
		if (conn->open(conn->arg, a, iop, e) == -1) {
			err_prefix(e, "%s:%d: ", a->host, a->port);
			return -1;
		}
		return 0;
	}

	if (a->tls) {
		if (!a->tls_certcheck && !a->tls_has_fingerprint &&
		    ctx->warn != NULL)
			fprintf(ctx->warn, "postie: warning: account %s: "
			    "tls_certcheck is off: the server's identity is "
			    "not verified\n", a->name);
		if (tls_client_new(&ctx->tls, a, ctx->sys, e) == -1)
			return -1;
	}
	if ((fd = net_open(a, submit_trace_net, ctx, e)) == -1)
		return -1;
	if ((io = net_io_new(fd, a->timeout)) == NULL) {
		close(fd);
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	if (a->tls && !a->tls_starttls) {
		*stagep = SMTP_TLS;
		if (tls_start(ctx->tls, io, a->host, e) == -1) {
			err_prefix(e, "%s:%d: TLS: ", a->host, a->port);
			io_free(io);
			return -1;
		}
		submit_trace_tls(ctx, io);
	}
	*iop = io;
	return 0;
}

static void
submit_params(struct submit_ctx *ctx, struct smtp_params *p,
    char *helo, size_t helosz)
{
	const struct account *a = ctx->acct;

	memset(p, 0, sizeof(*p));
	submit_helo_domain(ctx, helo, helosz);
	p->acct = a;
	p->helo_domain = helo;
	p->tls_active = a->tls && !a->tls_starttls;
	p->starttls = submit_starttls;
	p->starttls_arg = ctx;
	p->get_password = submit_password;
	p->get_password_arg = ctx;
	if (ctx->tr != NULL) {
		p->trace = submit_trace;
		p->trace_arg = ctx;
	}
}

struct submit_session {
	struct submit_ctx ctx;
	struct smtp_params p;
	char	 helo[256];
	struct io *io;
	struct smtp_session *smtp;
	const char *fallback_for;	/* log_attempt's */
};

void
submit_session_close(struct submit_session *ss)
{
	if (ss == NULL)
		return;
	smtp_session_close(ss->smtp);
	if (ss->io != NULL)
		io_free(ss->io);
	if (ss->ctx.tls != NULL)
		tls_client_free(ss->ctx.tls);
	free(ss);
}

int
submit_session_open(struct submit_session **ssp, const struct account *a,
    struct sysenv *sys, const struct submit_connector *conn, int verbose,
    FILE *tr, enum smtp_stage *stagep, struct postie_err *e)
{
	struct submit_session *ss;

	*ssp = NULL;
	*stagep = SMTP_CONNECT;
	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	ss->ctx.acct = a;
	ss->ctx.sys = sys;
	ss->ctx.tr = verbose ? tr : NULL;
	ss->ctx.warn = tr;
	if (submit_open(&ss->ctx, conn, &ss->io, stagep, e) == -1) {
		submit_session_close(ss);
		return -1;
	}
	submit_params(&ss->ctx, &ss->p, ss->helo, sizeof(ss->helo));
	if (smtp_session_open(&ss->smtp, ss->io, &ss->p, stagep, e) == -1) {
		submit_auth_refused(a, sys, *stagep, e);
		err_prefix(e, "%s:%d: ", a->host, a->port);
		submit_session_close(ss);
		return -1;
	}
	*ssp = ss;
	return 0;
}

void
submit_session_fallback_for(struct submit_session *ss, const char *first)
{
	ss->fallback_for = first;
}

void
submit_log(const struct account *a, const struct envelope *env,
    struct msg *msg, const struct smtp_result *res, int ex,
    const char *errmsg, const char *fallback_for)
{
	struct log_attempt la;

	memset(&la, 0, sizeof(la));
	la.acct = a;
	la.env = env;
	la.size = msg != NULL ? (long long)msg_size(msg) : -1;
	if (res != NULL) {
		la.auth_mech = res->auth_mech;
		la.final_code = res->final_code;
		la.final_reply = res->final_reply;
	}
	la.ex = ex;
	la.errmsg = errmsg;
	la.fallback_for = fallback_for;
	log_submission(&la);
}

int
submit_session_send(struct submit_session *ss, struct envelope *env,
    struct msg *msg, int last, struct smtp_result *res,
    struct postie_err *e)
{
	const struct account *a = ss->ctx.acct;
	struct smtp_txn t;
	size_t i;
	int rv;

	memset(&t, 0, sizeof(t));
	t.env = env;
	t.msg = msg;
	t.last = last;
	rv = smtp_session_send(ss->smtp, &t, res, e);
	if (rv == 0 && res->warning[0] != '\0') {
		if (ss->ctx.warn != NULL)
			fprintf(ss->ctx.warn, "postie: warning: %s:%d: %s\n",
			    a->host, a->port, res->warning);
		log_note(log_facility(a), LOG_WARNING, "%s:%d: %s", a->host,
		    a->port, res->warning);
	}
	if (rv == -1) {
		for (i = 0; i < res->nfails && ss->ctx.warn != NULL; i++)
			fprintf(ss->ctx.warn, "postie: recipient <%s> "
			    "rejected: %s\n", res->fails[i].rcpt,
			    res->fails[i].reply);
		err_prefix(e, "%s:%d: ", a->host, a->port);
	}
	submit_log(a, env, msg, res, rv == 0 ? 0 : e->ex, rv == 0 ? NULL :
	    e->msg, ss->fallback_for);
	return rv;
}

int
submit_session_usable(const struct submit_session *ss)
{
	return smtp_session_usable(ss->smtp);
}

int
submit_serverinfo(const struct account *a, struct sysenv *sys, int verbose,
    int do_auth, FILE *out, struct postie_err *e)
{
	struct submit_ctx ctx;
	struct smtp_params p;
	struct io *io = NULL;
	enum smtp_stage stage;
	char helo[256];
	int rv = -1;

	memset(&ctx, 0, sizeof(ctx));
	ctx.acct = a;
	ctx.sys = sys;
	ctx.tr = verbose ? stderr : NULL;
	ctx.warn = stderr;
	if (submit_open(&ctx, NULL, &io, &stage, e) == -1)
		goto done;
	submit_params(&ctx, &p, helo, sizeof(helo));
	fprintf(out, "server: %s:%d\n", a->host, a->port);
	if (smtp_serverinfo(io, &p, do_auth, out, e) == -1) {
		submit_auth_refused(a, sys, SMTP_AUTH, e);
		err_prefix(e, "%s:%d: ", a->host, a->port);
		goto done;
	}
	if (a->tls) {
		char desc[4096];

		tls_describe(io, desc, sizeof(desc));
		if (desc[0] != '\0')
			fprintf(out, "TLS:\n%s\n", desc);
	}
	rv = 0;
done:
	if (io != NULL)
		io_free(io);
	if (ctx.tls != NULL)
		tls_client_free(ctx.tls);
	return rv;
}
