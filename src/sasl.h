/* SPDX-License-Identifier: ISC */
/*
 * SASL mechanisms for SMTP AUTH (RFC 4954) as pure functions: given the
 * decoded challenge and the credentials, the next response.  PLAIN
 * (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), SCRAM-SHA-1, SCRAM-SHA-256 and
 * SCRAM-SHA-256-PLUS (RFC 5802, 7677, 9266), XOAUTH2, OAUTHBEARER
 * (RFC 7628) and EXTERNAL (RFC 4422 appendix A).  Owns the
 * table of mechanisms in order of preference and base64.  Does not read
 * or write the connection, and never formats a secret into a message.
 */
#ifndef POSTIE_SASL_H
#define POSTIE_SASL_H

#include <stddef.h>

#include "conf.h"
#include "err.h"

/* "PLAIN", "CRAM-MD5", ... for every mechanism value; NULL otherwise. */
const char *sasl_mech_name(enum conf_auth);
/* 1 when postie implements the mechanism. */
int	 sasl_mech_supported(enum conf_auth);

/* 1 when the space-separated list offered holds name (no case). */
int	 sasl_offered(const char *offered, const char *name);

/*
 * The mechanism to use, as the name sent with AUTH (a static string).
 * want is the account's auth setting; offered is the server's list
 * (space-separated names, any case); cbind is 1 when the connection can
 * give channel binding data.  AUTH_ON picks the first offered of
 * SCRAM-SHA-256-PLUS (only with cbind), SCRAM-SHA-256, SCRAM-SHA-1,
 * CRAM-MD5, PLAIN, LOGIN; XOAUTH2, OAUTHBEARER and EXTERNAL are used only
 * when asked for; AUTH_OAUTH2 picks OAUTHBEARER, else XOAUTH2.
 * AUTH_SCRAM_SHA_256 is SCRAM-SHA-256-PLUS when it is offered and cbind
 * is 1.  Errors: EX_UNAVAILABLE when the server offers
 * nothing suitable, listing what it offers; EX_CONFIG when want is not a
 * mechanism.
 */
int	 sasl_choose(enum conf_auth want, const char *offered, int cbind,
	    const char **mech, struct postie_err *);

struct sasl;

/*
 * Start an exchange for mech (a name as sasl_choose gives, any case).
 * authzid may be NULL (empty: act as user).  user may be NULL for
 * EXTERNAL only (it is sent as the authorization identity when set).  The
 * secret (a password, or an OAuth 2.0 access token for XOAUTH2 and
 * OAUTHBEARER; unused by EXTERNAL) is copied (the caller wipes its own
 * copy at once); the copy is wiped as soon as the last step that needs it
 * has run, and by sasl_free.  Errors: EX_CONFIG (unknown mechanism, or a
 * user or secret the mechanism cannot carry: SCRAM takes printable ASCII
 * only, since postie does not implement SASLprep), EX_OSERR.
 */
int	 sasl_new(struct sasl **, const char *mech, const char *authzid,
	    const char *user, const char *secret, struct postie_err *);
/*
 * Channel binding data of the connection (type "tls-exporter" or
 * "tls-unique", data copied).  Required by the -PLUS mechanisms; given to
 * SCRAM-SHA-256 it makes the client say it supports channel binding
 * (RFC 5802 6, "y"), which lets a server offering -PLUS detect a
 * downgrade.  Call before the first step.  Errors: EX_OSERR.
 */
int	 sasl_set_cbind(struct sasl *, const char *type,
	    const unsigned char *data, size_t len, struct postie_err *);
/* The server's host and port, sent by OAUTHBEARER (RFC 7628 3.1). */
int	 sasl_set_host(struct sasl *, const char *host, int port,
	    struct postie_err *);
/*
 * Use nonce (printable ASCII without ',') as the SCRAM client nonce
 * instead of a random one (RFC test vectors).  Errors: EX_SOFTWARE.
 */
int	 sasl_set_nonce(struct sasl *, const char *nonce, struct postie_err *);
/* The name the exchange was started with ("SCRAM-SHA-256-PLUS"). */
const char *sasl_name(const struct sasl *);
/* 1 for XOAUTH2 and OAUTHBEARER. */
int	 sasl_is_oauth(const struct sasl *);
/* 1 when the mechanism sends an initial response with the AUTH command. */
int	 sasl_has_initial(const struct sasl *);
/*
 * 1 for PLAIN and EXTERNAL: the whole exchange is the initial response,
 * no security layer, and a failure is a plain reply, never a challenge
 * that needs an answer.  RFC 4954 4 lets only such a mechanism lead a
 * pipelined group (RFC 2920); XOAUTH2 and OAUTHBEARER answer a failure
 * with a challenge, the others need several steps.
 */
int	 sasl_one_round(const struct sasl *);
/*
 * The next response, raw (not base64).  For a mechanism with an initial
 * response, the first call (chal NULL) yields it; each later call answers
 * one decoded server challenge.  Returns 1 with *out allocated (*outlen
 * bytes, NUL-terminated for convenience; the caller wipes and frees it
 * with sasl_wipe_free), 0 when the mechanism has nothing more to send (a
 * further challenge is the server's error), -1 on error: EX_PROTOCOL for
 * a malformed challenge, EX_NOPERM when a SCRAM server's signature is
 * wrong (it does not know the password: an impostor) or it sends "e=",
 * EX_OSERR.  After -1 the exchange is over (cancel it with "*").
 * An OAuth 2.0 error challenge (RFC 7628 3.2.2, JSON) is answered with
 * the dummy response (0x01 for OAUTHBEARER, empty for XOAUTH2) and its
 * status kept for sasl_oauth_status.
 */
int	 sasl_step(struct sasl *, const unsigned char *chal, size_t chal_len,
	    unsigned char **out, size_t *outlen, struct postie_err *);
/*
 * 1 when the server has proved what the mechanism makes it prove (SCRAM:
 * its signature was checked), so that a success reply can be believed;
 * 1 for mechanisms without a server proof.
 */
int	 sasl_complete(const struct sasl *);
/*
 * The "status" of an OAuth 2.0 error challenge ("invalid_token", "400"),
 * sanitized, or the challenge itself shortened when it has none; NULL
 * when no error challenge came.
 */
const char *sasl_oauth_status(const struct sasl *);
void	 sasl_free(struct sasl *);

/* explicit_bzero len bytes of p, then free it. */
void	 sasl_wipe_free(void *p, size_t len);

/* Base64 (RFC 4648) of len bytes into a new NUL-terminated *out. */
int	 sasl_b64_encode(const unsigned char *in, size_t len, char **out,
	    struct postie_err *);
/*
 * Decode strictly (alphabet, padding, length a multiple of 4) into a new
 * *out of *outlen bytes (NUL-terminated).  Errors: EX_PROTOCOL, EX_OSERR.
 */
int	 sasl_b64_decode(const char *in, size_t len, unsigned char **out,
	    size_t *outlen, struct postie_err *);

#endif
