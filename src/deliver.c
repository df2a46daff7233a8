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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "deliver.h"
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
 * The flush's connection to the account being delivered: opened for the
 * account's first message, used for the next ones.
 */
struct deliver_conn {
	FILE	*warn;		/* warnings and the transcript, or NULL */
	const struct account *acct;
	struct submit_session *ss;
	size_t	 ntx;		/* messages tried on ss */
	int	 barren;	/* connections in a row lost at their first */
	int	 stop;		/* the account's other messages get stop_err */
	enum smtp_stage stop_stage;
	struct postie_err stop_err;
};

static void
deliver_conn_end(struct deliver_conn *c)
{
	FILE *warn = c->warn;

	submit_session_close(c->ss);
	memset(c, 0, sizeof(*c));
	c->warn = warn;
}

/*
 * One attempt to send msg to env over c (opened when needed), its
 * outcome in o (o->msg points into e).  When the connection cannot be
 * opened, the account's next messages get the same outcome without a
 * connection each; when it ends in a transaction, the next message opens
 * a new one, unless two in a row were lost at their first message.
 */
static void
deliver_attempt(struct deliver_conn *c, const struct deliver_ctx *ctx,
    const struct account *a, struct envelope *env, struct msg *msg,
    int last, struct policy_outcome *o, struct postie_err *e)
{
	struct smtp_result res;
	enum smtp_stage stage;
	int rv;

	memset(o, 0, sizeof(*o));
	memset(&res, 0, sizeof(res));
	err_clear(e);
	o->msg = e->msg;
	if (c->acct != a) {
		deliver_conn_end(c);
		c->acct = a;
	}
	if (!c->stop && c->ss == NULL) {
		if (submit_session_open(&c->ss, a, ctx->sys, ctx->conn,
		    ctx->verbose, c->warn, &stage, e) == -1) {
			c->stop = 1;
			c->stop_err = *e;
			c->stop_stage = stage;
			submit_log(a, env, msg, NULL, e->ex, e->msg);
		}
		c->ntx = 0;
	}
	if (c->stop) {
		*e = c->stop_err;
		o->ex = e->ex != 0 ? e->ex : EX_TEMPFAIL;
		o->stage = c->stop_stage;
		return;
	}
	c->ntx++;
	rv = submit_session_send(c->ss, env, msg, last, &res, e);
	o->ex = rv == 0 ? 0 : e->ex != 0 ? e->ex : EX_TEMPFAIL;
	o->stage = res.stage;
	o->final_code = res.final_code;
	smtp_result_free(&res);
	if (rv == -1 && res.stage == SMTP_AUTH) {
		/* AUTH led the group: the account's next ones would fail. */
		c->stop = 1;
		c->stop_err = *e;
		c->stop_stage = SMTP_AUTH;
	}
	if (!submit_session_usable(c->ss)) {
		c->barren = c->ntx == 1 ? c->barren + 1 : 0;
		submit_session_close(c->ss);
		c->ss = NULL;
		if (c->barren >= 2) {
			c->stop = 1;
			c->stop_stage = SMTP_CONNECT;
			err_setx(&c->stop_err, EX_TEMPFAIL, "not tried: the "
			    "server ended two connections in a row at their "
			    "first message (last: %.300s)", e->msg);
		}
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
	int ex, kept = 1;

	*sentp = 0;
	if (job_prepare(job, o, ctx->sys, stdin_fd, e) == -1)
		return e->ex = deliver_unprepared(o, job, e);
	memset(&c, 0, sizeof(c));
	c.warn = ctx->tr;
	deliver_attempt(&c, ctx, job->acct, &job->env, job->msg, 1, &out,
	    &ae);
	deliver_conn_end(&c);
	if (out.ex == 0) {
		err_clear(e);
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
	deliver_attempt(&c, ctx, job.acct, &job.env, job.msg, 1, &out, &ae);
	deliver_conn_end(&c);
	if (out.ex == 0) {
		err_setx(e, 0, "accepted by %s", job.acct->host);
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
    const struct policy_verdict *v, const struct deliver_ctx *ctx,
    struct deliver_flush *f)
{
	struct queue_env *rec = queue_item_env(it);
	struct postie_err e;
	unsigned char *sel;
	char id[QUEUE_ID_LEN], nid[QUEUE_ID_LEN];

	strlcpy(id, rec->id, sizeof(id));
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

/* Deliver one taken queue item; always releases it. */
static void
deliver_item(struct queue *q, struct deliver_confs *cs,
    struct deliver_conn *c, struct queue_item *it,
    const struct deliver_ctx *ctx, struct deliver_flush *f)
{
	struct queue_env *rec = queue_item_env(it);
	const struct account *a;
	struct deliver_conf *dc;
	struct policy_outcome out;
	struct policy_verdict v;
	struct postie_err e;
	struct msg *msg = NULL;
	char why[POSTIE_ERR_MSG], nid[QUEUE_ID_LEN];
	int fd, r;

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
	deliver_attempt(c, ctx, a, &rec->env, msg, 0, &out, &e);
	out.expired = time(NULL) - rec->created > a->queue_lifetime;
	out.lifetime = a->queue_lifetime;
	if (policy_settle(&rec->env, &out, &v, &e) == -1) {
		queue_item_release(it);
		f->ex = EX_OSERR;
	} else
		deliver_item_settle(q, it, a, msg, &v, ctx, f);
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

int
deliver_flush(struct queue *q, const struct deliver_ctx *ctx,
    struct deliver_flush *f, struct postie_err *e)
{
	struct deliver_confs cs;
	struct deliver_conn c;
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
		deliver_item(q, &cs, &c, it, ctx, f);
	}
	deliver_conn_end(&c);
	deliver_confs_free(&cs);
	free(order);
	queue_ids_free(ids, n);
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
