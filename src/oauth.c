/* SPDX-License-Identifier: ISC */
/*
 * OAuth 2.0 tokens of an account: the token file (its format, where it
 * lives, its permissions, atomic replacement), the refresh grant under a
 * lock, and the pure parts of the grants (forms, URLs, PKCE, the token
 * endpoint's answer).  Speaks HTTP only through http.c; never prints,
 * and never puts a token in a message.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "bounds.h"
#include "err.h"
#include "file.h"
#include "http.h"
#include "oauth.h"

#define TOKEN_MAGIC	"postie-oauth2 1"
/* Tries, a tenth of a second apart, to get the refresh lock. */
#define LOCK_TRIES	(BOUND_TIMEOUT_DEFAULT * 10)

/* One "key value" line; the value is copied into dst. */
static int
token_value(const char *val, char *dst, size_t dstsz)
{
	const unsigned char *c;

	for (c = (const unsigned char *)val; *c != '\0'; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return -1;
	return strlcpy(dst, val, dstsz) >= dstsz ? -1 : 0;
}

int
oauth_token_parse(FILE *fp, const char *name, struct oauth_token *t,
    struct postie_err *e)
{
	char line[BOUND_OAUTH_TOKEN + 64], *val, *end;
	size_t len;
	int lineno = 0, rc = -1;
	long long n;

	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(fp)) {
			err_setx(e, EX_CONFIG, "%s:%d: line too long", name,
			    lineno);
			goto out;
		}
		if (lineno == 1) {
			if (strcmp(line, TOKEN_MAGIC) != 0) {
				err_setx(e, EX_CONFIG, "%s:1: not a postie "
				    "token file", name);
				goto out;
			}
			continue;
		}
		if (line[0] == '\0')
			continue;
		if ((val = strchr(line, ' ')) == NULL) {
			err_setx(e, EX_CONFIG, "%s:%d: expected KEY VALUE",
			    name, lineno);
			goto out;
		}
		*val++ = '\0';
		if (strcmp(line, "refresh_token") == 0) {
			if (token_value(val, t->refresh, sizeof(t->refresh))
			    == -1)
				goto bad;
		} else if (strcmp(line, "access_token") == 0) {
			if (token_value(val, t->access, sizeof(t->access))
			    == -1)
				goto bad;
		} else if (strcmp(line, "expires") == 0) {
			errno = 0;
			n = strtoll(val, &end, 10);
			if (val[0] < '0' || val[0] > '9' || *end != '\0' ||
			    errno != 0)
				goto bad;
			t->expires = n;
		} else {
			err_setx(e, EX_CONFIG, "%s:%d: unknown key", name,
			    lineno);
			goto out;
		}
	}
	if (ferror(fp)) {
		err_set(e, EX_IOERR, "%s", name);
		goto out;
	}
	if (lineno == 0) {
		err_setx(e, EX_CONFIG, "%s: empty token file", name);
		goto out;
	}
	rc = 0;
	goto out;
bad:
	err_setx(e, EX_CONFIG, "%s:%d: bad value for %s", name, lineno, line);
out:
	explicit_bzero(line, sizeof(line));
	if (rc == -1)
		explicit_bzero(t, sizeof(*t));
	return rc;
}

int
oauth_token_format(FILE *fp, const struct oauth_token *t)
{
	if (fprintf(fp, "%s\n", TOKEN_MAGIC) < 0)
		return -1;
	if (t->refresh[0] != '\0' &&
	    fprintf(fp, "refresh_token %s\n", t->refresh) < 0)
		return -1;
	if (t->access[0] != '\0' &&
	    fprintf(fp, "access_token %s\nexpires %lld\n", t->access,
	    t->expires) < 0)
		return -1;
	return 0;
}

int
oauth_needs_refresh(const struct oauth_token *t, time_t now)
{
	return t->access[0] == '\0' ||
	    t->expires - (long long)now < BOUND_OAUTH_MARGIN;
}

/* An account name as a file name: letters, digits, "._-" kept. */
static void
safe_name(char *dst, size_t dstsz, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstsz; i++)
		dst[i] = isalnum((unsigned char)src[i]) || src[i] == '.' ||
		    src[i] == '_' || src[i] == '-' ? src[i] : '_';
	dst[i] = '\0';
	if (dst[0] == '.')
		dst[0] = '_';
}

int
oauth_token_path(const struct account *a, const struct sysenv *sys,
    char *buf, size_t bufsz, struct postie_err *e)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char abs[PATH_MAX], name[128], hex[17];
	const char *conf = a->file != NULL ? a->file : "", *state, *home;
	int n, i;

	if (a->oauth2_token_file != NULL) {
		if (strlcpy(buf, a->oauth2_token_file, bufsz) >= bufsz)
			goto toolong;
		return 0;
	}
	if (realpath(conf, abs) != NULL)
		conf = abs;
	SHA256((const unsigned char *)conf, strlen(conf), md);
	for (i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	/* "account default : NAME" shares NAME's token. */
	safe_name(name, sizeof(name), a->alias_of != NULL ? a->alias_of :
	    a->name != NULL ? a->name : "default");
	if (strncmp(conf, SYSCONFDIR "/", strlen(SYSCONFDIR "/")) == 0)
		n = snprintf(buf, bufsz, "%s/lib/postie/oauth/%s-%s",
		    LOCALSTATEDIR, name, hex);
	else if ((state = sysenv_xdg_state_home(sys)) != NULL)
		n = snprintf(buf, bufsz, "%s/postie/oauth/%s-%s", state, name,
		    hex);
	else if ((home = sysenv_home(sys)) != NULL)
		n = snprintf(buf, bufsz, "%s/.local/state/postie/oauth/%s-%s",
		    home, name, hex);
	else {
		err_setx(e, EX_CONFIG, "account %s: no home directory for the "
		    "OAuth 2.0 token file: set oauth2_token_file", a->name);
		return -1;
	}
	if (n < 0 || (size_t)n >= bufsz)
		goto toolong;
	return 0;
toolong:
	err_setx(e, EX_CONFIG, "account %s: the token file's name is too long",
	    a->name);
	return -1;
}

int
oauth_token_load(const char *path, struct oauth_token *t,
    struct postie_err *e)
{
	struct stat st;
	FILE *fp;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		err_set(e, errno == EACCES || errno == ELOOP ? EX_CONFIG :
		    EX_IOERR, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		err_set(e, EX_IOERR, "%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		err_setx(e, EX_CONFIG, "%s: a token file must be a regular "
		    "file of ours that only we can read (chmod 600 %s)", path,
		    path);
		close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		err_set(e, EX_OSERR, "%s", path);
		close(fd);
		return -1;
	}
	rc = oauth_token_parse(fp, path, t, e);
	fclose(fp);
	return rc == 0 ? 1 : -1;
}

/* mkdir -p of path's directory, new components mode 0700. */
static int
make_parent(const char *path, struct postie_err *e)
{
	char dir[PATH_MAX], *p;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
	    (p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			err_set(e, EX_CANTCREAT, "%s", dir);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		err_set(e, EX_CANTCREAT, "%s", dir);
		return -1;
	}
	return 0;
}

/* file_create's fill for a token file. */
static int
oauth_token_fill(void *arg, int fd, struct postie_err *e)
{
	FILE *fp;
	int dfd, rv;

	if ((dfd = dup(fd)) == -1 || (fp = fdopen(dfd, "w")) == NULL) {
		err_set(e, EX_OSERR, "token file");
		if (dfd != -1)
			close(dfd);
		return -1;
	}
	rv = oauth_token_format(fp, arg);
	if (fclose(fp) == EOF)
		rv = -1;
	if (rv == -1)
		err_set(e, EX_IOERR, "write");
	return rv;
}

int
oauth_token_save(const char *path, const struct oauth_token *t,
    struct postie_err *e)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	const char *base;
	unsigned char r[4];
	char *slash;
	int dfd, rv;

	if (make_parent(path, e) == -1)
		return -1;
	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		err_setx(e, EX_CANTCREAT, "%s: name too long", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL) {
		base = path;
		strlcpy(dir, ".", sizeof(dir));
	} else {
		base = path + (slash - dir) + 1;
		*(slash == dir ? slash + 1 : slash) = '\0';
	}
	/* A name of its own: another process may be saving the same file. */
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	if (snprintf(tmp, sizeof(tmp), ".%s.%ld%02x%02x%02x%02x.tmp", base,
	    (long)getpid(), r[0], r[1], r[2], r[3]) >= (int)sizeof(tmp)) {
		err_setx(e, EX_CANTCREAT, "%s: name too long", path);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		err_set(e, EX_CANTCREAT, "%s", dir);
		return -1;
	}
	rv = file_create(dfd, base, tmp, 0600, geteuid(), 0,
	    oauth_token_fill, (void *)t, NULL, e);
	if (rv == -1)
		err_prefix(e, "%s: ", dir);
	close(dfd);
	return rv;
}

void
oauth_http_opts(const struct account *a, const struct sysenv *sys,
    struct http_opts *o)
{
	const char *f = sysenv_cert_file(sys), *d = sysenv_cert_dir(sys);

	/* The system's store, as for TLS: what SSL_CERT_* name, if set. */
	o->trust_file = a->oauth2_trust_file;
	o->trust_dir = NULL;
	if (o->trust_file == NULL) {
		o->trust_file = f != NULL && f[0] != '\0' ? f : NULL;
		o->trust_dir = d != NULL && d[0] != '\0' ? d : NULL;
	}
	o->proxy = sysenv_https_proxy(sys);
	o->no_proxy = sysenv_no_proxy(sys);
	o->timeout = a->timeout;
}

int
oauth_form_add(char *buf, size_t bufsz, const char *key, const char *value)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t len = strlen(buf), n = len;
	const unsigned char *c;

#define PUT(ch)	do { if (n + 1 >= bufsz) goto full; buf[n++] = (ch); } \
	while (0)
	if (len > 0)
		PUT('&');
	for (c = (const unsigned char *)key; *c != '\0'; c++)
		PUT(*c);
	PUT('=');
	for (c = (const unsigned char *)value; *c != '\0'; c++) {
		if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' ||
		    *c == '~')
			PUT(*c);
		else {
			PUT('%');
			PUT(hexd[*c >> 4]);
			PUT(hexd[*c & 15]);
		}
	}
#undef PUT
	buf[n] = '\0';
	return 0;
full:
	explicit_bzero(buf + len, bufsz - len);
	return -1;
}

int
oauth_form_client(char *buf, size_t bufsz, const struct account *a)
{
	if (oauth_form_add(buf, bufsz, "client_id", a->oauth2_client_id) ==
	    -1)
		return -1;
	if (a->oauth2_client_secret != NULL &&
	    oauth_form_add(buf, bufsz, "client_secret",
	    a->oauth2_client_secret) == -1)
		return -1;
	return 0;
}

int
oauth_authorize_url(const struct account *a, const char *redirect_uri,
    const char *state, const char *challenge, char *buf, size_t bufsz)
{
	char form[BOUND_OAUTH_URL];
	int n;

	form[0] = '\0';
	if (oauth_form_add(form, sizeof(form), "response_type", "code") ==
	    -1 || oauth_form_add(form, sizeof(form), "client_id",
	    a->oauth2_client_id) == -1 ||
	    oauth_form_add(form, sizeof(form), "redirect_uri",
	    redirect_uri) == -1 ||
	    oauth_form_add(form, sizeof(form), "scope", a->oauth2_scope) ==
	    -1 || oauth_form_add(form, sizeof(form), "state", state) == -1 ||
	    oauth_form_add(form, sizeof(form), "code_challenge", challenge) ==
	    -1 || oauth_form_add(form, sizeof(form), "code_challenge_method",
	    "S256") == -1)
		return -1;
	if (a->oauth2_provider == OAUTH2_GOOGLE &&
	    (oauth_form_add(form, sizeof(form), "access_type", "offline") ==
	    -1 || oauth_form_add(form, sizeof(form), "prompt", "consent") ==
	    -1))
		return -1;
	n = snprintf(buf, bufsz, "%s%c%s", a->oauth2_auth_url,
	    strchr(a->oauth2_auth_url, '?') != NULL ? '&' : '?', form);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
oauth_query_param(const char *url, const char *name, char *buf,
    size_t bufsz)
{
	const char *p, *end;
	size_t nlen = strlen(name), n;
	int hi, lo, c;

	if ((p = strchr(url, '?')) == NULL)
		return 0;
	p++;
	if ((end = strchr(p, '#')) == NULL)
		end = p + strlen(p);
	while (p < end) {
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			p += nlen + 1;
			for (n = 0; p < end && *p != '&'; p++) {
				c = (unsigned char)*p;
				if (c == '+')
					c = ' ';
				else if (c == '%') {
					if (end - p < 3 || (hi = hexval(p[1]))
					    == -1 || (lo = hexval(p[2])) == -1)
						return -1;
					c = hi * 16 + lo;
					p += 2;
				}
				if (c < 0x20 || c == 0x7f || n + 1 >= bufsz)
					return -1;
				buf[n++] = (char)c;
			}
			buf[n] = '\0';
			return 1;
		}
		if ((p = memchr(p, '&', (size_t)(end - p))) == NULL)
			break;
		p++;
	}
	return 0;
}

int
oauth_random(char *buf, size_t bufsz, struct postie_err *e)
{
	/* 64 of the unreserved characters: six bits of a byte pick one. */
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-.";
	unsigned char r[64];
	size_t i;

	if (bufsz < sizeof(r) + 1) {
		err_setx(e, EX_SOFTWARE, "oauth_random: buffer too small");
		return -1;
	}
	if (RAND_bytes(r, sizeof(r)) != 1) {
		err_setx(e, EX_OSERR, "no random bytes");
		return -1;
	}
	for (i = 0; i < sizeof(r); i++)
		buf[i] = set[(r[i] & 63)];
	buf[sizeof(r)] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

int
oauth_pkce_challenge(const char *verifier, char *buf, size_t bufsz)
{
	static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char md[SHA256_DIGEST_LENGTH];
	size_t i, n = 0;
	unsigned long v;

	/* 32 bytes: ten groups of three, then two bytes (three chars). */
	if (bufsz < 44)
		return -1;
	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	for (i = 0; i + 3 <= sizeof(md); i += 3) {
		v = (unsigned long)md[i] << 16 | md[i + 1] << 8 | md[i + 2];
		buf[n++] = b64u[v >> 18 & 63];
		buf[n++] = b64u[v >> 12 & 63];
		buf[n++] = b64u[v >> 6 & 63];
		buf[n++] = b64u[v & 63];
	}
	v = (unsigned long)md[30] << 16 | md[31] << 8;
	buf[n++] = b64u[v >> 18 & 63];
	buf[n++] = b64u[v >> 12 & 63];
	buf[n++] = b64u[v >> 6 & 63];
	buf[n] = '\0';
	return 0;
}

int
oauth_token_answer(long status, const struct http_json *j, time_t now,
    struct oauth_token *t, char *errcode, size_t errcodesz,
    struct postie_err *e)
{
	char code[64], desc[120];
	const char *s;
	long long expires_in;

	errcode[0] = '\0';
	if (status == 200 && t != NULL &&
	    (s = http_json_str(j, "access_token")) != NULL) {
		if (token_value(s, t->access, sizeof(t->access)) == -1) {
			err_setx(e, EX_PROTOCOL, "the token endpoint sent an "
			    "access token postie cannot use (too long, or "
			    "not printable)");
			return -1;
		}
		if (!http_json_int(j, "expires_in", &expires_in) ||
		    expires_in < 0 || expires_in > 10L * 365 * 86400)
			expires_in = 3600;
		t->expires = (long long)now + expires_in;
		if ((s = http_json_str(j, "refresh_token")) != NULL &&
		    token_value(s, t->refresh, sizeof(t->refresh)) == -1) {
			err_setx(e, EX_PROTOCOL, "the token endpoint sent a "
			    "refresh token postie cannot use");
			return -1;
		}
		return 0;
	}
	s = http_json_str(j, "error");
	err_sanitize(code, sizeof(code), s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0);
	strlcpy(errcode, code, errcodesz);
	s = http_json_str(j, "error_description");
	err_sanitize(desc, sizeof(desc), s != NULL ? s : "",
	    s != NULL ? strlen(s) : 0);
	if (status >= 500 || status == 429) {
		err_setx(e, EX_TEMPFAIL, "the token endpoint answered HTTP "
		    "%ld%s%s", status, code[0] != '\0' ? ": " : "", code);
		return -1;
	}
	if (status >= 400 && code[0] != '\0') {
		err_setx(e, EX_CONFIG, "the token endpoint refused: %s%s%s",
		    code, desc[0] != '\0' ? ": " : "", desc);
		return -1;
	}
	err_setx(e, EX_PROTOCOL, "the token endpoint answered HTTP %ld "
	    "without an access token", status);
	return -1;
}

const char *
oauth_login_name(const struct account *a)
{
	return a->alias_of != NULL ? a->alias_of : a->name;
}

/* POST a refresh grant and read the answer into t. */
static int
oauth_refresh(const struct account *a, const struct sysenv *sys,
    time_t now, struct oauth_token *t, struct postie_err *e)
{
	char form[BOUND_OAUTH_URL], code[64];
	struct http_opts ho;
	struct http_json *j = NULL;
	long status;
	int rc;

	form[0] = code[0] = '\0';
	if (oauth_form_add(form, sizeof(form), "grant_type",
	    "refresh_token") == -1 || oauth_form_add(form, sizeof(form),
	    "refresh_token", t->refresh) == -1 ||
	    oauth_form_client(form, sizeof(form), a) == -1 ||
	    oauth_form_add(form, sizeof(form), "scope", a->oauth2_scope) ==
	    -1) {
		explicit_bzero(form, sizeof(form));
		err_setx(e, EX_SOFTWARE, "refresh request too long");
		return -1;
	}
	oauth_http_opts(a, sys, &ho);
	rc = http_post_form(&ho, a->oauth2_token_url, form, &status, &j, e);
	explicit_bzero(form, sizeof(form));
	if (rc == 0)
		rc = oauth_token_answer(status, j, now, t, code, sizeof(code),
		    e);
	http_json_free(j);
	/* First, so that a long description cannot cut it off. */
	if (rc == -1 && strcmp(code, "invalid_grant") == 0)
		err_prefix(e, "account %s needs a new sign-in (run postie "
		    "--login %s): ", a->name, oauth_login_name(a));
	return rc;
}

/* Take the lock next to the token file (a rename does not move it). */
static int
oauth_lock(const char *path, struct postie_err *e)
{
	char lock[PATH_MAX];
	int fd, i;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    (int)sizeof(lock)) {
		err_setx(e, EX_CONFIG, "%s: name too long", path);
		return -1;
	}
	if (make_parent(lock, e) == -1)
		return -1;
	if ((fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		err_set(e, EX_CANTCREAT, "%s", lock);
		return -1;
	}
	for (i = 0; flock(fd, LOCK_EX | LOCK_NB) == -1; i++) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err_set(e, EX_IOERR, "%s", lock);
			close(fd);
			return -1;
		}
		if (i >= LOCK_TRIES) {
			err_setx(e, EX_TEMPFAIL, "%s: another postie holds "
			    "the lock", lock);
			close(fd);
			return -1;
		}
		usleep(100000);
	}
	return fd;
}

/* No token file, or none to refresh with. */
static int
oauth_no_login(const struct account *a, const char *path,
    struct postie_err *e)
{
	err_setx(e, EX_CONFIG, "account %s: no OAuth 2.0 refresh token in "
	    "%s: run postie --login %s", a->name, path, oauth_login_name(a));
	return -1;
}

int
oauth_access_token(const struct account *a, const struct sysenv *sys,
    time_t now, char *buf, size_t bufsz, struct postie_err *e)
{
	struct oauth_token *t;
	char path[PATH_MAX];
	int rc = -1, lockfd = -1, have;

	buf[0] = '\0';
	if (oauth_token_path(a, sys, path, sizeof(path), e) == -1)
		return -1;
	if ((t = malloc(sizeof(*t))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return -1;
	}
	if ((have = oauth_token_load(path, t, e)) == -1)
		goto out;
	if (have == 0) {
		oauth_no_login(a, path, e);
		goto out;
	}
	if (oauth_needs_refresh(t, now)) {
		if ((lockfd = oauth_lock(path, e)) == -1)
			goto out;
		/* Another process may have refreshed while we waited. */
		if ((have = oauth_token_load(path, t, e)) == -1)
			goto out;
		if (have == 0 || t->refresh[0] == '\0') {
			oauth_no_login(a, path, e);
			goto out;
		}
		if (oauth_needs_refresh(t, now)) {
			if (oauth_refresh(a, sys, now, t, e) == -1 ||
			    oauth_token_save(path, t, e) == -1)
				goto out;
		}
	}
	if (strlcpy(buf, t->access, bufsz) >= bufsz) {
		explicit_bzero(buf, bufsz);
		err_setx(e, EX_CONFIG, "account %s: the access token is longer "
		    "than %zu bytes", a->name, bufsz - 1);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		err_prefix(e, "OAuth 2.0: ");
	if (lockfd != -1)
		close(lockfd);
	explicit_bzero(t, sizeof(*t));
	free(t);
	return rc;
}

void
oauth_forget_access(const struct account *a, const struct sysenv *sys)
{
	struct postie_err e;
	struct oauth_token *t;
	char path[PATH_MAX];
	int lockfd;

	if (oauth_token_path(a, sys, path, sizeof(path), &e) == -1 ||
	    (t = malloc(sizeof(*t))) == NULL)
		return;
	if ((lockfd = oauth_lock(path, &e)) != -1) {
		if (oauth_token_load(path, t, &e) == 1 &&
		    t->access[0] != '\0') {
			explicit_bzero(t->access, sizeof(t->access));
			t->expires = 0;
			(void)oauth_token_save(path, t, &e);
		}
		close(lockfd);
	}
	explicit_bzero(t, sizeof(*t));
	free(t);
}
