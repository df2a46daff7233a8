/* SPDX-License-Identifier: ISC */
/*
 * The envelope: sender, the recipient set with each recipient's state in
 * the current attempt, DSN and body parameters (see envelope.h).  Owns
 * memory only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "envelope.h"

int
envelope_set(char **dst, const char *s, struct postie_err *e)
{
	char *p = NULL;

	if (s != NULL && (p = strdup(s)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = p;
	return 0;
}

int
envelope_add_rcpt(struct envelope *env, const char *addr,
    struct postie_err *e)
{
	return addr_list_add(&env->rcpts, addr, e);
}

int
envelope_copy(struct envelope *dst, const struct envelope *src,
    const unsigned char *keep, struct postie_err *e)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	if (envelope_set(&dst->from, src->from != NULL ? src->from : "",
	    e) == -1 || envelope_set(&dst->dsn_notify, src->dsn_notify,
	    e) == -1 || envelope_set(&dst->dsn_return, src->dsn_return,
	    e) == -1 || envelope_set(&dst->dsn_envid, src->dsn_envid,
	    e) == -1 || envelope_set(&dst->body_type, src->body_type, e) == -1)
		goto fail;
	for (i = 0; i < src->rcpts.n; i++)
		if ((keep == NULL || keep[i]) &&
		    envelope_add_rcpt(dst, src->rcpts.v[i].spec, e) == -1)
			goto fail;
	return 0;
fail:
	envelope_free(dst);
	return -1;
}

static void
envelope_free_status(struct envelope *env)
{
	size_t i;

	for (i = 0; i < env->nstatus; i++)
		free(env->status[i].reply);
	free(env->status);
	env->status = NULL;
	env->nstatus = 0;
}

int
envelope_reset(struct envelope *env, struct postie_err *e)
{
	envelope_free_status(env);
	if (env->rcpts.n == 0)
		return 0;
	if ((env->status = calloc(env->rcpts.n, sizeof(*env->status))) ==
	    NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	env->nstatus = env->rcpts.n;
	return 0;
}

int
envelope_mark(struct envelope *env, size_t i, int code, int ex,
    const char *reply, struct postie_err *e)
{
	struct rcpt_status *st;

	if (i >= env->nstatus) {
		err_setx(e, EX_SOFTWARE, "recipient %zu of %zu marked", i,
		    env->nstatus);
		return -1;
	}
	st = &env->status[i];
	free(st->reply);
	st->reply = NULL;
	st->state = ex == 0 ? RCPT_ACCEPTED : RCPT_REFUSED;
	st->code = code;
	st->ex = ex;
	if (reply != NULL && (st->reply = strdup(reply)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	return 0;
}

size_t
envelope_count(const struct envelope *env, enum rcpt_state state)
{
	size_t i, n = 0;

	for (i = 0; i < env->rcpts.n; i++)
		if ((i < env->nstatus ? env->status[i].state : RCPT_PENDING) ==
		    state)
			n++;
	return n;
}

void
envelope_free(struct envelope *env)
{
	envelope_free_status(env);
	free(env->from);
	addr_list_free(&env->rcpts);
	free(env->dsn_notify);
	free(env->dsn_return);
	free(env->dsn_envid);
	free(env->body_type);
	memset(env, 0, sizeof(*env));
}
