/* SPDX-License-Identifier: ISC */
/*
 * SMTP replies: reading one reply strictly (code range, separator, the
 * same code on every line, the reply's size bounded, long lines cut),
 * extracting the enhanced status code, and mapping a reply at a stage of
 * the session to a sysexits(3) code.  This is the one place that decides
 * those codes; it does not send commands or know the session's state.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "reply.h"

/* Room for a line of BOUND_REPLY_LINE octets and a NUL. */
#define REPLY_LINEBUF	(BOUND_REPLY_LINE + 1)

static void
reply_malformed(struct postie_err *err, const char *line, size_t len)
{
	char clean[POSTIE_ERR_MSG];

	err_sanitize(clean, sizeof(clean), line, len);
	err_setx(err, EX_PROTOCOL, "malformed reply: %s", clean);
}

/*
 * Length of an RFC 3463 code "c.sss.ddd" of class cls at the start of s
 * (followed by a space or the end), or 0.
 */
static size_t
reply_enh_len(const char *s, size_t len, int cls)
{
	size_t i = 0, n;
	int part;

	if (len < 5 || s[0] != '0' + cls || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && n < 4 &&
		    isdigit((unsigned char)s[i]); i++)
			n++;
		if (n == 0 || n > 3)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

static void
reply_append_text(struct reply *r, const char *text)
{
	size_t n;

	n = reply_enh_len(text, strlen(text), r->code / 100);
	if (n > 0 && n == strlen(r->enh) && strncmp(text, r->enh, n) == 0) {
		text += n;
		while (*text == ' ')
			text++;
	}
	if (*text == '\0')
		return;
	if (r->text[0] != '\0')
		strlcat(r->text, " ", sizeof(r->text));
	strlcat(r->text, text, sizeof(r->text));
}

static int
reply_too_big(struct postie_err *err)
{
	err_setx(err, EX_PROTOCOL, "malformed reply: longer than %d bytes",
	    BOUND_REPLY);
	return -1;
}

/* Room for one more line in r->lines. */
static int
reply_grow(struct reply *r, struct postie_err *err)
{
	char **lines;
	size_t ncap;

	if (r->nlines < r->linescap)
		return 0;
	ncap = r->linescap > 0 ? r->linescap * 2 : 8;
	if (ncap > BOUND_REPLY_LINES)
		ncap = BOUND_REPLY_LINES;
	if (r->nlines >= ncap)
		return reply_too_big(err);
	if ((lines = reallocarray(r->lines, ncap, sizeof(*lines))) == NULL) {
		err_set(err, EX_OSERR, "reading reply");
		return -1;
	}
	r->lines = lines;
	r->linescap = ncap;
	return 0;
}

/*
 * One line of len bytes (cut already when cut is set) that took raw bytes
 * of the stream.
 */
static int
reply_add(struct reply *r, const char *line, size_t len, size_t raw,
    int cut, struct postie_err *err)
{
	char codebuf[8], *clean;
	size_t textlen, cleansz, n;
	int code, last;

	if (r->done) {
		err_setx(err, EX_SOFTWARE, "reply_add_line: reply complete");
		return -1;
	}
	if (raw > BOUND_REPLY - r->size)
		return reply_too_big(err);
	r->size += raw;
	if (len > BOUND_REPLY_LINE) {
		len = BOUND_REPLY_LINE;
		cut = 1;
	}
	if (len < 3 || !isdigit((unsigned char)line[0]) ||
	    !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) ||
	    line[0] < '2' || line[0] > '5' ||
	    (len > 3 && line[3] != ' ' && line[3] != '-')) {
		reply_malformed(err, line, len);
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code) {
		reply_malformed(err, line, len);
		return -1;
	}
	if (reply_grow(r, err) == -1)
		return -1;
	last = len == 3 || line[3] == ' ';
	textlen = len > 4 ? len - 4 : 0;
	cleansz = textlen * 4 + 1;
	if ((clean = malloc(cleansz)) == NULL) {
		err_set(err, EX_OSERR, "reading reply");
		return -1;
	}
	err_sanitize(clean, cleansz, line + 4, textlen);
	r->lines[r->nlines++] = clean;
	if (cut)
		r->cut = 1;
	if (r->nlines == 1) {
		r->code = code;
		n = reply_enh_len(clean, strlen(clean), code / 100);
		if (n > 0 && n < sizeof(r->enh)) {
			memcpy(r->enh, clean, n);
			r->enh[n] = '\0';
		}
		snprintf(codebuf, sizeof(codebuf), "%d", code);
		strlcpy(r->text, codebuf, sizeof(r->text));
		if (r->enh[0] != '\0') {
			strlcat(r->text, " ", sizeof(r->text));
			strlcat(r->text, r->enh, sizeof(r->text));
		}
	}
	reply_append_text(r, clean);
	r->done = last;
	return last;
}

int
reply_add_line(struct reply *r, const char *line, size_t len,
    struct postie_err *err)
{
	/* As if it came with CRLF; len + 2 cannot wrap for a real line. */
	return reply_add(r, line, len, len > SIZE_MAX - 2 ? SIZE_MAX :
	    len + 2, 0, err);
}

int
reply_read(struct io *io, struct reply *r,
    void (*trace)(void *, const char *), void *trace_arg,
    struct postie_err *err)
{
	char line[REPLY_LINEBUF], clean[BOUND_REPLY_LINE * 4 + 1];
	size_t len, raw;
	int cut, rv;

	reply_free(r);
	do {
		cut = io_readline_cut(io, line, sizeof(line),
		    BOUND_REPLY - r->size, &len, &raw, err);
		if (cut == -1) {
			if (err != NULL && err->ex == EX_PROTOCOL)
				reply_too_big(err);
			return -1;
		}
		if (trace != NULL)
			trace(trace_arg, err_sanitize(clean, sizeof(clean),
			    line, len));
		rv = reply_add(r, line, len, raw, cut, err);
		if (rv == -1)
			return -1;
	} while (rv == 0);
	return 0;
}

void
reply_free(struct reply *r)
{
	size_t i;

	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

int
reply_class(const struct reply *r)
{
	return r->code / 100;
}

/* 1 when the enhanced code of r starts with prefix ("5.7." or "5.3.4"). */
static int
enh_is(const struct reply *r, const char *prefix)
{
	size_t n = strlen(prefix);

	if (prefix[n - 1] == '.')
		return strncmp(r->enh, prefix, n) == 0;
	return strcmp(r->enh, prefix) == 0;
}

int
reply_exitcode(enum smtp_stage stage, const struct reply *r)
{
	int cls = reply_class(r);

	switch (stage) {
	case SMTP_DATA:
		if (cls == 3)
			return 0;
		break;
	case SMTP_AUTH:
		if (cls == 2 || cls == 3)
			return 0;
		break;
	default:
		if (cls == 2)
			return 0;
		break;
	}
	if (cls == 4)
		return EX_TEMPFAIL;
	if (cls != 5)
		return EX_PROTOCOL;
	switch (stage) {
	case SMTP_AUTH:
		if (r->code == 534 || r->code == 535 || r->code == 538 ||
		    enh_is(r, "5.7.8"))
			return EX_NOPERM;
		return EX_UNAVAILABLE;
	case SMTP_MAIL:
		if (enh_is(r, "5.1."))
			return EX_DATAERR;
		if (enh_is(r, "5.7."))
			return EX_NOPERM;
		return EX_UNAVAILABLE;
	case SMTP_RCPT:
		if (enh_is(r, "5.7."))
			return EX_NOPERM;
		if (r->code == 550 || r->code == 551 || r->code == 553 ||
		    enh_is(r, "5.1."))
			return EX_NOUSER;
		return EX_UNAVAILABLE;
	case SMTP_DATA_END:
		if (r->code == 552 || enh_is(r, "5.3.4") || enh_is(r, "5.6."))
			return EX_DATAERR;
		return EX_UNAVAILABLE;
	default:
		return EX_UNAVAILABLE;
	}
}

int
reply_worse_ex(int a, int b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	if (a == EX_TEMPFAIL && b != EX_TEMPFAIL)
		return b;
	return a;
}
