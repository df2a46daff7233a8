/* SPDX-License-Identifier: ISC */
/*
 * The sendmail command line: argv into a struct opts.  Checks the syntax
 * of option values and that nothing the user typed can inject a line
 * break; does not parse addresses, read the config or print anything.
 */
#ifndef POSTIE_OPTS_H
#define POSTIE_OPTS_H

#include <stdio.h>

#include "err.h"

enum opts_mode {
	OPTS_SEND = 0,		/* sendmail, postie: read a message, submit */
	OPTS_SERVE_SMTP,	/* -bs: SMTP on standard input and output */
	OPTS_HELP,		/* --help */
	OPTS_VERSION,		/* --version */
	OPTS_NEWALIASES,	/* newaliases, -bi: nothing to build */
	OPTS_SERVERINFO,	/* -S, --serverinfo */
	OPTS_CHECK_AUTH,	/* --check-auth */
	OPTS_QUEUE_LIST,	/* mailq, -bp */
	OPTS_QUEUE_FLUSH,	/* -q, -qIID */
	OPTS_QUEUE_REQUEUE,	/* --requeue ID */
	OPTS_CONFIG_CHECK,	/* --config-check */
	OPTS_QUEUE_HEALTH,	/* --health */
	OPTS_QUEUE_DELETE,	/* --delete ID, --delete failed */
	OPTS_QUEUE_HOLD,	/* --hold ID */
	OPTS_QUEUE_RELEASE,	/* --release ID */
	OPTS_LOGIN		/* --login [ACCOUNT] */
};

/* "SUCCESS,FAILURE,DELAY" at most, or "NEVER". */
#define OPTS_DSN_NOTIFY_MAX	32

/*
 * Strings point into argv (or into the struct), which must outlive it.
 * NULL when the option was not given.
 */
struct opts {
	enum opts_mode mode;
	const char *progname;		/* basename of argv[0] */
	int	 read_rcpts;		/* -t */
	int	 ignore_dots;		/* -i, -oi */
	int	 verbose;		/* -v, -d, --debug; counts */
	int	 pretend;		/* -P, --pretend, --dry-run */
	int	 read_envelope_from;	/* --read-envelope-from */
	const char *from;		/* -f, -r, --from; may be "" or "<>" */
	const char *full_name;		/* -F */
	const char *config;		/* -C, --file */
	const char *account;		/* -a, --account */
	const char *dsn_return;		/* -R: "FULL" or "HDRS" */
	const char *dsn_envid;		/* -V */
	const char *body_type;		/* -B: "7BIT" or "8BITMIME" */
	const char *queue_id;		/* -qIID, --requeue, --delete, --hold,
					   --release ID */
	int	 json;			/* --json (with mailq, -bp) */
	long	 warn_age;		/* --warn-age, seconds; 0: not given */
	long	 crit_age;		/* --crit-age, seconds; 0: not given */
	char	 dsn_notify_buf[OPTS_DSN_NOTIFY_MAX];
	const char *dsn_notify;		/* -N, upper case, or NULL */
	char	**rcpts;		/* recipient arguments, as given */
	int	 nrcpts;
	char *const *argv;		/* the arguments, argv[0] included */
	int	 argc;
};

/*
 * Parse a sendmail-compatible command line.  The mode comes from the
 * basename of argv[0] (mailq, newaliases; anything else sends) and from
 * the options.  Options and recipients may be mixed until "--"; single
 * letter options bundle as with getopt(3) ("-ti", "-tfroot").  Values
 * may be glued ("-fADDR") or separate ("-f ADDR").  Sendmail options
 * that make no sense for postie (-oXXX except -oi, -eX, -bm, -L, -U,
 * -h, -n, -m, -s, -X, -G, -A, -O, -p) are accepted and ignored.
 * Errors: EX_USAGE for an unknown option, a missing or bad value, CR or
 * LF in -f, -F, -a, -V or a recipient, recipients or -P with -bs, and
 * the reserved modes (-bv, -bt, -bd, -q with an interval) that postie
 * does not support; --json without mailq or -bp, --warn-age or
 * --crit-age without --health or with a value that is not a positive
 * NUMBER[s|m|h|d]; --login with more than one argument, or with one and
 * -a (its argument is the account: o->account).
 * Never prints; o is zeroed first.  On success the caller calls
 * opts_free(); on failure nothing is left to free.
 */
int	 opts_parse(struct opts *o, int argc, char **argv,
	    struct postie_err *);

/* Free what opts_parse allocated (the recipient vector). */
void	 opts_free(struct opts *o);

/* Print the usage text (every option, one line each) to fp. */
void	 opts_usage(FILE *fp);

#endif
