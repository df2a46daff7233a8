/*
 * The password of an account, the one way postie gets one: the password
 * key, passwordeval (the first line a command prints), the netrc files
 * searched by host and login, then the terminal.  Secrets are kept in the
 * caller's buffer and every scratch copy is wiped.  Does not parse the
 * config and does not speak SMTP.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <readpassphrase.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "secret.h"

extern char **environ;

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

static const char *const env_keep[] = {
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "TERM", "DISPLAY",
	"WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
	"GNUPGHOME", "GPG_AGENT_INFO", "SSH_AUTH_SOCK",
};

static int
env_kept(const char *var)
{
	size_t i, len;

	if (strncmp(var, "LC_", 3) == 0 && strchr(var, '=') != NULL)
		return 1;
	for (i = 0; i < sizeof(env_keep) / sizeof(env_keep[0]); i++) {
		len = strlen(env_keep[i]);
		if (strncmp(var, env_keep[i], len) == 0 && var[len] == '=')
			return 1;
	}
	return 0;
}

static int
eval_fail(const struct account *a, int ex, const char *what,
    struct postie_err *err)
{
	err_setx(err, ex, "account %s: passwordeval failed: %s", a->name,
	    what);
	return -1;
}

/*
 * Read the first line of fd into buf (bufsz bytes, BOUND_SECRET at most).
 * Returns its length, -1 when it does not fit, -2 on a read error.  Sets
 * *closed_early when reading stopped before end of file.
 */
static ssize_t
read_first_line(int fd, char *buf, size_t bufsz, int *closed_early)
{
	size_t len = 0;
	ssize_t r;
	char *nl;

	*closed_early = 0;
	for (;;) {
		if (len == bufsz) {
			if (memchr(buf, '\n', len) == NULL)
				return -1;
			*closed_early = 1;
			break;
		}
		r = read(fd, buf + len, bufsz - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -2;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if ((nl = memchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	return (ssize_t)len;
}

static int
copy_secret(const struct account *a, char *out, size_t outsz,
    const char *buf, ssize_t len, struct postie_err *err)
{
	if (len == 0)
		return eval_fail(a, EX_CONFIG, "it printed no password", err);
	if ((size_t)len >= outsz)
		return eval_fail(a, EX_CONFIG, "password too long", err);
	memcpy(out, buf, (size_t)len);
	out[len] = '\0';
	return 1;
}

/*
 * The child stops at the first line when it prints more than BOUND_SECRET
 * bytes: dying of SIGPIPE then (or a shell reporting it, 128 + SIGPIPE)
 * is not a failure.
 */
static int
run_passwordeval(const struct account *a, char *out, size_t outsz,
    struct postie_err *err)
{
	char *argv[4], **envp = NULL, *buf = NULL, what[64];
	size_t nenv = 0, i;
	ssize_t len;
	pid_t pid;
	int pfd[2], status, devnull, closed_early, rc = -1;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		nenv++;
	if ((envp = calloc(nenv + 1, sizeof(*envp))) == NULL ||
	    (buf = malloc(BOUND_SECRET)) == NULL) {
		free(envp);
		err_setx(err, EX_OSERR, "out of memory");
		return -1;
	}
	for (i = 0, nenv = 0; environ != NULL && environ[i] != NULL; i++)
		if (env_kept(environ[i]))
			envp[nenv++] = environ[i];
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = a->passwordeval;
	argv[3] = NULL;

	if (pipe2(pfd, O_CLOEXEC) == -1) {
		err_set(err, EX_OSERR, "account %s: passwordeval: pipe",
		    a->name);
		goto out;
	}
	if ((pid = fork()) == -1) {
		err_set(err, EX_OSERR, "account %s: passwordeval: fork",
		    a->name);
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull == -1 || dup2(devnull, STDIN_FILENO) == -1 ||
		    dup2(pfd[1], STDOUT_FILENO) == -1)
			_exit(127);
		closefrom(STDERR_FILENO + 1);
		signal(SIGPIPE, SIG_DFL);
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	len = read_first_line(pfd[0], buf, BOUND_SECRET, &closed_early);
	close(pfd[0]);
	if (len < 0)
		kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			err_set(err, EX_OSERR, "account %s: passwordeval: "
			    "waitpid", a->name);
			goto out;
		}
	if (len == -1) {
		snprintf(what, sizeof(what), "output longer than %d bytes",
		    BOUND_SECRET);
		eval_fail(a, EX_CONFIG, what, err);
	} else if (len == -2)
		err_set(err, EX_OSERR, "account %s: passwordeval: read",
		    a->name);
	else if (closed_early && ((WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGPIPE) || (WIFEXITED(status) &&
	    WEXITSTATUS(status) == 128 + SIGPIPE)))
		rc = copy_secret(a, out, outsz, buf, len, err);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		snprintf(what, sizeof(what), "exit status %d",
		    WEXITSTATUS(status));
		eval_fail(a, EX_CONFIG, what, err);
	} else if (WIFSIGNALED(status)) {
		snprintf(what, sizeof(what), "killed by signal %d",
		    WTERMSIG(status));
		eval_fail(a, EX_CONFIG, what, err);
	} else
		rc = copy_secret(a, out, outsz, buf, len, err);
out:
	explicit_bzero(buf, BOUND_SECRET);
	free(buf);
	free(envp);
	return rc;
}

static int
home_netrc(char *path, size_t pathsz)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home == NULL || home[0] == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			return -1;
		home = pw->pw_dir;
	}
	if ((size_t)snprintf(path, pathsz, "%s/.netrc", home) >= pathsz)
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
secret_lookup(const struct account *a, const char *sys_netrc, int prompt,
    char *buf, size_t bufsz, struct postie_err *err)
{
	char path[4096];
	int r;

	buf[0] = '\0';
	if (a->user != NULL && a->host != NULL) {
		if (home_netrc(path, sizeof(path)) == 0 &&
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
secret_get(const struct account *a, const char *sys_netrc, int prompt,
    char *buf, size_t bufsz, struct postie_err *err)
{
	int r;

	if (bufsz > 0)
		buf[0] = '\0';
	if (a->password != NULL) {
		if (strlcpy(buf, a->password, bufsz) >= bufsz) {
			explicit_bzero(buf, bufsz);
			err_setx(err, EX_CONFIG, "account %s: password too "
			    "long", a->name);
			return -1;
		}
		return 0;
	}
	if (a->passwordeval != NULL) {
		r = run_passwordeval(a, buf, bufsz, err);
		return r == 1 ? 0 : -1;
	}
	return secret_lookup(a, sys_netrc, prompt, buf, bufsz, err);
}
