/* SPDX-License-Identifier: ISC */
/*
 * The configuration: msmtprc-compatible files, accounts, defaults and
 * inheritance.  Owns struct account; does not open connections or read
 * messages.
 */
#ifndef POSTIE_CONF_H
#define POSTIE_CONF_H

#include <sys/types.h>

#include <stdio.h>

#include "err.h"
#include "sysenv.h"

enum conf_auth {
	AUTH_OFF = 0,
	AUTH_ON,		/* the best mechanism both sides support */
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_CRAM_MD5,
	AUTH_SCRAM_SHA_1,
	AUTH_SCRAM_SHA_256,
	AUTH_XOAUTH2,
	AUTH_OAUTHBEARER,
	AUTH_EXTERNAL,
	AUTH_OAUTH2		/* on, for an account with oauth2_provider:
				   OAUTHBEARER or XOAUTH2 */
};

enum conf_oauth2_provider {
	OAUTH2_NONE = 0,
	OAUTH2_MICROSOFT,
	OAUTH2_GOOGLE,
	OAUTH2_CUSTOM
};

enum conf_set_from { SET_FROM_AUTO = 0, SET_FROM_ON, SET_FROM_OFF };
enum conf_set_to { SET_TO_OFF = 0, SET_TO_ON, SET_TO_UNDISCLOSED };

/*
 * One account with every key resolved (defaults and parents applied).
 * Strings are owned by the struct conf it came from; NULL when unset.
 */
/* A from of just this: the envelope sender is the From header's address. */
#define CONF_FROM_HEADER	"%F"

struct account {
	char	*name;
	char	*alias_of;		/* "account default : NAME": NAME;
					   else NULL */
	char	*file;			/* where it was defined */
	int	 line;

	char	*host;
	int	 port;			/* resolved: 465 implicit TLS, else
					   587 */
	char	*source_ip;
	int	 inet_protocols;	/* AF_UNSPEC (all), AF_INET (ipv4) or
					   AF_INET6 (ipv6) */
	char	*socket;		/* a Unix socket to connect to instead
					   of host and port; ~ expanded */
	char	*proxy_host;		/* SOCKS5 proxy */
	int	 proxy_port;		/* 0: 1080 */
	char	*domain;		/* EHLO argument (%H %C %M expanded);
					   NULL: FQDN */
	int	 timeout;		/* seconds, > 0 ("off":
					   BOUND_TIMEOUT_MAX) */

	int	 tls;			/* bool, default on */
	int	 tls_starttls;		/* bool, default on */
	int	 tls_certcheck;		/* bool, default on */
	char	*tls_trust_file;	/* NULL: system store; ~ expanded */
	unsigned char tls_fingerprint[32];	/* SHA-256 pin */
	int	 tls_has_fingerprint;
	char	*tls_cert_file;		/* ~ expanded */
	char	*tls_key_file;		/* ~ expanded */
	char	*tls_crl_file;		/* ~ expanded */
	char	*tls_host_override;	/* the name to verify; NULL: host */
	int	 tls_min_version;	/* OpenSSL constant, e.g.
					   TLS1_2_VERSION */
	int	 tls_session_cache;	/* bool, default on */
	int	 chunking;		/* bool, default on: BDAT if offered */

	enum conf_auth auth;		/* default: on when user is set */
	int	 allow_cleartext_auth;	/* bool, default off */
	char	*user;
	char	*password;		/* secret: never print */
	char	*passwordeval;

	/*
	 * OAuth 2.0 (oauth.c): the provider sets the endpoints and the
	 * scope, which the keys override; after parsing, token_url, scope
	 * and at least one of auth_url and device_url are set when the
	 * provider is.
	 */
	enum conf_oauth2_provider oauth2_provider;
	char	*oauth2_tenant;		/* microsoft; default "common" */
	char	*oauth2_client_id;
	char	*oauth2_client_secret;	/* secret: never print */
	char	*oauth2_auth_url;
	char	*oauth2_device_url;
	char	*oauth2_token_url;
	char	*oauth2_scope;
	char	*oauth2_token_file;	/* ~ expanded; NULL: the default
					   (oauth_token_path) */
	char	*oauth2_trust_file;	/* ~ expanded; NULL: system store */

	char	*from;			/* % patterns expanded; may hold
					   fnmatch(3) wildcards, or be
					   CONF_FROM_HEADER */
	char	*from_full_name;
	char	*maildomain;
	char	*aliases;		/* ~ expanded */
	int	 qualify_headers;	/* bool; default on if maildomain
					   or aliases is set */

	char	*logfile;		/* ~ expanded; "-": stdout */
	char	*logfile_time_format;
	int	 syslog_facility;	/* LOG_MAIL etc.; -1 when off */

	enum conf_set_from set_from_header;
	int	 set_date_header;	/* bool: add when missing */
	int	 set_msgid_header;	/* bool: add when missing */
	enum conf_set_to set_to_header;	/* with -t and no To/Cc left */
	int	 remove_bcc_headers;	/* bool, default on */
	int	 allow_from_override;	/* bool, default on */

	char	*dsn_notify;		/* NULL: none; else the SMTP NOTIFY=
					   value, e.g. "SUCCESS,FAILURE" */
	char	*dsn_return;		/* NULL: none; else "HDRS" or "FULL" */

	int	 queue;			/* bool, default on */
	long	 queue_lifetime;	/* seconds, default 5 days */
	int	 queue_flush;		/* bool, default on: flush after a send */
	long long max_message_size;	/* bytes, 0: no limit */

	int	 bounce;		/* bool, default on: failure notices */
	char	*bounce_to;		/* notices go here, not the sender */
	long	 delay_warning;		/* seconds; 0: off (default) */
	char	*fallback;		/* account names, one space apart;
					   NULL or "": none */
};

/* At most this many fallback accounts per account. */
#define CONF_FALLBACK_MAX	8

/*
 * The i-th name of a's fallback list into buf; 0 past the last (or when
 * it does not fit).
 */
int	 conf_fallback_name(const struct account *a, size_t i, char *buf,
	    size_t bufsz);

struct conf;

/*
 * Parse a config from fp; name is used in messages ("name:line: ...").
 * Settings before the first "defaults" or "account" line are an error.
 * Errors: EX_CONFIG with "name:line: what"; EX_IOERR (read error);
 * EX_OSERR.  Does not check permissions.  sys gives the home directory
 * for a leading ~ in file names and the values of the % patterns of from
 * and domain, expanded here: %U the login name, %H the host name, %C
 * the FQDN (sysenv_fqdn: may ask the DNS, once per sys), %M
 * /etc/mailname, else the FQDN.  An eval line is refused here (EX_CONFIG):
 * only conf_load runs it.  On success *confp is owned by the caller
 * (conf_free).
 */
int	 conf_parse(struct conf **confp, FILE *fp, const char *name,
	    struct sysenv *sys, struct postie_err *);

/*
 * Open and parse path (symbolic links are followed).  The checks are made
 * on the open descriptor: it must be a regular file; a file that sets
 * password (in any account or in defaults) and is readable or writable by
 * group or others is refused (EX_CONFIG, saying "chmod 600 FILE").  Run
 * as root (euid 0), a file owned by another user or writable by group or
 * others is refused; for other users, a file writable by others is.
 * An eval line (msmtp's: the line is replaced by the first line the
 * command prints, helper_first_line under the account's timeout) runs
 * only from a file owned by the effective user and writable by neither
 * group nor others; elsewhere it is an error.  Errors: EX_CONFIG (syntax,
 * permissions, missing or unreadable file, an eval that failed or was
 * refused), EX_TEMPFAIL (an eval that did not answer in time), EX_IOERR,
 * EX_OSERR.
 */
int	 conf_load(struct conf **confp, const char *path, struct sysenv *sys,
	    struct postie_err *);

/*
 * The file to read when -C is not given: $XDG_CONFIG_HOME/postie/config,
 * or ~/.config/postie/config when XDG_CONFIG_HOME is unset, empty or
 * relative (sysenv_xdg_config_home, sysenv_home), when it exists; else
 * sysconf_path when it exists.  Errors: EX_CONFIG when neither exists,
 * naming both, or when the path does not fit in buf.
 */
int	 conf_default_path(char *buf, size_t bufsz, const char *sysconf_path,
	    const struct sysenv *sys, struct postie_err *);

/*
 * Account by name; NULL when there is none.  "account default : NAME"
 * defines an account named "default" that inherits every setting of NAME.
 */
const struct account *conf_account(const struct conf *, const char *name);
/*
 * The first account in file order whose from matches addr (fnmatch(3)
 * wildcards, case-insensitive; addr matches as given or with a +tag in
 * its local part removed); NULL when none.
 */
const struct account *conf_account_for_from(const struct conf *,
	    const char *addr);
size_t	 conf_naccounts(const struct conf *);
const struct account *conf_account_at(const struct conf *, size_t i);
/*
 * Warnings collected while parsing (msmtp keys postie ignores because
 * ignoring them changes nothing), "FILE:LINE: ..."; NULL past the last.
 */
const char *conf_warning(const struct conf *, size_t i);
void	 conf_free(struct conf *);

/*
 * The metrics_file of the defaults (an absolute path), when the file
 * was parsed from a stream or belongs to euid: the metrics file
 * describes the queue of the user running postie, who is the one to
 * name it; NULL otherwise or when unset.
 */
const char *conf_metrics_file(const struct conf *, uid_t euid);

/*
 * Checks made before an account is used: a host is set; auth (other than
 * external) has a user; auth external has a client certificate;
 * tls_cert_file and tls_key_file come together; oauth2_provider has a
 * client id and auth on, xoauth2 or oauthbearer (google: a client
 * secret too).  Errors: EX_CONFIG with
 * "FILE:LINE: account NAME: what" (LINE of the account line).
 */
int	 conf_check_account(const struct account *, struct postie_err *);

/*
 * Print the effective settings of an account as "key value" lines,
 * starting with "account NAME"; the password is shown as "[hidden]".
 */
void	 conf_print_account(const struct account *, FILE *);

#endif
