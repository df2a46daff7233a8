/* SPDX-License-Identifier: ISC */
/*
 * SASL mechanisms as pure functions of (challenge, credentials) ->
 * response, their order of preference, and base64 through OpenSSL.  The
 * session (smtp.c) sends and traces; this file never sees the network and
 * keeps the only copy of the secret it is given, wiping it early.
 * Channel binding data comes from the caller (the transport owns TLS).
 * A new mechanism is one step function and one row in mechs[].
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "bounds.h"
#include "sasl.h"

/* Random bytes in a SCRAM client nonce (base64: 24 characters). */
#define SCRAM_NONCE_BYTES	18
/* Longest OAuth 2.0 error status kept for messages. */
#define OAUTH_STATUS_MAX	128

struct sasl_mech {
	const char *name;
	enum conf_auth id;
	int	 initial;	/* sends an initial response (RFC 4954) */
	int	 last_secret;	/* the step after which the secret is wiped */
	int	 plus;		/* needs channel binding */
	int	 on;		/* a candidate for "auth on" */
	int	(*step)(struct sasl *, const unsigned char *chal,
		    size_t chal_len, unsigned char **out, size_t *outlen,
		    struct postie_err *);
};

struct sasl {
	const struct sasl_mech *mech;
	int	 nstep;		/* steps run so far */
	char	*authzid;
	char	*user;		/* "" when none (EXTERNAL) */
	char	*secret;	/* NULL once wiped */
	size_t	 secretlen;

	char	*host;		/* OAUTHBEARER host=, or NULL */
	int	 port;
	char	 oauth_status[OAUTH_STATUS_MAX];
	int	 oauth_error;	/* an error challenge came */

	char	*cb_type;	/* channel binding, or NULL */
	unsigned char *cb_data;
	size_t	 cb_len;

	/* SCRAM state. */
	const EVP_MD *md;
	char	 nonce[64];	/* client nonce; "" until made */
	char	*gs2;		/* GS2 header, "n,," */
	char	*first_bare;	/* client-first-message-bare */
	unsigned char server_sig[EVP_MAX_MD_SIZE];
	int	 verified;	/* the server signature matched */
};

static int plain_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);
static int login_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);
static int cram_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);
static int scram_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);
static int xoauth2_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);
static int oauthbearer_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);
static int external_step(struct sasl *, const unsigned char *, size_t,
    unsigned char **, size_t *, struct postie_err *);

/* Implemented mechanisms; those with "on" set, in this order, are what
 * "auth on" tries. */
static const struct sasl_mech mechs[] = {
	{ "SCRAM-SHA-256-PLUS", AUTH_SCRAM_SHA_256, 1, 1, 1, 1, scram_step },
	{ "SCRAM-SHA-256", AUTH_SCRAM_SHA_256, 1, 1, 0, 1, scram_step },
	{ "SCRAM-SHA-1", AUTH_SCRAM_SHA_1, 1, 1, 0, 1, scram_step },
	{ "CRAM-MD5", AUTH_CRAM_MD5, 0, 0, 0, 1, cram_step },
	{ "PLAIN", AUTH_PLAIN, 1, 0, 0, 1, plain_step },
	{ "LOGIN", AUTH_LOGIN, 0, 1, 0, 1, login_step },
	/* With AUTH_OAUTH2 the standard one first. */
	{ "OAUTHBEARER", AUTH_OAUTHBEARER, 1, 0, 0, 0, oauthbearer_step },
	{ "XOAUTH2", AUTH_XOAUTH2, 1, 0, 0, 0, xoauth2_step },
	{ "EXTERNAL", AUTH_EXTERNAL, 1, 0, 0, 0, external_step },
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

static const struct sasl_mech *
mech_byname(const char *name)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (strcasecmp(mechs[i].name, name) == 0)
			return &mechs[i];
	return NULL;
}

int
sasl_choose(enum conf_auth want, const char *offered, int cbind,
    const char **chosen, struct postie_err *err)
{
	const char *name;
	size_t i;

	if (offered == NULL)
		offered = "";
	*chosen = NULL;
	for (i = 0; i < NMECHS; i++) {
		if (want == AUTH_ON ? !mechs[i].on : want == AUTH_OAUTH2 ?
		    mechs[i].step != oauthbearer_step &&
		    mechs[i].step != xoauth2_step : mechs[i].id != want)
			continue;
		if (mechs[i].plus && !cbind)
			continue;
		if (sasl_offered(offered, mechs[i].name)) {
			*chosen = mechs[i].name;
			return 0;
		}
	}
	if (want == AUTH_ON) {
		err_setx(err, EX_UNAVAILABLE, "the server offers no "
		    "authentication mechanism that postie supports "
		    "(offered: %s; supported: SCRAM-SHA-256-PLUS "
		    "SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN, and "
		    "XOAUTH2 OAUTHBEARER EXTERNAL when set with auth)",
		    offered[0] != '\0' ? offered : "none");
		return -1;
	}
	if (want == AUTH_OAUTH2) {
		err_setx(err, EX_UNAVAILABLE, "the server offers neither "
		    "OAUTHBEARER nor XOAUTH2 (offered: %s)",
		    offered[0] != '\0' ? offered : "none");
		return -1;
	}
	if ((name = sasl_mech_name(want)) == NULL ||
	    !sasl_mech_supported(want)) {
		err_setx(err, EX_CONFIG, "auth: bad mechanism %d", (int)want);
		return -1;
	}
	err_setx(err, EX_UNAVAILABLE, "the server does not offer AUTH %s "
	    "(offered: %s)", name, offered[0] != '\0' ? offered : "none");
	return -1;
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

static int
is_scram(const struct sasl_mech *m)
{
	return m->step == scram_step;
}

/*
 * SASLprep (RFC 4013) maps printable ASCII to itself and prohibits
 * control characters; anything else would need the stringprep tables,
 * which postie does not carry, so it is refused rather than sent wrong.
 */
static int
printable_ascii(const char *str)
{
	for (; *str != '\0'; str++)
		if ((unsigned char)*str < 0x20 || (unsigned char)*str > 0x7e)
			return 0;
	return 1;
}

/* Tokens travel inside "auth=Bearer TOKEN^A": RFC 6750 2.1 b64token. */
static int
bearer_token_ok(const char *str)
{
	if (*str == '\0')
		return 0;
	for (; *str != '\0'; str++)
		if ((unsigned char)*str <= 0x20 || (unsigned char)*str > 0x7e)
			return 0;
	return 1;
}

static int
sasl_check_creds(const struct sasl_mech *mech, const char *authzid,
    const char *user, const char *secret, struct postie_err *err)
{
	if (mech->id != AUTH_EXTERNAL && (user == NULL || user[0] == '\0')) {
		err_setx(err, EX_CONFIG, "AUTH %s: a user name is needed",
		    mech->name);
		return -1;
	}
	if (is_scram(mech)) {
		if (!printable_ascii(user) || !printable_ascii(authzid)) {
			err_setx(err, EX_CONFIG, "AUTH %s: the user name holds "
			    "characters other than printable ASCII, which "
			    "would need SASLprep (not implemented); use "
			    "auth plain", mech->name);
			return -1;
		}
		if (!printable_ascii(secret)) {
			err_setx(err, EX_CONFIG, "AUTH %s: the password holds "
			    "characters other than printable ASCII, which "
			    "would need SASLprep (not implemented); use "
			    "auth plain or change the password", mech->name);
			return -1;
		}
	}
	if ((mech->id == AUTH_XOAUTH2 || mech->id == AUTH_OAUTHBEARER) &&
	    !bearer_token_ok(secret)) {
		err_setx(err, EX_CONFIG, "AUTH %s: the access token is empty "
		    "or holds spaces or control characters (passwordeval "
		    "must print the token alone)", mech->name);
		return -1;
	}
	/* OAuth fields are separated by 0x01. */
	if ((mech->id == AUTH_XOAUTH2 || mech->id == AUTH_OAUTHBEARER) &&
	    !printable_ascii(user)) {
		err_setx(err, EX_CONFIG, "AUTH %s: the user name holds "
		    "characters other than printable ASCII", mech->name);
		return -1;
	}
	return 0;
}

int
sasl_new(struct sasl **sp, const char *name, const char *authzid,
    const char *user, const char *secret, struct postie_err *err)
{
	const struct sasl_mech *mech;
	struct sasl *s;

	*sp = NULL;
	if (authzid == NULL)
		authzid = "";
	if (secret == NULL)
		secret = "";
	if ((mech = mech_byname(name)) == NULL) {
		err_setx(err, EX_CONFIG, "AUTH %s is not supported by postie",
		    name);
		return -1;
	}
	if (sasl_check_creds(mech, authzid, user, secret, err) == -1)
		return -1;
	if (user == NULL)
		user = "";
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->user = strdup(user)) == NULL ||
	    (s->authzid = strdup(authzid)) == NULL ||
	    (s->secret = strdup(secret)) == NULL) {
		err_set(err, EX_OSERR, "AUTH %s", mech->name);
		sasl_free(s);
		return -1;
	}
	s->secretlen = strlen(s->secret);
	s->mech = mech;
	if (mech->id == AUTH_SCRAM_SHA_1)
		s->md = EVP_sha1();
	else if (mech->id == AUTH_SCRAM_SHA_256)
		s->md = EVP_sha256();
	*sp = s;
	return 0;
}

int
sasl_set_cbind(struct sasl *s, const char *type, const unsigned char *data,
    size_t len, struct postie_err *err)
{
	free(s->cb_type);
	free(s->cb_data);
	s->cb_len = 0;
	if ((s->cb_type = strdup(type)) == NULL ||
	    (s->cb_data = malloc(len > 0 ? len : 1)) == NULL) {
		free(s->cb_type);
		s->cb_type = NULL;
		err_set(err, EX_OSERR, "AUTH %s", s->mech->name);
		return -1;
	}
	memcpy(s->cb_data, data, len);
	s->cb_len = len;
	return 0;
}

int
sasl_set_host(struct sasl *s, const char *host, int port,
    struct postie_err *err)
{
	free(s->host);
	if ((s->host = strdup(host)) == NULL) {
		err_set(err, EX_OSERR, "AUTH %s", s->mech->name);
		return -1;
	}
	s->port = port;
	return 0;
}

int
sasl_set_nonce(struct sasl *s, const char *nonce, struct postie_err *err)
{
	if (nonce[0] == '\0' || !printable_ascii(nonce) ||
	    strchr(nonce, ',') != NULL ||
	    strlcpy(s->nonce, nonce, sizeof(s->nonce)) >= sizeof(s->nonce)) {
		s->nonce[0] = '\0';
		err_setx(err, EX_SOFTWARE, "sasl_set_nonce: bad nonce");
		return -1;
	}
	return 0;
}

const char *
sasl_name(const struct sasl *s)
{
	return s->mech->name;
}

int
sasl_is_oauth(const struct sasl *s)
{
	return s->mech->id == AUTH_XOAUTH2 || s->mech->id == AUTH_OAUTHBEARER;
}

int
sasl_has_initial(const struct sasl *s)
{
	return s->mech->initial;
}

int
sasl_one_round(const struct sasl *s)
{
	return s->mech->id == AUTH_PLAIN || s->mech->id == AUTH_EXTERNAL;
}

int
sasl_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	int rv;

	*out = NULL;
	*outlen = 0;
	rv = s->mech->step(s, chal, chal_len, out, outlen, err);
	if (rv != 0 && s->nstep >= s->mech->last_secret)
		sasl_wipe_secret(s);
	s->nstep++;
	return rv;
}

int
sasl_complete(const struct sasl *s)
{
	return !is_scram(s->mech) || s->verified;
}

const char *
sasl_oauth_status(const struct sasl *s)
{
	return s->oauth_error ? s->oauth_status : NULL;
}

static void
free_str(char *p)
{
	if (p != NULL)
		sasl_wipe_free(p, strlen(p));
}

void
sasl_free(struct sasl *s)
{
	if (s == NULL)
		return;
	sasl_wipe_secret(s);
	free_str(s->user);
	free_str(s->authzid);
	free_str(s->host);
	free_str(s->gs2);
	free_str(s->first_bare);
	free(s->cb_type);
	sasl_wipe_free(s->cb_data, s->cb_len);
	explicit_bzero(s, sizeof(*s));
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

/* RFC 2195: "user " and the hex HMAC-MD5 of the challenge, keyed by the
 * password. */
static int
cram_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	char digest[EVP_MAX_MD_SIZE * 2 + 1];
	const char *parts[3];
	size_t lens[3];
	unsigned int mdlen = 0, i;
	int rv;

	if (s->nstep > 0 || s->secret == NULL)
		return 0;
	if (s->secretlen > INT_MAX || HMAC(EVP_md5(), s->secret,
	    (int)s->secretlen, chal, chal_len, md, &mdlen) == NULL) {
		err_setx(err, EX_SOFTWARE, "AUTH CRAM-MD5: HMAC-MD5 is not "
		    "available");
		return -1;
	}
	for (i = 0; i < mdlen; i++) {
		digest[i * 2] = hex[md[i] >> 4];
		digest[i * 2 + 1] = hex[md[i] & 0xf];
	}
	digest[mdlen * 2] = '\0';
	parts[0] = s->user;
	lens[0] = strlen(s->user);
	parts[1] = " ";
	lens[1] = 1;
	parts[2] = digest;
	lens[2] = mdlen * 2;
	rv = response_join(out, outlen, parts, lens, 3, err);
	explicit_bzero(md, sizeof(md));
	explicit_bzero(digest, sizeof(digest));
	return rv;
}

/* RFC 5802 5.1: saslname, with ',' and '=' escaped. */
static char *
saslname(const char *in)
{
	size_t n = 0;
	const char *p;
	char *out, *o;

	for (p = in; *p != '\0'; p++)
		n += (*p == ',' || *p == '=') ? 3 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (o = out, p = in; *p != '\0'; p++) {
		if (*p == ',') {
			memcpy(o, "=2C", 3);
			o += 3;
		} else if (*p == '=') {
			memcpy(o, "=3D", 3);
			o += 3;
		} else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* RFC 5802 3: client-first-message = gs2-header client-first-bare. */
static int
scram_first(struct sasl *s, unsigned char **out, size_t *outlen,
    struct postie_err *err)
{
	unsigned char rnd[SCRAM_NONCE_BYTES];
	char *b64, *user = NULL, *authz = NULL, flag[80];
	const char *parts[2];
	size_t lens[2];
	int rv = -1;

	if (s->nonce[0] == '\0') {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			err_setx(err, EX_SOFTWARE, "AUTH %s: no random bytes "
			    "for the nonce", s->mech->name);
			return -1;
		}
		if (sasl_b64_encode(rnd, sizeof(rnd), &b64, err) == -1)
			return -1;
		strlcpy(s->nonce, b64, sizeof(s->nonce));
		free(b64);
	}
	if (s->mech->plus) {
		if (s->cb_type == NULL) {
			err_setx(err, EX_SOFTWARE, "AUTH %s: no channel "
			    "binding data", s->mech->name);
			return -1;
		}
		snprintf(flag, sizeof(flag), "p=%s", s->cb_type);
	} else if (s->cb_type != NULL && s->mech->id == AUTH_SCRAM_SHA_256)
		strlcpy(flag, "y", sizeof(flag));
	else
		strlcpy(flag, "n", sizeof(flag));
	if ((user = saslname(s->user)) == NULL ||
	    (authz = saslname(s->authzid)) == NULL ||
	    asprintf(&s->gs2, "%s,%s%s,", flag, authz[0] != '\0' ? "a=" : "",
	    authz) == -1 ||
	    asprintf(&s->first_bare, "n=%s,r=%s", user, s->nonce) == -1) {
		s->gs2 = NULL;
		err_set(err, EX_OSERR, "AUTH %s", s->mech->name);
		goto done;
	}
	parts[0] = s->gs2;
	lens[0] = strlen(s->gs2);
	parts[1] = s->first_bare;
	lens[1] = strlen(s->first_bare);
	rv = response_join(out, outlen, parts, lens, 2, err);
done:
	free_str(user);
	free_str(authz);
	return rv;
}

/*
 * The value of attribute name ("r") in a SCRAM message of comma-separated
 * "x=value" pairs, as a pointer into msg and a length; NULL when absent.
 */
static const char *
scram_attr(const char *msg, char name, size_t *lenp)
{
	const char *p = msg;

	for (;;) {
		if (p[0] == name && p[1] == '=') {
			*lenp = strcspn(p + 2, ",");
			return p + 2;
		}
		if ((p = strchr(p, ',')) == NULL)
			return NULL;
		p++;
	}
}

static int
scram_malformed(struct sasl *s, const char *what, struct postie_err *err)
{
	err_setx(err, EX_PROTOCOL, "AUTH %s: malformed server message: %s",
	    s->mech->name, what);
	return -1;
}

static int
hmac(const EVP_MD *md, const unsigned char *key, size_t keylen,
    const void *data, size_t len, unsigned char *out)
{
	unsigned int outlen;

	return HMAC(md, key, (int)keylen, data, len, out, &outlen) != NULL ?
	    0 : -1;
}

/*
 * RFC 5802 3: from the server-first-message, the proof.  The server
 * signature expected in the server-final-message is kept.
 */
static int
scram_final(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	unsigned char salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
	unsigned char stored[EVP_MAX_MD_SIZE], csig[EVP_MAX_MD_SIZE];
	unsigned char skey[EVP_MAX_MD_SIZE], *salt = NULL, *cbin = NULL;
	char *cb64 = NULL, *without = NULL, *authmsg = NULL, *proof = NULL;
	const char *msg = (const char *)chal, *v, *parts[3];
	size_t len, saltlen, hlen, i, cbinlen, lens[3];
	unsigned long iter;
	char *end, num[64];
	int rv = -1;

	hlen = (size_t)EVP_MD_get_size(s->md);
	if (s->secret == NULL || s->first_bare == NULL)
		return 0;
	if (strlen(msg) != chal_len)
		return scram_malformed(s, "NUL byte", err);
	if (strncmp(msg, "m=", 2) == 0)
		return scram_malformed(s, "unsupported mandatory extension",
		    err);
	if (strncmp(msg, "e=", 2) == 0) {
		err_sanitize(num, sizeof(num), msg + 2, strcspn(msg + 2,
		    ","));
		err_setx(err, EX_NOPERM, "AUTH %s: the server refused: %s",
		    s->mech->name, num);
		return -1;
	}
	if (strncmp(msg, "r=", 2) != 0 ||
	    (v = scram_attr(msg, 'r', &len)) == NULL)
		return scram_malformed(s, "no nonce", err);
	/* RFC 5802 5.1: the client's nonce, then the server's part. */
	if (len <= strlen(s->nonce) ||
	    strncmp(v, s->nonce, strlen(s->nonce)) != 0)
		return scram_malformed(s, "the nonce does not extend ours",
		    err);
	for (i = 0; i < len; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return scram_malformed(s, "bad nonce", err);
	if ((v = scram_attr(msg, 'i', &len)) == NULL || len == 0 ||
	    len >= sizeof(num))
		return scram_malformed(s, "no iteration count", err);
	memcpy(num, v, len);
	num[len] = '\0';
	if (num[0] < '1' || num[0] > '9')
		return scram_malformed(s, "bad iteration count", err);
	iter = strtoul(num, &end, 10);
	if (*end != '\0' || iter > BOUND_SCRAM_ITERATIONS) {
		err_setx(err, EX_PROTOCOL, "AUTH %s: the server asks for "
		    "%s iterations (postie's limit: %d)", s->mech->name, num,
		    BOUND_SCRAM_ITERATIONS);
		return -1;
	}
	if ((v = scram_attr(msg, 's', &len)) == NULL || len == 0)
		return scram_malformed(s, "no salt", err);
	if (sasl_b64_decode(v, len, &salt, &saltlen, err) == -1 ||
	    saltlen == 0) {
		free(salt);
		return scram_malformed(s, "bad salt", err);
	}
	v = scram_attr(msg, 'r', &len);

	/* c=: the GS2 header and, for -PLUS, the channel binding data. */
	cbinlen = strlen(s->gs2) + (s->mech->plus ? s->cb_len : 0);
	if ((cbin = malloc(cbinlen + 1)) == NULL) {
		err_set(err, EX_OSERR, "AUTH %s", s->mech->name);
		goto done;
	}
	memcpy(cbin, s->gs2, strlen(s->gs2));
	if (s->mech->plus && s->cb_len > 0)
		memcpy(cbin + strlen(s->gs2), s->cb_data, s->cb_len);
	if (sasl_b64_encode(cbin, cbinlen, &cb64, err) == -1)
		goto done;
	if (asprintf(&without, "c=%s,r=%.*s", cb64, (int)len, v) == -1 ||
	    asprintf(&authmsg, "%s,%s,%s", s->first_bare, msg,
	    without) == -1) {
		without = authmsg = NULL;
		err_set(err, EX_OSERR, "AUTH %s", s->mech->name);
		goto done;
	}

	if (PKCS5_PBKDF2_HMAC(s->secret, (int)s->secretlen, salt,
	    (int)saltlen, (int)iter, s->md, (int)hlen, salted) != 1 ||
	    hmac(s->md, salted, hlen, "Client Key", 10, ckey) == -1 ||
	    EVP_Digest(ckey, hlen, stored, NULL, s->md, NULL) != 1 ||
	    hmac(s->md, stored, hlen, authmsg, strlen(authmsg), csig) == -1 ||
	    hmac(s->md, salted, hlen, "Server Key", 10, skey) == -1 ||
	    hmac(s->md, skey, hlen, authmsg, strlen(authmsg),
	    s->server_sig) == -1) {
		err_setx(err, EX_SOFTWARE, "AUTH %s: key derivation failed",
		    s->mech->name);
		goto done;
	}
	for (i = 0; i < hlen; i++)
		ckey[i] ^= csig[i];
	if (sasl_b64_encode(ckey, hlen, &proof, err) == -1)
		goto done;
	parts[0] = without;
	lens[0] = strlen(without);
	parts[1] = ",p=";
	lens[1] = 3;
	parts[2] = proof;
	lens[2] = strlen(proof);
	rv = response_join(out, outlen, parts, lens, 3, err);
done:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(csig, sizeof(csig));
	explicit_bzero(skey, sizeof(skey));
	free(salt);
	free(cbin);
	free(cb64);
	free_str(without);
	free_str(authmsg);
	free_str(proof);
	return rv;
}

/* RFC 5802 3: server-final-message, "v=" the server signature. */
static int
scram_verify(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	const char *msg = (const char *)chal, *v;
	unsigned char *sig = NULL;
	size_t len, siglen, hlen = (size_t)EVP_MD_get_size(s->md);
	char clean[80];
	int ok;

	if (strlen(msg) != chal_len)
		return scram_malformed(s, "NUL byte", err);
	if (strncmp(msg, "e=", 2) == 0) {
		err_sanitize(clean, sizeof(clean), msg + 2, strcspn(msg + 2,
		    ","));
		err_setx(err, EX_NOPERM, "AUTH %s: the server refused: %s",
		    s->mech->name, clean);
		return -1;
	}
	if (strncmp(msg, "v=", 2) != 0 ||
	    (v = scram_attr(msg, 'v', &len)) == NULL)
		return scram_malformed(s, "no server signature", err);
	if (sasl_b64_decode(v, len, &sig, &siglen, err) == -1)
		return scram_malformed(s, "bad server signature encoding",
		    err);
	ok = siglen == hlen && CRYPTO_memcmp(sig, s->server_sig, hlen) == 0;
	free(sig);
	if (!ok) {
		err_setx(err, EX_NOPERM, "AUTH %s: wrong server signature: "
		    "the server does not know the password (an impostor?)",
		    s->mech->name);
		return -1;
	}
	s->verified = 1;
	/* RFC 4954 4: the additional data is acknowledged with an empty
	 * response. */
	return response_join(out, outlen, NULL, NULL, 0, err);
}

static int
scram_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	switch (s->nstep) {
	case 0:
		return scram_first(s, out, outlen, err);
	case 1:
		return scram_final(s, chal, chal_len, out, outlen, err);
	case 2:
		if (s->verified)
			return 0;
		return scram_verify(s, chal, chal_len, out, outlen, err);
	default:
		return 0;
	}
}

/*
 * An OAuth 2.0 error challenge (RFC 7628 3.2.2): a JSON object.  Keep its
 * "status" member, or the text itself when there is none.
 */
static void
oauth_keep_status(struct sasl *s, const unsigned char *chal, size_t len)
{
	const char *p = (const char *)chal, *end = p + len, *q;
	size_t n;

	s->oauth_error = 1;
	q = p;
	while ((q = memchr(q, '"', (size_t)(end - q))) != NULL) {
		if ((size_t)(end - q) >= 8 && memcmp(q, "\"status\"", 8) == 0) {
			q += 8;
			while (q < end && (*q == ' ' || *q == ':'))
				q++;
			if (q < end && *q == '"')
				q++;
			for (n = 0; q + n < end && q[n] != '"' &&
			    q[n] != ',' && q[n] != '}'; n++)
				;
			err_sanitize(s->oauth_status, sizeof(s->oauth_status),
			    q, n);
			return;
		}
		q++;
	}
	n = len < 60 ? len : 60;
	err_sanitize(s->oauth_status, sizeof(s->oauth_status), p, n);
	if (s->oauth_status[0] == '\0')
		strlcpy(s->oauth_status, "none given",
		    sizeof(s->oauth_status));
}

/* Google's XOAUTH2: "user=U^Aauth=Bearer T^A^A". */
static int
xoauth2_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	const char *parts[5];
	size_t lens[5];

	if (s->nstep == 1) {
		/* The error challenge; an empty response ends it. */
		oauth_keep_status(s, chal, chal_len);
		return response_join(out, outlen, NULL, NULL, 0, err);
	}
	if (s->nstep > 1 || s->secret == NULL)
		return 0;
	parts[0] = "user=";
	lens[0] = 5;
	parts[1] = s->user;
	lens[1] = strlen(s->user);
	parts[2] = "\001auth=Bearer ";
	lens[2] = 13;
	parts[3] = s->secret;
	lens[3] = s->secretlen;
	parts[4] = "\001\001";
	lens[4] = 2;
	return response_join(out, outlen, parts, lens, 5, err);
}

/*
 * RFC 7628 3.1: "n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A", host and
 * port when known.
 */
static int
oauthbearer_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	char *head = NULL, *user;
	const char *parts[4];
	size_t lens[4];
	int rv;

	if (s->nstep == 1) {
		/* RFC 7628 3.2.3: the error is acknowledged with 0x01. */
		oauth_keep_status(s, chal, chal_len);
		parts[0] = "\001";
		lens[0] = 1;
		return response_join(out, outlen, parts, lens, 1, err);
	}
	if (s->nstep > 1 || s->secret == NULL)
		return 0;
	if ((user = saslname(s->user)) == NULL)
		goto nomem;
	if (s->host != NULL)
		rv = asprintf(&head, "n,a=%s,\001host=%s\001port=%d\001", user,
		    s->host, s->port);
	else
		rv = asprintf(&head, "n,a=%s,\001", user);
	free_str(user);
	if (rv == -1)
		goto nomem;
	parts[0] = head;
	lens[0] = strlen(head);
	parts[1] = "auth=Bearer ";
	lens[1] = 12;
	parts[2] = s->secret;
	lens[2] = s->secretlen;
	parts[3] = "\001\001";
	lens[3] = 2;
	rv = response_join(out, outlen, parts, lens, 4, err);
	free_str(head);
	return rv;
nomem:
	err_set(err, EX_OSERR, "AUTH %s", s->mech->name);
	return -1;
}

/* RFC 4422 A.1: the authorization identity (the user, when set). */
static int
external_step(struct sasl *s, const unsigned char *chal, size_t chal_len,
    unsigned char **out, size_t *outlen, struct postie_err *err)
{
	const char *part = s->user;
	size_t len = strlen(s->user);

	if (s->nstep > 0)
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
