/*
 * Passwords that the config file does not give: netrc files (as ftp(1)
 * and msmtp read them) and a prompt on the controlling terminal.  Does
 * not run passwordeval (conf.c does) and does not speak SMTP.
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
 * The password for an account when it sets neither password nor
 * passwordeval: ~/.netrc ($HOME, else the password database), then
 * sys_netrc (may be NULL), by host and user; then, when prompt is set and
 * the process has a controlling terminal, readpassphrase(3) on /dev/tty
 * ("password for USER@HOST (account NAME): ", no echo).  Returns 0 with
 * the password in buf.  Errors: EX_CONFIG naming the account when
 * nothing gives a password, or a netrc error; EX_OSERR.  The caller
 * explicit_bzero()s buf.
 */
int	 secret_lookup(const struct account *, const char *sys_netrc,
	    int prompt, char *buf, size_t bufsz, struct postie_err *);

#endif
