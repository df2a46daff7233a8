/* SPDX-License-Identifier: ISC */
/*
 * HTTPS requests to OAuth 2.0 endpoints (RFC 6749): a form POSTed, a JSON
 * object back.  Owns libcurl and json-c: nothing else in postie speaks
 * HTTP or parses JSON.  Knows no tokens, grants or accounts (oauth.c and
 * login.c do).  Without the build's OAuth 2.0 support every call fails
 * with EX_CONFIG, naming the configure option.
 */
#ifndef POSTIE_HTTP_H
#define POSTIE_HTTP_H

#include "err.h"

struct http_opts {
	const char *trust_file;	/* CA certificates; NULL: system store */
	const char *trust_dir;	/* hashed directories (colon-separated)
				   for the system store; NULL: curl's */
	const char *proxy;	/* NULL: none (the environment's proxy
				   variables are read by sysenv, not here) */
	const char *no_proxy;	/* hosts that go without; NULL: none */
	long	 timeout;	/* seconds for the whole request */
};

/* A JSON object answer; opaque. */
struct http_json;

/*
 * POST body (application/x-www-form-urlencoded) to url, https only, not
 * following redirects, the server checked against o->trust_file.  On
 * success *status is the HTTP status and *jp the answer when it is a JSON
 * object (else NULL); the caller frees it with http_json_free.  The body
 * is not kept and appears in no message.  Errors: EX_TEMPFAIL (cannot
 * connect, timeout, a TLS or transfer failure: the endpoint is down or
 * unreachable), EX_PROTOCOL (the server's certificate failed
 * verification), EX_CONFIG (a trust file that cannot be read; a build
 * without OAuth 2.0), EX_DATAERR (an answer longer than
 * BOUND_OAUTH_ANSWER), EX_OSERR.
 */
int	 http_post_form(const struct http_opts *o, const char *url,
	    const char *body, long *status, struct http_json **jp,
	    struct postie_err *);

/* A string member of the object, or NULL; valid until http_json_free. */
const char *http_json_str(const struct http_json *, const char *key);
/*
 * A number member (an integer, or a string of digits, as some providers
 * send expires_in): 1 with *v, 0 when absent or not a number.
 */
int	 http_json_int(const struct http_json *, const char *key,
	    long long *v);
/* Wipe the object's strings and free it.  NULL is ignored. */
void	 http_json_free(struct http_json *);

#endif
