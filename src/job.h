/* SPDX-License-Identifier: ISC */
/*
 * One submission job: from the parsed command line, the config and stdin
 * to the account, the envelope and the message that would be submitted.
 * Does not touch the network.
 */
#ifndef POSTIE_JOB_H
#define POSTIE_JOB_H

#include <stdio.h>

#include "conf.h"
#include "envelope.h"
#include "err.h"
#include "msg.h"
#include "sysenv.h"

struct opts;

struct job {
	struct conf *conf;		/* owned */
	const struct account *acct;	/* points into conf */
	char	*config_path;		/* the file read, owned */
	char	*config_arg;		/* -C made absolute, NULL: default */
	struct msg *msg;		/* owned */
	struct envelope env;		/* sender, recipients, DSN, BODY */
	int	 verbose;
	char	 note[POSTIE_ERR_MSG];	/* for -v: what was ignored, or "" */
	struct sysenv *sys;		/* the process's surroundings, not
					   owned */
};

/*
 * Each function that fills a job takes sys, the process's surroundings
 * (home, login name, this host's name...), and keeps it in job->sys; sys
 * must outlive the job.
 */

/*
 * Read the config (-C or the default path) into job->conf, choosing no
 * account: for a queue flush, which uses each message's own account.
 * Errors: those of conf_load.
 */
int	 job_load_conf(struct job *, const struct opts *, struct sysenv *sys,
	    struct postie_err *);

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
	    struct sysenv *sys, struct postie_err *);

/*
 * Everything before the network.  The message is read first, from
 * stdin_fd (a lone "." ends it only when stdin_fd is a terminal and -i
 * was not given), so that a config that cannot be read costs no mail.
 * Then the config and account (as above, the From header's address
 * standing in for -f with --read-envelope-from), the envelope sender,
 * the recipients (arguments split as address lists; with -t also those
 * of the headers; aliases; an unqualified name gets maildomain, else
 * this host's name) and the header edits (Bcc removal, To, From, Date,
 * Message-ID, qualify_headers).  job is zeroed first; call job_free
 * whatever the result.  On failure job->msg, when not NULL, holds the
 * message as read (for EX_DATAERR at input, the whole refused input,
 * see msg_read_keep) and job->acct the account when one was chosen, so
 * that the caller can keep it.
 * Errors: EX_USAGE (bad -f or recipient argument, no recipients, too
 * many), EX_DATAERR (bad message or header address), EX_CONFIG,
 * EX_IOERR, EX_CANTCREAT, EX_OSERR.
 */
int	 job_prepare(struct job *, const struct opts *, struct sysenv *sys,
	    int stdin_fd, struct postie_err *);

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
int	 job_config_check(const struct opts *, struct sysenv *sys, FILE *,
	    size_t *nproblems, struct postie_err *);

/*
 * The -C path as the queue records it: made absolute against the working
 * directory, symbolic links not resolved (the name the user gave).
 * *out is newly allocated.  Errors: EX_OSERR.
 */
int	 job_config_arg(const char *path, char **out, struct postie_err *);

void	 job_free(struct job *);

#endif
