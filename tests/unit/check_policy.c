/* SPDX-License-Identifier: ISC */
/*
 * Tests for policy.c: the class of each failure by exit code and stage
 * (the table in policy.h), and the verdict on an attempt: each
 * recipient's fate and the exit status of a direct send.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "envelope.h"
#include "policy.h"
#include "smtp.h"

/* A row for every stage from SMTP_NONE to SMTP_DONE. */
#define ANY_STAGE	((int)-1)

static const struct {
	int	 ex;
	int	 stage;		/* enum smtp_stage, or ANY_STAGE */
	enum policy_class class;
} classes[] = {
	/* 4xx, timeouts, lost connections: temporary wherever they come. */
	{ EX_TEMPFAIL, ANY_STAGE, POLICY_TEMP },
	/* 5xx: the server's before the transaction, the message's in it. */
	{ EX_UNAVAILABLE, SMTP_GREETING, POLICY_ACCOUNT },
	{ EX_UNAVAILABLE, SMTP_EHLO, POLICY_ACCOUNT },
	{ EX_UNAVAILABLE, SMTP_STARTTLS, POLICY_ACCOUNT },
	{ EX_UNAVAILABLE, SMTP_MAIL, POLICY_MESSAGE },
	{ EX_UNAVAILABLE, SMTP_RCPT, POLICY_MESSAGE },
	{ EX_UNAVAILABLE, SMTP_DATA, POLICY_MESSAGE },
	{ EX_UNAVAILABLE, SMTP_DATA_END, POLICY_MESSAGE },
	/* 5.7.x: the account's up to MAIL, the message's after. */
	{ EX_NOPERM, SMTP_AUTH, POLICY_ACCOUNT },
	{ EX_NOPERM, SMTP_TLS, POLICY_ACCOUNT },
	{ EX_NOPERM, SMTP_MAIL, POLICY_ACCOUNT },
	{ EX_NOPERM, SMTP_RCPT, POLICY_MESSAGE },
	{ EX_NOPERM, SMTP_DATA_END, POLICY_MESSAGE },
	/* A protocol violation is the server's, anywhere. */
	{ EX_PROTOCOL, ANY_STAGE, POLICY_ACCOUNT },
	{ EX_CONFIG, SMTP_NONE, POLICY_ACCOUNT },
	{ EX_CONFIG, SMTP_CONNECT, POLICY_ACCOUNT },
	{ EX_CONFIG, SMTP_AUTH, POLICY_ACCOUNT },
	/* The message, its addresses or its command line, before SMTP. */
	{ EX_DATAERR, SMTP_NONE, POLICY_MESSAGE },
	{ EX_USAGE, SMTP_NONE, POLICY_MESSAGE },
	{ EX_NOUSER, SMTP_NONE, POLICY_MESSAGE },
	{ EX_NOUSER, SMTP_RCPT, POLICY_MESSAGE },
	/* 8-bit bytes this server cannot take (mime.h), before MAIL. */
	{ EX_DATAERR, SMTP_MAIL, POLICY_MESSAGE },
	/* Local system errors: try later. */
	{ EX_OSERR, SMTP_NONE, POLICY_TEMP },
	{ EX_OSERR, SMTP_DATA, POLICY_TEMP },
	{ 0, SMTP_DONE, POLICY_DONE },
	{ 0, SMTP_NONE, POLICY_DONE },
};

START_TEST(classify)
{
	enum policy_class got;
	int first, last, st;

	first = classes[_i].stage == ANY_STAGE ? SMTP_NONE :
	    classes[_i].stage;
	last = classes[_i].stage == ANY_STAGE ? SMTP_DONE : classes[_i].stage;
	for (st = first; st <= last; st++) {
		got = policy_classify(classes[_i].ex, (enum smtp_stage)st);
		ck_assert_msg(got == classes[_i].class, "ex %d at %s: %s, "
		    "wanted %s", classes[_i].ex,
		    smtp_stage_name((enum smtp_stage)st),
		    policy_class_name(got),
		    policy_class_name(classes[_i].class));
	}
}
END_TEST

START_TEST(class_names)
{
	ck_assert_str_eq(policy_class_name(POLICY_DONE), "delivered");
	ck_assert_str_eq(policy_class_name(POLICY_TEMP), "temporary");
	ck_assert_str_eq(policy_class_name(POLICY_ACCOUNT), "account");
	ck_assert_str_eq(policy_class_name(POLICY_MESSAGE), "message");
}
END_TEST

/* One recipient's reply to RCPT; code 0: not marked (pending). */
struct mark {
	int	 code;
	int	 ex;
};

#define ACC	{ 250, 0 }
#define PEND	{ 0, 0 }

static const struct {
	const char *name;
	size_t	 n;			/* recipients */
	int	 reset;			/* 0: no status array at all */
	struct mark marks[3];
	/* The outcome. */
	int	 ex;
	enum smtp_stage stage;
	int	 final_code;
	int	 expired;
	/* The verdict: one letter a recipient, Delivered Kept Failed. */
	const char *fates;
	enum policy_class kept_class;	/* when some are kept */
	int	 exit_kept;		/* policy_exit(v, 1) */
	int	 exit_lost;		/* policy_exit(v, 0) */
	const char *failed_words;	/* in failed_why, or NULL */
} settles[] = {
	{ "all accepted, 250", 2, 1, { ACC, ACC }, 0, SMTP_DONE, 250, 0,
	    "DD", POLICY_DONE, 0, 0, NULL },
	{ "550 and 450, none accepted", 2, 1,
	    { { 550, EX_NOUSER }, { 450, EX_TEMPFAIL } }, EX_NOUSER,
	    SMTP_RCPT, 0, 0, "FK", POLICY_TEMP, EX_NOUSER, EX_NOUSER,
	    "550" },
	{ "250, 450, then 250", 2, 1, { ACC, { 450, EX_TEMPFAIL } },
	    EX_TEMPFAIL, SMTP_RCPT, 250, 0, "DK", POLICY_TEMP, 0,
	    EX_TEMPFAIL, NULL },
	{ "250, 550, 450, then 250", 3, 1,
	    { ACC, { 550, EX_NOUSER }, { 450, EX_TEMPFAIL } }, EX_NOUSER,
	    SMTP_RCPT, 250, 0, "DFK", POLICY_TEMP, EX_NOUSER, EX_NOUSER,
	    NULL },
	{ "all accepted, 554 at the dot", 2, 1, { ACC, ACC },
	    EX_UNAVAILABLE, SMTP_DATA_END, 554, 0, "FF", POLICY_DONE,
	    EX_UNAVAILABLE, EX_UNAVAILABLE, "554" },
	{ "connection refused", 3, 0, { PEND, PEND, PEND }, EX_TEMPFAIL,
	    SMTP_CONNECT, 0, 0, "KKK", POLICY_TEMP, 0, EX_TEMPFAIL, NULL },
	{ "no STARTTLS", 2, 0, { PEND, PEND }, EX_UNAVAILABLE,
	    SMTP_STARTTLS, 0, 0, "KK", POLICY_ACCOUNT, 0, EX_UNAVAILABLE,
	    NULL },
	{ "535 at AUTH", 2, 0, { PEND, PEND }, EX_NOPERM, SMTP_AUTH, 0, 0,
	    "KK", POLICY_ACCOUNT, 0, EX_NOPERM, NULL },
	{ "451 at MAIL, pending", 2, 1, { PEND, PEND }, EX_TEMPFAIL,
	    SMTP_MAIL, 0, 0, "KK", POLICY_TEMP, 0, EX_TEMPFAIL, NULL },
	{ "550 5.1.8 at MAIL", 2, 1, { PEND, PEND }, EX_DATAERR, SMTP_MAIL,
	    0, 0, "FF", POLICY_DONE, EX_DATAERR, EX_DATAERR, "at MAIL FROM" },
	{ "expired, connection refused", 2, 0, { PEND, PEND }, EX_TEMPFAIL,
	    SMTP_CONNECT, 0, 1, "FF", POLICY_DONE, EX_UNAVAILABLE,
	    EX_UNAVAILABLE, "queue_lifetime" },
	{ "expired, 250 and 450", 2, 1, { ACC, { 450, EX_TEMPFAIL } },
	    EX_TEMPFAIL, SMTP_RCPT, 250, 1, "DF", POLICY_DONE,
	    EX_UNAVAILABLE, EX_UNAVAILABLE, "queue_lifetime" },
	{ "all accepted, 451 at the dot", 2, 1, { ACC, ACC }, EX_TEMPFAIL,
	    SMTP_DATA_END, 451, 0, "KK", POLICY_TEMP, 0, EX_TEMPFAIL, NULL },
	/* The refused recipient has its own fate, not the dot's. */
	{ "250, 550, then 451 at the dot", 2, 1,
	    { ACC, { 550, EX_NOUSER } }, EX_TEMPFAIL, SMTP_DATA_END, 451, 0,
	    "KF", POLICY_TEMP, EX_NOUSER, EX_NOUSER, NULL },
	{ "all accepted, lost after the dot", 1, 1, { ACC }, EX_TEMPFAIL,
	    SMTP_DATA_END, 0, 0, "K", POLICY_TEMP, 0, EX_TEMPFAIL, NULL },
};

static const char *const rcpts[] = {
	"a@example.net", "b@example.net", "c@example.net"
};

START_TEST(settle)
{
	struct policy_outcome o;
	struct policy_verdict v;
	struct postie_err e;
	struct envelope env;
	char why[POSTIE_ERR_MSG];
	size_t i, nd = 0, nk = 0, nf = 0;
	const char *name = settles[_i].name;
	unsigned char *sel;
	int fate;

	memset(&env, 0, sizeof(env));
	ck_assert_int_eq(envelope_set(&env.from, "me@example.org", &e), 0);
	for (i = 0; i < settles[_i].n; i++)
		ck_assert_int_eq(envelope_add_rcpt(&env, rcpts[i], &e), 0);
	if (settles[_i].reset) {
		ck_assert_int_eq(envelope_reset(&env, &e), 0);
		for (i = 0; i < settles[_i].n; i++) {
			if (settles[_i].marks[i].code == 0)
				continue;
			snprintf(why, sizeof(why), "%d reply for <%s>",
			    settles[_i].marks[i].code, rcpts[i]);
			ck_assert_int_eq(envelope_mark(&env, i,
			    settles[_i].marks[i].code, settles[_i].marks[i].ex,
			    settles[_i].marks[i].ex != 0 ? why : NULL, &e), 0);
		}
	}
	snprintf(why, sizeof(why), "at %s: %d failure",
	    smtp_stage_name(settles[_i].stage), settles[_i].final_code != 0 ?
	    settles[_i].final_code : settles[_i].marks[0].code);
	memset(&o, 0, sizeof(o));
	o.ex = settles[_i].ex;
	o.stage = settles[_i].stage;
	o.msg = settles[_i].ex != 0 ? why : "";
	o.final_code = settles[_i].final_code;
	o.expired = settles[_i].expired;
	o.lifetime = 432000;

	ck_assert_msg(policy_settle(&env, &o, &v, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(v.n, settles[_i].n);
	for (i = 0; i < v.n; i++) {
		fate = settles[_i].fates[i] == 'D' ? FATE_DELIVERED :
		    settles[_i].fates[i] == 'K' ? FATE_KEPT : FATE_FAILED;
		ck_assert_msg(v.fate[i] == fate, "%s: <%s> fate %d, wanted %c",
		    name, rcpts[i], v.fate[i], settles[_i].fates[i]);
		nd += fate == FATE_DELIVERED;
		nk += fate == FATE_KEPT;
		nf += fate == FATE_FAILED;
	}
	ck_assert_msg(v.ndelivered == nd && v.nkept == nk && v.nfailed == nf,
	    "%s: %zu delivered, %zu kept, %zu failed", name, v.ndelivered,
	    v.nkept, v.nfailed);
	if (nk > 0)
		ck_assert_msg(v.kept_class == settles[_i].kept_class,
		    "%s: kept as %s", name, policy_class_name(v.kept_class));
	ck_assert_msg(policy_exit(&v, 1) == settles[_i].exit_kept,
	    "%s: exit %d when kept", name, policy_exit(&v, 1));
	ck_assert_msg(policy_exit(&v, 0) == settles[_i].exit_lost,
	    "%s: exit %d when not kept", name, policy_exit(&v, 0));
	if (settles[_i].failed_words != NULL)
		ck_assert_msg(strstr(v.failed_why,
		    settles[_i].failed_words) != NULL, "%s: failed_why \"%s\"",
		    name, v.failed_why);
	if (nf > 0)
		ck_assert_str_ne(v.failed_why, "");
	if (nk > 0)
		ck_assert_str_ne(v.kept_why, "");

	/* policy_select picks exactly the recipients of one fate. */
	ck_assert_ptr_nonnull(sel = policy_select(&v, FATE_KEPT));
	for (i = 0; i < v.n; i++)
		ck_assert_int_eq(sel[i], settles[_i].fates[i] == 'K');
	free(sel);
	policy_verdict_free(&v);
	envelope_free(&env);
}
END_TEST

/* A recipient refused at RCPT keeps its own reply as the reason. */
START_TEST(settle_words)
{
	struct policy_outcome o;
	struct policy_verdict v;
	struct postie_err e;
	struct envelope env;

	memset(&env, 0, sizeof(env));
	ck_assert_int_eq(envelope_set(&env.from, "", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env, "a@example.net", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env, "b@example.net", &e), 0);
	ck_assert_int_eq(envelope_reset(&env, &e), 0);
	ck_assert_int_eq(envelope_mark(&env, 0, 250, 0, NULL, &e), 0);
	ck_assert_int_eq(envelope_mark(&env, 1, 452, EX_TEMPFAIL,
	    "452 4.2.2 full", &e), 0);
	ck_assert_uint_eq(envelope_count(&env, RCPT_ACCEPTED), 1);
	ck_assert_uint_eq(envelope_count(&env, RCPT_REFUSED), 1);
	ck_assert_uint_eq(envelope_count(&env, RCPT_PENDING), 0);
	memset(&o, 0, sizeof(o));
	o.ex = EX_TEMPFAIL;
	o.stage = SMTP_RCPT;
	o.msg = "at RCPT TO: message sent to 1 of 2 recipients; rejected: "
	    "<b@example.net>: 452 4.2.2 full";
	o.final_code = 250;
	ck_assert_int_eq(policy_settle(&env, &o, &v, &e), 0);
	ck_assert_uint_eq(v.ndelivered, 1);
	ck_assert_uint_eq(v.nkept, 1);
	ck_assert_int_eq(v.kept_ex, EX_TEMPFAIL);
	ck_assert_ptr_nonnull(strstr(v.kept_why, "452 4.2.2 full"));
	/* Each recipient's own reason: only the refused one has one. */
	ck_assert_ptr_null(v.own[0]);
	ck_assert_str_eq(v.own[1], "at RCPT TO <b@example.net>: 452 4.2.2 "
	    "full");
	policy_verdict_free(&v);

	/* Past queue_lifetime: failed, the lifetime and last error said. */
	o.expired = 1;
	o.lifetime = 3600;
	ck_assert_int_eq(policy_settle(&env, &o, &v, &e), 0);
	ck_assert_uint_eq(v.nfailed, 1);
	ck_assert_uint_eq(v.nkept, 0);
	ck_assert_int_eq(v.failed_ex, EX_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(v.failed_why, "queue_lifetime (3600s)"));
	ck_assert_ptr_nonnull(strstr(v.failed_why, "452 4.2.2 full"));
	policy_verdict_free(&v);
	envelope_free(&env);
}
END_TEST

/* When the fallback accounts may try again (policy_failover). */
static const struct {
	int	 ex;
	enum smtp_stage stage;
	int	 final_code;
	int	 refused;	/* the first recipient refused on its own */
	int	 failover;
} failovers[] = {
	{ 0, SMTP_DONE, 250, 0, 0 },
	{ EX_TEMPFAIL, SMTP_CONNECT, 0, 0, 1 },
	{ EX_NOHOST, SMTP_CONNECT, 0, 0, 1 },
	{ EX_UNAVAILABLE, SMTP_GREETING, 0, 0, 1 },
	{ EX_PROTOCOL, SMTP_TLS, 0, 0, 1 },
	{ EX_NOPERM, SMTP_AUTH, 0, 0, 1 },
	{ EX_CONFIG, SMTP_NONE, 0, 0, 1 },
	{ EX_TEMPFAIL, SMTP_MAIL, 0, 0, 1 },
	{ EX_NOPERM, SMTP_MAIL, 0, 0, 1 },
	/* The message's own failure: never. */
	{ EX_UNAVAILABLE, SMTP_MAIL, 0, 0, 0 },
	/* A recipient refused on its own stays with the first account. */
	{ EX_TEMPFAIL, SMTP_RCPT, 0, 1, 0 },
	/* From DATA on, the server may have the message. */
	{ EX_TEMPFAIL, SMTP_DATA, 0, 0, 0 },
	{ EX_TEMPFAIL, SMTP_DATA_END, 0, 0, 0 },
	{ EX_TEMPFAIL, SMTP_DATA_END, 451, 0, 0 },
	{ EX_UNAVAILABLE, SMTP_DATA_END, 554, 0, 0 },
};

START_TEST(failover)
{
	struct policy_outcome o;
	struct postie_err e;
	struct envelope env;

	memset(&env, 0, sizeof(env));
	ck_assert_int_eq(envelope_set(&env.from, "me@example.org", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env, rcpts[0], &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env, rcpts[1], &e), 0);
	ck_assert_int_eq(envelope_reset(&env, &e), 0);
	if (failovers[_i].refused)
		ck_assert_int_eq(envelope_mark(&env, 0, 451, EX_TEMPFAIL,
		    "451 later", &e), 0);
	memset(&o, 0, sizeof(o));
	o.ex = failovers[_i].ex;
	o.stage = failovers[_i].stage;
	o.final_code = failovers[_i].final_code;
	o.msg = "";
	ck_assert_int_eq(policy_failover(&env, &o), failovers[_i].failover);
	envelope_free(&env);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, classify, 0,
	    (int)(sizeof(classes) / sizeof(classes[0])));
	tcase_add_test(tc, class_names);
	tcase_add_loop_test(tc, settle, 0,
	    (int)(sizeof(settles) / sizeof(settles[0])));
	tcase_add_test(tc, settle_words);
	tcase_add_loop_test(tc, failover, 0,
	    (int)(sizeof(failovers) / sizeof(failovers[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
