/* SPDX-License-Identifier: ISC */
/*
 * The password of an account, the one way postie gets one: the password
 * key, passwordeval (a helper run under a deadline, its first line read),
 * the netrc files searched by host and login, then the terminal.  Secrets
 * are kept in the caller's buffer and every scratch copy is wiped.  Does
 * not parse the config and does not speak SMTP.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <readpassphrase.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "helper.h"
#include "secret.h"

struct netrc_tok {
	FILE	*fp;
	const char *name;
	char	*buf;
	size_t	 bufsz;
};

/*
 * The next token into t->buf.  Returns 1, 0 at the end of the file, -1 on
 * error.
 */
static int
netrc_token(struct netrc_tok *t, struct postie_err *err)
{
	size_t n = 0;
	int c, quoted = 0;

	while ((c = getc(t->fp)) != EOF && isspace(c))
		;
	if (c == EOF)
		goto eof;
	if (c == '"') {
		quoted = 1;
		c = getc(t->fp);
	}
	for (; c != EOF; c = getc(t->fp)) {
		if (quoted && c == '"')
			break;
		if (!quoted && isspace(c)) {
			/* A macdef reads on from the end of its line. */
			ungetc(c, t->fp);
			break;
		}
		if (quoted && c == '\\' && (c = getc(t->fp)) == EOF)
			break;
		if (n + 1 >= t->bufsz) {
			explicit_bzero(t->buf, t->bufsz);
			err_setx(err, EX_CONFIG, "%s: token longer than %zu "
			    "bytes", t->name, t->bufsz - 1);
			return -1;
		}
		t->buf[n++] = (char)c;
	}
	t->buf[n] = '\0';
	if (c == EOF && ferror(t->fp))
		goto eof;
	return 1;
eof:
	if (ferror(t->fp)) {
		err_set(err, EX_IOERR, "%s: read", t->name);
		return -1;
	}
	t->buf[0] = '\0';
	return 0;
}

/* A macdef body: the rest of the line, then lines up to an empty one. */
static void
netrc_skip_macdef(FILE *fp)
{
	int c, prev = '\n';

	while ((c = getc(fp)) != EOF && c != '\n')
		;
	while ((c = getc(fp)) != EOF) {
		if (c == '\n' && prev == '\n')
			return;
		prev = c;
	}
}

int
secret_netrc_find(FILE *fp, const char *name, const char *host,
    const char *login, char *buf, size_t bufsz, struct postie_err *err)
{
	struct netrc_tok t;
	char *tok, *elogin = NULL;
	int r, in = 0, match = 0, found = 0, has_pw = 0;

	buf[0] = '\0';
	if ((tok = malloc(bufsz)) == NULL) {
		err_set(err, EX_OSERR, "%s", name);
		return -1;
	}
	t.fp = fp;
	t.name = name;
	t.buf = tok;
	t.bufsz = bufsz;
	for (;;) {
		if ((r = netrc_token(&t, err)) == -1)
			goto out;
		if (r == 0 || strcmp(tok, "machine") == 0 ||
		    strcmp(tok, "default") == 0) {
			/* The entry before is complete. */
			if (in && match && has_pw && (elogin == NULL ||
			    strcmp(elogin, login) == 0)) {
				found = 1;
				break;
			}
			free(elogin);
			elogin = NULL;
			has_pw = 0;
			explicit_bzero(buf, bufsz);
			if (r == 0)
				break;
			in = 1;
			if (strcmp(tok, "default") == 0)
				match = 1;
			else {
				if ((r = netrc_token(&t, err)) == -1)
					goto out;
				match = r == 1 && strcasecmp(tok, host) == 0;
			}
			continue;
		}
		if (strcmp(tok, "macdef") == 0) {
			if ((r = netrc_token(&t, err)) == -1)
				goto out;
			netrc_skip_macdef(fp);
			continue;
		}
		if (strcmp(tok, "login") == 0 || strcmp(tok, "password") == 0 ||
		    strcmp(tok, "account") == 0) {
			int what = (unsigned char)tok[0];

			if ((r = netrc_token(&t, err)) == -1)
				goto out;
			if (r == 0)
				continue;
			if (what == 'l') {
				free(elogin);
				if ((elogin = strdup(tok)) == NULL) {
					err_set(err, EX_OSERR, "%s", name);
					r = -1;
					goto out;
				}
			} else if (what == 'p') {
				strlcpy(buf, tok, bufsz);
				has_pw = 1;
			}
		}
		/* Anything else is a word ftp(1) knows and postie skips. */
	}
	r = found;
out:
	if (r != 1)
		explicit_bzero(buf, bufsz);
	explicit_bzero(tok, bufsz);
	free(tok);
	free(elogin);
	return r;
}

int
secret_netrc_file(const char *path, int private, const char *host,
    const char *login, char *buf, size_t bufsz, struct postie_err *err)
{
	struct stat st;
	FILE *fp;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		err_set(err, EX_CONFIG, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		err_set(err, EX_IOERR, "%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_setx(err, EX_CONFIG, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (private && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		err_setx(err, EX_CONFIG, "%s: holds passwords but is "
		    "accessible by group or others; chmod 600 %s", path,
		    path);
		close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		err_set(err, EX_OSERR, "%s", path);
		close(fd);
		return -1;
	}
	r = secret_netrc_find(fp, path, host, login, buf, bufsz, err);
	fclose(fp);
	return r;
}

static int
secret_eval(const struct account *a, char *out, size_t outsz,
    struct postie_err *err)
{
	char who[BOUND_PATH + BOUND_DOMAIN + 64];
	size_t max = outsz - 1 < BOUND_SECRET ? outsz - 1 : BOUND_SECRET;

	snprintf(who, sizeof(who), "passwordeval of account %s (%s:%d)",
	    a->name, a->file != NULL ? a->file : "?", a->line);
	if (helper_first_line(a->passwordeval, who, a->timeout, out, max + 1,
	    err) == -1)
		return -1;
	if (out[0] == '\0') {
		err_setx(err, EX_CONFIG, "%s printed no password", who);
		return -1;
	}
	return 0;
}

static int
home_netrc(const char *home, char *path, size_t pathsz)
{
	if (home == NULL ||
	    (size_t)snprintf(path, pathsz, "%s/.netrc", home) >= pathsz)
		return -1;
	return 0;
}

/* 1 with a password read from the terminal, 0 when there is none. */
static int
secret_prompt(const struct account *a, char *buf, size_t bufsz,
    struct postie_err *err)
{
	char prompt[BOUND_DOMAIN + BOUND_PATH + 64];
	int fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return 0;
	close(fd);
	snprintf(prompt, sizeof(prompt), "password for %s@%s (account %s): ",
	    a->user, a->host, a->name);
	if (readpassphrase(prompt, buf, bufsz, RPP_REQUIRE_TTY) == NULL) {
		explicit_bzero(buf, bufsz);
		err_set(err, EX_OSERR, "account %s: reading the password "
		    "from the terminal", a->name);
		return -1;
	}
	if (buf[0] == '\0') {
		err_setx(err, EX_CONFIG, "account %s: no password entered",
		    a->name);
		return -1;
	}
	return 1;
}

/* ~/.netrc, the system netrc, then the terminal. */
static int
secret_lookup(const struct account *a, const char *home,
    const char *sys_netrc, int prompt, char *buf, size_t bufsz,
    struct postie_err *err)
{
	char path[4096];
	int r;

	buf[0] = '\0';
	if (a->user != NULL && a->host != NULL) {
		if (home_netrc(home, path, sizeof(path)) == 0 &&
		    (r = secret_netrc_file(path, 1, a->host, a->user, buf,
		    bufsz, err)) != 0)
			goto done;
		if (sys_netrc != NULL &&
		    (r = secret_netrc_file(sys_netrc, 0, a->host, a->user,
		    buf, bufsz, err)) != 0)
			goto done;
	}
	if (prompt && a->user != NULL && a->host != NULL &&
	    (r = secret_prompt(a, buf, bufsz, err)) != 0)
		goto done;
	err_setx(err, EX_CONFIG, "account %s: no password for %s@%s: set "
	    "password or passwordeval, add it to ~/.netrc, or run postie "
	    "on a terminal to be asked", a->name,
	    a->user != NULL ? a->user : "?", a->host != NULL ? a->host : "?");
	return -1;
done:
	if (r == -1) {
		explicit_bzero(buf, bufsz);
		err_prefix(err, "account %s: ", a->name);
		return -1;
	}
	return 0;
}

int
secret_get(const struct account *a, const char *home, const char *sys_netrc,
    int prompt, char *buf, size_t bufsz, struct postie_err *err)
{
	if (bufsz == 0) {
		err_setx(err, EX_SOFTWARE, "account %s: no room for a password",
		    a->name);
		return -1;
	}
	buf[0] = '\0';
	if (a->password != NULL) {
		if (strlcpy(buf, a->password, bufsz) >= bufsz) {
			explicit_bzero(buf, bufsz);
			err_setx(err, EX_CONFIG, "account %s (%s:%d): password "
			    "longer than %zu bytes", a->name,
			    a->file != NULL ? a->file : "?", a->line,
			    bufsz - 1);
			return -1;
		}
		return 0;
	}
	if (a->passwordeval != NULL)
		return secret_eval(a, buf, bufsz, err);
	return secret_lookup(a, home, sys_netrc, prompt, buf, bufsz, err);
}
