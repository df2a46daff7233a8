/* SPDX-License-Identifier: ISC */
/*
 * Tests for smtpd.c: whole -bs dialogues scripted over the in-memory
 * transport, with a recording sink: the exact replies, what the sink is
 * given (sender, recipients, parameters, the data unstuffed), when the
 * replies are sent (a transport that hands out one step of the script
 * per read and counts the replies already out), and the bounds.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "io.h"
#include "smtpd.h"

#define HOST		"mx.test"
#define GREETING	"220 " HOST " ESMTP postie\r\n"
#define EHLO_REPLY	"250-" HOST "\r\n250-PIPELINING\r\n" \
	"250-SIZE 100000\r\n250-8BITMIME\r\n250-DSN\r\n" \
	"250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n"
#define MAIL_OK		"250 2.1.0 sender ok\r\n"
#define RCPT_OK		"250 2.1.5 recipient ok\r\n"
#define GO_AHEAD	"354 End data with <CR><LF>.<CR><LF>\r\n"
#define QUEUED		"250 2.0.0 queued as 1\r\n"
#define BYE		"221 2.0.0 " HOST " closing\r\n"
#define MAX		100000

#define MAXMSG		4

/* One message as the sink got it. */
struct got {
	char	*from;
	char	*rcpts;		/* joined with spaces */
	char	*data;
	size_t	 datalen;
	char	 body[16], ret[8], notify[32], envid[128];
	long long size, received;
	int	 smtputf8;
};

/* The recording sink. */
struct rec {
	int	 nmail, nidle;
	size_t	 ndata;
	struct got got[MAXMSG];
	int	 refuse_mail;		/* answer MAIL 550 */
	struct smtpd_reply reply;	/* to the dot; code 0: QUEUED */
};

static int
rec_mail(void *arg, const struct smtpd_txn *t, struct smtpd_reply *r)
{
	struct rec *rc = arg;

	rc->nmail++;
	if (!rc->refuse_mail)
		return 0;
	smtpd_reply_set(r, 550, "5.7.1", "sender %s refused", t->from);
	return -1;
}

static void
rec_data(void *arg, const struct smtpd_txn *t, int fd, struct smtpd_reply *r)
{
	struct rec *rc = arg;
	struct got *g;
	char buf[65536];
	size_t i, off = 0, cap = 0;
	ssize_t n;

	ck_assert_uint_lt(rc->ndata, MAXMSG);
	g = &rc->got[rc->ndata++];
	g->from = strdup(t->from);
	for (i = 0; i < t->nrcpts; i++)
		cap += strlen(t->rcpts[i]) + 1;
	g->rcpts = calloc(1, cap + 1);
	for (i = 0; i < t->nrcpts; i++) {
		if (i > 0)
			g->rcpts[off++] = ' ';
		memcpy(g->rcpts + off, t->rcpts[i], strlen(t->rcpts[i]));
		off += strlen(t->rcpts[i]);
	}
	off = cap = 0;
	g->data = NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)n + 1 > cap) {
			cap = (off + (size_t)n + 1) * 2;
			g->data = realloc(g->data, cap);
		}
		memcpy(g->data + off, buf, (size_t)n);
		off += (size_t)n;
	}
	if (g->data == NULL)
		g->data = calloc(1, 1);
	g->data[off] = '\0';
	g->datalen = off;
	strlcpy(g->body, t->body, sizeof(g->body));
	strlcpy(g->ret, t->ret, sizeof(g->ret));
	strlcpy(g->notify, t->notify, sizeof(g->notify));
	strlcpy(g->envid, t->envid != NULL ? t->envid : "", sizeof(g->envid));
	g->size = t->size;
	g->received = t->received;
	g->smtputf8 = t->smtputf8;
	if (rc->reply.code != 0)
		*r = rc->reply;
	else
		smtpd_reply_set(r, 250, "2.0.0", "queued as %zu", rc->ndata);
}

static void
rec_idle(void *arg)
{
	struct rec *rc = arg;

	rc->nidle++;
}

static void
rec_free(struct rec *rc)
{
	size_t i;

	for (i = 0; i < rc->ndata; i++) {
		free(rc->got[i].from);
		free(rc->got[i].rcpts);
		free(rc->got[i].data);
	}
}

/* A run: the script over io_mem (in reads of chunk bytes, 0: all). */
struct run {
	struct rec rec;
	enum smtpd_end end;
	struct postie_err err;
	char	*out;
	size_t	 outlen;
	size_t	 nwrites;
};

static void
run_io(struct run *r, struct io *io, struct io_mem *m, long long max)
{
	struct smtpd_sink sink = { rec_mail, rec_data, rec_idle, &r->rec };
	struct smtpd_params p = { HOST, NULL, max, 0, &sink };
	const char *out;

	r->end = smtpd_run(io, &p, &r->err);
	out = io_mem_output(m, &r->outlen);
	r->out = malloc(r->outlen + 1);
	memcpy(r->out, out, r->outlen);
	r->out[r->outlen] = '\0';
	r->nwrites = io_mem_writes(m);
}

static void
run_len(struct run *r, const char *script, size_t len, size_t chunk)
{
	struct io_mem *m = io_mem_new(script, len, chunk);
	struct io *io = io_new(&io_mem_ops, m, 0);

	ck_assert_ptr_nonnull(io);
	run_io(r, io, m, MAX);
	io_free(io);
}

static void
run(struct run *r, const char *script)
{
	run_len(r, script, strlen(script), 0);
}

static void
run_free(struct run *r)
{
	rec_free(&r->rec);
	free(r->out);
}

/* Lines of out that end a reply ("NNN text"). */
static size_t
finals(const char *out, size_t len)
{
	size_t n = 0, i, start = 0;

	for (i = 0; i < len; i++)
		if (out[i] == '\n') {
			if (i - start >= 4 && out[start + 3] == ' ')
				n++;
			start = i + 1;
		}
	return n;
}

/*
 * A transport that hands out one step per read (a step "TIMEOUT" is a
 * read that times out), noting how many replies were out before each.
 */
struct steps {
	const char *const *step;
	size_t	 i;
	size_t	 finals_at[16];
	struct io_mem *mem;
};

static ssize_t
steps_read(void *ctx, void *buf, size_t len, int timeout_ms,
    struct postie_err *e)
{
	struct steps *s = ctx;
	const char *out;
	size_t n;

	out = io_mem_output(s->mem, &n);
	if (s->i < 16)
		s->finals_at[s->i] = finals(out, n);
	if (s->step[s->i] == NULL)
		return 0;
	if (strcmp(s->step[s->i], "TIMEOUT") == 0) {
		err_setx(e, EX_TEMPFAIL, "timed out after 300 s");
		return -1;
	}
	n = strlen(s->step[s->i]);
	ck_assert_uint_le(n, len);
	memcpy(buf, s->step[s->i++], n);
	return (ssize_t)n;
}

static int
steps_write(void *ctx, const void *buf, size_t len, int timeout_ms,
    struct postie_err *e)
{
	struct steps *s = ctx;

	return io_mem_ops.write(s->mem, buf, len, timeout_ms, e);
}

static void
steps_close(void *ctx)
{
	struct steps *s = ctx;

	io_mem_ops.close(s->mem);
}

static const struct io_ops steps_ops = {
	"steps", steps_read, steps_write, steps_close
};

static void
run_steps(struct run *r, struct steps *s, const char *const *step)
{
	struct io *io;

	memset(s, 0, sizeof(*s));
	s->step = step;
	s->mem = io_mem_new("", 0, 0);
	io = io_new(&steps_ops, s, 0);
	run_io(r, io, s->mem, MAX);
	io_free(io);
}

#define TXN(from, rcpt) "MAIL FROM:<" from ">\r\nRCPT TO:<" rcpt ">\r\n"

START_TEST(basic)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	run(&r, "EHLO client.test\r\n" TXN("a@example.org", "b@example.net")
	    "DATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK GO_AHEAD
	    QUEUED BYE);
	ck_assert_int_eq(r.end, SMTPD_QUIT);
	ck_assert_uint_eq(r.rec.ndata, 1);
	ck_assert_str_eq(r.rec.got[0].from, "a@example.org");
	ck_assert_str_eq(r.rec.got[0].rcpts, "b@example.net");
	ck_assert_str_eq(r.rec.got[0].data, "Subject: hi\r\n\r\nbody\r\n");
	ck_assert_int_eq(r.rec.got[0].received, 21);
	ck_assert_int_eq(r.rec.got[0].size, -1);
	ck_assert_int_eq(r.rec.nmail, 1);
	run_free(&r);
}
END_TEST

/* Symfony's SmtpTransport over sendmail -bs: HELO, no parameters. */
START_TEST(helo)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	run(&r, "HELO [127.0.0.1]\r\n" TXN("a@example.org", "b@example.net")
	    "DATA\r\nx\r\n\r\n.\r\nMAIL FROM:<a@example.org> SIZE=10\r\n"
	    "QUIT\r\n");
	ck_assert_str_eq(r.out, GREETING "250 " HOST "\r\n" MAIL_OK RCPT_OK
	    GO_AHEAD QUEUED "555 5.5.4 parameters need EHLO\r\n" BYE);
	ck_assert_str_eq(r.rec.got[0].data, "x\r\n\r\n");
	run_free(&r);
}
END_TEST

/* The same dialogue read a byte at a time: nothing depends on reads. */
START_TEST(byte_reads)
{
	static const char script[] = "EHLO c\r\n" TXN("a@x.org", "b@y.org")
	    "DATA\r\n..one\r\n.\r\r\n.two\r\n\r\n.\r\nQUIT\r\n";
	struct run r;

	memset(&r, 0, sizeof(r));
	run_len(&r, script, sizeof(script) - 1, 1);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK GO_AHEAD
	    QUEUED BYE);
	ck_assert_str_eq(r.rec.got[0].data, ".one\r\n\r\r\ntwo\r\n\r\n");
	run_free(&r);
}
END_TEST

struct dot_case {
	const char *data;	/* after DATA, up to and with the end */
	const char *want;	/* what the sink gets */
};

static const struct dot_case dot_cases[] = {
	{ ".\r\n", "" },
	{ "..\r\n.\r\n", ".\r\n" },
	{ "a\r\n...b\r\n.\r\n", "a\r\n..b\r\n" },
	/* Only a dot after CR LF ends the data or loses its dot. */
	{ "a\n.\nb\r\n.\r\n", "a\n.\nb\r\n" },
	{ "a\r\n.\nb\r\n.\r\n", "a\r\n\nb\r\n" },
	{ "a\r\n. \r\n.\r\n", "a\r\n \r\n" },
	{ "a\n.\r\n.\r\n", "a\n.\r\n" },
	{ "no end of line.\r\n.\r\n", "no end of line.\r\n" },
	{ "\r\n.\r\n", "\r\n" },
};

START_TEST(dots)
{
	const struct dot_case *c = &dot_cases[_i];
	char script[512];
	struct run r;

	snprintf(script, sizeof(script), "EHLO c\r\n%sDATA\r\n%sQUIT\r\n",
	    TXN("a@x.org", "b@y.org"), c->data);
	memset(&r, 0, sizeof(r));
	run(&r, script);
	ck_assert_int_eq(r.end, SMTPD_QUIT);
	ck_assert_uint_eq(r.rec.ndata, 1);
	ck_assert_str_eq(r.rec.got[0].data, c->want);
	run_free(&r);
}
END_TEST

/* At a terminal, LF ends a line of the data too. */
START_TEST(terminal)
{
	static const char script[] = "EHLO c\n" TXN("a@x.org", "b@y.org")
	    "DATA\nSubject: typed\n\n..dot\n.\nQUIT\n";
	struct io_mem *m = io_mem_new(script, sizeof(script) - 1, 0);
	struct io *io = io_new(&io_mem_ops, m, 0);
	struct smtpd_sink sink;
	struct smtpd_params p = { HOST, NULL, MAX, 1, &sink };
	struct postie_err e;
	struct rec rc;

	memset(&rc, 0, sizeof(rc));
	memset(&sink, 0, sizeof(sink));
	sink.data = rec_data;
	sink.arg = &rc;
	ck_assert_int_eq(smtpd_run(io, &p, &e), SMTPD_QUIT);
	ck_assert_uint_eq(rc.ndata, 1);
	ck_assert_str_eq(rc.got[0].data, "Subject: typed\n\n.dot\n");
	rec_free(&rc);
	io_free(io);
}
END_TEST

/* Lines longer than a read block: the dot rule holds across blocks. */
START_TEST(long_lines)
{
	size_t n = 20000, sz = 3 * 20000 + 200, len;
	char *script, *want;
	struct run r;

	script = malloc(sz);
	want = malloc(sz);
	len = (size_t)snprintf(script, sz, "EHLO c\r\n" TXN("a@x.org", "b@y.org")
	    "DATA\r\n.");
	memset(script + len, 'x', n);
	len += n;
	/* CR at the end of one block of 8192, LF at the start of the next. */
	len += (size_t)snprintf(script + len, sz - len, "\r\n");
	memset(script + len, 'y', 8192 - 1);
	len += 8192 - 1;
	len += (size_t)snprintf(script + len, sz - len, "\r\n.\r\nQUIT\r\n");
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_int_eq(r.end, SMTPD_QUIT);
	ck_assert_uint_eq(r.rec.ndata, 1);
	memset(want, 'x', n);
	len = n;
	len += (size_t)snprintf(want + len, sz - len, "\r\n");
	memset(want + len, 'y', 8192 - 1);
	len += 8192 - 1;
	len += (size_t)snprintf(want + len, sz - len, "\r\n");
	ck_assert_uint_eq(r.rec.got[0].datalen, len);
	ck_assert_int_eq(memcmp(r.rec.got[0].data, want, len), 0);
	run_free(&r);
	free(script);
	free(want);
}
END_TEST

/* A client that waits for each reply gets it before its next read. */
START_TEST(lockstep)
{
	static const char *const step[] = { "EHLO c\r\n",
	    "MAIL FROM:<a@x.org>\r\n", "RCPT TO:<b@y.org>\r\n", "DATA\r\n",
	    "hello\r\n", ".\r\n", "NOOP\r\n", "QUIT\r\n", NULL };
	struct steps s;
	struct run r;

	memset(&r, 0, sizeof(r));
	run_steps(&r, &s, step);
	ck_assert_int_eq(r.end, SMTPD_QUIT);
	/* Greeting, EHLO, MAIL, RCPT, 354, -, 250 queued, NOOP. */
	ck_assert_uint_eq(s.finals_at[0], 1);
	ck_assert_uint_eq(s.finals_at[1], 2);
	ck_assert_uint_eq(s.finals_at[2], 3);
	ck_assert_uint_eq(s.finals_at[3], 4);
	ck_assert_uint_eq(s.finals_at[4], 5);
	ck_assert_uint_eq(s.finals_at[5], 5);
	ck_assert_uint_eq(s.finals_at[6], 6);
	ck_assert_uint_eq(s.finals_at[7], 7);
	ck_assert_str_eq(r.rec.got[0].data, "hello\r\n");
	/* The sink may deliver whenever the client waits. */
	ck_assert_int_eq(r.rec.nidle, 6);
	run_free(&r);
}
END_TEST

/* RFC 2920: a pipelined group is answered at once, when it is read. */
START_TEST(pipelined)
{
	static const char *const step[] = { "EHLO c\r\n",
	    "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nRCPT TO:<c@y.org>"
	    "\r\nRCPT TO:<>\r\nDATA\r\n",
	    "hello\r\n.\r\nQUIT\r\n", NULL };
	struct steps s;
	struct run r;

	memset(&r, 0, sizeof(r));
	run_steps(&r, &s, step);
	ck_assert_uint_eq(s.finals_at[1], 2);
	/* MAIL, two RCPT, the refused one and 354 before the message. */
	ck_assert_uint_eq(s.finals_at[2], 7);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK RCPT_OK
	    "501 5.1.3 empty recipient\r\n" GO_AHEAD QUEUED BYE);
	ck_assert_str_eq(r.rec.got[0].rcpts, "b@y.org c@y.org");
	run_free(&r);
}
END_TEST

START_TEST(two_messages_and_rset)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	run(&r, "EHLO c\r\n" TXN("a@x.org", "dropped@y.org") "RSET\r\n"
	    TXN("a@x.org", "one@y.org") "DATA\r\nfirst\r\n.\r\n"
	    TXN("<>", "two@y.org") "RCPT TO:<three@y.org>\r\n"
	    "DATA\r\nsecond\r\n.\r\nQUIT\r\n");
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK
	    "250 2.0.0 ok\r\n" MAIL_OK RCPT_OK GO_AHEAD QUEUED
	    "501 5.5.4 text after the address\r\n"
	    "503 5.5.1 need MAIL first\r\n"
	    "503 5.5.1 need MAIL first\r\n"
	    "503 5.5.1 need MAIL and RCPT first\r\n"
	    "500 5.5.2 command not recognized\r\n"
	    "500 5.5.2 command not recognized\r\n" BYE);
	ck_assert_uint_eq(r.rec.ndata, 1);
	ck_assert_str_eq(r.rec.got[0].rcpts, "one@y.org");
	ck_assert_str_eq(r.rec.got[0].data, "first\r\n");
	run_free(&r);

	memset(&r, 0, sizeof(r));
	run(&r, "EHLO c\r\n" TXN("a@x.org", "one@y.org")
	    "DATA\r\nfirst\r\n.\r\n" "MAIL FROM:<>\r\nRCPT TO:<two@y.org>\r\n"
	    "RCPT TO:<three@y.org>\r\nDATA\r\nsecond\r\n.\r\nQUIT\r\n");
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK GO_AHEAD
	    QUEUED MAIL_OK RCPT_OK RCPT_OK GO_AHEAD
	    "250 2.0.0 queued as 2\r\n" BYE);
	ck_assert_uint_eq(r.rec.ndata, 2);
	ck_assert_str_eq(r.rec.got[0].from, "a@x.org");
	ck_assert_str_eq(r.rec.got[0].data, "first\r\n");
	ck_assert_str_eq(r.rec.got[1].from, "");
	ck_assert_str_eq(r.rec.got[1].rcpts, "two@y.org three@y.org");
	ck_assert_str_eq(r.rec.got[1].data, "second\r\n");
	run_free(&r);
}
END_TEST

struct reply_case {
	const char *before;	/* commands before, their replies ignored */
	const char *cmd;
	const char *want;	/* the reply to cmd */
};

#define E	"EHLO c\r\n"
#define EM	"EHLO c\r\nMAIL FROM:<a@x.org>\r\n"

static const struct reply_case reply_cases[] = {
	/* Syntax: 500, 501, 555. */
	{ E, "FROB", "500 5.5.2 command not recognized" },
	{ E, "", "500 5.5.2 command not recognized" },
	{ E, "MAIL FROM:a@x.org", "501 5.1.7 bad address syntax" },
	{ E, "MAIL TO:<a@x.org>", "501 5.5.4 Syntax: MAIL FROM:<address>" },
	{ E, "MAIL FROM:<a@x.org", "501 5.1.7 bad address syntax" },
	{ E, "MAIL FROM:<a@x.org>x", "501 5.5.4 text after the address" },
	{ E, "MAIL FROM:<a b@x.org>", "553 5.1.7 bad address <a b@x.org>" },
	{ E, "MAIL FROM:<a@x.org> BOGUS=1", "555 5.5.4 unsupported MAIL" },
	{ E, "MAIL FROM:<a@x.org> SIZE=12x", "501 5.5.4 bad SIZE" },
	{ E, "MAIL FROM:<a@x.org> SIZE=1 SIZE=2", "501 5.5.4 MAIL parameter "
	    "given twice" },
	{ E, "MAIL FROM:<a@x.org> SIZE=100001", "552 5.3.4 message size "
	    "exceeds the limit of 100000 octets" },
	{ E, "MAIL FROM:<a@x.org> BODY=BINARYMIME", "501 5.5.4 BODY must" },
	{ E, "MAIL FROM:<a@x.org> SMTPUTF8=1", "501 5.5.4 bad MAIL "
	    "parameter syntax" },
	{ E, "MAIL FROM:<a@x.org> RET=ALL", "501 5.5.4 RET must" },
	{ E, "MAIL FROM:<a@x.org> ENVID=a+zz", "501 5.5.4 bad ENVID" },
	{ E, "MAIL FROM:<a@x.org> ENVID=a+20b", "501 5.5.4 bad ENVID: "
	    "printable" },
	{ E, "MAIL FROM:<\xc3\xa9@x.org>", "553 5.6.7 a UTF-8 address" },
	{ E, "MAIL FROM:<\xc3\xa9@x.org> SMTPUTF8", "250 2.1.0 sender ok" },
	{ E, "MAIL FROM: <a@x.org>", "250 2.1.0 sender ok" },
	{ E, "mail from:<a@x.org> body=8bitmime ret=hdrs", "250 2.1.0" },
	{ EM, "RCPT TO:<>", "501 5.1.3 empty recipient" },
	{ EM, "RCPT TO:b@y.org", "501 5.1.7 bad address syntax" },
	{ EM, "RCPT TO:<b@y.org> FOO", "555 5.5.4 unsupported RCPT" },
	{ EM, "RCPT TO:<b@y.org> NOTIFY=SOMETIMES", "501 5.5.4 NOTIFY" },
	{ EM, "RCPT TO:<b@y.org> NOTIFY=NEVER,DELAY", "501 5.5.4 NOTIFY" },
	{ EM, "RCPT TO:<b@y.org> NOTIFY=DELAY,,FAILURE", "501 5.5.4 NOTIFY" },
	{ EM, "RCPT TO:<b@y.org> ORCPT=rfc822", "501 5.5.4 bad ORCPT" },
	{ EM, "RCPT TO:<b@y.org> ORCPT=rfc822;a=b", "501 5.5.4 bad ORCPT" },
	{ EM, "RCPT TO:<b@y.org> ORCPT=rfc822;b+40y.org", "250 2.1.5" },
	{ EM, "RCPT TO:<\xc3\xa9@y.org>", "553 5.6.7 a UTF-8 address" },
	{ EM, "RCPT TO:<b@y.org,c@y.org>", "553 5.1.3 bad recipient" },
	{ EM, "RCPT TO:<b@y.org (x)>", "553 5.1.3" },
	{ EM, "RCPT TO:<root>", "250 2.1.5 recipient ok" },
	{ EM, "RCPT TO:<@a.org,@b.org:c@y.org>", "250 2.1.5 recipient ok" },
	{ E, "MAIL FROM:<\"a>b\"@x.org>", "250 2.1.0 sender ok" },
	{ EM "RCPT TO:<b@y.org>\r\n", "DATA now", "501 5.5.4 DATA takes no" },
	{ E, "RSET x", "501 5.5.4 RSET takes no arguments" },
	{ E, "VRFY", "501 5.5.4 Syntax: VRFY address" },
	{ E, "VRFY root", "252 2.5.0 cannot VRFY" },
	{ E, "EHLO", "501 5.5.4 Syntax: EHLO hostname" },
	{ "", "HELO", "501 5.5.4 Syntax: HELO hostname" },
	{ E, "NOOP anything", "250 2.0.0 ok" },
	{ E, "HELP", "214 2.0.0 postie -bs: HELO EHLO MAIL" },
	{ E, "STARTTLS", "502 5.5.1 STARTTLS not implemented" },
	{ E, "AUTH PLAIN AGFiAGM=", "502 5.5.1 AUTH not implemented" },
	{ E, "expn list", "502 5.5.1 EXPN not implemented" },
	{ E, "BDAT 10 LAST", "502 5.5.1 BDAT not implemented" },
	/* Out of order: 503, 554. */
	{ "", "MAIL FROM:<a@x.org>", "503 5.5.1 send HELO or EHLO first" },
	{ E, "RCPT TO:<b@y.org>", "503 5.5.1 need MAIL first" },
	{ E, "DATA", "503 5.5.1 need MAIL and RCPT first" },
	{ EM, "DATA", "554 5.5.1 no valid recipients" },
	{ EM, "MAIL FROM:<a@x.org>", "503 5.5.1 nested MAIL command" },
	{ EM "RCPT TO:<b@y.org> NOTIFY=SUCCESS\r\n",
	  "RCPT TO:<c@y.org> NOTIFY=FAILURE", "504 5.5.4 postie keeps one" },
	{ EM "RCPT TO:<b@y.org> NOTIFY=SUCCESS,FAILURE\r\n",
	  "RCPT TO:<c@y.org> NOTIFY=failure,success", "250 2.1.5" },
	/* EHLO ends a transaction. */
	{ EM "EHLO c\r\n", "RCPT TO:<b@y.org>", "503 5.5.1 need MAIL" },
};

/* The reply to the command after the replies to before and EHLO's. */
START_TEST(replies)
{
	const struct reply_case *c = &reply_cases[_i];
	char script[1024], *line, *end;
	struct run r;
	size_t nbefore = 1, i;
	const char *p;

	/* One reply for each command of before, but a multi-line EHLO's. */
	for (p = c->before; *p != '\0'; p++)
		if (*p == '\n')
			nbefore++;
	snprintf(script, sizeof(script), "%s%s\r\nQUIT\r\n", c->before,
	    c->cmd);
	memset(&r, 0, sizeof(r));
	run(&r, script);
	line = r.out;
	for (i = 0; i < nbefore; i++) {
		/* Skip one reply: its lines up to "NNN ". */
		while ((end = strstr(line, "\r\n")) != NULL && line[3] != ' ')
			line = end + 2;
		ck_assert_ptr_nonnull(end);
		line = end + 2;
	}
	ck_assert_msg(strncmp(line, c->want, strlen(c->want)) == 0,
	    "'%s': got '%.80s', want '%s'", c->cmd, line, c->want);
	ck_assert_int_eq(r.end, SMTPD_QUIT);
	run_free(&r);
}
END_TEST

START_TEST(dsn_and_body)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	run(&r, "EHLO c\r\nMAIL FROM:<a@x.org> SIZE=30 BODY=8bitmime "
	    "RET=hdrs ENVID=q+2Bp SMTPUTF8\r\n"
	    "RCPT TO:<b@y.org> NOTIFY=delay,failure ORCPT=rfc822;b@y.org\r\n"
	    "RCPT TO:<c@y.org>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n");
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK RCPT_OK
	    GO_AHEAD QUEUED BYE);
	ck_assert_str_eq(r.rec.got[0].body, "8BITMIME");
	ck_assert_str_eq(r.rec.got[0].ret, "HDRS");
	ck_assert_str_eq(r.rec.got[0].envid, "q+p");
	ck_assert_str_eq(r.rec.got[0].notify, "FAILURE,DELAY");
	ck_assert_int_eq(r.rec.got[0].size, 30);
	ck_assert_int_eq(r.rec.got[0].smtputf8, 1);
	run_free(&r);
}
END_TEST

/* 452 past BOUND_RECIPIENTS; the others still go. */
START_TEST(too_many_recipients)
{
	size_t i, len = 0, cap = (BOUND_RECIPIENTS + 10) * 40;
	char *script = malloc(cap);
	struct run r;

	len += (size_t)snprintf(script + len, cap - len, "EHLO c\r\n"
	    "MAIL FROM:<a@x.org>\r\n");
	for (i = 0; i <= BOUND_RECIPIENTS; i++)
		len += (size_t)snprintf(script + len, cap - len,
		    "RCPT TO:<r%zu@y.org>\r\n", i);
	len += (size_t)snprintf(script + len, cap - len,
	    "DATA\r\nx\r\n.\r\nQUIT\r\n");
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_ptr_nonnull(strstr(r.out, RCPT_OK "452 4.5.3 too many "
	    "recipients: at most 10000\r\n" GO_AHEAD QUEUED BYE));
	ck_assert_uint_eq(r.rec.ndata, 1);
	ck_assert_ptr_nonnull(strstr(r.rec.got[0].rcpts, " r9999@y.org"));
	ck_assert_ptr_null(strstr(r.rec.got[0].rcpts, "r10000@"));
	ck_assert_int_eq(r.end, SMTPD_QUIT);
	run_free(&r);
	free(script);
}
END_TEST

/* 998 octets and CR LF is a command; one more is 500, and then on. */
START_TEST(overlong_line)
{
	char script[4096];
	struct run r;
	size_t len;

	len = (size_t)snprintf(script, sizeof(script), "EHLO c\r\nNOOP ");
	memset(script + len, 'x', 998 - 5);
	len += 998 - 5;
	len += (size_t)snprintf(script + len,
	    sizeof(script) - len, "\r\nNOOP ");
	memset(script + len, 'x', 999 - 5);
	len += 999 - 5;
	len += (size_t)snprintf(script + len,
	    sizeof(script) - len, "\r\nNOOP\r\nQUIT\r\n");
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY "250 2.0.0 ok\r\n"
	    "500 5.5.2 line too long: at most 1000 octets with CR LF\r\n"
	    "250 2.0.0 ok\r\n" BYE);
	run_free(&r);
}
END_TEST

/* A line that never ends: 421 past BOUND_SMTPD_JUNK, no hang. */
START_TEST(endless_line)
{
	size_t len = BOUND_SMTPD_JUNK + 100;
	char *script = malloc(len + 10);
	struct run r;

	memcpy(script, "EHLO c\r\n", 8);
	memset(script + 8, 'x', len - 8);
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_int_eq(r.end, SMTPD_ABORT);
	ck_assert_ptr_nonnull(strstr(r.out, EHLO_REPLY "421 4.7.0 " HOST
	    " line too long; closing\r\n"));
	run_free(&r);
	free(script);
}
END_TEST

/* The input ends in DATA: nothing acknowledged, nothing given on. */
START_TEST(eof_in_data)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	run(&r, "EHLO c\r\n" TXN("a@x.org", "b@y.org")
	    "DATA\r\nSubject: cut\r\n\r\nhalf a mess");
	ck_assert_int_eq(r.end, SMTPD_EOF);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK
	    GO_AHEAD);
	ck_assert_uint_eq(r.rec.ndata, 0);
	run_free(&r);

	/* Cut right after a line: still no end of data. */
	memset(&r, 0, sizeof(r));
	run(&r, "EHLO c\r\n" TXN("a@x.org", "b@y.org") "DATA\r\nline\r\n");
	ck_assert_int_eq(r.end, SMTPD_EOF);
	ck_assert_uint_eq(r.rec.ndata, 0);
	ck_assert_ptr_null(strstr(r.out, "250 2.0.0"));
	run_free(&r);
}
END_TEST

/* The input ends without QUIT: what was acknowledged was given on. */
START_TEST(eof_without_quit)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	run(&r, "EHLO c\r\n" TXN("a@x.org", "b@y.org")
	    "DATA\r\nwhole\r\n.\r\n" TXN("a@x.org", "c@y.org"));
	ck_assert_int_eq(r.end, SMTPD_EOF);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK
	    GO_AHEAD QUEUED MAIL_OK RCPT_OK);
	ck_assert_uint_eq(r.rec.ndata, 1);
	ck_assert_str_eq(r.rec.got[0].data, "whole\r\n");
	run_free(&r);
}
END_TEST

START_TEST(timeout)
{
	static const char *const step[] = { "EHLO c\r\n", "TIMEOUT", NULL };
	static const char *const in_data[] = { "EHLO c\r\n",
	    "MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n", "part\r\n",
	    "TIMEOUT", NULL };
	struct steps s;
	struct run r;

	memset(&r, 0, sizeof(r));
	run_steps(&r, &s, step);
	ck_assert_int_eq(r.end, SMTPD_TIMEOUT);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY "421 4.4.2 " HOST
	    " timed out after 300 s\r\n");
	ck_assert_int_eq(r.err.ex, EX_TEMPFAIL);
	run_free(&r);

	memset(&r, 0, sizeof(r));
	run_steps(&r, &s, in_data);
	ck_assert_int_eq(r.end, SMTPD_TIMEOUT);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK GO_AHEAD
	    "421 4.4.2 " HOST " timed out after 300 s\r\n");
	ck_assert_uint_eq(r.rec.ndata, 0);
	run_free(&r);
}
END_TEST

START_TEST(too_many_errors)
{
	char script[4096];
	struct run r;
	size_t len = 0;
	int i;

	len += (size_t)snprintf(script, sizeof(script), "EHLO c\r\n");
	for (i = 0; i < BOUND_SMTPD_ERRORS + 5; i++)
		len += (size_t)snprintf(script + len,
		    sizeof(script) - len, "FROB\r\n");
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_int_eq(r.end, SMTPD_ABORT);
	ck_assert_ptr_nonnull(strstr(r.out, "500 5.5.2 command not "
	    "recognized\r\n421 4.7.0 " HOST " too many errors; closing\r\n"));
	ck_assert_uint_eq(finals(r.out, r.outlen), 1 + 1 +
	    BOUND_SMTPD_ERRORS + 1 + 1);
	run_free(&r);
}
END_TEST

START_TEST(too_many_commands)
{
	size_t cap = 16 * (BOUND_SMTPD_COMMANDS + 10), len = 0;
	char *script = malloc(cap);
	struct run r;
	int i;

	len += (size_t)snprintf(script, cap, "EHLO c\r\n");
	for (i = 0; i < BOUND_SMTPD_COMMANDS + 5; i++)
		len += (size_t)snprintf(script + len, cap - len, "NOOP\r\n");
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_int_eq(r.end, SMTPD_ABORT);
	ck_assert_ptr_nonnull(strstr(r.out, "421 4.7.0 " HOST " too many "
	    "commands without a message; closing\r\n"));
	run_free(&r);

	/* An accepted message starts the count again. */
	len = (size_t)snprintf(script, cap, "EHLO c\r\n");
	for (i = 0; i < BOUND_SMTPD_COMMANDS - 10; i++)
		len += (size_t)snprintf(script + len, cap - len, "NOOP\r\n");
	len += (size_t)snprintf(script + len, cap - len, TXN("a@x.org",
	    "b@y.org") "DATA\r\nx\r\n.\r\n");
	for (i = 0; i < BOUND_SMTPD_COMMANDS - 10; i++)
		len += (size_t)snprintf(script + len, cap - len, "NOOP\r\n");
	len += (size_t)snprintf(script + len, cap - len, "QUIT\r\n");
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_int_eq(r.end, SMTPD_QUIT);
	run_free(&r);
	free(script);
}
END_TEST

START_TEST(size_limit)
{
	size_t len = 0, cap = MAX + 1000;
	char *script = malloc(cap);
	struct run r;

	len += (size_t)snprintf(script, cap, "EHLO c\r\n" TXN("a@x.org",
	    "b@y.org") "DATA\r\n");
	memset(script + len, 'x', MAX);
	len += MAX;
	len += (size_t)snprintf(script + len, cap - len, "\r\n.\r\nQUIT\r\n");
	memset(&r, 0, sizeof(r));
	run_len(&r, script, len, 0);
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK GO_AHEAD
	    "552 5.3.4 message exceeds the limit of 100000 octets\r\n" BYE);
	ck_assert_uint_eq(r.rec.ndata, 0);
	run_free(&r);
	free(script);
}
END_TEST

/* The sink's replies are passed on, made safe for the wire. */
START_TEST(sink_replies)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.rec.refuse_mail = 1;
	run(&r, "EHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\n"
	    "QUIT\r\n");
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY
	    "550 5.7.1 sender a@x.org refused\r\n"
	    "503 5.5.1 need MAIL first\r\n" BYE);
	run_free(&r);

	memset(&r, 0, sizeof(r));
	smtpd_reply_set(&r.rec.reply, 451, "4.4.0", "smarthost down\r\n"
	    "250 fake");
	run(&r, "EHLO c\r\n" TXN("a@x.org", "b@y.org")
	    "DATA\r\nx\r\n.\r\nRCPT TO:<c@y.org>\r\nQUIT\r\n");
	ck_assert_str_eq(r.out, GREETING EHLO_REPLY MAIL_OK RCPT_OK GO_AHEAD
	    "451 4.4.0 smarthost down??250 fake\r\n"
	    "503 5.5.1 need MAIL first\r\n" BYE);
	ck_assert_uint_eq(r.rec.ndata, 1);
	run_free(&r);
}
END_TEST

/* The idle hook runs only when every reply is out and input is empty. */
START_TEST(idle_only_when_waiting)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	run(&r, "EHLO c\r\n" TXN("a@x.org", "b@y.org")
	    "DATA\r\nx\r\n.\r\nQUIT\r\n");
	/* All of it in one read: once before the first read only. */
	ck_assert_int_eq(r.rec.nidle, 1);
	run_free(&r);
}
END_TEST

START_TEST(refuse)
{
	struct io_mem *m = io_mem_new("", 0, 0);
	struct io *io = io_new(&io_mem_ops, m, 0);
	struct smtpd_params p = { HOST, NULL, MAX, 0, NULL };
	struct postie_err e;
	const char *out;
	size_t len;

	ck_assert_int_eq(smtpd_refuse(io, &p, "local\nclients only", &e), 0);
	out = io_mem_output(m, &len);
	ck_assert_uint_eq(len, strlen("421 4.7.0 " HOST
	    " local?clients only\r\n"));
	ck_assert_int_eq(memcmp(out, "421 4.7.0 " HOST
	    " local?clients only\r\n", len), 0);
	io_free(io);
}
END_TEST

static Suite *
smtpd_suite(void)
{
	Suite *s = suite_create("smtpd");
	TCase *tc = tcase_create("dialogue");
	TCase *tb = tcase_create("bounds");

	tcase_add_test(tc, basic);
	tcase_add_test(tc, helo);
	tcase_add_test(tc, byte_reads);
	tcase_add_loop_test(tc, dots, 0,
	    sizeof(dot_cases) / sizeof(dot_cases[0]));
	tcase_add_test(tc, terminal);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, lockstep);
	tcase_add_test(tc, pipelined);
	tcase_add_test(tc, two_messages_and_rset);
	tcase_add_loop_test(tc, replies, 0,
	    sizeof(reply_cases) / sizeof(reply_cases[0]));
	tcase_add_test(tc, dsn_and_body);
	tcase_add_test(tc, sink_replies);
	tcase_add_test(tc, idle_only_when_waiting);
	tcase_add_test(tc, refuse);
	suite_add_tcase(s, tc);
	tcase_add_test(tb, too_many_recipients);
	tcase_add_test(tb, overlong_line);
	tcase_add_test(tb, endless_line);
	tcase_add_test(tb, eof_in_data);
	tcase_add_test(tb, eof_without_quit);
	tcase_add_test(tb, timeout);
	tcase_add_test(tb, too_many_errors);
	tcase_add_test(tb, too_many_commands);
	tcase_add_test(tb, size_limit);
	suite_add_tcase(s, tb);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(smtpd_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
