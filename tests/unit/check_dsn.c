/* SPDX-License-Identifier: ISC */
/*
 * Tests for dsn.c: which messages get no notice, the reply and status
 * taken from a reason, and the shape of a built notice.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "dsn.h"

static const struct {
	const char *sender, *type, *auto_sub;
	int	 exempt;
} exempts[] = {
	{ "a@example.org", NULL, NULL, 0 },
	{ "", NULL, NULL, 1 },
	{ NULL, NULL, NULL, 1 },
	{ "a@example.org", "text/plain", "no", 0 },
	{ "a@example.org", NULL, " No (a comment)", 0 },
	{ "a@example.org", NULL, "auto-replied", 1 },
	{ "a@example.org", NULL, "auto-generated; owner=x", 1 },
	{ "a@example.org", NULL, "", 1 },
	{ "a@example.org", "multipart/report; report-type=delivery-status; "
	    "boundary=x", NULL, 1 },
	{ "a@example.org", "Multipart/Report;\treport-type=\"Delivery-Status\"",
	    NULL, 1 },
	{ "a@example.org", "multipart/report; report-type=disposition-"
	    "notification", NULL, 0 },
	{ "a@example.org", "multipart/mixed; report-type=delivery-status",
	    NULL, 0 },
};

START_TEST(exempt)
{
	const char *why = dsn_exempt(exempts[_i].sender, exempts[_i].type,
	    exempts[_i].auto_sub);

	ck_assert_msg((why != NULL) == exempts[_i].exempt, "row %d: %s", _i,
	    why != NULL ? why : "(may)");
}
END_TEST

static const struct {
	const char *notify;
	int	 delayed, wants;
} notifies[] = {
	{ NULL, 0, 1 },
	{ NULL, 1, 1 },
	{ "", 0, 1 },
	{ "NEVER", 0, 0 },
	{ "NEVER", 1, 0 },
	{ "SUCCESS", 0, 0 },
	{ "SUCCESS,FAILURE", 0, 1 },
	{ "SUCCESS,FAILURE", 1, 0 },
	{ "delay", 1, 1 },
	{ "FAILURE,DELAY", 1, 1 },
	{ "FAILUREX", 0, 0 },
};

START_TEST(notify)
{
	ck_assert_int_eq(dsn_notify_wants(notifies[_i].notify,
	    notifies[_i].delayed), notifies[_i].wants);
}
END_TEST

static const struct {
	const char *why;
	int	 delayed, expired;
	const char *reply, *status;
} reasons[] = {
	{ "mx.example.org:587: at RCPT TO <b@x>: 550 5.1.1 unknown user", 0,
	    0, "550 5.1.1 unknown user", "5.1.1" },
	{ "at end of DATA: 554 rejected as spam", 0, 0,
	    "554 rejected as spam", "5.0.0" },
	{ "at MAIL FROM: 550 4.1.1 odd", 0, 0, "550 4.1.1 odd", "5.0.0" },
	{ "in the queue for longer than queue_lifetime (60s); last error: "
	    "at RCPT TO <b@x>: 451 4.3.0 try later", 0, 1,
	    "451 4.3.0 try later", "5.4.7" },
	{ "in the queue for longer than queue_lifetime (60s); last error: "
	    "mx:587: connection refused", 0, 1, NULL, "5.4.7" },
	{ "at RCPT TO <b@x>: 452 4.2.2 mailbox full", 1, 0,
	    "452 4.2.2 mailbox full", "4.2.2" },
	{ "host:587: connection refused", 1, 0, NULL, "4.4.7" },
	{ "host:25: timeout after 5000 ms", 0, 0, NULL, "5.0.0" },
};

START_TEST(reason)
{
	char buf[512], st[32];
	int got = dsn_reply(reasons[_i].why, buf, sizeof(buf));

	ck_assert_int_eq(got, reasons[_i].reply != NULL);
	if (got)
		ck_assert_str_eq(buf, reasons[_i].reply);
	dsn_status(reasons[_i].why, reasons[_i].delayed, reasons[_i].expired,
	    st, sizeof(st));
	ck_assert_str_eq(st, reasons[_i].status);
}
END_TEST

static const char headers[] =
    "From: Alice <alice@example.org>\n"
    "To: bob@example.net\n"
    "Subject: hello\n"
    "\n";

static void
notice_init(struct dsn_notice *n, struct dsn_rcpt *r)
{
	memset(n, 0, sizeof(*n));
	r[0].addr = "bob@example.net";
	r[0].why = "mx:587: at RCPT TO <bob@example.net>: 550 5.1.1 no "
	    "such user";
	r[1].addr = "carol@example.net";
	r[1].why = "mx:587: at end of DATA: 554 5.6.0 refused\x01";
	n->reporting = "host.example.org";
	n->remote = "mx.example.org";
	n->from = "alice@example.org";
	n->to = "alice@example.org";
	n->orig_sender = "alice@example.org";
	n->orig_subject = "hello";
	n->queue_id = "20260101T000000-0badc0de";
	n->arrival = 1700000000;
	n->now = 1700003600;
	n->boundary = "=_b0undary.1";
	n->msgid = "<x@host.example.org>";
	n->headers = headers;
	n->headers_len = sizeof(headers) - 1;
	n->rcpts = r;
	n->nrcpts = 2;
}

START_TEST(build_failed)
{
	struct dsn_notice n;
	struct dsn_rcpt r[2];
	struct postie_err e;
	char *out, *p;
	size_t len;

	notice_init(&n, r);
	ck_assert_int_eq(dsn_build(&n, &out, &len, &e), 0);
	ck_assert_uint_eq(strlen(out), len);
	ck_assert_ptr_nonnull(strstr(out, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"=_b0undary.1\"\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nAuto-Submitted: auto-replied\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nSubject: Undelivered mail: "
	    "hello\n"));
	ck_assert_ptr_nonnull(strstr(out, "\n--=_b0undary.1\nContent-Type: "
	    "message/delivery-status\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nReporting-MTA: dns; "
	    "host.example.org\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nFinal-Recipient: rfc822; "
	    "bob@example.net\nAction: failed\nStatus: 5.1.1\nRemote-MTA: dns; "
	    "mx.example.org\nDiagnostic-Code: smtp; 550 5.1.1 no such "
	    "user\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nFinal-Recipient: rfc822; "
	    "carol@example.net\nAction: failed\nStatus: 5.6.0\n"));
	/* A control byte in a reply never reaches the notice raw. */
	ck_assert_ptr_null(strchr(out, '\x01'));
	ck_assert_ptr_nonnull(strstr(out, "refused\\x01\n"));
	/* The headers, then the closing boundary. */
	p = strstr(out, "Content-Type: text/rfc822-headers\n");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(p, "\n\nFrom: Alice <alice@example.org>"
	    "\nTo: bob@example.net\nSubject: hello\n\n--=_b0undary.1--\n"));
	ck_assert_str_eq(out + len - strlen("--=_b0undary.1--\n"),
	    "--=_b0undary.1--\n");
	free(out);
}
END_TEST

START_TEST(build_delayed)
{
	struct dsn_notice n;
	struct dsn_rcpt r[2];
	struct postie_err e;
	char *out;
	size_t len;

	notice_init(&n, r);
	n.delayed = 1;
	n.nrcpts = 1;
	r[0].why = "mx:587: at RCPT TO <bob@example.net>: 451 4.3.0 later";
	n.until = "Mon, 1 Jan 2024 00:00:00 +0000";
	ck_assert_int_eq(dsn_build(&n, &out, &len, &e), 0);
	ck_assert_ptr_nonnull(strstr(out, "\nSubject: Delivery delayed: "
	    "hello\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "\nAction: delayed\nStatus: 4.3.0\n"));
	ck_assert_ptr_nonnull(strstr(out, "until Mon, 1 Jan 2024"));
	ck_assert_ptr_null(strstr(out, "carol"));
	free(out);
}
END_TEST

START_TEST(build_refused)
{
	struct dsn_notice n;
	struct dsn_rcpt r[2];
	struct postie_err e;
	char *out = NULL;
	size_t len;

	notice_init(&n, r);
	n.boundary = "bad\nboundary";
	ck_assert_int_eq(dsn_build(&n, &out, &len, &e), -1);
	ck_assert_int_eq(e.ex, EX_SOFTWARE);
	notice_init(&n, r);
	n.nrcpts = 0;
	ck_assert_int_eq(dsn_build(&n, &out, &len, &e), -1);
	ck_assert_ptr_null(out);
}
END_TEST

static Suite *
dsn_suite(void)
{
	Suite *s = suite_create("dsn");
	TCase *tc = tcase_create("dsn");

	tcase_add_loop_test(tc, exempt, 0,
	    (int)(sizeof(exempts) / sizeof(exempts[0])));
	tcase_add_loop_test(tc, notify, 0,
	    (int)(sizeof(notifies) / sizeof(notifies[0])));
	tcase_add_loop_test(tc, reason, 0,
	    (int)(sizeof(reasons) / sizeof(reasons[0])));
	tcase_add_test(tc, build_failed);
	tcase_add_test(tc, build_delayed);
	tcase_add_test(tc, build_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dsn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
