/*
 * The delivery policy: send now, or keep the message in the queue when
 * the failure is temporary; flush the queue.  Owns the decision of what
 * is kept, retried, failed for good; owns no SMTP and no file format.
 */
#ifndef POSTIE_DELIVER_H
#define POSTIE_DELIVER_H

#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "job.h"
#include "queue.h"

/*
 * Submit job.  On a temporary failure (EX_TEMPFAIL) with the account's
 * queue on, the message is queued and the call succeeds with *queuedp
 * set and note filled ("queued as ID: <why>; run 'postie -q' ...").
 * Recipients refused for now while others accepted the message are
 * queued alone.  Any other failure still fails the call, but with the
 * queue on the message (for the recipients that did not get it) is kept
 * in the failed store, and e->msg says where.  Warnings and the
 * transcript go to tr.
 */
int	 deliver_job(struct job *, FILE *tr, int *queuedp, char *note,
	    size_t notesz, struct postie_err *);

struct deliver_flush {
	const char *only_id;	/* flush only ids containing this, or NULL */
	int	 due_only;	/* skip messages whose next try is to come */
	time_t	 deadline;	/* stop starting deliveries after; 0: none */
	int	 verbose;
	FILE	*tr;		/* warnings, transcript, one line a message */
	/* Filled in: */
	size_t	 sent, retry, failed, skipped;
	/*
	 * 0, or the sysexits code of the last message that needs
	 * attention: moved to failed/, kept for a reason that is not
	 * temporary (account missing: EX_CONFIG; AUTH or TLS refused:
	 * EX_NOPERM), or unreadable.
	 */
	int	 ex;
};

/*
 * Try the messages in the queue, oldest first, with each account's
 * current settings (found by name in conf), the messages of one account
 * one after another over one connection (opened when the first of them
 * is due; a connection that cannot be opened is tried once, and its
 * error is every message's; one lost midway is replaced, unless two in
 * a row were lost at their first message).  Delivered: removed.  A
 * failure that is not the message's own (temporary, account missing
 * from conf, AUTH or TLS refused, config): kept with the next try after
 * the backoff.  A permanent failure (EX_NOUSER, EX_DATAERR,
 * EX_UNAVAILABLE), or any failure once the message is older than
 * queue_lifetime: moved to failed/ and logged.  One line on f->tr for
 * each message that needs attention (see ex), for every message when
 * verbose.  Fails only when the queue cannot be read; a message's
 * failure is in the counts and ex.
 */
int	 deliver_flush(struct queue *, const struct conf *,
	    struct deliver_flush *, struct postie_err *);

/* The queue for an account's job (queue_default_dir). */
int	 deliver_open_queue(struct queue **, struct postie_err *);

/*
 * job_prepare refused the message for its content (e->ex EX_DATAERR):
 * store job->msg in the failed store with e->msg as the reason, when the
 * account has the queue on, so that a cron job's output is not simply
 * dropped.  On success appends to e->msg where it is kept (e->ex stays
 * EX_DATAERR) and returns 0; returns -1 when nothing was kept (no
 * message, queue off, or the store failed: said in e->msg).
 */
int	 deliver_refused(struct job *, struct postie_err *);

#endif
