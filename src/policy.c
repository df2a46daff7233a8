/* SPDX-License-Identifier: ISC */
/*
 * The one classifier of failures and the verdict on an attempt (see the
 * table in policy.h).  deliver.c applies the verdict to the queue.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "policy.h"

/* The stages of a transaction: what fails there is the message's. */
static int
policy_in_transaction(enum smtp_stage stage)
{
	return stage == SMTP_MAIL || stage == SMTP_RCPT ||
	    stage == SMTP_DATA || stage == SMTP_DATA_END;
}

enum policy_class
policy_classify(int ex, enum smtp_stage stage)
{
	switch (ex) {
	case 0:
		return POLICY_DONE;
	case EX_TEMPFAIL:
	case EX_NOHOST:
	case EX_OSERR:
	case EX_IOERR:
	case EX_CANTCREAT:
		return POLICY_TEMP;
	case EX_USAGE:
	case EX_DATAERR:
	case EX_NOUSER:
		/* The message, its addresses or its command line. */
		return stage == SMTP_NONE || policy_in_transaction(stage) ?
		    POLICY_MESSAGE : POLICY_ACCOUNT;
	case EX_UNAVAILABLE:
		/* A 5xx greeting, EHLO or missing STARTTLS is the server's. */
		return policy_in_transaction(stage) ? POLICY_MESSAGE :
		    POLICY_ACCOUNT;
	case EX_NOPERM:
		/*
		 * 5.7.x at RCPT or for the data is about this message; at
		 * MAIL ("authentication required", "sender not owned") and
		 * before, it is about the account.
		 */
		return stage == SMTP_RCPT || stage == SMTP_DATA ||
		    stage == SMTP_DATA_END ? POLICY_MESSAGE : POLICY_ACCOUNT;
	default:
		/* EX_PROTOCOL, EX_CONFIG, EX_SOFTWARE, anything unknown. */
		return POLICY_ACCOUNT;
	}
}

const char *
policy_class_name(enum policy_class c)
{
	switch (c) {
	case POLICY_DONE:
		return "delivered";
	case POLICY_TEMP:
		return "temporary";
	case POLICY_ACCOUNT:
		return "account";
	default:
		return "message";
	}
}

/* Fold one recipient's class into v. */
static void
policy_add(struct policy_verdict *v, size_t i, enum policy_class c, int ex,
    const char *why)
{
	if (c == POLICY_DONE) {
		v->fate[i] = FATE_DELIVERED;
		v->ndelivered++;
	} else if (c == POLICY_MESSAGE) {
		v->fate[i] = FATE_FAILED;
		if (v->nfailed++ == 0) {
			v->failed_ex = ex;
			strlcpy(v->failed_why, why, sizeof(v->failed_why));
		}
	} else {
		v->fate[i] = FATE_KEPT;
		/* An account fault is what must be said: it needs a fix. */
		if (v->nkept++ == 0 || (c == POLICY_ACCOUNT &&
		    v->kept_class != POLICY_ACCOUNT)) {
			v->kept_class = c;
			v->kept_ex = ex;
			strlcpy(v->kept_why, why, sizeof(v->kept_why));
		}
	}
}

int
policy_settle(const struct envelope *env, const struct policy_outcome *o,
    struct policy_verdict *v, struct postie_err *e)
{
	const struct rcpt_status *st;
	const char *all = o->msg != NULL && o->msg[0] != '\0' ? o->msg :
	    "not tried";
	char expired[POSTIE_ERR_MSG], own[POSTIE_ERR_MSG];
	enum policy_class c;
	size_t i;
	int ex;

	memset(v, 0, sizeof(*v));
	v->n = env->rcpts.n;
	if ((v->fate = calloc(v->n + 1, 1)) == NULL ||
	    (v->own = calloc(v->n + 1, sizeof(*v->own))) == NULL) {
		policy_verdict_free(v);
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	for (i = 0; i < v->n; i++) {
		st = i < env->nstatus ? &env->status[i] : NULL;
		if (st != NULL && st->state == RCPT_REFUSED) {
			/* Its own reply decides, and is its reason. */
			ex = st->ex;
			c = policy_classify(ex, SMTP_RCPT);
			snprintf(own, sizeof(own), "at RCPT TO <%.256s>: %s",
			    env->rcpts.v[i].spec, st->reply != NULL ?
			    st->reply : "refused");
			if ((v->own[i] = strdup(own)) == NULL) {
				policy_verdict_free(v);
				err_set(e, EX_OSERR, "out of memory");
				return -1;
			}
			policy_add(v, i, c, ex, own);
			continue;
		} else if (st != NULL && st->state == RCPT_ACCEPTED &&
		    o->final_code >= 200 && o->final_code < 300) {
			ex = 0;
			c = POLICY_DONE;
		} else {
			/* Accepted, or not reached: the transaction's fate. */
			ex = o->ex != 0 ? o->ex : EX_TEMPFAIL;
			c = policy_classify(ex, o->stage);
		}
		policy_add(v, i, c, ex, all);
	}
	if (o->expired && v->nkept > 0) {
		snprintf(expired, sizeof(expired), "in the queue for longer "
		    "than queue_lifetime (%lds); last error: %.400s",
		    o->lifetime, v->kept_why);
		for (i = 0; i < v->n; i++)
			if (v->fate[i] == FATE_KEPT) {
				v->nkept--;
				policy_add(v, i, POLICY_MESSAGE,
				    EX_UNAVAILABLE, expired);
			}
	}
	return 0;
}

int
policy_exit(const struct policy_verdict *v, int kept)
{
	if (v->nfailed > 0)
		return v->failed_ex;
	if (v->nkept > 0 && !kept)
		return v->kept_ex;
	return 0;
}

int
policy_failover(const struct envelope *env, const struct policy_outcome *o)
{
	enum policy_class c;
	size_t i;

	if (o->ex == 0 || o->final_code != 0 || o->stage >= SMTP_DATA)
		return 0;
	c = policy_classify(o->ex, o->stage);
	if (c != POLICY_TEMP && c != POLICY_ACCOUNT)
		return 0;
	for (i = 0; i < env->nstatus; i++)
		if (env->status[i].state == RCPT_REFUSED)
			return 0;
	return 1;
}

unsigned char *
policy_select(const struct policy_verdict *v, enum policy_fate f)
{
	unsigned char *keep;
	size_t i;

	if ((keep = calloc(v->n + 1, 1)) == NULL)
		return NULL;
	for (i = 0; i < v->n; i++)
		keep[i] = v->fate[i] == f;
	return keep;
}

void
policy_verdict_free(struct policy_verdict *v)
{
	size_t i;

	for (i = 0; v->own != NULL && i < v->n; i++)
		free(v->own[i]);
	free(v->own);
	free(v->fate);
	memset(v, 0, sizeof(*v));
}
