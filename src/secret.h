/* SPDX-License-Identifier: ISC */
/*
 * The password of an account, from wherever it comes: the password key,
 * passwordeval, netrc files (as ftp(1) and msmtp read them) and a prompt
 * on the controlling terminal.  secret_get() is the one way in; the netrc
 * reader is public for its tests.  Does not parse the config and does
 * not speak SMTP.
 */
#ifndef POSTIE_SECRET_H
#define POSTIE_SECRET_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "err.h"

/*
 * Search a netrc read from fp (named name in messages) for the password
 * of login at host: the first "machine" entry whose name is host (no
 * case) or the "default" entry, whose login is login (an entry without
 * a login matches any), and that has a password.  Tokens are separated
 * by white space; a token may be quoted with "" (backslash escapes the
 * next character); "macdef" bodies are skipped up to an empty line.
 * Returns 1 with the password in buf, 0 when no entry matches, -1 on
 * error (EX_CONFIG: a token longer than bufsz - 1 bytes; EX_IOERR).  The
 * caller explicit_bzero()s buf.
 */
int	 secret_netrc_find(FILE *fp, const char *name, const char *host,
	    const char *login, char *buf, size_t bufsz, struct postie_err *);

/*
 * secret_netrc_find on the file at path; 0 when it does not exist.  With
 * private set, a file readable or writable by group or others is refused
 * (EX_CONFIG, "chmod 600").  Errors: EX_CONFIG, EX_IOERR.
 */
int	 secret_netrc_file(const char *path, int private, const char *host,
	    const char *login, char *buf, size_t bufsz, struct postie_err *);

/*
 * The password of an account into buf (bufsz bytes), the first of:
 *
 *  1. the password key;
 *  2. passwordeval: "/bin/sh -c COMMAND" with stdin from /dev/null, our
 *     stderr, our environment as it is (postie keeps no secret there),
 *     in a process group of its own (given the terminal while it runs
 *     when ours has it, so that it may ask there).  The first line it
 *     prints is the password (LF ends it, a CR before it is dropped);
 *     reading stops there.  It may then exit by itself for a moment
 *     (its exit status then counts: not 0 is an error), else its process
 *     group is killed, which is no error.  The line must come within
 *     the account's timeout, else the group is killed;
 *  3. home/.netrc (home is the user's directory, sysenv_home; NULL:
 *     none), then sys_netrc (may be NULL), by host and user;
 *  4. when prompt is set and the process has a controlling terminal,
 *     readpassphrase(3) on /dev/tty ("password for USER@HOST (account
 *     NAME): ", no echo).
 *
 * SIGCHLD is at its default while a helper runs (and restored after), so
 * a caller that ignores it does not lose the helper's status; not for
 * threaded callers.  Returns 0 with the password in buf, -1 on error with
 * buf wiped:
 *   EX_TEMPFAIL  passwordeval did not answer within the timeout ("...
 *                did not answer within N s"), naming the account and the
 *                file:line of its definition;
 *   EX_CONFIG    a password longer than bufsz - 1 (or BOUND_SECRET)
 *                bytes; passwordeval exited non-zero, was killed by a
 *                signal not ours, or printed an empty first line; nothing
 *                gives a password; a netrc error;
 *   EX_IOERR, EX_OSERR.
 * No message holds the secret.  The caller explicit_bzero()s buf.
 */
int	 secret_get(const struct account *, const char *home,
	    const char *sys_netrc, int prompt, char *buf, size_t bufsz,
	    struct postie_err *);

#endif
