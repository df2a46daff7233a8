/*
 * SASL mechanisms for SMTP AUTH (RFC 4954) as pure functions: given the
 * decoded challenge and the credentials, the next response.  Owns the
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
 * The mechanism to use.  want is the account's auth setting; offered is
 * the server's list (space-separated names, any case).  AUTH_ON picks the
 * first mechanism of the preference table (PLAIN, LOGIN) that the server
 * offers.  Errors: EX_UNAVAILABLE when the server offers nothing
 * suitable, listing what it offers; EX_CONFIG when want is a mechanism
 * postie does not implement.
 */
int	 sasl_choose(enum conf_auth want, const char *offered,
	    enum conf_auth *chosen, struct postie_err *);

struct sasl;

/*
 * Start an exchange for mech.  authzid may be NULL (empty: act as user).
 * The secret is copied (the caller wipes its own copy at once); the copy
 * is wiped as soon as the last step that needs it has run, and by
 * sasl_free.  Errors: EX_CONFIG (mechanism not implemented, or a user or
 * secret the mechanism cannot carry), EX_OSERR.
 */
int	 sasl_new(struct sasl **, enum conf_auth mech, const char *authzid,
	    const char *user, const char *secret, struct postie_err *);
/* 1 when the mechanism sends an initial response with the AUTH command. */
int	 sasl_has_initial(const struct sasl *);
/*
 * The next response, raw (not base64).  For a mechanism with an initial
 * response, the first call (chal NULL) yields it; each later call answers
 * one decoded server challenge.  Returns 1 with *out allocated (*outlen
 * bytes, NUL-terminated for convenience; the caller wipes and frees it
 * with sasl_wipe_free), 0 when the mechanism has nothing more to send (a
 * further challenge is the server's error), -1 on error (EX_OSERR).
 */
int	 sasl_step(struct sasl *, const unsigned char *chal, size_t chal_len,
	    unsigned char **out, size_t *outlen, struct postie_err *);
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
