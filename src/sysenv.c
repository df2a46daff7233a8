/* SPDX-License-Identifier: ISC */
/*
 * The process's surroundings, read once: the environment variables
 * postie heeds, the effective uid and what the password database says
 * of it, and the host's name and FQDN, looked up when first asked for.
 * The one place that reads the environment and decides what an unset,
 * empty or relative value means.  Does not create or check directories.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "bounds.h"
#include "err.h"
#include "resolve.h"
#include "sysenv.h"

#ifndef HOST_NAME_MAX
#define HOST_NAME_MAX	255
#endif

extern char **environ;

struct sysenv {
	uid_t	 euid;
	char	*home;
	char	*login;
	char	*xdg_config_home;
	char	*xdg_state_home;
	char	*xdg_cache_home;
	char	*tmpdir;
	char	*queue_dir;
	char	*drop_dir;
	char	*cert_dir;
	char	*cert_file;
	char	*https_proxy;
	char	*no_proxy;

	/* Looked up on first use; the outcome, failure included, kept. */
	int	 host_done;
	char	*hostname;
	struct postie_err host_err;
	int	 fqdn_done;
	char	*fqdn;
	struct postie_err fqdn_err;
};

/* The value of name in vars (the first one), or NULL. */
static const char *
var(const char *const *vars, const char *name)
{
	size_t len = strlen(name);

	for (; vars != NULL && *vars != NULL; vars++)
		if (strncmp(*vars, name, len) == 0 && (*vars)[len] == '=')
			return *vars + len + 1;
	return NULL;
}

/*
 * The first of the names that is set and not empty, as curl looks them
 * up (the lower-case name first).
 */
static const char *
first_var(const char *const *vars, const char *const *names)
{
	const char *v;

	for (; *names != NULL; names++)
		if ((v = var(vars, *names)) != NULL && v[0] != '\0')
			return v;
	return NULL;
}

/* Non-empty, else NULL. */
static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Absolute, else NULL (the XDG Base Directory rule). */
static const char *
absolute(const char *s)
{
	return s != NULL && s[0] == '/' ? s : NULL;
}

/* *dst = a copy of src (NULL stays NULL); -1 when out of memory. */
static int
keep(char **dst, const char *src)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return -1;
	return 0;
}

int
sysenv_load(struct sysenv **envp, struct postie_err *e)
{
	return sysenv_load_from(envp, (const char *const *)environ,
	    geteuid(), e);
}

int
sysenv_load_from(struct sysenv **envp, const char *const *vars, uid_t euid,
    struct postie_err *e)
{
	struct sysenv *s;
	struct passwd *pw;
	static const char *const proxy_names[] = { "https_proxy",
	    "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL };
	static const char *const no_proxy_names[] = { "no_proxy",
	    "NO_PROXY", NULL };
	const char *home, *login, *tmpdir;
	int rc;

	*envp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	s->euid = euid;
	pw = getpwuid(euid);
	if ((home = nonempty(var(vars, "HOME"))) == NULL && pw != NULL)
		home = nonempty(pw->pw_dir);
	/* One rule for the login name: the database, then the variables. */
	if (pw == NULL || (login = nonempty(pw->pw_name)) == NULL) {
		if ((login = nonempty(var(vars, "LOGNAME"))) == NULL)
			login = nonempty(var(vars, "USER"));
	}
	if ((tmpdir = nonempty(var(vars, "TMPDIR"))) == NULL)
		tmpdir = "/tmp";
	rc = keep(&s->home, home) | keep(&s->login, login) |
	    keep(&s->xdg_config_home, absolute(var(vars, "XDG_CONFIG_HOME"))) |
	    keep(&s->xdg_state_home, absolute(var(vars, "XDG_STATE_HOME"))) |
	    keep(&s->xdg_cache_home, absolute(var(vars, "XDG_CACHE_HOME"))) |
	    keep(&s->tmpdir, tmpdir) |
	    keep(&s->queue_dir, absolute(var(vars, "POSTIE_QUEUE_DIR"))) |
	    keep(&s->drop_dir, absolute(var(vars, "POSTIE_DROP_DIR"))) |
	    keep(&s->cert_dir, var(vars, X509_get_default_cert_dir_env())) |
	    keep(&s->cert_file, var(vars, X509_get_default_cert_file_env())) |
	    keep(&s->https_proxy, first_var(vars, proxy_names)) |
	    keep(&s->no_proxy, first_var(vars, no_proxy_names));
	if (rc != 0) {
		sysenv_free(s);
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	*envp = s;
	return 0;
}

void
sysenv_free(struct sysenv *s)
{
	if (s == NULL)
		return;
	free(s->home);
	free(s->login);
	free(s->xdg_config_home);
	free(s->xdg_state_home);
	free(s->xdg_cache_home);
	free(s->tmpdir);
	free(s->queue_dir);
	free(s->drop_dir);
	free(s->cert_dir);
	free(s->cert_file);
	free(s->https_proxy);
	free(s->no_proxy);
	free(s->hostname);
	free(s->fqdn);
	free(s);
}

uid_t
sysenv_euid(const struct sysenv *s)
{
	return s->euid;
}

const char *
sysenv_home(const struct sysenv *s)
{
	return s->home;
}

const char *
sysenv_login(const struct sysenv *s)
{
	return s->login;
}

const char *
sysenv_xdg_config_home(const struct sysenv *s)
{
	return s->xdg_config_home;
}

const char *
sysenv_xdg_state_home(const struct sysenv *s)
{
	return s->xdg_state_home;
}

const char *
sysenv_xdg_cache_home(const struct sysenv *s)
{
	return s->xdg_cache_home;
}

const char *
sysenv_tmpdir(const struct sysenv *s)
{
	return s->tmpdir;
}

const char *
sysenv_queue_dir(const struct sysenv *s)
{
	return s->queue_dir;
}

const char *
sysenv_drop_dir(const struct sysenv *s)
{
	return s->drop_dir;
}

const char *
sysenv_cert_dir(const struct sysenv *s)
{
	return s->cert_dir;
}

const char *
sysenv_cert_file(const struct sysenv *s)
{
	return s->cert_file;
}

const char *
sysenv_https_proxy(const struct sysenv *s)
{
	return s->https_proxy;
}

const char *
sysenv_no_proxy(const struct sysenv *s)
{
	return s->no_proxy;
}

const char *
sysenv_hostname(struct sysenv *s, struct postie_err *e)
{
	char host[HOST_NAME_MAX + 1];

	if (!s->host_done) {
		s->host_done = 1;
		if (gethostname(host, sizeof(host)) == -1)
			err_set(&s->host_err, EX_OSERR, "gethostname");
		else {
			host[sizeof(host) - 1] = '\0';
			if (host[0] == '\0')
				err_setx(&s->host_err, EX_OSERR, "this host "
				    "has no name");
			else if ((s->hostname = strdup(host)) == NULL)
				err_set(&s->host_err, EX_OSERR,
				    "out of memory");
		}
	}
	if (s->hostname == NULL)
		*e = s->host_err;
	return s->hostname;
}

/*
 * The canonical name of host when it holds a dot, else host; host too
 * when the lookup takes longer than BOUND_FQDN_LOOKUP.
 */
static char *
fqdn_of(const char *host)
{
	struct addrinfo hints, *res = NULL;
	char *fqdn;

	if (strchr(host, '.') != NULL)
		return strdup(host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_CANONNAME;
	if (resolve(host, NULL, &hints, BOUND_FQDN_LOOKUP * 1000, &res) == 0 &&
	    res != NULL && res->ai_canonname != NULL &&
	    strchr(res->ai_canonname, '.') != NULL)
		fqdn = strdup(res->ai_canonname);
	else
		fqdn = strdup(host);
	if (res != NULL)
		freeaddrinfo(res);
	return fqdn;
}

const char *
sysenv_fqdn(struct sysenv *s, struct postie_err *e)
{
	const char *host;

	if (!s->fqdn_done) {
		s->fqdn_done = 1;
		if ((host = sysenv_hostname(s, &s->fqdn_err)) != NULL &&
		    (s->fqdn = fqdn_of(host)) == NULL)
			err_set(&s->fqdn_err, EX_OSERR, "out of memory");
	}
	if (s->fqdn == NULL)
		*e = s->fqdn_err;
	return s->fqdn;
}
