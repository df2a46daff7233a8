/*
 * Send now or keep: the queue policy around submit_run(), and the flush
 * of the queue, which sends each account's messages over one connection
 * (submit_session_*).  Temporary means EX_TEMPFAIL, as reply.c and net.c
 * decide; everything else is permanent.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "smtp.h"
#include "submit.h"

int
deliver_open_queue(struct queue **qp, struct postie_err *e)
{
	char dir[4096];

	if (queue_default_dir(dir, sizeof(dir), e) == -1)
		return -1;
	return queue_open(qp, dir, e);
}

static int
deliver_dup(char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	return (*dst = strdup(src)) == NULL ? -1 : 0;
}

/* An envelope for job with the recipients given; free with queue_env_free. */
static int
deliver_env(struct queue_env *env, const struct job *job, const char *account,
    char *const *rcpts, size_t nrcpts, struct postie_err *e)
{
	size_t i;

	memset(env, 0, sizeof(*env));
	if (deliver_dup(&env->account, account) == -1 ||
	    deliver_dup(&env->from, job->from != NULL ? job->from : "") ==
	    -1 || deliver_dup(&env->dsn_notify, job->dsn_notify) == -1 ||
	    deliver_dup(&env->dsn_return, job->dsn_return) == -1 ||
	    deliver_dup(&env->dsn_envid, job->dsn_envid) == -1 ||
	    deliver_dup(&env->body_type, job->body_type) == -1) {
		queue_env_free(env);
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	for (i = 0; i < nrcpts; i++)
		if (addr_list_add(&env->rcpts, rcpts[i], e) == -1) {
			queue_env_free(env);
			return -1;
		}
	return 0;
}

/* Put job for rcpts into q (failed/ when failed); id out. */
static int
deliver_keep(struct queue *q, const struct job *job, char *const *rcpts,
    size_t nrcpts, const char *why, int failed, char *id, size_t idsz,
    struct postie_err *e)
{
	struct queue_env env;
	int rv;

	if (deliver_env(&env, job, job->acct->name, rcpts, nrcpts, e) == -1)
		return -1;
	if (!failed && why != NULL && (env.last_error = strdup(why)) == NULL) {
		queue_env_free(&env);
		err_set(e, EX_OSERR, "queue");
		return -1;
	}
	rv = failed ? queue_put_failed(q, &env, job->msg, why, e) :
	    queue_put(q, &env, job->msg, e);
	if (rv == 0 && id != NULL)
		strlcpy(id, env.id, idsz);
	queue_env_free(&env);
	return rv;
}

/*
 * The recipients of res->fails whose failure is (temp) or is not (!temp)
 * temporary, as a vector of pointers into res.
 */
static char **
deliver_fails(const struct smtp_result *res, int temp, size_t *np)
{
	char **v;
	size_t i;

	*np = 0;
	if ((v = reallocarray(NULL, res->nfails + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < res->nfails; i++)
		if ((res->fails[i].ex == EX_TEMPFAIL) == temp)
			v[(*np)++] = res->fails[i].rcpt;
	return v;
}

static int
deliver_accepted(const struct smtp_result *res)
{
	return res->final_code >= 200 && res->final_code < 300;
}

/* All recipients of job as a vector of pointers into it. */
static char **
deliver_rcpts(const struct job *job)
{
	char **v;
	size_t i;

	if ((v = reallocarray(NULL, job->rcpts.n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < job->rcpts.n; i++)
		v[i] = job->rcpts.v[i].spec;
	return v;
}

/*
 * Keep job for rcpts in the failed store after a refusal that is not
 * temporary; says so in e->msg (e->ex unchanged).  Not kept: e->msg says
 * why too, and the exit status stays the refusal's.
 */
static void
deliver_keep_failed(struct queue **qp, struct job *job, char *const *rcpts,
    size_t n, struct postie_err *e)
{
	struct postie_err qe;
	char id[QUEUE_ID_LEN], why[POSTIE_ERR_MSG];
	int ex = e->ex;

	strlcpy(why, e->msg, sizeof(why));
	if ((*qp == NULL && deliver_open_queue(qp, &qe) == -1) ||
	    deliver_keep(*qp, job, rcpts, n, why, 1, id, sizeof(id),
	    &qe) == -1) {
		err_setx(e, ex, "%s; and the message could not be kept: %s",
		    why, qe.msg);
		return;
	}
	err_setx(e, ex, "%s; the message is kept in %s/failed as %s "
	    "('postie --requeue %s' sends it again)", why, queue_dir(*qp), id,
	    id);
	log_note(log_facility(job->acct), LOG_WARNING, "%s", e->msg);
}

int
deliver_job(struct job *job, FILE *tr, int *queuedp, char *note,
    size_t notesz, struct postie_err *e)
{
	struct smtp_result res;
	struct postie_err qe;
	struct queue *q = NULL;
	char id[QUEUE_ID_LEN], **rcpts = NULL, **refused = NULL;
	size_t n = 0, nrefused = 0;
	int rv = -1;

	*queuedp = 0;
	note[0] = '\0';
	if (submit_run(job, tr, &res, e) == 0) {
		smtp_result_free(&res);
		return 0;
	}
	if (!job->acct->queue)
		goto done;
	if (deliver_accepted(&res)) {
		/*
		 * Delivered to some: those refused for now are queued (below),
		 * those refused for good kept in failed/ (at done).
		 */
		refused = deliver_fails(&res, 0, &nrefused);
		if ((rcpts = deliver_fails(&res, 1, &n)) == NULL || n == 0)
			goto done;
	} else if (e->ex == EX_TEMPFAIL) {
		if ((rcpts = deliver_rcpts(job)) == NULL)
			goto done;
		n = job->rcpts.n;
	} else {
		/* Refused for good, or not sendable as configured. */
		if ((rcpts = deliver_rcpts(job)) != NULL)
			deliver_keep_failed(&q, job, rcpts, job->rcpts.n, e);
		goto done;
	}

	if ((q == NULL && deliver_open_queue(&q, &qe) == -1) ||
	    deliver_keep(q, job, rcpts, n, e->msg, 0, id, sizeof(id),
	    &qe) == -1) {
		/* Not kept: the caller must keep it (exit 75). */
		err_setx(e, EX_TEMPFAIL, "%s; and the message could not be "
		    "queued: %s", e->msg, qe.msg);
		goto done;
	}
	*queuedp = 1;
	snprintf(note, notesz, "queued as %s (%zu recipient%s): %s; "
	    "'postie -q' retries it", id, n, n == 1 ? "" : "s", e->msg);
	log_note(log_facility(job->acct), LOG_NOTICE, "%s", note);
	/* Every recipient either accepted the message or has it queued. */
	if (!deliver_accepted(&res) || n == res.nfails) {
		err_clear(e);
		rv = 0;
	}
done:
	if (refused != NULL && nrefused > 0)
		deliver_keep_failed(&q, job, refused, nrefused, e);
	free(refused);
	free(rcpts);
	queue_close(q);
	smtp_result_free(&res);
	return rv;
}

static void	deliver_say(const struct deliver_flush *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* One line to the flush's output, when it has one. */
static void
deliver_say(const struct deliver_flush *f, const char *fmt, ...)
{
	va_list ap;

	if (f->tr == NULL)
		return;
	va_start(ap, fmt);
	fputs("postie: ", f->tr);
	vfprintf(f->tr, fmt, ap);
	fputc('\n', f->tr);
	va_end(ap);
}

/*
 * A failure that is the message's own: a 5xx reply to MAIL, RCPT or DATA,
 * or a server that cannot take this message.  Anything else, temporary or
 * about the account (AUTH refused, TLS, the config, a server that talks
 * nonsense), leaves the message waiting until that is fixed.
 */
static int
deliver_permanent(int ex)
{
	return ex == EX_NOUSER || ex == EX_DATAERR || ex == EX_UNAVAILABLE;
}

/*
 * The flush's connection to the account being delivered: opened for the
 * account's first message, used for the next ones.
 */
struct deliver_conn {
	const struct account *acct;
	struct submit_session *ss;
	size_t	 ntx;		/* messages tried on ss */
	int	 barren;	/* connections in a row lost at their first */
	int	 stop;		/* the account's other messages get stop_err */
	struct postie_err stop_err;
};

static void
deliver_conn_end(struct deliver_conn *c)
{
	submit_session_close(c->ss);
	memset(c, 0, sizeof(*c));
}

/*
 * Submit job over its account's connection.  When the connection cannot
 * be opened (server down, TLS, AUTH refused), the account's other
 * messages get the same error without a connection each.  When it ends
 * in a transaction (421, connection lost, RSET refused), the next message
 * opens a new one, unless two in a row were lost at their first message:
 * then the account's other messages wait for the next flush.
 */
static int
deliver_send(struct deliver_conn *c, struct job *job,
    const struct deliver_flush *f, struct smtp_result *res,
    struct postie_err *e)
{
	int rv;

	memset(res, 0, sizeof(*res));
	if (c->acct != job->acct) {
		deliver_conn_end(c);
		c->acct = job->acct;
	}
	if (c->stop) {
		*e = c->stop_err;
		log_submission(job, NULL, e->ex, e->msg);
		return -1;
	}
	if (c->ss == NULL) {
		if (submit_session_open(&c->ss, job->acct, f->verbose,
		    f->verbose ? f->tr : NULL, e) == -1) {
			c->stop = 1;
			c->stop_err = *e;
			log_submission(job, NULL, e->ex, e->msg);
			return -1;
		}
		c->ntx = 0;
	}
	c->ntx++;
	rv = submit_session_send(c->ss, job, res, e);
	if (!submit_session_usable(c->ss)) {
		c->barren = c->ntx == 1 ? c->barren + 1 : 0;
		submit_session_close(c->ss);
		c->ss = NULL;
		if (c->barren >= 2) {
			c->stop = 1;
			err_setx(&c->stop_err, EX_TEMPFAIL, "not tried: the "
			    "server ended two connections in a row at their "
			    "first message (last: %.300s)", e->msg);
		}
	}
	return rv;
}

/* Deliver one taken queue item; always releases it. */
static void
deliver_item(struct queue *q, const struct conf *conf,
    struct deliver_conn *c, struct queue_item *it, struct deliver_flush *f)
{
	struct queue_env *env = queue_item_env(it);
	const struct account *a;
	struct smtp_result res;
	struct postie_err e, qe;
	struct job job;
	char why[POSTIE_ERR_MSG], id[QUEUE_ID_LEN], **v;
	size_t n;
	int fd, ex, kept = 1;

	memset(&job, 0, sizeof(job));
	memset(&res, 0, sizeof(res));
	if ((a = conf_account(conf, env->account)) == NULL) {
		snprintf(why, sizeof(why), "account %s no longer exists in "
		    "the config", env->account);
		ex = EX_CONFIG;
		goto retry;
	}
	if (env->rcpts.n == 0) {
		snprintf(why, sizeof(why), "no recipients");
		ex = EX_DATAERR;
		goto fail;
	}
	if ((fd = queue_item_msgfd(it, &e)) == -1 ||
	    msg_read(&job.msg, fd, 0, &e) == -1) {
		if (fd != -1)
			close(fd);
		snprintf(why, sizeof(why), "%s", e.msg);
		ex = e.ex;
		goto fail;
	}
	close(fd);
	job.acct = a;
	job.from = env->from;
	job.rcpts = env->rcpts;
	job.verbose = f->verbose;
	job.dsn_notify = env->dsn_notify;
	job.dsn_return = env->dsn_return;
	job.dsn_envid = env->dsn_envid;
	job.body_type = env->body_type;
	if (deliver_send(c, &job, f, &res, &e) == 0 ||
	    deliver_accepted(&res)) {
		/* Keep apart those who refused it while others took it. */
		if ((v = deliver_fails(&res, 1, &n)) != NULL && n > 0 &&
		    deliver_keep(q, &job, v, n, e.msg, 0, NULL, 0, &qe) == -1) {
			deliver_say(f, "%s: %s", env->id, qe.msg);
			kept = 0;
		}
		free(v);
		if ((v = deliver_fails(&res, 0, &n)) != NULL && n > 0) {
			if (deliver_keep(q, &job, v, n, e.msg, 1, id,
			    sizeof(id), &qe) == -1) {
				deliver_say(f, "%s: %s", env->id, qe.msg);
				kept = 0;
			} else
				deliver_say(f, "%s: %zu recipient%s refused, "
				    "moved to failed/ as %s: %s", env->id, n,
				    n == 1 ? "" : "s", id, e.msg);
			f->ex = e.ex;
		}
		free(v);
		if (!kept) {
			/*
			 * Some recipients could not be kept apart: keep the
			 * whole message rather than lose them (the others
			 * will get it twice).
			 */
			f->ex = qe.ex;
			queue_item_release(it);
			goto out;
		}
		log_note(log_facility(a), LOG_INFO,
		    "%s: delivered from the queue", env->id);
		if (f->verbose)
			deliver_say(f, "%s: delivered", env->id);
		if (queue_item_done(it, &e) == -1)
			deliver_say(f, "%s: %s", env->id, e.msg);
		f->sent++;
		goto out;
	}
	snprintf(why, sizeof(why), "%s", e.msg);
	ex = e.ex != 0 ? e.ex : EX_TEMPFAIL;
	if (deliver_permanent(ex))
		goto fail;
	if (time(NULL) - env->created > a->queue_lifetime) {
		snprintf(why, sizeof(why), "in the queue for longer than "
		    "queue_lifetime (%lds); last error: %.400s",
		    a->queue_lifetime, e.msg);
		ex = EX_UNAVAILABLE;
		goto fail;
	}
retry:
	/* Only what needs attention is said, unless -v. */
	if (ex != EX_TEMPFAIL || f->verbose)
		deliver_say(f, "%s: kept in the queue: %s", env->id, why);
	if (ex != EX_TEMPFAIL)
		f->ex = ex;
	log_note(log_facility(a), LOG_NOTICE, "%s: kept in the queue: %s",
	    env->id, why);
	if (queue_item_retry(it, why, &e) == -1)
		deliver_say(f, "%s: %s", env->id, e.msg);
	f->retry++;
	goto out;
fail:
	deliver_say(f, "%s: failed for good, moved to failed/: %s; "
	    "'postie --requeue %s' puts it back", env->id, why, env->id);
	log_note(log_facility(a), LOG_ERR, "%s: failed for good: %s",
	    env->id, why);
	if (queue_item_fail(it, why, &e) == -1)
		deliver_say(f, "%s: %s", env->id, e.msg);
	f->failed++;
	f->ex = ex;
out:
	if (job.msg != NULL)
		msg_free(job.msg);
	smtp_result_free(&res);
}

/*
 * The order of delivery: the messages of one account together, so that
 * they share a connection; accounts in the order of their oldest message,
 * each account's messages oldest first.  An envelope that cannot be read
 * here keeps its place (deliver_item says why).
 */
static int
deliver_order(struct queue *q, char *const *ids, size_t n,
    const struct deliver_flush *f, size_t **orderp, struct postie_err *e)
{
	struct queue_env env;
	struct postie_err te;
	size_t *order, i, j, k = 0;
	char **acct, *placed;
	int rv = -1;

	order = reallocarray(NULL, n + 1, sizeof(*order));
	acct = calloc(n + 1, sizeof(*acct));
	placed = calloc(n + 1, 1);
	if (order == NULL || acct == NULL || placed == NULL) {
		err_set(e, EX_OSERR, "queue");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (f->only_id != NULL && strstr(ids[i], f->only_id) == NULL)
			continue;
		if (queue_env_read(q, 0, ids[i], &env, &te) == -1)
			continue;
		acct[i] = env.account;
		env.account = NULL;
		queue_env_free(&env);
	}
	for (i = 0; i < n; i++) {
		if (placed[i])
			continue;
		order[k++] = i;
		for (j = i + 1; acct[i] != NULL && j < n; j++)
			if (!placed[j] && acct[j] != NULL &&
			    strcmp(acct[i], acct[j]) == 0) {
				order[k++] = j;
				placed[j] = 1;
			}
	}
	*orderp = order;
	order = NULL;
	rv = 0;
done:
	for (i = 0; acct != NULL && i < n; i++)
		free(acct[i]);
	free(acct);
	free(placed);
	free(order);
	return rv;
}

int
deliver_flush(struct queue *q, const struct conf *conf,
    struct deliver_flush *f, struct postie_err *e)
{
	struct deliver_conn c;
	struct queue_item *it;
	struct postie_err te;
	size_t n, i, k, *order;
	char **ids;
	int r;

	if (queue_ids(q, 0, &ids, &n, e) == -1)
		return -1;
	if (deliver_order(q, ids, n, f, &order, e) == -1) {
		queue_ids_free(ids, n);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	for (k = 0; k < n; k++) {
		i = order[k];
		if (f->only_id != NULL && strstr(ids[i], f->only_id) == NULL)
			continue;
		if (f->deadline != 0 && time(NULL) >= f->deadline)
			break;
		if ((r = queue_take(q, ids[i], &it, &te)) != 1) {
			if (r == -1) {
				deliver_say(f, "%s: %s", ids[i],
				    te.msg);
				f->ex = te.ex;
			}
			f->skipped++;
			continue;
		}
		if (f->due_only &&
		    queue_item_env(it)->next_try > time(NULL)) {
			queue_item_release(it);
			f->skipped++;
			continue;
		}
		deliver_item(q, conf, &c, it, f);
	}
	deliver_conn_end(&c);
	free(order);
	queue_ids_free(ids, n);
	return 0;
}

int
deliver_refused(struct job *job, struct postie_err *e)
{
	struct postie_err qe;
	struct queue *q = NULL;
	char id[QUEUE_ID_LEN], **rcpts;
	char why[POSTIE_ERR_MSG];

	if (job->msg == NULL || job->acct == NULL || !job->acct->queue)
		return -1;
	if ((rcpts = deliver_rcpts(job)) == NULL)
		return -1;
	strlcpy(why, e->msg, sizeof(why));
	if (deliver_open_queue(&q, &qe) == -1 ||
	    deliver_keep(q, job, rcpts, job->rcpts.n, why, 1, id, sizeof(id),
	    &qe) == -1) {
		err_setx(e, EX_DATAERR, "%s; and the message could not be "
		    "kept: %s", why, qe.msg);
		free(rcpts);
		queue_close(q);
		return -1;
	}
	err_setx(e, EX_DATAERR, "%s; the message is kept in %s/failed as %s",
	    why, queue_dir(q), id);
	log_note(log_facility(job->acct), LOG_WARNING, "%s", e->msg);
	free(rcpts);
	queue_close(q);
	return 0;
}
