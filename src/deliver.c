/* SPDX-License-Identifier: ISC */
/*
 * Send now or keep, and the queue flush.  Both paths open sessions with
 * submit_session_*, settle each attempt with policy_settle, and keep what
 * was not delivered with deliver_keep: one rule, stated once.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "aliases.h"
#include "bounds.h"
#include "conf.h"
#include "deliver.h"
#include "dsn.h"
#include "log.h"
#include "policy.h"
#include "smtp.h"

int
deliver_open_queue(struct queue **qp, const struct sysenv *sys,
    struct postie_err *e)
{
	char dir[4096];

	if (queue_default_dir(dir, sizeof(dir), sys, e) == -1)
		return -1;
	return queue_open(qp, dir, e);
}

static void	deliver_say(const struct deliver_ctx *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* One line to the output, when there is one. */
static void
deliver_say(const struct deliver_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->tr == NULL)
		return;
	va_start(ap, fmt);
	fputs("postie: ", ctx->tr);
	vfprintf(ctx->tr, fmt, ap);
	fputc('\n', ctx->tr);
	va_end(ap);
}

/* Put rec and msg in q (failed/ when failed); its id out. */
static int
deliver_store(struct queue *q, int failed, struct queue_env *rec,
    struct msg *msg, const char *why, char *id, size_t idsz,
    struct postie_err *e)
{
	if ((failed ? queue_put_failed(q, rec, msg, why, e) :
	    queue_put(q, rec, msg, e)) == -1)
		return -1;
	strlcpy(id, rec->id, idsz);
	return 0;
}

/*
 * Store msg in q (failed/ when failed) for the recipients of env that sel
 * selects (NULL: all), each with its own error of verdict v (NULL:
 * none), recorded with config and account; id out.
 */
static int
deliver_keep(struct queue *q, int failed, const struct queue_env *from,
    const char *config, const char *account, const struct envelope *env,
    const unsigned char *sel, const struct policy_verdict *v,
    struct msg *msg, const char *why, enum queue_fault fault, char *id,
    size_t idsz, struct postie_err *e)
{
	struct queue_env rec;
	int rv = -1;

	memset(&rec, 0, sizeof(rec));
	/* Kept from a queued message: its age and attempts go along. */
	if (from != NULL) {
		rec.created = from->created;
		rec.attempts = from->attempts;
	}
	if (envelope_copy(&rec.env, env, sel, e) == -1)
		return -1;
	if (envelope_set(&rec.config, config, e) == -1 ||
	    envelope_set(&rec.account, account, e) == -1 ||
	    envelope_set(&rec.last_error, why, e) == -1 ||
	    (v != NULL && queue_env_set_rcpt_errors(&rec, v->own, v->n, sel,
	    e) == -1))
		goto out;
	rec.fault = fault;
	rv = deliver_store(q, failed, &rec, msg, why, id, idsz, e);
out:
	queue_env_free(&rec);
	return rv;
}

/* The same for a message that could not be prepared: its command line. */
static int
deliver_keep_raw(struct queue *q, int failed, const struct opts *o,
    const struct job *job, const char *why, enum queue_fault fault,
    char *id, size_t idsz, struct postie_err *e)
{
	struct queue_env rec;
	int i, rv = -1;

	memset(&rec, 0, sizeof(rec));
	rec.raw = 1;
	rec.fault = fault;
	if (envelope_set(&rec.config, job->config_arg, e) == -1 ||
	    envelope_set(&rec.account, job->acct != NULL ? job->acct->name :
	    NULL, e) == -1 || envelope_set(&rec.last_error, why, e) == -1)
		goto out;
	for (i = 1; i < o->argc; i++)
		if (queue_env_add_arg(&rec, o->argv[i], e) == -1)
			goto out;
	/* For mailq only: the sender and recipients as far as known. */
	if (envelope_set(&rec.env.from, job->env.from != NULL ?
	    job->env.from : o->from != NULL ? o->from : job->acct != NULL &&
	    job->acct->from != NULL && strpbrk(job->acct->from, "*?[%") ==
	    NULL ? job->acct->from : NULL, e) == -1)
		goto out;
	for (i = 0; i < o->nrcpts; i++)
		if (envelope_add_rcpt(&rec.env, o->rcpts[i], e) == -1)
			goto out;
	rv = deliver_store(q, failed, &rec, job->msg, why, id, idsz, e);
out:
	queue_env_free(&rec);
	return rv;
}

/*
 * The line for a message kept in the queue, by the class of its fault;
 * why is NULL when the line already said it.
 */
static void
deliver_kept_line(char *buf, size_t bufsz, enum policy_class c,
    const char *id, size_t n, const char *why)
{
	char count[64] = "";

	if (n > 0)
		snprintf(count, sizeof(count), " (%zu recipient%s)", n,
		    n == 1 ? "" : "s");
	if (c == POLICY_ACCOUNT)
		snprintf(buf, bufsz, "%.300s%sheld in the queue as %s%s until "
		    "this is fixed ('postie -q' sends it then)", why != NULL ?
		    why : "", why != NULL ? "; " : "", id, count);
	else
		snprintf(buf, bufsz, "queued as %s%s%s%.300s; 'postie -q' "
		    "retries it", id, count, why != NULL ? ": " : "",
		    why != NULL ? why : "");
}

/*
 * A connection to one account's server: opened for the account's first
 * message, used for the next ones.
 */
struct deliver_link {
	const struct account *acct;
	struct submit_session *ss;
	size_t	 ntx;		/* messages tried on ss */
	int	 barren;	/* connections in a row lost at their first */
	int	 stop;		/* the account's other messages get stop_err */
	enum smtp_stage stop_stage;
	struct postie_err stop_err;
};

/* The connections of a send or a flush: the account's and its fallbacks'. */
struct deliver_conn {
	FILE	*warn;		/* warnings and the transcript, or NULL */
	struct deliver_link main;
	struct deliver_link fb[CONF_FALLBACK_MAX];
};

static void
deliver_link_end(struct deliver_link *l)
{
	submit_session_close(l->ss);
	memset(l, 0, sizeof(*l));
}

static void
deliver_conn_end(struct deliver_conn *c)
{
	size_t i;

	deliver_link_end(&c->main);
	for (i = 0; i < CONF_FALLBACK_MAX; i++)
		deliver_link_end(&c->fb[i]);
}

/*
 * One attempt to send msg to env over l (opened when needed), its
 * outcome in o (o->msg points into e).  When the connection cannot be
 * opened, the account's next messages get the same outcome without a
 * connection each; when it ends in a transaction, the next message opens
 * a new one, unless two in a row were lost at their first message.
 */
static void
deliver_attempt_link(struct deliver_link *l, FILE *warn,
    const struct deliver_ctx *ctx, const struct account *a,
    const char *fallback_for, struct envelope *env, struct msg *msg,
    int last, struct policy_outcome *o, struct postie_err *e)
{
	struct smtp_result res;
	enum smtp_stage stage;
	int rv;

	memset(o, 0, sizeof(*o));
	memset(&res, 0, sizeof(res));
	err_clear(e);
	o->msg = e->msg;
	if (l->acct != a) {
		deliver_link_end(l);
		l->acct = a;
	}
	if (!l->stop && l->ss == NULL) {
		if (submit_session_open(&l->ss, a, ctx->sys, ctx->conn,
		    ctx->verbose, warn, &stage, e) == -1) {
			l->stop = 1;
			l->stop_err = *e;
			l->stop_stage = stage;
			submit_log(a, env, msg, NULL, e->ex, e->msg,
			    fallback_for);
		}
		l->ntx = 0;
	}
	if (l->stop) {
		*e = l->stop_err;
		o->ex = e->ex != 0 ? e->ex : EX_TEMPFAIL;
		o->stage = l->stop_stage;
		return;
	}
	l->ntx++;
	submit_session_fallback_for(l->ss, fallback_for);
	rv = submit_session_send(l->ss, env, msg, last, &res, e);
	o->ex = rv == 0 ? 0 : e->ex != 0 ? e->ex : EX_TEMPFAIL;
	o->stage = res.stage;
	o->final_code = res.final_code;
	smtp_result_free(&res);
	if (rv == -1 && res.stage == SMTP_AUTH) {
		/* AUTH led the group: the account's next ones would fail. */
		l->stop = 1;
		l->stop_err = *e;
		l->stop_stage = SMTP_AUTH;
	}
	if (!submit_session_usable(l->ss)) {
		l->barren = l->ntx == 1 ? l->barren + 1 : 0;
		submit_session_close(l->ss);
		l->ss = NULL;
		if (l->barren >= 2) {
			l->stop = 1;
			l->stop_stage = SMTP_CONNECT;
			err_setx(&l->stop_err, EX_TEMPFAIL, "not tried: the "
			    "server ended two connections in a row at their "
			    "first message (last: %.300s)", e->msg);
		}
	}
}

/* The fallback's envelope sender (postie(1), "Failover"), or NULL: env's. */
static const char *
deliver_fallback_from(const struct account *a, const struct account *fa,
    const struct envelope *env)
{
	if (env->from == NULL || env->from[0] == '\0' || a->from == NULL ||
	    fa->from == NULL || strcmp(env->from, a->from) != 0 ||
	    strcmp(fa->from, CONF_FROM_HEADER) == 0 ||
	    strpbrk(fa->from, "*?[%") != NULL)
		return NULL;
	return fa->from;
}

/*
 * One attempt through account a, then, while policy_failover allows,
 * through each of its fallback accounts (found in conf) in order, with
 * the same message.  The outcome is the first that delivered or that
 * the policy may not pass on; when every account failed so, the first
 * account's (its reason naming the others').  *viap is the account that
 * gave the outcome.
 */
static void
deliver_attempt(struct deliver_conn *c, const struct deliver_ctx *ctx,
    const struct conf *conf, const struct account *a, struct envelope *env,
    struct msg *msg, int last, struct policy_outcome *o,
    const struct account **viap, struct postie_err *e)
{
	const struct account *fa;
	struct policy_outcome fo;
	struct postie_err fe;
	char name[64], *from;
	const char *nfrom;
	size_t i;

	*viap = a;
	deliver_attempt_link(&c->main, c->warn, ctx, a, NULL, env, msg, last,
	    o, e);
	for (i = 0; conf != NULL && i < CONF_FALLBACK_MAX &&
	    policy_failover(env, o) && conf_fallback_name(a, i, name,
	    sizeof(name)); i++) {
		if ((fa = conf_account(conf, name)) == NULL) {
			err_append(e, "fallback %s: no such account", name);
			continue;
		}
		if (conf_check_account(fa, &fe) == -1) {
			err_append(e, "fallback %s: %s", name, fe.msg);
			continue;
		}
		if (ctx->verbose)
			deliver_say(ctx, "account %s failed (%s); trying "
			    "account %s", a->name, e->msg, fa->name);
		/* The sender is borrowed for this attempt, put back below. */
		from = env->from;
		if ((nfrom = deliver_fallback_from(a, fa, env)) != NULL)
			env->from = (char *)(uintptr_t)nfrom;
		deliver_attempt_link(&c->fb[i], c->warn, ctx, fa, a->name, env,
		    msg, last, &fo, &fe);
		env->from = from;
		if (fo.ex == 0 || !policy_failover(env, &fo)) {
			*o = fo;
			*e = fe;
			o->msg = e->msg;
			*viap = fa;
			if (fo.ex == 0)
				log_note(log_facility(a), LOG_NOTICE, "account "
				    "%s failed, fallback account %s took the "
				    "message", a->name, fa->name);
			return;
		}
		err_append(e, "fallback %s: %s", fa->name, fe.msg);
	}
}

/* A message that could not be prepared: keep it as read. */
static int
deliver_unprepared(const struct opts *o, struct job *job,
    struct postie_err *e)
{
	struct postie_err qe;
	struct queue *q = NULL;
	char id[QUEUE_ID_LEN], why[POSTIE_ERR_MSG], line[POSTIE_ERR_MSG];
	enum policy_class c;
	int ex = e->ex != 0 ? e->ex : EX_TEMPFAIL;
	int fac = log_facility(job->acct);

	if (job->msg == NULL || (job->acct != NULL && !job->acct->queue)) {
		log_note(fac, LOG_ERR, "%s", e->msg);
		return ex;
	}
	c = policy_classify(ex, SMTP_NONE);
	strlcpy(why, e->msg, sizeof(why));
	if (deliver_open_queue(&q, job->sys, &qe) == -1 ||
	    deliver_keep_raw(q, c == POLICY_MESSAGE, o, job, why,
	    c == POLICY_ACCOUNT ? QUEUE_FAULT_ACCOUNT : QUEUE_FAULT_TEMP, id,
	    sizeof(id), &qe) == -1) {
		err_setx(e, ex, "%s; and the message could not be kept: %s",
		    why, qe.msg);
		queue_close(q);
		log_note(fac, LOG_ERR, "%s", e->msg);
		return ex;
	}
	if (c == POLICY_MESSAGE) {
		err_setx(e, ex, "%s; the message is kept in %s/failed as %s "
		    "('postie --requeue %s' sends it again)", why,
		    queue_dir(q), id, id);
		log_note(fac, LOG_ERR, "%s", e->msg);
	} else {
		deliver_kept_line(line, sizeof(line), c, id, 0, why);
		err_setx(e, 0, "%s", line);
		log_note(fac, c == POLICY_ACCOUNT ? LOG_ERR : LOG_NOTICE, "%s",
		    e->msg);
		ex = 0;
	}
	queue_close(q);
	return ex;
}

int
deliver_send(const struct opts *o, int stdin_fd,
    const struct deliver_ctx *ctx, struct job *job, int *sentp,
    struct postie_err *e)
{
	struct deliver_conn c;
	struct policy_outcome out;
	struct policy_verdict v;
	struct postie_err ae, qe;
	struct queue *q = NULL;
	unsigned char *sel = NULL;
	char why[POSTIE_ERR_MSG], line[2 * POSTIE_ERR_MSG], words[400];
	char id[QUEUE_ID_LEN];
	const struct account *via;
	int ex, kept = 1;

	*sentp = 0;
	if (job_prepare(job, o, ctx->sys, stdin_fd, e) == -1)
		return e->ex = deliver_unprepared(o, job, e);
	memset(&c, 0, sizeof(c));
	c.warn = ctx->tr;
	deliver_attempt(&c, ctx, job->conf, job->acct, &job->env, job->msg, 1,
	    &out, &via, &ae);
	deliver_conn_end(&c);
	if (out.ex == 0) {
		err_clear(e);
		if (via != job->acct && ctx->verbose)
			deliver_say(ctx, "sent through fallback account %s",
			    via->name);
		*sentp = 1;
		return 0;
	}
	strlcpy(why, ae.msg, sizeof(why));
	out.msg = why;
	if (policy_settle(&job->env, &out, &v, e) == -1)
		return e->ex;
	if (!job->acct->queue) {
		ex = policy_exit(&v, 0);
		err_setx(e, ex, "%s", why);
		log_note(log_facility(job->acct), ex != 0 ? LOG_ERR :
		    LOG_NOTICE, "%s", why);
		goto done;
	}
	line[0] = '\0';
	if (deliver_open_queue(&q, ctx->sys, &qe) == -1) {
		kept = 0;
		snprintf(line, sizeof(line), "%.300s; and the message could "
		    "not be kept: %.150s", why, qe.msg);
		goto said;
	}
	if (v.nfailed > 0) {
		if ((sel = policy_select(&v, FATE_FAILED)) == NULL ||
		    deliver_keep(q, 1, NULL, job->config_arg, job->acct->name,
		    &job->env, sel, &v, job->msg, v.failed_why,
		    QUEUE_FAULT_NONE,
		    id, sizeof(id), &qe) == -1) {
			snprintf(line, sizeof(line), "%.300s; and the message "
			    "could not be kept: %.150s", why, sel == NULL ?
			    "out of memory" : qe.msg);
			kept = 0;
		} else
			snprintf(line, sizeof(line), "%.300s; the message is "
			    "kept in %.100s/failed as %s ('postie --requeue %s' "
			    "sends it again)", why, queue_dir(q), id, id);
		free(sel);
		sel = NULL;
	}
	if (v.nkept > 0) {
		if ((sel = policy_select(&v, FATE_KEPT)) == NULL ||
		    deliver_keep(q, 0, NULL, job->config_arg, job->acct->name,
		    &job->env, sel, &v, job->msg, v.kept_why,
		    v.kept_class == POLICY_ACCOUNT ? QUEUE_FAULT_ACCOUNT :
		    QUEUE_FAULT_TEMP, id, sizeof(id), &qe) == -1) {
			kept = 0;
			snprintf(words, sizeof(words), "and the message could "
			    "not be queued: %.200s", sel == NULL ?
			    "out of memory" : qe.msg);
		} else
			deliver_kept_line(words, sizeof(words), v.kept_class,
			    id, v.nkept, line[0] == '\0' ? why : NULL);
		if (line[0] == '\0' && !kept)
			snprintf(line, sizeof(line), "%.300s; %s", why,
			    words);
		else if (line[0] == '\0')
			strlcpy(line, words, sizeof(line));
		else {
			strlcat(line, "; the others: ", sizeof(line));
			strlcat(line, words, sizeof(line));
		}
	}
said:
	ex = policy_exit(&v, kept);
	err_setx(e, ex, "%s", line);
	log_note(log_facility(job->acct), ex != 0 ||
	    v.kept_class == POLICY_ACCOUNT ? LOG_ERR : LOG_NOTICE, "%s", line);
done:
	free(sel);
	queue_close(q);
	policy_verdict_free(&v);
	return ex;
}

int
deliver_accept(const struct opts *o, int fd, const struct deliver_ctx *ctx,
    struct deliver_accepted *a, struct postie_err *e)
{
	struct deliver_conn c;
	struct policy_outcome out;
	struct policy_verdict v;
	struct postie_err ae, qe;
	struct queue *q = NULL;
	struct job job;
	const struct account *via;
	char why[POSTIE_ERR_MSG], line[POSTIE_ERR_MSG];
	size_t i;
	int ex, rv = -1;

	memset(a, 0, sizeof(*a));
	memset(&v, 0, sizeof(v));
	if (job_prepare(&job, o, ctx->sys, fd, e) == -1) {
		ex = e->ex != 0 ? e->ex : EX_TEMPFAIL;
		a->class = policy_classify(ex, SMTP_NONE);
		if (a->class == POLICY_MESSAGE || job.msg == NULL ||
		    (job.acct != NULL && !job.acct->queue))
			goto out;
		strlcpy(why, e->msg, sizeof(why));
		if (deliver_open_queue(&q, ctx->sys, &qe) == -1 ||
		    deliver_keep_raw(q, 0, o, &job, why, a->class ==
		    POLICY_ACCOUNT ? QUEUE_FAULT_ACCOUNT : QUEUE_FAULT_TEMP,
		    a->id, sizeof(a->id), &qe) == -1) {
			err_setx(e, ex, "%s; and the message could not be "
			    "kept: %s", why, qe.msg);
			a->id[0] = '\0';
			goto out;
		}
		a->held = 1;
		deliver_kept_line(line, sizeof(line), a->class, a->id, 0, why);
		err_setx(e, 0, "%s", line);
		log_note(log_facility(job.acct), a->class == POLICY_ACCOUNT ?
		    LOG_ERR : LOG_NOTICE, "%s", e->msg);
		rv = 0;
		goto out;
	}
	if (job.acct->queue) {
		if (deliver_open_queue(&q, ctx->sys, &qe) == -1 ||
		    deliver_keep(q, 0, NULL, job.config_arg, job.acct->name,
		    &job.env, NULL, NULL, job.msg, NULL, QUEUE_FAULT_NONE,
		    a->id, sizeof(a->id), &qe) == -1) {
			*e = qe;
			err_prefix(e, "the message could not be queued: ");
			a->class = POLICY_TEMP;
			a->id[0] = '\0';
			goto out;
		}
		err_setx(e, 0, "queued as %s", a->id);
		log_note(log_facility(job.acct), LOG_INFO, "%s: queued from "
		    "an SMTP session (-bs)", a->id);
		rv = 0;
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.warn = ctx->tr;
	deliver_attempt(&c, ctx, job.conf, job.acct, &job.env, job.msg, 1,
	    &out, &via, &ae);
	deliver_conn_end(&c);
	if (out.ex == 0) {
		err_setx(e, 0, "accepted by %s", via->host);
		rv = 0;
		goto out;
	}
	strlcpy(why, ae.msg, sizeof(why));
	out.msg = why;
	if (policy_settle(&job.env, &out, &v, e) == -1) {
		a->class = POLICY_TEMP;
		goto out;
	}
	/* The queue is off: nothing is kept, the reply says what failed. */
	a->class = v.nfailed > 0 ? POLICY_MESSAGE : v.kept_class;
	for (i = 0; i < v.n && i < job.env.nstatus && a->code == 0; i++)
		if (v.fate[i] != FATE_DELIVERED &&
		    job.env.status[i].state == RCPT_REFUSED &&
		    job.env.status[i].code / 100 == (a->class ==
		    POLICY_MESSAGE ? 5 : 4))
			a->code = job.env.status[i].code;
	if (a->code == 0 && out.final_code >= 400)
		a->code = out.final_code;
	err_setx(e, v.nfailed > 0 ? v.failed_ex : v.kept_ex, "%s", why);
	if (v.ndelivered > 0)
		err_append(e, "the %zu other recipient%s got it",
		    v.ndelivered, v.ndelivered == 1 ? "" : "s");
	log_note(log_facility(job.acct), LOG_ERR, "%s", e->msg);
out:
	policy_verdict_free(&v);
	queue_close(q);
	job_free(&job);
	return rv;
}

/* The configs a flush reads, each once. */
struct deliver_confs {
	struct deliver_conf {
		char	*path;		/* NULL: the default lookup */
		struct job job;		/* conf and its errors */
		int	 ok;
		struct postie_err err;
	}	*v;
	size_t	 n;
};

static struct deliver_conf *
deliver_conf_get(struct deliver_confs *cs, const char *path,
    const struct deliver_ctx *ctx)
{
	struct deliver_conf *c, *nv;
	struct opts o;
	size_t i;

	for (i = 0; i < cs->n; i++)
		if ((cs->v[i].path == NULL && path == NULL) ||
		    (cs->v[i].path != NULL && path != NULL &&
		    strcmp(cs->v[i].path, path) == 0))
			return &cs->v[i];
	if ((nv = reallocarray(cs->v, cs->n + 1, sizeof(*nv))) == NULL)
		return NULL;
	cs->v = nv;
	c = &cs->v[cs->n];
	memset(c, 0, sizeof(*c));
	if (path != NULL && (c->path = strdup(path)) == NULL)
		return NULL;
	cs->n++;
	memset(&o, 0, sizeof(o));
	o.config = path;
	o.verbose = ctx->verbose;
	c->ok = job_load_conf(&c->job, &o, ctx->sys, &c->err) == 0;
	return c;
}

static void
deliver_confs_free(struct deliver_confs *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].path);
		job_free(&cs->v[i].job);
	}
	free(cs->v);
}

/* The notices a flush wrote, sent before it ends. */
struct deliver_notices {
	char	(*ids)[QUEUE_ID_LEN];
	size_t	 n;
};

/* Collects the header section from msg_emit's output. */
struct deliver_hdrs {
	char	*buf;
	size_t	 len, cap;
	int	 done;
};

static int
deliver_hdrs_cb(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	struct deliver_hdrs *h = arg;
	char *nb, *end;
	size_t cap;

	if (h->len + len > BOUND_HEADER_SECTION + 65536)
		len = BOUND_HEADER_SECTION + 65536 - h->len;
	if (h->len + len + 1 > h->cap) {
		cap = h->len + len + 1;
		if ((nb = realloc(h->buf, cap)) == NULL) {
			err_set(e, EX_OSERR, "notice");
			return -1;
		}
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, buf, len);
	h->len += len;
	h->buf[h->len] = '\0';
	/* The header section ends at the first empty line. */
	if (h->buf[0] == '\n')
		end = h->buf;
	else if ((end = strstr(h->buf, "\n\n")) != NULL)
		end++;
	if (end != NULL || h->len >= BOUND_HEADER_SECTION + 65536) {
		if (end != NULL)
			h->len = (size_t)(end - h->buf);
		h->buf[h->len] = '\0';
		h->done = 1;
		err_setx(e, 0, "enough");
		return -1;
	}
	return 0;
}

/* The value of msg's first field name, or NULL. */
static const char *
deliver_header(struct msg *msg, const char *name)
{
	ssize_t i = msg_header_find(msg, name, 0);

	return i >= 0 ? msg_header_value(msg, (size_t)i) : NULL;
}

/*
 * The envelope sender of a notice: the account's own address (its from
 * when that is one address, else its user name when that is one), so
 * that a submission server that ties the sender to the login takes it;
 * else the message's sender, which that server took before.
 */
static const char *
deliver_notice_sender(const struct account *a, const struct queue_env *rec)
{
	if (a->from != NULL && strcmp(a->from, CONF_FROM_HEADER) != 0 &&
	    strpbrk(a->from, "*?[%") == NULL && addr_is_qualified(a->from))
		return a->from;
	if (a->user != NULL && strchr(a->user, '@') != NULL &&
	    addr_is_qualified(a->user))
		return a->user;
	return rec->env.from;
}

/* Where a notice goes: bounce_to (aliases applied), else the sender. */
static int
deliver_notice_rcpts(const struct account *a, const struct queue_env *rec,
    struct sysenv *sys, struct envelope *env, struct postie_err *e)
{
	struct addr_list l = { NULL, 0, 0 };
	const char *dom, *spec;
	char *q;
	size_t i;
	int rv = -1;

	if (a->bounce_to == NULL || a->bounce_to[0] == '\0')
		return envelope_add_rcpt(env, rec->env.from, e);
	if (addr_list_add(&l, a->bounce_to, e) == -1 ||
	    (a->aliases != NULL && aliases_expand(a->aliases, &l, e) == -1))
		goto out;
	for (i = 0; i < l.n; i++) {
		spec = l.v[i].spec;
		q = NULL;
		if (!addr_is_qualified(spec)) {
			dom = a->maildomain != NULL && a->maildomain[0] !=
			    '\0' ? a->maildomain : sysenv_fqdn(sys, e);
			if (dom == NULL || asprintf(&q, "%s@%s", spec,
			    dom) == -1) {
				err_setx(e, EX_OSERR, "notice: cannot qualify "
				    "bounce_to %s", spec);
				goto out;
			}
			spec = q;
		}
		rv = envelope_add_rcpt(env, spec, e);
		free(q);
		if (rv == -1)
			goto out;
	}
	rv = 0;
out:
	addr_list_free(&l);
	return rv;
}

/*
 * Queue a notice about rec (read as msg, through account a), of kind
 * QUEUE_NOTICE_FAILED (the recipients v failed) or QUEUE_NOTICE_DELAYED
 * (those it kept), under an id made from rec's, so that a flush that
 * settles rec again after a crash finds the notice there.  Its id goes
 * to ns.  Returns 0 when queued, already there or not due (a notice, a
 * message that must get none, bounce off), -1 on error.
 */
static int
deliver_notice(struct queue *q, const struct deliver_ctx *ctx,
    const struct account *a, const struct queue_env *rec, struct msg *msg,
    const struct policy_verdict *v, int kind, int expired,
    struct deliver_notices *ns, struct postie_err *e)
{
	struct deliver_hdrs h;
	struct dsn_notice n;
	struct dsn_rcpt *r = NULL;
	struct queue_env nrec;
	struct postie_err he;
	enum policy_fate want = kind == QUEUE_NOTICE_FAILED ? FATE_FAILED :
	    FATE_KEPT;
	const char *why, *host;
	char boundary[64], msgid[QUEUE_ID_LEN + BOUND_DOMAIN + 16];
	char until[MSG_DATE_LEN], (*nids)[QUEUE_ID_LEN];
	char nid[2 * QUEUE_ID_LEN];
	char *text = NULL;
	size_t i, len;
	int rv = -1, put;

	if (rec->notice != QUEUE_NOTICE_NONE || rec->raw ||
	    (kind == QUEUE_NOTICE_FAILED && !a->bounce))
		return 0;
	if (!dsn_notify_wants(rec->env.dsn_notify,
	    kind == QUEUE_NOTICE_DELAYED)) {
		if (ctx->verbose)
			deliver_say(ctx, "%s: no notice: it asked NOTIFY=%s",
			    rec->id, rec->env.dsn_notify);
		return 0;
	}
	if ((why = dsn_exempt(rec->env.from, deliver_header(msg,
	    "Content-Type"), deliver_header(msg, "Auto-Submitted"))) != NULL) {
		if (ctx->verbose)
			deliver_say(ctx, "%s: no notice: %s", rec->id, why);
		return 0;
	}
	memset(&h, 0, sizeof(h));
	memset(&n, 0, sizeof(n));
	memset(&nrec, 0, sizeof(nrec));
	if (msg_emit(msg, deliver_hdrs_cb, &h, &he) == -1 && !h.done) {
		*e = he;
		goto out;
	}
	if ((r = calloc(v->n + 1, sizeof(*r))) == NULL) {
		err_set(e, EX_OSERR, "notice");
		goto out;
	}
	for (i = 0; i < v->n && i < rec->env.rcpts.n; i++)
		if (v->fate[i] == want) {
			r[n.nrcpts].addr = rec->env.rcpts.v[i].spec;
			r[n.nrcpts++].why = v->own[i] != NULL ? v->own[i] :
			    kind == QUEUE_NOTICE_FAILED ? v->failed_why :
			    v->kept_why;
		}
	if ((host = sysenv_fqdn(ctx->sys, &he)) == NULL)
		host = "localhost";
	snprintf(nid, sizeof(nid), "%s-%s%x", rec->id,
	    kind == QUEUE_NOTICE_FAILED ? "b" : "d",
	    kind == QUEUE_NOTICE_FAILED ? (unsigned)rec->attempts & 0xffff :
	    0);
	if (strlcpy(nrec.id, nid, sizeof(nrec.id)) >= sizeof(nrec.id)) {
		/* Not an id postie makes: no name to find it by again. */
		log_note(log_facility(a), LOG_ERR, "%s: no notice: the id is "
		    "too long", rec->id);
		rv = 0;
		goto out;
	}
	snprintf(boundary, sizeof(boundary), "=_postie_%08x%08x",
	    arc4random(), arc4random());
	snprintf(msgid, sizeof(msgid), "<%s.notice@%s>", nrec.id, host);
	n.delayed = kind == QUEUE_NOTICE_DELAYED;
	n.expired = expired;
	n.reporting = host;
	n.remote = a->host;
	n.from = deliver_notice_sender(a, rec);
	n.orig_sender = rec->env.from;
	n.orig_subject = deliver_header(msg, "Subject");
	n.envid = rec->env.dsn_envid;
	n.queue_id = rec->id;
	n.arrival = rec->created;
	n.now = time(NULL);
	if (n.delayed && msg_date(rec->created + a->queue_lifetime, until,
	    sizeof(until)) == 0)
		n.until = until;
	n.boundary = boundary;
	n.msgid = msgid;
	n.headers = h.buf != NULL ? h.buf : "";
	n.headers_len = h.len;
	n.rcpts = r;
	if (envelope_set(&nrec.config, rec->config, e) == -1 ||
	    envelope_set(&nrec.account, rec->account, e) == -1 ||
	    envelope_set(&nrec.env.from, n.from, e) == -1 ||
	    deliver_notice_rcpts(a, rec, ctx->sys, &nrec.env, e) == -1)
		goto out;
	if (nrec.env.rcpts.n == 0) {
		err_setx(e, EX_CONFIG, "bounce_to %s names no address",
		    a->bounce_to);
		goto out;
	}
	n.to = nrec.env.rcpts.v[0].spec;
	if (dsn_build(&n, &text, &len, e) == -1)
		goto out;
	nrec.notice = kind;
	strlcpy(nrec.notice_of, rec->id, sizeof(nrec.notice_of));
	nrec.notice_attempts = rec->attempts;
	if ((put = queue_put_notice(q, &nrec, text, len, e)) == -1)
		goto out;
	if (put == 0) {
		log_note(log_facility(a), LOG_NOTICE, "%s: %s notice queued "
		    "as %s for <%s>", rec->id, n.delayed ? "delay" : "failure",
		    nrec.id, n.to);
		if (ctx->verbose)
			deliver_say(ctx, "%s: %s notice queued as %s for <%s>",
			    rec->id, n.delayed ? "delay" : "failure", nrec.id,
			    n.to);
	}
	if ((nids = reallocarray(ns->ids, ns->n + 1,
	    sizeof(*ns->ids))) != NULL) {
		ns->ids = nids;
		strlcpy(ns->ids[ns->n++], nrec.id, QUEUE_ID_LEN);
	}
	rv = 0;
out:
	if (rv == -1)
		err_prefix(e, "%s: the %s notice could not be queued: ",
		    rec->id, kind == QUEUE_NOTICE_FAILED ? "failure" :
		    "delay");
	queue_env_free(&nrec);
	free(text);
	free(r);
	free(h.buf);
	return rv;
}

/*
 * Keep item it for later: the recipients v kept, each with its own error,
 * or, v NULL (no attempt), every recipient with none.
 */
static void
deliver_item_retry(struct queue_item *it, const struct account *a,
    const struct deliver_ctx *ctx, struct deliver_flush *f,
    const struct policy_verdict *v, const char *why, enum policy_class c,
    int ex)
{
	struct queue_env *rec = queue_item_env(it);
	struct envelope keep;
	unsigned char *sel = NULL;
	char id[QUEUE_ID_LEN];
	struct postie_err e;
	int some;

	strlcpy(id, rec->id, sizeof(id));
	some = v != NULL && v->nkept < v->n;
	memset(&keep, 0, sizeof(keep));
	if ((v != NULL && (sel = policy_select(v, FATE_KEPT)) == NULL) ||
	    queue_env_set_rcpt_errors(rec, v != NULL ? v->own : NULL,
	    v != NULL ? v->n : 0, sel, &e) == -1 ||
	    (some && envelope_copy(&keep, &rec->env, sel, &e) == -1)) {
		/* Left as it was, to be tried again. */
		deliver_say(ctx, "%s: out of memory", id);
		free(sel);
		queue_item_release(it);
		return;
	}
	free(sel);
	/* Only what needs attention is said, unless -v. */
	if (c == POLICY_ACCOUNT || ctx->verbose)
		deliver_say(ctx, "%s: kept in the queue: %s", id, why);
	if (c == POLICY_ACCOUNT)
		f->ex = ex;
	log_note(log_facility(a), c == POLICY_ACCOUNT ? LOG_ERR : LOG_NOTICE,
	    "%s: kept in the queue: %s", id, why);
	if (queue_item_retry(it, some ? &keep : NULL, why,
	    c == POLICY_ACCOUNT ? QUEUE_FAULT_ACCOUNT : QUEUE_FAULT_TEMP,
	    &e) == -1)
		deliver_say(ctx, "%s: %s", id, e.msg);
	envelope_free(&keep);
	f->retry++;
}

static void
deliver_item_fail(struct queue_item *it, const struct account *a,
    const struct deliver_ctx *ctx, struct deliver_flush *f, const char *why,
    int ex)
{
	char id[QUEUE_ID_LEN];
	struct postie_err e;

	strlcpy(id, queue_item_env(it)->id, sizeof(id));
	deliver_say(ctx, "%s: failed for good, moved to failed/: %s; "
	    "'postie --requeue %s' puts it back", id, why, id);
	log_note(log_facility(a), LOG_ERR, "%s: failed for good: %s", id, why);
	if (queue_item_fail(it, why, &e) == -1)
		deliver_say(ctx, "%s: %s", id, e.msg);
	f->failed++;
	f->ex = ex;
}

/*
 * Settle a flushed item after an attempt: delivered recipients dropped,
 * failed ones to failed/, the others kept.
 */
static void
deliver_item_settle(struct queue *q, struct queue_item *it,
    const struct account *a, struct msg *msg,
    const struct policy_verdict *v, int expired,
    const struct deliver_ctx *ctx, struct deliver_flush *f,
    struct deliver_notices *ns)
{
	struct queue_env *rec = queue_item_env(it);
	struct postie_err e;
	unsigned char *sel;
	char id[QUEUE_ID_LEN], nid[QUEUE_ID_LEN];

	strlcpy(id, rec->id, sizeof(id));
	/*
	 * The notice first, under a name made from this message's id and
	 * attempts: when the move below does not happen (a crash), the
	 * next flush settles the message again and finds the notice, and
	 * the notice is not sent while the message is still here as it
	 * was (deliver_notice_pending).
	 */
	if (v->nfailed > 0 && deliver_notice(q, ctx, a, rec, msg, v,
	    QUEUE_NOTICE_FAILED, expired, ns, &e) == -1) {
		deliver_say(ctx, "%s", e.msg);
		log_note(log_facility(a), LOG_ERR, "%s", e.msg);
		if (v->ndelivered == 0 &&
		    policy_classify(e.ex, SMTP_NONE) == POLICY_TEMP) {
			/*
			 * Nothing was delivered and the disk may have room
			 * later: all of it again then.  A notice that cannot
			 * be made (bounce_to) is said, and the message moves.
			 */
			f->ex = e.ex;
			queue_item_release(it);
			return;
		}
	}
	if (v->nfailed == v->n) {
		deliver_item_fail(it, a, ctx, f, v->failed_why, v->failed_ex);
		return;
	}
	if (v->nfailed > 0) {
		if ((sel = policy_select(v, FATE_FAILED)) == NULL ||
		    deliver_keep(q, 1, rec, rec->config, rec->account,
		    &rec->env, sel, v, msg, v->failed_why, QUEUE_FAULT_NONE,
		    nid, sizeof(nid), &e) == -1) {
			/* Keep the whole message rather than lose some. */
			deliver_say(ctx, "%s: %s", id, sel == NULL ?
			    "out of memory" : e.msg);
			free(sel);
			f->ex = EX_CANTCREAT;
			queue_item_release(it);
			return;
		}
		free(sel);
		deliver_say(ctx, "%s: %zu recipient%s refused, moved to "
		    "failed/ as %s: %s", id, v->nfailed, v->nfailed == 1 ?
		    "" : "s", nid, v->failed_why);
		log_note(log_facility(a), LOG_ERR, "%s: failed for good: %s",
		    nid, v->failed_why);
		f->ex = v->failed_ex;
		f->failed++;
	}
	if (v->nkept > 0) {
		/* One warning a message, written before the record says so. */
		if (a->delay_warning > 0 && !rec->warned &&
		    rec->notice == QUEUE_NOTICE_NONE &&
		    time(NULL) - rec->created >= a->delay_warning) {
			if (deliver_notice(q, ctx, a, rec, msg, v,
			    QUEUE_NOTICE_DELAYED, 0, ns, &e) == -1) {
				deliver_say(ctx, "%s", e.msg);
				log_note(log_facility(a), LOG_ERR, "%s", e.msg);
			} else
				rec->warned = 1;
		}
		deliver_item_retry(it, a, ctx, f, v, v->kept_why,
		    v->kept_class, v->kept_ex);
		return;
	}
	log_note(log_facility(a), LOG_INFO, "%s: delivered from the queue",
	    id);
	if (ctx->verbose)
		deliver_say(ctx, "%s: delivered", id);
	if (queue_item_done(it, &e) == -1)
		deliver_say(ctx, "%s: %s", id, e.msg);
	f->sent++;
}

/*
 * A raw item: prepare it from its command line and message, through its
 * config, and store the result as a prepared message (whose new id is
 * returned in nid); the raw item goes.  Returns 1 when prepared, 0 when
 * the item was settled otherwise (kept, failed).
 */
static int
deliver_item_prepare(struct queue *q, struct queue_item *it,
    const char *config, const struct deliver_ctx *ctx,
    struct deliver_flush *f, char *nid, size_t nidsz)
{
	struct queue_env *rec = queue_item_env(it);
	struct postie_err e, pe;
	enum policy_class c;
	struct opts o;
	struct job job;
	char **argv;
	size_t i;
	int fd = -1, ok = 0;

	memset(&job, 0, sizeof(job));
	if ((argv = calloc(rec->argc + 2, sizeof(*argv))) == NULL) {
		queue_item_release(it);
		return 0;
	}
	argv[0] = "postie";
	for (i = 0; i < rec->argc; i++)
		argv[i + 1] = rec->argv[i];
	if (opts_parse(&o, (int)rec->argc + 1, argv, &e) == -1) {
		deliver_item_fail(it, NULL, ctx, f, e.msg, e.ex);
		free(argv);
		return 0;
	}
	o.config = config != NULL ? config : rec->config;
	o.verbose = ctx->verbose;
	o.pretend = 0;
	if ((fd = queue_item_msgfd(it, &e)) == -1) {
		deliver_item_retry(it, NULL, ctx, f, NULL, e.msg, POLICY_ACCOUNT,
		    e.ex);
		goto out;
	}
	if (job_prepare(&job, &o, ctx->sys, fd, &e) == -1) {
		c = policy_classify(e.ex, SMTP_NONE);
		if (c == POLICY_MESSAGE)
			deliver_item_fail(it, NULL, ctx, f, e.msg, e.ex);
		else
			deliver_item_retry(it, NULL, ctx, f, NULL, e.msg, c, e.ex);
		goto out;
	}
	if (deliver_keep(q, 0, rec, rec->config, job.acct->name, &job.env,
	    NULL, NULL, job.msg, rec->last_error, QUEUE_FAULT_NONE, nid, nidsz,
	    &pe) == -1) {
		deliver_item_retry(it, NULL, ctx, f, NULL, pe.msg, POLICY_TEMP,
		    pe.ex);
		goto out;
	}
	if (queue_item_done(it, &e) == -1)
		deliver_say(ctx, "%s: %s", rec->id, e.msg);
	ok = 1;
out:
	if (fd != -1)
		close(fd);
	job_free(&job);
	opts_free(&o);
	free(argv);
	return ok;
}

/*
 * A record in a user's drop directory is the user's to write: root sends
 * its envelope only as the account would have let the user choose it.
 */
static int
deliver_drop_sender_ok(const struct account *a, const struct queue_env *rec)
{
	if (a->allow_from_override)
		return 1;
	return a->from != NULL && strpbrk(a->from, "*?[%") == NULL &&
	    rec->env.from != NULL && strcmp(rec->env.from, a->from) == 0;
}

/*
 * 1 while the message a notice is about is still in the queue as it was
 * when the notice was written: the step after the notice (moving it to
 * failed/, or recording the warning) has not happened, and the flush
 * that settles it again decides.
 */
static int
deliver_notice_pending(struct queue *q, const struct queue_env *rec)
{
	struct queue_env p;
	struct postie_err e;
	int pending;

	if (queue_env_read(q, 0, rec->notice_of, &p, &e) == -1)
		return 0;
	pending = rec->notice == QUEUE_NOTICE_FAILED ?
	    p.attempts == rec->notice_attempts : !p.warned;
	queue_env_free(&p);
	return pending;
}

/* Deliver one taken queue item; always releases it. */
static void
deliver_item(struct queue *q, struct deliver_confs *cs,
    struct deliver_conn *c, struct queue_item *it,
    const struct deliver_ctx *ctx, struct deliver_flush *f,
    struct deliver_notices *ns)
{
	struct queue_env *rec = queue_item_env(it);
	const struct account *a, *via;
	struct deliver_conf *dc;
	struct policy_outcome out;
	struct policy_verdict v;
	struct postie_err e;
	struct msg *msg = NULL;
	char why[POSTIE_ERR_MSG], nid[QUEUE_ID_LEN];
	int fd, r;

	if (rec->notice != QUEUE_NOTICE_NONE && deliver_notice_pending(q,
	    rec)) {
		if (ctx->verbose)
			deliver_say(ctx, "%s: waits until %s is settled",
			    rec->id, rec->notice_of);
		queue_item_release(it);
		f->skipped++;
		return;
	}
	if (f->system_config != NULL && rec->config != NULL &&
	    strcmp(rec->config, f->system_config) != 0) {
		snprintf(why, sizeof(why), "not sent from the drop spool: it "
		    "names the configuration %.250s, not the system's, %.150s",
		    rec->config, f->system_config);
		deliver_item_retry(it, NULL, ctx, f, NULL, why, POLICY_ACCOUNT,
		    EX_CONFIG);
		return;
	}
	if ((dc = deliver_conf_get(cs, f->system_config != NULL ?
	    f->system_config : rec->config, ctx)) == NULL) {
		queue_item_release(it);
		f->ex = EX_OSERR;
		return;
	}
	if (!dc->ok) {
		deliver_item_retry(it, NULL, ctx, f, NULL, dc->err.msg,
		    POLICY_ACCOUNT, dc->err.ex);
		return;
	}
	if (rec->raw) {
		if (!deliver_item_prepare(q, it, f->system_config, ctx, f, nid,
		    sizeof(nid)))
			return;
		if ((r = queue_take(q, nid, &it, &e)) != 1) {
			if (r == -1)
				deliver_say(ctx, "%s: %s", nid, e.msg);
			return;
		}
		rec = queue_item_env(it);
	}
	if (rec->account == NULL ||
	    (a = conf_account(dc->job.conf, rec->account)) == NULL) {
		snprintf(why, sizeof(why), "account %s no longer exists in %s",
		    rec->account != NULL ? rec->account : "(none)",
		    dc->job.config_path);
		deliver_item_retry(it, NULL, ctx, f, NULL, why, POLICY_ACCOUNT,
		    EX_CONFIG);
		return;
	}
	if (f->system_config != NULL && !deliver_drop_sender_ok(a, rec)) {
		snprintf(why, sizeof(why), "a message in the drop spool must "
		    "have account %s's from as its sender, since "
		    "allow_from_override is off", a->name);
		deliver_item_fail(it, a, ctx, f, why, EX_NOPERM);
		return;
	}
	if (rec->env.rcpts.n == 0) {
		deliver_item_fail(it, a, ctx, f, "no recipients", EX_DATAERR);
		return;
	}
	if ((fd = queue_item_msgfd(it, &e)) == -1 ||
	    msg_read(&msg, fd, 0, sysenv_tmpdir(ctx->sys), &e) == -1) {
		if (fd != -1)
			close(fd);
		deliver_item_fail(it, a, ctx, f, e.msg, e.ex);
		return;
	}
	close(fd);
	deliver_attempt(c, ctx, dc->job.conf, a, &rec->env, msg, 0, &out, &via,
	    &e);
	if (out.ex == 0 && via != a) {
		log_note(log_facility(a), LOG_INFO, "%s: sent through fallback "
		    "account %s", rec->id, via->name);
		if (ctx->verbose)
			deliver_say(ctx, "%s: sent through fallback account %s",
			    rec->id, via->name);
	}
	out.expired = time(NULL) - rec->created > a->queue_lifetime;
	out.lifetime = a->queue_lifetime;
	if (policy_settle(&rec->env, &out, &v, &e) == -1) {
		queue_item_release(it);
		f->ex = EX_OSERR;
	} else
		deliver_item_settle(q, it, a, msg, &v, out.expired, ctx, f,
		    ns);
	policy_verdict_free(&v);
	msg_free(msg);
}

/* The key that groups messages on one connection: config and account. */
static char *
deliver_key(const struct queue_env *rec)
{
	char *k;

	if (asprintf(&k, "%s\n%s", rec->config != NULL ? rec->config : "",
	    rec->account != NULL ? rec->account : "") == -1)
		return NULL;
	return k;
}

/* 1 when id is one of f->only_ids. */
static int
deliver_listed(const struct deliver_flush *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->n_only_ids; i++)
		if (strcmp(f->only_ids[i], id) == 0)
			return 1;
	return 0;
}

/* The ids of f->only_ids first, in that order (a session's order). */
static void
deliver_list_order(char **ids, size_t n, const struct deliver_flush *f)
{
	size_t i, j, k = 0;
	char *t;

	for (j = 0; j < f->n_only_ids; j++)
		for (i = k; i < n; i++)
			if (strcmp(ids[i], f->only_ids[j]) == 0) {
				t = ids[k];
				ids[k++] = ids[i];
				ids[i] = t;
				break;
			}
}

/* 1 when rec belongs to this flush. */
static int
deliver_wanted(const struct deliver_flush *f, const struct queue_env *rec)
{
	if (f->only_config == NULL)
		return 1;
	return strcmp(f->only_config, rec->config != NULL ? rec->config :
	    "") == 0;
}

/*
 * The order of delivery: the messages of one config and account
 * together, so that they share a connection; groups in the order of
 * their oldest message, each group's messages oldest first.  Messages
 * not wanted by this flush are left out; an envelope that cannot be read
 * keeps its place (deliver_item says why).
 */
static int
deliver_order(struct queue *q, char *const *ids, size_t n,
    const struct deliver_flush *f, size_t **orderp, size_t *np,
    struct postie_err *e)
{
	struct queue_env rec;
	struct postie_err te;
	size_t *order, i, j, k = 0;
	char **key, *placed;
	int rv = -1;

	order = reallocarray(NULL, n + 1, sizeof(*order));
	key = calloc(n + 1, sizeof(*key));
	placed = calloc(n + 1, 1);
	if (order == NULL || key == NULL || placed == NULL) {
		err_set(e, EX_OSERR, "queue");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if ((f->only_id != NULL && strstr(ids[i], f->only_id) ==
		    NULL) || (f->only_ids != NULL &&
		    !deliver_listed(f, ids[i]))) {
			placed[i] = 1;
			continue;
		}
		if (queue_env_read(q, 0, ids[i], &rec, &te) == -1)
			continue;
		if (!deliver_wanted(f, &rec))
			placed[i] = 1;
		else if ((key[i] = deliver_key(&rec)) == NULL) {
			queue_env_free(&rec);
			err_set(e, EX_OSERR, "queue");
			goto done;
		}
		queue_env_free(&rec);
	}
	for (i = 0; i < n; i++) {
		if (placed[i])
			continue;
		order[k++] = i;
		for (j = i + 1; key[i] != NULL && j < n; j++)
			if (!placed[j] && key[j] != NULL &&
			    strcmp(key[i], key[j]) == 0) {
				order[k++] = j;
				placed[j] = 1;
			}
	}
	*orderp = order;
	*np = k;
	order = NULL;
	rv = 0;
done:
	for (i = 0; key != NULL && i < n; i++)
		free(key[i]);
	free(key);
	free(placed);
	free(order);
	return rv;
}

/*
 * The notices this flush wrote go out with it, as any queued message
 * (a notice makes no notice, so this goes no deeper).  They are not
 * counted with the messages: a notice that cannot be sent waits in the
 * queue and is said by the next flush.
 */
static void
deliver_flush_notices(struct queue *q, const struct deliver_ctx *ctx,
    struct deliver_flush *f, const struct deliver_notices *ns)
{
	struct deliver_flush nf;
	struct postie_err e;
	char **list;
	size_t i;

	if (ns->n == 0 || (f->deadline != 0 && time(NULL) >= f->deadline))
		return;
	if ((list = calloc(ns->n, sizeof(*list))) == NULL)
		return;		/* they wait for the next flush */
	for (i = 0; i < ns->n; i++)
		list[i] = ns->ids[i];
	memset(&nf, 0, sizeof(nf));
	nf.only_ids = list;
	nf.n_only_ids = ns->n;
	nf.only_config = f->only_config;
	nf.system_config = f->system_config;
	nf.deadline = f->deadline;
	if (deliver_flush(q, ctx, &nf, &e) == -1)
		deliver_say(ctx, "%s", e.msg);
	f->notices_sent += nf.sent;
	free(list);
}

int
deliver_flush(struct queue *q, const struct deliver_ctx *ctx,
    struct deliver_flush *f, struct postie_err *e)
{
	struct deliver_confs cs;
	struct deliver_conn c;
	struct deliver_notices ns;
	struct queue_item *it;
	struct postie_err te;
	size_t n, i, k, norder, *order;
	char **ids;
	int r;

	if (queue_ids(q, 0, &ids, &n, e) == -1)
		return -1;
	if (f->only_ids != NULL)
		deliver_list_order(ids, n, f);
	if (deliver_order(q, ids, n, f, &order, &norder, e) == -1) {
		queue_ids_free(ids, n);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	/* A flush is quiet about what it settles itself, unless -v. */
	c.warn = ctx->verbose ? ctx->tr : NULL;
	memset(&cs, 0, sizeof(cs));
	memset(&ns, 0, sizeof(ns));
	for (k = 0; k < norder; k++) {
		i = order[k];
		if (f->deadline != 0 && time(NULL) >= f->deadline)
			break;
		if ((r = queue_take(q, ids[i], &it, &te)) != 1) {
			if (r == -1) {
				deliver_say(ctx, "%s: %s", ids[i], te.msg);
				f->ex = te.ex;
			}
			f->skipped++;
			continue;
		}
		/* On hold (postie --hold): not even with -qI. */
		if (queue_item_env(it)->held) {
			if (ctx->verbose)
				deliver_say(ctx, "%s: on hold, not sent",
				    ids[i]);
			queue_item_release(it);
			f->skipped++;
			continue;
		}
		if (f->due_only &&
		    queue_item_env(it)->next_try > time(NULL)) {
			queue_item_release(it);
			f->skipped++;
			continue;
		}
		deliver_item(q, &cs, &c, it, ctx, f, &ns);
	}
	deliver_conn_end(&c);
	deliver_confs_free(&cs);
	free(order);
	queue_ids_free(ids, n);
	deliver_flush_notices(q, ctx, f, &ns);
	free(ns.ids);
	return 0;
}

int
deliver_flush_drops(const struct deliver_ctx *ctx, struct deliver_flush *f,
    const char *system_config, struct postie_err *e)
{
	struct deliver_flush one;
	struct postie_err qe;
	struct queue *q;
	struct dirent *de;
	struct stat st;
	char drop[4096], path[4096 + 256 + 2];
	uid_t uid;
	DIR *d;
	int fd;

	if (queue_drop_dir(drop, sizeof(drop), ctx->sys, e) == -1)
		return -1;
	if (mkdir(drop, 01733) == 0)
		(void)chmod(drop, 01733);	/* past the umask */
	else if (errno == ENOENT)
		return 0;	/* no spool directory: nobody can have used it */
	if ((fd = open(drop, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1 || st.st_uid != 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		err_set(e, EX_CANTCREAT, "drop spool %s", drop);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!queue_drop_entry(dirfd(d), de->d_name, &uid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", drop, de->d_name);
		if (queue_open_owned(&q, path, uid, &qe) == -1) {
			deliver_say(ctx, "%s", qe.msg);
			continue;
		}
		one = *f;
		one.system_config = system_config;
		one.only_config = NULL;	/* system_config decides */
		one.sent = one.retry = one.failed = one.skipped = 0;
		if (deliver_flush(q, ctx, &one, &qe) == -1)
			deliver_say(ctx, "%s", qe.msg);
		f->sent += one.sent;
		f->retry += one.retry;
		f->failed += one.failed;
		f->skipped += one.skipped;
		if (one.ex != 0)
			f->ex = one.ex;
		queue_close(q);
	}
	closedir(d);
	return 0;
}
