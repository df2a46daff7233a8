/*
 * One submission job: from the parsed command line, the config and stdin
 * to the account, the envelope and the message that would be submitted.
 * Does not touch the network.
 */
#ifndef POSTIE_JOB_H
#define POSTIE_JOB_H

#include <stdio.h>

#include "addr.h"
#include "conf.h"
#include "err.h"
#include "msg.h"

struct opts;

struct job {
	struct conf *conf;		/* owned */
	const struct account *acct;	/* points into conf */
	char	*config_path;		/* the file read, owned */
	struct msg *msg;		/* owned */
	char	*from;			/* envelope sender, "" = null sender */
	struct addr_list rcpts;		/* envelope recipients, qualified */
	int	 verbose;
	const char *dsn_notify;		/* from -N or the account, or NULL */
	const char *dsn_return;		/* from -R or the account, or NULL */
	const char *dsn_envid;		/* from -V, or NULL */
	const char *body_type;		/* from -B, or NULL */
	char	 note[POSTIE_ERR_MSG];	/* for -v: what was ignored, or "" */
};

/*
 * Read the config (-C or the default path) into job->conf, choosing no
 * account: for a queue flush, which uses each message's own account.
 * Errors: those of conf_load.
 */
int	 job_load_conf(struct job *, const struct opts *, struct postie_err *);

/*
 * This host's fully qualified name (gethostname, then the resolver's
 * canonical name when the host name has no dot).  Errors: EX_OSERR.
 */
int	 job_fqdn(char *buf, size_t bufsz, struct postie_err *);

/*
 * Load the config (-C, else conf_default_path with SYSCONFDIR
 * "/postie.conf") and choose the account: -a NAME, else the first
 * account whose from matches -f, else "default"; then conf_check_account.
 * For --serverinfo and --check-auth: reads no message.  job is zeroed
 * first; call job_free whatever the result.
 * Errors: EX_CONFIG (missing or bad config, unknown account, no account
 * chosen), EX_OSERR.
 */
int	 job_load_account(struct job *, const struct opts *,
	    struct postie_err *);

/*
 * Everything before the network: config and account (as above, the From
 * header's address standing in for -f with --read-envelope-from), the
 * message read from stdin_fd (a lone "." ends it only when stdin_fd is a
 * terminal and -i was not given), the envelope sender, the recipients
 * (arguments split as address lists; with -t also those of the headers;
 * aliases; qualification with maildomain) and the header edits (Bcc
 * removal, To, From, Date, Message-ID, qualify_headers).  job is zeroed
 * first; call job_free whatever the result.  On EX_DATAERR job->msg, when
 * not NULL, holds the refused input (the whole of it, see msg_read_keep)
 * and job->acct the account, for deliver_refused.
 * Errors: EX_USAGE (bad -f or recipient argument, no recipients, too
 * many), EX_DATAERR (bad message or header address), EX_NOUSER
 * (unqualified recipient without alias or maildomain), EX_CONFIG,
 * EX_IOERR, EX_CANTCREAT, EX_OSERR.
 */
int	 job_prepare(struct job *, const struct opts *, int stdin_fd,
	    struct postie_err *);

/*
 * --pretend: the config file, the account settings (secrets hidden), one
 * "envelope from: <x>" line, one "envelope to: <x>" line per recipient,
 * the DSN and body settings when set, a separator line, then the message
 * as it would be sent (LF line ends, before dot-stuffing).
 * Errors: EX_IOERR.
 */
int	 job_print(const struct job *, FILE *, struct postie_err *);

/* The separator line job_print writes before the message. */
#define JOB_PRINT_SEPARATOR	"----- message -----"

/*
 * --config-check: load the config as a send would (-C or the default
 * path) and print to fp its path, its warnings, then for each account
 * (only -a NAME when given) its effective settings as job_print shows
 * them (secrets hidden) followed by one "problem: ..." line per problem
 * found (conf_check_account; aliases, trust, certificate and key files
 * that cannot be read), then which account a send without -a uses.
 * passwordeval is not run and nothing is sent.  *nproblems is set to the
 * number of problems.  Errors (the config cannot be read at all): those
 * of conf_load; EX_IOERR when writing to fp fails.
 */
int	 job_config_check(const struct opts *, FILE *, size_t *nproblems,
	    struct postie_err *);

void	 job_free(struct job *);

#endif
