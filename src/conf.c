/* SPDX-License-Identifier: ISC */
/*
 * The configuration: msmtprc-compatible files read into accounts, with the
 * defaults section, inheritance, derived defaults, ~ in file names and the
 * % patterns of from and domain resolved (home, login and host names from
 * sysenv); the permission checks on the file.  Does not open connections,
 * read messages, choose the account a job uses or look passwords up
 * (secret.c does, passwordeval too).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "bounds.h"
#include "conf.h"
#include "err.h"
#include "helper.h"
#include "sysenv.h"

/* One account (or the defaults) while parsing: values and what was set. */
struct node {
	struct account a;
	uint64_t mask;		/* bit per field: set in the file */
	int	 auto_from;	/* msmtp's old auto_from */
};

struct conf {
	char	*file;
	struct node *defaults;
	struct node **accts;
	size_t	 nacct;
	char	**warn;
	size_t	 nwarn;
	int	 has_password;	/* some account or defaults sets password */
	char	*metrics_file;	/* defaults' metrics_file, or NULL */
	uid_t	 owner;		/* of the file; (uid_t)-1: not known */
};

/* Every field an account can set; the bits of node.mask. */
enum field_id {
	F_HOST, F_PORT, F_SOURCE_IP, F_DOMAIN, F_TIMEOUT, F_TLS,
	F_TLS_STARTTLS, F_TLS_CERTCHECK, F_TLS_TRUST_FILE, F_TLS_FINGERPRINT,
	F_TLS_CERT_FILE, F_TLS_KEY_FILE, F_TLS_MIN_VERSION, F_AUTH,
	F_ALLOW_CLEARTEXT_AUTH, F_USER, F_PASSWORD, F_PASSWORDEVAL, F_FROM,
	F_FROM_FULL_NAME, F_MAILDOMAIN, F_ALIASES, F_QUALIFY_HEADERS,
	F_LOGFILE, F_LOGFILE_TIME_FORMAT, F_SYSLOG, F_SET_FROM_HEADER,
	F_SET_DATE_HEADER, F_SET_MSGID_HEADER, F_SET_TO_HEADER,
	F_REMOVE_BCC_HEADERS, F_ALLOW_FROM_OVERRIDE, F_DSN_NOTIFY,
	F_DSN_RETURN, F_QUEUE, F_QUEUE_LIFETIME, F_QUEUE_FLUSH,
	F_MAX_MESSAGE_SIZE, F_TLS_SESSION_CACHE, F_CHUNKING, F_INET_PROTOCOLS,
	F_SOCKET, F_PROXY_HOST, F_PROXY_PORT, F_TLS_CRL_FILE,
	F_TLS_HOST_OVERRIDE, F_OAUTH2_PROVIDER, F_OAUTH2_TENANT,
	F_OAUTH2_CLIENT_ID, F_OAUTH2_CLIENT_SECRET, F_OAUTH2_AUTH_URL,
	F_OAUTH2_DEVICE_URL, F_OAUTH2_TOKEN_URL, F_OAUTH2_SCOPE,
	F_OAUTH2_TOKEN_FILE, F_OAUTH2_TRUST_FILE, F_AUTO_FROM, F_BOUNCE,
	F_BOUNCE_TO, F_DELAY_WARNING, F_FALLBACK, F__COUNT
};

#define BIT(f)	(UINT64_C(1) << (f))
/* node.mask has a bit per field. */
_Static_assert(F__COUNT <= 64, "more fields than bits in node.mask");

enum ftype { FT_VAL, FT_STR, FT_FPR };

struct field {
	enum ftype type;
	size_t	 off;
	size_t	 size;
};

#define VAL(m)	{ FT_VAL, offsetof(struct node, m), \
	    sizeof(((struct node *)0)->m) }
#define STR(m)	{ FT_STR, offsetof(struct node, m), sizeof(char *) }

static const struct field fields[F__COUNT] = {
	[F_HOST] = STR(a.host),
	[F_PORT] = VAL(a.port),
	[F_SOURCE_IP] = STR(a.source_ip),
	[F_INET_PROTOCOLS] = VAL(a.inet_protocols),
	[F_SOCKET] = STR(a.socket),
	[F_PROXY_HOST] = STR(a.proxy_host),
	[F_PROXY_PORT] = VAL(a.proxy_port),
	[F_DOMAIN] = STR(a.domain),
	[F_TIMEOUT] = VAL(a.timeout),
	[F_TLS] = VAL(a.tls),
	[F_TLS_STARTTLS] = VAL(a.tls_starttls),
	[F_TLS_CERTCHECK] = VAL(a.tls_certcheck),
	[F_TLS_SESSION_CACHE] = VAL(a.tls_session_cache),
	[F_CHUNKING] = VAL(a.chunking),
	[F_TLS_TRUST_FILE] = STR(a.tls_trust_file),
	[F_TLS_FINGERPRINT] = { FT_FPR, 0, 0 },
	[F_TLS_CERT_FILE] = STR(a.tls_cert_file),
	[F_TLS_KEY_FILE] = STR(a.tls_key_file),
	[F_TLS_CRL_FILE] = STR(a.tls_crl_file),
	[F_TLS_HOST_OVERRIDE] = STR(a.tls_host_override),
	[F_TLS_MIN_VERSION] = VAL(a.tls_min_version),
	[F_AUTH] = VAL(a.auth),
	[F_ALLOW_CLEARTEXT_AUTH] = VAL(a.allow_cleartext_auth),
	[F_USER] = STR(a.user),
	[F_PASSWORD] = STR(a.password),
	[F_PASSWORDEVAL] = STR(a.passwordeval),
	[F_FROM] = STR(a.from),
	[F_FROM_FULL_NAME] = STR(a.from_full_name),
	[F_MAILDOMAIN] = STR(a.maildomain),
	[F_ALIASES] = STR(a.aliases),
	[F_QUALIFY_HEADERS] = VAL(a.qualify_headers),
	[F_LOGFILE] = STR(a.logfile),
	[F_LOGFILE_TIME_FORMAT] = STR(a.logfile_time_format),
	[F_SYSLOG] = VAL(a.syslog_facility),
	[F_SET_FROM_HEADER] = VAL(a.set_from_header),
	[F_SET_DATE_HEADER] = VAL(a.set_date_header),
	[F_SET_MSGID_HEADER] = VAL(a.set_msgid_header),
	[F_SET_TO_HEADER] = VAL(a.set_to_header),
	[F_REMOVE_BCC_HEADERS] = VAL(a.remove_bcc_headers),
	[F_ALLOW_FROM_OVERRIDE] = VAL(a.allow_from_override),
	[F_DSN_NOTIFY] = STR(a.dsn_notify),
	[F_DSN_RETURN] = STR(a.dsn_return),
	[F_QUEUE] = VAL(a.queue),
	[F_QUEUE_LIFETIME] = VAL(a.queue_lifetime),
	[F_QUEUE_FLUSH] = VAL(a.queue_flush),
	[F_MAX_MESSAGE_SIZE] = VAL(a.max_message_size),
	[F_OAUTH2_PROVIDER] = VAL(a.oauth2_provider),
	[F_OAUTH2_TENANT] = STR(a.oauth2_tenant),
	[F_OAUTH2_CLIENT_ID] = STR(a.oauth2_client_id),
	[F_OAUTH2_CLIENT_SECRET] = STR(a.oauth2_client_secret),
	[F_OAUTH2_AUTH_URL] = STR(a.oauth2_auth_url),
	[F_OAUTH2_DEVICE_URL] = STR(a.oauth2_device_url),
	[F_OAUTH2_TOKEN_URL] = STR(a.oauth2_token_url),
	[F_OAUTH2_SCOPE] = STR(a.oauth2_scope),
	[F_OAUTH2_TOKEN_FILE] = STR(a.oauth2_token_file),
	[F_OAUTH2_TRUST_FILE] = STR(a.oauth2_trust_file),
	[F_AUTO_FROM] = VAL(auto_from),
	[F_BOUNCE] = VAL(a.bounce),
	[F_BOUNCE_TO] = STR(a.bounce_to),
	[F_DELAY_WARNING] = VAL(a.delay_warning),
	[F_FALLBACK] = STR(a.fallback),
};

#define FINT(n, f)	((int *)(void *)((char *)(n) + fields[f].off))
#define FSTR(n, f)	((char **)(void *)((char *)(n) + fields[f].off))

struct parser {
	struct conf *conf;
	struct node *cur;	/* NULL before the first section */
	int	 line;
	const char *no_eval;	/* why eval may not run; NULL: it may */
	struct sysenv *sys;
	struct postie_err *err;
};

struct keydef;
typedef int (*key_handler)(struct parser *, struct node *,
    const struct keydef *, const char *);

struct keydef {
	const char *name;
	key_handler handler;
	int	 field;		/* -1: sets nothing */
};

/* What the % patterns expand to, looked up once per parse. */
struct expand_ctx {
	struct sysenv *sys;	/* %U, %H, %C */
	int	 mailname_read;
	char	*mailname;	/* %M: /etc/mailname, NULL when none */
};

#define MAILNAME_FILE	"/etc/mailname"
#define SHOW_MAX	96

static int
nomem(struct postie_err *err)
{
	err_setx(err, EX_OSERR, "out of memory");
	return -1;
}

static void
freestr(char **sp)
{
	if (*sp != NULL) {
		explicit_bzero(*sp, strlen(*sp));
		free(*sp);
		*sp = NULL;
	}
}

/* A value as it may appear in a message: control bytes escaped, short. */
static const char *
show(char *buf, size_t bufsz, const char *s)
{
	size_t len = strlen(s);

	if (len > SHOW_MAX)
		len = SHOW_MAX;
	return err_sanitize(buf, bufsz, s, len);
}

static int perr(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	char msg[POSTIE_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_setx(p->err, EX_CONFIG, "%s:%d: %s", p->conf->file, p->line, msg);
	return -1;
}

static int pwarn(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
pwarn(struct parser *p, const char *fmt, ...)
{
	char msg[POSTIE_ERR_MSG], *w, **nw;
	va_list ap;
	struct conf *c = p->conf;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&w, "%s:%d: %s", c->file, p->line, msg) == -1)
		return nomem(p->err);
	nw = reallocarray(c->warn, c->nwarn + 1, sizeof(*nw));
	if (nw == NULL) {
		free(w);
		return nomem(p->err);
	}
	c->warn = nw;
	c->warn[c->nwarn++] = w;
	return 0;
}

static void
node_builtin(struct node *n)
{
	memset(n, 0, sizeof(*n));
	n->a.port = 0;		/* resolved when the account is complete */
	n->a.inet_protocols = AF_UNSPEC;
	n->a.timeout = BOUND_TIMEOUT_DEFAULT;
	n->a.tls = 1;
	n->a.tls_starttls = 1;
	n->a.tls_certcheck = 1;
	n->a.tls_session_cache = 1;
	n->a.chunking = 1;
	n->a.tls_min_version = TLS1_2_VERSION;
	n->a.auth = AUTH_OFF;
	n->a.syslog_facility = LOG_MAIL;
	n->a.set_from_header = SET_FROM_AUTO;
	n->a.set_date_header = 1;
	n->a.set_msgid_header = 1;
	n->a.set_to_header = SET_TO_OFF;
	n->a.remove_bcc_headers = 1;
	n->a.allow_from_override = 1;
	n->a.queue = 1;
	n->a.queue_lifetime = 5L * 24 * 60 * 60;
	n->a.queue_flush = 1;
	n->a.max_message_size = 0;
	n->a.bounce = 1;
	n->a.delay_warning = 0;
}

static void
node_free(struct node *n)
{
	int f;

	if (n == NULL)
		return;
	for (f = 0; f < F__COUNT; f++)
		if (fields[f].type == FT_STR)
			freestr(FSTR(n, f));
	free(n->a.name);
	free(n->a.alias_of);
	explicit_bzero(n, sizeof(*n));
	free(n);
}

static int
copy_field(struct node *dst, const struct node *src, int f,
    struct postie_err *err)
{
	const struct field *fd = &fields[f];
	char *dup = NULL;
	const char *s;

	switch (fd->type) {
	case FT_VAL:
		memcpy((char *)dst + fd->off, (const char *)src + fd->off,
		    fd->size);
		break;
	case FT_STR:
		s = *(char *const *)(const void *)((const char *)src +
		    fd->off);
		if (s != NULL && (dup = strdup(s)) == NULL)
			return nomem(err);
		freestr(FSTR(dst, f));
		*FSTR(dst, f) = dup;
		break;
	case FT_FPR:
		memcpy(dst->a.tls_fingerprint, src->a.tls_fingerprint,
		    sizeof(dst->a.tls_fingerprint));
		dst->a.tls_has_fingerprint = src->a.tls_has_fingerprint;
		break;
	}
	return 0;
}

/* A new account: everything the defaults hold, set or not. */
static struct node *
node_from_defaults(const struct node *defaults, struct postie_err *err)
{
	struct node *n;
	int f;

	if ((n = malloc(sizeof(*n))) == NULL) {
		nomem(err);
		return NULL;
	}
	node_builtin(n);
	for (f = 0; f < F__COUNT; f++)
		if (copy_field(n, defaults, f, err) == -1) {
			node_free(n);
			return NULL;
		}
	n->mask = defaults->mask;
	return n;
}

/* msmtp inheritance: copy what the parent set (its defaults included). */
static int
node_inherit(struct node *n, const struct node *parent,
    struct postie_err *err)
{
	int f;

	for (f = 0; f < F__COUNT; f++)
		if ((parent->mask & BIT(f)) &&
		    copy_field(n, parent, f, err) == -1)
			return -1;
	n->mask |= parent->mask;
	return 0;
}

static struct node *
find_node(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nacct; i++)
		if (strcmp(c->accts[i]->a.name, name) == 0)
			return c->accts[i];
	return NULL;
}

static int
set_str(struct parser *p, struct node *n, int f, const char *val)
{
	char *dup = NULL;

	if (*val != '\0' && (dup = strdup(val)) == NULL)
		return nomem(p->err);
	freestr(FSTR(n, f));
	*FSTR(n, f) = dup;
	return 0;
}

/* on, off, or empty (on); case-insensitive. */
static int
parse_bool(const char *val, int *b)
{
	if (*val == '\0' || strcasecmp(val, "on") == 0)
		*b = 1;
	else if (strcasecmp(val, "off") == 0)
		*b = 0;
	else
		return -1;
	return 0;
}

static int
bad_value(struct parser *p, const struct keydef *kd, const char *val,
    const char *expected)
{
	char buf[SHOW_MAX * 4 + 1];

	return perr(p, "bad value '%s' for '%s': %s",
	    show(buf, sizeof(buf), val), kd->name, expected);
}

static int
need_value(struct parser *p, const struct keydef *kd)
{
	return perr(p, "key '%s' needs a value", kd->name);
}

/* Leading decimal digits as an unsigned number; -1 on none or overflow. */
static int
parse_digits(const char *s, unsigned long long *vp, const char **endp)
{
	unsigned long long v = 0;
	const char *q = s;

	while (*q >= '0' && *q <= '9') {
		if (v > (ULLONG_MAX - (unsigned)(*q - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*q - '0');
		q++;
	}
	if (q == s)
		return -1;
	*vp = v;
	*endp = q;
	return 0;
}

static int
h_bool(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	int b;

	if (parse_bool(val, &b) == -1)
		return bad_value(p, kd, val, "expected on or off");
	*FINT(n, kd->field) = b;
	return 0;
}

static int
h_str(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	return set_str(p, n, kd->field, val);
}

/* msmtp: a leading ~ in a file name stands for the home directory. */
/* val, a leading ~ made the home directory, in *outp (the caller's). */
static int
expand_home(struct parser *p, const struct keydef *kd, const char *val,
    char **outp)
{
	const char *home;

	*outp = NULL;
	if (val[0] != '~') {
		if ((*outp = strdup(val)) == NULL)
			return nomem(p->err);
		return 0;
	}
	if (val[1] != '\0' && val[1] != '/')
		return perr(p, "'%s': ~user is not supported in file names; "
		    "write the full path", kd->name);
	else if ((home = sysenv_home(p->sys)) == NULL)
		return perr(p, "'%s': cannot expand ~: no home directory",
		    kd->name);
	if (asprintf(outp, "%s%s", home, val + 1) == -1) {
		*outp = NULL;
		return nomem(p->err);
	}
	return 0;
}

static int
h_path(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	char *path;
	int rc;

	if (expand_home(p, kd, val, &path) == -1 || path == NULL)
		return -1;
	rc = set_str(p, n, kd->field, path);
	free(path);
	return rc;
}

/* A setting of the whole file, not of an account: defaults only. */
static int
h_metrics_file(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	char *path;

	if (p->cur != p->conf->defaults)
		return perr(p, "'%s' is valid in defaults only: the file "
		    "describes the whole queue", kd->name);
	if (expand_home(p, kd, val, &path) == -1 || path == NULL)
		return -1;
	if (path[0] != '/') {
		free(path);
		return perr(p, "'%s' needs an absolute path", kd->name);
	}
	free(p->conf->metrics_file);
	p->conf->metrics_file = path;
	return 0;
}

static int
h_host(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0')
		return need_value(p, kd);
	return set_str(p, n, kd->field, val);
}

static int
h_port(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	unsigned long long v;
	const char *end;

	if (*val == '\0') {
		*FINT(n, kd->field) = 0;
		return 0;
	}
	if (parse_digits(val, &v, &end) == -1 || *end != '\0' || v < 1 ||
	    v > 65535)
		return bad_value(p, kd, val, "expected a port number 1-65535");
	*FINT(n, kd->field) = (int)v;
	return 0;
}

/*
 * The name proposed for msmtp (its pull request 140) and Postfix's:
 * ipv4, ipv6 or all.
 */
static int
h_inet_protocols(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0' || strcasecmp(val, "all") == 0)
		n->a.inet_protocols = AF_UNSPEC;
	else if (strcasecmp(val, "ipv4") == 0)
		n->a.inet_protocols = AF_INET;
	else if (strcasecmp(val, "ipv6") == 0)
		n->a.inet_protocols = AF_INET6;
	else
		return bad_value(p, kd, val, "expected ipv4, ipv6 or all");
	return 0;
}

static int
h_source_ip(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (*val != '\0' && inet_pton(AF_INET, val, addr) != 1 &&
	    inet_pton(AF_INET6, val, addr) != 1)
		return bad_value(p, kd, val,
		    "expected an IPv4 or IPv6 address");
	return set_str(p, n, kd->field, val);
}

/* Check the % patterns of val against the letters allowed. */
static int
check_patterns(struct parser *p, const struct keydef *kd, const char *val,
    const char *allowed)
{
	const char *s;

	const char *known = allowed[0] == 'U' ?
	    "%U, %H, %C, %M, %F as the whole value" : "%H, %C, %M";

	for (s = val; (s = strchr(s, '%')) != NULL; s += 2) {
		if (s[1] == '%')
			continue;
		if (s[1] == '\0')
			return perr(p, "'%s': '%%' at the end of the value; "
			    "write %%%% for a literal %%", kd->name);
		if (strchr(allowed, s[1]) == NULL)
			return perr(p, "'%s': unknown pattern '%%%c' (known: "
			    "%s and %%%%)", kd->name,
			    isprint((unsigned char)s[1]) ? s[1] : '?', known);
	}
	return 0;
}

static int
h_domain(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (check_patterns(p, kd, val, "HCM") == -1)
		return -1;
	return set_str(p, n, kd->field, val);
}

static int
h_from(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	/* %F (msmtp 1.8.29): the From header's address, the whole value. */
	if (strcmp(val, CONF_FROM_HEADER) == 0)
		return set_str(p, n, kd->field, val);
	if (check_patterns(p, kd, val, "UHCM") == -1)
		return -1;
	return set_str(p, n, kd->field, val);
}

static int
h_timeout(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	unsigned long long v;
	const char *end;
	char expected[64];

	if (*val == '\0')
		return need_value(p, kd);
	if (strcasecmp(val, "off") == 0) {
		n->a.timeout = BOUND_TIMEOUT_MAX;
		return 0;
	}
	snprintf(expected, sizeof(expected), "expected 1-%d seconds or off",
	    BOUND_TIMEOUT_MAX);
	if (parse_digits(val, &v, &end) == -1 || *end != '\0' || v < 1 ||
	    v > BOUND_TIMEOUT_MAX)
		return bad_value(p, kd, val, expected);
	n->a.timeout = (int)v;
	return 0;
}

/* tls_nostarttls and tls_nocertcheck: msmtp's old spellings of "off". */
static int
h_no(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val != '\0')
		return perr(p, "key '%s' takes no value", kd->name);
	*FINT(n, kd->field) = 0;
	return 0;
}

static int
h_trust_file(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (strcmp(val, "system") == 0)
		val = "";
	return h_path(p, n, kd, val);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 32 hex bytes, either all separated by colons or none. */
static int
h_fingerprint(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	unsigned char fp[sizeof(n->a.tls_fingerprint)];
	size_t nbytes = 0, i = 0, len = strlen(val);
	int colons, hi, lo;

	if (len == 0) {
		memset(n->a.tls_fingerprint, 0, sizeof(n->a.tls_fingerprint));
		n->a.tls_has_fingerprint = 0;
		return 0;
	}
	colons = len > 2 && val[2] == ':';
	while (i < len) {
		if (nbytes > 0 && colons) {
			if (val[i] != ':')
				goto bad;
			i++;
		}
		if (i + 1 >= len ||
		    (hi = hexval((unsigned char)val[i])) == -1 ||
		    (lo = hexval((unsigned char)val[i + 1])) == -1)
			goto bad;
		if (nbytes < sizeof(fp))
			fp[nbytes] = (unsigned char)(hi << 4 | lo);
		nbytes++;
		i += 2;
	}
	if (nbytes != sizeof(fp))
		return perr(p, "'tls_fingerprint' has %zu bytes%s; postie needs "
		    "the SHA-256 fingerprint (32 bytes; openssl x509 -noout "
		    "-fingerprint -sha256)", nbytes, nbytes == 20 ? " (SHA-1)" :
		    nbytes == 16 ? " (MD5)" : "");
	memcpy(n->a.tls_fingerprint, fp, sizeof(fp));
	n->a.tls_has_fingerprint = 1;
	return 0;
bad:
	return bad_value(p, kd, val, "expected 32 hex bytes (SHA-256), "
	    "optionally separated by colons");
}

static int
h_min_version(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0' || strcasecmp(val, "TLSv1.2") == 0)
		n->a.tls_min_version = TLS1_2_VERSION;
	else if (strcasecmp(val, "TLSv1.3") == 0)
		n->a.tls_min_version = TLS1_3_VERSION;
	else if (strcasecmp(val, "TLSv1") == 0 ||
	    strcasecmp(val, "TLSv1.0") == 0 ||
	    strcasecmp(val, "TLSv1.1") == 0 || strcasecmp(val, "SSLv3") == 0)
		return bad_value(p, kd, val, "postie needs TLSv1.2 or later");
	else
		return bad_value(p, kd, val, "expected TLSv1.2 or TLSv1.3");
	return 0;
}

static const struct {
	const char *name;
	enum conf_auth auth;
} auth_names[] = {
	{ "off", AUTH_OFF },
	{ "on", AUTH_ON },
	{ "plain", AUTH_PLAIN },
	{ "login", AUTH_LOGIN },
	{ "cram-md5", AUTH_CRAM_MD5 },
	{ "scram-sha-1", AUTH_SCRAM_SHA_1 },
	{ "scram-sha-256", AUTH_SCRAM_SHA_256 },
	{ "xoauth2", AUTH_XOAUTH2 },
	{ "oauthbearer", AUTH_OAUTHBEARER },
	{ "external", AUTH_EXTERNAL },
};

static int
h_auth(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	size_t i;

	if (*val == '\0')
		val = "on";
	for (i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (strcasecmp(val, auth_names[i].name) == 0) {
			n->a.auth = auth_names[i].auth;
			return 0;
		}
	return bad_value(p, kd, val, "expected on, off, plain, login, "
	    "cram-md5, scram-sha-1, scram-sha-256, xoauth2, oauthbearer or "
	    "external");
}

static int
h_password(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val != '\0')
		p->conf->has_password = 1;
	return set_str(p, n, kd->field, val);
}

static const struct {
	const char *name;
	int	 facility;
} syslog_names[] = {
	{ "LOG_MAIL", LOG_MAIL },
	{ "LOG_USER", LOG_USER },
	{ "LOG_LOCAL0", LOG_LOCAL0 },
	{ "LOG_LOCAL1", LOG_LOCAL1 },
	{ "LOG_LOCAL2", LOG_LOCAL2 },
	{ "LOG_LOCAL3", LOG_LOCAL3 },
	{ "LOG_LOCAL4", LOG_LOCAL4 },
	{ "LOG_LOCAL5", LOG_LOCAL5 },
	{ "LOG_LOCAL6", LOG_LOCAL6 },
	{ "LOG_LOCAL7", LOG_LOCAL7 },
};

static int
h_syslog(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	size_t i;

	if (*val == '\0' || strcasecmp(val, "on") == 0) {
		n->a.syslog_facility = LOG_MAIL;
		return 0;
	}
	if (strcasecmp(val, "off") == 0) {
		n->a.syslog_facility = -1;
		return 0;
	}
	for (i = 0; i < sizeof(syslog_names) / sizeof(syslog_names[0]); i++)
		if (strcasecmp(val, syslog_names[i].name) == 0) {
			n->a.syslog_facility = syslog_names[i].facility;
			return 0;
		}
	return bad_value(p, kd, val, "expected on, off, LOG_MAIL, LOG_USER "
	    "or LOG_LOCAL0 to LOG_LOCAL7");
}

static int
h_set_from(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0' || strcasecmp(val, "on") == 0)
		n->a.set_from_header = SET_FROM_ON;
	else if (strcasecmp(val, "auto") == 0)
		n->a.set_from_header = SET_FROM_AUTO;
	else if (strcasecmp(val, "off") == 0)
		n->a.set_from_header = SET_FROM_OFF;
	else
		return bad_value(p, kd, val, "expected auto, on or off");
	return 0;
}

/* msmtp's old add_missing_from_header: on is auto. */
static int
h_add_missing_from(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	int b;

	if (parse_bool(val, &b) == -1)
		return bad_value(p, kd, val, "expected on or off");
	n->a.set_from_header = b ? SET_FROM_AUTO : SET_FROM_OFF;
	return 0;
}

/* set_date_header, set_msgid_header: auto (on) or off. */
static int
h_auto_off(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0' || strcasecmp(val, "auto") == 0 ||
	    strcasecmp(val, "on") == 0)
		*FINT(n, kd->field) = 1;
	else if (strcasecmp(val, "off") == 0)
		*FINT(n, kd->field) = 0;
	else
		return bad_value(p, kd, val, "expected auto or off");
	return 0;
}

static int
h_set_to(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0' || strcasecmp(val, "on") == 0)
		n->a.set_to_header = SET_TO_ON;
	else if (strcasecmp(val, "off") == 0)
		n->a.set_to_header = SET_TO_OFF;
	else if (strcasecmp(val, "undisclosed_recipients") == 0)
		n->a.set_to_header = SET_TO_UNDISCLOSED;
	else
		return bad_value(p, kd, val,
		    "expected on, off or undisclosed_recipients");
	return 0;
}

/* msmtp's old undisclosed_recipients. */
static int
h_undisclosed(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	int b;

	if (parse_bool(val, &b) == -1)
		return bad_value(p, kd, val, "expected on or off");
	n->a.set_to_header = b ? SET_TO_UNDISCLOSED : SET_TO_OFF;
	return 0;
}

/* msmtp's old keepbcc: the opposite of remove_bcc_headers. */
static int
h_keepbcc(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	int b;

	if (parse_bool(val, &b) == -1)
		return bad_value(p, kd, val, "expected on or off");
	n->a.remove_bcc_headers = !b;
	return 0;
}

/* RFC 3461 4.1: NEVER, or a list of SUCCESS, FAILURE, DELAY. */
static int
h_dsn_notify(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	static const char *const conds[] = { "success", "failure", "delay" };
	const char *s = val, *e;
	char out[sizeof("SUCCESS,FAILURE,DELAY")];
	size_t i, len;
	int seen = 0, match;

	if (*val == '\0')
		return need_value(p, kd);
	if (strcasecmp(val, "off") == 0)
		return set_str(p, n, kd->field, "");
	if (strcasecmp(val, "never") == 0)
		return set_str(p, n, kd->field, "NEVER");
	out[0] = '\0';
	for (;;) {
		e = strchr(s, ',');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		match = -1;
		for (i = 0; i < sizeof(conds) / sizeof(conds[0]); i++)
			if (len == strlen(conds[i]) &&
			    strncasecmp(s, conds[i], len) == 0)
				match = (int)i;
		if (match == -1 || (seen & (1 << match)))
			return bad_value(p, kd, val, "expected off, never, or "
			    "a list of success, failure and delay separated by "
			    "commas");
		seen |= 1 << match;
		if (out[0] != '\0')
			strlcat(out, ",", sizeof(out));
		strlcat(out, match == 0 ? "SUCCESS" : match == 1 ? "FAILURE" :
		    "DELAY", sizeof(out));
		if (e == NULL)
			break;
		s = e + 1;
	}
	return set_str(p, n, kd->field, out);
}

static int
h_dsn_return(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0')
		return need_value(p, kd);
	if (strcasecmp(val, "off") == 0)
		return set_str(p, n, kd->field, "");
	if (strcasecmp(val, "headers") == 0)
		return set_str(p, n, kd->field, "HDRS");
	if (strcasecmp(val, "full") == 0)
		return set_str(p, n, kd->field, "FULL");
	return bad_value(p, kd, val, "expected off, headers or full");
}

/* A duration: seconds, or a number followed by s, m, h or d; > 0. */
static int
parse_duration(const char *val, long *out)
{
	unsigned long long v, mult = 1;
	const char *end;

	if (parse_digits(val, &v, &end) == -1)
		return -1;
	if (*end != '\0') {
		switch (tolower((unsigned char)*end)) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 60 * 60;
			break;
		case 'd':
			mult = 24 * 60 * 60;
			break;
		default:
			return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v == 0 || v > (unsigned long long)LONG_MAX / mult)
		return -1;
	*out = (long)(v * mult);
	return 0;
}

static int
h_queue_lifetime(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0')
		return need_value(p, kd);
	if (parse_duration(val, &n->a.queue_lifetime) == -1)
		return bad_value(p, kd, val, "expected a positive number of "
		    "seconds, optionally followed by s, m, h or d");
	return 0;
}

/* delay_warning: off (0), or a duration. */
static int
h_delay_warning(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0')
		return need_value(p, kd);
	if (strcasecmp(val, "off") == 0) {
		n->a.delay_warning = 0;
		return 0;
	}
	if (parse_duration(val, &n->a.delay_warning) == -1)
		return bad_value(p, kd, val, "expected off, or a positive "
		    "number of seconds, optionally followed by s, m, h or d");
	return 0;
}

/*
 * fallback: account names separated by spaces, kept as one string of
 * single spaces ("" for none); each must be a plain name.
 */
static int
h_fallback(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	char out[CONF_FALLBACK_MAX * 64], buf[SHOW_MAX * 4 + 1];
	const char *s = val, *e;
	size_t len, count = 0;

	out[0] = '\0';
	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		for (e = s; *e != '\0' && *e != ' ' && *e != '\t'; e++)
			if (*e == ':' || (unsigned char)*e < 0x20)
				return bad_value(p, kd, val, "expected "
				    "account names separated by spaces");
		len = (size_t)(e - s);
		if (++count > CONF_FALLBACK_MAX || len >= 64 ||
		    (n->a.name != NULL && strlen(n->a.name) == len &&
		    strncmp(n->a.name, s, len) == 0))
			return perr(p, "'%s %s': at most %d accounts, other "
			    "than this one", kd->name, show(buf, sizeof(buf),
			    val), CONF_FALLBACK_MAX);
		if (out[0] != '\0')
			strlcat(out, " ", sizeof(out));
		strncat(out, s, len);
		s = e;
	}
	return set_str(p, n, kd->field, out);
}

static int
h_max_size(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	unsigned long long v, mult = 1;
	const char *end;

	if (*val == '\0')
		return need_value(p, kd);
	if (parse_digits(val, &v, &end) == -1)
		goto bad;
	if (*end != '\0') {
		switch (tolower((unsigned char)*end)) {
		case 'k':
			mult = 1024;
			break;
		case 'm':
			mult = 1024 * 1024;
			break;
		case 'g':
			mult = 1024 * 1024 * 1024;
			break;
		default:
			goto bad;
		}
		if (end[1] != '\0')
			goto bad;
	}
	if (v > (unsigned long long)LLONG_MAX / mult)
		goto bad;
	n->a.max_message_size = (long long)(v * mult);
	return 0;
bad:
	return bad_value(p, kd, val, "expected a number of bytes, optionally "
	    "followed by k, M or G (0: no limit)");
}

static int
h_protocol(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	char buf[SHOW_MAX * 4 + 1];

	if (*val == '\0' || strcasecmp(val, "smtp") == 0)
		return 0;
	return perr(p, "'%s %s' is not supported by postie (only smtp)",
	    kd->name, show(buf, sizeof(buf), val));
}

static int
h_ignore(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	return pwarn(p, "ignoring key '%s': postie has no use for it",
	    kd->name);
}

/* What to do about an msmtp key that changes delivery or security. */
#define CONF_UNSUP_HINT	": it changes how mail is delivered or secured; " \
	"remove it only if the account works without it"

static int
h_unsup(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	return perr(p, "key '%s' is not supported by postie" CONF_UNSUP_HINT,
	    kd->name);
}

/* Keys whose empty value means "library default", which is postie's. */
static int
h_unsup_set(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (*val == '\0')
		return pwarn(p, "ignoring key '%s' with an empty value: postie "
		    "does not support it", kd->name);
	return h_unsup(p, n, kd, val);
}

static int
h_force_sslv3(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (strcasecmp(val, "off") == 0)
		return pwarn(p, "ignoring key '%s off': postie never uses "
		    "SSLv3", kd->name);
	return h_unsup(p, n, kd, val);
}

/*
 * The oauth2_* keys need the build's OAuth 2.0 support; without it they
 * are an error that says how to get it.
 */
static int
oauth2_built(struct parser *p, const struct keydef *kd)
{
#ifdef HAVE_OAUTH2
	(void)p;
	(void)kd;
	return 0;
#else
	return perr(p, "'%s': this postie was built without OAuth 2.0 "
	    "support (configure --with-oauth2, which needs libcurl and "
	    "json-c)", kd->name);
#endif
}

static const struct {
	const char *name;
	enum conf_oauth2_provider provider;
} provider_names[] = {
	{ "microsoft", OAUTH2_MICROSOFT },
	{ "google", OAUTH2_GOOGLE },
	{ "custom", OAUTH2_CUSTOM },
};

static int
h_oauth2_provider(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	size_t i;

	if (oauth2_built(p, kd) == -1)
		return -1;
	if (*val == '\0' || strcasecmp(val, "off") == 0) {
		n->a.oauth2_provider = OAUTH2_NONE;
		return 0;
	}
	for (i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]);
	    i++)
		if (strcasecmp(val, provider_names[i].name) == 0) {
			n->a.oauth2_provider = provider_names[i].provider;
			return 0;
		}
	return bad_value(p, kd, val, "expected microsoft, google, custom or "
	    "off");
}

static int
h_oauth2_str(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (oauth2_built(p, kd) == -1)
		return -1;
	return set_str(p, n, kd->field, val);
}

/* An endpoint: https only, printable, no blanks. */
static int
h_oauth2_url(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	const unsigned char *c;

	if (oauth2_built(p, kd) == -1)
		return -1;
	if (*val == '\0')
		return set_str(p, n, kd->field, val);
	if (strncasecmp(val, "https://", 8) != 0 || val[8] == '\0')
		return bad_value(p, kd, val, "expected an https:// URL");
	for (c = (const unsigned char *)val; *c != '\0'; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return bad_value(p, kd, val, "expected an https:// "
			    "URL without blanks");
	return set_str(p, n, kd->field, val);
}

static int
h_oauth2_secret(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (oauth2_built(p, kd) == -1)
		return -1;
	return h_password(p, n, kd, val);
}

static int
h_oauth2_path(struct parser *p, struct node *n, const struct keydef *kd,
    const char *val)
{
	if (oauth2_built(p, kd) == -1)
		return -1;
	if (kd->field == F_OAUTH2_TRUST_FILE && strcmp(val, "system") == 0)
		val = "";
	return h_path(p, n, kd, val);
}

static const struct keydef keys[] = {
	{ "host", h_host, F_HOST },
	{ "port", h_port, F_PORT },
	{ "source_ip", h_source_ip, F_SOURCE_IP },
	{ "inet_protocols", h_inet_protocols, F_INET_PROTOCOLS },
	{ "socket", h_path, F_SOCKET },
	{ "proxy_host", h_str, F_PROXY_HOST },
	{ "proxy_port", h_port, F_PROXY_PORT },
	{ "domain", h_domain, F_DOMAIN },
	{ "timeout", h_timeout, F_TIMEOUT },
	{ "connect_timeout", h_timeout, F_TIMEOUT },
	{ "tls", h_bool, F_TLS },
	{ "tls_starttls", h_bool, F_TLS_STARTTLS },
	{ "tls_nostarttls", h_no, F_TLS_STARTTLS },
	{ "tls_certcheck", h_bool, F_TLS_CERTCHECK },
	{ "tls_nocertcheck", h_no, F_TLS_CERTCHECK },
	{ "tls_session_cache", h_bool, F_TLS_SESSION_CACHE },
	{ "chunking", h_bool, F_CHUNKING },
	{ "tls_trust_file", h_trust_file, F_TLS_TRUST_FILE },
	{ "tls_fingerprint", h_fingerprint, F_TLS_FINGERPRINT },
	{ "tls_cert_file", h_path, F_TLS_CERT_FILE },
	{ "tls_key_file", h_path, F_TLS_KEY_FILE },
	{ "tls_crl_file", h_path, F_TLS_CRL_FILE },
	{ "tls_host_override", h_str, F_TLS_HOST_OVERRIDE },
	{ "tls_min_version", h_min_version, F_TLS_MIN_VERSION },
	{ "auth", h_auth, F_AUTH },
	{ "allow_cleartext_auth", h_bool, F_ALLOW_CLEARTEXT_AUTH },
	{ "user", h_str, F_USER },
	{ "password", h_password, F_PASSWORD },
	{ "passwordeval", h_str, F_PASSWORDEVAL },
	{ "from", h_from, F_FROM },
	{ "from_full_name", h_str, F_FROM_FULL_NAME },
	{ "maildomain", h_str, F_MAILDOMAIN },
	{ "aliases", h_path, F_ALIASES },
	{ "qualify_headers", h_bool, F_QUALIFY_HEADERS },
	{ "logfile", h_path, F_LOGFILE },
	{ "logfile_time_format", h_str, F_LOGFILE_TIME_FORMAT },
	{ "syslog", h_syslog, F_SYSLOG },
	{ "set_from_header", h_set_from, F_SET_FROM_HEADER },
	{ "add_missing_from_header", h_add_missing_from, F_SET_FROM_HEADER },
	{ "set_date_header", h_auto_off, F_SET_DATE_HEADER },
	{ "add_missing_date_header", h_bool, F_SET_DATE_HEADER },
	{ "set_msgid_header", h_auto_off, F_SET_MSGID_HEADER },
	{ "set_to_header", h_set_to, F_SET_TO_HEADER },
	{ "undisclosed_recipients", h_undisclosed, F_SET_TO_HEADER },
	{ "remove_bcc_headers", h_bool, F_REMOVE_BCC_HEADERS },
	{ "keepbcc", h_keepbcc, F_REMOVE_BCC_HEADERS },
	{ "allow_from_override", h_bool, F_ALLOW_FROM_OVERRIDE },
	{ "dsn_notify", h_dsn_notify, F_DSN_NOTIFY },
	{ "dsn_return", h_dsn_return, F_DSN_RETURN },
	{ "queue", h_bool, F_QUEUE },
	{ "queue_lifetime", h_queue_lifetime, F_QUEUE_LIFETIME },
	{ "queue_flush", h_bool, F_QUEUE_FLUSH },
	{ "max_message_size", h_max_size, F_MAX_MESSAGE_SIZE },
	{ "auto_from", h_bool, F_AUTO_FROM },
	{ "oauth2_provider", h_oauth2_provider, F_OAUTH2_PROVIDER },
	{ "oauth2_tenant", h_oauth2_str, F_OAUTH2_TENANT },
	{ "oauth2_client_id", h_oauth2_str, F_OAUTH2_CLIENT_ID },
	{ "oauth2_client_secret", h_oauth2_secret, F_OAUTH2_CLIENT_SECRET },
	{ "oauth2_auth_url", h_oauth2_url, F_OAUTH2_AUTH_URL },
	{ "oauth2_device_url", h_oauth2_url, F_OAUTH2_DEVICE_URL },
	{ "oauth2_token_url", h_oauth2_url, F_OAUTH2_TOKEN_URL },
	{ "oauth2_scope", h_oauth2_str, F_OAUTH2_SCOPE },
	{ "oauth2_token_file", h_oauth2_path, F_OAUTH2_TOKEN_FILE },
	{ "oauth2_trust_file", h_oauth2_path, F_OAUTH2_TRUST_FILE },
	{ "bounce", h_bool, F_BOUNCE },
	{ "bounce_to", h_str, F_BOUNCE_TO },
	{ "delay_warning", h_delay_warning, F_DELAY_WARNING },
	{ "fallback", h_fallback, F_FALLBACK },
	{ "metrics_file", h_metrics_file, -1 },
	/* msmtp keys postie does not implement. */
	{ "protocol", h_protocol, -1 },
	{ "ntlmdomain", h_ignore, -1 },
	{ "tls_force_sslv3", h_force_sslv3, -1 },
	{ "tls_priorities", h_unsup_set, -1 },
	{ "tls_min_dh_prime_bits", h_unsup_set, -1 },
};

static const struct keydef *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static char *
trim(char *s)
{
	size_t len;

	while (is_blank((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_blank((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/*
 * Split a line in place into key and value: the value is the rest of the
 * line trimmed, or a double-quoted string in which \" and \\ stand for "
 * and \.  Returns 1 with key and value, 0 for a blank or comment line.
 */
static int
split_line(struct parser *p, char *line, char **keyp, char **valp)
{
	char *s = line, *k, *o;

	while (is_blank((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	k = s;
	while (*s != '\0' && !is_blank((unsigned char)*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	while (is_blank((unsigned char)*s))
		s++;
	*keyp = k;
	*valp = s;
	if (*s != '"') {
		trim(s);
		return 1;
	}
	o = s++;
	for (;;) {
		if (*s == '\0')
			return perr(p, "missing closing quote in the value of "
			    "'%s'", k);
		if (*s == '"')
			break;
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		*o++ = *s++;
	}
	*o = '\0';
	for (s++; is_blank((unsigned char)*s); s++)
		;
	if (*s != '\0')
		return perr(p, "text after the closing quote in the value of "
		    "'%s'", k);
	return 1;
}

static int
add_account(struct parser *p, char *val)
{
	struct conf *c = p->conf;
	struct node *n, *parent, **na;
	char *colon, *name, *list = NULL, *tok, *next;
	char buf[SHOW_MAX * 4 + 1], buf2[SHOW_MAX * 4 + 1];
	int nparents = 0;

	if ((colon = strchr(val, ':')) != NULL) {
		*colon = '\0';
		list = colon + 1;
	}
	name = trim(val);
	if (*name == '\0')
		return perr(p, "'account' needs a name");
	if ((n = find_node(c, name)) != NULL)
		return perr(p, "account '%s' is already defined at line %d",
		    show(buf, sizeof(buf), name), n->a.line);
	if ((n = node_from_defaults(c->defaults, p->err)) == NULL)
		return -1;
	if ((n->a.name = strdup(name)) == NULL) {
		node_free(n);
		return nomem(p->err);
	}
	n->a.file = c->file;
	n->a.line = p->line;
	for (tok = list; tok != NULL; tok = next) {
		if ((next = strchr(tok, ',')) != NULL)
			*next++ = '\0';
		tok = trim(tok);
		if (*tok == '\0') {
			node_free(n);
			return perr(p, "account '%s': missing account name in "
			    "the list after ':'", show(buf, sizeof(buf), name));
		}
		if ((parent = find_node(c, tok)) == NULL) {
			node_free(n);
			return perr(p, "account '%s' inherits from unknown "
			    "account '%s'", show(buf, sizeof(buf), name),
			    show(buf2, sizeof(buf2), tok));
		}
		if (node_inherit(n, parent, p->err) == -1) {
			node_free(n);
			return -1;
		}
		/* msmtp's way to name the default: what it stands for. */
		free(n->a.alias_of);
		n->a.alias_of = NULL;
		if (strcmp(name, "default") == 0 && nparents++ == 0 &&
		    next == NULL && (n->a.alias_of = strdup(tok)) == NULL) {
			node_free(n);
			return nomem(p->err);
		}
	}
	/* An array of pointers to nodes: sizeof(struct node *) is meant.
	 * NOLINTNEXTLINE(bugprone-sizeof-expression) */
	na = reallocarray(c->accts, c->nacct + 1, sizeof(*na));
	if (na == NULL) {
		node_free(n);
		return nomem(p->err);
	}
	c->accts = na;
	c->accts[c->nacct++] = n;
	p->cur = n;
	return 0;
}

static int parse_line(struct parser *, char *);

/*
 * msmtp's eval: the line is replaced by the first line the command prints
 * (nothing: an empty line).  It runs a command as the user, so only in a
 * file postie opened itself and found the user's and writable by no one
 * else, under the account's timeout.  A password it gives does not make
 * the file secret.
 */
static int
parse_eval(struct parser *p, const char *cmd)
{
	char who[BOUND_PATH + 64], *out, *s;
	int rc, had_password = p->conf->has_password;

	if (*cmd == '\0')
		return perr(p, "'eval' needs a command");
	if (p->no_eval != NULL)
		return perr(p, "'eval' runs a command: %s", p->no_eval);
	snprintf(who, sizeof(who), "eval at %s:%d", p->conf->file, p->line);
	if ((out = malloc(BOUND_CONF_LINE + 1)) == NULL)
		return nomem(p->err);
	rc = helper_first_line(cmd, who, p->cur != NULL ? p->cur->a.timeout :
	    BOUND_TIMEOUT_DEFAULT, out, BOUND_CONF_LINE + 1, p->err);
	if (rc == 0) {
		for (s = out; is_blank((unsigned char)*s); s++)
			;
		if (strncmp(s, "eval", 4) == 0 &&
		    (s[4] == '\0' || is_blank((unsigned char)s[4])))
			rc = perr(p, "'eval' printed another eval line");
		else
			rc = parse_line(p, out);
	}
	p->conf->has_password = had_password;
	explicit_bzero(out, BOUND_CONF_LINE + 1);
	free(out);
	return rc;
}

static int
parse_line(struct parser *p, char *line)
{
	const struct keydef *kd;
	char *key, *val, buf[SHOW_MAX * 4 + 1];
	int rc;

	if ((rc = split_line(p, line, &key, &val)) <= 0)
		return rc;
	if (strcmp(key, "defaults") == 0) {
		if (*val != '\0')
			return perr(p, "'defaults' takes no value");
		p->cur = p->conf->defaults;
		return 0;
	}
	if (strcmp(key, "account") == 0)
		return add_account(p, val);
	if (strcmp(key, "eval") == 0)
		return parse_eval(p, val);
	if ((kd = find_key(key)) == NULL)
		return perr(p, "unknown key '%s'", show(buf, sizeof(buf), key));
	if (p->cur == NULL)
		return perr(p, "setting '%s' outside an account; put it after "
		    "'defaults' or 'account NAME'", kd->name);
	if (kd->handler(p, p->cur, kd, val) == -1)
		return -1;
	if (kd->field >= 0)
		p->cur->mask |= BIT(kd->field);
	return 0;
}

/* The first line of /etc/mailname, trimmed; NULL when absent or empty. */
static char *
lookup_mailname(void)
{
	FILE *fp;
	char buf[BOUND_DOMAIN + 2], *s;

	if ((fp = fopen(MAILNAME_FILE, "re")) == NULL)
		return NULL;
	s = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	if (s == NULL)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	s = trim(buf);
	return *s != '\0' ? strdup(s) : NULL;
}

/*
 * The value of one pattern letter, looked up on first use (the host's
 * names once per run, by sysenv); NULL with why filled when there is
 * none.
 */
static const char *
expand_one(struct expand_ctx *x, int letter, struct postie_err *why)
{
	const char *v;

	switch (letter) {
	case 'U':
		if ((v = sysenv_login(x->sys)) == NULL)
			err_setx(why, EX_OSERR, "no user name for uid %lu",
			    (unsigned long)sysenv_euid(x->sys));
		return v;
	case 'H':
		return sysenv_hostname(x->sys, why);
	case 'C':
		return sysenv_fqdn(x->sys, why);
	case 'M':
		if (!x->mailname_read) {
			x->mailname_read = 1;
			x->mailname = lookup_mailname();
		}
		if (x->mailname != NULL)
			return x->mailname;
		return sysenv_fqdn(x->sys, why);
	}
	err_setx(why, EX_SOFTWARE, "unknown pattern");
	return NULL;
}

/* Replace *sp by its % patterns expanded (checked when parsed). */
static int
expand_str(struct expand_ctx *x, const struct account *a, const char *key,
    char **sp, struct postie_err *err)
{
	struct postie_err why;
	char *out = NULL;
	const char *s, *v;
	size_t len = 0;
	FILE *mf;

	if (*sp == NULL || strchr(*sp, '%') == NULL)
		return 0;
	if ((mf = open_memstream(&out, &len)) == NULL)
		return nomem(err);
	for (s = *sp; *s != '\0'; s++) {
		if (*s != '%') {
			fputc(*s, mf);
			continue;
		}
		s++;
		if (*s == '%') {
			fputc('%', mf);
			continue;
		}
		if ((v = expand_one(x, *s, &why)) == NULL) {
			fclose(mf);
			free(out);
			err_setx(err, EX_OSERR, "%s:%d: account %s: %s: cannot "
			    "find the value of %%%c: %s", a->file, a->line,
			    a->name, key, *s, why.msg);
			return -1;
		}
		fputs(v, mf);
	}
	if (fclose(mf) == EOF) {
		free(out);
		return nomem(err);
	}
	freestr(sp);
	*sp = out;
	return 0;
}

/* Set *sp to val when it is unset. */
static int
default_str(char **sp, const char *val, struct postie_err *err)
{
	if (*sp != NULL || val == NULL)
		return 0;
	if ((*sp = strdup(val)) == NULL)
		return nomem(err);
	return 0;
}

#define MICROSOFT_LOGIN	"https://login.microsoftonline.com/"

/*
 * The provider's endpoints and scope where the keys leave them unset:
 * the Microsoft identity platform (v2.0) with the tenant, Google's
 * OAuth 2.0 endpoints; custom has none.  auth on becomes AUTH_OAUTH2.
 */
static int
oauth2_defaults(struct account *a, struct postie_err *err)
{
	char url[3][512];
	const char *tenant;
	int i, n;

	switch (a->oauth2_provider) {
	case OAUTH2_NONE:
		return 0;
	case OAUTH2_MICROSOFT:
		if (default_str(&a->oauth2_tenant, "common", err) == -1)
			return -1;
		tenant = a->oauth2_tenant;
		n = snprintf(url[0], sizeof(url[0]), MICROSOFT_LOGIN
		    "%s/oauth2/v2.0/authorize", tenant);
		if (n >= 0 && (size_t)n < sizeof(url[0]))
			n = snprintf(url[1], sizeof(url[1]), MICROSOFT_LOGIN
			    "%s/oauth2/v2.0/devicecode", tenant);
		if (n >= 0 && (size_t)n < sizeof(url[1]))
			n = snprintf(url[2], sizeof(url[2]), MICROSOFT_LOGIN
			    "%s/oauth2/v2.0/token", tenant);
		if (n < 0 || (size_t)n >= sizeof(url[2]) ||
		    strspn(tenant, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		    strlen(tenant)) {
			err_setx(err, EX_CONFIG, "%s:%d: account %s: "
			    "oauth2_tenant: expected a tenant name or id",
			    a->file, a->line, a->name);
			return -1;
		}
		for (i = 0; i < 3; i++)
			if (default_str(i == 0 ? &a->oauth2_auth_url :
			    i == 1 ? &a->oauth2_device_url :
			    &a->oauth2_token_url, url[i], err) == -1)
				return -1;
		if (default_str(&a->oauth2_scope, "https://outlook.office.com/"
		    "SMTP.Send offline_access", err) == -1)
			return -1;
		break;
	case OAUTH2_GOOGLE:
		if (default_str(&a->oauth2_auth_url,
		    "https://accounts.google.com/o/oauth2/v2/auth", err) ==
		    -1 || default_str(&a->oauth2_token_url,
		    "https://oauth2.googleapis.com/token", err) == -1 ||
		    default_str(&a->oauth2_scope, "https://mail.google.com/",
		    err) == -1)
			return -1;
		break;
	case OAUTH2_CUSTOM:
		break;
	}
	if (a->auth == AUTH_ON)
		a->auth = AUTH_OAUTH2;
	return 0;
}

/* Defaults that depend on other settings, then the % patterns. */
static int
finalize(struct node *n, struct expand_ctx *x, struct postie_err *err)
{
	struct account *a = &n->a;
	struct postie_err why;
	const char *user, *domain;
	char *from;
	int rc;

	if (a->port == 0)
		a->port = a->tls && !a->tls_starttls ? 465 : 587;
	/* msmtp: with a socket, host is optional and the socket names it. */
	if (a->host == NULL && a->socket != NULL &&
	    (a->host = strdup(a->socket)) == NULL)
		return nomem(err);
	if (!(n->mask & BIT(F_AUTH)))
		a->auth = a->user != NULL ? AUTH_ON : AUTH_OFF;
	if (oauth2_defaults(a, err) == -1)
		return -1;
	if (!(n->mask & BIT(F_QUALIFY_HEADERS)))
		a->qualify_headers = a->maildomain != NULL ||
		    a->aliases != NULL;
	if (n->auto_from) {
		/* msmtp: auto_from wins over from. */
		domain = a->maildomain;
		if ((user = expand_one(x, 'U', &why)) == NULL ||
		    (domain == NULL &&
		    (domain = expand_one(x, 'C', &why)) == NULL)) {
			err_setx(err, EX_OSERR, "%s:%d: account %s: auto_from: "
			    "%s", a->file, a->line, a->name, why.msg);
			return -1;
		}
		if (asprintf(&from, "%s@%s", user, domain) == -1)
			return nomem(err);
		freestr(&a->from);
		a->from = from;
	} else if (a->from != NULL && strcmp(a->from, CONF_FROM_HEADER) != 0 &&
	    expand_str(x, a, "from", &a->from, err) == -1)
		return -1;
	rc = expand_str(x, a, "domain", &a->domain, err);
	return rc;
}

static int
conf_parse_as(struct conf **confp, FILE *fp, const char *name,
    struct sysenv *sys, const char *no_eval, struct postie_err *err)
{
	struct conf *c;
	struct parser p;
	struct expand_ctx x;
	char *line = NULL;
	size_t cap = 0, i;
	ssize_t len;
	int rc = 0;

	*confp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return nomem(err);
	if ((c->file = strdup(name)) == NULL ||
	    (c->defaults = malloc(sizeof(*c->defaults))) == NULL) {
		conf_free(c);
		return nomem(err);
	}
	node_builtin(c->defaults);
	c->owner = (uid_t)-1;
	memset(&p, 0, sizeof(p));
	p.conf = c;
	p.sys = sys;
	p.err = err;
	p.no_eval = no_eval;
	while ((len = getline(&line, &cap, fp)) != -1) {
		p.line++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((size_t)len > BOUND_CONF_LINE)
			rc = perr(&p, "line longer than %d bytes",
			    BOUND_CONF_LINE);
		else if (strlen(line) != (size_t)len)
			rc = perr(&p, "NUL byte in line");
		else
			rc = parse_line(&p, line);
		explicit_bzero(line, (size_t)len);
		if (rc == -1)
			break;
	}
	if (rc == 0 && ferror(fp)) {
		err_set(err, EX_IOERR, "%s: read error", c->file);
		rc = -1;
	}
	if (line != NULL) {
		explicit_bzero(line, cap);
		free(line);
	}
	if (rc == 0) {
		memset(&x, 0, sizeof(x));
		x.sys = sys;
		for (i = 0; i < c->nacct && rc == 0; i++)
			rc = finalize(c->accts[i], &x, err);
		free(x.mailname);
	}
	if (rc == -1) {
		conf_free(c);
		return -1;
	}
	*confp = c;
	return 0;
}

int
conf_parse(struct conf **confp, FILE *fp, const char *name,
    struct sysenv *sys, struct postie_err *err)
{
	return conf_parse_as(confp, fp, name, sys, "postie reads it only "
	    "from a file it opens itself (conf_load)", err);
}

/* Why eval may not run from the file described by st; NULL: it may. */
static const char *
eval_refusal(const struct stat *st, char *buf, size_t bufsz)
{
	if (st->st_uid != geteuid()) {
		snprintf(buf, bufsz, "only in a file you own, and this one is "
		    "owned by uid %lu", (unsigned long)st->st_uid);
		return buf;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "only in a file that group and others cannot write; "
		    "run: chmod go-w on it";
	return NULL;
}

static int
open_errno_ex(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case EACCES:
	case ELOOP:
	case EISDIR:
	case ENAMETOOLONG:
		return EX_CONFIG;
	}
	return EX_OSERR;
}

int
conf_load(struct conf **confp, const char *path, struct sysenv *sys,
    struct postie_err *err)
{
	struct conf *c;
	struct stat st;
	FILE *fp;
	char iobuf[BUFSIZ], why[128];
	int fd, rc;

	*confp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		err_set(err, open_errno_ex(errno), "%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		err_set(err, EX_OSERR, "%s: fstat", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		err_setx(err, EX_CONFIG, "%s: not a regular file", path);
		return -1;
	}
	/* Whoever can write the file runs passwordeval as us. */
	if (geteuid() == 0 && st.st_uid != 0) {
		close(fd);
		err_setx(err, EX_CONFIG, "%s: owned by uid %lu, not root: "
		    "refusing to read it as root", path,
		    (unsigned long)st.st_uid);
		return -1;
	}
	if (geteuid() == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		err_setx(err, EX_CONFIG, "%s: writable by group or others: "
		    "refusing to read it as root; run: chmod go-w %s", path,
		    path);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		close(fd);
		err_setx(err, EX_CONFIG, "%s: writable by others; run: "
		    "chmod o-w %s", path, path);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		err_set(err, EX_OSERR, "%s: fdopen", path);
		close(fd);
		return -1;
	}
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	rc = conf_parse_as(&c, fp, path, sys, eval_refusal(&st, why,
	    sizeof(why)), err);
	fclose(fp);
	explicit_bzero(iobuf, sizeof(iobuf));
	if (rc == -1)
		return -1;
	if (c->has_password && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		conf_free(c);
		err_setx(err, EX_CONFIG, "%s: holds a password but is readable "
		    "by others; run: chmod 600 %s", path, path);
		return -1;
	}
	c->owner = st.st_uid;
	*confp = c;
	return 0;
}

/* Exists, or at least is there to fail loudly when opened. */
static int
path_exists(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	return errno != ENOENT && errno != ENOTDIR;
}

int
conf_default_path(char *buf, size_t bufsz, const char *sysconf_path,
    const struct sysenv *sys, struct postie_err *err)
{
	char user[PATH_MAX];
	const char *xdg, *home;
	int n = -1;

	if ((xdg = sysenv_xdg_config_home(sys)) != NULL)
		n = snprintf(user, sizeof(user), "%s/postie/config", xdg);
	else if ((home = sysenv_home(sys)) != NULL)
		n = snprintf(user, sizeof(user), "%s/.config/postie/config",
		    home);
	if (n < 0 || (size_t)n >= sizeof(user))
		strlcpy(user, "~/.config/postie/config (no home directory)",
		    sizeof(user));
	else if (path_exists(user)) {
		if (strlcpy(buf, user, bufsz) >= bufsz) {
			err_setx(err, EX_CONFIG, "%s: path too long", user);
			return -1;
		}
		return 0;
	}
	if (sysconf_path != NULL && path_exists(sysconf_path)) {
		if (strlcpy(buf, sysconf_path, bufsz) >= bufsz) {
			err_setx(err, EX_CONFIG, "%s: path too long",
			    sysconf_path);
			return -1;
		}
		return 0;
	}
	err_setx(err, EX_CONFIG, "no configuration file: neither %s nor %s "
	    "exists", user, sysconf_path != NULL ? sysconf_path : "(none)");
	return -1;
}

const struct account *
conf_account(const struct conf *c, const char *name)
{
	const struct node *n = find_node(c, name);

	return n != NULL ? &n->a : NULL;
}

int
conf_fallback_name(const struct account *a, size_t i, char *buf,
    size_t bufsz)
{
	const char *s = a->fallback, *e;
	size_t len;

	if (s == NULL)
		return 0;
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return 0;
		e = strchr(s, ' ');
		len = e != NULL ? (size_t)(e - s) : strlen(s);
		if (i-- == 0) {
			if (len >= bufsz)
				return 0;
			memcpy(buf, s, len);
			buf[len] = '\0';
			return 1;
		}
		s += len;
	}
}

static char *
lowercase(const char *s)
{
	char *l, *q;

	if ((l = strdup(s)) == NULL)
		return NULL;
	for (q = l; *q != '\0'; q++)
		*q = (char)tolower((unsigned char)*q);
	return l;
}

/* addr without a +tag in its local part; NULL when it has none. */
static char *
strip_tag(const char *addr)
{
	const char *at = strrchr(addr, '@'), *plus;
	char *s;
	size_t llen;

	llen = at != NULL ? (size_t)(at - addr) : strlen(addr);
	if ((plus = memchr(addr, '+', llen)) == NULL || plus == addr)
		return NULL;
	if (asprintf(&s, "%.*s%s", (int)(plus - addr), addr,
	    at != NULL ? at : "") == -1)
		return NULL;
	return s;
}

const struct account *
conf_account_for_from(const struct conf *c, const char *addr)
{
	const struct account *found = NULL;
	char *l, *tagless = NULL, *tl, *pat;
	size_t i;

	if ((l = lowercase(addr)) == NULL)
		return NULL;
	if ((tl = strip_tag(l)) != NULL)
		tagless = tl;
	for (i = 0; i < c->nacct && found == NULL; i++) {
		if (c->accts[i]->a.from == NULL)
			continue;
		if ((pat = lowercase(c->accts[i]->a.from)) == NULL)
			break;
		if (fnmatch(pat, l, 0) == 0 ||
		    (tagless != NULL && fnmatch(pat, tagless, 0) == 0))
			found = &c->accts[i]->a;
		free(pat);
	}
	free(tagless);
	free(l);
	return found;
}

size_t
conf_naccounts(const struct conf *c)
{
	return c->nacct;
}

const struct account *
conf_account_at(const struct conf *c, size_t i)
{
	return i < c->nacct ? &c->accts[i]->a : NULL;
}

const char *
conf_warning(const struct conf *c, size_t i)
{
	return i < c->nwarn ? c->warn[i] : NULL;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nacct; i++)
		node_free(c->accts[i]);
	free(c->accts);
	node_free(c->defaults);
	for (i = 0; i < c->nwarn; i++)
		free(c->warn[i]);
	free(c->warn);
	free(c->metrics_file);
	free(c->file);
	free(c);
}

/* What is wrong with the OAuth 2.0 settings, or NULL. */
static const char *
oauth2_check(const struct account *a)
{
	if (a->oauth2_provider == OAUTH2_NONE) {
		if (a->oauth2_client_id != NULL || a->oauth2_token_url !=
		    NULL || a->oauth2_auth_url != NULL ||
		    a->oauth2_device_url != NULL)
			return "the oauth2_* keys need oauth2_provider";
		return NULL;
	}
	if (a->auth != AUTH_OAUTH2 && a->auth != AUTH_XOAUTH2 &&
	    a->auth != AUTH_OAUTHBEARER)
		return "oauth2_provider needs auth on, xoauth2 or oauthbearer";
	if (a->oauth2_client_id == NULL)
		return "oauth2_provider needs oauth2_client_id (the id of the "
		    "application registered with the provider)";
	if (a->oauth2_provider == OAUTH2_GOOGLE &&
	    a->oauth2_client_secret == NULL)
		return "oauth2_provider google needs oauth2_client_secret";
	if (a->oauth2_token_url == NULL)
		return "oauth2_provider custom needs oauth2_token_url";
	if (a->oauth2_auth_url == NULL && a->oauth2_device_url == NULL)
		return "oauth2_provider custom needs oauth2_device_url or "
		    "oauth2_auth_url";
	if (a->oauth2_scope == NULL)
		return "oauth2_provider custom needs oauth2_scope";
	return NULL;
}

const char *
conf_metrics_file(const struct conf *c, uid_t euid)
{
	if (c->owner != (uid_t)-1 && c->owner != euid)
		return NULL;
	return c->metrics_file;
}

int
conf_check_account(const struct account *a, struct postie_err *err)
{
	const char *what = NULL;

	if (a->host == NULL)
		what = "no host set";
	else if (a->auth != AUTH_OFF && a->auth != AUTH_EXTERNAL &&
	    a->user == NULL)
		what = "auth needs a user";
	else if (a->tls_cert_file != NULL && a->tls_key_file == NULL)
		what = "tls_cert_file needs tls_key_file";
	else if (a->tls_key_file != NULL && a->tls_cert_file == NULL)
		what = "tls_key_file needs tls_cert_file";
	else if (a->auth == AUTH_EXTERNAL && a->tls_cert_file == NULL)
		what = "auth external needs tls_cert_file and tls_key_file";
	else if (a->auth == AUTH_EXTERNAL && !a->tls)
		what = "auth external needs tls";
	else
		what = oauth2_check(a);
	if (what == NULL)
		return 0;
	err_setx(err, EX_CONFIG, "%s:%d: account %s: %s", a->file, a->line,
	    a->name, what);
	return -1;
}

/*
 * A value printed so that it reads back the same: quoted when empty or
 * holding blanks, % doubled where patterns are expanded (pct), control
 * bytes shown as \xNN.
 */
static void
print_value(FILE *fp, const char *key, const char *val, int pct)
{
	const unsigned char *s;
	int quote;

	if (val == NULL)
		val = "";
	quote = val[0] == '\0' || val[0] == '"' || strpbrk(val, " \t") != NULL;
	fprintf(fp, "%s %s", key, quote ? "\"" : "");
	for (s = (const unsigned char *)val; *s != '\0'; s++) {
		if (*s < 0x20 || *s == 0x7f)
			fprintf(fp, "\\x%02x", *s);
		else {
			if (quote && (*s == '"' || *s == '\\'))
				fputc('\\', fp);
			if (pct && *s == '%')
				fputc('%', fp);
			fputc(*s, fp);
		}
	}
	fputs(quote ? "\"\n" : "\n", fp);
}

static void
print_str(FILE *fp, const char *key, const char *val)
{
	print_value(fp, key, val, 0);
}

static const char *
onoff(int b)
{
	return b ? "on" : "off";
}

/*
 * The oauth2_* keys, for an account with a provider only (so that what
 * is printed reads back in a build without OAuth 2.0 too).
 */
static void
print_oauth2(const struct account *a, FILE *fp)
{
	size_t i;

	if (a->oauth2_provider == OAUTH2_NONE)
		return;
	for (i = 0; i < sizeof(provider_names) / sizeof(provider_names[0]);
	    i++)
		if (provider_names[i].provider == a->oauth2_provider)
			fprintf(fp, "oauth2_provider %s\n",
			    provider_names[i].name);
	print_str(fp, "oauth2_tenant", a->oauth2_tenant);
	print_str(fp, "oauth2_client_id", a->oauth2_client_id);
	fputs(a->oauth2_client_secret != NULL ?
	    "oauth2_client_secret [hidden]\n" : "oauth2_client_secret \"\"\n",
	    fp);
	print_str(fp, "oauth2_auth_url", a->oauth2_auth_url);
	print_str(fp, "oauth2_device_url", a->oauth2_device_url);
	print_str(fp, "oauth2_token_url", a->oauth2_token_url);
	print_str(fp, "oauth2_scope", a->oauth2_scope);
	print_str(fp, "oauth2_token_file", a->oauth2_token_file);
	print_str(fp, "oauth2_trust_file", a->oauth2_trust_file != NULL ?
	    a->oauth2_trust_file : "system");
}

void
conf_print_account(const struct account *a, FILE *fp)
{
	const char *s;
	size_t i;

	print_str(fp, "account", a->name);
	print_str(fp, "host", a->host);
	fprintf(fp, "port %d\n", a->port);
	print_str(fp, "source_ip", a->source_ip);
	fprintf(fp, "inet_protocols %s\n", a->inet_protocols == AF_INET ?
	    "ipv4" : a->inet_protocols == AF_INET6 ? "ipv6" : "all");
	print_str(fp, "socket", a->socket);
	print_str(fp, "proxy_host", a->proxy_host);
	if (a->proxy_port > 0)
		fprintf(fp, "proxy_port %d\n", a->proxy_port);
	else
		fputs("proxy_port \"\"\n", fp);
	print_value(fp, "domain", a->domain, 1);
	fprintf(fp, "timeout %d\n", a->timeout);
	fprintf(fp, "tls %s\n", onoff(a->tls));
	fprintf(fp, "tls_starttls %s\n", onoff(a->tls_starttls));
	fprintf(fp, "tls_certcheck %s\n", onoff(a->tls_certcheck));
	print_str(fp, "tls_trust_file", a->tls_trust_file != NULL ?
	    a->tls_trust_file : "system");
	fputs("tls_fingerprint ", fp);
	if (a->tls_has_fingerprint)
		for (i = 0; i < sizeof(a->tls_fingerprint); i++)
			fprintf(fp, "%s%02X", i > 0 ? ":" : "",
			    a->tls_fingerprint[i]);
	else
		fputs("\"\"", fp);
	fputc('\n', fp);
	print_str(fp, "tls_cert_file", a->tls_cert_file);
	print_str(fp, "tls_key_file", a->tls_key_file);
	print_str(fp, "tls_crl_file", a->tls_crl_file);
	print_str(fp, "tls_host_override", a->tls_host_override);
	fprintf(fp, "tls_min_version %s\n",
	    a->tls_min_version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
	fprintf(fp, "tls_session_cache %s\n", onoff(a->tls_session_cache));
	fprintf(fp, "chunking %s\n", onoff(a->chunking));
	s = "on";
	for (i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]); i++)
		if (auth_names[i].auth == a->auth)
			s = auth_names[i].name;
	fprintf(fp, "auth %s\n", s);
	fprintf(fp, "allow_cleartext_auth %s\n",
	    onoff(a->allow_cleartext_auth));
	print_str(fp, "user", a->user);
	if (a->password != NULL)
		fputs("password [hidden]\n", fp);
	else
		fputs("password \"\"\n", fp);
	print_str(fp, "passwordeval", a->passwordeval);
	print_oauth2(a, fp);
	print_value(fp, "from", a->from, 1);
	print_str(fp, "from_full_name", a->from_full_name);
	print_str(fp, "maildomain", a->maildomain);
	print_str(fp, "aliases", a->aliases);
	fprintf(fp, "qualify_headers %s\n", onoff(a->qualify_headers));
	print_str(fp, "logfile", a->logfile);
	print_str(fp, "logfile_time_format", a->logfile_time_format);
	s = "off";
	for (i = 0; i < sizeof(syslog_names) / sizeof(syslog_names[0]); i++)
		if (syslog_names[i].facility == a->syslog_facility)
			s = syslog_names[i].name;
	fprintf(fp, "syslog %s\n", s);
	fprintf(fp, "set_from_header %s\n",
	    a->set_from_header == SET_FROM_ON ? "on" :
	    a->set_from_header == SET_FROM_OFF ? "off" : "auto");
	fprintf(fp, "set_date_header %s\n", a->set_date_header ? "auto" :
	    "off");
	fprintf(fp, "set_msgid_header %s\n", a->set_msgid_header ? "auto" :
	    "off");
	fprintf(fp, "set_to_header %s\n",
	    a->set_to_header == SET_TO_ON ? "on" :
	    a->set_to_header == SET_TO_UNDISCLOSED ?
	    "undisclosed_recipients" : "off");
	fprintf(fp, "remove_bcc_headers %s\n", onoff(a->remove_bcc_headers));
	fprintf(fp, "allow_from_override %s\n",
	    onoff(a->allow_from_override));
	fprintf(fp, "dsn_notify %s\n", a->dsn_notify != NULL ?
	    a->dsn_notify : "off");
	fprintf(fp, "dsn_return %s\n", a->dsn_return == NULL ? "off" :
	    strcmp(a->dsn_return, "HDRS") == 0 ? "headers" : "full");
	fprintf(fp, "queue %s\n", onoff(a->queue));
	fprintf(fp, "queue_lifetime %ld\n", a->queue_lifetime);
	fprintf(fp, "queue_flush %s\n", onoff(a->queue_flush));
	fprintf(fp, "max_message_size %lld\n", a->max_message_size);
	fprintf(fp, "bounce %s\n", onoff(a->bounce));
	print_str(fp, "bounce_to", a->bounce_to);
	if (a->delay_warning > 0)
		fprintf(fp, "delay_warning %ld\n", a->delay_warning);
	else
		fputs("delay_warning off\n", fp);
	if (a->fallback != NULL && a->fallback[0] != '\0')
		print_str(fp, "fallback", a->fallback);
}
