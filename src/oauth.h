/* SPDX-License-Identifier: ISC */
/*
 * OAuth 2.0 access tokens for XOAUTH2 and OAUTHBEARER (RFC 6749, 7628):
 * the token file of an account, the refresh grant, the lock that lets
 * concurrent postie processes refresh once between them, and the pure
 * parts the login flows share (PKCE, RFC 7636; URLs and forms; the
 * token endpoint's answer).  Does not talk to a browser or a terminal
 * (login.c does) or speak SMTP.
 */
#ifndef POSTIE_OAUTH_H
#define POSTIE_OAUTH_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "bounds.h"
#include "conf.h"
#include "err.h"
#include "http.h"
#include "sysenv.h"

/* What the token file holds.  Secret: wipe with explicit_bzero. */
struct oauth_token {
	char	 refresh[BOUND_OAUTH_TOKEN];
	char	 access[BOUND_OAUTH_TOKEN];	/* "" when none */
	long long expires;		/* the access token's end, seconds
					   since the epoch; 0: unknown */
};

/*
 * The token file, "postie-oauth2 1" then "refresh_token T",
 * "access_token T" and "expires N" lines (unknown keys are errors).  name
 * is for messages.  Errors: EX_CONFIG ("name:line: what", never the
 * token), EX_IOERR.
 */
int	 oauth_token_parse(FILE *fp, const char *name, struct oauth_token *,
	    struct postie_err *);
/* Write the same format; -1 when writing failed. */
int	 oauth_token_format(FILE *fp, const struct oauth_token *);

/*
 * 1 when the access token must be refreshed before use at now: none, or
 * less than BOUND_OAUTH_MARGIN seconds left.
 */
int	 oauth_needs_refresh(const struct oauth_token *, time_t now);

/*
 * The account's token file: oauth2_token_file, else, keyed by the
 * config file's name and the account (as the queue is; "account default
 * : NAME" is NAME), for a config under SYSCONFDIR (the system's)
 * LOCALSTATEDIR/lib/postie/oauth/, otherwise $XDG_STATE_HOME/postie/oauth/
 * (~/.local/state when unset), named ACCOUNT-HASH where HASH is the first
 * 16 hex digits of the SHA-256 of the config's absolute name.  Errors:
 * EX_CONFIG (no home, name too long).
 */
int	 oauth_token_path(const struct account *, const struct sysenv *,
	    char *buf, size_t bufsz, struct postie_err *);

/*
 * Read the token file at path: 1 with *t, 0 when it does not exist.
 * The checks are made on the open descriptor: a regular file owned by the
 * euid that group and others cannot read or write, else EX_CONFIG
 * ("chmod 600 PATH").  Errors: EX_CONFIG, EX_IOERR.
 */
int	 oauth_token_load(const char *path, struct oauth_token *,
	    struct postie_err *);
/*
 * Replace the token file atomically: a temporary file (mode 0600) in the
 * same directory, written, fsync'ed, renamed over path, the directory
 * fsync'ed.  Missing directories are made with mode 0700.  Errors:
 * EX_CANTCREAT, EX_IOERR.
 */
int	 oauth_token_save(const char *path, const struct oauth_token *,
	    struct postie_err *);

/*
 * The name to give postie --login for the account: for "account default
 * : NAME", NAME (they share the token file).
 */
const char *oauth_login_name(const struct account *);

/*
 * How to reach the provider: oauth2_trust_file, else the system's store
 * ($SSL_CERT_FILE and $SSL_CERT_DIR when set); the proxy (from sys).
 */
void	 oauth_http_opts(const struct account *, const struct sysenv *,
	    struct http_opts *);

/*
 * The account's access token into buf, for AUTH: the cached one while it
 * has BOUND_OAUTH_MARGIN seconds left, else refreshed (grant_type
 * refresh_token) under an exclusive lock on PATH.lock, the file re-read
 * once the lock is held so that concurrent processes refresh once; a new
 * refresh token the provider sends is saved (oauth_token_save) before
 * the access token is returned.  now is the current time.  Errors:
 *   EX_CONFIG    no token file, or the provider refused the refresh
 *                token (invalid_grant: consent revoked or expired), the
 *                message then saying "run postie --login ACCOUNT", or
 *                the client (invalid_client and the like);
 *   EX_TEMPFAIL  the token endpoint is unreachable or answered 5xx or
 *                429, or the lock was not had within the timeout;
 *   EX_PROTOCOL  an answer without an access token;
 *   http_post_form's, oauth_token_load's and oauth_token_save's codes.
 * No message holds a token.  The caller explicit_bzero()s buf.
 */
int	 oauth_access_token(const struct account *, const struct sysenv *,
	    time_t now, char *buf, size_t bufsz, struct postie_err *);

/*
 * Drop the cached access token (the server refused it), so that the next
 * use refreshes.  Best effort: failures are ignored.
 */
void	 oauth_forget_access(const struct account *, const struct sysenv *);

/*
 * Read a token endpoint's answer (RFC 6749 5.1, 5.2) into t: 0 with the
 * access token, its end (now + expires_in, an hour when absent) and the
 * refresh token when one came (else t->refresh is kept).  Otherwise -1
 * with the endpoint's error code in errcode ("" when none) and e set:
 * EX_CONFIG for a 4xx with an error (invalid_grant and others),
 * EX_TEMPFAIL for 5xx and 429, EX_PROTOCOL for anything else.  t may be
 * NULL to read an error only.
 */
int	 oauth_token_answer(long status, const struct http_json *, time_t now,
	    struct oauth_token *t, char *errcode, size_t errcodesz,
	    struct postie_err *);

/*
 * The "client_id" (and "client_secret" when set) members of a request
 * body, appended to buf.  -1 when buf is too small.
 */
int	 oauth_form_client(char *buf, size_t bufsz, const struct account *);
/*
 * Append "key=value" to a form (RFC 6749 appendix B: value
 * percent-encoded, "&" before it unless buf is empty).  Returns 0, -1
 * when buf is too small (buf is then cut back to what it was).
 */
int	 oauth_form_add(char *buf, size_t bufsz, const char *key,
	    const char *value);

/*
 * The authorization request URL (RFC 6749 4.1.1 with RFC 7636 4.3):
 * oauth2_auth_url with response_type=code, client_id, redirect_uri,
 * scope, state, code_challenge and code_challenge_method=S256 (for Google
 * also access_type=offline and prompt=consent, which make it send a
 * refresh token).  -1 when buf is too small.
 */
int	 oauth_authorize_url(const struct account *, const char *redirect_uri,
	    const char *state, const char *challenge, char *buf,
	    size_t bufsz);

/*
 * The value of name in the query of url (after "?", before "#"),
 * percent-decoded ("+" as space): 1 with it in buf, 0 when absent, -1
 * when it does not fit or decodes to a control character.
 */
int	 oauth_query_param(const char *url, const char *name, char *buf,
	    size_t bufsz);

/*
 * A PKCE code verifier (RFC 7636 4.1: 64 characters of the unreserved
 * set, from the system's random source) or a random "state" value into
 * buf.  Errors: EX_SOFTWARE (bufsz below 65), EX_OSERR.
 */
int	 oauth_random(char *buf, size_t bufsz, struct postie_err *);
/*
 * The S256 code challenge of verifier (RFC 7636 4.2: base64url of its
 * SHA-256, no padding; 43 characters) into buf.  -1 when buf is too
 * small.
 */
int	 oauth_pkce_challenge(const char *verifier, char *buf, size_t bufsz);

#endif
