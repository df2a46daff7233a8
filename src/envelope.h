/* SPDX-License-Identifier: ISC */
/*
 * The envelope of one message: the sender, the recipients (one set, kept
 * in one form from the command line and the headers to the wire and into
 * the queue) and the DSN and body parameters.  Each recipient carries its
 * state in the current attempt.  Owns no policy, no SMTP and no file
 * format; smtp.c reads it, policy.c decides what each state means.
 */
#ifndef POSTIE_ENVELOPE_H
#define POSTIE_ENVELOPE_H

#include <stddef.h>

#include "addr.h"
#include "err.h"

enum rcpt_state {
	RCPT_PENDING = 0,	/* not tried yet in this attempt */
	RCPT_ACCEPTED,		/* RCPT answered 2xx */
	RCPT_REFUSED		/* RCPT answered 4xx or 5xx */
};

/* The state of rcpts.v[i] in the current attempt. */
struct rcpt_status {
	enum rcpt_state state;
	int	 code;		/* the RCPT reply code, 0 when none */
	int	 ex;		/* its sysexits code, 0 when accepted */
	char	*reply;		/* sanitized reply text, owned, or NULL */
};

/* Zero-initialise before use; free with envelope_free. */
struct envelope {
	char	*from;			/* "" is the null sender; owned */
	struct addr_list rcpts;		/* the recipient set, qualified */
	struct rcpt_status *status;	/* one per rcpts.v[i], or NULL */
	size_t	 nstatus;
	char	*dsn_notify;		/* NOTIFY= value, or NULL; owned */
	char	*dsn_return;		/* RET= value, or NULL; owned */
	char	*dsn_envid;		/* ENVID= value, or NULL; owned */
	char	*body_type;		/* -B value, or NULL; owned */
};

/* Copy s into *dst (NULL stays NULL).  Errors: EX_OSERR. */
int	 envelope_set(char **dst, const char *s, struct postie_err *);

/* Add a recipient (deduplicated as addr_list_add).  Errors: EX_OSERR. */
int	 envelope_add_rcpt(struct envelope *, const char *addr,
	    struct postie_err *);

/*
 * A copy of src's sender and parameters with the recipients whose index
 * has keep[i] set.  dst is zeroed first.  Errors: EX_OSERR.
 */
int	 envelope_copy(struct envelope *dst, const struct envelope *src,
	    const unsigned char *keep, struct postie_err *);

/*
 * Every recipient back to RCPT_PENDING (the status array is made to
 * match the recipients).  Errors: EX_OSERR.
 */
int	 envelope_reset(struct envelope *, struct postie_err *);

/*
 * Record the reply to RCPT for recipient i: accepted when ex is 0, else
 * refused with code, ex and reply (copied).  Errors: EX_OSERR.
 */
int	 envelope_mark(struct envelope *, size_t i, int code, int ex,
	    const char *reply, struct postie_err *);

/* Recipients in state st. */
size_t	 envelope_count(const struct envelope *, enum rcpt_state st);

void	 envelope_free(struct envelope *);

#endif
