/* SPDX-License-Identifier: ISC */
/*
 * Delivery: a message from the command line sent now, or kept; the queue
 * flushed.  Both paths run the same sessions (submit.c), ask the same
 * classifier (policy.c) what a failure means, and keep what is not
 * delivered the same way.  Owns the moves between "sent", "queue" and
 * "failed/"; owns no SMTP and no file format.
 */
#ifndef POSTIE_DELIVER_H
#define POSTIE_DELIVER_H

#include <stdio.h>
#include <time.h>

#include "err.h"
#include "job.h"
#include "opts.h"
#include "policy.h"
#include "queue.h"
#include "submit.h"
#include "sysenv.h"

/* What both paths are given. */
struct deliver_ctx {
	struct sysenv *sys;		/* the process's surroundings */
	const struct submit_connector *conn;	/* NULL: the network */
	int	 verbose;
	FILE	*tr;		/* warnings, transcript, one line a message */
};

/*
 * Send the message on stdin_fd as the command line o says: prepare it
 * (job_prepare), then one session with its account's server.  What is
 * not delivered is kept by policy.h's table: in the queue (temporary or
 * account failures: the call returns 0 when the account has the queue
 * on), in failed/ (the message's own failures: the failure's code).  A
 * message that cannot be prepared is kept as read with its command line:
 * in the queue, held, when the config cannot be read or the account is
 * missing; in failed/ when the message, its addresses or the command
 * line are at fault.  With the queue off nothing is kept and the code is
 * the failure's.  Returns the exit status; e->msg holds the one line to
 * print ("" for none), e->ex the status too.  *sentp is set when every
 * recipient got the message (a flush may follow).
 */
int	 deliver_send(const struct opts *, int stdin_fd,
	    const struct deliver_ctx *, struct job *, int *sentp,
	    struct postie_err *);

/* What became of a message given to deliver_accept. */
struct deliver_accepted {
	char	 id[QUEUE_ID_LEN];	/* its queue id, "" when not queued */
	int	 held;			/* queued unprepared: config, system */
	enum policy_class class;	/* of the failure, when it failed */
	int	 code;			/* the smarthost's refusal, 0: none */
};

/*
 * A message received over SMTP (postie -bs): prepared by job_prepare
 * from o (whose argv is the command line that prepares it again: the
 * queue records it when the message is held) and the message on fd.
 * With its account's queue on it is stored in the queue, prepared and
 * due now, a->id set, for a flush to send (deliver_flush only_ids); with
 * the queue off it is sent now over one session.  A message that cannot
 * be prepared for a reason that is not its own (the config cannot be
 * read, the account is missing, the system) is kept as deliver_send
 * keeps it, held in the queue (a->held) unless the account has the queue
 * off.  Returns 0 when the message is in the queue or the smarthost
 * accepted it for every recipient, e->msg saying which; -1 when it is
 * refused, and then nothing is kept: e says why, a->class is the
 * failure's policy class (MESSAGE for a permanent refusal) and a->code
 * the smarthost's reply code when it gave one (a refused recipient's
 * first, or the final dot's), 0 otherwise.
 */
int	 deliver_accept(const struct opts *, int fd, const struct deliver_ctx *,
	    struct deliver_accepted *a, struct postie_err *);

struct deliver_flush {
	const char *only_id;	/* flush only ids containing this, or NULL */
	char *const *only_ids;	/* when not NULL: only these n_only_ids */
	size_t	 n_only_ids;	/*   ids, compared whole, in this order */
	const char *only_config; /* only messages of this config; "" is the
				   default lookup; NULL: every config */
	const char *system_config; /* a drop queue: every message through
				   this config only; NULL: each its own */
	int	 due_only;	/* skip messages whose next try is to come */
	time_t	 deadline;	/* stop starting deliveries after; 0: none */
	/* Filled in (the messages found; notices it wrote apart): */
	size_t	 sent, retry, failed, skipped;
	size_t	 notices_sent;	/* notices written and sent by it */
	/*
	 * 0, or the sysexits code of the last message that needs
	 * attention: moved to failed/, or kept for an account fault.
	 */
	int	 ex;
};

/*
 * Try the messages in the queue, oldest first, each through the config
 * it was queued with (its account's current settings), the messages of
 * one account over one connection (a connection that cannot be opened is
 * tried once, and its error is every message's; one lost midway is
 * replaced, unless two in a row were lost at their first message).  A
 * message kept before it was prepared is prepared first.  Each outcome
 * is settled by policy.h's table, as for a direct send.  One line on
 * ctx->tr for each message that needs attention, for every message when
 * verbose.  A message on hold (queue_hold) is skipped.  Fails only when
 * the queue cannot be read.
 */
int	 deliver_flush(struct queue *, const struct deliver_ctx *,
	    struct deliver_flush *, struct postie_err *);

/*
 * Root's flush of the drop spool (queue_drop_dir, created with mode 1733
 * when missing): each UID/ directory owned by that uid, not a symbolic
 * link, is flushed as that user's queue with f->system_config set, so
 * that no file of the user's (config, passwordeval) is read or run.
 * The counts of f add up.  Errors: the spool cannot be read.
 */
int	 deliver_flush_drops(const struct deliver_ctx *, struct deliver_flush *,
	    const char *system_config, struct postie_err *);

/* The queue for the user sys describes (queue_default_dir). */
int	 deliver_open_queue(struct queue **, const struct sysenv *sys,
	    struct postie_err *);

#endif
