/* SPDX-License-Identifier: ISC */
/*
 * postie -bs: the sink behind the SMTP dialogue.  Each message becomes
 * the command line that a sendmail call with its sender and recipients
 * would be (serve_argv) and goes through the same preparation and the
 * same policy as one (deliver_accept); the ids this session queued are
 * flushed by it.  Owns that command line, the ids and the reply words
 * for a refusal; owns no SMTP syntax (smtpd.c) and no queue format.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "deliver.h"
#include "job.h"
#include "log.h"
#include "net.h"
#include "serve.h"
#include "sysenv.h"

struct serve {
	const struct opts *o;
	const struct deliver_ctx *ctx;
	int	 rfd;
	char	**ids;		/* queued by this session, not yet flushed */
	size_t	 nids;
};

static int
serve_add(char **v, size_t *np, const char *s, struct postie_err *e)
{
	if ((v[*np] = strdup(s)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	(*np)++;
	return 0;
}

int
serve_argv(const struct opts *o, const struct smtpd_txn *t, char ***argvp,
    int *argcp, struct postie_err *e)
{
	const char *notify, *ret, *envid, *body;
	char **v;
	size_t i, n = 0;

	*argvp = NULL;
	if (t->nrcpts > BOUND_RECIPIENTS ||
	    (v = calloc(t->nrcpts + 20, sizeof(*v))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	notify = t->notify[0] != '\0' ? t->notify : o->dsn_notify;
	ret = t->ret[0] != '\0' ? t->ret : o->dsn_return;
	envid = t->envid != NULL ? t->envid : o->dsn_envid;
	body = t->body[0] != '\0' ? t->body : o->body_type;
	if (serve_add(v, &n, "postie", e) == -1 ||
	    serve_add(v, &n, "-i", e) == -1 ||
	    (o->account != NULL && (serve_add(v, &n, "-a", e) == -1 ||
	    serve_add(v, &n, o->account, e) == -1)) ||
	    (o->full_name != NULL && (serve_add(v, &n, "-F", e) == -1 ||
	    serve_add(v, &n, o->full_name, e) == -1)) ||
	    (notify != NULL && (serve_add(v, &n, "-N", e) == -1 ||
	    serve_add(v, &n, notify, e) == -1)) ||
	    (ret != NULL && (serve_add(v, &n, "-R", e) == -1 ||
	    serve_add(v, &n, ret, e) == -1)) ||
	    (envid != NULL && (serve_add(v, &n, "-V", e) == -1 ||
	    serve_add(v, &n, envid, e) == -1)) ||
	    (body != NULL && (serve_add(v, &n, "-B", e) == -1 ||
	    serve_add(v, &n, body, e) == -1)) ||
	    serve_add(v, &n, "-f", e) == -1 ||
	    serve_add(v, &n, t->from != NULL ? t->from : "", e) == -1 ||
	    serve_add(v, &n, "--", e) == -1)
		goto fail;
	for (i = 0; i < t->nrcpts; i++)
		if (serve_add(v, &n, t->rcpts[i], e) == -1)
			goto fail;
	*argvp = v;
	*argcp = (int)n;
	return 0;
fail:
	serve_argv_free(v);
	return -1;
}

void
serve_argv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
serve_refusal(struct smtpd_reply *r, enum policy_class c, int ex, int code,
    const char *why)
{
	int perm = c == POLICY_MESSAGE;
	const char *enh;

	if (code / 100 != (perm ? 5 : 4))
		code = perm ? 554 : 451;
	if (perm)
		enh = ex == EX_NOUSER ? "5.1.1" : ex == EX_DATAERR ?
		    (code == 552 ? "5.3.4" : "5.6.0") : ex == EX_NOPERM ?
		    "5.7.1" : ex == EX_USAGE ? "5.5.4" : "5.0.0";
	else
		enh = ex == EX_TEMPFAIL || ex == EX_NOHOST ? "4.4.0" :
		    ex == EX_NOPERM ? "4.7.0" : ex == EX_PROTOCOL ? "4.5.0" :
		    "4.3.0";
	smtpd_reply_set(r, code, enh, "%s", why);
}

/*
 * The max_message_size of the account a message from `from` goes
 * through, as the command line chooses it; 0 when none or when the
 * config cannot be read (the message is then held, see deliver_accept).
 */
static long long
serve_max_size(const struct serve *s, const char *from)
{
	struct postie_err e;
	struct opts o = *s->o;
	struct job job;
	long long max = 0;

	o.from = from;
	if (job_load_account(&job, &o, s->ctx->sys, &e) == 0)
		max = job.acct->max_message_size;
	job_free(&job);
	return max;
}

static int
serve_mail(void *arg, const struct smtpd_txn *t, struct smtpd_reply *r)
{
	struct serve *s = arg;
	long long max;

	if (t->size <= 0)
		return 0;
	if ((max = serve_max_size(s, t->from)) > 0 && t->size > max) {
		smtpd_reply_set(r, 552, "5.3.4", "message size exceeds the "
		    "account's max_message_size of %lld octets", max);
		return -1;
	}
	return 0;
}

static void
serve_data(void *arg, const struct smtpd_txn *t, int fd,
    struct smtpd_reply *r)
{
	struct serve *s = arg;
	struct deliver_accepted a;
	struct postie_err e;
	struct opts o;
	char **argv, **ids;
	long long max;
	int argc;

	if ((max = serve_max_size(s, t->from)) > 0 && t->received > max) {
		smtpd_reply_set(r, 552, "5.3.4", "message of %lld octets "
		    "exceeds the account's max_message_size of %lld",
		    t->received, max);
		return;
	}
	if (serve_argv(s->o, t, &argv, &argc, &e) == -1) {
		smtpd_reply_set(r, 451, "4.3.0", "%s", e.msg);
		return;
	}
	if (opts_parse(&o, argc, argv, &e) == -1) {
		serve_argv_free(argv);
		serve_refusal(r, POLICY_MESSAGE, e.ex, 0, e.msg);
		return;
	}
	o.config = s->o->config;
	o.verbose = s->o->verbose;
	if (deliver_accept(&o, fd, s->ctx, &a, &e) == -1)
		serve_refusal(r, a.class, e.ex, a.code, e.msg);
	else {
		smtpd_reply_set(r, 250, "2.0.0", "%s", e.msg);
		/*
		 * Held messages wait for the config to be fixed; the others
		 * are sent when the client waits or goes away.  Out of
		 * memory here, a message waits for the next flush.
		 */
		if (a.id[0] != '\0' && !a.held && (ids = reallocarray(s->ids,
		    s->nids + 1, sizeof(*ids))) != NULL) {
			s->ids = ids;
			if ((ids[s->nids] = strdup(a.id)) != NULL)
				s->nids++;
		}
	}
	opts_free(&o);
	serve_argv_free(argv);
}

/* Deliver the messages this session queued, and forget them. */
static void
serve_flush(struct serve *s)
{
	struct deliver_flush f;
	struct postie_err e;
	struct queue *q;
	size_t i;

	if (s->nids == 0)
		return;
	if (deliver_open_queue(&q, s->ctx->sys, &e) == -1)
		log_note(log_facility(NULL), LOG_ERR, "-bs: %s; 'postie -q' "
		    "sends the messages", e.msg);
	else {
		memset(&f, 0, sizeof(f));
		f.only_ids = s->ids;
		f.n_only_ids = s->nids;
		if (deliver_flush(q, s->ctx, &f, &e) == -1)
			log_note(log_facility(NULL), LOG_ERR, "-bs: %s",
			    e.msg);
		queue_close(q);
	}
	for (i = 0; i < s->nids; i++)
		free(s->ids[i]);
	free(s->ids);
	s->ids = NULL;
	s->nids = 0;
}

/* The client is silent with messages queued: after a while, send them. */
static void
serve_idle(void *arg)
{
	struct serve *s = arg;
	struct pollfd pfd;

	if (s->nids == 0)
		return;
	pfd.fd = s->rfd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, SERVE_IDLE_MS) == 0)
		serve_flush(s);
}

int
serve_smtp(const struct opts *o, int rfd, int wfd,
    const struct deliver_ctx *ctx, struct postie_err *e)
{
	struct smtpd_params p;
	struct smtpd_sink sink;
	struct serve s;
	struct postie_err ign;
	struct io *io;
	struct job job;
	enum smtpd_end end;
	const char *host;
	char why[256];
	int ex;

	memset(&p, 0, sizeof(p));
	if ((host = sysenv_fqdn(ctx->sys, &ign)) == NULL)
		host = "localhost";
	p.hostname = host;
	p.tmpdir = sysenv_tmpdir(ctx->sys);
	p.lf_ends = isatty(rfd);
	if ((io = net_pair_io_new(rfd, wfd, BOUND_SMTPD_TIMEOUT)) == NULL) {
		err_set(e, EX_OSERR, "-bs");
		return EX_OSERR;
	}
	if (!net_fd_local(rfd, why, sizeof(why)) ||
	    (wfd != rfd && !net_fd_local(wfd, why, sizeof(why)))) {
		(void)smtpd_refuse(io, &p, "postie -bs takes local clients "
		    "only", &ign);
		io_free(io);
		err_setx(e, EX_NOPERM, "-bs: refused: %s", why);
		return EX_NOPERM;
	}
	/* SIZE: the command line's account's limit, else postie's. */
	p.max_size = BOUND_SMTPD_MESSAGE;
	if (job_load_account(&job, o, ctx->sys, &ign) == 0 &&
	    job.acct->max_message_size > 0)
		p.max_size = job.acct->max_message_size;
	job_free(&job);
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.ctx = ctx;
	s.rfd = rfd;
	memset(&sink, 0, sizeof(sink));
	sink.mail = serve_mail;
	sink.data = serve_data;
	sink.idle = serve_idle;
	sink.arg = &s;
	p.sink = &sink;
	end = smtpd_run(io, &p, e);
	io_free(io);
	serve_flush(&s);
	switch (end) {
	case SMTPD_QUIT:
	case SMTPD_EOF:
		err_clear(e);
		return 0;
	case SMTPD_TIMEOUT:
		ex = EX_TEMPFAIL;
		break;
	case SMTPD_ABORT:
		ex = EX_PROTOCOL;
		break;
	default:
		ex = e->ex != 0 ? e->ex : EX_IOERR;
		break;
	}
	err_prefix(e, "-bs: ");
	e->ex = ex;
	return ex;
}
