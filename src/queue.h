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

#include "addr.h"
#include "err.h"
#include "msg.h"

#define QUEUE_ID_LEN	32

/* The envelope and retry state of one queued message. */
struct queue_env {
	char	 id[QUEUE_ID_LEN];
	char	*account;		/* account name at queue time */
	char	*from;			/* envelope sender, "" null sender */
	struct addr_list rcpts;
	char	*dsn_notify;
	char	*dsn_return;
	char	*dsn_envid;
	char	*body_type;
	time_t	 created;
	time_t	 next_try;		/* not before this time */
	int	 attempts;
	char	*last_error;		/* sanitized, or NULL */
	off_t	 size;			/* bytes of ID.msg */
};

struct queue;

/*
 * The queue directory: $POSTIE_QUEUE_DIR when set to an absolute path;
 * else for root LOCALSTATEDIR/spool/postie, otherwise
 * $XDG_STATE_HOME/postie/queue (default ~/.local/state/postie/queue).
 */
int	 queue_default_dir(char *buf, size_t bufsz, struct postie_err *);

/*
 * Open (creating with mode 0700, with failed/ inside) the queue at dir.
 * Errors: EX_CANTCREAT, EX_OSERR.
 */
int	 queue_open(struct queue **, const char *dir, struct postie_err *);
const char *queue_dir(const struct queue *);
void	 queue_close(struct queue *);

/*
 * Store msg with env (env->id, created, next_try and size are filled in).
 * When this returns 0 the message is on disk for good.  Errors:
 * EX_CANTCREAT, EX_IOERR (disk full: nothing is left behind).
 */
int	 queue_put(struct queue *, struct queue_env *, struct msg *,
	    struct postie_err *);
/* Store msg straight into failed/ with the reason (input refused). */
int	 queue_put_failed(struct queue *, struct queue_env *, struct msg *,
	    const char *reason, struct postie_err *);

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
 * kept; then release.
 */
int	 queue_item_retry(struct queue_item *, const char *error,
	    struct postie_err *);
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

/* Print the queue and failed/ as mailq does. */
int	 queue_print(struct queue *, FILE *, struct postie_err *);

#endif
