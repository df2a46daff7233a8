/* SPDX-License-Identifier: ISC */
/*
 * The durable queue: messages kept after a temporary failure, retried by
 * a flush, moved to failed/ when they cannot be delivered.  Each message
 * is two files: ID.msg (the message as it will be sent) written first,
 * then ID.env (the envelope and retry state), whose presence is the
 * commit point.  Both are written to a temporary name, fsync()ed,
 * renamed into place and the directory fsync()ed.  A delivery holds
 * flock() on ID.env, so a message is sent by one process at a time and a
 * killed process leaves no stale lock.  Owns no SMTP and no config.
 */
#ifndef POSTIE_QUEUE_H
#define POSTIE_QUEUE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "envelope.h"
#include "err.h"
#include "msg.h"
#include "sysenv.h"

#define QUEUE_ID_LEN	32

/* Why a message waits: the class of its last failure. */
enum queue_fault {
	QUEUE_FAULT_NONE = 0,	/* not tried yet */
	QUEUE_FAULT_TEMP,	/* temporary: retried with backoff */
	QUEUE_FAULT_ACCOUNT	/* the account or config needs fixing */
};

/*
 * The record of one queued message: the configuration and account it came
 * through, its envelope, and the retry state.  A message kept before it
 * could be prepared (the config could not be read, or the input was
 * refused) is "raw": it holds the command line instead of an envelope,
 * and ID.msg holds the message as read; it is prepared at flush.
 */
struct queue_env {
	char	 id[QUEUE_ID_LEN];
	char	*config;		/* absolute -C path; NULL: default */
	char	*account;		/* account name, or NULL (raw) */
	struct envelope env;		/* from is NULL when raw */
	int	 raw;			/* not prepared: argv holds the call */
	char	**argv;			/* raw: the arguments after argv[0] */
	size_t	 argc;
	time_t	 created;
	time_t	 next_try;		/* not before this time */
	int	 attempts;
	enum queue_fault fault;
	char	*last_error;		/* sanitized, or NULL */
	off_t	 size;			/* bytes of ID.msg */
	int	 held;			/* on hold: no flush sends it */
	/*
	 * The last error of env.rcpts.v[i] when it had one of its own (a
	 * refusal at RCPT TO), for i < nrcpt_error; NULL: last_error.
	 */
	char	**rcpt_error;
	size_t	 nrcpt_error;
	/*
	 * A notice postie wrote about another message (QUEUE_NOTICE_*):
	 * the id of that message and its attempts when the notice was
	 * made.  A notice gets no notice.
	 */
	int	 notice;
	char	 notice_of[QUEUE_ID_LEN];
	int	 notice_attempts;
	int	 warned;		/* the delay warning was written */
};

enum { QUEUE_NOTICE_NONE = 0, QUEUE_NOTICE_FAILED, QUEUE_NOTICE_DELAYED };

/*
 * Set the recipients' own errors of env to errs[i] for each i < n that
 * sel selects (NULL: every one), in order: errs is aligned with an
 * envelope src, env's recipients with envelope_copy(..., src, sel).
 * errs NULL: none.  Errors: EX_OSERR.
 */
int	 queue_env_set_rcpt_errors(struct queue_env *, char *const *errs,
	    size_t n, const unsigned char *sel, struct postie_err *);

/* Append a copy of arg to env->argv.  Errors: EX_OSERR. */
int	 queue_env_add_arg(struct queue_env *, const char *arg,
	    struct postie_err *);

struct queue;

/*
 * The queue directory of the user sys describes (sysenv_euid): its
 * POSTIE_QUEUE_DIR when set to an absolute path; else for root
 * LOCALSTATEDIR/spool/postie, otherwise $XDG_STATE_HOME/postie/queue
 * (default ~/.local/state/postie/queue, ~ being sysenv_home), but for a
 * user whose home is not theirs or not writable (and has no queue there
 * yet), UID/ in the drop spool (queue_drop_dir).  Errors: EX_OSERR (no
 * home directory, a name too long for buf).
 */
int	 queue_default_dir(char *buf, size_t bufsz, const struct sysenv *sys,
	    struct postie_err *);

/*
 * Open (creating with mode 0700, with failed/ inside) the queue at dir.
 * Errors: EX_CANTCREAT, EX_OSERR.
 */
int	 queue_open(struct queue **, const char *dir, struct postie_err *);
/*
 * Open the existing queue at dir of user owner (root delivering a drop
 * queue): directories not followed through symbolic links and owned by
 * owner; what is written there is given to owner.
 */
int	 queue_open_owned(struct queue **, const char *dir, uid_t owner,
	    struct postie_err *);

/*
 * Open the queue at dir of user owner to read it only (monitoring):
 * nothing is created, set or swept.  A missing failed/ is an empty one.
 * Errors: EX_NOINPUT (dir does not exist), EX_CANTCREAT (it cannot be
 * opened or is not owner's), EX_OSERR.
 */
int	 queue_open_readonly(struct queue **, const char *dir, uid_t owner,
	    struct postie_err *);

/*
 * The drop spool: sys's POSTIE_DROP_DIR when absolute, else
 * LOCALSTATEDIR/spool/postie-users (mode 1733, made by make install and
 * by root's flush).  It holds, as UID/, the queue of each user whose home
 * is not theirs or not writable.  Errors: EX_OSERR (name too long).
 */
int	 queue_drop_dir(char *buf, size_t bufsz, const struct sysenv *sys,
	    struct postie_err *);
/*
 * 1 when name, in the drop spool open at spoolfd, is a user's queue: a
 * directory, not a symbolic link, named after a uid other than 0 and
 * owned by it (*uidp); else 0.
 */
int	 queue_drop_entry(int spoolfd, const char *name, uid_t *uidp);
const char *queue_dir(const struct queue *);
void	 queue_close(struct queue *);

/*
 * Store msg with env (env->id, next_try, size and, when 0, created are
 * filled in).
 * When this returns 0 the message is on disk for good.  Errors:
 * EX_CANTCREAT, EX_IOERR (disk full: nothing is left behind).
 */
int	 queue_put(struct queue *, struct queue_env *, struct msg *,
	    struct postie_err *);
/* Store msg straight into failed/ with the reason (input refused). */
int	 queue_put_failed(struct queue *, struct queue_env *, struct msg *,
	    const char *reason, struct postie_err *);

/*
 * Store a notice: text (a whole message, LF line ends) as ID.msg and env
 * as ID.env, under the id env->id given by the caller (made from the id
 * of the message it is about, so that a second try finds it).  Returns
 * 1 when ID.env is already there (nothing written), 0 when stored.
 * Errors: EX_USAGE (a bad id), EX_CANTCREAT, EX_IOERR.
 */
int	 queue_put_notice(struct queue *, struct queue_env *, const char *text,
	    size_t len, struct postie_err *);

/*
 * The ids of the messages in the queue (failed: in failed/), oldest
 * first.  *idsp is an array of *np strings, freed with queue_ids_free.
 */
int	 queue_ids(struct queue *, int failed, char ***idsp, size_t *np,
	    struct postie_err *);
void	 queue_ids_free(char **, size_t);

/* Read the envelope of id (failed: in failed/).  Free with queue_env_free. */
int	 queue_env_read(struct queue *, int failed, const char *id,
	    struct queue_env *, struct postie_err *);
void	 queue_env_free(struct queue_env *);

/*
 * A message taken for delivery: the lock is held until queue_release.
 * queue_take returns 1 when taken, 0 when another process holds it or it
 * is gone (delivered meanwhile), -1 on error.  msg is read from ID.msg.
 */
struct queue_item;
int	 queue_take(struct queue *, const char *id, struct queue_item **,
	    struct postie_err *);
struct queue_env *queue_item_env(struct queue_item *);
/* Open ID.msg for reading (the caller closes it). */
int	 queue_item_msgfd(struct queue_item *, struct postie_err *);
/* Delivered: remove both files, then release. */
int	 queue_item_done(struct queue_item *, struct postie_err *);
/*
 * Failed for now: attempts + 1, next try after the backoff, the error
 * and fault kept; when keep is not NULL the record's recipients become
 * keep's (those delivered or failed meanwhile are dropped).  The
 * recipients' own errors are written as the item's record holds them
 * (queue_env_set_rcpt_errors on queue_item_env, aligned with keep's
 * recipients); when their number is not keep's, none.  Then release.
 */
int	 queue_item_retry(struct queue_item *, const struct envelope *keep,
	    const char *error, enum queue_fault, struct postie_err *);
/* Failed for good: move both files to failed/ with the error; release. */
int	 queue_item_fail(struct queue_item *, const char *error,
	    struct postie_err *);
/* Release without change. */
void	 queue_item_release(struct queue_item *);

/* Seconds to wait after the given number of failed attempts. */
time_t	 queue_backoff(int attempts);

/*
 * Move failed/ID back into the queue, due now, attempts reset.  Errors:
 * EX_NOINPUT when there is no such failed message.
 */
int	 queue_requeue(struct queue *, const char *id, struct postie_err *);

/*
 * Put the queued message id on hold (hold 1: no flush sends it until it
 * is released) or release it (hold 0: due at once).  Errors: EX_USAGE
 * (a bad id), EX_NOINPUT (no such message in the queue), EX_TEMPFAIL
 * (being delivered now), EX_CANTCREAT, EX_IOERR.
 */
int	 queue_hold(struct queue *, const char *id, int hold,
	    struct postie_err *);

/*
 * Remove the message id, both its files, from the queue (failed 0: once
 * its lock is taken, so never while it is being delivered) or from
 * failed/ (failed 1).  Errors: EX_USAGE (a bad id), EX_NOINPUT (no such
 * message there), EX_TEMPFAIL (being delivered now), EX_IOERR.
 */
int	 queue_delete(struct queue *, int failed, const char *id,
	    struct postie_err *);

/* Print the queue and failed/ as mailq does. */
int	 queue_print(struct queue *, FILE *, struct postie_err *);

#endif
