/* SPDX-License-Identifier: ISC */
/*
 * The message: reading stdin in blocks into a private unlinked spool file,
 * the header section (parsed and held in memory, bounded), header edits,
 * recipients taken from headers, the SIZE value, and streaming the
 * message back out.  The body lives only in the spool file; memory use
 * does not depend on its size.  Does not know about SMTP, dot-stuffing
 * or the config.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "file.h"
#include "msg.h"

/* Read, spool and emit in blocks of this size. */
#define MSG_BLOCK	(64 * 1024)
/* A header line held while it is read: content, CR, LF. */
#define MSG_LINEBUF	(BOUND_HEADER_LINE + 2)

struct hfield {
	char	*raw;		/* "Name: value\n", folding kept, LF ends */
	size_t	 len;
	size_t	 cap;
	char	*name;		/* as written, without the colon */
	char	*value;		/* unfolded, leading space trimmed */
};

struct msg {
	struct hfield *h;
	size_t	 nh;
	size_t	 hcap;
	int	 fd;		/* the spool: body bytes only, unlinked */
	off_t	 body_len;
	off_t	 body_bare_lf;	/* LFs in the body not preceded by CR */
	off_t	 body_bare_cr;	/* CRs not followed by LF, the last aside */
	off_t	 body_line;	/* octets in the body's current line */
	off_t	 body_longest;	/* octets in its longest line */
	char	 body_last;	/* its last byte, '\n' when empty */
	int	 body_8bit;
	int	 saw_sep;	/* an empty line ended the headers */
};

enum rd_phase {
	RD_HEAD,
	RD_BODY
};

/* State while reading; lives on msg_read's stack. */
struct rd {
	struct msg *m;
	enum rd_phase phase;
	int	 dot_ends;
	int	 first;		/* the next header line is the first line */
	int	 skip;		/* dropping the rest of a long mbox line */
	int	 done;		/* a "." line ended the input */
	int	 bol;		/* the next body byte starts a line */
	char	 last;		/* the last body byte, '\n' at the start */
	char	 pend[2];	/* "." or ".\r" held at a line start */
	size_t	 npend;
	off_t	 lines;		/* LFs consumed so far */
	size_t	 hsize;		/* bytes of header lines as read */
	char	 line[MSG_LINEBUF];
	size_t	 linelen;
	char	*wbuf;		/* spool writes are gathered here */
	size_t	 wlen;
	/* Where the bytes being fed started, for msg_read_keep. */
	const char *feed_p;
	size_t	 feed_n;
	size_t	 feed_linelen;	/* r->line bytes held before them */
};

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
name_char(char c)
{
	return c > 0x20 && c < 0x7f && c != ':';
}

/*
 * RFC 5322 2.2 field-name ":" with the obsolete white space before the
 * colon (4.5.8).  Sets *namelen to the name's length.
 */
static int
is_field(const char *s, size_t len, size_t *namelen)
{
	size_t i = 0;

	while (i < len && name_char(s[i]))
		i++;
	if (i == 0)
		return 0;
	*namelen = i;
	while (i < len && is_wsp(s[i]))
		i++;
	return i < len && s[i] == ':';
}

/* Four words a step: one pass of loads and ORs, no branch per word. */
static int
has_high_bit(const char *p, size_t n)
{
	uint64_t w[4], acc = 0;
	size_t i = 0;

	for (; i + sizeof(w) <= n; i += sizeof(w)) {
		memcpy(w, p + i, sizeof(w));
		acc |= w[0] | w[1] | w[2] | w[3];
	}
	for (; i + sizeof(w[0]) <= n; i += sizeof(w[0])) {
		memcpy(w, p + i, sizeof(w[0]));
		acc |= w[0];
	}
	for (; i < n; i++)
		acc |= (unsigned char)p[i];
	return (acc & UINT64_C(0x8080808080808080)) != 0;
}

/*
 * LFs in p, and (when barep is not NULL) those of them not preceded by
 * CR, which would become CRLF; before is the byte before p.  One memchr
 * per line gives both.
 */
static size_t
count_lf(const char *p, size_t n, char before, size_t *barep)
{
	const char *start = p, *end = p + n, *lf;
	size_t c = 0, bare = 0;

	while (p < end && (lf = memchr(p, '\n', end - p)) != NULL) {
		c++;
		if ((lf == start ? before : lf[-1]) != '\r')
			bare++;
		p = lf + 1;
	}
	if (barep != NULL)
		*barep = bare;
	return c;
}

static int
write_all(int fd, const char *p, size_t n, struct postie_err *e)
{
	if (file_write_all(fd, p, n, e) == 0)
		return 0;
	err_prefix(e, "spool file: ");
	return -1;
}

static int
spool_open(struct msg *m, const char *dir, struct postie_err *e)
{
	char path[1024];
	int n;

	n = snprintf(path, sizeof(path), "%s/postie.XXXXXXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		err_setx(e, EX_CANTCREAT, "cannot create spool file in %s: "
		    "name too long", dir);
		return -1;
	}
	/* mkstemp creates the file 0600. */
	if ((m->fd = mkstemp(path)) == -1) {
		err_set(e, EX_CANTCREAT, "cannot create spool file in %s", dir);
		return -1;
	}
	if (unlink(path) == -1) {
		err_set(e, EX_OSERR, "cannot unlink spool file %s", path);
		return -1;
	}
	if (fcntl(m->fd, F_SETFD, FD_CLOEXEC) == -1) {
		err_set(e, EX_OSERR, "cannot set close-on-exec on spool file");
		return -1;
	}
	return 0;
}

static int
spool_flush(struct rd *r, struct postie_err *e)
{
	if (r->wlen > 0 && write_all(r->m->fd, r->wbuf, r->wlen, e) == -1)
		return -1;
	r->wlen = 0;
	return 0;
}

/*
 * Small pieces (a pipe's) are gathered into blocks; a piece of half a
 * block or more goes to the file as it is, after what was gathered, so
 * that the body of a large message is not copied once more on the way.
 */
static int
spool_put(struct rd *r, const char *p, size_t n, struct postie_err *e)
{
	size_t k;

	if (n >= MSG_BLOCK / 2) {
		if (spool_flush(r, e) == -1)
			return -1;
		return write_all(r->m->fd, p, n, e);
	}
	while (n > 0) {
		k = MSG_BLOCK - r->wlen;
		if (k > n)
			k = n;
		memcpy(r->wbuf + r->wlen, p, k);
		r->wlen += k;
		p += k;
		n -= k;
		if (r->wlen == MSG_BLOCK && spool_flush(r, e) == -1)
			return -1;
	}
	return 0;
}

static void
nul_error(off_t line, struct postie_err *e)
{
	err_setx(e, EX_DATAERR, "message holds a NUL byte at line %lld",
	    (long long)line);
}

/*
 * Line lengths and bare CRs as the body will be sent: LF, CRLF and a CR
 * alone each end a line (as smtp_dot_write sends them).  A CR last in p is
 * counted once the next byte (or msg_size) tells.
 */
static void
body_lines(struct msg *m, const char *p, size_t n)
{
	const char *end = p + n, *lf, *q;
	size_t seg;

	if (m->body_last == '\r' && p[0] != '\n')
		m->body_bare_cr++;
	while (p < end) {
		lf = memchr(p, '\n', (size_t)(end - p));
		seg = (size_t)((lf != NULL ? lf : end) - p);
		if (memchr(p, '\r', seg) == NULL)
			m->body_line += (off_t)seg;
		else {
			for (q = p; q < p + seg; q++) {
				if (*q != '\r') {
					m->body_line++;
					continue;
				}
				if (m->body_line > m->body_longest)
					m->body_longest = m->body_line;
				m->body_line = 0;
				if (q + 1 < end && q[1] != '\n')
					m->body_bare_cr++;
			}
		}
		if (m->body_line > m->body_longest)
			m->body_longest = m->body_line;
		if (lf == NULL)
			break;
		m->body_line = 0;
		p = lf + 1;
	}
	m->body_last = end[-1];
}

/* Body bytes that are part of the message: check, count, spool. */
static int
body_take(struct rd *r, const char *p, size_t n, struct postie_err *e)
{
	struct msg *m = r->m;
	const char *z;
	size_t bare;

	if (n == 0)
		return 0;
	if ((z = memchr(p, '\0', n)) != NULL) {
		nul_error(r->lines + (off_t)count_lf(p, z - p, '\n', NULL) + 1,
		    e);
		return -1;
	}
	r->lines += (off_t)count_lf(p, n, r->last, &bare);
	m->body_bare_lf += (off_t)bare;
	body_lines(m, p, n);
	if (!m->body_8bit)
		m->body_8bit = has_high_bit(p, n);
	r->last = p[n - 1];
	r->bol = r->last == '\n';
	m->body_len += (off_t)n;
	return spool_put(r, p, n, e);
}

/*
 * Body bytes as read.  With dot_ends, a line holding only "." (LF or
 * CRLF) ends the input; "." or ".\r" at the end of p is held until the
 * next bytes (or EOF) tell.
 */
static int
body_in(struct rd *r, const char *p, size_t n, struct postie_err *e)
{
	const char *end = p + n, *s, *lf;
	size_t rest;

	if (!r->dot_ends)
		return body_take(r, p, n, e);
	while (r->npend > 0 && p < end) {
		if (*p == '\n') {
			r->npend = 0;
			r->done = 1;
			return 0;
		}
		if (*p == '\r' && r->npend == 1) {
			r->pend[r->npend++] = *p++;
			continue;
		}
		if (body_take(r, r->pend, r->npend, e) == -1)
			return -1;
		r->npend = 0;
	}
	if (p == end)
		return 0;
	if (r->bol)
		s = p;
	else if ((lf = memchr(p, '\n', n)) != NULL)
		s = lf + 1;
	else
		s = end;
	while (s < end) {
		if (*s == '.') {
			rest = end - s;
			if ((rest >= 2 && s[1] == '\n') ||
			    (rest >= 3 && s[1] == '\r' && s[2] == '\n')) {
				r->done = 1;
				return body_take(r, p, s - p, e);
			}
			if (rest == 1 || (rest == 2 && s[1] == '\r')) {
				memcpy(r->pend, s, rest);
				r->npend = rest;
				return body_take(r, p, s - p, e);
			}
		}
		if ((lf = memchr(s, '\n', end - s)) == NULL)
			break;
		s = lf + 1;
	}
	return body_take(r, p, end - p, e);
}

static int
field_append(struct hfield *f, const char *s, size_t len,
    struct postie_err *e)
{
	size_t need, ncap;
	char *p;

	need = f->len + len + 1;
	if (need > f->cap) {
		ncap = f->cap ? f->cap : 128;
		while (ncap < need)
			ncap *= 2;
		if ((p = realloc(f->raw, ncap)) == NULL) {
			err_set(e, EX_OSERR, "cannot hold header field");
			return -1;
		}
		f->raw = p;
		f->cap = ncap;
	}
	/*
	 * f->raw is allocated: need is at least 1 and cap 0 when it is NULL;
	 * the analyzer assumes len + 1 may wrap.
	 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	memcpy(f->raw + f->len, s, len);
	f->raw[f->len + len] = '\n';
	f->len += len + 1;
	return 0;
}

/* Room for one more field at index at; the slot is zeroed. */
static struct hfield *
field_insert(struct msg *m, size_t at, struct postie_err *e)
{
	struct hfield *h;
	size_t ncap;

	if (m->nh == m->hcap) {
		ncap = m->hcap ? m->hcap * 2 : 32;
		if ((h = reallocarray(m->h, ncap, sizeof(*h))) == NULL) {
			err_set(e, EX_OSERR, "cannot hold header section");
			return NULL;
		}
		m->h = h;
		m->hcap = ncap;
	}
	memmove(&m->h[at + 1], &m->h[at], (m->nh - at) * sizeof(*m->h));
	memset(&m->h[at], 0, sizeof(*m->h));
	m->nh++;
	return &m->h[at];
}

static void
field_clear(struct hfield *f)
{
	free(f->raw);
	free(f->name);
	free(f->value);
	memset(f, 0, sizeof(*f));
}

/* Name and unfolded value from raw. */
static int
field_parse(struct hfield *f, struct postie_err *e)
{
	const char *colon, *p, *end = f->raw + f->len;
	size_t nlen;
	char *v, *o;

	colon = memchr(f->raw, ':', f->len);
	nlen = colon - f->raw;
	while (nlen > 0 && is_wsp(f->raw[nlen - 1]))
		nlen--;
	free(f->name);
	free(f->value);
	f->value = NULL;
	if ((f->name = strndup(f->raw, nlen)) == NULL ||
	    (f->value = v = malloc(end - colon)) == NULL) {
		err_set(e, EX_OSERR, "cannot hold header field");
		return -1;
	}
	/* RFC 5322 2.2.3: unfolding removes each CRLF before WSP. */
	for (p = colon + 1, o = v; p < end; p++) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			continue;
		*o++ = *p;
	}
	*o = '\0';
	for (p = v; is_wsp(*p); p++)
		;
	memmove(v, p, strlen(p) + 1);
	return 0;
}

static int
head_end(struct rd *r, struct postie_err *e)
{
	size_t i;

	r->phase = RD_BODY;
	r->bol = 1;
	r->last = '\n';
	for (i = 0; i < r->m->nh; i++)
		if (field_parse(&r->m->h[i], e) == -1)
			return -1;
	return 0;
}

static int
head_size(struct rd *r, size_t len, struct postie_err *e)
{
	if (len > BOUND_HEADER_SECTION - r->hsize) {
		err_setx(e, EX_DATAERR, "header section longer than %d bytes "
		    "at line %lld", BOUND_HEADER_SECTION,
		    (long long)r->lines + 1);
		return -1;
	}
	r->hsize += len;
	return 0;
}

/*
 * A CR not followed by LF inside a header field becomes a space: the
 * DATA encoder would make it a line end, and a subject that had only its
 * LFs stripped would then add fields (a Bcc no one removes) or end the
 * header section early.  The line's own CR LF is not in the clen bytes.
 */
static void
head_bare_cr(char *s, size_t clen)
{
	char *cr;

	while ((cr = memchr(s, '\r', clen)) != NULL) {
		*cr = ' ';
		clen -= (size_t)(cr - s) + 1;
		s = cr + 1;
	}
}

/* A complete header-phase line in r->line (with its LF, or at EOF). */
static int
head_line(struct rd *r, struct postie_err *e)
{
	struct msg *m = r->m;
	struct hfield *f;
	char *s = r->line;
	size_t len = r->linelen, clen, nlen;
	int has_lf, first = r->first;

	r->first = 0;
	r->linelen = 0;
	has_lf = len > 0 && s[len - 1] == '\n';
	clen = len - has_lf;
	if (has_lf && clen > 0 && s[clen - 1] == '\r')
		clen--;
	if (first && clen >= 5 && memcmp(s, "From ", 5) == 0) {
		r->lines++;
		return 0;
	}
	if (r->dot_ends && has_lf && clen == 1 && s[0] == '.') {
		r->lines++;
		r->done = 1;
		return head_end(r, e);
	}
	if (clen == 0 && has_lf) {
		r->lines++;
		m->saw_sep = 1;
		return head_end(r, e);
	}
	if (is_wsp(s[0]) && m->nh > 0) {
		if (head_size(r, len, e) == -1)
			return -1;
		head_bare_cr(s, clen);
		if (field_append(&m->h[m->nh - 1], s, clen, e) == -1)
			return -1;
		r->lines++;
		return 0;
	}
	if (is_field(s, clen, &nlen)) {
		if (m->nh >= BOUND_HEADER_FIELDS) {
			err_setx(e, EX_DATAERR, "header section holds more "
			    "than %d fields at line %lld",
			    BOUND_HEADER_FIELDS, (long long)r->lines + 1);
			return -1;
		}
		if (head_size(r, len, e) == -1)
			return -1;
		head_bare_cr(s, clen);
		if ((f = field_insert(m, m->nh, e)) == NULL ||
		    field_append(f, s, clen, e) == -1)
			return -1;
		r->lines++;
		return 0;
	}
	/* Neither a field nor a continuation: the body starts here. */
	if (head_end(r, e) == -1)
		return -1;
	return body_in(r, s, len, e);
}

/*
 * A header-phase line grew past BOUND_HEADER_LINE; r->line holds its
 * start.  A field or continuation is refused; a long mbox "From " line
 * is dropped; any other line starts the body.
 */
static int
head_overflow(struct rd *r, struct postie_err *e)
{
	size_t nlen, len = r->linelen;
	int first = r->first;

	r->first = 0;
	r->linelen = 0;
	if (first && memcmp(r->line, "From ", 5) == 0) {
		if (r->line[len - 1] == '\n')
			r->lines++;
		else
			r->skip = 1;
		return 0;
	}
	if ((is_wsp(r->line[0]) && r->m->nh > 0) ||
	    is_field(r->line, len, &nlen)) {
		err_setx(e, EX_DATAERR, "header line %lld longer than %d bytes",
		    (long long)r->lines + 1, BOUND_HEADER_LINE);
		return -1;
	}
	if (head_end(r, e) == -1)
		return -1;
	return body_in(r, r->line, len, e);
}

/* Consume header-phase bytes from p up to one line; returns the count. */
static ssize_t
head_in(struct rd *r, const char *p, size_t n, struct postie_err *e)
{
	const char *lf;
	size_t take, total, clen;

	lf = memchr(p, '\n', n);
	take = lf != NULL ? (size_t)(lf - p) + 1 : n;
	if (memchr(p, '\0', take) != NULL) {
		nul_error(r->lines + 1, e);
		return -1;
	}
	if (r->skip) {
		if (lf != NULL) {
			r->skip = 0;
			r->lines++;
		}
		return take;
	}
	total = r->linelen + take;
	if (lf == NULL && total > MSG_LINEBUF - 1) {
		/* Over 999 bytes and no LF yet: more than 998 of content. */
		take = MSG_LINEBUF - 1 - r->linelen;
		memcpy(r->line + r->linelen, p, take);
		r->linelen += take;
		return head_overflow(r, e) == -1 ? -1 : (ssize_t)take;
	}
	if (total > MSG_LINEBUF) {
		take = MSG_LINEBUF - 1 - r->linelen;
		memcpy(r->line + r->linelen, p, take);
		r->linelen += take;
		return head_overflow(r, e) == -1 ? -1 : (ssize_t)take;
	}
	memcpy(r->line + r->linelen, p, take);
	r->linelen += take;
	if (lf == NULL)
		return take;
	clen = total - 1;
	if (clen > 0 && r->line[clen - 1] == '\r')
		clen--;
	if (clen > BOUND_HEADER_LINE)
		return head_overflow(r, e) == -1 ? -1 : (ssize_t)take;
	return head_line(r, e) == -1 ? -1 : (ssize_t)take;
}

static int
rd_feed(struct rd *r, const char *p, size_t n, struct postie_err *e)
{
	ssize_t k;

	while (n > 0 && !r->done && r->phase == RD_HEAD) {
		r->feed_p = p;
		r->feed_n = n;
		r->feed_linelen = r->linelen;
		if ((k = head_in(r, p, n, e)) == -1)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	r->feed_p = p;
	r->feed_n = n;
	r->feed_linelen = 0;
	if (n > 0 && !r->done)
		return body_in(r, p, n, e);
	return 0;
}

static int
rd_finish(struct rd *r, struct postie_err *e)
{
	r->feed_p = NULL;
	r->feed_n = 0;
	r->feed_linelen = r->phase == RD_HEAD ? r->linelen : 0;
	if (r->phase == RD_HEAD) {
		if (r->linelen > 0 && !r->skip && head_line(r, e) == -1)
			return -1;
		if (r->phase == RD_HEAD && head_end(r, e) == -1)
			return -1;
	}
	if (r->npend > 0) {
		if (body_take(r, r->pend, r->npend, e) == -1)
			return -1;
		r->npend = 0;
	}
	return spool_flush(r, e);
}

/*
 * The input was refused for its content: append to the spool what was
 * not taken (the held start of a header line, the bytes being fed) and
 * the rest of fd, so that r->m holds the input as it came.
 */
static int
rd_keep(struct rd *r, int fd, char *buf, struct postie_err *e)
{
	struct msg *m = r->m;
	ssize_t n;

	if (spool_flush(r, e) == -1)
		return -1;
	if (r->feed_linelen > 0 &&
	    write_all(m->fd, r->line, r->feed_linelen, e) == -1)
		return -1;
	m->body_len += (off_t)r->feed_linelen;
	if (r->feed_n > 0 &&
	    write_all(m->fd, r->feed_p, r->feed_n, e) == -1)
		return -1;
	m->body_len += (off_t)r->feed_n;
	for (;;) {
		n = read(fd, buf, MSG_BLOCK);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err_set(e, EX_IOERR, "cannot read message");
			return -1;
		}
		if (n == 0)
			return 0;
		if (write_all(m->fd, buf, (size_t)n, e) == -1)
			return -1;
		m->body_len += n;
	}
}

int
msg_read(struct msg **mp, int fd, int dot_ends, const char *spool_dir,
    struct postie_err *e)
{
	return msg_read_keep(mp, NULL, fd, dot_ends, spool_dir, e);
}

int
msg_read_keep(struct msg **mp, struct msg **keptp, int fd, int dot_ends,
    const char *spool_dir, struct postie_err *e)
{
	struct postie_err ke;
	struct msg *m;
	struct rd *r = NULL;
	char *buf = NULL;
	ssize_t n;

	*mp = NULL;
	if (keptp != NULL)
		*keptp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		err_set(e, EX_OSERR, "cannot read message");
		return -1;
	}
	m->fd = -1;
	m->body_last = '\n';
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (buf = malloc(MSG_BLOCK)) == NULL ||
	    (r->wbuf = malloc(MSG_BLOCK)) == NULL) {
		err_set(e, EX_OSERR, "cannot read message");
		goto fail;
	}
	r->m = m;
	r->phase = RD_HEAD;
	r->dot_ends = dot_ends;
	r->first = 1;
	r->last = '\n';
	if (spool_open(m, spool_dir, e) == -1)
		goto fail;
	while (!r->done) {
		n = read(fd, buf, MSG_BLOCK);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err_set(e, EX_IOERR, "cannot read message");
			goto fail;
		}
		if (n == 0)
			break;
		if (rd_feed(r, buf, (size_t)n, e) == -1)
			goto refused;
	}
	if (rd_finish(r, e) == -1)
		goto refused;
	free(r->wbuf);
	free(r);
	free(buf);
	*mp = m;
	return 0;
refused:
	if (keptp != NULL && e->ex == EX_DATAERR && rd_keep(r, fd, buf,
	    &ke) == 0) {
		*keptp = m;
		m = NULL;
	}
fail:
	if (r != NULL)
		free(r->wbuf);
	free(r);
	free(buf);
	msg_free(m);
	return -1;
}

size_t
msg_nheaders(const struct msg *m)
{
	return m->nh;
}

const char *
msg_header_name(const struct msg *m, size_t i)
{
	return i < m->nh ? m->h[i].name : NULL;
}

const char *
msg_header_value(const struct msg *m, size_t i)
{
	return i < m->nh ? m->h[i].value : NULL;
}

ssize_t
msg_header_find(const struct msg *m, const char *name, size_t from)
{
	size_t i;

	for (i = from; i < m->nh; i++)
		if (strcasecmp(m->h[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

size_t
msg_header_remove(struct msg *m, const char *name)
{
	size_t i, o, n = 0;

	for (i = o = 0; i < m->nh; i++) {
		if (strcasecmp(m->h[i].name, name) == 0) {
			field_clear(&m->h[i]);
			n++;
		} else
			m->h[o++] = m->h[i];
	}
	m->nh = o;
	return n;
}

/* Build "name: value\n" into f. */
static int
field_build(struct hfield *f, const char *name, const char *value,
    struct postie_err *e)
{
	struct hfield nf;
	size_t nlen = strlen(name), vlen = strlen(value);
	const char *q;
	char *s;
	int rc;

	if (nlen == 0 || strchr(value, '\r') != NULL ||
	    strchr(value, '\n') != NULL) {
		err_setx(e, EX_SOFTWARE, "cannot set header %s: %s", name,
		    nlen == 0 ? "empty name" : "value holds CR or LF");
		return -1;
	}
	for (q = name; *q != '\0'; q++) {
		if (!name_char(*q)) {
			err_setx(e, EX_SOFTWARE, "cannot set header: bad "
			    "field name");
			return -1;
		}
	}
	if ((s = malloc(nlen + vlen + 3)) == NULL) {
		err_set(e, EX_OSERR, "cannot set header %s", name);
		return -1;
	}
	memcpy(s, name, nlen);
	s[nlen] = ':';
	if (vlen > 0) {
		s[nlen + 1] = ' ';
		/* s is bytes with a length, not a string.
		 * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
		memcpy(s + nlen + 2, value, vlen);
	}
	memset(&nf, 0, sizeof(nf));
	rc = field_append(&nf, s, nlen + 1 + (vlen > 0 ? vlen + 1 : 0), e);
	free(s);
	if (rc == -1 || field_parse(&nf, e) == -1) {
		field_clear(&nf);
		return -1;
	}
	field_clear(f);
	*f = nf;
	return 0;
}

int
msg_header_add(struct msg *m, const char *name, const char *value,
    int at_top, struct postie_err *e)
{
	struct hfield nf, *f;

	memset(&nf, 0, sizeof(nf));
	if (field_build(&nf, name, value, e) == -1)
		return -1;
	if ((f = field_insert(m, at_top ? 0 : m->nh, e)) == NULL) {
		field_clear(&nf);
		return -1;
	}
	*f = nf;
	return 0;
}

int
msg_header_set(struct msg *m, size_t i, const char *value,
    struct postie_err *e)
{
	char *name;
	int rc;

	if (i >= m->nh) {
		err_setx(e, EX_SOFTWARE, "cannot set header %zu: no such "
		    "field", i);
		return -1;
	}
	if ((name = strdup(m->h[i].name)) == NULL) {
		err_set(e, EX_OSERR, "cannot set header");
		return -1;
	}
	rc = field_build(&m->h[i], name, value, e);
	free(name);
	return rc;
}

static int
is_named(const struct hfield *f, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcasecmp(f->name, *names) == 0)
			return 1;
	return 0;
}

static int
recipients_from(const struct hfield *f, struct addr_list *out,
    struct postie_err *e)
{
	char why[POSTIE_ERR_MSG];
	const char *p;

	if (addr_parse_list(f->value, strlen(f->value), out, e) == 0)
		return 0;
	if (e->ex != EX_DATAERR) {
		err_prefix(e, "%s: ", f->name);
		return -1;
	}
	p = e->msg;
	if (strncmp(p, "bad address list: ", 18) == 0)
		p += 18;
	strlcpy(why, p, sizeof(why));
	err_setx(e, EX_DATAERR, "bad address list in %s: %s", f->name, why);
	return -1;
}

int
msg_recipients(const struct msg *m, struct addr_list *out,
    struct postie_err *e)
{
	static const char *const plain[] = { "To", "Cc", "Bcc", NULL };
	static const char *const resent[] = {
		"Resent-To", "Resent-Cc", "Resent-Bcc", NULL
	};
	static const char *const trace[] = { "Received", "Return-Path", NULL };
	const struct hfield *f;
	size_t i, top;
	int date = 0, from = 0;

	for (top = 0; top < m->nh; top++)
		if (strncasecmp(m->h[top].name, "Resent-", 7) == 0)
			break;
	if (top == m->nh) {
		for (i = 0; i < m->nh; i++)
			if (is_named(&m->h[i], plain) &&
			    recipients_from(&m->h[i], out, e) == -1)
				return -1;
		return 0;
	}
	/*
	 * RFC 5322 3.6.6: each resent block is prepended, so the topmost is
	 * the most recent.  It ends at a trace field (the older block's
	 * Received:) or at a second Resent-Date or Resent-From.
	 */
	for (i = top; i < m->nh; i++) {
		f = &m->h[i];
		if (is_named(f, trace))
			break;
		if (strcasecmp(f->name, "Resent-Date") == 0 && date++ > 0)
			break;
		if (strcasecmp(f->name, "Resent-From") == 0 && from++ > 0)
			break;
		if (is_named(f, resent) && recipients_from(f, out, e) == -1)
			return -1;
	}
	return 0;
}

static size_t
field_size(const struct hfield *f)
{
	size_t bare;

	(void)count_lf(f->raw, f->len, '\n', &bare);
	return f->len + bare;
}

off_t
msg_size(const struct msg *m)
{
	off_t size = 2;
	size_t i;

	for (i = 0; i < m->nh; i++)
		size += (off_t)field_size(&m->h[i]);
	size += m->body_len + m->body_bare_lf + m->body_bare_cr;
	/* A CR last becomes CRLF; any other last byte but LF gets CRLF. */
	if (m->body_last == '\r')
		size++;
	else if (m->body_last != '\n')
		size += 2;
	return size;
}

int
msg_body_8bit(const struct msg *m)
{
	return m->body_8bit;
}

off_t
msg_body_longest_line(const struct msg *m)
{
	return m->body_longest;
}

const char *
msg_header_raw(const struct msg *m, size_t i, size_t *lenp)
{
	*lenp = m->h[i].len;
	return m->h[i].raw;
}

off_t
msg_body_size(const struct msg *m)
{
	return m->body_len;
}

int
msg_head_8bit(const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nh; i++)
		if (has_high_bit(m->h[i].raw, m->h[i].len))
			return 1;
	return 0;
}

int
msg_has_8bit(const struct msg *m)
{
	return m->body_8bit || msg_head_8bit(m);
}

int
msg_is_empty(const struct msg *m)
{
	return m->nh == 0 && !m->saw_sep && m->body_len == 0;
}

/*
 * The body from the spool after the blen bytes already in buf (a
 * MSG_BLOCK buffer), then the last chunk.
 */
static int
emit_body(struct msg *m, char *buf, size_t blen, int (*out)(void *,
    const char *, size_t, struct postie_err *), void *arg,
    struct postie_err *e)
{
	off_t off = 0, want;
	ssize_t n;

	while (off < m->body_len) {
		if (blen == MSG_BLOCK) {
			if (out(arg, buf, blen, e) == -1)
				return -1;
			blen = 0;
		}
		want = m->body_len - off;
		if (want > (off_t)(MSG_BLOCK - blen))
			want = (off_t)(MSG_BLOCK - blen);
		n = pread(m->fd, buf + blen, (size_t)want, off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err_set(e, EX_IOERR, "cannot read spool file");
			return -1;
		}
		if (n == 0) {
			err_setx(e, EX_IOERR, "cannot read spool file: "
			    "shorter than the message");
			return -1;
		}
		blen += (size_t)n;
		off += n;
	}
	return blen > 0 ? out(arg, buf, blen, e) : 0;
}

int
msg_emit(struct msg *m, int (*out)(void *, const char *, size_t,
    struct postie_err *), void *arg, struct postie_err *e)
{
	char *buf;
	size_t i, k, blen = 0, done;
	int rc = -1;

	if ((buf = malloc(MSG_BLOCK)) == NULL) {
		err_set(e, EX_OSERR, "cannot emit message");
		return -1;
	}
	for (i = 0; i < m->nh; i++) {
		for (done = 0; done < m->h[i].len; done += k) {
			if (blen == MSG_BLOCK) {
				if (out(arg, buf, blen, e) == -1)
					goto out;
				blen = 0;
			}
			k = m->h[i].len - done;
			if (k > MSG_BLOCK - blen)
				k = MSG_BLOCK - blen;
			memcpy(buf + blen, m->h[i].raw + done, k);
			blen += k;
		}
	}
	if (blen == MSG_BLOCK) {
		if (out(arg, buf, blen, e) == -1)
			goto out;
		blen = 0;
	}
	buf[blen++] = '\n';
	rc = emit_body(m, buf, blen, out, arg, e);
out:
	free(buf);
	return rc;
}

int
msg_emit_body(struct msg *m, int (*out)(void *, const char *, size_t,
    struct postie_err *), void *arg, struct postie_err *e)
{
	char *buf;
	int rc;

	if ((buf = malloc(MSG_BLOCK)) == NULL) {
		err_set(e, EX_OSERR, "cannot emit message");
		return -1;
	}
	rc = emit_body(m, buf, 0, out, arg, e);
	free(buf);
	return rc;
}

void
msg_free(struct msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nh; i++)
		field_clear(&m->h[i]);
	free(m->h);
	if (m->fd != -1)
		close(m->fd);
	free(m);
}

int
msg_date(time_t t, char *buf, size_t bufsz)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char zone[8];
	struct tm tm;
	int n;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(zone, sizeof(zone), "%z", &tm) == 0 ||
	    tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11)
		return -1;
	n = snprintf(buf, bufsz, "%s, %d %s %04d %02d:%02d:%02d %s",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}
