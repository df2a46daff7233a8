/* SPDX-License-Identifier: ISC */
/*
 * The SMTP submission session as a state machine over a struct io:
 * greeting, EHLO/HELO and capabilities, STARTTLS (the handshake itself is
 * the caller's hook), AUTH (mechanisms in sasl.c; PLAIN and EXTERNAL
 * leading the first envelope's pipelined group), the envelope with
 * PIPELINING, the message by DATA or BDAT chunks (CHUNKING), several
 * transactions on one session (RSET after one that did not end cleanly),
 * QUIT without waiting long for its reply, and the -v transcript with
 * credentials masked.  Replies are read and mapped to exit codes by
 * reply.c; this file does not open connections, speak TLS or read the
 * config.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "addr.h"
#include "bounds.h"
#include "mime.h"
#include "reply.h"
#include "sasl.h"
#include "smtp.h"

/* Longest command postie sends, AUTH initial responses aside. */
#define SMTP_CMD_MAX	1024
/* AUTH challenges answered before giving up (postie's own limit). */
#define SMTP_AUTH_ROUNDS	8
/*
 * BDAT (RFC 3030): the largest chunk, and how many chunks may be sent
 * before the reply to the earliest is read (postie's own limits: memory
 * stays constant, and unread replies never fill the socket buffers).
 */
#define SMTP_BDAT_CHUNK		(256 * 1024)
#define SMTP_BDAT_WINDOW	16
/*
 * How long the reply to QUIT is waited for once the message is through:
 * nothing it says changes the outcome (postie's own limit).
 */
#define SMTP_QUIT_GRACE_MS	200

struct caps {
	int	 esmtp;			/* EHLO was accepted */
	int	 starttls;
	int	 pipelining;
	int	 chunking;		/* RFC 3030 BDAT */
	int	 eightbitmime;
	int	 smtputf8;
	int	 dsn;
	int	 enhanced;
	int	 size;			/* SIZE advertised */
	unsigned long long size_max;	/* its limit; 0: none given */
	char	 auth[BOUND_REPLY_LINE];	/* mechanisms offered */
	struct reply ehlo;		/* the EHLO reply as received */
};

struct session {
	struct io *io;
	const struct smtp_params *p;
	enum smtp_stage stage;
	char	 where[BOUND_PATH * 4 + 32];	/* "RCPT TO <a@b>" */
	struct caps caps;
	struct reply r;
	int	 tls;			/* TLS is up */
	int	 broken;		/* stream unusable: no QUIT */
	int	 quit_done;
	int	 closing;		/* 421, or RSET refused: no more mail */
	int	 need_rset;		/* a transaction may still be open */
	char	 greeting[POSTIE_ERR_MSG];
	char	 mech[32];		/* AUTH mechanism used */
	enum smtp_stage fail_stage;	/* of the refusal, SMTP_NONE: none */
	/*
	 * A one-round AUTH (PLAIN, EXTERNAL) that leads the first
	 * transaction's pipelined group, or NULL (RFC 4954 4).
	 */
	struct sasl *lead;
	char	 lead_name[32];
	struct mime_plan plan;		/* the transaction's message as sent */
};

static const char *const stage_names[] = {
	[SMTP_NONE] = "before the session",
	[SMTP_CONNECT] = "connect",
	[SMTP_GREETING] = "greeting",
	[SMTP_EHLO] = "EHLO",
	[SMTP_HELO] = "HELO",
	[SMTP_STARTTLS] = "STARTTLS",
	[SMTP_TLS] = "TLS handshake",
	[SMTP_EHLO_TLS] = "EHLO after STARTTLS",
	[SMTP_AUTH] = "AUTH",
	[SMTP_MAIL] = "MAIL FROM",
	[SMTP_RCPT] = "RCPT TO",
	[SMTP_DATA] = "DATA",
	[SMTP_DATA_END] = "end of DATA",
	[SMTP_RSET] = "RSET",
	[SMTP_QUIT] = "QUIT",
	[SMTP_DONE] = "done",
};

const char *
smtp_stage_name(enum smtp_stage stage)
{
	if ((size_t)stage >= sizeof(stage_names) / sizeof(stage_names[0]) ||
	    stage_names[stage] == NULL)
		return "unknown stage";
	return stage_names[stage];
}

static void
trace(struct session *s, enum smtp_dir dir, const char *line)
{
	if (s->p->trace != NULL)
		s->p->trace(s->p->trace_arg, dir, line);
}

static void
trace_server(void *arg, const char *line)
{
	trace(arg, SMTP_DIR_SERVER, line);
}

/*
 * The one place the stage changes.  detail ("<a@b>", "PLAIN") follows
 * the stage name in messages.
 */
static void
set_stage(struct session *s, enum smtp_stage stage, const char *detail)
{
	char clean[sizeof(s->where)], line[sizeof(s->where) + 16];
	int changed = stage != s->stage;

	s->stage = stage;
	strlcpy(s->where, smtp_stage_name(stage), sizeof(s->where));
	if (detail != NULL) {
		err_sanitize(clean, sizeof(clean), detail, strlen(detail));
		strlcat(s->where, " ", sizeof(s->where));
		strlcat(s->where, clean, sizeof(s->where));
	}
	if (changed) {
		snprintf(line, sizeof(line), "stage: %s",
		    smtp_stage_name(stage));
		trace(s, SMTP_DIR_INFO, line);
	}
}

/* Queue one command line; shown replaces it in the transcript. */
static int
send_line(struct session *s, const char *line, const char *shown,
    struct postie_err *err)
{
	if (io_write(s->io, line, strlen(line), err) == -1 ||
	    io_write(s->io, "\r\n", 2, err) == -1) {
		s->broken = 1;
		err_prefix(err, "at %s: ", s->where);
		return -1;
	}
	trace(s, SMTP_DIR_CLIENT, shown != NULL ? shown : line);
	return 0;
}

static int
flush(struct session *s, struct postie_err *err)
{
	if (io_flush(s->io, err) == -1) {
		s->broken = 1;
		err_prefix(err, "at %s: ", s->where);
		return -1;
	}
	return 0;
}

static int
send_cmd(struct session *s, struct postie_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
send_cmd(struct session *s, struct postie_err *err, const char *fmt, ...)
{
	char cmd[SMTP_CMD_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		err_setx(err, EX_DATAERR, "at %s: command longer than %d "
		    "bytes", s->where, SMTP_CMD_MAX - 1);
		return -1;
	}
	return send_line(s, cmd, NULL, err);
}

/* Read the reply for stage (detail as set_stage). */
static int
read_reply(struct session *s, enum smtp_stage stage, const char *detail,
    struct postie_err *err)
{
	set_stage(s, stage, detail);
	if (reply_read(s->io, &s->r, trace_server, s, err) == -1) {
		s->broken = 1;
		err_prefix(err, "at %s: ", s->where);
		return -1;
	}
	/* RFC 5321 3.8: 421 means the server is closing the channel. */
	if (s->r.code == 421)
		s->closing = 1;
	return 0;
}

/* The reply just read is what the stage expects, or an error. */
static int
check_reply(struct session *s, struct postie_err *err)
{
	int ex;

	if ((ex = reply_exitcode(s->stage, &s->r)) == 0)
		return 0;
	s->fail_stage = s->stage;
	if (ex == EX_PROTOCOL)
		err_setx(err, ex, "at %s: unexpected reply: %s", s->where,
		    s->r.text);
	else
		err_setx(err, ex, "at %s: %s", s->where, s->r.text);
	return -1;
}

/* A command, flushed, and its reply checked. */
static int
command(struct session *s, enum smtp_stage stage, const char *detail,
    const char *cmd, struct postie_err *err)
{
	set_stage(s, stage, detail);
	if (send_line(s, cmd, NULL, err) == -1 || flush(s, err) == -1 ||
	    read_reply(s, stage, detail, err) == -1)
		return -1;
	return check_reply(s, err);
}

/*
 * The reply to QUIT, waited for SMTP_QUIT_GRACE_MS at most: what it says
 * changes nothing, and a server that stalls after QUIT must not hold the
 * sender for the whole timeout.
 */
static void
quit_reply(struct session *s)
{
	struct postie_err ignored;
	int timeout = io_timeout_ms(s->io);

	io_set_timeout_ms(s->io, SMTP_QUIT_GRACE_MS);
	(void)read_reply(s, SMTP_QUIT, NULL, &ignored);
	io_set_timeout_ms(s->io, timeout);
}

/* QUIT when the stream is sane; its reply and errors do not matter. */
static void
quit(struct session *s)
{
	struct postie_err ignored;

	if (s->broken || s->quit_done)
		return;
	s->quit_done = 1;
	set_stage(s, SMTP_QUIT, NULL);
	if (send_line(s, "QUIT", NULL, &ignored) == 0 &&
	    flush(s, &ignored) == 0)
		quit_reply(s);
	set_stage(s, SMTP_DONE, NULL);
}

/*
 * Abort the transaction.  A server that does not answer RSET with 2xx
 * gets no further transaction (as Postfix's client does).
 */
static void
rset(struct session *s)
{
	struct postie_err ignored;

	if (s->broken)
		return;
	if (command(s, SMTP_RSET, NULL, "RSET", &ignored) == 0)
		s->need_rset = 0;
	else
		s->closing = 1;
}

/* The reply to a RSET sent ahead of MAIL: anything but 2xx ends it. */
static int
read_rset(struct session *s, struct postie_err *err)
{
	if (read_reply(s, SMTP_RSET, NULL, err) == -1)
		return -1;
	if (reply_class(&s->r) != 2) {
		/* Not the message's fault: keep it for later. */
		s->closing = 1;
		if (s->caps.pipelining)
			s->broken = 1;	/* the replies that follow are unread */
		err_setx(err, EX_TEMPFAIL, "at %s: %s", s->where, s->r.text);
		return -1;
	}
	s->need_rset = 0;
	return 0;
}

static void
caps_free(struct caps *c)
{
	reply_free(&c->ehlo);
	memset(c, 0, sizeof(*c));
}

static void
caps_add_auth(struct caps *c, const char *list)
{
	char name[BOUND_REPLY_LINE];
	size_t len, i;

	while (*list != '\0') {
		while (*list == ' ')
			list++;
		len = strcspn(list, " ");
		if (len == 0 || len >= sizeof(name))
			break;
		for (i = 0; i < len; i++)
			name[i] = (list[i] >= 'a' && list[i] <= 'z') ?
			    list[i] - 'a' + 'A' : list[i];
		name[len] = '\0';
		list += len;
		if (sasl_offered(c->auth, name))
			continue;
		if (c->auth[0] != '\0')
			strlcat(c->auth, " ", sizeof(c->auth));
		strlcat(c->auth, name, sizeof(c->auth));
	}
}

/* Keyword match: kw then the end, a space, or (for AUTH=) an '='. */
static const char *
cap_is(const char *line, const char *kw, int eq_ok)
{
	size_t n = strlen(kw);

	if (strncasecmp(line, kw, n) != 0)
		return NULL;
	if (line[n] == '\0')
		return line + n;
	if (line[n] == ' ' || (eq_ok && line[n] == '='))
		return line + n + 1;
	return NULL;
}

/* RFC 5321 4.1.1.1: the first line greets, each further one is a keyword. */
static void
caps_parse(struct caps *c, struct reply *r)
{
	const char *arg, *line;
	unsigned long long v;
	char *end;
	size_t i;

	c->esmtp = 1;
	for (i = 1; i < r->nlines; i++) {
		line = r->lines[i];
		if (cap_is(line, "STARTTLS", 0) != NULL)
			c->starttls = 1;
		else if (cap_is(line, "PIPELINING", 0) != NULL)
			c->pipelining = 1;
		else if (cap_is(line, "CHUNKING", 0) != NULL)
			c->chunking = 1;
		else if (cap_is(line, "8BITMIME", 0) != NULL)
			c->eightbitmime = 1;
		else if (cap_is(line, "SMTPUTF8", 0) != NULL)
			c->smtputf8 = 1;
		else if (cap_is(line, "DSN", 0) != NULL)
			c->dsn = 1;
		else if (cap_is(line, "ENHANCEDSTATUSCODES", 0) != NULL)
			c->enhanced = 1;
		else if ((arg = cap_is(line, "AUTH", 1)) != NULL)
			caps_add_auth(c, arg);
		else if ((arg = cap_is(line, "SIZE", 0)) != NULL) {
			c->size = 1;
			if (*arg >= '0' && *arg <= '9') {
				v = strtoull(arg, &end, 10);
				if (*end == '\0' || *end == ' ')
					c->size_max = v;
			}
		}
	}
	/* Keep the reply: serverinfo prints it. */
	c->ehlo = *r;
	memset(r, 0, sizeof(*r));
}

static int
stage_greeting(struct session *s, struct postie_err *err)
{
	if (read_reply(s, SMTP_GREETING, NULL, err) == -1)
		return -1;
	strlcpy(s->greeting, s->r.text, sizeof(s->greeting));
	return check_reply(s, err);
}

/* EHLO (forgetting what an earlier EHLO said), HELO after a 5xx. */
static int
stage_ehlo(struct session *s, enum smtp_stage stage, struct postie_err *err)
{
	char cmd[SMTP_CMD_MAX];

	caps_free(&s->caps);
	snprintf(cmd, sizeof(cmd), "EHLO %s", s->p->helo_domain);
	set_stage(s, stage, NULL);
	if (send_line(s, cmd, NULL, err) == -1 || flush(s, err) == -1 ||
	    read_reply(s, stage, NULL, err) == -1)
		return -1;
	if (reply_class(&s->r) == 5) {
		snprintf(cmd, sizeof(cmd), "HELO %s", s->p->helo_domain);
		return command(s, SMTP_HELO, NULL, cmd, err);
	}
	if (check_reply(s, err) == -1)
		return -1;
	caps_parse(&s->caps, &s->r);
	return 0;
}

static int
stage_starttls(struct session *s, struct postie_err *err)
{
	set_stage(s, SMTP_STARTTLS, NULL);
	if (!s->caps.starttls) {
		err_setx(err, EX_UNAVAILABLE, "server does not offer STARTTLS "
		    "(tls_starttls is on); refusing to send in cleartext");
		return -1;
	}
	if (command(s, SMTP_STARTTLS, NULL, "STARTTLS", err) == -1)
		return -1;
	/* RFC 3207 5: anything already buffered came before the handshake. */
	if (io_pending(s->io) > 0) {
		s->broken = 1;
		err_setx(err, EX_PROTOCOL, "at STARTTLS: bytes received after "
		    "STARTTLS reply (possible response injection); aborting");
		return -1;
	}
	set_stage(s, SMTP_TLS, NULL);
	if (s->p->starttls == NULL) {
		s->broken = 1;
		err_setx(err, EX_SOFTWARE, "at %s: no TLS support", s->where);
		return -1;
	}
	if (s->p->starttls(s->p->starttls_arg, s->io, err) == -1) {
		s->broken = 1;
		err_prefix(err, "at %s: ", s->where);
		return -1;
	}
	s->tls = 1;
	trace(s, SMTP_DIR_INFO, "TLS started");
	return stage_ehlo(s, SMTP_EHLO_TLS, err);
}

/* The secret comes from the hook, the one way in (secret_get()). */
static int
get_secret(struct session *s, char *buf, size_t bufsz, struct postie_err *err)
{
	buf[0] = '\0';
	if (s->p->get_password == NULL) {
		err_setx(err, EX_SOFTWARE, "at %s: no password source for "
		    "account %s", s->where, s->p->acct->name != NULL ?
		    s->p->acct->name : "default");
		return -1;
	}
	if (s->p->get_password(s->p->get_password_arg, buf, bufsz,
	    err) == -1) {
		explicit_bzero(buf, bufsz);
		err_prefix(err, "at %s: ", s->where);
		return -1;
	}
	buf[bufsz - 1] = '\0';
	return 0;
}

/*
 * One response, base64-encoded, queued as "prefix<b64>" ("AUTH PLAIN "
 * or "") with shown in the transcript; every copy is wiped.
 */
static int
send_secret(struct session *s, const char *prefix, const unsigned char *raw,
    size_t rawlen, const char *shown, struct postie_err *err)
{
	char *b64, *line;
	size_t b64len, len;
	int rv;

	if (sasl_b64_encode(raw, rawlen, &b64, err) == -1)
		return -1;
	b64len = strlen(b64);
	len = strlen(prefix) + (b64len > 0 ? b64len : 1) + 1;
	if ((line = malloc(len)) == NULL) {
		sasl_wipe_free(b64, b64len);
		err_set(err, EX_OSERR, "at %s", s->where);
		return -1;
	}
	strlcpy(line, prefix, len);
	/* RFC 4954 4: an empty initial response is sent as "=". */
	strlcat(line, b64len > 0 || prefix[0] == '\0' ? b64 : "=", len);
	sasl_wipe_free(b64, b64len);
	rv = send_line(s, line, shown, err);
	sasl_wipe_free(line, len);
	return rv;
}

/* RFC 4954 4: "*" cancels an exchange (the server answers 501). */
static void
auth_cancel(struct session *s, const char *name)
{
	struct postie_err ignored;

	if (send_line(s, "*", NULL, &ignored) == 0 &&
	    flush(s, &ignored) == 0)
		(void)read_reply(s, SMTP_AUTH, name, &ignored);
}

/* What to look at when the server refuses the credentials. */
static const char *
auth_hint(const struct session *s, const struct sasl *sasl)
{
	if (s->r.code == 538)
		return "the server allows this mechanism only over TLS";
	if (sasl_is_oauth(sasl) && s->p->acct->oauth2_provider != OAUTH2_NONE)
		return "the access token was refused";
	if (sasl_is_oauth(sasl))
		return "the access token was refused: passwordeval must print "
		    "a current one (expired tokens are refreshed by the "
		    "token helper)";
	if (strcmp(sasl_name(sasl), "EXTERNAL") == 0)
		return "the server did not accept the client certificate";
	return "check user and password; the server may want an app "
	    "password or OAuth2 (auth xoauth2 or oauthbearer)";
}

/*
 * "AUTH name" with the initial response when it has one, unflushed.
 * RFC 4954 4: a response that would make the line longer than
 * BOUND_AUTH_LINE is not sent with it but given back in *pendingp (the
 * caller sends it after the server's empty 334, and wipes it); with
 * pendingp NULL it goes with AUTH whatever its length.
 */
static int
auth_start(struct session *s, struct sasl *sasl, const char *name,
    unsigned char **pendingp, size_t *pendlenp, struct postie_err *err)
{
	unsigned char *raw;
	char prefix[64], shown[64];
	size_t rawlen;
	int rv;

	if (!sasl_has_initial(sasl)) {
		snprintf(prefix, sizeof(prefix), "AUTH %s", name);
		return send_line(s, prefix, NULL, err);
	}
	snprintf(prefix, sizeof(prefix), "AUTH %s ", name);
	snprintf(shown, sizeof(shown), "AUTH %s [hidden]", name);
	if (sasl_step(sasl, NULL, 0, &raw, &rawlen, err) != 1) {
		err_prefix(err, "at ");
		return -1;
	}
	if (pendingp != NULL && strlen(prefix) + (rawlen + 2) / 3 * 4 + 2 >
	    BOUND_AUTH_LINE) {
		*pendingp = raw;
		*pendlenp = rawlen;
		snprintf(prefix, sizeof(prefix), "AUTH %s", name);
		return send_line(s, prefix, NULL, err);
	}
	rv = send_secret(s, prefix, raw, rawlen, shown, err);
	sasl_wipe_free(raw, rawlen);
	return rv;
}

/* What the last reply of the exchange, in s->r, means. */
static int
auth_verdict(struct session *s, struct sasl *sasl, struct postie_err *err)
{
	char status[160];
	int ex;

	if ((ex = reply_exitcode(SMTP_AUTH, &s->r)) == 0 &&
	    reply_class(&s->r) == 3)
		ex = EX_PROTOCOL;
	status[0] = '\0';
	if (sasl_oauth_status(sasl) != NULL)
		snprintf(status, sizeof(status), " (OAuth error status: %s)",
		    sasl_oauth_status(sasl));
	if (ex == EX_NOPERM) {
		err_setx(err, ex, "at %s: %s%s; %s", s->where, s->r.text,
		    status, auth_hint(s, sasl));
		return -1;
	}
	if (ex != 0) {
		err_setx(err, ex, "at %s: %s%s%s", s->where,
		    ex == EX_PROTOCOL ? "unexpected reply: " : "", s->r.text,
		    status);
		return -1;
	}
	if (!sasl_complete(sasl)) {
		err_setx(err, EX_NOPERM, "at %s: the server accepted without "
		    "proving that it knows the password (no server "
		    "signature); not trusting it", s->where);
		return -1;
	}
	return 0;
}

static int
auth_exchange(struct session *s, struct sasl *sasl, const char *name,
    struct postie_err *err)
{
	unsigned char *raw, *chal, *pending = NULL;
	char status[160];
	const char *text;
	size_t rawlen, chal_len, len, pendlen = 0;
	int rounds, rv;

	if (auth_start(s, sasl, name, &pending, &pendlen, err) == -1 ||
	    flush(s, err) == -1) {
		sasl_wipe_free(pending, pendlen);
		return -1;
	}
	for (rounds = 0;; rounds++) {
		if (read_reply(s, SMTP_AUTH, name, err) == -1) {
			sasl_wipe_free(pending, pendlen);
			return -1;
		}
		if (s->r.code != 334) {
			sasl_wipe_free(pending, pendlen);
			break;
		}
		if (rounds >= SMTP_AUTH_ROUNDS) {
			err_setx(err, EX_PROTOCOL, "at %s: more than %d "
			    "challenges", s->where, SMTP_AUTH_ROUNDS);
			return -1;
		}
		if (pending != NULL) {
			/* The initial response, after the empty 334. */
			rv = send_secret(s, "", pending, pendlen, "[hidden]",
			    err);
			sasl_wipe_free(pending, pendlen);
			pending = NULL;
			if (rv == -1 || flush(s, err) == -1)
				return -1;
			continue;
		}
		if (s->r.cut) {
			/* Its end is gone: no mechanism can use the rest. */
			err_setx(err, EX_PROTOCOL, "at %s: challenge longer "
			    "than %d bytes", s->where, BOUND_REPLY_LINE);
			auth_cancel(s, name);
			return -1;
		}
		text = s->r.nlines > 0 ? s->r.lines[0] : "";
		len = strlen(text);
		while (len > 0 && text[len - 1] == ' ')
			len--;
		if (sasl_b64_decode(text, len, &chal, &chal_len, err) == -1) {
			err_prefix(err, "at %s: ", s->where);
			auth_cancel(s, name);
			return -1;
		}
		rv = sasl_step(sasl, chal, chal_len, &raw, &rawlen, err);
		/* RFC 7628 3.2.2: the error challenge holds no secret. */
		if (sasl_is_oauth(sasl) && sasl_oauth_status(sasl) != NULL) {
			snprintf(status, sizeof(status), "OAuth error: ");
			len = strlen(status);
			err_sanitize(status + len, sizeof(status) - len,
			    (const char *)chal, chal_len);
			trace(s, SMTP_DIR_INFO, status);
		}
		sasl_wipe_free(chal, chal_len);
		if (rv == -1) {
			/* A wrong server signature ends it here. */
			auth_cancel(s, name);
			err_prefix(err, "at ");
			return -1;
		}
		if (rv == 0) {
			auth_cancel(s, name);
			err_setx(err, EX_PROTOCOL, "at %s: unexpected "
			    "challenge after the last response", s->where);
			return -1;
		}
		rv = send_secret(s, "", raw, rawlen, "[hidden]", err);
		sasl_wipe_free(raw, rawlen);
		if (rv == -1 || flush(s, err) == -1)
			return -1;
	}
	return auth_verdict(s, sasl, err);
}

/*
 * The mechanism chosen and its state made: cleartext and offer checks,
 * the secret (wiped once the mechanism holds it), channel binding.
 */
static int
auth_prepare(struct session *s, struct sasl **saslp, const char **namep,
    struct postie_err *err)
{
	const struct account *acct = s->p->acct;
	char secret[BOUND_SECRET], cbtype[32], line[64];
	unsigned char cbdata[64];
	struct sasl *sasl;
	const char *name;
	size_t cblen = 0;
	int rv, cbind;

	*saslp = NULL;
	set_stage(s, SMTP_AUTH, NULL);
	if (!s->tls && !acct->allow_cleartext_auth) {
		err_setx(err, EX_NOPERM, "refusing AUTH over a cleartext "
		    "connection (turn tls on, or allow_cleartext_auth on for "
		    "a trusted network)");
		return -1;
	}
	if (!s->caps.esmtp || s->caps.auth[0] == '\0') {
		err_setx(err, EX_UNAVAILABLE, "at AUTH: the server does not "
		    "offer AUTH (auth is on)");
		return -1;
	}
	cbind = s->tls && io_channel_binding(s->io, cbtype, sizeof(cbtype),
	    cbdata, sizeof(cbdata), &cblen);
	if (sasl_choose(acct->auth, s->caps.auth, cbind, &name, err) == -1) {
		err_prefix(err, "at AUTH: ");
		return -1;
	}
	set_stage(s, SMTP_AUTH, name);
	secret[0] = '\0';
	if (acct->auth != AUTH_EXTERNAL &&
	    get_secret(s, secret, sizeof(secret), err) == -1)
		return -1;
	rv = sasl_new(&sasl, name, NULL, acct->user, secret, err);
	explicit_bzero(secret, sizeof(secret));
	if (rv == 0 && cbind)
		rv = sasl_set_cbind(sasl, cbtype, cbdata, cblen, err);
	if (rv == 0 && acct->host != NULL)
		rv = sasl_set_host(sasl, acct->host, acct->port, err);
	explicit_bzero(cbdata, sizeof(cbdata));
	if (rv == -1) {
		sasl_free(sasl);
		err_prefix(err, "at ");
		return -1;
	}
	if (cbind) {
		snprintf(line, sizeof(line), "channel binding: %s", cbtype);
		trace(s, SMTP_DIR_INFO, line);
	}
	*saslp = sasl;
	*namep = name;
	return 0;
}

static void
auth_done(struct session *s, const char *name)
{
	strlcpy(s->mech, name, sizeof(s->mech));
	trace(s, SMTP_DIR_INFO, "authenticated");
}

/*
 * AUTH as configured.  With may_lead and PIPELINING, a one-round
 * mechanism is kept to lead the first transaction's group instead (RFC
 * 4954 4): its reply is read with MAIL's.
 */
static int
stage_auth(struct session *s, int may_lead, struct postie_err *err)
{
	struct sasl *sasl;
	const char *name;
	int rv;

	if (auth_prepare(s, &sasl, &name, err) == -1)
		return -1;
	if (may_lead && s->caps.pipelining && sasl_one_round(sasl)) {
		s->lead = sasl;
		strlcpy(s->lead_name, name, sizeof(s->lead_name));
		trace(s, SMTP_DIR_INFO, "AUTH goes with the first message");
		return 0;
	}
	rv = auth_exchange(s, sasl, name, err);
	sasl_free(sasl);
	if (rv == 0)
		auth_done(s, name);
	return rv;
}

/* Greeting, EHLO, STARTTLS and AUTH as configured. */
static int
session_open(struct session *s, int do_auth, struct postie_err *err)
{
	const struct account *acct = s->p->acct;

	if (stage_greeting(s, err) == -1 ||
	    stage_ehlo(s, SMTP_EHLO, err) == -1)
		return -1;
	if (acct->tls && acct->tls_starttls && !s->p->tls_active &&
	    stage_starttls(s, err) == -1)
		return -1;
	if (do_auth && acct->auth != AUTH_OFF && stage_auth(s, 1, err) == -1)
		return -1;
	return 0;
}

static int
has_ctl(const char *str)
{
	for (; *str != '\0'; str++)
		if ((unsigned char)*str < 0x20 || *str == 0x7f)
			return 1;
	return 0;
}

static int
session_init(struct session *s, struct io *io, const struct smtp_params *p,
    struct postie_err *err)
{
	memset(s, 0, sizeof(*s));
	s->io = io;
	s->p = p;
	s->stage = SMTP_CONNECT;
	strlcpy(s->where, smtp_stage_name(SMTP_CONNECT), sizeof(s->where));
	s->tls = p->tls_active;
	if (p->acct == NULL || p->helo_domain == NULL) {
		err_setx(err, EX_SOFTWARE, "smtp: no account or EHLO domain");
		return -1;
	}
	if (p->helo_domain[0] == '\0' || has_ctl(p->helo_domain) ||
	    strchr(p->helo_domain, ' ') != NULL ||
	    strlen(p->helo_domain) > BOUND_DOMAIN) {
		err_setx(err, EX_CONFIG, "bad EHLO domain");
		return -1;
	}
	return 0;
}

static void
session_free(struct session *s)
{
	caps_free(&s->caps);
	reply_free(&s->r);
	sasl_free(s->lead);
	s->lead = NULL;
}

/* RFC 3461 4: xtext. */
static int
xtext(char *dst, size_t dstsz, const char *src)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t o = 0;

	for (; *src != '\0'; src++) {
		c = (unsigned char)*src;
		if (o + 4 > dstsz)
			return -1;
		if (c >= '!' && c <= '~' && c != '+' && c != '=')
			dst[o++] = (char)c;
		else {
			dst[o++] = '+';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return 0;
}

static int
dsn_notify_ok(const char *v)
{
	const char *word;
	size_t len;

	for (word = v; *word != '\0'; word += len + (word[len] == ',')) {
		len = strcspn(word, ",");
		if (!((len == 5 && strncasecmp(word, "NEVER", 5) == 0) ||
		    (len == 7 && strncasecmp(word, "SUCCESS", 7) == 0) ||
		    (len == 7 && strncasecmp(word, "FAILURE", 7) == 0) ||
		    (len == 5 && strncasecmp(word, "DELAY", 5) == 0)))
			return 0;
		if (word[len] == ',' && word[len + 1] == '\0')
			return 0;
	}
	return v[0] != '\0';
}

/* The ESMTP parameters of MAIL FROM into params; checks SIZE and UTF-8. */
static int
mail_params(struct session *s, const struct smtp_txn *t, char *params,
    size_t paramsz, struct postie_err *err)
{
	char num[32], envid[BOUND_DSN_ENVID + 1];
	const char *utf8 = NULL, *body = NULL;
	unsigned long long size;
	off_t msize;
	size_t i;

	params[0] = '\0';
	msize = s->plan.size;
	size = msize > 0 ? (unsigned long long)msize : 0;
	if (s->caps.size) {
		if (s->caps.size_max > 0 && size > s->caps.size_max) {
			err_setx(err, EX_DATAERR, "at %s: message of %llu "
			    "bytes exceeds the server's limit of %llu",
			    s->where, size, s->caps.size_max);
			return -1;
		}
		snprintf(num, sizeof(num), " SIZE=%llu", size);
		strlcat(params, num, paramsz);
	}
	if (t->env->body_type != NULL) {
		if (strcasecmp(t->env->body_type, "8BITMIME") == 0)
			body = "8BITMIME";
		else if (strcasecmp(t->env->body_type, "7BIT") == 0)
			body = "7BIT";
		else {
			err_setx(err, EX_USAGE, "bad body type (use 7BIT or "
			    "8BITMIME)");
			return -1;
		}
	} else if (s->plan.eightbit)
		body = "8BITMIME";
	/* RFC 6152 2: BODY= only to a server that offers 8BITMIME. */
	if (body != NULL && s->caps.eightbitmime) {
		strlcat(params, " BODY=", paramsz);
		strlcat(params, body, paramsz);
	}
	if (addr_needs_utf8(t->env->from))
		utf8 = t->env->from;
	for (i = 0; utf8 == NULL && i < t->env->rcpts.n; i++)
		if (addr_needs_utf8(t->env->rcpts.v[i].spec))
			utf8 = t->env->rcpts.v[i].spec;
	if (utf8 != NULL) {
		if (!s->caps.smtputf8) {
			err_setx(err, EX_UNAVAILABLE, "at %s: address <%s> "
			    "needs SMTPUTF8 which the server does not offer",
			    s->where, utf8);
			return -1;
		}
		strlcat(params, " SMTPUTF8", paramsz);
	} else if (s->plan.smtputf8)
		strlcat(params, " SMTPUTF8", paramsz);
	if (t->env->dsn_notify != NULL && !dsn_notify_ok(t->env->dsn_notify)) {
		err_setx(err, EX_USAGE, "bad DSN notify value (use NEVER, or "
		    "SUCCESS, FAILURE and DELAY separated by commas)");
		return -1;
	}
	if (t->env->dsn_return != NULL &&
	    strcasecmp(t->env->dsn_return, "FULL") != 0 &&
	    strcasecmp(t->env->dsn_return, "HDRS") != 0) {
		err_setx(err, EX_USAGE, "bad DSN return value (use FULL or "
		    "HDRS)");
		return -1;
	}
	if (t->env->dsn_envid != NULL && xtext(envid, sizeof(envid),
	    t->env->dsn_envid) == -1) {
		err_setx(err, EX_USAGE, "DSN envelope id longer than %d "
		    "characters", BOUND_DSN_ENVID);
		return -1;
	}
	if (!s->caps.dsn) {
		if (t->env->dsn_notify != NULL || t->env->dsn_return != NULL ||
		    t->env->dsn_envid != NULL)
			trace(s, SMTP_DIR_INFO, "the server does not offer "
			    "DSN; DSN parameters not sent");
		return 0;
	}
	if (t->env->dsn_return != NULL) {
		strlcat(params, " RET=", paramsz);
		strlcat(params, strcasecmp(t->env->dsn_return, "FULL") == 0 ?
		    "FULL" : "HDRS", paramsz);
	}
	if (t->env->dsn_envid != NULL) {
		strlcat(params, " ENVID=", paramsz);
		strlcat(params, envid, paramsz);
	}
	return 0;
}

static int
send_rcpt(struct session *s, const struct smtp_txn *t, const char *rcpt,
    struct postie_err *err)
{
	if (s->caps.dsn && t->env->dsn_notify != NULL)
		return send_cmd(s, err, "RCPT TO:<%s> NOTIFY=%s", rcpt,
		    t->env->dsn_notify);
	return send_cmd(s, err, "RCPT TO:<%s>", rcpt);
}

/* Note the reply to RCPT TO for recipient i of t in t->env and res. */
static int
record_rcpt(struct session *s, const struct smtp_txn *t, size_t i,
    struct smtp_result *res, struct postie_err *err)
{
	const char *rcpt = t->env->rcpts.v[i].spec;
	struct smtp_rcpt_fail *f;
	int ex;

	ex = reply_exitcode(SMTP_RCPT, &s->r);
	if (envelope_mark(t->env, i, s->r.code, ex, ex != 0 ? s->r.text :
	    NULL, err) == -1)
		return -1;
	if (ex == 0) {
		res->naccepted++;
		return 0;
	}
	f = reallocarray(res->fails, res->nfails + 1, sizeof(*f));
	if (f == NULL) {
		err_set(err, EX_OSERR, "at %s", s->where);
		return -1;
	}
	res->fails = f;
	f = &res->fails[res->nfails];
	f->code = s->r.code;
	f->ex = ex;
	f->rcpt = strdup(rcpt);
	f->reply = strdup(s->r.text);
	if (f->rcpt == NULL || f->reply == NULL) {
		free(f->rcpt);
		free(f->reply);
		err_set(err, EX_OSERR, "at %s", s->where);
		return -1;
	}
	res->nfails++;
	return 0;
}

/* The error for rejected recipients, naming each. */
static void
rcpt_error(const struct smtp_result *res, size_t nrcpts,
    struct postie_err *err)
{
	char buf[POSTIE_ERR_MSG], clean[POSTIE_ERR_MSG];
	size_t i;
	int ex = 0;

	for (i = 0; i < res->nfails; i++)
		ex = reply_worse_ex(ex, res->fails[i].ex);
	if (res->nfails == 1 && res->naccepted == 0) {
		err_sanitize(clean, sizeof(clean), res->fails[0].rcpt,
		    strlen(res->fails[0].rcpt));
		err_setx(err, ex, "at RCPT TO <%s>: %s", clean,
		    res->fails[0].reply);
		return;
	}
	if (res->naccepted == 0)
		snprintf(buf, sizeof(buf), "at RCPT TO: all %zu recipients "
		    "rejected: ", res->nfails);
	else
		snprintf(buf, sizeof(buf), "at RCPT TO: message sent to %zu "
		    "of %zu recipients; rejected: ", res->naccepted, nrcpts);
	for (i = 0; i < res->nfails; i++) {
		if (i > 0)
			strlcat(buf, "; ", sizeof(buf));
		err_sanitize(clean, sizeof(clean), res->fails[i].rcpt,
		    strlen(res->fails[i].rcpt));
		strlcat(buf, "<", sizeof(buf));
		strlcat(buf, clean, sizeof(buf));
		strlcat(buf, ">: ", sizeof(buf));
		strlcat(buf, res->fails[i].reply, sizeof(buf));
	}
	err_setx(err, ex, "%s", buf);
}

/* DATA answered 354 with nobody to deliver to: end it empty. */
static void
data_abort(struct session *s)
{
	struct postie_err ignored;

	if (send_line(s, ".", NULL, &ignored) == 0 &&
	    flush(s, &ignored) == 0)
		(void)read_reply(s, SMTP_DATA_END, NULL, &ignored);
}

/*
 * A pipelined group (RFC 2920): what went ahead of the replies, and how
 * they came back.
 */
struct group {
	const struct smtp_txn *t;
	struct smtp_result *res;
	int	 auth;			/* s->lead leads it */
	int	 auth_ok;
	struct postie_err autherr;
	int	 reset;			/* RSET first */
	int	 mail_ok;
	struct postie_err mailerr;
	int	 answered;		/* replies read up to the last RCPT */
};

/* [AUTH] [RSET] MAIL RCPT..., unflushed. */
static int
group_send(struct session *s, const struct smtp_txn *t, struct group *g,
    const char *params, struct postie_err *err)
{
	const struct addr_list *rcpts = &t->env->rcpts;
	char detail[BOUND_PATH * 4 + 3];
	size_t i;

	if (g->auth) {
		set_stage(s, SMTP_AUTH, s->lead_name);
		if (auth_start(s, s->lead, s->lead_name, NULL, NULL,
		    err) == -1)
			return -1;
	}
	if (g->reset) {
		set_stage(s, SMTP_RSET, NULL);
		if (send_line(s, "RSET", NULL, err) == -1)
			return -1;
	}
	set_stage(s, SMTP_MAIL, NULL);
	if (send_cmd(s, err, "MAIL FROM:<%s>%s", t->env->from, params) == -1)
		return -1;
	s->need_rset = 1;
	for (i = 0; i < rcpts->n; i++) {
		snprintf(detail, sizeof(detail), "<%s>", rcpts->v[i].spec);
		set_stage(s, SMTP_RCPT, detail);
		if (send_rcpt(s, t, rcpts->v[i].spec, err) == -1)
			return -1;
	}
	return 0;
}

/*
 * The reply to the AUTH that led the group.  A challenge means the
 * server took the next command for a response: the stream is lost.
 */
static int
group_auth(struct session *s, struct smtp_result *res, struct group *g,
    struct postie_err *err)
{
	struct sasl *sasl = s->lead;
	int rv = 0;

	s->lead = NULL;
	if (read_reply(s, SMTP_AUTH, s->lead_name, err) == -1)
		rv = -1;
	else if (s->r.code == 334) {
		s->broken = 1;
		err_setx(err, EX_PROTOCOL, "at %s: unexpected challenge to a "
		    "mechanism that needs none", s->where);
		rv = -1;
	} else if (auth_verdict(s, sasl, &g->autherr) == 0) {
		auth_done(s, s->lead_name);
		strlcpy(res->auth_mech, s->mech, sizeof(res->auth_mech));
	} else
		g->auth_ok = 0;
	sasl_free(sasl);
	if (rv == -1) {
		g->auth_ok = 0;
		g->autherr = *err;
	}
	return rv;
}

/* The group's replies in order: AUTH, RSET, MAIL, each RCPT. */
static int
group_read(struct session *s, const struct smtp_txn *t,
    struct smtp_result *res, struct group *g, struct postie_err *err)
{
	const struct addr_list *rcpts = &t->env->rcpts;
	char detail[BOUND_PATH * 4 + 3];
	size_t i;

	if (g->auth && group_auth(s, res, g, err) == -1)
		return -1;
	if (g->reset && read_rset(s, err) == -1)
		return -1;
	if (read_reply(s, SMTP_MAIL, NULL, err) == -1)
		return -1;
	g->mail_ok = check_reply(s, &g->mailerr) == 0;
	for (i = 0; i < rcpts->n; i++) {
		snprintf(detail, sizeof(detail), "<%s>", rcpts->v[i].spec);
		if (read_reply(s, SMTP_RCPT, detail, err) == -1)
			return -1;
		if (g->mail_ok && record_rcpt(s, t, i, res, err) == -1)
			return -1;
	}
	g->answered = 1;
	return 0;
}

/*
 * The AUTH that led the group failed: that is the outcome, whatever came
 * after, and the session takes no more mail.  A recipient refused after
 * it was refused for want of AUTH: none has a fate of its own.
 */
static int
group_auth_failed(struct session *s, struct group *g, struct postie_err *err)
{
	smtp_result_free(g->res);
	g->res->naccepted = 0;
	if (envelope_reset(g->t->env, err) == -1)
		return -1;
	*err = g->autherr;
	s->fail_stage = SMTP_AUTH;
	s->closing = 1;
	return -1;
}

/* The stream ended while the group's replies were read: say why. */
static int
group_lost(struct session *s, struct group *g, struct postie_err *err)
{
	if (!g->auth_ok)
		return group_auth_failed(s, g, err);
	/* MAIL got 421 and the server went away: say what it said. */
	if (!g->mail_ok && s->closing) {
		*err = g->mailerr;
		s->fail_stage = SMTP_MAIL;
	}
	return -1;
}

/* MAIL was refused, or every recipient: the transaction's error. */
static int
group_refused(struct session *s, const struct smtp_txn *t,
    struct smtp_result *res, struct group *g, struct postie_err *err)
{
	if (!g->mail_ok) {
		*err = g->mailerr;
		s->fail_stage = SMTP_MAIL;
	} else {
		rcpt_error(res, t->env->rcpts.n, err);
		s->fail_stage = SMTP_RCPT;
	}
	return -1;
}

/* MAIL and each RCPT, one reply at a time (no PIPELINING). */
static int
envelope_lockstep(struct session *s, const struct smtp_txn *t,
    struct smtp_result *res, const char *params, struct postie_err *err)
{
	const struct addr_list *rcpts = &t->env->rcpts;
	char detail[BOUND_PATH * 4 + 3];
	size_t i;

	if (s->need_rset) {
		set_stage(s, SMTP_RSET, NULL);
		if (send_line(s, "RSET", NULL, err) == -1 ||
		    flush(s, err) == -1 || read_rset(s, err) == -1)
			return -1;
	}
	set_stage(s, SMTP_MAIL, NULL);
	if (send_cmd(s, err, "MAIL FROM:<%s>%s", t->env->from, params) == -1)
		return -1;
	s->need_rset = 1;
	if (flush(s, err) == -1 ||
	    read_reply(s, SMTP_MAIL, NULL, err) == -1 ||
	    check_reply(s, err) == -1)
		return -1;
	for (i = 0; i < rcpts->n; i++) {
		snprintf(detail, sizeof(detail), "<%s>", rcpts->v[i].spec);
		set_stage(s, SMTP_RCPT, detail);
		if (send_rcpt(s, t, rcpts->v[i].spec, err) == -1 ||
		    flush(s, err) == -1 ||
		    read_reply(s, SMTP_RCPT, detail, err) == -1 ||
		    record_rcpt(s, t, i, res, err) == -1)
			return -1;
	}
	if (res->naccepted == 0) {
		rset(s);
		rcpt_error(res, rcpts->n, err);
		s->fail_stage = SMTP_RCPT;
		return -1;
	}
	return 0;
}

/*
 * MAIL, RCPT for each recipient, and for DATA the DATA command.  With
 * PIPELINING they go in one flush (RFC 2920 3.1), led by RSET when the
 * session's previous transaction may still be open, or by the AUTH kept
 * for the first transaction; for BDAT the group is only queued, the
 * chunks join it and stage_bdat reads the replies.  Without, one at a
 * time, and no DATA when no recipient was accepted.  Returns 0 when DATA
 * got 354 (or, for BDAT, when the message may follow).
 *
 * When the AUTH that led the group fails, the rest is read and the
 * outcome is the AUTH failure; a 354 that comes anyway gets nothing of
 * the message: no dot either, the connection is dropped.
 */
static int
stage_envelope(struct session *s, const struct smtp_txn *t,
    struct smtp_result *res, struct group *g, int bdat,
    struct postie_err *err)
{
	char params[SMTP_CMD_MAX];

	set_stage(s, SMTP_MAIL, NULL);
	if (mail_params(s, t, params, sizeof(params), err) == -1)
		return -1;
	if (!s->caps.pipelining) {
		g->answered = 1;
		if (envelope_lockstep(s, t, res, params, err) == -1)
			return -1;
		return bdat ? 0 : command(s, SMTP_DATA, NULL, "DATA", err);
	}
	g->auth = s->lead != NULL;
	g->reset = s->need_rset;
	if (group_send(s, t, g, params, err) == -1)
		return -1;
	if (bdat)
		return 0;
	set_stage(s, SMTP_DATA, NULL);
	if (send_line(s, "DATA", NULL, err) == -1 || flush(s, err) == -1)
		return -1;
	if (group_read(s, t, res, g, err) == -1 ||
	    read_reply(s, SMTP_DATA, NULL, err) == -1)
		return group_lost(s, g, err);
	if (!g->auth_ok) {
		if (reply_class(&s->r) == 3) {
			s->broken = 1;
			trace(s, SMTP_DIR_INFO, "AUTH failed but DATA was "
			    "accepted: closing without sending the message");
		}
		return group_auth_failed(s, g, err);
	}
	if (!g->mail_ok || res->naccepted == 0) {
		if (reply_class(&s->r) == 3)
			data_abort(s);
		rset(s);
		return group_refused(s, t, res, g, err);
	}
	return check_reply(s, err);
}

static int
body_out(void *arg, const char *buf, size_t len, struct postie_err *err)
{
	return smtp_dot_write(arg, buf, len, err);
}

/*
 * How the message goes to this server (mime.h): as it is, quoted-
 * printable, or not at all (a refusal of the message, before MAIL).
 */
static int
plan_message(struct session *s, const struct smtp_txn *t,
    struct postie_err *err)
{
	struct mime_server srv = { s->caps.eightbitmime, s->caps.smtputf8 };

	if (mime_plan(t->msg, &srv, &s->plan, err) == -1) {
		if (err->ex == EX_DATAERR)
			s->fail_stage = SMTP_MAIL;
		return -1;
	}
	if (s->plan.note[0] != '\0')
		trace(s, SMTP_DIR_INFO, s->plan.note);
	return 0;
}

/*
 * The message from its one source into an encoder: dot-stuffed into the
 * stream for DATA, into BDAT chunks for CHUNKING.  Both paths come here.
 */
static int
body_emit(struct session *s, struct msg *msg, struct smtp_dot *enc,
    struct postie_err *err)
{
	if (mime_emit(&s->plan, msg, body_out, enc, err) == -1)
		return -1;
	return smtp_dot_end(enc, err);
}

/*
 * The connection was lost once the end of the message (what: "the final
 * dot", "BDAT LAST") was sent.
 */
static void
lost_after_end(struct session *s, const char *what, struct postie_err *err)
{
	char why[POSTIE_ERR_MSG];

	s->broken = 1;
	if (err->ex == EX_PROTOCOL) {
		err_prefix(err, "at %s: ", s->where);
		return;
	}
	strlcpy(why, err->msg, sizeof(why));
	if (strcmp(why, "connection closed by server") == 0)
		err_setx(err, EX_TEMPFAIL, "at %s: connection lost after %s; "
		    "the message may have been delivered", s->where, what);
	else
		err_setx(err, EX_TEMPFAIL, "at %s: connection lost after %s "
		    "(%s); the message may have been delivered", s->where,
		    what, why);
}

/*
 * The reply to the end of the message (the final dot, BDAT LAST) into
 * res.  RFC 5321 4.1.4: the next MAIL follows a successful end, or an
 * aborted transaction; after any other reply RSET goes first.
 */
static int
final_reply(struct session *s, const char *detail, struct smtp_result *res,
    struct postie_err *err)
{
	set_stage(s, SMTP_DATA_END, detail);
	if (reply_read(s->io, &s->r, trace_server, s, err) == -1) {
		lost_after_end(s, detail != NULL ? "BDAT LAST" :
		    "the final dot", err);
		return -1;
	}
	res->final_code = s->r.code;
	strlcpy(res->final_reply, s->r.text, sizeof(res->final_reply));
	if (s->r.code == 421)
		s->closing = 1;
	else if (reply_class(&s->r) == 2)
		s->need_rset = 0;
	return 0;
}

/* With PIPELINING and quit_after, QUIT ends the group (RFC 2920 3.1). */
static int
quit_ahead(struct session *s, int quit_after, struct postie_err *err)
{
	if (!s->caps.pipelining || !quit_after)
		return 0;
	set_stage(s, SMTP_QUIT, NULL);
	if (send_line(s, "QUIT", NULL, err) == -1)
		return -1;
	s->quit_done = 1;
	return 0;
}

/* The message, the final dot, the QUIT ahead, and the final reply. */
static int
stage_data(struct session *s, struct msg *msg, struct smtp_result *res,
    int quit_after, struct postie_err *err)
{
	struct smtp_dot dot;
	char line[64];
	int rv;

	smtp_dot_init(&dot, s->io);
	if (body_emit(s, msg, &dot, err) == -1) {
		/* Mid-DATA there is no way back but closing. */
		s->broken = 1;
		err_prefix(err, "at %s: ", s->where);
		return -1;
	}
	snprintf(line, sizeof(line), "[message: %llu bytes]", dot.nbytes);
	trace(s, SMTP_DIR_CLIENT, line);
	trace(s, SMTP_DIR_CLIENT, ".");
	if (quit_ahead(s, quit_after, err) == -1 || flush(s, err) == -1 ||
	    final_reply(s, NULL, res, err) == -1)
		return -1;
	rv = check_reply(s, err);
	if (s->quit_done)
		quit_reply(s);
	return rv;
}

/*
 * BDAT (RFC 3030): the message in chunks of exactly counted CRLF bytes,
 * no dot-stuffing, the last one "BDAT n LAST".  Chunks go without
 * waiting; the reply to a chunk is read once SMTP_BDAT_WINDOW more have
 * been sent (at once without PIPELINING), and a refusal stops the rest.
 */
struct bdat {
	struct session *s;
	const struct smtp_txn *t;
	struct smtp_result *res;
	struct group *g;
	char	*buf;			/* the chunk being filled */
	size_t	 len, cap;
	size_t	 sent, answered;	/* chunks before the last */
	size_t	 window;
	int	 stop;			/* refused: no more chunks */
	int	 sink_failed;		/* sending a chunk failed */
	int	 chunk_failed;
	struct postie_err chunkerr;	/* the first refused chunk's */
	unsigned long long nbytes;
};

/* Replies until at most keep chunks are unanswered; the group's first. */
static int
bdat_read(struct bdat *b, size_t keep, struct postie_err *err)
{
	struct session *s = b->s;

	if (b->sent - b->answered <= keep && (keep > 0 || b->g->answered))
		return 0;
	if (flush(s, err) == -1)
		return -1;
	if (!b->g->answered) {
		if (group_read(s, b->t, b->res, b->g, err) == -1)
			return -1;
		if (!b->g->mail_ok || b->res->naccepted == 0)
			b->stop = 1;
	}
	while (b->sent - b->answered > keep) {
		if (read_reply(s, SMTP_DATA_END, "(BDAT)", err) == -1)
			return -1;
		b->answered++;
		if (reply_class(&s->r) != 2) {
			if (!b->chunk_failed)
				(void)check_reply(s, &b->chunkerr);
			b->chunk_failed = 1;
			b->stop = 1;
		}
	}
	return 0;
}

static int
bdat_ship(struct bdat *b, int last, struct postie_err *err)
{
	struct session *s = b->s;
	char cmd[64];

	set_stage(s, SMTP_DATA_END, "(BDAT)");
	snprintf(cmd, sizeof(cmd), "BDAT %zu%s", b->len, last ? " LAST" : "");
	if (send_line(s, cmd, NULL, err) == -1)
		return -1;
	if (b->len > 0 && io_write(s->io, b->buf, b->len, err) == -1) {
		s->broken = 1;
		err_prefix(err, "at %s: ", s->where);
		return -1;
	}
	b->nbytes += b->len;
	b->len = 0;
	if (last)
		return 0;
	b->sent++;
	return bdat_read(b, b->window, err);
}

/* The encoder's sink: a full chunk is sent before more is taken. */
static char *
bdat_reserve(void *arg, size_t min, size_t *availp, struct postie_err *err)
{
	struct bdat *b = arg;

	if (b->cap - b->len < min) {
		if (bdat_ship(b, 0, err) == -1) {
			b->sink_failed = 1;
			return NULL;
		}
		if (b->stop) {
			err_setx(err, EX_UNAVAILABLE, "chunk refused");
			return NULL;
		}
	}
	*availp = b->cap - b->len;
	return b->buf + b->len;
}

static void
bdat_commit(void *arg, size_t n)
{
	struct bdat *b = arg;

	b->len += n;
}

/* What the replies said, once all were read. */
static int
bdat_outcome(struct bdat *b, int ended, struct postie_err *err)
{
	struct session *s = b->s;
	struct group *g = b->g;

	if (!g->auth_ok) {
		if (!ended || reply_class(&s->r) != 2)
			return group_auth_failed(s, g, err);
		/* RFC 3030: the message is the server's now; no retry. */
		snprintf(b->res->warning, sizeof(b->res->warning),
		    "%.400s, but the server accepted the message: it was "
		    "delivered without authentication", g->autherr.msg);
		trace(s, SMTP_DIR_INFO, "AUTH failed but the message was "
		    "accepted");
		s->closing = 1;
		return 0;
	}
	if (!g->mail_ok || b->res->naccepted == 0)
		return group_refused(s, b->t, b->res, g, err);
	if (b->chunk_failed) {
		*err = b->chunkerr;
		s->fail_stage = SMTP_DATA_END;
		return -1;
	}
	return check_reply(s, err);
}

static int
stage_bdat(struct session *s, const struct smtp_txn *t,
    struct smtp_result *res, struct group *g, int quit_after,
    struct postie_err *err)
{
	struct smtp_dot enc;
	struct bdat b;
	char line[64], why[POSTIE_ERR_MSG];
	off_t size = s->plan.size;
	int rv = -1;

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.t = t;
	b.res = res;
	b.g = g;
	b.window = s->caps.pipelining ? SMTP_BDAT_WINDOW : 0;
	/* Room for the message as counted, and for a few more CRs. */
	b.cap = size >= 0 && size < SMTP_BDAT_CHUNK - 4096 ?
	    (size_t)size + 4096 : SMTP_BDAT_CHUNK;
	if ((b.buf = malloc(b.cap)) == NULL) {
		err_set(err, EX_OSERR, "at BDAT");
		return -1;
	}
	set_stage(s, SMTP_DATA_END, "(BDAT)");
	smtp_dot_init_sink(&enc, bdat_reserve, bdat_commit, &b);
	if (body_emit(s, t->msg, &enc, err) == -1 && !b.stop) {
		/* Between chunks there is no way back but closing. */
		s->broken = 1;
		if (!b.sink_failed)
			err_prefix(err, "at %s: ", s->where);
		rv = group_lost(s, g, err);
		goto out;
	}
	if (b.stop) {
		if (bdat_read(&b, 0, err) == -1)
			rv = group_lost(s, g, err);
		else
			rv = bdat_outcome(&b, 0, err);
		goto out;
	}
	if (bdat_ship(&b, 1, err) == -1)
		goto out;
	snprintf(line, sizeof(line), "[message: %llu bytes]", b.nbytes);
	trace(s, SMTP_DIR_CLIENT, line);
	if (quit_ahead(s, quit_after, err) == -1 || flush(s, err) == -1)
		goto out;
	if (bdat_read(&b, 0, err) == -1) {
		/* The replies before the last chunk's were cut short. */
		if (g->auth_ok && err->ex == EX_TEMPFAIL) {
			strlcpy(why, err->msg, sizeof(why));
			err_setx(err, EX_TEMPFAIL, "%.400s; after BDAT LAST "
			    "was sent: the message may have been delivered",
			    why);
		}
		rv = group_lost(s, g, err);
		goto out;
	}
	if (final_reply(s, "(BDAT)", res, err) == -1) {
		if (!g->auth_ok)
			rv = group_auth_failed(s, g, err);
		goto out;
	}
	rv = bdat_outcome(&b, 1, err);
	if (s->quit_done)
		quit_reply(s);
out:
	free(b.buf);
	return rv;
}

/* Arguments a transaction cannot start with. */
static int
txn_check(const struct smtp_txn *t, struct postie_err *err)
{
	size_t i;

	if (t->env->rcpts.n == 0) {
		err_setx(err, EX_USAGE, "no recipients");
		return -1;
	}
	if (t->env->from == NULL || has_ctl(t->env->from)) {
		err_setx(err, EX_DATAERR, "sender address holds control "
		    "characters");
		return -1;
	}
	for (i = 0; i < t->env->rcpts.n; i++) {
		if (has_ctl(t->env->rcpts.v[i].spec)) {
			err_setx(err, EX_DATAERR, "recipient address holds "
			    "control characters");
			return -1;
		}
	}
	return 0;
}

/* One message on an open session: envelope, data, the final reply. */
static int
transaction(struct session *s, const struct smtp_txn *t,
    struct smtp_result *res, int quit_after, struct postie_err *err)
{
	struct group g;
	int rv, bdat = s->caps.chunking && s->p->acct->chunking;

	s->fail_stage = SMTP_NONE;
	memset(&g, 0, sizeof(g));
	g.t = t;
	g.res = res;
	g.auth_ok = g.mail_ok = 1;
	if (envelope_reset(t->env, err) == -1)
		return -1;
	rv = plan_message(s, t, err);
	if (rv == 0)
		rv = stage_envelope(s, t, res, &g, bdat, err);
	if (rv == 0)
		rv = bdat ? stage_bdat(s, t, res, &g, quit_after, err) :
		    stage_data(s, t->msg, res, quit_after, err);
	if (rv == 0 && res->nfails > 0) {
		rcpt_error(res, t->env->rcpts.n, err);
		s->fail_stage = SMTP_RCPT;
		rv = -1;
	}
	return rv;
}

struct smtp_session {
	struct session s;
};

int
smtp_session_open(struct smtp_session **sp, struct io *io,
    const struct smtp_params *p, enum smtp_stage *stagep,
    struct postie_err *err)
{
	struct smtp_session *ss;

	*sp = NULL;
	*stagep = SMTP_CONNECT;
	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		err_set(err, EX_OSERR, "smtp session");
		return -1;
	}
	if (session_init(&ss->s, io, p, err) == -1) {
		free(ss);
		return -1;
	}
	if (session_open(&ss->s, 1, err) == -1) {
		*stagep = ss->s.stage;
		smtp_session_close(ss);
		return -1;
	}
	*sp = ss;
	return 0;
}

int
smtp_session_send(struct smtp_session *ss, const struct smtp_txn *t,
    struct smtp_result *res, struct postie_err *err)
{
	struct session *s = &ss->s;

	int rv;

	memset(res, 0, sizeof(*res));
	res->tls = s->tls;
	strlcpy(res->auth_mech, s->mech, sizeof(res->auth_mech));
	res->stage = SMTP_MAIL;
	if (!smtp_session_usable(ss)) {
		err_setx(err, EX_TEMPFAIL, "at %s: the connection can take "
		    "no more mail", s->where);
		return -1;
	}
	if (txn_check(t, err) == -1) {
		res->stage = SMTP_NONE;
		return -1;
	}
	rv = transaction(s, t, res, t->last, err);
	strlcpy(res->auth_mech, s->mech, sizeof(res->auth_mech));
	res->stage = rv == 0 ? SMTP_DONE : s->fail_stage != SMTP_NONE ?
	    s->fail_stage : s->stage;
	return rv;
}

int
smtp_session_usable(const struct smtp_session *ss)
{
	return !ss->s.broken && !ss->s.closing && !ss->s.quit_done;
}

void
smtp_session_close(struct smtp_session *ss)
{
	if (ss == NULL)
		return;
	quit(&ss->s);
	session_free(&ss->s);
	free(ss);
}

int
smtp_serverinfo(struct io *io, const struct smtp_params *p, int do_auth,
    FILE *out, struct postie_err *err)
{
	struct session s;
	size_t i;
	int rv;

	if (session_init(&s, io, p, err) == -1)
		return -1;
	rv = session_open(&s, 0, err);
	if (s.greeting[0] != '\0')
		fprintf(out, "Greeting: %s\n", s.greeting);
	if (rv == 0) {
		fprintf(out, "TLS: %s\n", s.tls ? (p->tls_active ?
		    "yes (implicit)" : "yes (STARTTLS)") : "no");
		if (!s.caps.esmtp)
			fprintf(out, "Capabilities: none (EHLO refused; "
			    "HELO accepted)\n");
		else {
			fprintf(out, "Capabilities:\n");
			for (i = 1; i < s.caps.ehlo.nlines; i++)
				fprintf(out, "    %s\n", s.caps.ehlo.lines[i]);
		}
		fprintf(out, "AUTH mechanisms: %s\n", s.caps.auth[0] != '\0' ?
		    s.caps.auth : "none");
		if (do_auth && p->acct->auth != AUTH_OFF) {
			rv = stage_auth(&s, 0, err);
			if (rv == 0)
				fprintf(out, "Authentication: succeeded "
				    "(%s)\n", s.mech);
		}
	}
	quit(&s);
	session_free(&s);
	return rv;
}

void
smtp_result_free(struct smtp_result *res)
{
	size_t i;

	for (i = 0; i < res->nfails; i++) {
		free(res->fails[i].rcpt);
		free(res->fails[i].reply);
	}
	free(res->fails);
	res->fails = NULL;
	res->nfails = 0;
}

static char *
dot_io_reserve(void *arg, size_t min, size_t *availp, struct postie_err *err)
{
	return io_reserve(arg, min, availp, err);
}

static void
dot_io_commit(void *arg, size_t n)
{
	io_commit(arg, n);
}

void
smtp_dot_init(struct smtp_dot *d, struct io *io)
{
	smtp_dot_init_sink(d, dot_io_reserve, dot_io_commit, io);
	d->stuff = 1;
}

void
smtp_dot_init_sink(struct smtp_dot *d, char *(*reserve)(void *, size_t,
    size_t *, struct postie_err *), void (*commit)(void *, size_t), void *arg)
{
	memset(d, 0, sizeof(*d));
	d->reserve = reserve;
	d->commit = commit;
	d->arg = arg;
	d->bol = 1;
}

static int
dot_put(struct smtp_dot *d, const char *buf, size_t len,
    struct postie_err *err)
{
	size_t avail;
	char *out;

	if ((out = d->reserve(d->arg, len, &avail, err)) == NULL)
		return -1;
	memcpy(out, buf, len);
	d->commit(d->arg, len);
	return 0;
}

/*
 * The encoder writes straight into the sink's buffer: per line one memchr
 * for the LF (and one for a CR, only in chunks that hold one) and one
 * memcpy, so that a large message costs about one pass over its bytes.
 */
int
smtp_dot_write(struct smtp_dot *d, const char *buf, size_t len,
    struct postie_err *err)
{
	const char *p = buf, *end = buf + len, *q, *cr;
	size_t avail, o, n;
	char *out;
	int has_cr;

	if (len == 0)
		return 0;
	if (d->cr) {
		d->cr = 0;
		d->bol = 1;
		if (dot_put(d, "\r\n", 2, err) == -1)
			return -1;
		d->nbytes += 2;
		if (*p == '\n')
			p++;
	}
	has_cr = p < end && memchr(p, '\r', (size_t)(end - p)) != NULL;
	while (p < end) {
		/* Room for a stuffed dot and a CRLF at least. */
		if ((out = d->reserve(d->arg, 3, &avail, err)) == NULL)
			return -1;
		o = 0;
		while (p < end && o + 3 <= avail) {
			if (d->bol && *p == '.' && d->stuff)
				out[o++] = '.';
			d->bol = 0;
			/* Leave room for the CRLF that may end the line. */
			n = (size_t)(end - p);
			if (n > avail - o - 2)
				n = avail - o - 2;
			q = memchr(p, '\n', n);
			if (has_cr && (cr = memchr(p, '\r', q != NULL ?
			    (size_t)(q - p) : n)) != NULL)
				q = cr;
			if (q == NULL) {
				memcpy(out + o, p, n);
				o += n;
				p += n;
				continue;
			}
			memcpy(out + o, p, (size_t)(q - p));
			o += (size_t)(q - p);
			if (*q == '\n')
				p = q + 1;
			else if (q + 1 == end) {
				/* A CR last: its LF may start the next chunk. */
				d->cr = 1;
				p = end;
				break;
			} else
				p = q[1] == '\n' ? q + 2 : q + 1;
			out[o++] = '\r';
			out[o++] = '\n';
			d->bol = 1;
		}
		d->commit(d->arg, o);
		d->nbytes += o;
	}
	return 0;
}

int
smtp_dot_end(struct smtp_dot *d, struct postie_err *err)
{
	if (d->cr || !d->bol) {
		if (dot_put(d, "\r\n", 2, err) == -1)
			return -1;
		d->nbytes += 2;
	}
	d->cr = 0;
	d->bol = 1;
	/* The dot ends the data; it is not part of the message. */
	return d->stuff ? dot_put(d, ".\r\n", 3, err) : 0;
}
