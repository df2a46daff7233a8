/*
 * SASL mechanisms as pure functions of (challenge, credentials) ->
 * response, their order of preference, and base64 through OpenSSL.  The
 * session (smtp.c) sends and traces; this file never sees the network and
 * keeps the only copy of the secret it is given, wiping it early.
 * A new mechanism is one step function and one row in mechs[].
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <openssl/evp.h>

#include "sasl.h"

struct sasl_mech {
	enum conf_auth id;
	const char *name;
	int	 initial;	/* sends an initial response (RFC 4954) */
	int	 last_secret;	/* the step after which the secret is wiped */
	int	(*step)(struct sasl *, const unsigned char *chal,
		    size_t chal_len, unsigned char **out, size_t *outlen,
		    struct postie_err *);
};

struct sasl {
	const struct sasl_mech *mech;
	int	 nstep;		/* steps run so far */
	char	*authzid;
	char	*user;
	char	*secret;	/* NULL once wiped */
	size_t	 secretlen;
};

static int plain_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);
static int login_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);

/* Implemented mechanisms, most preferred first: what "auth on" tries. */
static const struct sasl_mech mechs[] = {
	{ AUTH_PLAIN, "PLAIN", 1, 0, plain_step },
	{ AUTH_LOGIN, "LOGIN", 0, 1, login_step },
};
#define NMECHS	(sizeof(mechs) / sizeof(mechs[0]))

static const struct {
	enum conf_auth id;
	const char *name;
} names[] = {
	{ AUTH_PLAIN, "PLAIN" },
	{ AUTH_LOGIN, "LOGIN" },
	{ AUTH_CRAM_MD5, "CRAM-MD5" },
	{ AUTH_SCRAM_SHA_1, "SCRAM-SHA-1" },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256" },
	{ AUTH_XOAUTH2, "XOAUTH2" },
	{ AUTH_OAUTHBEARER, "OAUTHBEARER" },
	{ AUTH_EXTERNAL, "EXTERNAL" },
};

const char *
sasl_mech_name(enum conf_auth id)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].id == id)
			return names[i].name;
	return NULL;
}

static const struct sasl_mech *
mech_byid(enum conf_auth id)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (mechs[i].id == id)
			return &mechs[i];
	return NULL;
}

int
sasl_mech_supported(enum conf_auth id)
{
	return mech_byid(id) != NULL;
}

int
sasl_offered(const char *offered, const char *name)
{
	size_t n = strlen(name), len;
	const char *p = offered;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

int
sasl_choose(enum conf_auth want, const char *offered, enum conf_auth *chosen,
    struct postie_err *err)
{
	const char *name;
	size_t i;

	if (offered == NULL)
		offered = "";
	if (want == AUTH_ON) {
		for (i = 0; i < NMECHS; i++) {
			if (sasl_offered(offered, mechs[i].name)) {
				*chosen = mechs[i].id;
				return 0;
			}
		}
		err_setx(err, EX_UNAVAILABLE, "the server offers no "
		    "authentication mechanism that postie supports "
		    "(offered: %s; supported: PLAIN LOGIN)",
		    offered[0] != '\0' ? offered : "none");
		return -1;
	}
	if ((name = sasl_mech_name(want)) == NULL) {
		err_setx(err, EX_SOFTWARE, "sasl_choose: bad mechanism %d",
		    (int)want);
		return -1;
	}
	if (!sasl_mech_supported(want)) {
		err_setx(err, EX_CONFIG, "auth %s is not supported by postie "
		    "(supported: plain, login, on)", name);
		return -1;
	}
	if (!sasl_offered(offered, name)) {
		err_setx(err, EX_UNAVAILABLE, "the server does not offer "
		    "AUTH %s (offered: %s)", name,
		    offered[0] != '\0' ? offered : "none");
		return -1;
	}
	*chosen = want;
	return 0;
}

void
sasl_wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

static void
sasl_wipe_secret(struct sasl *s)
{
	if (s->secret == NULL)
		return;
	sasl_wipe_free(s->secret, s->secretlen + 1);
	s->secret = NULL;
	s->secretlen = 0;
}

int
sasl_new(struct sasl **sp, enum conf_auth id, const char *authzid,
    const char *user, const char *secret, struct postie_err *err)
{
	const struct sasl_mech *mech;
	struct sasl *s;

	*sp = NULL;
	if ((mech = mech_byid(id)) == NULL) {
		err_setx(err, EX_CONFIG, "auth %s is not supported by postie",
		    sasl_mech_name(id) != NULL ? sasl_mech_name(id) : "?");
		return -1;
	}
	if (user == NULL || user[0] == '\0') {
		err_setx(err, EX_CONFIG, "AUTH %s needs a user name",
		    mech->name);
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->user = strdup(user)) == NULL ||
	    (s->authzid = strdup(authzid != NULL ? authzid : "")) == NULL ||
	    (s->secret = strdup(secret != NULL ? secret : "")) == NULL) {
		err_set(err, EX_OSERR, "AUTH %s", mech->name);
		sasl_free(s);
		return -1;
	}
	s->secretlen = strlen(s->secret);
	s->mech = mech;
	*sp = s;
	return 0;
}

int
sasl_has_initial(const struct sasl *s)
{
	return s->mech->initial;
}

int
sasl_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	int rv;

	*out = NULL;
	*outlen = 0;
	rv = s->mech->step(s, chal, chal_len, out, outlen, err);
	if (rv == 1 && s->nstep >= s->mech->last_secret)
		sasl_wipe_secret(s);
	s->nstep++;
	return rv;
}

void
sasl_free(struct sasl *s)
{
	if (s == NULL)
		return;
	sasl_wipe_secret(s);
	if (s->user != NULL)
		sasl_wipe_free(s->user, strlen(s->user));
	if (s->authzid != NULL)
		sasl_wipe_free(s->authzid, strlen(s->authzid));
	free(s);
}

/* A response of the given pieces joined, allocated, NUL-terminated. */
static int
response_join(unsigned char **out, size_t *outlen, const char *const *parts,
    const size_t *lens, size_t n, struct postie_err *err)
{
	size_t i, total = 0, off = 0;
	unsigned char *buf;

	for (i = 0; i < n; i++)
		total += lens[i];
	if ((buf = malloc(total + 1)) == NULL) {
		err_set(err, EX_OSERR, "AUTH");
		return -1;
	}
	for (i = 0; i < n; i++) {
		memcpy(buf + off, parts[i], lens[i]);
		off += lens[i];
	}
	buf[total] = '\0';
	*out = buf;
	*outlen = total;
	return 1;
}

/* RFC 4616: authzid NUL authcid NUL passwd, sent as the initial response. */
static int
plain_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	const char *parts[5];
	size_t lens[5];

	if (s->nstep > 0 || s->secret == NULL)
		return 0;
	parts[0] = s->authzid;
	lens[0] = strlen(s->authzid);
	parts[1] = "";
	lens[1] = 1;
	parts[2] = s->user;
	lens[2] = strlen(s->user);
	parts[3] = "";
	lens[3] = 1;
	parts[4] = s->secret;
	lens[4] = s->secretlen;
	return response_join(out, outlen, parts, lens, 5, err);
}

/*
 * LOGIN (draft-murchison-sasl-login): the user name, then the password,
 * each answering a challenge.  Servers word the prompts differently, so
 * the answer goes by position, not by the challenge text.
 */
static int
login_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	const char *part;
	size_t len;

	if (s->nstep == 0) {
		part = s->user;
		len = strlen(s->user);
	} else if (s->nstep == 1 && s->secret != NULL) {
		part = s->secret;
		len = s->secretlen;
	} else
		return 0;
	return response_join(out, outlen, &part, &len, 1, err);
}

int
sasl_b64_encode(const unsigned char *in, size_t len, char **out,
    struct postie_err *err)
{
	size_t outsz;

	*out = NULL;
	if (len > (size_t)INT_MAX / 4 * 3 - 3) {
		err_setx(err, EX_SOFTWARE, "base64: input too long");
		return -1;
	}
	outsz = (len + 2) / 3 * 4 + 1;
	if ((*out = malloc(outsz)) == NULL) {
		err_set(err, EX_OSERR, "base64");
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)*out, in, (int)len);
	(*out)[outsz - 1] = '\0';
	return 0;
}

int
sasl_b64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen, struct postie_err *err)
{
	size_t i, pad = 0;
	unsigned char c;
	int n;

	*out = NULL;
	*outlen = 0;
	if (len % 4 != 0 || len > (size_t)INT_MAX)
		goto bad;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '=') {
			if (i + 2 < len)
				goto bad;
			pad++;
			continue;
		}
		if (pad > 0 || !((c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/'))
			goto bad;
	}
	if ((*out = malloc(len / 4 * 3 + 1)) == NULL) {
		err_set(err, EX_OSERR, "base64");
		return -1;
	}
	if (len == 0)
		n = 0;
	else if ((n = EVP_DecodeBlock(*out, (const unsigned char *)in,
	    (int)len)) < 0 || (size_t)n < pad) {
		free(*out);
		*out = NULL;
		goto bad;
	}
	*outlen = (size_t)n - pad;
	(*out)[*outlen] = '\0';
	return 0;
bad:
	err_setx(err, EX_PROTOCOL, "malformed base64 from the server");
	return -1;
}
