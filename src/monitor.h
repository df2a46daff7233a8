/* SPDX-License-Identifier: ISC */
/*
 * The queue as monitoring reads it: each message as one JSON object a
 * line (mailq --json), and the health check (postie --health), a status
 * and one line in the format of the monitoring plugins of Nagios,
 * Icinga and their kin.  Reads queues only, never creates or changes
 * anything; owns no file format (queue.c) and writes only to the FILE
 * or buffer it is given.
 */
#ifndef POSTIE_MONITOR_H
#define POSTIE_MONITOR_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "queue.h"

/* The plugin exit codes. */
enum monitor_status {
	MONITOR_OK = 0,
	MONITOR_WARNING = 1,
	MONITOR_CRITICAL = 2,
	MONITOR_UNKNOWN = 3
};

/* The default thresholds of --warn-age and --crit-age, in seconds. */
#define MONITOR_WARN_AGE	(60L * 60)
#define MONITOR_CRIT_AGE	(24L * 60 * 60)

/*
 * Call fn(arg, id, env, failed, re) for each record of q, the queued ones
 * then the failed ones (failed 1), each oldest first: env is the record,
 * or NULL when it cannot be read, re saying why; a record gone meanwhile
 * (delivered) is skipped.  Errors: the queue cannot be listed.
 */
int	 monitor_walk(struct queue *, void (*fn)(void *arg, const char *id,
	    const struct queue_env *env, int failed,
	    const struct postie_err *re), void *arg, struct postie_err *);

/*
 * Write the messages of q, the queued ones then the failed ones, each
 * oldest first, to out: one JSON object a line with id, state ("queued",
 * "held" or "failed"), config (null: the default lookup), account,
 * created and next_try (seconds since the epoch; next_try null when
 * failed), attempts, size, sender ("" for the null sender, null when not
 * known yet), recipients (each an object with address, state and
 * last_error: its own, else the message's), last_error, fault
 * ("temporary", "account" or null; null when failed) and raw (true: not
 * prepared yet).  A record that cannot be read is a line with id, state
 * and error.  Errors: the queue cannot be listed.
 */
int	 monitor_json(struct queue *, FILE *out, struct postie_err *);

/* What the health check counts. */
struct monitor_health {
	size_t	 queued;		/* in the queue, held ones too */
	size_t	 held;			/* of those, on hold */
	size_t	 failed;		/* in failed/ */
	size_t	 account;		/* queued, not held, whose last
					   attempt failed for the account */
	size_t	 unreadable;		/* records that cannot be read */
	time_t	 oldest;		/* created, of the oldest queued
					   message not on hold; 0: none */
	char	 account_id[QUEUE_ID_LEN]; /* the first account fault */
	char	 account_error[256];	/* and its last error */
};

/* Count one record (failed: one in failed/). */
void	 monitor_health_add(struct monitor_health *, const struct queue_env *,
	    int failed);

/*
 * Count the messages of q.  A record that cannot be read counts as
 * unreadable; one gone meanwhile (delivered) does not count.  Errors:
 * the queue cannot be listed.
 */
int	 monitor_health_scan(struct monitor_health *, struct queue *,
	    struct postie_err *);

/*
 * Count the queue at dir, owned by the caller (a queue that does not
 * exist is empty) and, when drop is not NULL (root), every user's queue
 * in the drop spool at drop (queue_drop_entry), read only.  h is zeroed
 * first.  Errors: a queue or the spool cannot be read (the check is then
 * UNKNOWN).
 */
int	 monitor_health_read(struct monitor_health *, const char *dir,
	    const char *drop, struct postie_err *);

/*
 * The status at time now, with the thresholds warn and crit in seconds:
 * CRITICAL when a queued message's last attempt failed for its account
 * (credentials, TLS, the config) or the oldest queued message is older
 * than crit; else UNKNOWN when a record cannot be read; else WARNING when
 * a message is in failed/ or the oldest queued message is older than
 * warn; else OK.  A message on hold is counted but raises nothing.
 */
enum monitor_status monitor_health_status(const struct monitor_health *,
	    time_t now, long warn, long crit);

/*
 * The thresholds from --warn-age and --crit-age (0: not given): a
 * default yields to the other threshold given (--crit-age 30m alone
 * warns at 30m too).  Errors: EX_USAGE when both are given and warn is
 * the longer.
 */
int	 monitor_thresholds(long warn_given, long crit_given, long *warn,
	    long *crit, struct postie_err *);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *monitor_status_name(enum monitor_status);

/*
 * The check's one line, without a newline, into buf:
 * "POSTIE STATUS - N queued, N failed...; why | queued=N held=N failed=N
 * account=N unreadable=N oldest=Ns;WARN;CRIT;0".  Never holds '|'
 * before the perfdata.
 */
void	 monitor_health_line(char *buf, size_t bufsz,
	    const struct monitor_health *, time_t now, long warn, long crit);

/* The UNKNOWN line: "POSTIE UNKNOWN - why", '|' in why made '/'. */
void	 monitor_unknown_line(char *buf, size_t bufsz, const char *why);

#endif
