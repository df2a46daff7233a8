/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/monitor.c: the health check's status and line as a
 * table of queues, and mailq --json's lines for records of every kind.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"
#include "queue.h"

#define NOW	((time_t)2000000000)
#define H	3600L
#define D	86400L

/* One message of a queue: where it is, why it waits, how old it is. */
struct item {
	char	 kind;		/* q: queued, h: on hold, f: failed,
				   u: unreadable, 0: end */
	enum queue_fault fault;
	long	 age;
};

static const struct health_case {
	const char *name;
	struct item items[4];
	long	 warn, crit;
	enum monitor_status want;
	const char *text;	/* in the line before " | " */
	const char *perf;	/* the line after " | " */
} cases[] = {
	{ "empty", { { 0 } }, H, D, MONITOR_OK, "POSTIE OK - 0 queued, "
	    "0 failed",
	    "queued=0 held=0 failed=0 account=0 unreadable=0 oldest=0s;3600;"
	    "86400;0" },
	{ "young temporary", { { 'q', QUEUE_FAULT_TEMP, 90 } }, H, D,
	    MONITOR_OK, "POSTIE OK - 1 queued, 0 failed, oldest 1m30s",
	    "queued=1 held=0 failed=0 account=0 unreadable=0 oldest=90s;3600;"
	    "86400;0" },
	{ "not tried yet", { { 'q', QUEUE_FAULT_NONE, 0 } }, H, D,
	    MONITOR_OK, "POSTIE OK - 1 queued, 0 failed, oldest 0s", NULL },
	{ "as old as warn", { { 'q', QUEUE_FAULT_TEMP, H } }, H, D,
	    MONITOR_OK, "oldest 1h", NULL },
	{ "older than warn", { { 'q', QUEUE_FAULT_TEMP, 2 * H + 300 } }, H,
	    D, MONITOR_WARNING, "POSTIE WARNING - 1 queued, 0 failed, oldest "
	    "2h05m (over 1h)", "queued=1 held=0 failed=0 account=0 "
	    "unreadable=0 oldest=7500s;3600;86400;0" },
	{ "older than crit", { { 'q', QUEUE_FAULT_TEMP, 2 * D + 4 * H },
	    { 'q', QUEUE_FAULT_TEMP, 60 } }, H, D, MONITOR_CRITICAL,
	    "POSTIE CRITICAL - 2 queued, 0 failed, oldest 2d04h (over 1d)",
	    NULL },
	{ "thresholds given", { { 'q', QUEUE_FAULT_TEMP, 45 * 60 } },
	    30 * 60, H, MONITOR_WARNING, "oldest 45m (over 30m)",
	    "queued=1 held=0 failed=0 account=0 unreadable=0 oldest=2700s;"
	    "1800;3600;0" },
	{ "failed", { { 'f', QUEUE_FAULT_NONE, 3 * D } }, H, D,
	    MONITOR_WARNING, "POSTIE WARNING - 0 queued, 1 failed",
	    "queued=0 held=0 failed=1 account=0 unreadable=0 oldest=0s;3600;"
	    "86400;0" },
	{ "failed, was an account fault", { { 'f', QUEUE_FAULT_ACCOUNT, 60 } },
	    H, D, MONITOR_WARNING, NULL, NULL },
	{ "account fault", { { 'q', QUEUE_FAULT_ACCOUNT, 60 } }, H, D,
	    MONITOR_CRITICAL, "POSTIE CRITICAL - 1 queued, 0 failed, oldest "
	    "1m; 1 kept for its account or config, 20260101T000000-"
	    "00000000: at AUTH PLAIN: 535 5.7.8 no / really",
	    "queued=1 held=0 failed=0 account=1 unreadable=0 oldest=60s;3600;"
	    "86400;0" },
	{ "account fault and failed", { { 'f', QUEUE_FAULT_NONE, 60 },
	    { 'q', QUEUE_FAULT_TEMP, 60 }, { 'q', QUEUE_FAULT_ACCOUNT, 60 } },
	    H, D, MONITOR_CRITICAL, "2 queued, 1 failed", NULL },
	{ "on hold, however old", { { 'h', QUEUE_FAULT_ACCOUNT, 9 * D } }, H,
	    D, MONITOR_OK, "POSTIE OK - 1 queued, 0 failed, 1 on hold",
	    "queued=1 held=1 failed=0 account=0 unreadable=0 oldest=0s;3600;"
	    "86400;0" },
	{ "on hold beside an old one", { { 'h', QUEUE_FAULT_TEMP, 9 * D },
	    { 'q', QUEUE_FAULT_TEMP, 3 * H } }, H, D, MONITOR_WARNING,
	    "1 on hold, oldest 3h (over 1h)", NULL },
	{ "unreadable", { { 'u', 0, 0 } }, H, D, MONITOR_UNKNOWN,
	    "POSTIE UNKNOWN - 0 queued, 0 failed; 1 cannot be read",
	    "queued=0 held=0 failed=0 account=0 unreadable=1 oldest=0s;3600;"
	    "86400;0" },
	{ "unreadable over warning", { { 'u', 0, 0 },
	    { 'f', QUEUE_FAULT_NONE, 60 } }, H, D, MONITOR_UNKNOWN, NULL,
	    NULL },
	{ "critical over unreadable", { { 'u', 0, 0 },
	    { 'q', QUEUE_FAULT_ACCOUNT, 60 } }, H, D, MONITOR_CRITICAL, NULL,
	    NULL },
};

START_TEST(test_health)
{
	const struct health_case *c = &cases[_i];
	struct monitor_health h;
	struct queue_env env;
	char line[2048], *bar;
	const struct item *it;

	memset(&h, 0, sizeof(h));
	for (it = c->items; it < c->items + 4 && it->kind != 0; it++) {
		if (it->kind == 'u') {
			h.unreadable++;
			continue;
		}
		memset(&env, 0, sizeof(env));
		strlcpy(env.id, "20260101T000000-00000000", sizeof(env.id));
		env.created = NOW - it->age;
		env.fault = it->fault;
		env.held = it->kind == 'h';
		env.last_error = "at AUTH PLAIN: 535 5.7.8 no | really";
		monitor_health_add(&h, &env, it->kind == 'f');
	}
	ck_assert_msg(monitor_health_status(&h, NOW, c->warn, c->crit) ==
	    c->want, "%s: status %s, want %s", c->name,
	    monitor_status_name(monitor_health_status(&h, NOW, c->warn,
	    c->crit)), monitor_status_name(c->want));
	monitor_health_line(line, sizeof(line), &h, NOW, c->warn, c->crit);
	/* One " | ", after the text, before the perfdata. */
	ck_assert_ptr_nonnull(bar = strstr(line, " | "));
	ck_assert_ptr_null(strchr(bar + 2, '|'));
	*bar = '\0';
	ck_assert_msg(strncmp(line, "POSTIE ", 7) == 0 && strstr(line,
	    monitor_status_name(c->want)) == line + 7, "%s: %s", c->name,
	    line);
	if (c->text != NULL)
		ck_assert_msg(strstr(line, c->text) != NULL, "%s: \"%s\"",
		    c->name, line);
	if (c->perf != NULL)
		ck_assert_str_eq(bar + 3, c->perf);
	ck_assert_ptr_null(strchr(line, '\n'));
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_int_eq(MONITOR_OK, 0);
	ck_assert_int_eq(MONITOR_WARNING, 1);
	ck_assert_int_eq(MONITOR_CRITICAL, 2);
	ck_assert_int_eq(MONITOR_UNKNOWN, 3);
	ck_assert_str_eq(monitor_status_name(MONITOR_CRITICAL), "CRITICAL");
	ck_assert_str_eq(monitor_status_name(MONITOR_UNKNOWN), "UNKNOWN");
}
END_TEST

static const struct threshold_case {
	long	 warn_given, crit_given, warn, crit;	/* warn -1: refused */
} thresholds[] = {
	{ 0, 0, H, D },
	{ 1800, 0, 1800, D },
	{ 0, 2 * D, H, 2 * D },
	{ 600, 1200, 600, 1200 },
	{ 600, 600, 600, 600 },
	/* A default yields to the threshold given. */
	{ 0, 1800, 1800, 1800 },
	{ 3 * D, 0, 3 * D, 3 * D },
	{ 7200, 3600, -1, 0 },
};

START_TEST(test_thresholds)
{
	const struct threshold_case *c = &thresholds[_i];
	struct postie_err e;
	long warn = 0, crit = 0;

	if (c->warn == -1) {
		ck_assert_int_eq(monitor_thresholds(c->warn_given,
		    c->crit_given, &warn, &crit, &e), -1);
		ck_assert_int_eq(e.ex, EX_USAGE);
		ck_assert_str_eq(e.msg, "--warn-age (7200s) is longer than "
		    "--crit-age (3600s)");
		return;
	}
	ck_assert_int_eq(monitor_thresholds(c->warn_given, c->crit_given,
	    &warn, &crit, &e), 0);
	ck_assert_int_eq(warn, c->warn);
	ck_assert_int_eq(crit, c->crit);
}
END_TEST

START_TEST(test_unknown_line)
{
	char line[128];

	monitor_unknown_line(line, sizeof(line), "queue: open /a|b: denied");
	ck_assert_str_eq(line, "POSTIE UNKNOWN - queue: open /a/b: denied");
}
END_TEST

static char tmpdir[64];

static void
setup(void)
{
	strlcpy(tmpdir, "/tmp/check_monitor.XXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct msg *
make_msg(void)
{
	struct postie_err e;
	struct msg *m;
	FILE *fp;

	ck_assert_ptr_nonnull(fp = tmpfile());
	fputs("Subject: x\n\nx\n", fp);
	fflush(fp);
	ck_assert_int_eq(fseek(fp, 0, SEEK_SET), 0);
	ck_assert_msg(msg_read(&m, fileno(fp), 0, "/tmp", &e) == 0, "%s", e.msg);
	fclose(fp);
	return m;
}

/* Every kind of record as its JSON line. */
START_TEST(test_json_lines)
{
	struct postie_err e;
	struct queue_env env;
	struct queue *q, *rq;
	struct queue_item *it;
	struct msg *m = make_msg();
	char dir[128], *out = NULL, want[2048], *errs[2] = { NULL,
	    "at RCPT TO <b@example.net>: 450 4.2.1 \"busy\"" };
	char id1[QUEUE_ID_LEN], id2[QUEUE_ID_LEN], id3[QUEUE_ID_LEN];
	char id4[QUEUE_ID_LEN];
	long long c1, n1, s1;
	size_t len = 0;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/queue", tmpdir);
	ck_assert_int_eq(queue_open(&q, dir, &e), 0);

	/* Prepared, a temporary fault, one recipient with its own error. */
	memset(&env, 0, sizeof(env));
	env.config = strdup("/etc/postie.conf");
	env.account = strdup("work");
	env.fault = QUEUE_FAULT_TEMP;
	env.attempts = 2;
	env.last_error = strdup("at end of DATA: 451 4.3.0 later\n");
	ck_assert_int_eq(envelope_set(&env.env.from, "me@example.org", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env.env, "a@example.org", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env.env, "b@example.net", &e), 0);
	ck_assert_int_eq(queue_env_set_rcpt_errors(&env, errs, 2, NULL, &e),
	    0);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	strlcpy(id1, env.id, sizeof(id1));
	c1 = env.created;
	n1 = env.next_try;
	s1 = env.size;
	queue_env_free(&env);

	/* Raw, held for its config: no account, no sender known. */
	memset(&env, 0, sizeof(env));
	env.raw = 1;
	env.fault = QUEUE_FAULT_ACCOUNT;
	env.last_error = strdup("config:2: unknown key");
	ck_assert_int_eq(queue_env_add_arg(&env, "-t", &e), 0);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	strlcpy(id2, env.id, sizeof(id2));
	queue_env_free(&env);

	/* The null sender, on hold. */
	memset(&env, 0, sizeof(env));
	env.account = strdup("work");
	ck_assert_int_eq(envelope_set(&env.env.from, "", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env.env, "c@example.org", &e), 0);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	strlcpy(id3, env.id, sizeof(id3));
	queue_env_free(&env);
	ck_assert_int_eq(queue_hold(q, id3, 1, &e), 0);

	/* Failed. */
	memset(&env, 0, sizeof(env));
	env.account = strdup("work");
	env.fault = QUEUE_FAULT_TEMP;
	ck_assert_int_eq(envelope_set(&env.env.from, "me@example.org", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env.env, "d@example.org", &e), 0);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	strlcpy(id4, env.id, sizeof(id4));
	queue_env_free(&env);
	ck_assert_int_eq(queue_take(q, id4, &it, &e), 1);
	ck_assert_int_eq(queue_item_fail(it, "at RCPT TO <d@example.org>: "
	    "550 5.1.1 no such user", &e), 0);
	msg_free(m);

	ck_assert_int_eq(queue_open_readonly(&rq, dir, geteuid(), &e), 0);
	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	ck_assert_msg(monitor_json(rq, fp, &e) == 0, "%s", e.msg);
	fclose(fp);
	queue_close(rq);

	snprintf(want, sizeof(want), "{\"id\":\"%s\",\"state\":\"queued\","
	    "\"config\":\"/etc/postie.conf\",\"account\":\"work\","
	    "\"created\":%lld,\"next_try\":%lld,\"attempts\":2,\"size\":%lld,"
	    "\"sender\":\"me@example.org\",\"recipients\":["
	    "{\"address\":\"a@example.org\",\"state\":\"queued\","
	    "\"last_error\":\"at end of DATA: 451 4.3.0 later\\\\x0a\"},"
	    "{\"address\":\"b@example.net\",\"state\":\"queued\","
	    "\"last_error\":\"at RCPT TO <b@example.net>: 450 4.2.1 "
	    "\\\"busy\\\"\"}],"
	    "\"last_error\":\"at end of DATA: 451 4.3.0 later\\\\x0a\","
	    "\"fault\":\"temporary\",\"raw\":false}\n", id1, c1, n1, s1);
	/* Queued in the same second: in any order. */
	ck_assert_msg(strstr(out, want) != NULL, "got\n%s\nwant\n%s", out,
	    want);
	snprintf(want, sizeof(want), "{\"id\":\"%s\",\"state\":\"queued\","
	    "\"config\":null,\"account\":null,", id2);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"sender\":null,\"recipients\":[],"
	    "\"last_error\":\"config:2: unknown key\",\"fault\":\"account\","
	    "\"raw\":true}\n"));
	snprintf(want, sizeof(want), "{\"id\":\"%s\",\"state\":\"held\",", id3);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"sender\":\"\",\"recipients\":["
	    "{\"address\":\"c@example.org\",\"state\":\"held\","
	    "\"last_error\":null}],\"last_error\":null,\"fault\":null,"
	    "\"raw\":false}\n"));
	snprintf(want, sizeof(want), "{\"id\":\"%s\",\"state\":\"failed\",", id4);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"next_try\":null,"));
	ck_assert_ptr_nonnull(strstr(out, "{\"address\":\"d@example.org\","
	    "\"state\":\"failed\",\"last_error\":\"at RCPT TO <d@example.org>: "
	    "550 5.1.1 no such user\"}],"));
	/* Failed: no fault; and last, after the queued ones. */
	ck_assert_ptr_nonnull(strstr(out, "no such user\",\"fault\":null,"
	    "\"raw\":false}\n"));
	ck_assert_ptr_eq(strstr(out, want) + strlen(strstr(out, want)),
	    out + len);
	free(out);

	/* A damaged record: a line that says so. */
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/%s.env", dir, id3);
		ck_assert_ptr_nonnull(fp = fopen(path, "w"));
		fputs("not a record\n", fp);
		fclose(fp);
	}
	out = NULL;
	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	ck_assert_int_eq(monitor_json(q, fp, &e), 0);
	fclose(fp);
	snprintf(want, sizeof(want), "{\"id\":\"%s\",\"state\":\"queued\","
	    "\"error\":\"queue: %s.env is damaged\"}\n", id3, id3);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);
	queue_close(q);
}
END_TEST

/* monitor_health_read: a missing queue is empty; nothing is created. */
START_TEST(test_health_read)
{
	struct monitor_health h;
	struct postie_err e;
	struct queue *q;
	struct msg *m = make_msg();
	struct queue_env env;
	char dir[128], drop[128], user[160];

	snprintf(dir, sizeof(dir), "%s/queue", tmpdir);
	snprintf(drop, sizeof(drop), "%s/drop", tmpdir);
	ck_assert_int_eq(monitor_health_read(&h, dir, drop, &e), 0);
	ck_assert_uint_eq(h.queued + h.failed, 0);
	ck_assert_int_eq(access(dir, F_OK), -1);
	ck_assert_int_eq(access(drop, F_OK), -1);

	ck_assert_int_eq(queue_open(&q, dir, &e), 0);
	memset(&env, 0, sizeof(env));
	env.account = strdup("work");
	env.fault = QUEUE_FAULT_ACCOUNT;
	ck_assert_int_eq(envelope_set(&env.env.from, "me@example.org", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env.env, "a@example.org", &e), 0);
	ck_assert_int_eq(queue_put(q, &env, m, &e), 0);
	queue_env_free(&env);
	queue_close(q);
	msg_free(m);
	ck_assert_int_eq(monitor_health_read(&h, dir, NULL, &e), 0);
	ck_assert_uint_eq(h.queued, 1);
	ck_assert_uint_eq(h.account, 1);

	/* A drop spool that is not root's cannot be trusted. */
	ck_assert_int_eq(mkdir(drop, 0700), 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(monitor_health_read(&h, dir, drop, &e), -1);
		ck_assert_ptr_nonnull(strstr(e.msg, "not root's"));
		return;
	}
	/* As root: each user's queue in it is counted. */
	snprintf(user, sizeof(user), "%s/4242", drop);
	ck_assert_int_eq(mkdir(user, 0700), 0);
	ck_assert_int_eq(chown(user, 4242, 4242), 0);
	ck_assert_int_eq(queue_open_owned(&q, user, 4242, &e), 0);
	m = make_msg();
	memset(&env, 0, sizeof(env));
	env.account = strdup("work");
	ck_assert_int_eq(envelope_set(&env.env.from, "me@example.org", &e), 0);
	ck_assert_int_eq(envelope_add_rcpt(&env.env, "a@example.org", &e), 0);
	ck_assert_int_eq(queue_put_failed(q, &env, m, "550 no", &e), 0);
	queue_env_free(&env);
	queue_close(q);
	msg_free(m);
	ck_assert_msg(monitor_health_read(&h, dir, drop, &e) == 0, "%s",
	    e.msg);
	ck_assert_uint_eq(h.queued, 1);
	ck_assert_uint_eq(h.failed, 1);
	/* Only the directories the flush would deliver. */
	snprintf(user, sizeof(user), "%s/4243", drop);
	ck_assert_int_eq(mkdir(user, 0700), 0);
	ck_assert_int_eq(monitor_health_read(&h, dir, drop, &e), 0);
	ck_assert_uint_eq(h.failed, 1);
}
END_TEST

static Suite *
monitor_suite(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("health");

	tcase_add_loop_test(tc, test_health, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_status_names);
	tcase_add_loop_test(tc, test_thresholds, 0,
	    sizeof(thresholds) / sizeof(thresholds[0]));
	tcase_add_test(tc, test_unknown_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("queue");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_json_lines);
	tcase_add_test(tc, test_health_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(monitor_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
