/* SPDX-License-Identifier: ISC */
/*
 * The body's transfer encoding on the wire: the facts of a message, the
 * decision for a server (see mime.h), the quoted-printable encoder and
 * the message streamed as decided.  Does not change the message, and
 * knows nothing of SMTP beyond what a server offers.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "bounds.h"
#include "mime.h"

/* Past white space and RFC 5322 comments (nested, with quoted pairs). */
static const char *
skip_cfws(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (depth > 0 && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (depth > 0 && *p == ')')
			depth--;
		else if (depth == 0 && !isspace((unsigned char)*p))
			break;
	}
	return p;
}

/* The first token of a MIME field value (RFC 2045 5.1), lower case. */
static void
first_token(const char *value, char *tok, size_t toksz)
{
	const char *p = skip_cfws(value);
	size_t n = 0;

	while (*p != '\0' && *p != '/' && *p != ';' && *p != '(' &&
	    !isspace((unsigned char)*p)) {
		if (n + 1 < toksz)
			tok[n++] = (char)tolower((unsigned char)*p);
		p++;
	}
	tok[n] = '\0';
}

void
mime_facts(const struct msg *m, struct mime_facts *f)
{
	char tok[32];
	ssize_t i;

	memset(f, 0, sizeof(*f));
	f->body_8bit = msg_body_8bit(m);
	f->head_8bit = msg_head_8bit(m);
	f->longest = msg_body_longest_line(m);
	f->dkim = msg_header_find(m, "DKIM-Signature", 0) >= 0;
	if ((i = msg_header_find(m, "Content-Type", 0)) >= 0) {
		first_token(msg_header_value(m, (size_t)i), tok, sizeof(tok));
		f->composite = strcmp(tok, "multipart") == 0 ||
		    strcmp(tok, "message") == 0;
	}
	for (i = 0; (i = msg_header_find(m, "Content-Transfer-Encoding",
	    (size_t)i)) >= 0; i++) {
		first_token(msg_header_value(m, (size_t)i), tok, sizeof(tok));
		if (tok[0] != '\0' && strcmp(tok, "7bit") != 0 &&
		    strcmp(tok, "8bit") != 0 && strcmp(tok, "binary") != 0 &&
		    f->encoded[0] == '\0')
			strlcpy(f->encoded, tok, sizeof(f->encoded));
	}
}

/* Why the body cannot be made quoted-printable, or NULL. */
static const char *
no_qp(const struct mime_facts *f, char *buf, size_t bufsz)
{
	if (f->dkim)
		return "it carries a DKIM-Signature that converting would "
		    "break";
	if (f->composite)
		return "it is multipart (or message/*)";
	if (f->encoded[0] != '\0') {
		snprintf(buf, bufsz, "its Content-Transfer-Encoding is %s",
		    f->encoded);
		return buf;
	}
	return NULL;
}

int
mime_decide(const struct mime_facts *f, const struct mime_server *srv,
    struct mime_plan *p, struct postie_err *e)
{
	char buf[80];
	const char *why;

	memset(p, 0, sizeof(*p));
	if (!srv->eightbitmime && f->head_8bit) {
		if (!srv->smtputf8) {
			err_setx(e, EX_DATAERR, "the server offers neither "
			    "8BITMIME nor SMTPUTF8, and the header section "
			    "holds 8-bit bytes");
			return -1;
		}
		p->smtputf8 = 1;
	}
	why = no_qp(f, buf, sizeof(buf));
	if (!srv->eightbitmime && f->body_8bit) {
		if (why != NULL) {
			err_setx(e, EX_DATAERR, "the server offers no "
			    "8BITMIME, and the body's 8-bit bytes cannot be "
			    "converted: %s", why);
			return -1;
		}
		p->action = MIME_QP;
		strlcpy(p->note, "the server offers no 8BITMIME: the body is "
		    "sent quoted-printable", sizeof(p->note));
	} else if (f->longest > BOUND_TEXT_LINE) {
		if (why != NULL)
			snprintf(p->note, sizeof(p->note), "a body line of "
			    "%lld octets is longer than %d; sent as it is, as "
			    "%s", (long long)f->longest, BOUND_TEXT_LINE, why);
		else {
			p->action = MIME_QP;
			snprintf(p->note, sizeof(p->note), "a body line of "
			    "%lld octets is longer than %d: the body is sent "
			    "quoted-printable", (long long)f->longest,
			    BOUND_TEXT_LINE);
		}
	}
	p->eightbit = f->head_8bit || (f->body_8bit && p->action != MIME_QP);
	return 0;
}

void
mime_wire_init(struct mime_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->bol = 1;
}

int
mime_wire_count(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	struct mime_wire *w = arg;
	size_t i;

	(void)e;
	for (i = 0; i < len; i++) {
		if ((unsigned char)buf[i] >= 0x80)
			w->eightbit = 1;
		if (w->cr) {
			w->cr = 0;
			w->n += 2;
			w->bol = 1;
			if (buf[i] == '\n')
				continue;
		}
		if (buf[i] == '\r')
			w->cr = 1;
		else if (buf[i] == '\n') {
			w->n += 2;
			w->bol = 1;
		} else {
			w->n++;
			w->bol = 0;
		}
	}
	return 0;
}

off_t
mime_wire_size(const struct mime_wire *w)
{
	return w->n + (w->cr || !w->bol ? 2 : 0);
}

int
mime_plan(struct msg *m, const struct mime_server *srv, struct mime_plan *p,
    struct postie_err *e)
{
	struct mime_facts f;
	struct mime_wire w;

	mime_facts(m, &f);
	if (mime_decide(&f, srv, p, e) == -1)
		return -1;
	if (p->action == MIME_AS_IS) {
		p->size = msg_size(m);
		return 0;
	}
	mime_wire_init(&w);
	if (mime_emit(p, m, mime_wire_count, &w, e) == -1)
		return -1;
	p->size = mime_wire_size(&w);
	return 0;
}

static int
qp_body(void *arg, const char *buf, size_t len, struct postie_err *e)
{
	return mime_qp_write(arg, buf, len, e);
}

int
mime_emit(const struct mime_plan *p, struct msg *m, int (*out)(void *,
    const char *, size_t, struct postie_err *), void *arg,
    struct postie_err *e)
{
	static const char mv[] = "MIME-Version: 1.0\n";
	static const char cte[] = "Content-Transfer-Encoding: "
	    "quoted-printable\n\n";
	struct mime_qp qp;
	const char *raw;
	size_t i, len;

	if (p->action == MIME_AS_IS)
		return msg_emit(m, out, arg, e);
	for (i = 0; i < msg_nheaders(m); i++) {
		if (strcasecmp(msg_header_name(m, i),
		    "Content-Transfer-Encoding") == 0)
			continue;
		raw = msg_header_raw(m, i, &len);
		if (out(arg, raw, len, e) == -1)
			return -1;
	}
	if (msg_header_find(m, "MIME-Version", 0) < 0 &&
	    out(arg, mv, sizeof(mv) - 1, e) == -1)
		return -1;
	if (out(arg, cte, sizeof(cte) - 1, e) == -1)
		return -1;
	mime_qp_init(&qp, out, arg);
	if (msg_emit_body(m, qp_body, &qp, e) == -1)
		return -1;
	return mime_qp_end(&qp, e);
}

void
mime_qp_init(struct mime_qp *q, int (*out)(void *, const char *, size_t,
    struct postie_err *), void *arg)
{
	memset(q, 0, sizeof(*q));
	q->out = out;
	q->arg = arg;
}

static int
qp_flush(struct mime_qp *q, struct postie_err *e)
{
	if (q->len == 0)
		return 0;
	if (q->out(q->arg, q->buf, q->len, e) == -1)
		return -1;
	q->nbytes += q->len;
	q->len = 0;
	return 0;
}

static int
qp_put(struct mime_qp *q, const char *s, size_t n, struct postie_err *e)
{
	if (q->len + n > sizeof(q->buf) && qp_flush(q, e) == -1)
		return -1;
	memcpy(q->buf + q->len, s, n);
	q->len += n;
	return 0;
}

static int
qp_soft_break(struct mime_qp *q, struct postie_err *e)
{
	q->col = 0;
	return qp_put(q, "=\r\n", 3, e);
}

/*
 * One input byte other than a line end: literal when it may be, else
 * =XX; a soft line break first when the line would grow past its limit
 * with the "=" that ends it.  Held white space is literal: text follows.
 */
static int
qp_byte(struct mime_qp *q, unsigned char c, int literal, struct postie_err *e)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3];
	size_t w;

	w = literal ? 1 : 3;
	if (q->col + w > BOUND_QP_LINE - 1 && qp_soft_break(q, e) == -1)
		return -1;
	/* A dot starting a line is encoded: no transport sees a dot line. */
	if (literal && c == '.' && q->col == 0) {
		literal = 0;
		w = 3;
	}
	if (literal) {
		enc[0] = (char)c;
	} else {
		enc[0] = '=';
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 0x0f];
	}
	q->col += w;
	return qp_put(q, enc, w, e);
}

static int
qp_release_ws(struct mime_qp *q, int literal, struct postie_err *e)
{
	char c = q->ws;

	if (c == 0)
		return 0;
	q->ws = 0;
	return qp_byte(q, (unsigned char)c, literal, e);
}

static int
qp_hard_break(struct mime_qp *q, struct postie_err *e)
{
	/* RFC 2045 6.7 (3): white space ending a line is encoded. */
	if (qp_release_ws(q, 0, e) == -1)
		return -1;
	q->col = 0;
	return qp_put(q, "\r\n", 2, e);
}

int
mime_qp_write(struct mime_qp *q, const char *buf, size_t len,
    struct postie_err *e)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)buf[i];
		if (q->cr) {
			q->cr = 0;
			if (c == '\n') {
				if (qp_hard_break(q, e) == -1)
					return -1;
				continue;
			}
			if (qp_release_ws(q, 1, e) == -1 ||
			    qp_byte(q, '\r', 0, e) == -1)
				return -1;
		}
		if (c == '\r') {
			q->cr = 1;
			continue;
		}
		if (c == '\n') {
			if (qp_hard_break(q, e) == -1)
				return -1;
			continue;
		}
		if (qp_release_ws(q, 1, e) == -1)
			return -1;
		if (c == ' ' || c == '\t')
			q->ws = (char)c;
		else if (qp_byte(q, c, c >= 33 && c <= 126 && c != '=',
		    e) == -1)
			return -1;
	}
	return 0;
}

int
mime_qp_end(struct mime_qp *q, struct postie_err *e)
{
	if (q->cr) {
		q->cr = 0;
		if (qp_release_ws(q, 1, e) == -1 ||
		    qp_byte(q, '\r', 0, e) == -1)
			return -1;
	}
	if (qp_release_ws(q, 0, e) == -1)
		return -1;
	if (q->col > 0 && qp_soft_break(q, e) == -1)
		return -1;
	return qp_flush(q, e);
}
