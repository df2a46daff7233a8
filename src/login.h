/* SPDX-License-Identifier: ISC */
/*
 * postie --login: the first sign-in of an account with an OAuth 2.0
 * provider, which stores the refresh token.  The device authorization
 * grant (RFC 8628) where the provider has a device endpoint, else the
 * authorization code grant with PKCE (RFC 7636) and a loopback redirect
 * (RFC 8252 7.3).  Owns the terminal dialogue and the loopback listener;
 * the token file and the forms are oauth.c's.
 */
#ifndef POSTIE_LOGIN_H
#define POSTIE_LOGIN_H

#include <stdio.h>

#include "conf.h"
#include "err.h"
#include "sysenv.h"

/*
 * Sign account a in and store its tokens (oauth_token_save).  What the
 * user must do goes to out; with the code grant, a redirect address
 * pasted on in (a line, may be NULL) is taken as the browser's, for a
 * browser on another machine.  On success *pathbuf (pathsz bytes) names
 * the token file.  Errors: EX_NOPERM (the user or provider denied), 
 * EX_TEMPFAIL (the code expired, no answer within BOUND_OAUTH_LOGIN
 * seconds, the endpoint is down), EX_PROTOCOL (a state that does not
 * match, a malformed answer), EX_CONFIG (no oauth2_provider, an
 * endpoint's refusal), http_post_form's and oauth_token_save's codes.
 */
int	 login_run(const struct account *a, const struct sysenv *sys,
	    FILE *in, FILE *out, char *pathbuf, size_t pathsz,
	    struct postie_err *);

#endif
