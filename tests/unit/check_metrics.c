/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for src/metrics.c: the exposition format as written (label
 * escaping, every metric), the state file as read back, and the
 * metrics_file key of conf.c (defaults only, absolute, ~ expanded).
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "metrics.h"
#include "sysenv.h"

static char *
written(const struct metrics_row *rows, size_t n, size_t unreadable,
    time_t now)
{
	struct postie_err e = { 0, "" };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(metrics_write(fp, rows, n, unreadable, now, &e), 0);
	fclose(fp);
	return buf;
}

START_TEST(test_metrics_write_values)
{
	struct metrics_row r = { "/etc/postie.conf", "relay", 3, 1, 2, 1000,
	    1500, 1700 };
	char *out = written(&r, 1, 4, 1600);

	ck_assert_ptr_nonnull(strstr(out, "# TYPE postie_queued_messages "
	    "gauge\npostie_queued_messages{config=\"/etc/postie.conf\","
	    "account=\"relay\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(out, "postie_held_messages{config=\""
	    "/etc/postie.conf\",account=\"relay\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "postie_failed_messages{config=\""
	    "/etc/postie.conf\",account=\"relay\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(out, "postie_oldest_message_age_seconds{"
	    "config=\"/etc/postie.conf\",account=\"relay\"} 600\n"));
	ck_assert_ptr_nonnull(strstr(out, "postie_last_success_timestamp_"
	    "seconds{config=\"/etc/postie.conf\",account=\"relay\"} 1500\n"));
	ck_assert_ptr_nonnull(strstr(out, "postie_last_failure_timestamp_"
	    "seconds{config=\"/etc/postie.conf\",account=\"relay\"} 1700\n"));
	ck_assert_ptr_nonnull(strstr(out, "\npostie_unreadable_records 4\n"));
	ck_assert_ptr_nonnull(strstr(out,
	    "\npostie_metrics_timestamp_seconds 1600\n"));
	free(out);
}
END_TEST

START_TEST(test_metrics_write_none)
{
	struct metrics_row r = { "default", "", 0, 0, 0, 0, 0, 0 };
	char *out = written(&r, 1, 0, 50);

	/* No message: age 0, not the time since the epoch. */
	ck_assert_ptr_nonnull(strstr(out, "postie_oldest_message_age_seconds{"
	    "config=\"default\",account=\"\"} 0\n"));
	free(out);
	out = written(NULL, 0, 0, 50);
	ck_assert_ptr_null(strstr(out, "{"));
	ck_assert_ptr_nonnull(strstr(out, "# HELP postie_queued_messages "));
	free(out);
}
END_TEST

static const struct {
	const char *in;
	const char *label;
} labels[] = {
	{ "plain", "plain" },
	{ "a\"b", "a\\\"b" },
	{ "back\\slash", "back\\\\slash" },
	{ "two\nlines", "two\\nlines" },
	{ "tab\there", "tab?here" },
	{ "caf\xc3\xa9", "caf??" },
	{ "del\x7f", "del?" },
};

START_TEST(test_metrics_label)
{
	struct metrics_row r = { "/c", NULL, 1, 0, 0, 0, 0, 0 };
	char want[128], *out;

	r.account = (char *)(uintptr_t)labels[_i].in;
	out = written(&r, 1, 0, 0);
	snprintf(want, sizeof(want), "postie_queued_messages{config=\"/c\","
	    "account=\"%s\"} 1\n", labels[_i].label);
	ck_assert_msg(strstr(out, want) != NULL, "%s not in\n%s", want, out);
	free(out);
}
END_TEST

START_TEST(test_metrics_state_read)
{
	static const char text[] =
	    "/etc/postie.conf\trelay\t100\t200\n"
	    "default\twork\t0\t300\n"
	    "bad line without tabs\n"
	    "default\tneg\t-1\t5\n"
	    "default\tjunk\t1x\t5\n"
	    "\tnoconfig\t1\t2\n"
	    "default\twork2\t7\t8";	/* no newline: cut short, skipped */
	struct postie_err e = { 0, "" };
	struct metrics_row rows[8];
	FILE *fp;
	int n, i;

	fp = fmemopen((void *)(uintptr_t)text, sizeof(text) - 1, "r");
	ck_assert_ptr_nonnull(fp);
	memset(rows, 0, sizeof(rows));
	n = metrics_state_read(fp, rows, 8, &e);
	fclose(fp);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(rows[0].config, "/etc/postie.conf");
	ck_assert_str_eq(rows[0].account, "relay");
	ck_assert_int_eq(rows[0].last_success, 100);
	ck_assert_int_eq(rows[0].last_failure, 200);
	ck_assert_str_eq(rows[1].account, "work");
	ck_assert_int_eq(rows[1].last_success, 0);
	ck_assert_int_eq(rows[1].last_failure, 300);
	for (i = 0; i < n; i++) {
		free(rows[i].config);
		free(rows[i].account);
	}
}
END_TEST

START_TEST(test_metrics_state_bounded)
{
	static const char text[] = "default\ta\t1\t2\ndefault\tb\t3\t4\n";
	struct postie_err e = { 0, "" };
	struct metrics_row rows[1];
	FILE *fp;

	fp = fmemopen((void *)(uintptr_t)text, sizeof(text) - 1, "r");
	ck_assert_ptr_nonnull(fp);
	memset(rows, 0, sizeof(rows));
	ck_assert_int_eq(metrics_state_read(fp, rows, 1, &e), 1);
	fclose(fp);
	ck_assert_str_eq(rows[0].account, "a");
	free(rows[0].config);
	free(rows[0].account);
}
END_TEST

static const struct {
	const char *text;
	const char *file;	/* NULL: an error */
	const char *error;	/* in the error */
} keys[] = {
	{ "defaults\nmetrics_file /var/lib/n/postie.prom\n",
	    "/var/lib/n/postie.prom", NULL },
	{ "defaults\nmetrics_file ~/m/postie.prom\n",
	    "/home/tester/m/postie.prom", NULL },
	{ "account a\nhost h\nmetrics_file /x.prom\n", NULL,
	    "t:3: 'metrics_file' is valid in defaults only" },
	{ "defaults\nmetrics_file rel.prom\n", NULL,
	    "t:2: 'metrics_file' needs an absolute path" },
	{ "defaults\nhost h\n", "", NULL },
};

START_TEST(test_metrics_conf_key)
{
	static const char *const vars[] = { "HOME=/home/tester", NULL };
	struct postie_err e = { 0, "" };
	struct sysenv *sys = NULL;
	struct conf *c = NULL;
	const char *got;
	FILE *fp;
	int rc;

	ck_assert_int_eq(sysenv_load_from(&sys, vars, geteuid(), &e), 0);
	fp = fmemopen((void *)(uintptr_t)keys[_i].text,
	    strlen(keys[_i].text), "r");
	ck_assert_ptr_nonnull(fp);
	rc = conf_parse(&c, fp, "t", sys, &e);
	fclose(fp);
	if (keys[_i].file == NULL) {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(e.ex, EX_CONFIG);
		ck_assert_msg(strstr(e.msg, keys[_i].error) != NULL, "%s",
		    e.msg);
	} else {
		ck_assert_msg(rc == 0, "%s", e.msg);
		got = conf_metrics_file(c, geteuid());
		if (keys[_i].file[0] == '\0')
			ck_assert_ptr_null(got);
		else
			ck_assert_str_eq(got, keys[_i].file);
		conf_free(c);
	}
	sysenv_free(sys);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_metrics_write_values);
	tcase_add_test(tc, test_metrics_write_none);
	tcase_add_loop_test(tc, test_metrics_label, 0,
	    sizeof(labels) / sizeof(labels[0]));
	tcase_add_test(tc, test_metrics_state_read);
	tcase_add_test(tc, test_metrics_state_bounded);
	tcase_add_loop_test(tc, test_metrics_conf_key, 0,
	    sizeof(keys) / sizeof(keys[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void);

int
main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
