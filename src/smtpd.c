/* SPDX-License-Identifier: ISC */
/*
 * The server side of SMTP for postie -bs: the commands and their
 * replies, the bounds on the client, the DATA stream into a spool file.
 * Each command is one small function; the transaction lives in struct
 * smtpd_txn until the sink has the message.  Owns no delivery: the sink
 * decides, and its reply is passed on.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "smtpd.h"

/* DATA is read and spooled in blocks of this size. */
#define SMTPD_BLOCK	(64 * 1024)
/* Room for the text of one reply line (RFC 5321 4.5.3.1.5: 512). */
#define SMTPD_TEXT	480
/* RFC 3461 4.2: an ORCPT value is at most 500 characters. */
#define SMTPD_ORCPT	500

struct smtpd {
	struct io *io;
	const struct smtpd_params *p;
	const struct smtpd_sink *sink;
	struct postie_err *e;
	struct smtpd_txn txn;
	size_t	 rcptcap;	/* room in txn.rcpts */
	int	 greeted;	/* HELO or EHLO seen */
	int	 esmtp;		/* EHLO: parameters may follow MAIL, RCPT */
	int	 in_txn;	/* MAIL accepted */
	size_t	 ncmds;		/* since the last message accepted */
	size_t	 nerrors;
	enum smtpd_end end;	/* when a command ends the session */
	/* A command line, its CR kept in the NUL's slot until removed. */
	char	 line[BOUND_SMTPD_LINE - 1];
	/* DATA. */
	char	*wbuf;
	size_t	 wlen;
};

/* The verbs postie knows and does not offer. */
static const char *const smtpd_unimplemented[] = {
	"STARTTLS", "AUTH", "BDAT", "ETRN", "TURN", "ATRN", "EXPN", "SEND",
	"SOML", "SAML", NULL
};

void
smtpd_reply_set(struct smtpd_reply *r, int code, const char *enh,
    const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	strlcpy(r->enh, enh, sizeof(r->enh));
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/*
 * Reply text as it goes on the wire: printable ASCII (anything else
 * becomes '?'), cut to fit RFC 5321's 512 octets a line.
 */
static void
smtpd_safe(char safe[SMTPD_TEXT + 1], const char *text)
{
	size_t i, len = strnlen(text, SMTPD_TEXT);

	for (i = 0; i < len; i++)
		safe[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	safe[len] = '\0';
}

/* One reply line: "code[-| ]enh text". */
static int
smtpd_line(struct smtpd *s, int code, int more, const char *enh,
    const char *text)
{
	char safe[SMTPD_TEXT + 1];

	smtpd_safe(safe, text);
	if (enh != NULL && enh[0] != '\0')
		return io_printf(s->io, s->e, "%03d%c%s %s\r\n", code,
		    more ? '-' : ' ', enh, safe);
	return io_printf(s->io, s->e, "%03d%c%s\r\n", code, more ? '-' : ' ',
	    safe);
}

static int	smtpd_say(struct smtpd *, int, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
smtpd_say(struct smtpd *s, int code, const char *enh, const char *fmt, ...)
{
	char text[POSTIE_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (smtpd_line(s, code, 0, enh, text) == -1) {
		s->end = SMTPD_IOERR;
		return -1;
	}
	return 0;
}

/* The same for a client's mistake: counted against BOUND_SMTPD_ERRORS. */
static int	smtpd_fail(struct smtpd *, int, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
smtpd_fail(struct smtpd *s, int code, const char *enh, const char *fmt, ...)
{
	char text[POSTIE_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	s->nerrors++;
	if (smtpd_line(s, code, 0, enh, text) == -1) {
		s->end = SMTPD_IOERR;
		return -1;
	}
	return 0;
}

static int
smtpd_reply(struct smtpd *s, const struct smtpd_reply *r)
{
	return smtpd_say(s, r->code, r->enh, "%s", r->text);
}

/* End the session with 421 (RFC 5321 3.8); end says why. */
static int
smtpd_close(struct smtpd *s, enum smtpd_end end, const char *enh,
    const char *why)
{
	struct postie_err ign;

	(void)io_printf(s->io, &ign, "421 %s %s %s\r\n", enh, s->p->hostname,
	    why);
	(void)io_flush(s->io, &ign);
	if (s->e->msg[0] == '\0' || end != SMTPD_TIMEOUT)
		err_setx(s->e, end == SMTPD_TIMEOUT ? EX_TEMPFAIL :
		    EX_PROTOCOL, "%s", why);
	s->end = end;
	return -1;
}

static void
smtpd_txn_reset(struct smtpd *s)
{
	size_t i;

	free(s->txn.from);
	for (i = 0; i < s->txn.nrcpts; i++)
		free(s->txn.rcpts[i]);
	free(s->txn.rcpts);
	free(s->txn.envid);
	memset(&s->txn, 0, sizeof(s->txn));
	s->rcptcap = 0;
	s->txn.size = -1;
	s->in_txn = 0;
}

/*
 * "<path>" at p into out, without the angle brackets nor a source route
 * ("@a,@b:", which RFC 5321 4.1.1.3 says to ignore); *restp after ">".
 * A quoted local part may hold ">".  -1 when p is not such a path or it
 * does not fit.
 */
static int
smtpd_path(const char *p, char *out, size_t outsz, const char **restp)
{
	const char *q, *end = NULL;
	int quoted = 0, bracket = 0;
	size_t len;

	if (*p != '<')
		return -1;
	for (q = p + 1; *q != '\0'; q++) {
		if (quoted && *q == '\\' && q[1] != '\0')
			q++;
		else if (*q == '"')
			quoted = !quoted;
		else if (!quoted && *q == '>') {
			end = q;
			break;
		}
	}
	if (end == NULL)
		return -1;
	p++;
	if (*p == '@') {
		for (q = p; q < end; q++) {
			if (*q == '[')
				bracket = 1;
			else if (*q == ']')
				bracket = 0;
			else if (*q == ':' && !bracket)
				break;
		}
		if (q == end)
			return -1;
		p = q + 1;
	}
	len = (size_t)(end - p);
	if (len >= outsz)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	*restp = end + 1;
	return 0;
}

static int
smtpd_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the xtext (RFC 3461 4) in v into out (NULL: only check); -1
 * when it is not xtext or does not fit.
 */
static int
smtpd_xtext(const char *v, char *out, size_t outsz)
{
	size_t n = 0;
	int hi, lo;

	for (; *v != '\0'; v++) {
		int c = (unsigned char)*v;

		if (c == '+') {
			if ((hi = smtpd_hex(v[1])) == -1 ||
			    (lo = smtpd_hex(v[2])) == -1)
				return -1;
			c = hi * 16 + lo;
			v += 2;
		} else if (c < 0x21 || c > 0x7e || c == '=')
			return -1;
		if (out != NULL) {
			if (n + 1 >= outsz)
				return -1;
			out[n] = (char)c;
		}
		n++;
	}
	if (out != NULL)
		out[n] = '\0';
	return 0;
}

/* The next "KEY[=VALUE]" of the parameters at *pp; 0 at their end. */
static int
smtpd_param(char **pp, char **keyp, char **valp)
{
	char *p = *pp, *eq;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	*keyp = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*pp = p;
	if ((eq = strchr(*keyp, '=')) != NULL) {
		*eq = '\0';
		*valp = eq + 1;
	} else
		*valp = NULL;
	return 1;
}

/* The path and parameters after "FROM:" or "TO:"; 501 when bad. */
static int
smtpd_split(struct smtpd *s, const char *args, const char *prefix,
    char *addr, size_t addrsz, char **paramsp, int *replied)
{
	const char *p, *rest;
	size_t plen = strlen(prefix);

	*replied = 0;
	if (strncasecmp(args, prefix, plen) != 0) {
		*replied = 1;
		return smtpd_fail(s, 501, "5.5.4", "Syntax: %s<address>",
		    prefix[0] == 'F' ? "MAIL FROM:" : "RCPT TO:");
	}
	/* Tolerated, as most servers do: "MAIL FROM: <a@b>". */
	for (p = args + plen; *p == ' '; p++)
		;
	if (smtpd_path(p, addr, addrsz, &rest) == -1) {
		*replied = 1;
		return smtpd_fail(s, 501, "5.1.7", "bad address syntax: "
		    "use <address>, at most %d octets", BOUND_PATH);
	}
	if (*rest != '\0' && *rest != ' ') {
		*replied = 1;
		return smtpd_fail(s, 501, "5.5.4", "text after the address");
	}
	if (*rest != '\0' && !s->esmtp) {
		*replied = 1;
		return smtpd_fail(s, 555, "5.5.4", "parameters need EHLO");
	}
	*paramsp = (char *)rest;
	return 0;
}

/* MAIL's parameters into the transaction; 1 when a reply was made. */
static int
smtpd_mail_params(struct smtpd *s, char *params, int *replied)
{
	char *key, *val, *end, envid[BOUND_DSN_ENVID + 1];
	unsigned int seen = 0, bit;
	const unsigned char *u;
	long long n;

	*replied = 1;
	while (smtpd_param(&params, &key, &val)) {
		if (strcasecmp(key, "SIZE") == 0)
			bit = 1;
		else if (strcasecmp(key, "BODY") == 0)
			bit = 2;
		else if (strcasecmp(key, "SMTPUTF8") == 0)
			bit = 4;
		else if (strcasecmp(key, "RET") == 0)
			bit = 8;
		else if (strcasecmp(key, "ENVID") == 0)
			bit = 16;
		else
			return smtpd_fail(s, 555, "5.5.4", "unsupported MAIL "
			    "parameter");
		if (seen & bit)
			return smtpd_fail(s, 501, "5.5.4", "MAIL parameter "
			    "given twice");
		seen |= bit;
		if ((bit == 4) != (val == NULL))
			return smtpd_fail(s, 501, "5.5.4", "bad MAIL "
			    "parameter syntax");
		switch (bit) {
		case 1:
			errno = 0;
			n = strtoll(val, &end, 10);
			if (!isdigit((unsigned char)*val) || *end != '\0')
				return smtpd_fail(s, 501, "5.5.4", "bad SIZE");
			if (errno == ERANGE)
				n = LLONG_MAX;
			if (s->p->max_size > 0 && n > s->p->max_size)
				return smtpd_fail(s, 552, "5.3.4", "message "
				    "size exceeds the limit of %lld octets",
				    s->p->max_size);
			s->txn.size = n;
			break;
		case 2:
			if (strcasecmp(val, "7BIT") != 0 &&
			    strcasecmp(val, "8BITMIME") != 0)
				return smtpd_fail(s, 501, "5.5.4", "BODY must "
				    "be 7BIT or 8BITMIME");
			strlcpy(s->txn.body, toupper((unsigned char)val[0]) ==
			    '7' ? "7BIT" : "8BITMIME", sizeof(s->txn.body));
			break;
		case 4:
			s->txn.smtputf8 = 1;
			break;
		case 8:
			if (strcasecmp(val, "FULL") != 0 &&
			    strcasecmp(val, "HDRS") != 0)
				return smtpd_fail(s, 501, "5.5.4", "RET must "
				    "be FULL or HDRS");
			strlcpy(s->txn.ret, toupper((unsigned char)val[0]) ==
			    'F' ? "FULL" : "HDRS", sizeof(s->txn.ret));
			break;
		default:
			/* -V's rule: printable ASCII, no space, 1 to 100. */
			if (smtpd_xtext(val, envid, sizeof(envid)) == -1 ||
			    envid[0] == '\0')
				return smtpd_fail(s, 501, "5.5.4", "bad ENVID: "
				    "xtext of 1 to %d characters",
				    BOUND_DSN_ENVID);
			for (u = (const unsigned char *)envid; *u != '\0'; u++)
				if (*u < 0x21 || *u > 0x7e)
					return smtpd_fail(s, 501, "5.5.4",
					    "bad ENVID: printable ASCII "
					    "without spaces only");
			break;
		}
	}
	if ((seen & 16) && (s->txn.envid = strdup(envid)) == NULL)
		return smtpd_say(s, 451, "4.3.0", "out of memory");
	*replied = 0;
	return 0;
}

/* NOTIFY's value in canonical form into out; -1 when bad. */
static int
smtpd_notify(const char *v, char *out, size_t outsz)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	char buf[64], *tok, *last, *p;
	int seen[3] = { 0, 0, 0 };
	size_t i;

	if (strcasecmp(v, "NEVER") == 0) {
		strlcpy(out, "NEVER", outsz);
		return 0;
	}
	if (strlcpy(buf, v, sizeof(buf)) >= sizeof(buf) || buf[0] == ',' ||
	    buf[strlen(buf) - 1] == ',' || strstr(buf, ",,") != NULL)
		return -1;
	for (p = buf; (tok = strtok_r(p, ",", &last)) != NULL; p = NULL) {
		for (i = 0; i < 3; i++)
			if (strcasecmp(tok, words[i]) == 0)
				break;
		if (i == 3 || seen[i])
			return -1;
		seen[i] = 1;
	}
	out[0] = '\0';
	for (i = 0; i < 3; i++) {
		if (!seen[i])
			continue;
		if (out[0] != '\0')
			strlcat(out, ",", outsz);
		strlcat(out, words[i], outsz);
	}
	return out[0] == '\0' ? -1 : 0;
}

/* RCPT's parameters: NOTIFY into *notify, ORCPT checked. */
static int
smtpd_rcpt_params(struct smtpd *s, char *params, char *notify,
    size_t notifysz, int *replied)
{
	char *key, *val, *semi;
	int seen_notify = 0, seen_orcpt = 0;
	const char *t;

	*replied = 1;
	notify[0] = '\0';
	while (smtpd_param(&params, &key, &val)) {
		if (strcasecmp(key, "NOTIFY") == 0) {
			if (seen_notify++)
				return smtpd_fail(s, 501, "5.5.4", "NOTIFY "
				    "given twice");
			if (val == NULL || smtpd_notify(val, notify,
			    notifysz) == -1)
				return smtpd_fail(s, 501, "5.5.4", "NOTIFY "
				    "must be NEVER, or SUCCESS, FAILURE and "
				    "DELAY separated by commas");
		} else if (strcasecmp(key, "ORCPT") == 0) {
			if (seen_orcpt++)
				return smtpd_fail(s, 501, "5.5.4", "ORCPT "
				    "given twice");
			/* addr-type ";" xtext (RFC 3461 4.2). */
			if (val == NULL || strlen(val) > SMTPD_ORCPT ||
			    (semi = strchr(val, ';')) == NULL ||
			    semi == val || smtpd_xtext(semi + 1, NULL, 0) ==
			    -1 || semi[1] == '\0')
				return smtpd_fail(s, 501, "5.5.4", "bad ORCPT: "
				    "use addr-type;xtext");
			for (t = val; t < semi; t++)
				if (!isalnum((unsigned char)*t) && *t != '-')
					return smtpd_fail(s, 501, "5.5.4",
					    "bad ORCPT address type");
		} else
			return smtpd_fail(s, 555, "5.5.4", "unsupported RCPT "
			    "parameter");
	}
	*replied = 0;
	return 0;
}

static int
cmd_helo(struct smtpd *s, const char *args, int ehlo)
{
	if (args[0] == '\0')
		return smtpd_fail(s, 501, "5.5.4", "Syntax: %s hostname",
		    ehlo ? "EHLO" : "HELO");
	smtpd_txn_reset(s);
	s->greeted = 1;
	s->esmtp = ehlo;
	if (!ehlo)
		return smtpd_say(s, 250, NULL, "%s", s->p->hostname);
	if (smtpd_line(s, 250, 1, NULL, s->p->hostname) == -1 ||
	    smtpd_line(s, 250, 1, NULL, "PIPELINING") == -1)
		return -1;
	if (s->p->max_size > 0 && io_printf(s->io, s->e, "250-SIZE %lld\r\n",
	    s->p->max_size) == -1)
		return -1;
	if (smtpd_line(s, 250, 1, NULL, "8BITMIME") == -1 ||
	    smtpd_line(s, 250, 1, NULL, "DSN") == -1 ||
	    smtpd_line(s, 250, 1, NULL, "ENHANCEDSTATUSCODES") == -1 ||
	    smtpd_line(s, 250, 0, NULL, "SMTPUTF8") == -1) {
		s->end = SMTPD_IOERR;
		return -1;
	}
	return 0;
}

static int
cmd_mail(struct smtpd *s, const char *args)
{
	struct smtpd_reply r;
	struct postie_err e;
	char addr[BOUND_PATH + 1], *params;
	int replied, rv;

	if (!s->greeted)
		return smtpd_fail(s, 503, "5.5.1", "send HELO or EHLO first");
	if (s->in_txn)
		return smtpd_fail(s, 503, "5.5.1", "nested MAIL command");
	if (smtpd_split(s, args, "FROM:", addr, sizeof(addr), &params,
	    &replied) == -1)
		return -1;
	if (replied)
		return 0;
	if (addr_check_envelope(addr, 1, &e) == -1)
		return smtpd_fail(s, 553, "5.1.7", "%s", e.msg);
	smtpd_txn_reset(s);
	rv = smtpd_mail_params(s, params, &replied);
	if (rv == -1 || replied) {
		smtpd_txn_reset(s);
		return rv;
	}
	if (addr_needs_utf8(addr) && !s->txn.smtputf8) {
		smtpd_txn_reset(s);
		return smtpd_fail(s, 553, "5.6.7", "a UTF-8 address needs "
		    "the SMTPUTF8 parameter");
	}
	if ((s->txn.from = strdup(addr)) == NULL) {
		smtpd_txn_reset(s);
		return smtpd_say(s, 451, "4.3.0", "out of memory");
	}
	if (s->sink->mail != NULL && s->sink->mail(s->sink->arg, &s->txn,
	    &r) == -1) {
		smtpd_txn_reset(s);
		return smtpd_reply(s, &r);
	}
	s->in_txn = 1;
	return smtpd_say(s, 250, "2.1.0", "sender ok");
}

/* 1 when addr reads back as itself, one mailbox (job.c parses it so). */
static int
smtpd_one_mailbox(const char *addr)
{
	struct addr_list l = { NULL, 0, 0 };
	struct postie_err e;
	int ok;

	if (addr_parse_list(addr, strlen(addr), &l, &e) == -1)
		return 0;
	ok = l.n == 1 && strcmp(l.v[0].spec, addr) == 0;
	addr_list_free(&l);
	return ok;
}

static int
cmd_rcpt(struct smtpd *s, const char *args)
{
	struct postie_err e;
	char addr[BOUND_PATH + 1], notify[32], *params, **v;
	int replied;

	if (!s->in_txn)
		return smtpd_fail(s, 503, "5.5.1", "need MAIL first");
	if (smtpd_split(s, args, "TO:", addr, sizeof(addr), &params,
	    &replied) == -1)
		return -1;
	if (replied)
		return 0;
	if (addr[0] == '\0')
		return smtpd_fail(s, 501, "5.1.3", "empty recipient");
	if (addr_check_envelope(addr, 0, &e) == -1)
		return smtpd_fail(s, 553, "5.1.3", "%s", e.msg);
	if (!smtpd_one_mailbox(addr))
		return smtpd_fail(s, 553, "5.1.3", "bad recipient address");
	if (addr_needs_utf8(addr) && !s->txn.smtputf8)
		return smtpd_fail(s, 553, "5.6.7", "a UTF-8 address needs "
		    "the SMTPUTF8 parameter to MAIL");
	if (smtpd_rcpt_params(s, params, notify, sizeof(notify),
	    &replied) == -1)
		return -1;
	if (replied)
		return 0;
	if (notify[0] != '\0' && s->txn.notify[0] != '\0' &&
	    strcmp(notify, s->txn.notify) != 0)
		return smtpd_fail(s, 504, "5.5.4", "postie keeps one NOTIFY "
		    "per message: this one differs from the earlier "
		    "recipients'");
	if (s->txn.nrcpts >= BOUND_RECIPIENTS)
		return smtpd_fail(s, 452, "4.5.3", "too many recipients: at "
		    "most %d", BOUND_RECIPIENTS);
	if (s->txn.nrcpts == s->rcptcap) {
		if ((v = reallocarray(s->txn.rcpts, s->rcptcap > 0 ?
		    s->rcptcap * 2 : 16, sizeof(*v))) == NULL)
			return smtpd_say(s, 451, "4.3.0", "out of memory");
		s->txn.rcpts = v;
		s->rcptcap = s->rcptcap > 0 ? s->rcptcap * 2 : 16;
	}
	v = s->txn.rcpts;
	if ((v[s->txn.nrcpts] = strdup(addr)) == NULL)
		return smtpd_say(s, 451, "4.3.0", "out of memory");
	s->txn.nrcpts++;
	if (notify[0] != '\0')
		strlcpy(s->txn.notify, notify, sizeof(s->txn.notify));
	/* An accepted recipient is not a command that BOUND counts. */
	s->ncmds--;
	return smtpd_say(s, 250, "2.1.5", "recipient ok");
}

/* A private spool file for DATA, unlinked at once. */
static int
smtpd_spool(struct smtpd *s, struct postie_err *e)
{
	char path[1024];
	const char *dir = s->p->tmpdir;
	int fd, n;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	n = snprintf(path, sizeof(path), "%s/postie-bs.XXXXXXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		err_setx(e, EX_CANTCREAT, "spool directory name too long");
		return -1;
	}
	if ((fd = mkstemp(path)) == -1) {
		err_set(e, EX_CANTCREAT, "cannot create a spool file in %s",
		    dir);
		return -1;
	}
	if (unlink(path) == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		err_set(e, EX_OSERR, "spool file %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
smtpd_spool_flush(struct smtpd *s, int fd, struct postie_err *e)
{
	const char *p = s->wbuf;
	ssize_t w;

	while (s->wlen > 0) {
		if ((w = write(fd, p, s->wlen)) == -1) {
			if (errno == EINTR)
				continue;
			err_set(e, EX_IOERR, "writing the spool file");
			return -1;
		}
		p += w;
		s->wlen -= (size_t)w;
	}
	return 0;
}

static int
smtpd_spool_put(struct smtpd *s, int fd, const char *p, size_t n,
    struct postie_err *e)
{
	size_t k;

	while (n > 0) {
		k = SMTPD_BLOCK - s->wlen < n ? SMTPD_BLOCK - s->wlen : n;
		memcpy(s->wbuf + s->wlen, p, k);
		s->wlen += k;
		p += k;
		n -= k;
		if (s->wlen == SMTPD_BLOCK && smtpd_spool_flush(s, fd, e) == -1)
			return -1;
	}
	return 0;
}

/*
 * Read the data up to the line holding a single dot (RFC 5321 4.5.2):
 * lines end in CR LF (or LF with lf_ends), and only a line that starts
 * after such an end can end the data or lose its first dot.  What would pass max_size is not
 * written (*overp set) but still read.  On failure to write the spool,
 * *spoolerr is set and the data is read to its end all the same.
 * Returns -1 when the stream fails (s->e set).
 */
static int
smtpd_data_read(struct smtpd *s, int fd, int *overp, int *spoolerr,
    struct postie_err *se)
{
	char part[8192];
	const char *p;
	size_t len, n;
	int r, bol = 1, prev_cr = 0;

	for (;;) {
		if (io_pending(s->io) == 0 && io_flush(s->io, s->e) == -1)
			return -1;
		if ((r = io_readpart(s->io, part, sizeof(part), &len,
		    s->e)) == -1)
			return -1;
		p = part;
		n = len;
		if (bol && part[0] == '.') {
			if (r == 1 && ((len == 3 && part[1] == '\r') ||
			    (len == 2 && s->p->lf_ends)))
				break;
			p++;
			n--;
		}
		bol = r == 1 && (s->p->lf_ends ||
		    (len >= 2 ? part[len - 2] == '\r' : prev_cr));
		prev_cr = part[len - 1] == '\r';
		s->txn.received += (long long)n;
		if (s->p->max_size > 0 && s->txn.received > s->p->max_size)
			*overp = 1;
		if (!*overp && !*spoolerr &&
		    smtpd_spool_put(s, fd, p, n, se) == -1)
			*spoolerr = 1;
	}
	if (!*overp && !*spoolerr && smtpd_spool_flush(s, fd, se) == -1)
		*spoolerr = 1;
	return 0;
}

static int
cmd_data(struct smtpd *s, const char *args)
{
	struct smtpd_reply r;
	struct postie_err se;
	int fd, over = 0, spoolerr = 0, rv;

	if (!s->in_txn)
		return smtpd_fail(s, 503, "5.5.1", "need MAIL and RCPT first");
	if (s->txn.nrcpts == 0)
		return smtpd_fail(s, 554, "5.5.1", "no valid recipients");
	if (args[0] != '\0')
		return smtpd_fail(s, 501, "5.5.4", "DATA takes no arguments");
	if ((fd = smtpd_spool(s, &se)) == -1)
		return smtpd_say(s, 451, "4.3.0", "%s", se.msg);
	if (smtpd_say(s, 354, NULL, "End data with <CR><LF>.<CR><LF>") ==
	    -1) {
		close(fd);
		return -1;
	}
	s->wlen = 0;
	s->txn.received = 0;
	if (smtpd_data_read(s, fd, &over, &spoolerr, &se) == -1) {
		/* Cut off: nothing was acknowledged, nothing is kept. */
		close(fd);
		smtpd_txn_reset(s);
		return -2;
	}
	if (over)
		rv = smtpd_say(s, 552, "5.3.4", "message exceeds the limit of "
		    "%lld octets", s->p->max_size);
	else if (spoolerr)
		rv = smtpd_say(s, 451, "4.3.0", "%s", se.msg);
	else if (lseek(fd, 0, SEEK_SET) == -1)
		rv = smtpd_say(s, 451, "4.3.0", "spool file: %s",
		    strerror(errno));
	else {
		smtpd_reply_set(&r, 451, "4.3.0", "no one takes the message");
		if (s->sink->data != NULL)
			s->sink->data(s->sink->arg, &s->txn, fd, &r);
		if (r.code / 100 == 2)
			s->ncmds = s->nerrors = 0;
		rv = smtpd_reply(s, &r);
	}
	close(fd);
	smtpd_txn_reset(s);
	return rv;
}

static int
cmd_rset(struct smtpd *s, const char *args)
{
	if (args[0] != '\0')
		return smtpd_fail(s, 501, "5.5.4", "RSET takes no arguments");
	smtpd_txn_reset(s);
	return smtpd_say(s, 250, "2.0.0", "ok");
}

static int
cmd_vrfy(struct smtpd *s, const char *args)
{
	if (args[0] == '\0')
		return smtpd_fail(s, 501, "5.5.4", "Syntax: VRFY address");
	/* RFC 5321 3.5.3: 252 when the address cannot be checked. */
	return smtpd_say(s, 252, "2.5.0", "cannot VRFY; send the message "
	    "and postie will try");
}

/*
 * One command line; -1 ends the session (s->end says how), -2 when it
 * ended in DATA without an error to report beyond s->e.
 */
static int
smtpd_command(struct smtpd *s, char *line)
{
	char *args;
	size_t i;

	if ((args = strchr(line, ' ')) != NULL)
		*args++ = '\0';
	else
		args = line + strlen(line);
	s->ncmds++;
	if (strcasecmp(line, "EHLO") == 0 || strcasecmp(line, "HELO") == 0)
		return cmd_helo(s, args, toupper((unsigned char)line[0]) ==
		    'E');
	if (strcasecmp(line, "MAIL") == 0)
		return cmd_mail(s, args);
	if (strcasecmp(line, "RCPT") == 0)
		return cmd_rcpt(s, args);
	if (strcasecmp(line, "DATA") == 0)
		return cmd_data(s, args);
	if (strcasecmp(line, "RSET") == 0)
		return cmd_rset(s, args);
	if (strcasecmp(line, "NOOP") == 0)
		return smtpd_say(s, 250, "2.0.0", "ok");
	if (strcasecmp(line, "QUIT") == 0) {
		if (smtpd_say(s, 221, "2.0.0", "%s closing",
		    s->p->hostname) == -1 || io_flush(s->io, s->e) == -1) {
			s->end = SMTPD_IOERR;
			return -1;
		}
		s->end = SMTPD_QUIT;
		return -1;
	}
	if (strcasecmp(line, "VRFY") == 0)
		return cmd_vrfy(s, args);
	if (strcasecmp(line, "HELP") == 0)
		return smtpd_say(s, 214, "2.0.0", "postie -bs: HELO EHLO MAIL "
		    "RCPT DATA RSET NOOP QUIT VRFY HELP");
	for (i = 0; smtpd_unimplemented[i] != NULL; i++)
		if (strcasecmp(line, smtpd_unimplemented[i]) == 0)
			return smtpd_fail(s, 502, "5.5.1", "%s not "
			    "implemented", smtpd_unimplemented[i]);
	return smtpd_fail(s, 500, "5.5.2", "command not recognized");
}

/* Read a stream failure: the end of input, a timeout, or an error. */
static enum smtpd_end
smtpd_lost(struct smtpd *s)
{
	if (io_eof(s->io))
		return SMTPD_EOF;
	if (s->e->ex == EX_TEMPFAIL &&
	    strncmp(s->e->msg, "timed out", 9) == 0) {
		smtpd_close(s, SMTPD_TIMEOUT, "4.4.2", s->e->msg);
		return SMTPD_TIMEOUT;
	}
	if (s->e->ex == EX_PROTOCOL) {
		smtpd_close(s, SMTPD_ABORT, "4.7.0", "line too long; "
		    "closing");
		return SMTPD_ABORT;
	}
	return SMTPD_IOERR;
}

static enum smtpd_end
smtpd_loop(struct smtpd *s)
{
	size_t len;
	int r;

	for (;;) {
		if (io_pending(s->io) == 0) {
			if (io_flush(s->io, s->e) == -1)
				return SMTPD_IOERR;
			if (s->sink->idle != NULL)
				s->sink->idle(s->sink->arg);
		}
		r = io_readline_cut(s->io, s->line, sizeof(s->line),
		    BOUND_SMTPD_JUNK, &len, NULL, s->e);
		if (r == -1)
			return smtpd_lost(s);
		if (r == 1)
			r = smtpd_fail(s, 500, "5.5.2", "line too long: at most "
			    "%d octets with CR LF", BOUND_SMTPD_LINE);
		else if (memchr(s->line, '\0', len) != NULL)
			r = smtpd_fail(s, 500, "5.5.2", "NUL in the command");
		else
			r = smtpd_command(s, s->line);
		if (r == -2)
			return smtpd_lost(s);
		if (r == -1)
			return s->end;
		if (s->nerrors > BOUND_SMTPD_ERRORS) {
			smtpd_close(s, SMTPD_ABORT, "4.7.0", "too many errors; "
			    "closing");
			return SMTPD_ABORT;
		}
		if (s->ncmds > BOUND_SMTPD_COMMANDS) {
			smtpd_close(s, SMTPD_ABORT, "4.7.0", "too many "
			    "commands without a message; closing");
			return SMTPD_ABORT;
		}
	}
}

enum smtpd_end
smtpd_run(struct io *io, const struct smtpd_params *p, struct postie_err *e)
{
	static const struct smtpd_sink none;
	struct postie_err ign;
	struct smtpd s;
	enum smtpd_end end;

	memset(&s, 0, sizeof(s));
	err_clear(e);
	s.io = io;
	s.p = p;
	s.e = e;
	s.sink = p->sink != NULL ? p->sink : &none;
	s.txn.size = -1;
	s.end = SMTPD_IOERR;
	if ((s.wbuf = malloc(SMTPD_BLOCK)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		(void)smtpd_say(&s, 421, "4.3.0", "%s out of memory",
		    p->hostname);
		(void)io_flush(io, e);
		return SMTPD_IOERR;
	}
	if (smtpd_say(&s, 220, NULL, "%s ESMTP postie", p->hostname) == -1)
		end = SMTPD_IOERR;
	else
		end = smtpd_loop(&s);
	/* Replies still queued go out, for a client that half-closed. */
	(void)io_flush(io, &ign);
	if (end == SMTPD_IOERR && e->msg[0] == '\0')
		err_setx(e, EX_IOERR, "the session's stream failed");
	smtpd_txn_reset(&s);
	free(s.wbuf);
	return end;
}

int
smtpd_refuse(struct io *io, const struct smtpd_params *p, const char *why,
    struct postie_err *e)
{
	char safe[SMTPD_TEXT + 1];

	smtpd_safe(safe, why);
	if (io_printf(io, e, "421 4.7.0 %s %s\r\n", p->hostname, safe) == -1)
		return -1;
	return io_flush(io, e);
}
