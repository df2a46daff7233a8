/*
 * The configuration: msmtprc-compatible files, accounts, defaults and
 * inheritance.  Owns struct account; does not open connections or read
 * messages.
 */
#ifndef POSTIE_CONF_H
#define POSTIE_CONF_H

#include <stdio.h>

#include "err.h"

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
	AUTH_EXTERNAL
};

enum conf_set_from { SET_FROM_AUTO = 0, SET_FROM_ON, SET_FROM_OFF };
enum conf_set_to { SET_TO_OFF = 0, SET_TO_ON, SET_TO_UNDISCLOSED };

/*
 * One account with every key resolved (defaults and parents applied).
 * Strings are owned by the struct conf it came from; NULL when unset.
 */
struct account {
	char	*name;
	char	*file;			/* where it was defined */
	int	 line;

	char	*host;
	int	 port;			/* resolved: 465 implicit TLS, else 587 */
	char	*source_ip;
	char	*domain;		/* EHLO argument; NULL: FQDN */
	int	 timeout;		/* seconds, > 0 */

	int	 tls;			/* bool, default on */
	int	 tls_starttls;		/* bool, default on */
	int	 tls_certcheck;		/* bool, default on */
	char	*tls_trust_file;	/* NULL: system store */
	unsigned char tls_fingerprint[32];	/* SHA-256 pin */
	int	 tls_has_fingerprint;
	char	*tls_cert_file;
	char	*tls_key_file;
	int	 tls_min_version;	/* OpenSSL constant, e.g. TLS1_2_VERSION */

	enum conf_auth auth;		/* default: on when user is set */
	int	 allow_cleartext_auth;	/* bool, default off */
	char	*user;
	char	*password;		/* secret: never print */
	char	*passwordeval;

	char	*from;			/* % patterns expanded */
	char	*from_full_name;
	char	*maildomain;
	char	*aliases;
	int	 qualify_headers;	/* bool; default on if maildomain or aliases */

	char	*logfile;
	char	*logfile_time_format;
	int	 syslog_facility;	/* LOG_MAIL etc.; -1 when off */

	enum conf_set_from set_from_header;
	int	 set_date_header;	/* bool: add when missing */
	int	 set_msgid_header;	/* bool: add when missing */
	enum conf_set_to set_to_header;	/* with -t and no To/Cc left */
	int	 remove_bcc_headers;	/* bool, default on */
	int	 allow_from_override;	/* bool, default on */

	char	*dsn_notify;		/* NULL: none */
	char	*dsn_return;		/* NULL: none */

	int	 queue;			/* bool, default on */
	long	 queue_lifetime;	/* seconds, default 5 days */
	long long max_message_size;	/* bytes, 0: no limit */
};

struct conf;

/*
 * Parse a config from fp; name is used in messages ("name:line: ...").
 * Errors: EX_CONFIG with "name:line: what".  Does not check permissions.
 * On success *confp is owned by the caller (conf_free).
 */
int	 conf_parse(struct conf **confp, FILE *fp, const char *name,
	    struct postie_err *);

/*
 * Open and parse path.  The permission check is made on the open
 * descriptor: a file that sets password and is readable or writable by
 * group or others is refused (EX_CONFIG, saying "chmod 600 FILE").
 * Errors: EX_CONFIG (syntax, permissions), EX_NOINPUT (missing file),
 * EX_OSERR.
 */
int	 conf_load(struct conf **confp, const char *path, struct postie_err *);

/*
 * The file to read when -C is not given: $XDG_CONFIG_HOME/postie/config
 * (home from $HOME or the password database), else sysconf_path when it
 * exists.  Errors: EX_CONFIG when neither exists, naming both.
 */
int	 conf_default_path(char *buf, size_t bufsz, const char *sysconf_path,
	    struct postie_err *);

/* Account by name; NULL when there is none.  "default" follows the alias. */
const struct account *conf_account(const struct conf *, const char *name);
/*
 * The first account whose from matches addr (shell wildcards; a +tag in the
 * local part of addr is ignored); NULL when none.
 */
const struct account *conf_account_for_from(const struct conf *,
	    const char *addr);
size_t	 conf_naccounts(const struct conf *);
const struct account *conf_account_at(const struct conf *, size_t i);
/* Warnings collected while parsing (harmless unknown msmtp keys), or NULL. */
const char *conf_warning(const struct conf *, size_t i);
void	 conf_free(struct conf *);

/*
 * The password of an account into buf: the password key, else the first
 * line printed by passwordeval (run with /bin/sh -c, stderr passed
 * through; a non-zero exit is an error).  Returns 1 when found, 0 when
 * the account has neither, -1 on error (EX_CONFIG or EX_OSERR, never
 * containing the secret).  The caller explicit_bzero()s buf.
 */
int	 conf_password(const struct account *, char *buf, size_t bufsz,
	    struct postie_err *);

/* Print the effective settings of an account, secrets hidden. */
void	 conf_print_account(const struct account *, FILE *);

#endif
