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
};

#endif
