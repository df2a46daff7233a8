/* SPDX-License-Identifier: ISC */
/*
 * The aliases file (msmtp's format, like /etc/aliases): local names mapped
 * to address lists, and their expansion in a recipient list.
 *
 *	# comment
 *	root: admin@example.org, "Ops Team" <ops@example.org>
 *	backup: tape@example.org,
 *		offsite@example.net
 *	default: catchall@example.org
 *
 * A line "name: targets" starts an entry; a line starting with space or
 * tab continues the target list of the entry before it; lines that are
 * blank or whose first non-blank character is "#" are ignored.  Targets
 * are an RFC 5322 address list (addr_parse_list).  Names are matched
 * without case.  "default" catches unqualified names not listed.
 */
#ifndef POSTIE_ALIASES_H
#define POSTIE_ALIASES_H

#include <stdio.h>
#include <sys/types.h>

#include "addr.h"
#include "err.h"

struct aliases;

/*
 * Open path, check it (aliases_check_perm), parse it and expand rcpts
 * (aliases_apply).  The file is read whether or not rcpts holds an
 * unqualified name, so that a broken file is always noticed.
 * Errors: EX_CONFIG "path: why" (missing, unreadable, refused),
 * EX_CONFIG "path:line: what" (syntax), EX_OSERR.
 */
int	 aliases_expand(const char *path, struct addr_list *rcpts,
	    struct postie_err *);

/*
 * Parse the aliases read from fp; name is used in messages ("name:line:
 * what").  The result is freed with aliases_free.  Errors: EX_CONFIG for a
 * line with no ":", an empty or malformed name, a name given twice, an
 * entry with no targets, a bad target list, a line too long
 * (BOUND_CONF_LINE), a continuation line before any entry; EX_IOERR when
 * reading fails; EX_OSERR.
 */
int	 aliases_parse(FILE *fp, const char *name, struct aliases **out,
	    struct postie_err *);

/*
 * The targets of local name (case-insensitive), or NULL when not listed.
 * "default" is an ordinary name here.  Owned by the aliases.
 */
const struct addr_list *aliases_lookup(const struct aliases *,
	    const char *local);

/*
 * Replace every unqualified spec in rcpts (no "@") that has an entry by
 * its targets; one without an entry by the "default" targets when there
 * is such an entry, or else leave it as it is (the caller qualifies or
 * rejects it).  Qualified specs are kept.  Order is kept and duplicates
 * are dropped.  One level only, as msmtp does: a target that is itself
 * an alias name is not expanded again.  Errors: EX_OSERR (rcpts is then
 * unchanged).
 */
int	 aliases_apply(const struct aliases *, struct addr_list *rcpts,
	    struct postie_err *);

void	 aliases_free(struct aliases *);

/*
 * Check the open aliases file fd before reading it.  It must be a
 * regular file.  When euid is 0 it must also not be writable by group or
 * others, and be owned by root (or euid); otherwise anyone able to write
 * it could redirect root's mail.  Errors: EX_CONFIG "name: why"; EX_OSERR
 * when fstat fails.
 */
int	 aliases_check_perm(int fd, uid_t euid, const char *name,
	    struct postie_err *);

#endif
