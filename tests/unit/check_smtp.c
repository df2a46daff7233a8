/* SPDX-License-Identifier: ISC */
/*
 * Tests for smtp.c: whole sessions against a scripted server over the
 * in-memory transport (no sockets), asserting the exact bytes sent, the
 * number of transport writes, exit codes and message words, the stage a
 * failure is put at and each recipient's state in the envelope; and the
 * DATA encoder chunk by chunk.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "sasl.h"
#include "smtp.h"

#define PASSWORD	"tanstaaftanstaaf"
#define PLAIN_B64	"AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
#define USER_B64	"dGlt"
#define PASS_B64	"dGFuc3RhYWZ0YW5zdGFhZg=="

#define GREET		"220 mx.example.org ESMTP\r\n"
#define EHLO_PLAIN	"250-mx.example.org\r\n250 HELP\r\n"
#define EHLO_PIPE	"250-mx.example.org\r\n250 PIPELINING\r\n"
#define MSG		"Subject: hi\n\nhello\n"
#define MSG_SENT	"Subject: hi\r\n\r\nhello\r\n.\r\n"

struct run {
	const char *script;
	size_t	 chunk;
	struct account acct;
	struct smtp_params p;
	const char *from;
	char	*rcpts[4];
	size_t	 nrcpts;
	const char *msgtext;
	/* DSN (RFC 3461) and BODY (-B): NULL when not asked for. */
	const char *dsn_notify;
	const char *dsn_return;
	const char *dsn_envid;
	const char *body_type;
	/* Results. */
	struct envelope env;	/* from the fields above; states recorded */
	int	 opened;	/* smtp_session_open succeeded */
	enum smtp_stage open_stage;	/* where the open failed */
	int	 rv;
	struct postie_err err;
	struct smtp_result res;
	char	*out;
	size_t	 outlen;
	size_t	 nwrites;
	char	 trace[16384];
	int	 npw;
	int	 ntls;
	char	*out_at_tls;	/* what was sent when starttls ran */
	struct io_mem *mem;
};

static int
fake_password(void *arg, char *buf, size_t bufsz, struct postie_err *err)
{
	struct run *r = arg;

	r->npw++;
	strlcpy(buf, PASSWORD, bufsz);
	return 1;
}

static int
fake_starttls(void *arg, struct io *io, struct postie_err *err)
{
	struct run *r = arg;
	const char *out;
	size_t len;

	r->ntls++;
	out = io_mem_output(r->mem, &len);
	r->out_at_tls = strndup(out, len);
	ck_assert_uint_eq(io_pending(io), 0);
	return 0;
}

static void
collect(void *arg, enum smtp_dir dir, const char *line)
{
	struct run *r = arg;

	strlcat(r->trace, dir == SMTP_DIR_CLIENT ? "C: " :
	    dir == SMTP_DIR_SERVER ? "S: " : "I: ", sizeof(r->trace));
	strlcat(r->trace, line, sizeof(r->trace));
	strlcat(r->trace, "\n", sizeof(r->trace));
}

static void
run_init(struct run *r, const char *script)
{
	memset(r, 0, sizeof(*r));
	r->script = script;
	r->chunk = 0;
	r->acct.name = "test";
	r->acct.user = "tim";
	r->acct.auth = AUTH_OFF;
	r->p.acct = &r->acct;
	r->p.helo_domain = "client.example";
	r->p.get_password = fake_password;
	r->p.get_password_arg = r;
	r->p.starttls = fake_starttls;
	r->p.starttls_arg = r;
	r->p.trace = collect;
	r->p.trace_arg = r;
	r->from = "a@example.org";
	r->rcpts[0] = "b@example.net";
	r->nrcpts = 1;
	r->msgtext = MSG;
}

static struct msg *
make_msg(const char *text)
{
	struct postie_err err;
	struct msg *m;
	FILE *fp;

	fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), fp), strlen(text));
	ck_assert_int_eq(fflush(fp), 0);
	ck_assert_int_eq(lseek(fileno(fp), 0, SEEK_SET), 0);
	ck_assert_msg(msg_read(&m, fileno(fp), 0, "/tmp", &err) == 0, "%s",
	    err.msg);
	fclose(fp);
	return m;
}

static struct io *
run_io(struct run *r)
{
	struct io *io;

	r->mem = io_mem_new(r->script, strlen(r->script), r->chunk);
	ck_assert_ptr_nonnull(r->mem);
	io = io_new(&io_mem_ops, r->mem, 5);
	ck_assert_ptr_nonnull(io);
	return io;
}

static void
run_done(struct run *r, struct io *io)
{
	const char *out;

	out = io_mem_output(r->mem, &r->outlen);
	r->out = strndup(out, r->outlen);
	r->nwrites = io_mem_writes(r->mem);
	io_free(io);
}

/* r's sender, recipients, DSN and BODY settings into r->env. */
static void
run_env(struct run *r)
{
	struct postie_err err;
	size_t i;

	envelope_free(&r->env);
	ck_assert_int_eq(envelope_set(&r->env.from, r->from, &err), 0);
	for (i = 0; i < r->nrcpts; i++)
		ck_assert_int_eq(envelope_add_rcpt(&r->env, r->rcpts[i], &err),
		    0);
	ck_assert_int_eq(envelope_set(&r->env.dsn_notify, r->dsn_notify,
	    &err), 0);
	ck_assert_int_eq(envelope_set(&r->env.dsn_return, r->dsn_return,
	    &err), 0);
	ck_assert_int_eq(envelope_set(&r->env.dsn_envid, r->dsn_envid,
	    &err), 0);
	ck_assert_int_eq(envelope_set(&r->env.body_type, r->body_type, &err),
	    0);
}

static int	fake_cbind(void *ctx, char *type, size_t typesz,
		    unsigned char *buf, size_t bufsz, size_t *lenp);

/*
 * A one-shot send: open the session, one transaction with last set (QUIT
 * pipelined with the final dot when offered), close.  With cbind the
 * transport offers channel binding as a TLS one would.
 */
static void
run_send_cbind(struct run *r, int cbind)
{
	struct smtp_session *ss;
	struct smtp_txn t;
	struct io *io;
	struct msg *m;

	m = make_msg(r->msgtext);
	run_env(r);
	io = run_io(r);
	if (cbind)
		io_set_cbind(io, fake_cbind);
	memset(&r->err, 0, sizeof(r->err));
	r->open_stage = SMTP_NONE;
	r->rv = smtp_session_open(&ss, io, &r->p, &r->open_stage, &r->err);
	if (r->rv == 0) {
		r->opened = 1;
		memset(&t, 0, sizeof(t));
		t.env = &r->env;
		t.msg = m;
		t.last = 1;
		r->rv = smtp_session_send(ss, &t, &r->res, &r->err);
		smtp_session_close(ss);
	} else
		ck_assert_ptr_null(ss);
	run_done(r, io);
	msg_free(m);
}

static void
run_send(struct run *r)
{
	run_send_cbind(r, 0);
}

static void
run_free(struct run *r)
{
	smtp_result_free(&r->res);
	envelope_free(&r->env);
	free(r->out);
	free(r->out_at_tls);
}

/* Recipient i of the last send: state, reply code and exit code. */
static void
ck_rcpt(const struct run *r, size_t i, enum rcpt_state state, int code,
    int ex)
{
	const struct rcpt_status *st;

	ck_assert_uint_eq(r->env.nstatus, r->env.rcpts.n);
	ck_assert_uint_lt(i, r->env.nstatus);
	st = &r->env.status[i];
	ck_assert_msg(st->state == state, "<%s>: state %d, wanted %d",
	    r->env.rcpts.v[i].spec, (int)st->state, (int)state);
	ck_assert_int_eq(st->code, code);
	ck_assert_int_eq(st->ex, ex);
	if (state == RCPT_REFUSED)
		ck_assert_ptr_nonnull(st->reply);
	else
		ck_assert_ptr_null(st->reply);
}

static int
contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

#define ck_out(r, want)	ck_assert_msg(strcmp((r)->out, (want)) == 0, \
	"sent:\n%s\nwanted:\n%s", (r)->out, (want))
#define ck_has(s, w)	ck_assert_msg(contains((s), (w)), \
	"\"%s\" lacks \"%s\"", (s), (w))
#define ck_lacks(s, w)	ck_assert_msg(!contains((s), (w)), \
	"\"%s\" holds \"%s\"", (s), (w))

START_TEST(full_session)
{
	struct run r;

	run_init(&r, GREET
	    "250-mx.example.org\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"
	    "250 2.1.0 ok\r\n"
	    "250 2.1.5 ok\r\n"
	    "354 go ahead\r\n"
	    "250 2.0.0 queued as ABC\r\n"
	    "221 2.0.0 bye\r\n");
	r.chunk = (size_t)_i;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\n"
	    "MAIL FROM:<a@example.org> SIZE=22\r\n"
	    "RCPT TO:<b@example.net>\r\n"
	    "DATA\r\n"
	    MSG_SENT
	    "QUIT\r\n");
	ck_assert_uint_eq(r.nwrites, 6);
	ck_assert_int_eq(r.res.final_code, 250);
	ck_assert_str_eq(r.res.final_reply, "250 2.0.0 queued as ABC");
	ck_assert_uint_eq(r.res.naccepted, 1);
	ck_assert_uint_eq(r.res.nfails, 0);
	ck_assert_int_eq(r.res.tls, 0);
	ck_assert_str_eq(r.res.auth_mech, "");
	ck_assert_int_eq(r.res.stage, SMTP_DONE);
	ck_rcpt(&r, 0, RCPT_ACCEPTED, 250, 0);
	ck_assert_int_eq(r.npw, 0);
	ck_has(r.trace, "C: EHLO client.example\n");
	ck_has(r.trace, "S: 250 2.0.0 queued as ABC\n");
	ck_has(r.trace, "I: stage: end of DATA\n");
	run_free(&r);
}
END_TEST

START_TEST(pipelining)
{
	struct run r;

	run_init(&r, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"
	    "250 queued\r\n221 bye\r\n");
	r.rcpts[1] = "c@example.net";
	r.nrcpts = 2;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\n"
	    "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.net>\r\n"
	    "RCPT TO:<c@example.net>\r\n"
	    "DATA\r\n"
	    MSG_SENT
	    "QUIT\r\n");
	/* EHLO; MAIL+RCPT+RCPT+DATA; message+dot+QUIT. */
	ck_assert_uint_eq(r.nwrites, 3);
	ck_assert_uint_eq(r.res.naccepted, 2);
	ck_assert_uint_eq(envelope_count(&r.env, RCPT_ACCEPTED), 2);
	ck_rcpt(&r, 1, RCPT_ACCEPTED, 250, 0);
	run_free(&r);
}
END_TEST

START_TEST(no_pipelining)
{
	struct run r;

	run_init(&r, GREET EHLO_PLAIN
	    "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"
	    "250 queued\r\n221 bye\r\n");
	r.rcpts[1] = "c@example.net";
	r.nrcpts = 2;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	/* EHLO, MAIL, RCPT, RCPT, DATA, message, QUIT. */
	ck_assert_uint_eq(r.nwrites, 7);
	run_free(&r);
}
END_TEST

/*
 * Each stage's failures: the server's replies in order (EHLO_PIPE makes
 * the envelope pipelined), the exit code, words of the message, whether
 * QUIT follows, bytes that must or must not have been sent, and the
 * stage the failure is put at (smtp_session_open's *stagep up to AUTH,
 * the transaction's res.stage from MAIL on).
 */
static const struct {
	const char *name;
	const char *script;
	int	 ex;
	const char *words;
	int	 quit;
	const char *sent;
	const char *not_sent;
	enum smtp_stage stage;	/* where it failed: open's before MAIL */
} stage_errors[] = {
	{ "greeting 421", "421 4.3.2 busy\r\n", EX_TEMPFAIL,
	    "at greeting: 421 4.3.2 busy", 1, NULL, "EHLO", SMTP_GREETING },
	{ "greeting 554", "554 no service\r\n", EX_UNAVAILABLE,
	    "at greeting: 554 no service", 1, NULL, "EHLO", SMTP_GREETING },
	{ "greeting closed", "", EX_TEMPFAIL,
	    "at greeting: connection closed by server", 0, NULL, "EHLO",
	    SMTP_GREETING },
	{ "greeting malformed", "22O hi\r\n", EX_PROTOCOL,
	    "at greeting: malformed reply: 22O hi", 0, NULL, "EHLO",
	    SMTP_GREETING },
	{ "EHLO 421", GREET "421 closing\r\n", EX_TEMPFAIL,
	    "at EHLO: 421 closing", 1, NULL, "HELO", SMTP_EHLO },
	{ "HELO 550", GREET "502 no EHLO\r\n550 no HELO either\r\n",
	    EX_UNAVAILABLE, "at HELO: 550 no HELO either", 1,
	    "HELO client.example\r\n", "MAIL", SMTP_HELO },
	{ "MAIL 451", GREET EHLO_PLAIN "451 4.3.0 try later\r\n",
	    EX_TEMPFAIL, "at MAIL FROM: 451 4.3.0 try later", 1, NULL,
	    "RCPT", SMTP_MAIL },
	{ "MAIL 550 5.1.8", GREET EHLO_PLAIN
	    "550 5.1.8 bad sender domain\r\n", EX_DATAERR,
	    "at MAIL FROM: 550 5.1.8 bad sender domain", 1, NULL, "RCPT",
	    SMTP_MAIL },
	{ "MAIL 550 5.7.1", GREET EHLO_PLAIN "550 5.7.1 not yours\r\n",
	    EX_NOPERM, "at MAIL FROM: 550 5.7.1 not yours", 1, NULL, "RCPT",
	    SMTP_MAIL },
	{ "MAIL 354", GREET EHLO_PLAIN "354 what\r\n", EX_PROTOCOL,
	    "at MAIL FROM: unexpected reply: 354 what", 1, NULL, "RCPT",
	    SMTP_MAIL },
	{ "MAIL malformed", GREET EHLO_PLAIN "25O ok\r\n", EX_PROTOCOL,
	    "at MAIL FROM: malformed reply: 25O ok", 0, NULL, "RCPT",
	    SMTP_MAIL },
	{ "MAIL 451 pipelined", GREET EHLO_PIPE "451 4.3.0 try later\r\n"
	    "503 no\r\n503 no\r\n250 reset\r\n", EX_TEMPFAIL,
	    "at MAIL FROM: 451 4.3.0 try later", 1, "DATA\r\nRSET\r\n",
	    "Subject", SMTP_MAIL },
	{ "RCPT 550", GREET EHLO_PLAIN "250 ok\r\n550 5.1.1 unknown user\r\n"
	    "250 reset\r\n", EX_NOUSER,
	    "at RCPT TO <b@example.net>: 550 5.1.1 unknown user", 1,
	    "RSET\r\n", "DATA", SMTP_RCPT },
	{ "RCPT 452", GREET EHLO_PLAIN "250 ok\r\n452 4.5.3 too many\r\n"
	    "250 reset\r\n", EX_TEMPFAIL,
	    "at RCPT TO <b@example.net>: 452 4.5.3 too many", 1,
	    "RSET\r\n", "DATA", SMTP_RCPT },
	{ "RCPT 553", GREET EHLO_PLAIN "250 ok\r\n553 bad mailbox name\r\n"
	    "250 reset\r\n", EX_NOUSER,
	    "at RCPT TO <b@example.net>: 553 bad mailbox name", 1,
	    "RSET\r\n", "DATA", SMTP_RCPT },
	{ "RCPT 550 5.7.1", GREET EHLO_PIPE "250 ok\r\n"
	    "550 5.7.1 relaying denied\r\n554 no\r\n250 reset\r\n",
	    EX_NOPERM, "at RCPT TO <b@example.net>: 550 5.7.1 relaying denied",
	    1, "RSET\r\n", "Subject", SMTP_RCPT },
	{ "DATA 554", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n554 no\r\n",
	    EX_UNAVAILABLE, "at DATA: 554 no", 1, NULL, "Subject", SMTP_DATA },
	{ "DATA 451", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n451 later\r\n",
	    EX_TEMPFAIL, "at DATA: 451 later", 1, NULL, "Subject", SMTP_DATA },
	{ "DATA 250", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n250 what\r\n",
	    EX_PROTOCOL, "at DATA: unexpected reply: 250 what", 1, NULL,
	    "Subject", SMTP_DATA },
	{ "end 451", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n"
	    "451 4.3.0 later\r\n", EX_TEMPFAIL,
	    "at end of DATA: 451 4.3.0 later", 1, MSG_SENT, NULL,
	    SMTP_DATA_END },
	{ "end 552", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n"
	    "552 5.3.4 too big\r\n", EX_DATAERR,
	    "at end of DATA: 552 5.3.4 too big", 1, MSG_SENT, NULL,
	    SMTP_DATA_END },
	{ "end 554", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n"
	    "554 5.7.1 spam\r\n", EX_UNAVAILABLE,
	    "at end of DATA: 554 5.7.1 spam", 1, MSG_SENT, NULL,
	    SMTP_DATA_END },
	{ "end closed", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n",
	    EX_TEMPFAIL, "at end of DATA: connection lost after the final "
	    "dot; the message may have been delivered", 0, MSG_SENT, NULL,
	    SMTP_DATA_END },
	{ "end closed mid-reply", GREET EHLO_PLAIN
	    "250 ok\r\n250 ok\r\n354 go\r\n250-queued\r\n", EX_TEMPFAIL,
	    "connection lost after the final dot", 0, MSG_SENT, NULL,
	    SMTP_DATA_END },
	{ "end closed pipelined", GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n", EX_TEMPFAIL,
	    "connection lost after the final dot", 1, MSG_SENT "QUIT\r\n",
	    NULL, SMTP_DATA_END },
	{ "end malformed", GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n"
	    "250\tok\r\n", EX_PROTOCOL,
	    "at end of DATA: malformed reply: 250\\x09ok", 0, MSG_SENT, NULL,
	    SMTP_DATA_END },
};

START_TEST(stage_error)
{
	enum rcpt_state want;
	struct run r;

	run_init(&r, stage_errors[_i].script);
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_msg(r.err.ex == stage_errors[_i].ex, "%s: ex %d (%s)",
	    stage_errors[_i].name, r.err.ex, r.err.msg);
	ck_assert_msg(contains(r.err.msg, stage_errors[_i].words),
	    "%s: \"%s\" lacks \"%s\"", stage_errors[_i].name, r.err.msg,
	    stage_errors[_i].words);
	if (stage_errors[_i].quit)
		ck_has(r.out, "QUIT\r\n");
	else
		ck_lacks(r.out, "QUIT\r\n");
	if (stage_errors[_i].sent != NULL)
		ck_has(r.out, stage_errors[_i].sent);
	if (stage_errors[_i].not_sent != NULL)
		ck_lacks(r.out, stage_errors[_i].not_sent);
	if (stage_errors[_i].stage < SMTP_MAIL) {
		ck_assert_int_eq(r.opened, 0);
		ck_assert_msg(r.open_stage == stage_errors[_i].stage,
		    "%s: open failed at %s", stage_errors[_i].name,
		    smtp_stage_name(r.open_stage));
	} else {
		ck_assert_int_eq(r.opened, 1);
		ck_assert_msg(r.res.stage == stage_errors[_i].stage,
		    "%s: res.stage %s", stage_errors[_i].name,
		    smtp_stage_name(r.res.stage));
		/* The recipient: not reached, refused, or accepted. */
		ck_assert_uint_eq(r.env.nstatus, 1);
		want = stage_errors[_i].stage == SMTP_MAIL ? RCPT_PENDING :
		    stage_errors[_i].stage == SMTP_RCPT ? RCPT_REFUSED :
		    RCPT_ACCEPTED;
		ck_assert_msg(r.env.status[0].state == want,
		    "%s: recipient state %d", stage_errors[_i].name,
		    (int)r.env.status[0].state);
		ck_assert_int_eq(r.env.status[0].ex, want == RCPT_REFUSED ?
		    stage_errors[_i].ex : 0);
	}
	run_free(&r);
}
END_TEST

START_TEST(ehlo_falls_back_to_helo)
{
	struct run r;

	run_init(&r, GREET "500 5.5.1 what is EHLO\r\n250 hello\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n");
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\nHELO client.example\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\n" MSG_SENT "QUIT\r\n");
	run_free(&r);
}
END_TEST

static const char partial_replies[] =
    "250 ok\r\n"
    "250 ok\r\n"
    "550 5.1.1 <c@example.net> unknown user\r\n"
    "250 ok\r\n"
    "354 go\r\n"
    "250 queued\r\n"
    "221 bye\r\n";

START_TEST(partial_rcpt_failure)
{
	char script[1024];
	struct run r;

	snprintf(script, sizeof(script), "%s%s%s", GREET,
	    _i ? EHLO_PIPE : EHLO_PLAIN, partial_replies);
	run_init(&r, script);
	r.rcpts[1] = "c@example.net";
	r.rcpts[2] = "d@example.net";
	r.nrcpts = 3;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOUSER);
	ck_has(r.err.msg, "message sent to 2 of 3 recipients");
	ck_has(r.err.msg, "<c@example.net>: 550 5.1.1");
	ck_lacks(r.err.msg, "<b@example.net>");
	ck_has(r.out, MSG_SENT);
	ck_assert_int_eq(r.res.final_code, 250);
	ck_assert_uint_eq(r.res.naccepted, 2);
	ck_assert_uint_eq(r.res.nfails, 1);
	ck_assert_str_eq(r.res.fails[0].rcpt, "c@example.net");
	ck_assert_int_eq(r.res.fails[0].code, 550);
	ck_assert_int_eq(r.res.fails[0].ex, EX_NOUSER);
	ck_assert_str_eq(r.res.fails[0].reply,
	    "550 5.1.1 <c@example.net> unknown user");
	/* The envelope records each recipient's reply. */
	ck_assert_int_eq(r.res.stage, SMTP_RCPT);
	ck_rcpt(&r, 0, RCPT_ACCEPTED, 250, 0);
	ck_rcpt(&r, 1, RCPT_REFUSED, 550, EX_NOUSER);
	ck_assert_str_eq(r.env.status[1].reply,
	    "550 5.1.1 <c@example.net> unknown user");
	ck_rcpt(&r, 2, RCPT_ACCEPTED, 250, 0);
	ck_assert_uint_eq(envelope_count(&r.env, RCPT_ACCEPTED), 2);
	ck_assert_uint_eq(envelope_count(&r.env, RCPT_REFUSED), 1);
	ck_assert_uint_eq(envelope_count(&r.env, RCPT_PENDING), 0);
	run_free(&r);
}
END_TEST

/* A temporary and a permanent failure: the permanent one is reported. */
START_TEST(partial_worst_code)
{
	struct run r;

	run_init(&r, GREET EHLO_PIPE "250 ok\r\n452 4.2.2 full\r\n"
	    "250 ok\r\n553 5.1.3 bad\r\n354 go\r\n250 queued\r\n221 bye\r\n");
	r.rcpts[0] = "t@example.net";
	r.rcpts[1] = "ok@example.net";
	r.rcpts[2] = "bad@example.net";
	r.nrcpts = 3;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOUSER);
	ck_has(r.err.msg, "<t@example.net>: 452 4.2.2 full; "
	    "<bad@example.net>: 553 5.1.3 bad");
	ck_assert_uint_eq(r.res.nfails, 2);
	ck_assert_int_eq(r.res.fails[0].ex, EX_TEMPFAIL);
	ck_assert_int_eq(r.res.fails[1].ex, EX_NOUSER);
	ck_assert_int_eq(r.res.stage, SMTP_RCPT);
	ck_rcpt(&r, 0, RCPT_REFUSED, 452, EX_TEMPFAIL);
	ck_rcpt(&r, 1, RCPT_ACCEPTED, 250, 0);
	ck_rcpt(&r, 2, RCPT_REFUSED, 553, EX_NOUSER);
	run_free(&r);
}
END_TEST

START_TEST(all_rejected_no_pipelining)
{
	struct run r;

	run_init(&r, GREET EHLO_PLAIN "250 ok\r\n550 5.1.1 no\r\n"
	    "550 5.1.1 no\r\n250 reset\r\n221 bye\r\n");
	r.rcpts[1] = "c@example.net";
	r.nrcpts = 2;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOUSER);
	ck_has(r.err.msg, "all 2 recipients rejected");
	ck_has(r.err.msg, "<b@example.net>: 550 5.1.1 no; <c@example.net>");
	ck_out(&r, "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.net>\r\nRCPT TO:<c@example.net>\r\n"
	    "RSET\r\nQUIT\r\n");
	ck_assert_int_eq(r.res.final_code, 0);
	ck_assert_int_eq(r.res.stage, SMTP_RCPT);
	ck_rcpt(&r, 0, RCPT_REFUSED, 550, EX_NOUSER);
	ck_rcpt(&r, 1, RCPT_REFUSED, 550, EX_NOUSER);
	run_free(&r);
}
END_TEST

START_TEST(all_rejected_pipelining)
{
	struct run r;

	run_init(&r, GREET EHLO_PIPE "250 ok\r\n550 5.1.1 no\r\n"
	    "554 5.5.1 no valid recipients\r\n250 reset\r\n221 bye\r\n");
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOUSER);
	ck_has(r.err.msg, "at RCPT TO <b@example.net>: 550 5.1.1 no");
	ck_out(&r, "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.net>\r\nDATA\r\nRSET\r\nQUIT\r\n");
	ck_assert_int_eq(r.res.stage, SMTP_RCPT);
	ck_rcpt(&r, 0, RCPT_REFUSED, 550, EX_NOUSER);
	ck_assert_str_eq(r.env.status[0].reply, "550 5.1.1 no");
	run_free(&r);
}
END_TEST

/* DATA answered 354 though no recipient was accepted: empty data. */
START_TEST(all_rejected_data_354)
{
	struct run r;

	run_init(&r, GREET EHLO_PIPE "250 ok\r\n550 5.1.1 no\r\n"
	    "354 go\r\n554 no recipients\r\n250 reset\r\n221 bye\r\n");
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOUSER);
	ck_out(&r, "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.net>\r\nDATA\r\n.\r\nRSET\r\nQUIT\r\n");
	run_free(&r);
}
END_TEST

/*
 * Reply lines past RFC 5321's 512 octets, as real servers send them: a
 * long greeting and a 451 of 600 bytes at RCPT are taken by their code;
 * a line past BOUND_REPLY_LINE is cut and still classified.
 */
START_TEST(long_replies)
{
	static const size_t lens[] = { 600, BOUND_REPLY_LINE + 500 };
	static const char tail[] = "\r\n250 reset\r\n221 bye\r\n";
	size_t n = lens[_i], sz = 3 * lens[_i] + 256, k;
	char *script;
	struct run r;

	script = malloc(sz);
	ck_assert_ptr_nonnull(script);
	memcpy(script, "220 ", 4);
	memset(script + 4, 'g', n - 4);
	k = n;
	k += (size_t)snprintf(script + k, sz - k,
	    "\r\n%s250 ok\r\n451 4.3.0 ", EHLO_PLAIN);
	memset(script + k, 'x', n - 10);
	k += n - 10;
	memcpy(script + k, tail, sizeof(tail));
	run_init(&r, script);
	r.chunk = 1000;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_msg(r.err.ex == EX_TEMPFAIL, "%d %s", r.err.ex, r.err.msg);
	ck_has(r.err.msg, "<b@example.net>: 451 4.3.0 xxxxxxxxxx");
	ck_out(&r, "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.net>\r\nRSET\r\nQUIT\r\n");
	run_free(&r);
	free(script);
}
END_TEST

#define EHLO_TLS_OFFER \
	"250-mx.example.org\r\n250-STARTTLS\r\n250-SIZE 10\r\n" \
	"250 AUTH LOGIN\r\n"

static void
tls_init(struct run *r, const char *script)
{
	run_init(r, script);
	r->acct.tls = 1;
	r->acct.tls_starttls = 1;
	r->chunk = 1;
}

START_TEST(starttls_not_offered)
{
	struct run r;

	tls_init(&r, GREET EHLO_PIPE "221 bye\r\n");
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_UNAVAILABLE);
	ck_assert_str_eq(r.err.msg, "server does not offer STARTTLS "
	    "(tls_starttls is on); refusing to send in cleartext");
	ck_out(&r, "EHLO client.example\r\nQUIT\r\n");
	ck_assert_int_eq(r.ntls, 0);
	ck_assert_int_eq(r.opened, 0);
	ck_assert_int_eq(r.open_stage, SMTP_STARTTLS);
	run_free(&r);
}
END_TEST

START_TEST(starttls_454)
{
	struct run r;

	tls_init(&r, GREET EHLO_TLS_OFFER "454 4.7.0 TLS not available\r\n"
	    "221 bye\r\n");
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_TEMPFAIL);
	ck_assert_str_eq(r.err.msg,
	    "at STARTTLS: 454 4.7.0 TLS not available");
	ck_lacks(r.out, "MAIL");
	ck_assert_int_eq(r.ntls, 0);
	run_free(&r);
}
END_TEST

START_TEST(starttls_injection)
{
	struct run r;

	tls_init(&r, GREET EHLO_TLS_OFFER "220 go ahead\r\n"
	    "250-mx.example.org\r\n250 AUTH PLAIN\r\n");
	/* The whole script in one read: the injected lines are buffered. */
	r.chunk = 0;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_PROTOCOL);
	ck_has(r.err.msg, "bytes received after STARTTLS reply (possible "
	    "response injection); aborting");
	ck_assert_int_eq(r.ntls, 0);
	ck_out(&r, "EHLO client.example\r\nSTARTTLS\r\n");
	run_free(&r);
}
END_TEST

START_TEST(starttls_ok)
{
	struct run r;

	tls_init(&r, GREET EHLO_TLS_OFFER "220 go ahead\r\n"
	    "250-mx.example.org\r\n250 PIPELINING\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n");
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_assert_int_eq(r.ntls, 1);
	ck_assert_str_eq(r.out_at_tls, "EHLO client.example\r\nSTARTTLS\r\n");
	/* EHLO again; SIZE 10 from before TLS is forgotten. */
	ck_out(&r, "EHLO client.example\r\nSTARTTLS\r\n"
	    "EHLO client.example\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\n" MSG_SENT "QUIT\r\n");
	ck_assert_int_eq(r.res.tls, 1);
	ck_has(r.trace, "I: stage: EHLO after STARTTLS\n");
	run_free(&r);
}
END_TEST

START_TEST(starttls_hook_fails)
{
	struct run r;

	tls_init(&r, GREET EHLO_TLS_OFFER "220 go ahead\r\n");
	r.p.starttls = NULL;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_SOFTWARE);
	ck_has(r.err.msg, "at TLS handshake");
	ck_out(&r, "EHLO client.example\r\nSTARTTLS\r\n");
	run_free(&r);
}
END_TEST

static void
auth_init(struct run *r, const char *script, enum conf_auth auth)
{
	run_init(r, script);
	r->acct.auth = auth;
	r->p.tls_active = 1;
}

START_TEST(auth_cleartext_refused)
{
	struct run r;

	run_init(&r, GREET "250-mx.example.org\r\n250 AUTH PLAIN\r\n"
	    "221 bye\r\n");
	r.acct.auth = AUTH_ON;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_has(r.err.msg, "refusing AUTH over a cleartext connection");
	ck_assert_int_eq(r.npw, 0);
	ck_out(&r, "EHLO client.example\r\nQUIT\r\n");
	run_free(&r);

	/* Allowed explicitly. */
	run_init(&r, GREET "250-mx.example.org\r\n250 AUTH PLAIN\r\n"
	    "235 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n");
	r.acct.auth = AUTH_ON;
	r.acct.allow_cleartext_auth = 1;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "AUTH PLAIN " PLAIN_B64 "\r\n");
	run_free(&r);
}
END_TEST

static void
assert_masked(const struct run *r)
{
	ck_lacks(r->trace, PASSWORD);
	ck_lacks(r->trace, PLAIN_B64);
	ck_lacks(r->trace, PASS_B64);
	ck_lacks(r->trace, USER_B64 "\n");
	ck_has(r->trace, "[hidden]");
}

START_TEST(auth_plain)
{
	struct run r;

	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH LOGIN PLAIN\r\n"
	    "235 2.7.0 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
	    "221 bye\r\n", AUTH_ON);
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\nAUTH PLAIN " PLAIN_B64 "\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\n" MSG_SENT "QUIT\r\n");
	ck_assert_str_eq(r.res.auth_mech, "PLAIN");
	ck_assert_int_eq(r.npw, 1);
	ck_has(r.trace, "C: AUTH PLAIN [hidden]\n");
	assert_masked(&r);
	run_free(&r);
}
END_TEST

/*
 * The hook is the only way to a password: without it the account's
 * password key is not read and nothing is sent.
 */
START_TEST(auth_no_hook)
{
	struct run r;

	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH PLAIN\r\n"
	    "221 bye\r\n", AUTH_ON);
	r.acct.password = (char *)PASSWORD;
	r.p.get_password = NULL;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_SOFTWARE);
	ck_has(r.err.msg, "at AUTH PLAIN: no password source for account "
	    "test");
	ck_lacks(r.out, "AUTH");
	ck_lacks(r.out, PLAIN_B64);
	run_free(&r);
}
END_TEST

START_TEST(auth_login)
{
	struct run r;

	/* The old "AUTH=" form alone. */
	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH=LOGIN\r\n"
	    "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n", AUTH_ON);
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\nAUTH LOGIN\r\n"
	    USER_B64 "\r\n" PASS_B64 "\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\n" MSG_SENT "QUIT\r\n");
	ck_assert_str_eq(r.res.auth_mech, "LOGIN");
	ck_has(r.trace, "C: AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nC: [hidden]\n"
	    "S: 334 UGFzc3dvcmQ6\nC: [hidden]\n");
	assert_masked(&r);
	run_free(&r);
}
END_TEST

START_TEST(auth_535)
{
	struct run r;

	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH PLAIN LOGIN\r\n"
	    "535 5.7.8 authentication failed\r\n221 bye\r\n", AUTH_ON);
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_has(r.err.msg, "at AUTH PLAIN: 535 5.7.8 authentication failed; "
	    "check user and password; the server may want an app password "
	    "or OAuth2");
	ck_lacks(r.out, "MAIL");
	ck_has(r.out, "QUIT\r\n");
	assert_masked(&r);
	run_free(&r);

	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH LOGIN\r\n"
	    "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
	    "535 5.7.8 no\r\n221 bye\r\n", AUTH_LOGIN);
	run_send(&r);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_has(r.err.msg, "at AUTH LOGIN: 535 5.7.8 no; check user");
	assert_masked(&r);
	run_free(&r);
}
END_TEST

static const struct {
	enum conf_auth auth;
	const char *ehlo;
	int	 ex;
	const char *words;
} auth_refusals[] = {
	{ AUTH_ON, EHLO_PLAIN, EX_UNAVAILABLE,
	    "the server does not offer AUTH" },
	{ AUTH_LOGIN, "250-mx\r\n250 AUTH PLAIN CRAM-MD5\r\n", EX_UNAVAILABLE,
	    "does not offer AUTH LOGIN (offered: PLAIN CRAM-MD5)" },
	{ AUTH_ON, "250-mx\r\n250 AUTH GSSAPI\r\n", EX_UNAVAILABLE,
	    "offered: GSSAPI" },
	{ AUTH_XOAUTH2, "250-mx\r\n250 AUTH PLAIN CRAM-MD5\r\n",
	    EX_UNAVAILABLE, "does not offer AUTH XOAUTH2" },
};

START_TEST(auth_refused)
{
	char script[512];
	struct run r;

	snprintf(script, sizeof(script), "%s%s221 bye\r\n", GREET,
	    auth_refusals[_i].ehlo);
	auth_init(&r, script, auth_refusals[_i].auth);
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, auth_refusals[_i].ex);
	ck_has(r.err.msg, auth_refusals[_i].words);
	ck_assert_int_eq(r.npw, 0);
	ck_lacks(r.out, "AUTH");
	run_free(&r);
}
END_TEST

/* A challenge after PLAIN's only response: cancelled with "*". */
START_TEST(auth_extra_challenge)
{
	struct run r;

	auth_init(&r, GREET "250-mx\r\n250 AUTH PLAIN\r\n334 \r\n"
	    "501 cancelled\r\n221 bye\r\n", AUTH_PLAIN);
	run_send(&r);
	ck_assert_int_eq(r.err.ex, EX_PROTOCOL);
	ck_has(r.err.msg, "at AUTH PLAIN: unexpected challenge");
	ck_has(r.out, "\r\n*\r\n");
	run_free(&r);

	auth_init(&r, GREET "250-mx\r\n250 AUTH LOGIN\r\n334 #bad#\r\n",
	    AUTH_LOGIN);
	run_send(&r);
	ck_assert_int_eq(r.err.ex, EX_PROTOCOL);
	ck_has(r.err.msg, "at AUTH LOGIN: malformed base64");
	ck_has(r.out, "AUTH LOGIN\r\n*\r\n");
	run_free(&r);
}
END_TEST

/* A challenge whose end was cut cannot be answered: cancelled. */
START_TEST(auth_long_challenge)
{
	static const char tail[] = "\r\n501 cancelled\r\n221 bye\r\n";
	char *script;
	struct run r;
	size_t n, sz = BOUND_REPLY_LINE + 512;

	script = malloc(sz);
	ck_assert_ptr_nonnull(script);
	n = (size_t)snprintf(script, sz, "%s250-mx\r\n250 AUTH LOGIN\r\n"
	    "334 ", GREET);
	memset(script + n, 'A', BOUND_REPLY_LINE);
	n += BOUND_REPLY_LINE;
	memcpy(script + n, tail, sizeof(tail));
	auth_init(&r, script, AUTH_LOGIN);
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_PROTOCOL);
	ck_has(r.err.msg, "at AUTH LOGIN: challenge longer than 2048 bytes");
	ck_out(&r, "EHLO client.example\r\nAUTH LOGIN\r\n*\r\nQUIT\r\n");
	run_free(&r);
	free(script);
}
END_TEST

/* Channel binding as a TLS transport would give it. */
static int
fake_cbind(void *ctx, char *type, size_t typesz, unsigned char *buf,
    size_t bufsz, size_t *lenp)
{
	strlcpy(type, "tls-exporter", typesz);
	memset(buf, 0xab, 32);
	*lenp = 32;
	return 1;
}

/* What "auth on" and each auth value pick from what the server offers. */
static const struct {
	enum conf_auth auth;
	const char *offered;
	int	 cbind;
	const char *sent;	/* the AUTH command, up to its argument */
} auth_choices[] = {
	{ AUTH_ON, "LOGIN PLAIN CRAM-MD5", 0, "AUTH CRAM-MD5\r\n" },
	{ AUTH_ON, "LOGIN PLAIN", 0, "AUTH PLAIN " },
	{ AUTH_ON, "PLAIN SCRAM-SHA-1 CRAM-MD5", 0, "AUTH SCRAM-SHA-1 " },
	{ AUTH_ON, "SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS", 0,
	    "AUTH SCRAM-SHA-256 " },
	{ AUTH_ON, "SCRAM-SHA-1 SCRAM-SHA-256 SCRAM-SHA-256-PLUS", 1,
	    "AUTH SCRAM-SHA-256-PLUS " },
	{ AUTH_ON, "XOAUTH2 OAUTHBEARER EXTERNAL LOGIN", 1, "AUTH LOGIN\r\n" },
	{ AUTH_SCRAM_SHA_1, "SCRAM-SHA-256 SCRAM-SHA-1", 1,
	    "AUTH SCRAM-SHA-1 " },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256-PLUS SCRAM-SHA-256", 1,
	    "AUTH SCRAM-SHA-256-PLUS " },
	{ AUTH_CRAM_MD5, "PLAIN CRAM-MD5", 0, "AUTH CRAM-MD5\r\n" },
	{ AUTH_XOAUTH2, "PLAIN XOAUTH2 OAUTHBEARER", 0, "AUTH XOAUTH2 " },
	{ AUTH_OAUTHBEARER, "PLAIN XOAUTH2 OAUTHBEARER", 0,
	    "AUTH OAUTHBEARER " },
	{ AUTH_EXTERNAL, "PLAIN EXTERNAL", 0, "AUTH EXTERNAL dGlt\r\n" },
	{ AUTH_OAUTH2, "PLAIN XOAUTH2 OAUTHBEARER", 0, "AUTH OAUTHBEARER " },
	{ AUTH_OAUTH2, "PLAIN XOAUTH2", 0, "AUTH XOAUTH2 " },
};

START_TEST(auth_choice)
{
	char script[512];
	struct run r;

	snprintf(script, sizeof(script), "%s250-mx.example.org\r\n"
	    "250 AUTH %s\r\n535 5.7.8 no\r\n221 bye\r\n", GREET,
	    auth_choices[_i].offered);
	auth_init(&r, script, auth_choices[_i].auth);
	r.acct.host = "mx.example.org";
	r.acct.port = 587;
	run_send_cbind(&r, auth_choices[_i].cbind);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_has(r.out, auth_choices[_i].sent);
	ck_lacks(r.out, "MAIL");
	ck_lacks(r.trace, PASSWORD);
	ck_assert_int_eq(r.npw, auth_choices[_i].auth == AUTH_EXTERNAL ? 0 : 1);
	if (auth_choices[_i].cbind &&
	    strstr(auth_choices[_i].sent, "PLUS") != NULL)
		ck_has(r.trace, "I: channel binding: tls-exporter\n");
	run_free(&r);
}
END_TEST

/* A token of 600 bytes: too long for the AUTH line (512 octets). */
static int
long_token(void *arg, char *buf, size_t bufsz, struct postie_err *err)
{
	struct run *r = arg;

	r->npw++;
	ck_assert_uint_gt(bufsz, 600);
	memset(buf, 'T', 600);
	buf[600] = '\0';
	return 0;
}

/*
 * RFC 4954 4: an initial response that would make the AUTH line longer
 * than 512 octets is sent after the server's empty 334; a short one goes
 * with AUTH.
 */
START_TEST(auth_oauth_continuation)
{
	struct run r;

	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH XOAUTH2\r\n"
	    "334 \r\n235 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
	    "221 bye\r\n", AUTH_XOAUTH2);
	r.p.get_password = long_token;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "EHLO client.example\r\nAUTH XOAUTH2\r\n");
	/* "user=tim^Aauth=Bearer TTT..." */
	ck_has(r.out, "\r\ndXNlcj10aW0BYXV0aD1CZWFyZXIgVFRU");
	ck_has(r.trace, "C: AUTH XOAUTH2\nS: 334 \nC: [hidden]\n");
	ck_lacks(r.trace, "VFRU");
	ck_assert_int_eq(r.npw, 1);
	run_free(&r);

	/* With PIPELINING too, OAuth never leads a group (RFC 7628 3.2.2). */
	auth_init(&r, GREET "250-mx.example.org\r\n250-PIPELINING\r\n"
	    "250 AUTH XOAUTH2 OAUTHBEARER\r\n235 ok\r\n250 ok\r\n250 ok\r\n"
	    "354 go\r\n250 ok\r\n221 bye\r\n", AUTH_OAUTH2);
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_lacks(r.trace, "AUTH goes with the first message");
	ck_has(r.trace, "C: AUTH OAUTHBEARER [hidden]\nS: 235 ok\n");
	run_free(&r);

	/* Refused before the 334: the pending response is dropped. */
	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH OAUTHBEARER\r\n"
	    "535 5.7.8 no\r\n221 bye\r\n", AUTH_OAUTHBEARER);
	r.p.get_password = long_token;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_has(r.out, "AUTH OAUTHBEARER\r\n");
	ck_lacks(r.out, "VFRU");
	run_free(&r);
}
END_TEST

/*
 * SCRAM-SHA-256-PLUS sends "p=tls-exporter,," first; SCRAM-SHA-256 with
 * binding at hand but no -PLUS offered sends "y,,".
 */
START_TEST(auth_scram_gs2)
{
	struct postie_err err;
	unsigned char *raw;
	const char *p;
	struct run r;
	size_t len;

	auth_init(&r, GREET "250-mx\r\n250 AUTH SCRAM-SHA-256-PLUS\r\n"
	    "535 5.7.8 no\r\n221 bye\r\n", AUTH_ON);
	run_send_cbind(&r, 1);
	ck_assert_ptr_nonnull(p = strstr(r.out, "AUTH SCRAM-SHA-256-PLUS "));
	p += strlen("AUTH SCRAM-SHA-256-PLUS ");
	ck_assert_int_eq(sasl_b64_decode(p, strcspn(p, "\r"), &raw, &len,
	    &err), 0);
	ck_assert_int_eq(strncmp((char *)raw, "p=tls-exporter,,n=tim,r=", 24),
	    0);
	free(raw);
	run_free(&r);

	auth_init(&r, GREET "250-mx\r\n250 AUTH SCRAM-SHA-256\r\n"
	    "535 5.7.8 no\r\n221 bye\r\n", AUTH_SCRAM_SHA_256);
	run_send_cbind(&r, 1);
	ck_assert_ptr_nonnull(p = strstr(r.out, "AUTH SCRAM-SHA-256 "));
	p += strlen("AUTH SCRAM-SHA-256 ");
	ck_assert_int_eq(sasl_b64_decode(p, strcspn(p, "\r"), &raw, &len,
	    &err), 0);
	ck_assert_int_eq(strncmp((char *)raw, "y,,n=tim,r=", 11), 0);
	free(raw);
	run_free(&r);

	/* A server nonce that does not extend ours: cancelled with "*". */
	auth_init(&r, GREET "250-mx\r\n250 AUTH SCRAM-SHA-1\r\n"
	    "334 cj1ub25jZSxzPVFTWENSK1E2c2VrOGJmOTIsaT00MDk2\r\n"
	    "501 5.7.0 cancelled\r\n221 bye\r\n", AUTH_ON);
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_PROTOCOL);
	ck_has(r.err.msg, "at AUTH SCRAM-SHA-1: malformed server message: "
	    "the nonce does not extend ours");
	ck_has(r.out, "\r\n*\r\nQUIT\r\n");
	run_free(&r);
}
END_TEST

/* RFC 2195's example through a session. */
START_TEST(auth_cram_md5)
{
	struct run r;

	auth_init(&r, GREET "250-mx\r\n250 AUTH CRAM-MD5\r\n"
	    "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
	    "235 2.7.0 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
	    "221 bye\r\n", AUTH_ON);
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "AUTH CRAM-MD5\r\n"
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\nMAIL");
	ck_assert_str_eq(r.res.auth_mech, "CRAM-MD5");
	ck_lacks(r.trace, "dGltIGI5MTNh");
	ck_has(r.trace, "C: [hidden]\n");
	run_free(&r);
}
END_TEST

/*
 * The OAuth 2.0 error challenge: answered with the dummy response (empty
 * for XOAUTH2, 0x01 for OAUTHBEARER, RFC 7628 3.2.3), its status in the
 * error, the token nowhere in the transcript.
 */
START_TEST(auth_oauth_error)
{
	struct run r;

	auth_init(&r, GREET "250-mx\r\n250 AUTH XOAUTH2\r\n"
	    "334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJo"
	    "dHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n"
	    "535-5.7.8 Username and Password not accepted.\r\n"
	    "535 5.7.8 https://support.google.com/mail/?p=BadCredentials\r\n"
	    "221 bye\r\n", AUTH_XOAUTH2);
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_out(&r, "EHLO client.example\r\nAUTH XOAUTH2 "
	    "dXNlcj10aW0BYXV0aD1CZWFyZXIgdGFuc3RhYWZ0YW5zdGFhZgEB\r\n"
	    "\r\nQUIT\r\n");
	ck_has(r.err.msg, "at AUTH XOAUTH2: 535 5.7.8 Username and Password "
	    "not accepted.");
	ck_has(r.err.msg, "(OAuth error status: 400); the access token was "
	    "refused");
	ck_lacks(r.trace, PASSWORD);
	ck_lacks(r.trace, "dXNlcj10aW0BYXV0aD1");
	run_free(&r);

	auth_init(&r, GREET "250-mx\r\n250 AUTH OAUTHBEARER\r\n"
	    "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJtYWlsIn0=\r\n"
	    "535 5.7.8 no\r\n221 bye\r\n", AUTH_OAUTHBEARER);
	r.acct.host = "mx.example.org";
	r.acct.port = 587;
	run_send(&r);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_out(&r, "EHLO client.example\r\nAUTH OAUTHBEARER "
	    "bixhPXRpbSwBaG9zdD1teC5leGFtcGxlLm9yZwFwb3J0PTU4NwFhdXRoPUJlYXJl"
	    "ciB0YW5zdGFhZnRhbnN0YWFmAQE=\r\nAQ==\r\nQUIT\r\n");
	ck_has(r.err.msg, "(OAuth error status: invalid_token)");
	ck_has(r.trace, "C: AUTH OAUTHBEARER [hidden]\n");
	/* -v shows the error challenge decoded (RFC 7628 3.2.2). */
	ck_has(r.trace, "I: OAuth error: {\"status\":\"invalid_token\","
	    "\"scope\":\"mail\"}\n");
	ck_lacks(r.trace, PASSWORD);
	run_free(&r);
}
END_TEST

START_TEST(auth_external)
{
	struct run r;

	auth_init(&r, GREET "250-mx\r\n250 AUTH EXTERNAL PLAIN\r\n"
	    "235 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
	    "221 bye\r\n", AUTH_EXTERNAL);
	r.acct.user = NULL;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "AUTH EXTERNAL =\r\nMAIL");
	ck_assert_int_eq(r.npw, 0);
	ck_assert_str_eq(r.res.auth_mech, "EXTERNAL");
	run_free(&r);

	/* A refused certificate. */
	auth_init(&r, GREET "250-mx\r\n250 AUTH EXTERNAL\r\n"
	    "535 5.7.8 no\r\n221 bye\r\n", AUTH_EXTERNAL);
	run_send(&r);
	ck_assert_int_eq(r.err.ex, EX_NOPERM);
	ck_has(r.out, "AUTH EXTERNAL dGlt\r\n");
	ck_has(r.err.msg, "client certificate");
	run_free(&r);

	/* With PIPELINING it leads the group, as PLAIN does. */
	auth_init(&r, GREET "250-mx\r\n250-PIPELINING\r\n"
	    "250 AUTH EXTERNAL\r\n235 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"
	    "250 ok\r\n221 bye\r\n", AUTH_EXTERNAL);
	r.acct.user = NULL;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_assert_uint_eq(r.nwrites, 3);
	ck_has(r.out, "AUTH EXTERNAL =\r\nMAIL");
	ck_assert_str_eq(r.res.auth_mech, "EXTERNAL");
	run_free(&r);
}
END_TEST

START_TEST(size_refused)
{
	struct run r;

	run_init(&r, GREET "250-mx\r\n250 SIZE 10\r\n221 bye\r\n");
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_DATAERR);
	ck_has(r.err.msg, "message of 22 bytes exceeds the server's limit "
	    "of 10");
	ck_out(&r, "EHLO client.example\r\nQUIT\r\n");
	ck_assert_int_eq(r.res.stage, SMTP_MAIL);
	ck_assert_int_eq(r.env.status[0].state, RCPT_PENDING);
	run_free(&r);

	/* SIZE without a limit, or 0: only announced. */
	run_init(&r, GREET "250-mx\r\n250 SIZE\r\n250 ok\r\n250 ok\r\n"
	    "354 go\r\n250 ok\r\n221 bye\r\n");
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "MAIL FROM:<a@example.org> SIZE=22\r\n");
	run_free(&r);
}
END_TEST

static const struct {
	const char *ehlo;
	const char *msg;
	const char *body_type;
	const char *mail;
} body_cases[] = {
	{ "250-mx\r\n250 8BITMIME\r\n", "Subject: caf\xc3\xa9\n\nx\n", NULL,
	    "MAIL FROM:<a@example.org> BODY=8BITMIME\r\n" },
	{ "250-mx\r\n250 8BITMIME\r\n", "Subject: x\n\ncaf\xc3\xa9\n", NULL,
	    "MAIL FROM:<a@example.org> BODY=8BITMIME\r\n" },
	{ "250-mx\r\n250 8BITMIME\r\n", MSG, NULL,
	    "MAIL FROM:<a@example.org>\r\n" },
	{ "250-mx\r\n250 HELP\r\n", "Subject: x\n\ncaf\xc3\xa9\n", NULL,
	    "MAIL FROM:<a@example.org>\r\n" },
	{ "250-mx\r\n250 8BITMIME\r\n", "Subject: x\n\ncaf\xc3\xa9\n", "7BIT",
	    "MAIL FROM:<a@example.org> BODY=7BIT\r\n" },
	{ "250-mx\r\n250 8BITMIME\r\n", MSG, "8bitmime",
	    "MAIL FROM:<a@example.org> BODY=8BITMIME\r\n" },
};

START_TEST(body_param)
{
	char script[512];
	struct run r;

	snprintf(script, sizeof(script), "%s%s250 ok\r\n250 ok\r\n354 go\r\n"
	    "250 ok\r\n221 bye\r\n", GREET, body_cases[_i].ehlo);
	run_init(&r, script);
	r.msgtext = body_cases[_i].msg;
	r.body_type = body_cases[_i].body_type;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, body_cases[_i].mail);
	run_free(&r);
}
END_TEST

START_TEST(smtputf8)
{
	struct run r;

	run_init(&r, GREET "250-mx\r\n250 SMTPUTF8\r\n250 ok\r\n250 ok\r\n"
	    "354 go\r\n250 ok\r\n221 bye\r\n");
	r.rcpts[0] = "j\xc3\xb6rg@example.net";
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "MAIL FROM:<a@example.org> SMTPUTF8\r\n"
	    "RCPT TO:<j\xc3\xb6rg@example.net>\r\n");
	run_free(&r);

	/* ASCII addresses: no SMTPUTF8 even when offered. */
	run_init(&r, GREET "250-mx\r\n250 SMTPUTF8\r\n250 ok\r\n250 ok\r\n"
	    "354 go\r\n250 ok\r\n221 bye\r\n");
	run_send(&r);
	ck_has(r.out, "MAIL FROM:<a@example.org>\r\n");
	run_free(&r);

	run_init(&r, GREET EHLO_PLAIN "221 bye\r\n");
	r.from = "\xc3\xa9@example.org";
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_UNAVAILABLE);
	ck_has(r.err.msg, "needs SMTPUTF8 which the server does not offer");
	ck_lacks(r.out, "MAIL");
	run_free(&r);
}
END_TEST

START_TEST(dsn_params)
{
	struct run r;

	run_init(&r, GREET "250-mx\r\n250-DSN\r\n250 PIPELINING\r\n"
	    "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n");
	r.rcpts[1] = "c@example.net";
	r.nrcpts = 2;
	r.dsn_notify = "SUCCESS,FAILURE";
	r.dsn_return = "hdrs";
	r.dsn_envid = "id+1=x y";
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "MAIL FROM:<a@example.org> RET=HDRS "
	    "ENVID=id+2B1+3Dx+20y\r\n"
	    "RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE\r\n"
	    "RCPT TO:<c@example.net> NOTIFY=SUCCESS,FAILURE\r\n");
	run_free(&r);

	/* Not offered: not sent. */
	run_init(&r, GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n"
	    "250 ok\r\n221 bye\r\n");
	r.dsn_notify = "NEVER";
	r.dsn_return = "FULL";
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "MAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.net>\r\n");
	ck_has(r.trace, "does not offer DSN");
	run_free(&r);

	/* A value that would smuggle a parameter. */
	run_init(&r, GREET "250-mx\r\n250 DSN\r\n221 bye\r\n");
	r.dsn_notify = "NEVER ORCPT=x";
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_USAGE);
	ck_lacks(r.out, "MAIL");
	run_free(&r);
}
END_TEST

/* Dot-stuffing and line endings, given as the chunks msg_emit passes. */
static const struct {
	const char *chunks[4];
	const char *want;
} dot_cases[] = {
	{ { NULL }, ".\r\n" },
	{ { "" }, ".\r\n" },
	{ { "." }, "..\r\n.\r\n" },
	{ { ".." }, "...\r\n.\r\n" },
	{ { ".x\n" }, "..x\r\n.\r\n" },
	{ { ".\n" }, "..\r\n.\r\n" },
	{ { "a\n.\nb\n" }, "a\r\n..\r\nb\r\n.\r\n" },
	{ { "x.\n" }, "x.\r\n.\r\n" },
	{ { "a\rb" }, "a\r\nb\r\n.\r\n" },
	{ { "a\r" }, "a\r\n.\r\n" },
	{ { "\r" }, "\r\n.\r\n" },
	{ { "\r.x" }, "\r\n..x\r\n.\r\n" },
	{ { "a\nb\n" }, "a\r\nb\r\n.\r\n" },
	{ { "\n" }, "\r\n.\r\n" },
	{ { "\n\n" }, "\r\n\r\n.\r\n" },
	{ { "a\r\nb\r\n" }, "a\r\nb\r\n.\r\n" },
	{ { "a\r\r\nb" }, "a\r\n\r\nb\r\n.\r\n" },
	{ { "a\n\rb\r\n" }, "a\r\n\r\nb\r\n.\r\n" },
	{ { "last" }, "last\r\n.\r\n" },
	{ { "a\r", "\nb" }, "a\r\nb\r\n.\r\n" },
	{ { "a\r", "b" }, "a\r\nb\r\n.\r\n" },
	{ { "a\r", "\r\n" }, "a\r\n\r\n.\r\n" },
	{ { "a\r", "\n", ".b" }, "a\r\n..b\r\n.\r\n" },
	{ { "a\r", "\n.b" }, "a\r\n..b\r\n.\r\n" },
	{ { "a\r", ".b" }, "a\r\n..b\r\n.\r\n" },
	{ { "a\n", ".b\n" }, "a\r\n..b\r\n.\r\n" },
	{ { "a\n", ".", ".\n" }, "a\r\n...\r\n.\r\n" },
	{ { "a", ".b" }, "a.b\r\n.\r\n" },
	{ { "ab", "c\n" }, "abc\r\n.\r\n" },
	{ { "a\r", "" , "\n" }, "a\r\n.\r\n" },
};

START_TEST(dot_encoding)
{
	struct postie_err err;
	struct smtp_dot dot;
	struct io_mem *m;
	const char *out;
	struct io *io;
	size_t i, len;

	m = io_mem_new("", 0, 0);
	io = io_new(&io_mem_ops, m, 5);
	smtp_dot_init(&dot, io);
	for (i = 0; i < 4 && dot_cases[_i].chunks[i] != NULL; i++)
		ck_assert_int_eq(smtp_dot_write(&dot, dot_cases[_i].chunks[i],
		    strlen(dot_cases[_i].chunks[i]), &err), 0);
	ck_assert_int_eq(smtp_dot_end(&dot, &err), 0);
	ck_assert_int_eq(io_flush(io, &err), 0);
	out = io_mem_output(m, &len);
	ck_assert_msg(len == strlen(dot_cases[_i].want) &&
	    memcmp(out, dot_cases[_i].want, len) == 0,
	    "case %d: got \"%.*s\"", _i, (int)len, out);
	ck_assert_uint_eq(dot.nbytes, len - 3);
	io_free(io);
}
END_TEST

/* The same text split at every position gives the same bytes. */
START_TEST(dot_every_split)
{
	static const char text[] = ".a\r\n..b\rc\n\r.\r\r\nd.\n.";
	static const char want[] =
	    "..a\r\n...b\r\nc\r\n\r\n..\r\n\r\nd.\r\n..\r\n.\r\n";
	struct postie_err err;
	struct smtp_dot dot;
	struct io_mem *m;
	const char *out;
	struct io *io;
	size_t split, split2, len, n = sizeof(text) - 1;

	for (split = 0; split <= n; split++) {
		for (split2 = split; split2 <= n; split2++) {
			m = io_mem_new("", 0, 0);
			io = io_new(&io_mem_ops, m, 5);
			smtp_dot_init(&dot, io);
			ck_assert_int_eq(smtp_dot_write(&dot, text, split,
			    &err), 0);
			ck_assert_int_eq(smtp_dot_write(&dot, text + split,
			    split2 - split, &err), 0);
			ck_assert_int_eq(smtp_dot_write(&dot, text + split2,
			    n - split2, &err), 0);
			ck_assert_int_eq(smtp_dot_end(&dot, &err), 0);
			ck_assert_int_eq(io_flush(io, &err), 0);
			out = io_mem_output(m, &len);
			ck_assert_msg(len == sizeof(want) - 1 &&
			    memcmp(out, want, len) == 0,
			    "split %zu,%zu: \"%.*s\"", split, split2,
			    (int)len, out);
			io_free(io);
		}
	}
}
END_TEST

/* The encoding rules one byte at a time, to compare with. */
static size_t
dot_reference(const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	int bol = 1;

	for (i = 0; i < len; i++) {
		if (bol && in[i] == '.')
			out[o++] = '.';
		bol = 0;
		if (in[i] == '\n' || in[i] == '\r') {
			if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
				i++;
			out[o++] = '\r';
			out[o++] = '\n';
			bol = 1;
		} else
			out[o++] = in[i];
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}

/*
 * Large messages (lines short and long, beyond the 64 KiB buffer, with
 * and without CRs) given in chunks of several sizes: the same bytes as
 * the reference, sent in full buffers (one transport write per 64 KiB).
 */
static const size_t big_chunks[] = { 1, 7, 4096, 65536, 100000, 1 << 20 };

START_TEST(dot_large)
{
	size_t n, i, len, want_len, k;
	struct postie_err err;
	struct smtp_dot dot;
	struct io_mem *m;
	char *in, *want;
	const char *out;
	struct io *io;
	unsigned seed = 1;
	int variant;

	/* Small chunks on a smaller message, to keep it quick. */
	n = big_chunks[_i] < 4096 ? 1 << 14 : 1 << 19;
	for (variant = 0; variant < 3; variant++) {
		in = malloc(n);
		want = malloc(n * 2 + 8);
		ck_assert(in != NULL && want != NULL);
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			switch ((seed >> 16) % (variant == 2 ? 20000 : 40)) {
			case 0:
				in[i] = '\n';
				break;
			case 1:
				in[i] = '.';
				break;
			case 2:
				in[i] = variant == 1 ? '\r' : '\n';
				break;
			default:
				in[i] = 'a' + (char)((seed >> 8) % 26);
			}
		}
		want_len = dot_reference(in, n, want);
		m = io_mem_new("", 0, 0);
		io = io_new(&io_mem_ops, m, 5);
		smtp_dot_init(&dot, io);
		for (i = 0; i < n; i += k) {
			k = big_chunks[_i] < n - i ? big_chunks[_i] : n - i;
			ck_assert_int_eq(smtp_dot_write(&dot, in + i, k, &err),
			    0);
		}
		ck_assert_int_eq(smtp_dot_end(&dot, &err), 0);
		ck_assert_int_eq(io_flush(io, &err), 0);
		out = io_mem_output(m, &len);
		ck_assert_uint_eq(len, want_len);
		ck_assert_msg(memcmp(out, want, len) == 0, "variant %d, "
		    "chunks of %zu: bytes differ", variant, big_chunks[_i]);
		ck_assert_uint_eq(dot.nbytes, len - 3);
		ck_assert_uint_le(io_mem_writes(m), len / 65536 + 2);
		io_free(io);
		free(in);
		free(want);
	}
}
END_TEST

/* Through the whole session: a message read from a file, dot lines. */
START_TEST(dot_in_session)
{
	struct run r;

	run_init(&r, GREET EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n"
	    "250 ok\r\n221 bye\r\n");
	r.msgtext = "Subject: dots\n\n.\n..\n.x\r\nend";
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "DATA\r\nSubject: dots\r\n\r\n..\r\n...\r\n..x\r\n"
	    "end\r\n.\r\nQUIT\r\n");
	run_free(&r);
}
END_TEST

/* A large message goes out in 64 KiB transport writes. */
START_TEST(large_message)
{
	size_t i, n = 300 * 1024, lines = 0;
	char *text;
	struct run r;

	text = malloc(n + 1);
	ck_assert_ptr_nonnull(text);
	memcpy(text, "Subject: big\n\n", 14);
	for (i = 14; i < n; i++) {
		text[i] = i % 70 == 0 ? '\n' : 'x';
		if (text[i] == '\n')
			lines++;
	}
	text[n] = '\0';
	run_init(&r, GREET EHLO_PIPE "250 ok\r\n250 ok\r\n354 go\r\n"
	    "250 ok\r\n221 bye\r\n");
	r.msgtext = text;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	/*
	 * Every LF became CRLF (the two in the header section too), the
	 * last line got its CRLF, then the dot.
	 */
	ck_assert_uint_eq(r.outlen, strlen("EHLO client.example\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\n") + n + lines + 2 + 2 + strlen(".\r\nQUIT\r\n"));
	ck_assert_uint_le(r.nwrites, 2 + (n + lines) / 65536 + 1);
	free(text);
	run_free(&r);
}
END_TEST

#define EHLO_AUTH_PIPE	"250-mx.example.org\r\n250-PIPELINING\r\n" \
			"250 AUTH PLAIN LOGIN\r\n"
#define EHLO_CHUNK	"250-mx.example.org\r\n250-PIPELINING\r\n" \
			"250-CHUNKING\r\n250 AUTH PLAIN\r\n"
#define MSG_BDAT	"Subject: hi\r\n\r\nhello\r\n"

/* The AUTH that led the group failed with ex, its error holding words. */
static void
ck_auth_failed(const struct run *r, int ex, const char *words)
{
	ck_assert_int_eq(r->rv, -1);
	ck_assert_int_eq(r->err.ex, ex);
	ck_assert_int_eq(r->res.stage, SMTP_AUTH);
	ck_has(r->err.msg, words);
}

/* RFC 4954 4: AUTH PLAIN leads the envelope's group; DATA ends it. */
START_TEST(auth_leads_group)
{
	struct run r;

	auth_init(&r, GREET EHLO_AUTH_PIPE
	    "235 2.7.0 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n"
	    "221 bye\r\n", AUTH_PLAIN);
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\nAUTH PLAIN " PLAIN_B64 "\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\n" MSG_SENT "QUIT\r\n");
	/* EHLO; AUTH+MAIL+RCPT+DATA; message+dot+QUIT. */
	ck_assert_uint_eq(r.nwrites, 3);
	ck_assert_str_eq(r.res.auth_mech, "PLAIN");
	ck_assert_int_eq(r.res.stage, SMTP_DONE);
	ck_has(r.trace, "C: AUTH PLAIN [hidden]\n");
	assert_masked(&r);
	run_free(&r);
}
END_TEST

/*
 * AUTH fails but the relay says 354 anyway: nothing of the message, not
 * even the dot, is sent; the connection is dropped and the outcome is
 * the AUTH failure.
 */
START_TEST(auth_lead_fails_354)
{
	struct run r;

	auth_init(&r, GREET EHLO_AUTH_PIPE
	    "535 5.7.8 authentication failed\r\n250 ok\r\n250 ok\r\n"
	    "354 go\r\n250 queued\r\n221 bye\r\n", AUTH_PLAIN);
	run_send(&r);
	ck_auth_failed(&r, EX_NOPERM, "at AUTH PLAIN: 535 5.7.8 authentication "
	    "failed");
	ck_out(&r, "EHLO client.example\r\nAUTH PLAIN " PLAIN_B64 "\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\n");
	ck_assert_str_eq(r.res.auth_mech, "");
	ck_has(r.trace, "closing without sending the message");
	run_free(&r);
}
END_TEST

/* AUTH fails and the rest is refused: the AUTH failure, then QUIT. */
START_TEST(auth_lead_fails_refused)
{
	struct run r;

	auth_init(&r, GREET EHLO_AUTH_PIPE
	    "535 5.7.8 authentication failed\r\n"
	    "530 5.7.0 authentication required\r\n503 5.5.1 no MAIL\r\n"
	    "503 5.5.1 no RCPT\r\n221 bye\r\n", AUTH_PLAIN);
	run_send(&r);
	ck_auth_failed(&r, EX_NOPERM, "at AUTH PLAIN: 535 5.7.8");
	ck_out(&r, "EHLO client.example\r\nAUTH PLAIN " PLAIN_B64 "\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "DATA\r\nQUIT\r\n");
	run_free(&r);

	/* Refused for want of AUTH: no recipient has a fate of its own. */
	auth_init(&r, GREET EHLO_AUTH_PIPE
	    "535 5.7.8 authentication failed\r\n250 ok\r\n"
	    "554 5.7.1 access denied\r\n554 5.5.1 no recipients\r\n"
	    "221 bye\r\n", AUTH_PLAIN);
	run_send(&r);
	ck_auth_failed(&r, EX_NOPERM, "at AUTH PLAIN: 535");
	ck_assert_uint_eq(r.res.nfails, 0);
	ck_assert_uint_eq(r.res.naccepted, 0);
	ck_rcpt(&r, 0, RCPT_PENDING, 0, 0);
	run_free(&r);
}
END_TEST

/* A challenge to PLAIN's initial response: the stream is lost. */
START_TEST(auth_lead_challenged)
{
	struct run r;

	auth_init(&r, GREET EHLO_AUTH_PIPE
	    "334 \r\n501 5.5.2 bad base64\r\n503 no\r\n503 no\r\n",
	    AUTH_PLAIN);
	run_send(&r);
	ck_auth_failed(&r, EX_PROTOCOL, "unexpected challenge");
	ck_lacks(r.out, "QUIT");
	run_free(&r);
}
END_TEST

/* Mechanisms whose failure is a challenge never lead a group. */
START_TEST(auth_login_alone)
{
	struct run r;

	auth_init(&r, GREET EHLO_AUTH_PIPE
	    "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n", AUTH_LOGIN);
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	/* EHLO; AUTH; user; password; MAIL+RCPT+DATA; message+QUIT. */
	ck_assert_uint_eq(r.nwrites, 6);
	run_free(&r);
}
END_TEST

/*
 * CHUNKING: the whole message in the envelope's flight, BDAT LAST with
 * the exact CRLF size, no dot-stuffing, QUIT at the end of the flight.
 */
START_TEST(bdat_one_flight)
{
	struct run r;

	auth_init(&r, GREET EHLO_CHUNK
	    "235 2.7.0 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n"
	    "221 bye\r\n", AUTH_PLAIN);
	r.acct.chunking = 1;
	r.msgtext = "Subject: dots\n\n.\n..\rx\r\nend";
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\nAUTH PLAIN " PLAIN_B64 "\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
	    "BDAT 32 LAST\r\nSubject: dots\r\n\r\n.\r\n..\r\nx\r\nend\r\n"
	    "QUIT\r\n");
	ck_assert_uint_eq(r.nwrites, 2);
	ck_assert_int_eq(r.res.final_code, 250);
	ck_assert_str_eq(r.res.final_reply, "250 2.0.0 queued");
	ck_assert_str_eq(r.res.auth_mech, "PLAIN");
	ck_assert_str_eq(r.res.warning, "");
	ck_rcpt(&r, 0, RCPT_ACCEPTED, 250, 0);
	run_free(&r);
}
END_TEST

/* chunking off for the account: DATA as before. */
START_TEST(bdat_off)
{
	struct run r;

	run_init(&r, GREET "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n");
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_has(r.out, "DATA\r\n" MSG_SENT "QUIT\r\n");
	ck_lacks(r.out, "BDAT");
	run_free(&r);
}
END_TEST

/* AUTH failed and BDAT LAST refused: the AUTH failure. */
START_TEST(bdat_auth_refused)
{
	struct run r;

	auth_init(&r, GREET EHLO_CHUNK
	    "535 5.7.8 authentication failed\r\n"
	    "530 5.7.0 authentication required\r\n503 5.5.1 no MAIL\r\n"
	    "503 5.5.1 no RCPT\r\n221 bye\r\n", AUTH_PLAIN);
	r.acct.chunking = 1;
	run_send(&r);
	ck_auth_failed(&r, EX_NOPERM, "at AUTH PLAIN: 535 5.7.8 authentication "
	    "failed");
	ck_assert_str_eq(r.res.warning, "");
	run_free(&r);
}
END_TEST

/*
 * AUTH failed but the server took the message (a relay that trusts the
 * address): delivered, with the AUTH failure as a warning; no retry.
 */
START_TEST(bdat_auth_accepted)
{
	struct run r;

	auth_init(&r, GREET EHLO_CHUNK
	    "535 5.7.8 authentication failed\r\n250 ok\r\n250 ok\r\n"
	    "250 2.0.0 queued\r\n221 bye\r\n", AUTH_PLAIN);
	r.acct.chunking = 1;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_assert_int_eq(r.res.stage, SMTP_DONE);
	ck_assert_int_eq(r.res.final_code, 250);
	ck_has(r.res.warning, "at AUTH PLAIN: 535 5.7.8 authentication "
	    "failed");
	ck_has(r.res.warning, "the server accepted the message");
	ck_assert_str_eq(r.res.auth_mech, "");
	ck_has(r.out, "BDAT 22 LAST\r\n" MSG_BDAT "QUIT\r\n");
	run_free(&r);
}
END_TEST

/* The reply to BDAT LAST is the final one, classified as the dot's. */
START_TEST(bdat_final_refused)
{
	struct run r;

	run_init(&r, GREET "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
	    "250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n221 bye\r\n");
	r.acct.chunking = 1;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_DATAERR);
	ck_assert_int_eq(r.res.stage, SMTP_DATA_END);
	ck_has(r.err.msg, "at end of DATA (BDAT): 552 5.3.4 too big");
	run_free(&r);

	/* Every recipient refused: their error, not BDAT's. */
	run_init(&r, GREET "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
	    "250 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no recipients\r\n"
	    "221 bye\r\n");
	r.acct.chunking = 1;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_NOUSER);
	ck_assert_int_eq(r.res.stage, SMTP_RCPT);
	run_free(&r);
}
END_TEST

/* The connection lost once BDAT LAST is out: it may have been taken. */
START_TEST(bdat_lost)
{
	struct run r;

	run_init(&r, GREET "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
	    "250 ok\r\n");
	r.acct.chunking = 1;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_TEMPFAIL);
	ck_has(r.err.msg, "connection closed by server; after BDAT LAST was "
	    "sent: the message may have been delivered");
	run_free(&r);

	run_init(&r, GREET "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
	    "250 ok\r\n250 ok\r\n");
	r.acct.chunking = 1;
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_TEMPFAIL);
	ck_has(r.err.msg, "at end of DATA (BDAT): connection lost after BDAT "
	    "LAST; the message may have been delivered");
	run_free(&r);
}
END_TEST

/* Without PIPELINING: one reply at a time, BDAT LAST on its own. */
START_TEST(bdat_lockstep)
{
	struct run r;

	run_init(&r, GREET "250-mx\r\n250 CHUNKING\r\n"
	    "250 ok\r\n250 ok\r\n250 queued\r\n221 bye\r\n");
	r.acct.chunking = 1;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_out(&r, "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<b@example.net>\r\nBDAT 22 LAST\r\n" MSG_BDAT
	    "QUIT\r\n");
	/* EHLO; MAIL; RCPT; BDAT; QUIT. */
	ck_assert_uint_eq(r.nwrites, 5);
	run_free(&r);
}
END_TEST

/* A message of several chunks: exact sizes that add up, no waits. */
START_TEST(bdat_large)
{
	size_t i, n = 1000 * 1024, lines = 0, total = 0, chunks = 0, len;
	char *text, *script, *p, *end;
	int last = 0;
	struct run r;

	text = malloc(n + 1);
	ck_assert_ptr_nonnull(text);
	memcpy(text, "Subject: big\n\n", 14);
	for (i = 14; i < n; i++) {
		text[i] = i % 70 == 0 ? '\n' : i % 71 == 0 ? '.' : 'x';
		if (text[i] == '\n')
			lines++;
	}
	text[n] = '\0';
	script = malloc(4096);
	ck_assert_ptr_nonnull(script);
	strlcpy(script, GREET "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
	    "250 ok\r\n250 ok\r\n", 4096);
	/* About 1 MiB: three chunks of 256 KiB, then the LAST one. */
	for (i = 0; i < 3; i++)
		strlcat(script, "250 2.0.0 chunk ok\r\n", 4096);
	strlcat(script, "250 2.0.0 queued\r\n221 bye\r\n", 4096);
	run_init(&r, script);
	r.acct.chunking = 1;
	r.msgtext = text;
	run_send(&r);
	ck_assert_msg(r.rv == 0, "%s", r.err.msg);
	ck_assert_str_eq(r.res.final_reply, "250 2.0.0 queued");
	p = strstr(r.out, "BDAT ");
	ck_assert_ptr_nonnull(p);
	end = r.out + r.outlen;
	while (p < end && strncmp(p, "BDAT ", 5) == 0) {
		len = strtoul(p + 5, &p, 10);
		last = strncmp(p, " LAST\r\n", 7) == 0;
		p += last ? 7 : 2;
		ck_assert_uint_le(len, 256 * 1024);
		ck_assert_uint_le(len, (size_t)(end - p));
		p += len;
		total += len;
		chunks++;
		if (last)
			break;
	}
	ck_assert_int_eq(last, 1);
	ck_assert_uint_eq(chunks, 4);
	/* Every LF became CRLF, the last line got one; nothing stuffed. */
	ck_assert_uint_eq(total, n + lines + 2 + 2);
	ck_assert_str_eq(p, "QUIT\r\n");
	free(text);
	free(script);
	run_free(&r);
}
END_TEST

/*
 * Arguments no transaction can start with: the session is opened first
 * (smtp_session_send checks the envelope), and nothing of the envelope
 * reaches the wire.
 */
START_TEST(bad_arguments)
{
	struct run r;

	run_init(&r, GREET EHLO_PLAIN "221 bye\r\n");
	r.rcpts[0] = "b@example.net\r\nRSET";
	run_send(&r);
	ck_assert_int_eq(r.rv, -1);
	ck_assert_int_eq(r.err.ex, EX_DATAERR);
	ck_out(&r, "EHLO client.example\r\nQUIT\r\n");
	ck_assert_int_eq(r.res.stage, SMTP_NONE);
	run_free(&r);

	/* A bad EHLO domain: the open fails before a byte is sent. */
	run_init(&r, GREET);
	r.p.helo_domain = "a b";
	run_send(&r);
	ck_assert_int_eq(r.err.ex, EX_CONFIG);
	ck_assert_uint_eq(r.outlen, 0);
	ck_assert_int_eq(r.opened, 0);
	run_free(&r);

	run_init(&r, GREET EHLO_PLAIN "221 bye\r\n");
	r.nrcpts = 0;
	run_send(&r);
	ck_assert_int_eq(r.err.ex, EX_USAGE);
	ck_out(&r, "EHLO client.example\r\nQUIT\r\n");
	ck_assert_int_eq(r.res.stage, SMTP_NONE);
	run_free(&r);
}
END_TEST

static char *
serverinfo(struct run *r, int do_auth, int *rvp)
{
	char *buf = NULL;
	size_t len = 0;
	struct io *io;
	FILE *out;

	out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	io = run_io(r);
	*rvp = smtp_serverinfo(io, &r->p, do_auth, out, &r->err);
	run_done(r, io);
	fclose(out);
	return buf;
}

START_TEST(serverinfo_report)
{
	struct run r;
	char *text;
	int rv;

	auth_init(&r, GREET "250-mx.example.org\r\n250-PIPELINING\r\n"
	    "250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n235 ok\r\n221 bye\r\n",
	    AUTH_ON);
	text = serverinfo(&r, 1, &rv);
	ck_assert_msg(rv == 0, "%s", r.err.msg);
	ck_has(text, "Greeting: 220 mx.example.org ESMTP\n");
	ck_has(text, "TLS: yes");
	ck_has(text, "    PIPELINING\n    SIZE 1000\n");
	ck_has(text, "AUTH mechanisms: PLAIN LOGIN\n");
	ck_has(text, "Authentication: succeeded (PLAIN)\n");
	ck_out(&r, "EHLO client.example\r\nAUTH PLAIN " PLAIN_B64 "\r\n"
	    "QUIT\r\n");
	free(text);
	run_free(&r);

	/* Without do_auth: no AUTH, no password. */
	auth_init(&r, GREET "250-mx.example.org\r\n250 AUTH PLAIN\r\n"
	    "221 bye\r\n", AUTH_ON);
	r.p.tls_active = 0;
	text = serverinfo(&r, 0, &rv);
	ck_assert_int_eq(rv, 0);
	ck_has(text, "TLS: no\n");
	ck_lacks(text, "Authentication");
	ck_assert_int_eq(r.npw, 0);
	ck_out(&r, "EHLO client.example\r\nQUIT\r\n");
	free(text);
	run_free(&r);
}
END_TEST

/*
 * Several transactions over one session (a queue flush): the scripted
 * server's replies for the whole session; each message is "msg N".
 */
struct multi {
	struct run r;
	struct io *io;
	struct smtp_session *ss;
	int	 rv[4];
	struct postie_err err[4];
	struct smtp_result res[4];
	struct envelope env[4];
};

#define MSGN(n)		"Subject: " n "\n\nmsg " n "\n"
#define MSGN_SENT(n)	"Subject: " n "\r\n\r\nmsg " n "\r\n.\r\n"
#define TXN_SENT(n)	"MAIL FROM:<a@example.org>\r\n" \
	"RCPT TO:<" n "@example.net>\r\nDATA\r\n" MSGN_SENT(n)

static void
multi_open(struct multi *m, const char *script)
{
	memset(m, 0, sizeof(*m));
	run_init(&m->r, script);
	m->io = run_io(&m->r);
	ck_assert_msg(smtp_session_open(&m->ss, m->io, &m->r.p,
	    &m->r.open_stage, &m->r.err) == 0, "%s", m->r.err.msg);
	ck_assert_int_eq(smtp_session_usable(m->ss), 1);
}

/* Transaction i: from a@example.org to N@example.net, message "msg N". */
static void
multi_send(struct multi *m, int i, const char *n)
{
	char rcpt[64], text[64];
	struct postie_err err;
	struct smtp_txn t;
	struct msg *msg;

	snprintf(rcpt, sizeof(rcpt), "%s@example.net", n);
	snprintf(text, sizeof(text), "Subject: %s\n\nmsg %s\n", n, n);
	msg = make_msg(text);
	ck_assert_int_eq(envelope_set(&m->env[i].from, "a@example.org",
	    &err), 0);
	ck_assert_int_eq(envelope_add_rcpt(&m->env[i], rcpt, &err), 0);
	memset(&t, 0, sizeof(t));
	t.env = &m->env[i];
	t.msg = msg;
	m->rv[i] = smtp_session_send(m->ss, &t, &m->res[i], &m->err[i]);
	msg_free(msg);
}

static void
multi_close(struct multi *m)
{
	smtp_session_close(m->ss);
	m->ss = NULL;
	run_done(&m->r, m->io);
}

static void
multi_free(struct multi *m)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		smtp_result_free(&m->res[i]);
		envelope_free(&m->env[i]);
	}
	run_free(&m->r);
}

#define ck_sent(m, i)	ck_assert_msg((m)->rv[i] == 0, "message %d: %s", \
	(i), (m)->err[i].msg)

/* Two messages pipelined: no RSET, one QUIT at the end. */
START_TEST(session_two)
{
	struct multi m;

	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 2\r\n"
	    "221 bye\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	ck_assert_int_eq(smtp_session_usable(m.ss), 1);
	multi_send(&m, 1, "two");
	ck_sent(&m, 1);
	ck_assert_str_eq(m.res[0].final_reply, "250 queued as 1");
	ck_assert_str_eq(m.res[1].final_reply, "250 queued as 2");
	ck_assert_uint_eq(m.res[1].naccepted, 1);
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    TXN_SENT("two") "QUIT\r\n");
	/* EHLO; envelope, data; envelope, data; QUIT. */
	ck_assert_uint_eq(m.r.nwrites, 6);
	multi_free(&m);
}
END_TEST

/* Without PIPELINING: each command waits for its reply. */
START_TEST(session_two_no_pipelining)
{
	struct multi m;

	multi_open(&m, GREET EHLO_PLAIN
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 2\r\n"
	    "221 bye\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	multi_send(&m, 1, "two");
	ck_sent(&m, 1);
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    TXN_SENT("two") "QUIT\r\n");
	ck_assert_uint_eq(m.r.nwrites, 10);
	multi_free(&m);
}
END_TEST

/*
 * The middle message's only recipient refused: that transaction is
 * aborted with RSET, the session stays usable, the third goes out.
 */
START_TEST(session_rcpt_refused_middle)
{
	struct multi m;

	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n"
	    "250 ok\r\n550 5.1.1 unknown user\r\n554 no valid recipients\r\n"
	    "250 reset\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 3\r\n"
	    "221 bye\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	multi_send(&m, 1, "two");
	ck_assert_int_eq(m.rv[1], -1);
	ck_assert_int_eq(m.err[1].ex, EX_NOUSER);
	ck_has(m.err[1].msg, "at RCPT TO <two@example.net>: 550 5.1.1 "
	    "unknown user");
	ck_assert_int_eq(m.res[1].final_code, 0);
	ck_assert_int_eq(m.res[1].stage, SMTP_RCPT);
	ck_assert_int_eq(m.env[1].status[0].state, RCPT_REFUSED);
	ck_assert_int_eq(m.env[1].status[0].code, 550);
	ck_assert_int_eq(m.env[1].status[0].ex, EX_NOUSER);
	ck_assert_int_eq(smtp_session_usable(m.ss), 1);
	multi_send(&m, 2, "three");
	ck_sent(&m, 2);
	ck_assert_str_eq(m.res[2].final_reply, "250 queued as 3");
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<two@example.net>\r\n"
	    "DATA\r\nRSET\r\n" TXN_SENT("three") "QUIT\r\n");
	multi_free(&m);
}
END_TEST

/*
 * The final dot refused (554) or DATA refused: RFC 5321 4.1.4 wants RSET
 * before the next MAIL, pipelined with it when offered.
 */
START_TEST(session_rset_before_next)
{
	struct multi m;

	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n554 5.7.1 spam\r\n"
	    "250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued as 2\r\n"
	    "221 bye\r\n");
	multi_send(&m, 0, "one");
	ck_assert_int_eq(m.rv[0], -1);
	ck_assert_int_eq(m.err[0].ex, EX_UNAVAILABLE);
	ck_has(m.err[0].msg, "at end of DATA: 554 5.7.1 spam");
	ck_assert_int_eq(m.res[0].stage, SMTP_DATA_END);
	ck_assert_int_eq(m.env[0].status[0].state, RCPT_ACCEPTED);
	ck_assert_int_eq(smtp_session_usable(m.ss), 1);
	multi_send(&m, 1, "two");
	ck_sent(&m, 1);
	ck_assert_int_eq(m.res[1].stage, SMTP_DONE);
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    "RSET\r\n" TXN_SENT("two") "QUIT\r\n");
	/* EHLO; envelope, data; RSET+envelope, data; QUIT. */
	ck_assert_uint_eq(m.r.nwrites, 6);
	multi_free(&m);

	/* DATA refused without PIPELINING: RSET on its own first. */
	multi_open(&m, GREET EHLO_PLAIN
	    "250 ok\r\n250 ok\r\n451 4.3.0 later\r\n"
	    "250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued as 2\r\n"
	    "221 bye\r\n");
	multi_send(&m, 0, "one");
	ck_assert_int_eq(m.rv[0], -1);
	ck_assert_int_eq(m.err[0].ex, EX_TEMPFAIL);
	ck_has(m.err[0].msg, "at DATA: 451 4.3.0 later");
	ck_assert_int_eq(smtp_session_usable(m.ss), 1);
	multi_send(&m, 1, "two");
	ck_sent(&m, 1);
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n"
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<one@example.net>\r\n"
	    "DATA\r\nRSET\r\n" TXN_SENT("two") "QUIT\r\n");
	multi_free(&m);
}
END_TEST

/* A RSET refused: not the message's fault, and the session is over. */
START_TEST(session_rset_refused)
{
	struct multi m;

	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n554 5.7.1 spam\r\n"
	    "500 5.5.1 what\r\n250 ok\r\n");
	multi_send(&m, 0, "one");
	ck_assert_int_eq(m.rv[0], -1);
	multi_send(&m, 1, "two");
	ck_assert_int_eq(m.rv[1], -1);
	ck_assert_int_eq(m.err[1].ex, EX_TEMPFAIL);
	ck_has(m.err[1].msg, "at RSET: 500 5.5.1 what");
	ck_assert_int_eq(m.res[1].stage, SMTP_RSET);
	ck_assert_int_eq(smtp_session_usable(m.ss), 0);
	multi_close(&m);
	/* The replies to the pipelined envelope are unread: no QUIT. */
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    "RSET\r\nMAIL FROM:<a@example.org>\r\n"
	    "RCPT TO:<two@example.net>\r\nDATA\r\n");
	multi_free(&m);
}
END_TEST

/*
 * 421 in the middle (RFC 5321 3.8): that message fails for now, the
 * session takes no more mail and a later send writes nothing.
 */
START_TEST(session_421_middle)
{
	struct multi m;
	size_t len;

	/* At MAIL, without PIPELINING: the stream is in step, QUIT. */
	multi_open(&m, GREET EHLO_PLAIN
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n"
	    "421 4.3.2 shutting down\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	multi_send(&m, 1, "two");
	ck_assert_int_eq(m.rv[1], -1);
	ck_assert_int_eq(m.err[1].ex, EX_TEMPFAIL);
	ck_has(m.err[1].msg, "at MAIL FROM: 421 4.3.2 shutting down");
	ck_assert_int_eq(smtp_session_usable(m.ss), 0);
	io_mem_output(m.r.mem, &len);
	multi_send(&m, 2, "three");
	ck_assert_int_eq(m.rv[2], -1);
	ck_assert_int_eq(m.err[2].ex, EX_TEMPFAIL);
	ck_has(m.err[2].msg, "no more mail");
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    "MAIL FROM:<a@example.org>\r\nQUIT\r\n");
	ck_assert_uint_eq(m.r.outlen, len + strlen("QUIT\r\n"));
	multi_free(&m);

	/* At the final dot, pipelined; then the server is gone. */
	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n421 4.4.2 timeout\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	multi_send(&m, 1, "two");
	ck_assert_int_eq(m.rv[1], -1);
	ck_assert_int_eq(m.err[1].ex, EX_TEMPFAIL);
	ck_has(m.err[1].msg, "at end of DATA: 421 4.4.2 timeout");
	ck_assert_int_eq(m.res[1].final_code, 421);
	ck_assert_int_eq(smtp_session_usable(m.ss), 0);
	multi_send(&m, 2, "three");
	ck_assert_int_eq(m.rv[2], -1);
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    TXN_SENT("two") "QUIT\r\n");
	multi_free(&m);

	/* 421 to a pipelined MAIL, then gone: the 421 is what is said. */
	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n"
	    "421 4.7.0 enough for one connection\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	multi_send(&m, 1, "two");
	ck_assert_int_eq(m.rv[1], -1);
	ck_assert_int_eq(m.err[1].ex, EX_TEMPFAIL);
	ck_has(m.err[1].msg, "at MAIL FROM: 421 4.7.0 enough");
	ck_assert_int_eq(smtp_session_usable(m.ss), 0);
	multi_close(&m);
	ck_lacks(m.r.out, "QUIT");
	multi_free(&m);

	/* Connection lost in the middle: no QUIT on a broken stream. */
	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	multi_send(&m, 1, "two");
	ck_assert_int_eq(m.rv[1], -1);
	ck_assert_int_eq(m.err[1].ex, EX_TEMPFAIL);
	ck_has(m.err[1].msg, "connection closed by server");
	ck_assert_int_eq(smtp_session_usable(m.ss), 0);
	multi_close(&m);
	ck_lacks(m.r.out, "QUIT");
	multi_free(&m);
}
END_TEST

/* Three messages, a permanent refusal at MAIL for the second. */
START_TEST(session_three)
{
	struct multi m;

	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 1\r\n"
	    "550 5.1.8 bad sender\r\n503 no\r\n503 no\r\n250 reset\r\n"
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 3\r\n"
	    "221 bye\r\n");
	multi_send(&m, 0, "one");
	ck_sent(&m, 0);
	multi_send(&m, 1, "two");
	ck_assert_int_eq(m.rv[1], -1);
	ck_assert_int_eq(m.err[1].ex, EX_DATAERR);
	ck_has(m.err[1].msg, "at MAIL FROM: 550 5.1.8 bad sender");
	ck_assert_int_eq(m.res[1].stage, SMTP_MAIL);
	ck_assert_int_eq(m.env[1].status[0].state, RCPT_PENDING);
	ck_assert_int_eq(smtp_session_usable(m.ss), 1);
	multi_send(&m, 2, "three");
	ck_sent(&m, 2);
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("one")
	    "MAIL FROM:<a@example.org>\r\nRCPT TO:<two@example.net>\r\n"
	    "DATA\r\nRSET\r\n" TXN_SENT("three") "QUIT\r\n");
	multi_free(&m);
}
END_TEST

/* A message that cannot start leaves the session as it was. */
START_TEST(session_bad_message)
{
	struct postie_err err;
	struct multi m;
	struct smtp_txn t;

	multi_open(&m, GREET EHLO_PIPE
	    "250 ok\r\n250 ok\r\n354 go\r\n250 queued as 2\r\n221 bye\r\n");
	ck_assert_int_eq(envelope_set(&m.env[0].from, "a@example.org", &err),
	    0);
	ck_assert_int_eq(envelope_add_rcpt(&m.env[0], "b@example.net\r\nRSET",
	    &err), 0);
	memset(&t, 0, sizeof(t));
	t.env = &m.env[0];
	t.msg = make_msg(MSG);
	m.rv[0] = smtp_session_send(m.ss, &t, &m.res[0], &m.err[0]);
	ck_assert_int_eq(m.rv[0], -1);
	ck_assert_int_eq(m.err[0].ex, EX_DATAERR);
	ck_assert_int_eq(m.res[0].stage, SMTP_NONE);
	ck_assert_int_eq(smtp_session_usable(m.ss), 1);
	msg_free(t.msg);
	multi_send(&m, 1, "two");
	ck_sent(&m, 1);
	multi_close(&m);
	ck_out(&m.r, "EHLO client.example\r\n" TXN_SENT("two") "QUIT\r\n");
	multi_free(&m);
}
END_TEST

/* An open that fails says why, QUITs when it can, and leaves nothing. */
START_TEST(session_open_fails)
{
	struct smtp_session *ss = (struct smtp_session *)&ss;
	enum smtp_stage stage = SMTP_DONE;
	struct run r;
	struct io *io;

	run_init(&r, "554 5.3.2 no service\r\n221 bye\r\n");
	io = run_io(&r);
	ck_assert_int_eq(smtp_session_open(&ss, io, &r.p, &stage, &r.err),
	    -1);
	ck_assert_ptr_null(ss);
	ck_assert_int_eq(stage, SMTP_GREETING);
	ck_assert_int_eq(r.err.ex, EX_UNAVAILABLE);
	ck_has(r.err.msg, "at greeting: 554 5.3.2 no service");
	run_done(&r, io);
	ck_out(&r, "QUIT\r\n");
	run_free(&r);
}
END_TEST

static Suite *
smtp_suite(void)
{
	Suite *s = suite_create("smtp");
	TCase *tc = tcase_create("session");
	TCase *td = tcase_create("data");

	tcase_add_loop_test(tc, full_session, 0, 12);
	tcase_add_test(tc, pipelining);
	tcase_add_test(tc, no_pipelining);
	tcase_add_loop_test(tc, stage_error, 0,
	    (int)(sizeof(stage_errors) / sizeof(stage_errors[0])));
	tcase_add_test(tc, ehlo_falls_back_to_helo);
	tcase_add_loop_test(tc, partial_rcpt_failure, 0, 2);
	tcase_add_test(tc, partial_worst_code);
	tcase_add_test(tc, all_rejected_no_pipelining);
	tcase_add_test(tc, all_rejected_pipelining);
	tcase_add_test(tc, all_rejected_data_354);
	tcase_add_loop_test(tc, long_replies, 0, 2);
	tcase_add_test(tc, starttls_not_offered);
	tcase_add_test(tc, starttls_454);
	tcase_add_test(tc, starttls_injection);
	tcase_add_test(tc, starttls_ok);
	tcase_add_test(tc, starttls_hook_fails);
	tcase_add_test(tc, auth_cleartext_refused);
	tcase_add_test(tc, auth_plain);
	tcase_add_test(tc, auth_no_hook);
	tcase_add_test(tc, auth_login);
	tcase_add_test(tc, auth_535);
	tcase_add_loop_test(tc, auth_refused, 0,
	    (int)(sizeof(auth_refusals) / sizeof(auth_refusals[0])));
	tcase_add_test(tc, auth_extra_challenge);
	tcase_add_test(tc, auth_long_challenge);
	tcase_add_loop_test(tc, auth_choice, 0,
	    (int)(sizeof(auth_choices) / sizeof(auth_choices[0])));
	tcase_add_test(tc, auth_scram_gs2);
	tcase_add_test(tc, auth_cram_md5);
	tcase_add_test(tc, auth_oauth_error);
	tcase_add_test(tc, auth_oauth_continuation);
	tcase_add_test(tc, auth_external);
	tcase_add_test(tc, auth_leads_group);
	tcase_add_test(tc, auth_lead_fails_354);
	tcase_add_test(tc, auth_lead_fails_refused);
	tcase_add_test(tc, auth_lead_challenged);
	tcase_add_test(tc, auth_login_alone);
	tcase_add_test(tc, bdat_one_flight);
	tcase_add_test(tc, bdat_off);
	tcase_add_test(tc, bdat_auth_refused);
	tcase_add_test(tc, bdat_auth_accepted);
	tcase_add_test(tc, bdat_final_refused);
	tcase_add_test(tc, bdat_lost);
	tcase_add_test(tc, bdat_lockstep);
	tcase_add_test(tc, bdat_large);
	tcase_add_test(tc, size_refused);
	tcase_add_loop_test(tc, body_param, 0,
	    (int)(sizeof(body_cases) / sizeof(body_cases[0])));
	tcase_add_test(tc, smtputf8);
	tcase_add_test(tc, dsn_params);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, serverinfo_report);
	tcase_add_test(tc, session_two);
	tcase_add_test(tc, session_two_no_pipelining);
	tcase_add_test(tc, session_rcpt_refused_middle);
	tcase_add_test(tc, session_rset_before_next);
	tcase_add_test(tc, session_rset_refused);
	tcase_add_test(tc, session_421_middle);
	tcase_add_test(tc, session_three);
	tcase_add_test(tc, session_bad_message);
	tcase_add_test(tc, session_open_fails);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(td, dot_encoding, 0,
	    (int)(sizeof(dot_cases) / sizeof(dot_cases[0])));
	tcase_add_test(td, dot_every_split);
	tcase_add_loop_test(td, dot_large, 0,
	    sizeof(big_chunks) / sizeof(big_chunks[0]));
	tcase_add_test(td, dot_in_session);
	tcase_add_test(td, large_message);
	suite_add_tcase(s, td);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(smtp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
