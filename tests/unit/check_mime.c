/* SPDX-License-Identifier: ISC */
/*
 * Tests for mime.c: the quoted-printable encoder (exact encodings, and
 * decode(encode(x)) == x over random binary-ish input cut into random
 * chunks, with every output line checked), the decision table, the
 * message as emitted (header fields rewritten, the size), and whole
 * sessions over the in-memory transport: SIZE= equals the bytes written
 * between DATA and the final dot once the dot-stuffing is undone, no
 * 8-bit byte reaches a server without 8BITMIME, and a refused message
 * sends no MAIL.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "mime.h"
#include "msgtest.h"
#include "smtp.h"

static void
encode(const char *in, size_t len, size_t chunk, struct sink *k)
{
	struct postie_err e;
	struct mime_qp q;
	size_t off, n;

	memset(k, 0, sizeof(*k));
	mime_qp_init(&q, sink_out, k);
	for (off = 0; off < len; off += n) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		ck_assert_int_eq(mime_qp_write(&q, in + off, n, &e), 0);
	}
	ck_assert_int_eq(mime_qp_end(&q, &e), 0);
	ck_assert_uint_eq(q.nbytes, k->len);
	if (k->p == NULL)
		sink_out(k, "", 0, &e);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Check every rule of an encoded text and decode it (RFC 2045 6.7): lines
 * end in CRLF and nowhere else, hold at most 76 characters, only
 * printable ASCII, space and tab, no white space last, no dot first, and
 * "=" only as =XX or last (a soft line break).  Hard line breaks decode to
 * CRLF.
 */
static void
check_decode(const char *p, size_t len, struct sink *out)
{
	struct postie_err e;
	const char *end = p + len, *eol;
	size_t n, i;
	char c;
	int hi, lo;

	/* No ck_assert per byte: each passing one is a write to the runner. */
	memset(out, 0, sizeof(*out));
	sink_out(out, "", 0, &e);
	while (p < end) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if (eol == NULL || eol + 1 == end || eol[1] != '\n')
			ck_abort_msg("a line without CRLF: \"%.*s\"",
			    (int)(end - p), p);
		n = (size_t)(eol - p);
		if (n > BOUND_QP_LINE)
			ck_abort_msg("line of %zu: \"%.*s\"", n, (int)n, p);
		if (memchr(p, '\n', n) != NULL)
			ck_abort_msg("a bare LF");
		if (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			ck_abort_msg("white space ends \"%.*s\"", (int)n, p);
		if (n > 0 && p[0] == '.')
			ck_abort_msg("a dot starts \"%.*s\"", (int)n, p);
		for (i = 0; i < n; i++) {
			c = p[i];
			if (c != ' ' && c != '\t' && (c < 33 || c > 126))
				ck_abort_msg("byte %02x in a line",
				    (unsigned char)c);
			if (c != '=') {
				sink_out(out, &c, 1, &e);
				continue;
			}
			if (i + 1 == n)
				break;		/* a soft line break */
			hi = i + 2 < n ? hexval(p[i + 1]) : -1;
			lo = i + 2 < n ? hexval(p[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				ck_abort_msg("bad or cut =XX in \"%.*s\"",
				    (int)n, p);
			c = (char)(hi * 16 + lo);
			sink_out(out, &c, 1, &e);
			i += 2;
		}
		if (n == 0 || p[n - 1] != '=')
			sink_out(out, "\r\n", 2, &e);
		p = eol + 2;
	}
}

/* x with every LF that no CR precedes made CRLF: what decoding gives. */
static char *
canon(const char *p, size_t len, size_t *outlen)
{
	char *o = malloc(len * 2 + 1);
	size_t i, n = 0;

	ck_assert_ptr_nonnull(o);
	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			o[n++] = '\r';
		o[n++] = p[i];
	}
	*outlen = n;
	return o;
}

static const struct {
	const char *in;
	const char *out;
} qcases[] = {
	{ "", "" },
	{ "hello\n", "hello\r\n" },
	{ "hello\r\n", "hello\r\n" },
	{ "no end", "no end=\r\n" },
	{ "caf\xc3\xa9\n", "caf=C3=A9\r\n" },
	{ "a=b\n", "a=3Db\r\n" },
	/* White space last on a line, or in the text, is encoded. */
	{ "a \n", "a=20\r\n" },
	{ "a\t\r\n", "a=09\r\n" },
	{ "a  b \t\n", "a  b =09\r\n" },
	{ "trailing ", "trailing=20=\r\n" },
	{ " \n\t\n", "=20\r\n=09\r\n" },
	/* A dot first on a line, never after. */
	{ ".\n..\na.\n", "=2E\r\n=2E.\r\na.\r\n" },
	/* A lone CR is data; CR CR LF is a CR, then a line end. */
	{ "a\rb\n", "a=0Db\r\n" },
	{ "a\r\r\nb", "a=0D\r\nb=\r\n" },
	{ "a \rb", "a =0Db=\r\n" },
	{ "a\r", "a=0D=\r\n" },
	{ "\n\n", "\r\n\r\n" },
	{ "\x01\x7f\xff\n", "=01=7F=FF\r\n" },
	/* Soft line breaks: 75 characters and "=". */
	{ "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234\n",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234\r\n" },
	{ "0123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345\n",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234=\r\n5\r\n" },
	{ "0123456789012345678901234567890123456789012345678901234567890"
	    "1234567890123\xe9\n",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234567890123=\r\n=E9\r\n" },
	/* The dot that a soft line break puts first is encoded too. */
	{ "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234.x\n",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "12345678901234=\r\n=2Ex\r\n" },
	/* A space at a soft line break stays literal, "=" follows it. */
	{ "0123456789012345678901234567890123456789012345678901234567890"
	    "1234567890123 x\n",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234567890123 =\r\nx\r\n" },
};
#define NQCASES	(sizeof(qcases) / sizeof(qcases[0]))
static const size_t qchunks[] = { 0, 1, 2, 3, 7 };
#define NQCHUNKS	(sizeof(qchunks) / sizeof(qchunks[0]))

START_TEST(qp_exact)
{
	const char *in = qcases[_i / NQCHUNKS].in;
	const char *want = qcases[_i / NQCHUNKS].out;
	struct sink k, d;
	size_t clen;
	char *c;

	encode(in, strlen(in), qchunks[_i % NQCHUNKS], &k);
	ck_assert_msg(strcmp(k.p, want) == 0, "\"%s\": got \"%s\", want "
	    "\"%s\"", in, k.p, want);
	check_decode(k.p, k.len, &d);
	c = canon(in, strlen(in), &clen);
	ck_assert_uint_eq(d.len, clen);
	ck_assert(memcmp(d.p, c, clen) == 0);
	free(c);
	free(k.p);
	free(d.p);
}
END_TEST

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Binary-ish text: words, white space runs, line ends of every kind. */
static char *
gen(uint64_t *s, size_t len)
{
	static const char pick[] = "abcXYZ019.=  \t\r\n\n";
	char *p = malloc(len + 1);
	size_t i;
	uint64_t r;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < len; i++) {
		r = rnd(s);
		if (r % 8 == 0)
			p[i] = (char)(r >> 8);	/* any byte */
		else if (r % 97 == 1) {
			/* A long run without a line end. */
			while (i < len && rnd(s) % 300 != 0)
				p[i++] = 'x';
			if (i < len)
				p[i] = '.';
		} else
			p[i] = pick[(r >> 8) % (sizeof(pick) - 1)];
	}
	p[len] = '\0';
	return p;
}

START_TEST(qp_round_trip)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(_i + 1);
	size_t len, chunk, clen;
	struct sink k, k1, d;
	char *in, *c;
	int round;

	for (round = 0; round < 5; round++) {
		len = (size_t)(rnd(&seed) % 5000);
		in = gen(&seed, len);
		chunk = 1 + (size_t)(rnd(&seed) % 200);
		encode(in, len, chunk, &k);
		/* The chunking does not change the encoding. */
		encode(in, len, 0, &k1);
		if (k.len != k1.len || memcmp(k.p, k1.p, k.len) != 0)
			ck_abort_msg("round trip %d.%d: chunks of %zu change "
			    "the encoding", _i, round, chunk);
		ck_assert_uint_le(k.biggest,
		    sizeof(((struct mime_qp *)0)->buf));
		check_decode(k.p, k.len, &d);
		c = canon(in, len, &clen);
		if (d.len != clen || memcmp(d.p, c, clen) != 0)
			ck_abort_msg("round trip %d.%d (length %zu) differs",
			    _i, round, len);
		free(c);
		free(in);
		free(k.p);
		free(k1.p);
		free(d.p);
	}
}
END_TEST

/* The decision table. */
#define LONG	(BOUND_TEXT_LINE + 1)
static const struct dcase {
	const char *name;
	struct mime_facts f;
	struct mime_server srv;
	int	 ex;		/* 0: a plan */
	enum mime_action action;
	int	 eightbit;
	int	 smtputf8;
	const char *words;	/* in the error or the note; NULL: no note */
} dcases[] = {
	{ "7bit", { 0, 0, 80, 0, 0, "" }, { 0, 0 }, 0, MIME_AS_IS, 0, 0,
	    NULL },
	{ "8bit to 8BITMIME", { 1, 0, 80, 0, 0, "" }, { 1, 0 }, 0,
	    MIME_AS_IS, 1, 0, NULL },
	{ "8bit body, no 8BITMIME", { 1, 0, 80, 0, 0, "" }, { 0, 0 }, 0,
	    MIME_QP, 0, 0, "offers no 8BITMIME: the body is sent "
	    "quoted-printable" },
	{ "8bit body, SMTPUTF8 only", { 1, 0, 80, 0, 0, "" }, { 0, 1 }, 0,
	    MIME_QP, 0, 0, "quoted-printable" },
	{ "multipart 8bit", { 1, 0, 80, 0, 1, "" }, { 0, 0 }, EX_DATAERR,
	    MIME_AS_IS, 0, 0, "cannot be converted: it is multipart" },
	{ "dkim 8bit", { 1, 0, 80, 1, 0, "" }, { 0, 0 }, EX_DATAERR,
	    MIME_AS_IS, 0, 0, "DKIM-Signature" },
	{ "base64 with 8bit", { 1, 0, 80, 0, 0, "base64" }, { 0, 0 },
	    EX_DATAERR, MIME_AS_IS, 0, 0,
	    "its Content-Transfer-Encoding is base64" },
	{ "8bit header", { 0, 1, 80, 0, 0, "" }, { 0, 0 }, EX_DATAERR,
	    MIME_AS_IS, 0, 0, "neither 8BITMIME nor SMTPUTF8, and the "
	    "header section holds 8-bit bytes" },
	{ "8bit header, SMTPUTF8", { 0, 1, 80, 0, 0, "" }, { 0, 1 }, 0,
	    MIME_AS_IS, 1, 1, NULL },
	{ "8bit header and body, SMTPUTF8", { 1, 1, 80, 0, 0, "" },
	    { 0, 1 }, 0, MIME_QP, 1, 1, "quoted-printable" },
	{ "8bit header to 8BITMIME", { 0, 1, 80, 0, 0, "" }, { 1, 0 }, 0,
	    MIME_AS_IS, 1, 0, NULL },
	{ "multipart 8bit to 8BITMIME", { 1, 0, 80, 0, 1, "" }, { 1, 0 },
	    0, MIME_AS_IS, 1, 0, NULL },
	{ "998 octets", { 0, 0, BOUND_TEXT_LINE, 0, 0, "" }, { 1, 0 }, 0,
	    MIME_AS_IS, 0, 0, NULL },
	{ "long line", { 0, 0, LONG, 0, 0, "" }, { 1, 0 }, 0, MIME_QP, 0,
	    0, "a body line of 999 octets is longer than 998: the body is "
	    "sent quoted-printable" },
	{ "long line 8bit, 8BITMIME", { 1, 0, LONG, 0, 0, "" }, { 1, 0 },
	    0, MIME_QP, 0, 0, "quoted-printable" },
	{ "long line, no 8BITMIME", { 0, 0, LONG, 0, 0, "" }, { 0, 0 }, 0,
	    MIME_QP, 0, 0, "quoted-printable" },
	{ "long line, multipart", { 0, 0, LONG, 0, 1, "" }, { 1, 0 }, 0,
	    MIME_AS_IS, 0, 0, "sent as it is, as it is multipart" },
	{ "long line, dkim", { 0, 0, LONG, 1, 0, "" }, { 0, 0 }, 0,
	    MIME_AS_IS, 0, 0, "sent as it is, as it carries a "
	    "DKIM-Signature" },
	{ "long line, base64", { 0, 0, LONG, 0, 0, "base64" }, { 1, 0 },
	    0, MIME_AS_IS, 0, 0, "Content-Transfer-Encoding is base64" },
	{ "long line 8bit multipart, 8BITMIME", { 1, 0, LONG, 0, 1, "" },
	    { 1, 0 }, 0, MIME_AS_IS, 1, 0, "sent as it is" },
	/* Never refused for a long line; refused for 8 bits it cannot fix. */
	{ "long line 8bit multipart", { 1, 0, LONG, 0, 1, "" }, { 0, 0 },
	    EX_DATAERR, MIME_AS_IS, 0, 0, "it is multipart" },
};

START_TEST(decide)
{
	const struct dcase *c = &dcases[_i];
	struct postie_err e = { 0, "" };
	struct mime_plan p;
	int rv;

	rv = mime_decide(&c->f, &c->srv, &p, &e);
	if (c->ex != 0) {
		ck_assert_msg(rv == -1, "%s: not refused", c->name);
		ck_assert_int_eq(e.ex, c->ex);
		ck_assert_msg(strstr(e.msg, c->words) != NULL, "%s: \"%s\"",
		    c->name, e.msg);
		return;
	}
	ck_assert_msg(rv == 0, "%s: %s", c->name, e.msg);
	ck_assert_msg(p.action == c->action, "%s: action %d", c->name,
	    (int)p.action);
	ck_assert_int_eq(p.eightbit, c->eightbit);
	ck_assert_int_eq(p.smtputf8, c->smtputf8);
	if (c->words == NULL)
		ck_assert_str_eq(p.note, "");
	else
		ck_assert_msg(strstr(p.note, c->words) != NULL, "%s: \"%s\"",
		    c->name, p.note);
}
END_TEST

/* The facts mime_facts finds in the header section. */
static const struct {
	const char *msg;
	int	 head_8bit, dkim, composite;
	const char *encoded;
} fcases[] = {
	{ "Subject: x\n\nbody\n", 0, 0, 0, "" },
	{ "Subject: caf\xc3\xa9\n\nbody\n", 1, 0, 0, "" },
	{ "DKIM-Signature: v=1\n\nbody\n", 0, 1, 0, "" },
	{ "dkim-signature: v=1\n\nbody\n", 0, 1, 0, "" },
	{ "Content-Type: multipart/mixed; boundary=x\n\n", 0, 0, 1, "" },
	{ "Content-Type: (a comment) Multipart/Alternative\n\n", 0, 0, 1,
	    "" },
	{ "Content-Type: message/rfc822\n\n", 0, 0, 1, "" },
	{ "Content-Type: text/plain; charset=utf-8\n\n", 0, 0, 0, "" },
	{ "Content-Type: text/multipart\n\n", 0, 0, 0, "" },
	{ "Content-Transfer-Encoding: 8bit\n\n", 0, 0, 0, "" },
	{ "Content-Transfer-Encoding: 7BIT\n\n", 0, 0, 0, "" },
	{ "Content-Transfer-Encoding:  binary (raw)\n\n", 0, 0, 0, "" },
	{ "Content-Transfer-Encoding: Base64\n\n", 0, 0, 0, "base64" },
	{ "Content-Transfer-Encoding: quoted-printable\n\n", 0, 0, 0,
	    "quoted-printable" },
};

START_TEST(facts)
{
	struct mime_facts f;
	struct msg *m;

	m = make_msg(fcases[_i].msg, strlen(fcases[_i].msg));
	mime_facts(m, &f);
	ck_assert_int_eq(f.head_8bit, fcases[_i].head_8bit);
	ck_assert_int_eq(f.body_8bit, 0);
	ck_assert_int_eq(f.dkim, fcases[_i].dkim);
	ck_assert_int_eq(f.composite, fcases[_i].composite);
	ck_assert_str_eq(f.encoded, fcases[_i].encoded);
	msg_free(m);
}
END_TEST

/*
 * A message sent quoted-printable: the header fields as they were but
 * for Content-Transfer-Encoding, MIME-Version added only when missing,
 * and the size is what mime_emit gives, as sent.
 */
static const struct {
	const char *in;
	int	 eightbitmime;
	const char *out;
} ecases[] = {
	{ "Subject: x\nContent-Transfer-Encoding: 8bit\nTo: a@b\n\n"
	    "caf\xc3\xa9 \n", 0,
	    "Subject: x\nTo: a@b\nMIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "caf=C3=A9=20\r\n" },
	{ "MIME-Version: 1.0\nSubject: y\n\tfolded\n"
	    "Content-Type: text/plain; charset=latin1\n\n\xe9t\xe9", 0,
	    "MIME-Version: 1.0\nSubject: y\n\tfolded\n"
	    "Content-Type: text/plain; charset=latin1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9t=E9=\r\n" },
	{ "Subject: 7 bits\n\nplain\n", 0, "Subject: 7 bits\n\nplain\n" },
	{ "Subject: 8 bits\n\n\xe9\n", 1, "Subject: 8 bits\n\n\xe9\n" },
};

/* Size on the wire of s as smtp_dot_write sends it, dots aside. */
static off_t
wire_len(const char *p, size_t len)
{
	size_t i;
	off_t n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			continue;
		n += p[i] == '\n' || p[i] == '\r' ? 2 : 1;
	}
	if (len > 0 && p[len - 1] != '\n' && p[len - 1] != '\r')
		n += 2;
	return n;
}

START_TEST(emit)
{
	struct mime_server srv = { ecases[_i].eightbitmime, 0 };
	struct postie_err e;
	struct mime_plan p;
	struct sink k;
	struct msg *m;

	m = make_msg(ecases[_i].in, strlen(ecases[_i].in));
	ck_assert_int_eq(mime_plan(m, &srv, &p, &e), 0);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(mime_emit(&p, m, sink_out, &k, &e), 0);
	ck_assert_msg(strcmp(k.p, ecases[_i].out) == 0, "got \"%s\"", k.p);
	ck_assert_int_eq(p.size, wire_len(k.p, k.len));
	/* The message itself is as it was. */
	ck_assert_int_eq(msg_header_find(m, "MIME-Version", 0) >= 0,
	    strstr(ecases[_i].in, "MIME-Version") != NULL);
	free(k.p);
	msg_free(m);
}
END_TEST

/* A large body goes through in constant memory, in bounded chunks. */
START_TEST(emit_large)
{
	struct mime_server srv = { 0, 0 };
	size_t n = 3 * 1024 * 1024 + 17, i, clen;
	struct postie_err e;
	struct mime_plan p;
	struct sink k, d;
	struct msg *m;
	char *text, *body, *c;

	text = malloc(n);
	ck_assert_ptr_nonnull(text);
	memcpy(text, "Subject: big\n\n", 14);
	for (i = 14; i < n; i++)
		text[i] = i % 1500 == 0 ? '\n' : (char)(' ' + i % 200);
	m = make_msg(text, n);
	ck_assert_int_eq(mime_plan(m, &srv, &p, &e), 0);
	ck_assert_int_eq(p.action, MIME_QP);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(mime_emit(&p, m, sink_out, &k, &e), 0);
	ck_assert_uint_le(k.biggest, 64 * 1024);
	ck_assert_int_eq(p.size, wire_len(k.p, k.len));
	body = strstr(k.p, "\n\n");
	ck_assert_ptr_nonnull(body);
	body += 2;
	check_decode(body, k.len - (size_t)(body - k.p), &d);
	c = canon(text + 14, n - 14, &clen);
	ck_assert_uint_eq(d.len, clen);
	ck_assert(memcmp(d.p, c, clen) == 0);
	free(c);
	free(d.p);
	free(k.p);
	free(text);
	msg_free(m);
}
END_TEST

/*
 * 20 MB converted to quoted-printable costs well under 4 MB of memory:
 * the plan's counting pass and the emit both stream from the spool.
 */
START_TEST(emit_constant_memory)
{
	static char block[64 * 1024];
	struct mime_server srv = { 0, 0 };
	struct postie_err e;
	struct mime_plan p;
	struct mime_wire w;
	struct msg *m;
	long before, after, control;
	size_t i;
	volatile char *hog;
	char *mem;
	FILE *fp;

	for (i = 0; i < sizeof(block); i++)
		block[i] = i % 100 == 99 ? '\n' : (char)(0xa0 + i % 50);
	fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs("Subject: big\n\n", fp) >= 0, 1);
	for (i = 0; i < 320; i++)
		ck_assert_uint_eq(fwrite(block, 1, sizeof(block), fp),
		    sizeof(block));
	ck_assert_int_eq(fflush(fp), 0);
	ck_assert_int_eq(lseek(fileno(fp), 0, SEEK_SET), 0);
	ck_assert_int_eq(msg_read(&m, fileno(fp), 0, "/tmp", &e), 0);
	fclose(fp);

	before = maxrss_kb();
	ck_assert_int_eq(mime_plan(m, &srv, &p, &e), 0);
	ck_assert_int_eq(p.action, MIME_QP);
	mime_wire_init(&w);
	ck_assert_int_eq(mime_emit(&p, m, mime_wire_count, &w, &e), 0);
	after = maxrss_kb();
	msg_free(m);
	ck_assert_int_eq(w.eightbit, 0);
	ck_assert_int_eq(mime_wire_size(&w), p.size);
	/* Every body byte is =XX but the line ends: about three times. */
	ck_assert_int_gt(p.size, (off_t)(320 * sizeof(block) * 29 / 10));
	if (after - before > 4096)
		ck_abort_msg("max RSS grew by %ld KiB", after - before);

	/*
	 * And the measure does see 20 MB held in memory (written through
	 * a volatile pointer: clang drops an allocation nothing reads).
	 */
	mem = malloc(20 * 1024 * 1024);
	ck_assert_ptr_nonnull(mem);
	hog = mem;
	for (i = 0; i < 20 * 1024 * 1024; i += 4096)
		hog[i] = 1;
	control = maxrss_kb();
	ck_assert_int_ge(control - after, 15 * 1024);
	free(mem);
}
END_TEST

/* Whole sessions over the in-memory transport. */
#define GREET	"220 mx.example.org ESMTP\r\n"
#define TAIL	"250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n"

struct sess {
	char	*out;
	size_t	 outlen;
	int	 rv;
	struct postie_err err;
	struct smtp_result res;
	int	 usable;
	char	 trace[4096];
};

static void
trace_note(void *arg, enum smtp_dir dir, const char *line)
{
	struct sess *s = arg;

	if (dir == SMTP_DIR_INFO) {
		strlcat(s->trace, line, sizeof(s->trace));
		strlcat(s->trace, "\n", sizeof(s->trace));
	}
}

static void
session(const char *ehlo, const char *text, size_t len, struct sess *s)
{
	char script[512];
	struct envelope env;
	struct account acct;
	struct smtp_params p;
	struct smtp_session *ss;
	struct smtp_txn t;
	enum smtp_stage stage;
	struct io_mem *mem;
	struct io *io;
	struct msg *m;
	const char *out;

	memset(s, 0, sizeof(*s));
	snprintf(script, sizeof(script), "%s%s%s", GREET, ehlo, TAIL);
	memset(&acct, 0, sizeof(acct));
	acct.name = "test";
	acct.auth = AUTH_OFF;
	memset(&p, 0, sizeof(p));
	p.acct = &acct;
	p.helo_domain = "client.example";
	p.trace = trace_note;
	p.trace_arg = s;
	memset(&env, 0, sizeof(env));
	ck_assert_int_eq(envelope_set(&env.from, "a@example.org", &s->err),
	    0);
	ck_assert_int_eq(envelope_add_rcpt(&env, "b@example.net", &s->err),
	    0);
	m = make_msg(text, len);
	mem = io_mem_new(script, strlen(script), 0);
	ck_assert_ptr_nonnull(mem);
	io = io_new(&io_mem_ops, mem, 5);
	ck_assert_ptr_nonnull(io);
	ck_assert_int_eq(smtp_session_open(&ss, io, &p, &stage, &s->err), 0);
	memset(&t, 0, sizeof(t));
	t.env = &env;
	t.msg = m;
	t.last = 1;
	s->rv = smtp_session_send(ss, &t, &s->res, &s->err);
	s->usable = smtp_session_usable(ss);
	smtp_session_close(ss);
	out = io_mem_output(mem, &s->outlen);
	s->out = malloc(s->outlen + 1);
	ck_assert_ptr_nonnull(s->out);
	memcpy(s->out, out, s->outlen);
	s->out[s->outlen] = '\0';
	io_free(io);
	msg_free(m);
	envelope_free(&env);
}

/*
 * The data as written (between "DATA" and the final dot), its
 * dot-stuffing undone; *sizep gets the SIZE= value of MAIL FROM.
 */
static char *
sent_data(const struct sess *s, size_t *lenp, unsigned long long *sizep)
{
	const char *end = s->out + s->outlen, *mail, *d, *dot, *p;
	char *o;
	size_t n = 0;

	mail = strstr(s->out, "MAIL FROM:");
	ck_assert_ptr_nonnull(mail);
	p = strstr(mail, " SIZE=");
	ck_assert_msg(p != NULL && p < strstr(mail, "\r\n"), "no SIZE=");
	*sizep = strtoull(p + 6, NULL, 10);
	d = memmem(s->out, s->outlen, "DATA\r\n", 6);
	ck_assert_ptr_nonnull(d);
	d += 6;
	dot = memmem(d, (size_t)(end - d), "\r\n.\r\n", 5);
	ck_assert_ptr_nonnull(dot);
	dot += 2;
	o = malloc((size_t)(dot - d) + 1);
	ck_assert_ptr_nonnull(o);
	for (p = d; p < dot; p++) {
		if (*p == '.' && (p == d || p[-1] == '\n'))
			p++;
		o[n++] = *p;
	}
	o[n] = '\0';
	*lenp = n;
	return o;
}

#define EHLO_SIZE	"250-mx\r\n250 SIZE 100000000\r\n"
#define EHLO_SIZE8	"250-mx\r\n250-SIZE\r\n250 8BITMIME\r\n"
#define LONGLINE	"0123456789012345678901234567890123456789"

static char longline[2100];

static const struct {
	const char *ehlo;
	const char *msg;
	int	 qp;		/* the body goes quoted-printable */
} scases[] = {
	{ EHLO_SIZE, "Subject: a\n\nhello\n", 0 },
	{ EHLO_SIZE, "Subject: a\r\n\r\nhello\r\n", 0 },
	{ EHLO_SIZE, "Subject: a\n\nno final line end", 0 },
	{ EHLO_SIZE, "Subject: a\n\nbare\rcr\rend\r", 0 },
	{ EHLO_SIZE, "Subject: a\n\nmixed\r\nends\nand\r\r\n", 0 },
	{ EHLO_SIZE, "Subject: a\n\n.\n..\n.dots\n", 0 },
	{ EHLO_SIZE, "Subject: a\n\n", 0 },
	{ EHLO_SIZE, "Subject: a\n", 0 },
	{ EHLO_SIZE, "Subject: a\n\n\n", 0 },
	{ EHLO_SIZE8, "Subject: a\n\ncaf\xc3\xa9\rx", 0 },
	{ EHLO_SIZE, "Subject: a\n\ncaf\xc3\xa9\n.dot\rx", 1 },
	{ EHLO_SIZE, "Subject: a\nContent-Transfer-Encoding: 8bit\n\n"
	    "\xe9t\xe9 \n", 1 },
	{ EHLO_SIZE8, NULL, 1 },	/* longline */
	{ EHLO_SIZE, NULL, 1 },
};

START_TEST(size_is_sent)
{
	const char *text = scases[_i].msg != NULL ? scases[_i].msg :
	    longline;
	unsigned long long size;
	struct sess s;
	size_t dlen, i;
	char *data;

	session(scases[_i].ehlo, text, strlen(text), &s);
	ck_assert_msg(s.rv == 0, "%s", s.err.msg);
	data = sent_data(&s, &dlen, &size);
	ck_assert_msg(size == dlen, "SIZE=%llu, %zu bytes sent: \"%s\"",
	    size, dlen, data);
	ck_assert_int_eq(strstr(data, "Content-Transfer-Encoding: "
	    "quoted-printable\r\n") != NULL, scases[_i].qp);
	if (scases[_i].qp)
		ck_assert_ptr_nonnull(strstr(s.trace, "quoted-printable"));
	if (strstr(scases[_i].ehlo, "8BITMIME") == NULL)
		for (i = 0; i < s.outlen; i++)
			if ((unsigned char)s.out[i] >= 0x80)
				ck_abort_msg("an 8-bit byte sent at %zu", i);
	free(data);
	free(s.out);
	smtp_result_free(&s.res);
}
END_TEST

/*
 * What cannot be converted is refused before MAIL, the session left
 * usable; a long line that cannot be converted goes as it is.
 */
START_TEST(refused)
{
	static const char *const msgs[] = {
		("Content-Type: multipart/mixed; boundary=b\n\n"
		    "--b\n\n\xe9\n--b--\n"),
		"DKIM-Signature: v=1; a=rsa-sha256\n\n\xe9\n",
		"Subject: caf\xc3\xa9\n\nx\n",
		"Content-Transfer-Encoding: base64\n\n\xe9\n",
	};
	struct sess s;
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		session(EHLO_SIZE, msgs[i], strlen(msgs[i]), &s);
		ck_assert_int_eq(s.rv, -1);
		ck_assert_int_eq(s.err.ex, EX_DATAERR);
		ck_assert_int_eq(s.res.stage, SMTP_MAIL);
		ck_assert_ptr_nonnull(strstr(s.err.msg, "8BITMIME"));
		ck_assert_ptr_null(strstr(s.out, "MAIL"));
		ck_assert_int_eq(s.usable, 1);
		free(s.out);
		smtp_result_free(&s.res);
	}
}
END_TEST

START_TEST(long_line_as_is)
{
	static const char head[] = "DKIM-Signature: v=1\n\n";
	char text[sizeof(head) + 1200];
	struct sess s;

	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'y', 1100);
	strlcpy(text + sizeof(head) - 1 + 1100, "\n", 2);
	session(EHLO_SIZE8, text, strlen(text), &s);
	ck_assert_msg(s.rv == 0, "%s", s.err.msg);
	ck_assert_ptr_nonnull(strstr(s.trace, "a body line of 1100 octets "
	    "is longer than 998; sent as it is"));
	ck_assert_ptr_null(strstr(s.out, "quoted-printable"));
	ck_assert_ptr_nonnull(memmem(s.out, s.outlen, text + sizeof(head) - 1,
	    1100));
	free(s.out);
	smtp_result_free(&s.res);
}
END_TEST

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc;
	size_t i;

	memcpy(longline, "Subject: long\n\n", 15);
	for (i = 15; i < sizeof(longline) - 2; i++)
		longline[i] = LONGLINE[i % 40];
	longline[i] = '\n';

	tc = tcase_create("qp");
	tcase_add_loop_test(tc, qp_exact, 0, NQCASES * NQCHUNKS);
	tcase_add_loop_test(tc, qp_round_trip, 0, 100);
	suite_add_tcase(s, tc);

	tc = tcase_create("decide");
	tcase_add_loop_test(tc, decide, 0, sizeof(dcases) /
	    sizeof(dcases[0]));
	tcase_add_loop_test(tc, facts, 0, sizeof(fcases) /
	    sizeof(fcases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("emit");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, emit, 0, sizeof(ecases) / sizeof(ecases[0]));
	tcase_add_test(tc, emit_large);
	tcase_add_test(tc, emit_constant_memory);
	suite_add_tcase(s, tc);

	tc = tcase_create("session");
	tcase_add_loop_test(tc, size_is_sent, 0, sizeof(scases) /
	    sizeof(scases[0]));
	tcase_add_test(tc, refused);
	tcase_add_test(tc, long_line_as_is);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(mime_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
