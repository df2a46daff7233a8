/* SPDX-License-Identifier: ISC */
/*
 * The metrics file (metrics_file): after a send or a flush, the queue of
 * the user running postie in the Prometheus text format, for
 * node_exporter's textfile collector, rewritten atomically; and the
 * state it needs that the queue records do not hold, the time of each
 * account's last success and last failure, in metrics.state in the queue
 * directory.  Learns what a run did by comparing the queue before and
 * after it (a message gone was delivered; one tried again or moved to
 * failed/ failed), plus what a direct send reports.  Writes no address
 * and no subject; owns no queue record (queue.c) and no config key
 * (conf.c).
 */
#ifndef POSTIE_METRICS_H
#define POSTIE_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "err.h"
#include "queue.h"
#include "sysenv.h"

/* The config label of messages sent through the default lookup. */
#define METRICS_DEFAULT_CONFIG	"default"
/* At most this many (config, account) pairs are kept and written. */
#define METRICS_MAX_ROWS	1024
/* The state file in the queue directory. */
#define METRICS_STATE_FILE	"metrics.state"

struct metrics;

/*
 * Begin a run whose outcome goes to the metrics file conf names
 * (conf_metrics_file for sys's user): opens (creating) the user's queue
 * (queue_default_dir) and notes what is in it.  *mp is NULL when conf
 * names no metrics file for this user.  Errors: those of queue_open,
 * EX_OSERR.
 */
int	 metrics_open(struct metrics **mp, const struct conf *conf,
	    struct sysenv *sys, struct postie_err *);

/*
 * The same for a flush: the config is config (an absolute path), or the
 * default lookup (conf_default_path) when NULL.  A config that cannot be
 * read names no metrics file: *mp is NULL.
 */
int	 metrics_open_config(struct metrics **mp, const char *config,
	    struct sysenv *sys, struct postie_err *);

/*
 * A direct send through account of config (NULL: the default lookup)
 * was delivered to every recipient (ok 1) or not (ok 0).  Ignored when
 * m is NULL.
 */
void	 metrics_outcome(struct metrics *m, const char *config,
	    const char *account, int ok);

/*
 * End the run at time now: each message noted at metrics_open that is
 * gone from the queue counts as a success of its account, each tried
 * again or moved to failed/ as a failure; metrics.state is updated
 * (under a lock on the queue directory, atomically) and the metrics file
 * rewritten: a temporary file beside it, fsync(2), mode 0644, rename(2).
 * m is freed, also on error; NULL does nothing.  Errors: EX_CANTCREAT,
 * EX_IOERR, EX_OSERR, naming the file.
 */
int	 metrics_close(struct metrics *m, time_t now, struct postie_err *);

/* What one (config, account) pair is written with. */
struct metrics_row {
	char	*config;		/* label: a path or "default" */
	char	*account;		/* label: "" when not prepared yet */
	size_t	 queued;		/* held ones too */
	size_t	 held;
	size_t	 failed;		/* in failed/ */
	time_t	 oldest;		/* created, oldest queued not held */
	time_t	 last_success;		/* 0: none known */
	time_t	 last_failure;
};

/*
 * Write rows in the exposition format to out: the HELP and TYPE of each
 * metric, then a sample per row labelled config and account (values
 * escaped: \\, \", \n), then unreadable and the time of writing, now.
 * Errors: EX_IOERR.
 */
int	 metrics_write(FILE *out, const struct metrics_row *rows, size_t n,
	    size_t unreadable, time_t now, struct postie_err *);

/*
 * Read the state file's lines ("config\taccount\tsuccess\tfailure") from
 * fp into rows (at most max; others are dropped); a malformed line is
 * skipped.  Returns the number read, -1 with EX_OSERR.  The caller frees
 * each row's strings.
 */
int	 metrics_state_read(FILE *fp, struct metrics_row *rows, size_t max,
	    struct postie_err *);

#endif
