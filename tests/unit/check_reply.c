/* SPDX-License-Identifier: ISC */
/*
 * Tests for reply.c: reading replies strictly (single and multi-line,
 * enhanced status codes, every malformed shape), and the table that maps
 * a reply at a stage to an exit code, row by row.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "reply.h"
#include "smtp.h"

struct traced {
	char	 buf[4096];
	int	 n;
};

static void
trace_line(void *arg, const char *line)
{
	struct traced *t = arg;

	strlcat(t->buf, line, sizeof(t->buf));
	strlcat(t->buf, "|", sizeof(t->buf));
	t->n++;
}

static int
read_one(const char *script, size_t len, size_t chunk, struct reply *r,
    struct traced *t, struct postie_err *err)
{
	struct io *io;
	int rv;

	io = io_new(&io_mem_ops, io_mem_new(script, len, chunk), 5);
	ck_assert_ptr_nonnull(io);
	rv = reply_read(io, r, trace_line, t, err);
	io_free(io);
	return rv;
}

static const struct {
	const char *script;
	int	 code;
	const char *enh;
	size_t	 nlines;
	const char *text;
	const char *last_line;
} good[] = {
	{ "250 ok\r\n", 250, "", 1, "250 ok", "ok" },
	{ "220\r\n", 220, "", 1, "220", "" },
	{ "220 \r\n", 220, "", 1, "220", "" },
	{ "250 2.1.0 sender ok\r\n", 250, "2.1.0", 1, "250 2.1.0 sender ok",
	    "2.1.0 sender ok" },
	{ "550 5.1.1\r\n", 550, "5.1.1", 1, "550 5.1.1", "5.1.1" },
	{ "550 5.123.456 odd\r\n", 550, "5.123.456", 1,
	    "550 5.123.456 odd", "5.123.456 odd" },
	/* Not an enhanced code: wrong class, too many digits, no space. */
	{ "550 4.1.1 x\r\n", 550, "", 1, "550 4.1.1 x", "4.1.1 x" },
	{ "550 5.1234.1 x\r\n", 550, "", 1, "550 5.1234.1 x",
	    "5.1234.1 x" },
	{ "550 5.1.1x\r\n", 550, "", 1, "550 5.1.1x", "5.1.1x" },
	{ "550 5.1 x\r\n", 550, "", 1, "550 5.1 x", "5.1 x" },
	{ "250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
	    250, "", 3, "250 mx.example.org PIPELINING SIZE 1000",
	    "SIZE 1000" },
	{ "550-5.1.1 no such\r\n550-5.1.1 user here\r\n550 5.1.1 sorry\r\n",
	    550, "5.1.1", 3, "550 5.1.1 no such user here sorry",
	    "5.1.1 sorry" },
	{ "250 bare lf\n", 250, "", 1, "250 bare lf", "bare lf" },
	{ "250-\r\n250 last\r\n", 250, "", 2, "250 last", "last" },
	/* Control characters are kept, made visible. */
	{ "250 a\x1b[31mb\tc\r\n", 250, "", 1, "250 a\\x1b[31mb\\x09c",
	    "a\\x1b[31mb\\x09c" },
};

START_TEST(reply_good)
{
	struct postie_err err;
	struct reply r;
	struct traced t;
	size_t chunk;

	for (chunk = 0; chunk < 6; chunk++) {
		memset(&r, 0, sizeof(r));
		memset(&t, 0, sizeof(t));
		ck_assert_int_eq(read_one(good[_i].script,
		    strlen(good[_i].script), chunk, &r, &t, &err), 0);
		ck_assert_int_eq(r.code, good[_i].code);
		ck_assert_str_eq(r.enh, good[_i].enh);
		ck_assert_uint_eq(r.nlines, good[_i].nlines);
		ck_assert_str_eq(r.text, good[_i].text);
		ck_assert_str_eq(r.lines[r.nlines - 1], good[_i].last_line);
		ck_assert_int_eq(t.n, (int)good[_i].nlines);
		ck_assert_int_eq(r.done, 1);
		reply_free(&r);
	}
}
END_TEST

static const struct {
	const char *script;
	int	 ex;
	const char *words;
} bad[] = {
	{ "25 ok\r\n", EX_PROTOCOL, "malformed reply: 25 ok" },
	{ "2x0 ok\r\n", EX_PROTOCOL, "malformed reply: 2x0 ok" },
	{ "abc\r\n", EX_PROTOCOL, "malformed reply: abc" },
	{ "\r\n", EX_PROTOCOL, "malformed reply: " },
	{ "600 what\r\n", EX_PROTOCOL, "malformed reply: 600 what" },
	{ "199 what\r\n", EX_PROTOCOL, "malformed reply: 199 what" },
	{ "250_ok\r\n", EX_PROTOCOL, "malformed reply: 250_ok" },
	{ "2500 ok\r\n", EX_PROTOCOL, "malformed reply: 2500 ok" },
	{ "250-one\r\n251 two\r\n", EX_PROTOCOL, "malformed reply: 251 two" },
	{ "250-one\r\n550 two\r\n", EX_PROTOCOL, "malformed reply: 550 two" },
	{ "25\x01 x\r\n", EX_PROTOCOL, "malformed reply: 25\\x01 x" },
	{ "250-one\r\n", EX_TEMPFAIL, "connection closed by server" },
	{ "250 no end", EX_TEMPFAIL, "connection closed by server" },
	{ "", EX_TEMPFAIL, "connection closed by server" },
};

START_TEST(reply_bad)
{
	struct postie_err err;
	struct reply r;
	struct traced t;

	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(read_one(bad[_i].script, strlen(bad[_i].script), 0,
	    &r, &t, &err), -1);
	ck_assert_int_eq(err.ex, bad[_i].ex);
	ck_assert_str_eq(err.msg, bad[_i].words);
	reply_free(&r);
}
END_TEST

START_TEST(reply_nul_byte)
{
	static const char script[] = "250 a\0b\r\n";
	struct postie_err err;
	struct reply r;
	struct traced t;

	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(read_one(script, sizeof(script) - 1, 0, &r, &t,
	    &err), 0);
	ck_assert_str_eq(r.text, "250 a\\x00b");
	ck_assert_str_eq(t.buf, "250 a\\x00b|");
	reply_free(&r);
}
END_TEST

/*
 * "CODE-" or "CODE " and enough x to make len bytes, then the line end;
 * returns the bytes written.
 */
static size_t
put_line(char *p, const char *code, size_t len, const char *eol)
{
	size_t n = strlen(code);

	memcpy(p, code, n);
	memset(p + n, 'x', len - n);
	memcpy(p + len, eol, strlen(eol));
	return len + strlen(eol);
}

/*
 * Long lines (RFC 5321 says 512 with CRLF; servers send more): up to
 * BOUND_REPLY_LINE bytes kept whole, longer ones cut, all classified by
 * their code.  A reply follows, to show that the cut line was read to
 * its end.
 */
static const struct {
	size_t	 len;		/* bytes before the line end */
	const char *eol;
	int	 cut;
} longs[] = {
	{ 510, "\r\n", 0 },		/* the most RFC 5321 allows */
	{ 511, "\r\n", 0 },
	{ 600, "\r\n", 0 },
	{ 600, "\n", 0 },
	{ BOUND_REPLY_LINE - 1, "\r\n", 0 },
	{ BOUND_REPLY_LINE, "\r\n", 0 },	/* exactly at the limit */
	{ BOUND_REPLY_LINE, "\n", 0 },
	{ BOUND_REPLY_LINE + 1, "\r\n", 1 },
	{ BOUND_REPLY_LINE + 1, "\n", 1 },
	{ 5000, "\r\n", 1 },
	{ BOUND_REPLY - 2, "\r\n", 1 },	/* the whole reply at its limit */
};

START_TEST(reply_long_line)
{
	static const size_t chunks[] = { 0, 1, 7, 2047, 2048, 2049, 4096 };
	struct postie_err err;
	struct reply r;
	struct traced t;
	struct io *io;
	size_t len = longs[_i].len, kept, n, c;
	char *script;

	script = malloc(len + 16);
	ck_assert_ptr_nonnull(script);
	n = put_line(script, "451 4.3.0 ", len, longs[_i].eol);
	memcpy(script + n, "250 ok\r\n", 8);
	n += 8;
	kept = len < BOUND_REPLY_LINE ? len : BOUND_REPLY_LINE;
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		memset(&r, 0, sizeof(r));
		memset(&t, 0, sizeof(t));
		io = io_new(&io_mem_ops, io_mem_new(script, n, chunks[c]), 5);
		ck_assert_ptr_nonnull(io);
		ck_assert_msg(reply_read(io, &r, trace_line, &t, &err) == 0,
		    "%zu bytes: %s", len, err.msg);
		ck_assert_int_eq(r.code, 451);
		ck_assert_str_eq(r.enh, "4.3.0");
		ck_assert_int_eq(r.done, 1);
		ck_assert_int_eq(r.cut, longs[_i].cut);
		ck_assert_uint_eq(r.nlines, 1);
		ck_assert_uint_eq(strlen(r.lines[0]), kept - 4);
		ck_assert_uint_eq(r.size, len + strlen(longs[_i].eol));
		ck_assert_uint_eq(strlen(r.text), kept < POSTIE_ERR_MSG - 1 ?
		    kept : POSTIE_ERR_MSG - 1);
		ck_assert(strncmp(r.text, "451 4.3.0 xxx", 13) == 0);
		ck_assert_int_eq(reply_exitcode(SMTP_RCPT, &r), EX_TEMPFAIL);
		ck_assert_int_eq(reply_exitcode(SMTP_MAIL, &r), EX_TEMPFAIL);
		ck_assert_int_eq(t.n, 1);
		/* The stream is at the next reply. */
		ck_assert_int_eq(reply_read(io, &r, NULL, NULL, &err), 0);
		ck_assert_int_eq(r.code, 250);
		ck_assert_str_eq(r.text, "250 ok");
		ck_assert_int_eq(r.cut, 0);
		reply_free(&r);
		io_free(io);
	}
	free(script);
}
END_TEST

/* A cut line inside a multi-line reply, and the trace of a cut line. */
START_TEST(reply_long_multiline)
{
	struct postie_err err;
	struct reply r;
	struct traced t;
	char *script;
	size_t n;

	script = malloc(8000);
	ck_assert_ptr_nonnull(script);
	n = put_line(script, "550-5.1.1 ", 3000, "\r\n");
	n += put_line(script + n, "550-", 100, "\r\n");
	n += put_line(script + n, "550 5.1.1 ", 4000, "\r\n");
	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(read_one(script, n, 100, &r, &t, &err), 0);
	ck_assert_int_eq(r.code, 550);
	ck_assert_str_eq(r.enh, "5.1.1");
	ck_assert_int_eq(r.cut, 1);
	ck_assert_uint_eq(r.nlines, 3);
	ck_assert_uint_eq(strlen(r.lines[0]), BOUND_REPLY_LINE - 4);
	ck_assert_uint_eq(strlen(r.lines[1]), 96);
	ck_assert_uint_eq(strlen(r.lines[2]), BOUND_REPLY_LINE - 4);
	ck_assert_uint_eq(r.size, 3000 + 100 + 4000 + 6);
	ck_assert_int_eq(reply_exitcode(SMTP_RCPT, &r), EX_NOUSER);
	ck_assert_int_eq(t.n, 3);
	/* The trace shows what was kept: the first line, cut. */
	ck_assert_uint_eq(strcspn(t.buf, "|"), BOUND_REPLY_LINE);
	reply_free(&r);
	free(script);
}
END_TEST

/*
 * The whole reply is bounded: BOUND_REPLY bytes as received (line ends
 * and cut parts included) are taken, one more is EX_PROTOCOL.
 */
static const struct {
	size_t	 nlines;	/* lines before the last one */
	size_t	 len;		/* bytes of each, before CRLF */
	size_t	 lastlen;
	int	 ok;
} totals[] = {
	/* 32 lines of 2048 bytes with CRLF: exactly 64 KiB. */
	{ 31, BOUND_REPLY_LINE - 2, BOUND_REPLY_LINE - 2, 1 },
	{ 31, BOUND_REPLY_LINE - 2, BOUND_REPLY_LINE - 1, 0 },
	/* 70 KiB in lines of 2000 bytes. */
	{ 35, 2000, 2000, 0 },
	/* One line of 70 KiB: never held, refused once 64 KiB have come. */
	{ 0, 0, 70 * 1024, 0 },
	{ 0, 0, BOUND_REPLY - 1, 0 },
	/* Short lines: 6553 of "250-xxxx" then "250 ", 64 KiB. */
	{ 6553, 8, 4, 1 },
	{ 6553, 8, 5, 0 },
};

START_TEST(reply_total)
{
	struct postie_err err;
	struct reply r;
	struct traced t;
	char *script;
	size_t i, n = 0, size;

	size = (totals[_i].nlines + 1) * (BOUND_REPLY_LINE + 2) +
	    totals[_i].lastlen + 2;
	script = malloc(size);
	ck_assert_ptr_nonnull(script);
	for (i = 0; i < totals[_i].nlines; i++)
		n += put_line(script + n, "250-", totals[_i].len, "\r\n");
	n += put_line(script + n, "250 ", totals[_i].lastlen, "\r\n");
	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	if (totals[_i].ok) {
		ck_assert_uint_le(n, BOUND_REPLY);
		ck_assert_msg(read_one(script, n, 0, &r, &t, &err) == 0,
		    "%s", err.msg);
		ck_assert_uint_eq(r.nlines, totals[_i].nlines + 1);
		ck_assert_uint_eq(r.size, n);
		ck_assert_int_eq(r.code, 250);
	} else {
		ck_assert_uint_gt(n, BOUND_REPLY);
		ck_assert_int_eq(read_one(script, n, 1000, &r, &t, &err), -1);
		ck_assert_int_eq(err.ex, EX_PROTOCOL);
		ck_assert_str_eq(err.msg,
		    "malformed reply: longer than 65536 bytes");
	}
	reply_free(&r);
	free(script);
}
END_TEST

/*
 * reply_add_line cuts and counts as reply_read does (each line with its
 * CRLF), so the bound holds for any caller.
 */
START_TEST(reply_add_line_bounds)
{
	struct postie_err err;
	struct reply r;
	char *line;
	size_t i, n;

	line = malloc(BOUND_REPLY);
	ck_assert_ptr_nonnull(line);
	memset(line, 'y', BOUND_REPLY);
	memcpy(line, "421 ", 4);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(reply_add_line(&r, line, BOUND_REPLY - 2, &err), 1);
	ck_assert_int_eq(r.code, 421);
	ck_assert_int_eq(r.cut, 1);
	ck_assert_uint_eq(strlen(r.lines[0]), BOUND_REPLY_LINE - 4);
	ck_assert_uint_eq(r.size, BOUND_REPLY);
	reply_free(&r);

	ck_assert_int_eq(reply_add_line(&r, line, BOUND_REPLY - 1, &err), -1);
	ck_assert_int_eq(err.ex, EX_PROTOCOL);
	ck_assert_str_eq(err.msg, "malformed reply: longer than 65536 bytes");
	reply_free(&r);

	/* "250-" counts 6 bytes: 10922 lines fit, and no more. */
	n = BOUND_REPLY / 6;
	ck_assert_uint_le(n, BOUND_REPLY_LINES);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(reply_add_line(&r, "250-", 4, &err), 0);
	ck_assert_uint_eq(r.nlines, n);
	ck_assert_int_eq(reply_add_line(&r, "250", 3, &err), -1);
	ck_assert_str_eq(err.msg, "malformed reply: longer than 65536 bytes");
	reply_free(&r);
	free(line);
}
END_TEST

/* reply_read frees what the reply held before. */
START_TEST(reply_reuse)
{
	static const char script[] = "250-a\r\n250 b\r\n354 go\r\n";
	struct postie_err err;
	struct reply r;
	struct io *io;

	memset(&r, 0, sizeof(r));
	io = io_new(&io_mem_ops, io_mem_new(script, strlen(script), 3), 5);
	ck_assert_int_eq(reply_read(io, &r, NULL, NULL, &err), 0);
	ck_assert_uint_eq(r.nlines, 2);
	ck_assert_int_eq(reply_read(io, &r, NULL, NULL, &err), 0);
	ck_assert_uint_eq(r.nlines, 1);
	ck_assert_int_eq(r.code, 354);
	ck_assert_int_eq(reply_class(&r), 3);
	ck_assert_str_eq(r.text, "354 go");
	reply_free(&r);
	io_free(io);
}
END_TEST

static const struct {
	enum smtp_stage stage;
	const char *line;
	int	 ex;
} map[] = {
	{ SMTP_GREETING, "220 hi", 0 },
	{ SMTP_GREETING, "421 4.3.2 busy", EX_TEMPFAIL },
	{ SMTP_GREETING, "554 go away", EX_UNAVAILABLE },
	{ SMTP_GREETING, "354 what", EX_PROTOCOL },
	{ SMTP_EHLO, "250 hi", 0 },
	{ SMTP_EHLO, "421 closing", EX_TEMPFAIL },
	{ SMTP_EHLO, "502 no", EX_UNAVAILABLE },
	{ SMTP_HELO, "550 no", EX_UNAVAILABLE },
	{ SMTP_EHLO_TLS, "554 no", EX_UNAVAILABLE },
	{ SMTP_STARTTLS, "220 go ahead", 0 },
	{ SMTP_STARTTLS, "454 4.7.0 tls not available", EX_TEMPFAIL },
	{ SMTP_STARTTLS, "502 5.5.1 no", EX_UNAVAILABLE },
	{ SMTP_AUTH, "235 2.7.0 ok", 0 },
	{ SMTP_AUTH, "334 VXNlcm5hbWU6", 0 },
	{ SMTP_AUTH, "454 4.7.0 temporary", EX_TEMPFAIL },
	{ SMTP_AUTH, "535 5.7.8 bad credentials", EX_NOPERM },
	{ SMTP_AUTH, "534 5.7.9 too weak", EX_NOPERM },
	{ SMTP_AUTH, "538 5.7.11 encryption required", EX_NOPERM },
	{ SMTP_AUTH, "554 5.7.8 bad credentials", EX_NOPERM },
	{ SMTP_AUTH, "504 5.5.4 unknown mechanism", EX_UNAVAILABLE },
	{ SMTP_MAIL, "250 2.1.0 ok", 0 },
	{ SMTP_MAIL, "451 4.3.0 try later", EX_TEMPFAIL },
	{ SMTP_MAIL, "550 5.1.8 bad sender domain", EX_DATAERR },
	{ SMTP_MAIL, "553 5.1.7 bad sender", EX_DATAERR },
	{ SMTP_MAIL, "550 5.7.1 not allowed", EX_NOPERM },
	{ SMTP_MAIL, "550 no", EX_UNAVAILABLE },
	{ SMTP_MAIL, "552 5.3.4 too big", EX_UNAVAILABLE },
	{ SMTP_MAIL, "354 what", EX_PROTOCOL },
	{ SMTP_RCPT, "250 ok", 0 },
	{ SMTP_RCPT, "251 forwarded", 0 },
	{ SMTP_RCPT, "452 4.5.3 too many", EX_TEMPFAIL },
	{ SMTP_RCPT, "450 mailbox busy", EX_TEMPFAIL },
	{ SMTP_RCPT, "550 5.1.1 unknown user", EX_NOUSER },
	{ SMTP_RCPT, "550 unknown user", EX_NOUSER },
	{ SMTP_RCPT, "551 not local", EX_NOUSER },
	{ SMTP_RCPT, "553 bad name", EX_NOUSER },
	{ SMTP_RCPT, "554 5.1.2 no such domain", EX_NOUSER },
	{ SMTP_RCPT, "554 no", EX_UNAVAILABLE },
	{ SMTP_RCPT, "550 5.7.1 relaying denied", EX_NOPERM },
	{ SMTP_RCPT, "554 5.7.1 policy", EX_NOPERM },
	{ SMTP_RCPT, "354 what", EX_PROTOCOL },
	{ SMTP_DATA, "354 go ahead", 0 },
	{ SMTP_DATA, "250 what", EX_PROTOCOL },
	{ SMTP_DATA, "451 later", EX_TEMPFAIL },
	{ SMTP_DATA, "554 5.5.1 no valid recipients", EX_UNAVAILABLE },
	{ SMTP_DATA_END, "250 2.0.0 queued", 0 },
	{ SMTP_DATA_END, "451 4.3.0 later", EX_TEMPFAIL },
	{ SMTP_DATA_END, "552 too big", EX_DATAERR },
	{ SMTP_DATA_END, "554 5.3.4 too big", EX_DATAERR },
	{ SMTP_DATA_END, "550 5.6.0 bad content", EX_DATAERR },
	{ SMTP_DATA_END, "554 5.7.1 spam", EX_UNAVAILABLE },
	{ SMTP_DATA_END, "554 rejected", EX_UNAVAILABLE },
	{ SMTP_DATA_END, "354 what", EX_PROTOCOL },
	{ SMTP_RSET, "250 ok", 0 },
	{ SMTP_RSET, "500 what", EX_UNAVAILABLE },
	{ SMTP_QUIT, "221 bye", 0 },
	{ SMTP_QUIT, "421 bye", EX_TEMPFAIL },
};

START_TEST(exitcode_table)
{
	struct postie_err err;
	struct reply r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(reply_add_line(&r, map[_i].line,
	    strlen(map[_i].line), &err), 1);
	ck_assert_msg(reply_exitcode(map[_i].stage, &r) == map[_i].ex,
	    "%s at %s: got %d, want %d", map[_i].line,
	    smtp_stage_name(map[_i].stage),
	    reply_exitcode(map[_i].stage, &r), map[_i].ex);
	reply_free(&r);
}
END_TEST

START_TEST(worse_ex)
{
	ck_assert_int_eq(reply_worse_ex(0, EX_TEMPFAIL), EX_TEMPFAIL);
	ck_assert_int_eq(reply_worse_ex(EX_TEMPFAIL, EX_NOUSER), EX_NOUSER);
	ck_assert_int_eq(reply_worse_ex(EX_NOUSER, EX_TEMPFAIL), EX_NOUSER);
	ck_assert_int_eq(reply_worse_ex(EX_NOUSER, EX_NOPERM), EX_NOUSER);
	ck_assert_int_eq(reply_worse_ex(EX_TEMPFAIL, EX_TEMPFAIL),
	    EX_TEMPFAIL);
}
END_TEST

static Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, reply_good, 0,
	    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, reply_bad, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, reply_nul_byte);
	tcase_add_loop_test(tc, reply_long_line, 0,
	    (int)(sizeof(longs) / sizeof(longs[0])));
	tcase_add_test(tc, reply_long_multiline);
	tcase_add_loop_test(tc, reply_total, 0,
	    (int)(sizeof(totals) / sizeof(totals[0])));
	tcase_add_test(tc, reply_add_line_bounds);
	tcase_add_test(tc, reply_reuse);
	tcase_add_loop_test(tc, exitcode_table, 0,
	    (int)(sizeof(map) / sizeof(map[0])));
	tcase_add_test(tc, worse_ex);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reply_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
