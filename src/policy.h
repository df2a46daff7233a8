/* SPDX-License-Identifier: ISC */
/*
 * The delivery policy: what a failure means for a message, decided in one
 * place for a direct send and a queue flush alike.  Pure functions of an
 * attempt's outcome; owns no SMTP, no queue files and no I/O.
 *
 *   class     failures                              what happens
 *   MESSAGE   5xx to RCPT (that recipient), 5xx to   the recipients go to
 *             MAIL other than 5.7.x, to DATA or at   failed/; exit status:
 *             the final dot, SIZE exceeded, a bad    the failure's code
 *             message, address or command line, a
 *             message this server cannot be sent
 *             (8-bit that mime.c cannot convert:
 *             EX_DATAERR at MAIL, nothing sent)
 *   ACCOUNT   no STARTTLS, TLS or certificate        kept in the queue,
 *             failure, 5xx greeting or EHLO, AUTH    held until fixed;
 *             refused, protocol violation, config    exit 0 with queue on
 *             error, missing account
 *   TEMP      4xx, timeouts, refused or lost         kept in the queue,
 *             connections, DNS, local system         retried with backoff;
 *             errors                                 exit 0 with queue on
 *
 * A recipient accepted at RCPT shares the fate of the transaction; one
 * refused at RCPT has its own.  An ACCOUNT or TEMP failure before DATA
 * with no recipient refused on its own is tried again through the
 * account's fallback accounts, in order (policy_failover).  Past
 * queue_lifetime, what would be kept fails; a queued message that fails
 * for good gets a failure notice (deliver.c, dsn.h).  With the queue off
 * nothing is kept and the exit status is the failure's code.
 */
#ifndef POSTIE_POLICY_H
#define POSTIE_POLICY_H

#include <stddef.h>

#include "envelope.h"
#include "err.h"
#include "reply.h"

enum policy_class {
	POLICY_DONE = 0,	/* delivered */
	POLICY_TEMP,
	POLICY_ACCOUNT,
	POLICY_MESSAGE
};

/* The class of a failure with sysexits code ex at stage (ex 0: DONE). */
enum policy_class policy_classify(int ex, enum smtp_stage stage);

/* "temporary", "account", "message", "delivered". */
const char *policy_class_name(enum policy_class);

/* What became of each recipient. */
enum policy_fate { FATE_DELIVERED = 0, FATE_KEPT, FATE_FAILED };

/* How one attempt ended, as the session reported it. */
struct policy_outcome {
	int	 ex;			/* 0: the message was accepted */
	enum smtp_stage stage;		/* where it failed */
	const char *msg;		/* the one-line reason, or "" */
	int	 final_code;		/* reply to the final dot, 0: none */
	int	 expired;		/* older than queue_lifetime */
	long	 lifetime;		/* queue_lifetime, for the words */
};

/* The verdict on one attempt; free with policy_verdict_free. */
struct policy_verdict {
	unsigned char *fate;		/* enum policy_fate per recipient */
	char	**own;			/* per recipient: its own reason (a
					   refusal at RCPT TO), or NULL:
					   the transaction's */
	size_t	 n, ndelivered, nkept, nfailed;
	enum policy_class kept_class;	/* TEMP or ACCOUNT when nkept */
	int	 kept_ex;
	char	 kept_why[POSTIE_ERR_MSG];
	int	 failed_ex;
	char	 failed_why[POSTIE_ERR_MSG];
};

/*
 * Decide the fate of each recipient of env (its status array as the
 * attempt left it) after outcome o.  Errors: EX_OSERR.
 */
int	 policy_settle(const struct envelope *env,
	    const struct policy_outcome *o, struct policy_verdict *v,
	    struct postie_err *);

/*
 * The exit status of a direct send with verdict v: the failed
 * recipients' code when some failed; else, when some were kept, 0 if
 * they are safely in the queue (kept set) or the reason's code; else 0.
 */
int	 policy_exit(const struct policy_verdict *v, int kept);

/*
 * 1 when an attempt that ended as o may be made again through the
 * account's fallback accounts: it failed for the account or temporarily
 * (a TEMP or ACCOUNT class) before the DATA command, and no recipient
 * was refused on its own (a recipient deferred with 4xx stays for this
 * account).  Never after DATA: past it the server may have the message.
 */
int	 policy_failover(const struct envelope *env,
	    const struct policy_outcome *o);

/* Select the recipients whose fate is f (for envelope_copy). */
unsigned char *policy_select(const struct policy_verdict *v,
	    enum policy_fate f);

void	 policy_verdict_free(struct policy_verdict *);

#endif
