/* SPDX-License-Identifier: ISC */
/*
 * What the process takes from its surroundings: the environment, the
 * effective uid and its password database entry, the host's name.  Read
 * once, by cmd/ (sysenv_load), and passed down; nothing else reads the
 * environment.  At the bottom of the library: knows no other module.
 */
#ifndef POSTIE_SYSENV_H
#define POSTIE_SYSENV_H

#include <sys/types.h>

#include "err.h"

struct sysenv;

/*
 * Read the process's environment (environ) and the password database
 * entry of the effective uid.  The host's name is not looked up here
 * (sysenv_hostname, sysenv_fqdn).  On success *envp is owned by the
 * caller (sysenv_free).  Errors: EX_OSERR (memory).
 */
int	 sysenv_load(struct sysenv **envp, struct postie_err *);

/*
 * The same from vars, a NULL-terminated array of "NAME=value" strings
 * (an environ of one's own; NULL is an empty one; the first of two
 * equal names counts, as for getenv), as if the effective uid were euid.
 * Errors: EX_OSERR.
 */
int	 sysenv_load_from(struct sysenv **envp, const char *const *vars,
	    uid_t euid, struct postie_err *);

void	 sysenv_free(struct sysenv *);

/*
 * The values, owned by the struct and valid until sysenv_free.  A value
 * that is unset, empty or (where the rule says absolute) relative is
 * NULL.
 */
uid_t	 sysenv_euid(const struct sysenv *);
/* $HOME, else the password database's directory of the euid; or NULL. */
const char *sysenv_home(const struct sysenv *);
/*
 * The login name: the password database's name for the euid, else
 * $LOGNAME, else $USER; or NULL.
 */
const char *sysenv_login(const struct sysenv *);
/* $XDG_CONFIG_HOME, $XDG_STATE_HOME, $XDG_CACHE_HOME: absolute only. */
const char *sysenv_xdg_config_home(const struct sysenv *);
const char *sysenv_xdg_state_home(const struct sysenv *);
const char *sysenv_xdg_cache_home(const struct sysenv *);
/* $TMPDIR, else "/tmp": never NULL. */
const char *sysenv_tmpdir(const struct sysenv *);
/* $POSTIE_QUEUE_DIR and $POSTIE_DROP_DIR: absolute only. */
const char *sysenv_queue_dir(const struct sysenv *);
const char *sysenv_drop_dir(const struct sysenv *);
/*
 * OpenSSL's certificate variables (X509_get_default_cert_dir_env(),
 * X509_get_default_cert_file_env(): SSL_CERT_DIR, SSL_CERT_FILE) as
 * set, empty included; NULL when unset.
 */
const char *sysenv_cert_dir(const struct sysenv *);
const char *sysenv_cert_file(const struct sysenv *);

/*
 * The proxy for HTTPS (the OAuth 2.0 endpoints): $https_proxy, else
 * $HTTPS_PROXY, else $all_proxy, else $ALL_PROXY; and the hosts that go
 * without it: $no_proxy, else $NO_PROXY.  NULL when none is set or all
 * are empty.
 */
const char *sysenv_https_proxy(const struct sysenv *);
const char *sysenv_no_proxy(const struct sysenv *);

/*
 * The host name (gethostname), looked up on the first call only.
 * Errors: EX_OSERR (gethostname failed, or the name is empty), the same
 * on every call.
 */
const char *sysenv_hostname(struct sysenv *, struct postie_err *);

/*
 * This host's fully qualified name, worked out on the first call only
 * (no lookup happens before): the host name when it holds a dot, else
 * the resolver's canonical name for it (getaddrinfo AI_CANONNAME) when
 * that holds one, else the host name.  Errors: those of sysenv_hostname.
 */
const char *sysenv_fqdn(struct sysenv *, struct postie_err *);

#endif
